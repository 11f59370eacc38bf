// Prescription form: the functional-limitation level computed live (R-L2: the most severe of the
// three ratings), who may supervise it (R-L4/R-L5, from the json_script table), and small
// helpers. The server computes the same level and is the truth; without JavaScript the page
// works the same, only without the live display.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("prescription-form");
  if (!form) return;
  const FUNCTIONS = ["locomotor", "cerebral", "sensory"];
  const tableNode = document.getElementById("supervision-table");
  const table = tableNode ? JSON.parse(tableNode.textContent) : {};
  const output = document.getElementById("computed-level");
  const confirmed = form.querySelector('select[name="confirmed_level"]');
  const mismatch = document.getElementById("level-mismatch");
  const rating = (name) => {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    return checked ? Number(checked.value) : null;
  };

  const computedLevel = () => {
    const values = FUNCTIONS.map(rating);
    return values.some((v) => v === null) ? null : Math.max(...values); // R-L2
  };

  // The physician's own choice is kept; until then the select follows the computed level.
  let confirmedTouched = Boolean(
    confirmed && confirmed.value !== "" && Number(confirmed.value) !== computedLevel()
  );

  const update = () => {
    const level = computedLevel();
    if (output) output.textContent = level === null ? "à évaluer" : table[level].label;
    if (confirmed && !confirmedTouched && level !== null) confirmed.value = String(level);
    const retained = confirmed && confirmed.value !== "" ? Number(confirmed.value) : level;
    if (mismatch) mismatch.hidden = level === null || retained === null || retained === level;
    document.querySelectorAll("#supervision-box .supervision").forEach((node) => {
      node.hidden = retained === null || Number(node.dataset.level) !== retained;
    });
    // A ticked severe indicator on a function not rated "Sévères": a hint, not a refusal.
    document.querySelectorAll(".assessment-row").forEach((row) => {
      const fn = row.dataset.function;
      const ticked = row.querySelector('input[name="severe_indicators"]:checked');
      const hint = row.querySelector(".indicator-hint");
      if (hint) hint.hidden = !ticked || rating(fn) === 3 || rating(fn) === null;
      const details = row.querySelector("details");
      if (details && rating(fn) === 3) details.open = true;
    });
    // The indication is asked only when the physician answers OUI.
    const oui = form.querySelector('input[name="physician_renewal_required"][value="oui"]');
    const reason = document.getElementById("renewal-reason");
    if (oui && reason) {
      const input = reason.querySelector("input");
      const keep = oui.checked || (input && (input.value.trim() !== "" || input.classList.contains("is-invalid")));
      reason.hidden = !keep;
      if (input) input.required = oui.checked;
    }
  };

  if (confirmed) {
    confirmed.addEventListener("change", () => {
      confirmedTouched = confirmed.value !== "";
      update();
    });
  }
  form.addEventListener("change", update);

  // One click, one prescription: no double submission while the page is loading.
  form.addEventListener("submit", (event) => {
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
  });

  update();
});
