/* Poll a job's progress while it is queued or running, and update the bar in place. */
"use strict";
(function () {
  function start() {
    const panel = document.getElementById("job-progress");
    if (!panel || panel.dataset.active !== "1") return;
    const url = panel.dataset.progressUrl;
    const every = 1000 * Number(panel.dataset.pollSeconds || 2);
    const el = (id) => document.getElementById(id);

    function show(p) {
      el("job-bar-done").setAttribute("width", p.done_percent + "%");
      el("job-bar-failed").setAttribute("x", p.done_percent + "%");
      el("job-bar-failed").setAttribute("width", p.failed_percent + "%");
      panel.querySelector("[role=progressbar]").setAttribute("aria-valuenow", p.percent);
      el("job-percent").textContent = p.percent + "%";
      const status = el("job-status");
      status.textContent = p.status_display;
      status.className = "job-status job-status-" + p.status;
      el("job-counts").textContent = p.done + " done, " + p.failed + " failed, of " + p.total;
      const message = el("job-message");
      message.textContent = p.message;
      message.hidden = !p.message;
      el("job-updated").textContent = p.active
        ? "Updates itself while the job runs."
        : "Finished. Reload the page to see the final record.";
    }

    async function poll() {
      try {
        const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
        if (response.ok) {
          const p = await response.json();
          show(p);
          if (!p.active) return;
        }
      } catch (err) {
        el("job-updated").textContent = "Cannot reach the server; retrying.";
      }
      setTimeout(poll, every);
    }
    setTimeout(poll, every);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
