// Drag-and-drop upload: one request per file (two at a time, or the form's data-concurrency)
// with a progress bar each.
// The server answers each request with the file's result row, rendered by the same template
// as the no-JavaScript form post, so both paths show the same thing.
"use strict";
(function () {
  const DEFAULT_CONCURRENCY = 2;

  function init() {
    const form = document.getElementById("assets-upload-form");
    const zone = document.getElementById("assets-dropzone");
    const input = document.getElementById("assets-files");
    const results = document.getElementById("assets-results");
    const summary = document.getElementById("assets-summary");
    if (!form || !zone || !input || !results) {
      return;
    }
    document.body.classList.add("assets-js");
    const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    const queue = [];
    let running = 0;
    const counts = { ok: 0, duplicate: 0, error: 0, pending: 0 };

    function updateSummary() {
      summary.hidden = false;
      let text = counts.ok + " uploaded, " + counts.error + " refused";
      if (counts.duplicate) {
        text += ", " + counts.duplicate + " already uploaded";
      }
      if (counts.pending) {
        text += " — " + counts.pending + " in progress…";
      }
      summary.textContent = text + ".";
    }

    function pendingRow(file, batch) {
      const li = document.createElement("li");
      li.className = "assets-result assets-pending";
      li.dataset.status = "pending";
      const head = document.createElement("div");
      head.className = "assets-result-head";
      const name = document.createElement("strong");
      name.className = "assets-name";
      name.textContent = file.name;
      const bar = document.createElement("progress");
      bar.className = "assets-progress";
      bar.max = 100;
      bar.value = 0;
      head.append(name, bar);
      li.append(head);
      batch.append(li);
      return { li: li, bar: bar };
    }

    function failRow(row, file, message) {
      row.li.className = "assets-result assets-error";
      row.li.dataset.status = "error";
      row.bar.remove();
      const reason = document.createElement("div");
      reason.className = "assets-reason errornote";
      reason.textContent = file.name + ": " + message;
      row.li.append(reason);
    }

    function finish(row, xhr, file) {
      counts.pending -= 1;
      if ([200, 201, 422].includes(xhr.status) && xhr.responseText.trim()) {
        const holder = document.createElement("template");
        holder.innerHTML = xhr.responseText.trim(); // server-rendered, autoescaped
        const li = holder.content.firstElementChild;
        row.li.replaceWith(li);
        counts[li.dataset.status] = (counts[li.dataset.status] || 0) + 1;
      } else {
        const why = xhr.status === 403 ? "permission denied or session expired (reload the page)"
          : xhr.status === 0 ? "the connection failed" : "the server answered " + xhr.status;
        failRow(row, file, "upload failed: " + why + ".");
        counts.error += 1;
      }
      updateSummary();
    }

    function send(file, row) {
      running += 1;
      const data = new FormData();
      data.append("csrfmiddlewaretoken", token);
      data.append("fragment", "1");
      data.append("files", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          row.bar.value = Math.round((100 * event.loaded) / event.total);
        }
      });
      xhr.addEventListener("loadend", function () {
        running -= 1;
        finish(row, xhr, file);
        next();
      });
      xhr.send(data);
    }

    function next() {
      const limit = Number(form.dataset.concurrency) || DEFAULT_CONCURRENCY;
      while (running < limit && queue.length) {
        const item = queue.shift();
        send(item.file, item.row);
      }
    }

    function add(files) {
      // The newest batch goes on top, its files in the order they were chosen.
      const batch = document.createDocumentFragment();
      Array.from(files).forEach(function (file) {
        counts.pending += 1;
        queue.push({ file: file, row: pendingRow(file, batch) });
      });
      results.prepend(batch);
      updateSummary();
      next();
    }

    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      add(input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.add("assets-dragover");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (event) {
        event.preventDefault();
        zone.classList.remove("assets-dragover");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        add(event.dataTransfer.files);
      }
    });
    // A file dropped next to the zone must not make the browser navigate away to it.
    window.addEventListener("dragover", function (event) {
      event.preventDefault();
    });
    window.addEventListener("drop", function (event) {
      event.preventDefault();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
