// Patient list. When htmx loads new results, the count is read out by the live region that
// stays on the page (#patient-results-status: only the count, not the whole table). When it
// loads another page, the focus moves to the results' summary, so keyboard and screen-reader
// users go on from the new page (the button they pressed is gone). Without JavaScript the
// search and the pages are plain form submissions.
"use strict";
document.addEventListener("htmx:afterSwap", (event) => {
  if (!event.detail.target || event.detail.target.id !== "patient-results") return;
  const summary = document.getElementById("patient-results-summary");
  const status = document.getElementById("patient-results-status");
  if (summary && status) status.textContent = summary.textContent;
  const config = event.detail.requestConfig;
  const source = config && config.elt;
  if (!source || !source.classList || !source.classList.contains("patient-pages")) return;
  if (summary) summary.focus();
});
