/* The focal point picker on the asset page (imageadmin.admin.focal).
 *
 * Clicking the picture moves the crosshair there and writes the point, as fractions of the
 * width and height with 4 decimals, into the form's hidden focal_x and focal_y fields; the arrow
 * keys nudge it by 1% (Shift: 10%); "Reset to centre" empties both (the centre). Each active
 * cover preset's crop is previewed by the admin's preview endpoint, which renders it with the
 * resizer's own code: requests are debounced, and a newer one aborts the one in flight.
 */
"use strict";
(function () {
  const DEBOUNCE_MS = 250;
  const STEP = 0.01;

  function clamp(v) {
    return Math.min(1, Math.max(0, v));
  }

  function start(picker) {
    const form = picker.closest("form");
    const fieldX = form && form.elements.namedItem("focal_x");
    const fieldY = form && form.elements.namedItem("focal_y");
    if (!fieldX || !fieldY) return;
    const frame = picker.querySelector(".focal-frame");
    const marker = picker.querySelector(".focal-marker");
    const status = picker.querySelector(".focal-status");
    const reset = picker.querySelector(".focal-reset");
    const previews = Array.from(picker.querySelectorAll(".focal-preview img"));
    let timer = null;
    let calls = [];
    const urls = new Map();

    function current() {
      if (fieldX.value === "" || fieldY.value === "") return null;
      return { x: Number(fieldX.value), y: Number(fieldY.value) };
    }

    function text(point) {
      if (!point) return "Focal point: the centre (not set)";
      return "Focal point: x " + (point.x * 100).toFixed(1) + "%, y " + (point.y * 100).toFixed(1) +
        "% from the top left";
    }

    function show() {
      const point = current();
      const shown = point || { x: 0.5, y: 0.5 };
      marker.style.left = (shown.x * 100).toFixed(2) + "%";
      marker.style.top = (shown.y * 100).toFixed(2) + "%";
      marker.classList.toggle("is-centre", !point);
      status.textContent = text(point);
      picker.dataset.value = point ? fieldX.value + "," + fieldY.value : "";
      reset.disabled = !point;
    }

    async function preview(img, query) {
      const call = new AbortController();
      calls.push(call);
      img.closest("figure").classList.add("is-loading");
      try {
        const url = picker.dataset.previewUrl + "?" + query;
        const response = await fetch(url, { signal: call.signal, credentials: "same-origin" });
        if (!response.ok) {
          let message = response.status + " " + response.statusText;
          try {
            message = (await response.json()).error || message;
          } catch (err) {
            /* not JSON */
          }
          img.alt = "Preview failed: " + message;
          img.removeAttribute("src");
          return;
        }
        const blob = await response.blob();
        const previous = urls.get(img);
        const made = URL.createObjectURL(blob);
        urls.set(img, made);
        img.src = made;
        img.dataset.focal = new URLSearchParams(query).get("focal");
        if (previous) URL.revokeObjectURL(previous);
      } catch (err) {
        if (err.name !== "AbortError") img.alt = "Preview failed: " + err.message;
      } finally {
        img.closest("figure").classList.remove("is-loading");
      }
    }

    function refresh() {
      timer = null;
      for (const call of calls) call.abort();
      calls = [];
      const point = current();
      const value = point ? fieldX.value + "," + fieldY.value : "";
      for (const img of previews) {
        const query = new URLSearchParams({ preset: img.dataset.preset, focal: value });
        preview(img, query.toString());
      }
    }

    function later() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, DEBOUNCE_MS);
    }

    function set(point) {
      if (point) {
        fieldX.value = clamp(point.x).toFixed(4);
        fieldY.value = clamp(point.y).toFixed(4);
      } else {
        fieldX.value = "";
        fieldY.value = "";
      }
      show();
      later();
    }

    frame.addEventListener("click", function (event) {
      const box = frame.getBoundingClientRect(); // the picture's box, even before it loads
      if (!box.width || !box.height) return;
      set({ x: (event.clientX - box.left) / box.width, y: (event.clientY - box.top) / box.height });
      frame.focus();
    });

    frame.addEventListener("keydown", function (event) {
      const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
      const move = moves[event.key];
      if (!move) return;
      event.preventDefault();
      const point = current() || { x: 0.5, y: 0.5 };
      const step = event.shiftKey ? STEP * 10 : STEP;
      set({ x: point.x + move[0] * step, y: point.y + move[1] * step });
    });

    reset.addEventListener("click", function () {
      set(null);
    });

    show();
    refresh();
  }

  function startAll() {
    for (const picker of document.querySelectorAll("[data-focal-picker]")) start(picker);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startAll);
  } else {
    startAll();
  }
})();
