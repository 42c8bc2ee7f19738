/* Live preview and change impact on the preset change form.
 *
 * Reads the preset's fields, asks the admin-only preview endpoint for the output on the chosen
 * asset (its size and bytes come back as X-Preview-* headers, errors as JSON with a message) and
 * the impact endpoint for what saving would make stale. Requests are debounced, and a newer
 * request aborts the one in flight so a slow answer never overwrites a newer one.
 */
"use strict";
(function () {
  const FIELDS = ["name", "width", "height", "fit", "format", "quality", "upscale", "background"];
  const DEBOUNCE_MS = 300;

  function start() {
    const panel = document.getElementById("preset-preview");
    if (!panel) return;
    const form = panel.closest("form");
    const assetSelect = document.getElementById("preset-preview-asset");
    const img = document.getElementById("preset-preview-img");
    const frame = document.getElementById("preset-preview-frame");
    const info = document.getElementById("preset-preview-info");
    const errorBox = document.getElementById("preset-preview-error");
    const impact = document.getElementById("preset-impact");
    let timer = null;
    let previewCall = null;
    let impactCall = null;
    let objectUrl = null;

    function params() {
      const query = new URLSearchParams();
      for (const name of FIELDS) {
        const field = form.elements.namedItem(name);
        if (!field) continue;
        if (field.type === "checkbox") {
          query.set(name, field.checked ? "true" : "false");
        } else {
          query.set(name, field.value.trim());
        }
      }
      return query;
    }

    function bytes(n) {
      if (n < 1024) return n + " bytes";
      if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
      return (n / 1024 / 1024).toFixed(1) + " MB";
    }

    async function message(response) {
      try {
        const body = await response.json();
        if (body && body.error) return body.error;
      } catch (err) {
        /* not JSON: fall through to the status line */
      }
      return response.status + " " + response.statusText;
    }

    function showError(text) {
      img.hidden = true;
      errorBox.textContent = text;
      errorBox.hidden = false;
      info.textContent = "";
      panel.dataset.state = "error";
    }

    async function updatePreview(query) {
      if (!assetSelect) return;
      if (!query.get("width")) {
        if (previewCall) previewCall.abort();
        img.hidden = true;
        errorBox.hidden = true;
        info.textContent = "Enter a width to see the preview.";
        panel.dataset.state = "empty";
        return;
      }
      query.set("asset", assetSelect.value);
      query.delete("name");
      const url = panel.dataset.previewUrl + "?" + query.toString();
      if (previewCall) previewCall.abort();
      const call = new AbortController();
      previewCall = call;
      frame.classList.add("is-loading");
      panel.dataset.state = "loading";
      try {
        const response = await fetch(url, { signal: call.signal, credentials: "same-origin" });
        if (!response.ok) {
          showError(await message(response));
          return;
        }
        const blob = await response.blob();
        if (call !== previewCall) return;
        const headers = response.headers;
        const width = headers.get("X-Preview-Width");
        const height = headers.get("X-Preview-Height");
        const format = (headers.get("X-Preview-Format") || "").toUpperCase();
        const size = Number(headers.get("X-Preview-Bytes") || blob.size);
        const previous = objectUrl;
        objectUrl = URL.createObjectURL(blob);
        img.src = objectUrl;
        img.dataset.previewUrl = url;
        try {
          await img.decode();
        } catch (err) {
          /* an undecodable answer still shows the browser's broken-image marker */
        }
        if (previous) URL.revokeObjectURL(previous);
        if (call !== previewCall) return;
        img.hidden = false;
        errorBox.hidden = true;
        const scale = img.clientWidth && width ? Math.round((100 * img.clientWidth) / width) : 100;
        const shown = scale < 100 ? " (shown at " + scale + "%)" : "";
        info.textContent = width + " × " + height + " " + format + ", " + bytes(size) + shown;
        info.dataset.width = width;
        info.dataset.height = height;
        info.dataset.bytes = String(size);
        panel.dataset.state = "ready";
      } catch (err) {
        if (err.name !== "AbortError") showError("The preview could not be loaded: " + err.message);
      } finally {
        if (call === previewCall) frame.classList.remove("is-loading");
      }
    }

    async function updateImpact(query) {
      if (!panel.dataset.impactUrl || !impact) return;
      if (impactCall) impactCall.abort();
      const call = new AbortController();
      impactCall = call;
      try {
        const url = panel.dataset.impactUrl + "?" + query.toString();
        const response = await fetch(url, { signal: call.signal, credentials: "same-origin" });
        if (call !== impactCall) return;
        if (!response.ok) {
          impact.textContent = "Fix the preset to see what saving affects: " + (await message(response));
          impact.classList.remove("is-warning");
          return;
        }
        const body = await response.json();
        impact.textContent = body.message;
        impact.classList.toggle("is-warning", body.makes_stale || body.renamed);
      } catch (err) {
        if (err.name !== "AbortError") impact.textContent = "Cannot tell what saving affects: " + err.message;
      }
    }

    function update() {
      timer = null;
      updatePreview(params());
      updateImpact(params());
    }

    function later() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(update, DEBOUNCE_MS);
    }

    for (const name of FIELDS) {
      const field = form.elements.namedItem(name);
      if (!field) continue;
      field.addEventListener("input", later);
      field.addEventListener("change", later);
    }
    if (assetSelect) assetSelect.addEventListener("change", update);
    update();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
