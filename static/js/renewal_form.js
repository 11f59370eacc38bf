// Renewal form: the adaptation fields matter only for an adaptation. Without JavaScript they
// all stay visible (and the server ignores them for a renewal).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("renewal-form");
  const fields = document.getElementById("adaptation-fields");
  if (!form || !fields) return;
  const update = () => {
    const checked = form.querySelector('input[name="kind"]:checked');
    const isRenewal = checked && checked.value === "renewal";
    fields.hidden = Boolean(isRenewal);
    fields.disabled = Boolean(isRenewal);
  };
  form.querySelectorAll('input[name="kind"]').forEach((input) => input.addEventListener("change", update));
  update();
  // The new period of the chosen duration stands out in the list shown before signing.
  const showPeriod = () => {
    const months = form.querySelector('input[name="duration_months"]:checked');
    document.querySelectorAll("#new-periods li").forEach((item) => {
      item.classList.toggle("fw-semibold", Boolean(months) && item.dataset.months === months.value);
    });
  };
  form.querySelectorAll('input[name="duration_months"]').forEach((input) => input.addEventListener("change", showPeriod));
  showPeriod();
});
