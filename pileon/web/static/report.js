// pileon review UI: the evidence report's progress page asks the server how far the report is
// and moves the bar; when it is written (or failed), the page reloads to show the result.
(function () {
  "use strict";
  const job = document.getElementById("job");
  if (!job) { return; }
  const bar = document.getElementById("job-progress");
  const stage = document.getElementById("job-stage");
  async function poll() {
    let data;
    try {
      const answer = await fetch(job.dataset.status, { credentials: "same-origin", cache: "no-store" });
      if (!answer.ok) { throw new Error(String(answer.status)); }
      data = await answer.json();
    } catch (error) {
      setTimeout(poll, 3000);
      return;
    }
    const percent = Math.round((data.fraction || 0) * 100);
    bar.value = percent;
    bar.textContent = percent + " %";
    stage.textContent = data.label;
    if (data.finished) { window.location.reload(); return; }
    setTimeout(poll, 700);
  }
  setTimeout(poll, 400);
})();
