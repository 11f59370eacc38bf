// Patient list: when htmx loads another page of results, move the focus to the results'
// summary, so keyboard and screen-reader users go on from the new page (the button they
// pressed is gone). Without JavaScript the pages are plain form submissions.
"use strict";
document.addEventListener("htmx:afterSwap", (event) => {
  const config = event.detail.requestConfig;
  const source = config && config.elt;
  if (!source || !source.classList || !source.classList.contains("patient-pages")) return;
  const summary = document.getElementById("patient-results-summary");
  if (summary) summary.focus();
});
