// The error summary of a refused form (templates/forms/error_summary.html): focused when the page
// loads, so that a screen reader reads it first and the keyboard starts there; each link moves
// the focus to its field (a plain anchor would only scroll to it).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.getElementById("error-summary");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#']");
    if (!link) return;
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    const details = target.closest("details");
    if (details) details.open = true;
    const hidden = target.closest("[hidden]");
    if (hidden) hidden.hidden = false;
    target.scrollIntoView({ block: "center" });
    target.focus();
  });
});
