// The asset chooser widget (imageadmin.widgets.AssetChooserWidget): Choose opens one shared
// search dialog, Upload sends a file to the same upload service as the asset admin, Clear
// empties the field.
// Every listener is on the document, so any number of widgets work, including inline rows that
// Django's "Add another" clones later: there is nothing to set up per widget.
"use strict";
(function () {
  if (window.imageadminAssetChooser) {
    return; // loaded twice (several forms on one page)
  }
  window.imageadminAssetChooser = true;

  const DEBOUNCE_MS = 250;
  let dialog = null; // made on first use, then reused by every widget
  let opener = null; // the widget the dialog is choosing for
  let results = []; // the assets the dialog shows, by index
  let timer = 0;
  let inFlight = null; // the AbortController of the running search

  function part(widget, selector) {
    return widget.querySelector(selector);
  }

  function csrfToken(widget) {
    const form = widget.closest("form");
    const field = (form && form.querySelector("input[name=csrfmiddlewaretoken]")) ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    if (field) {
      return field.value;
    }
    const cookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return cookie ? decodeURIComponent(cookie[1]) : "";
  }

  // POST `data` to one of the chooser's endpoints, which answer JSON.
  function postForm(widget, url, data) {
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(widget), Accept: "application/json" },
    });
  }

  function say(widget, message, kind) {
    const status = part(widget, ".asset-chooser-status");
    status.textContent = message || "";
    status.className = "asset-chooser-status" + (kind ? " asset-chooser-" + kind : "");
    status.hidden = !message;
  }

  // Show `asset` (the endpoints' JSON, or null) as the widget's value.
  function show(widget, asset) {
    const input = part(widget, "input[type=hidden]");
    const thumb = part(widget, ".asset-chooser-thumb");
    const name = part(widget, ".asset-chooser-name");
    const clear = part(widget, ".asset-chooser-clear");
    input.value = asset ? String(asset.id) : "";
    if (asset && asset.thumbnail) {
      thumb.src = asset.thumbnail.url;
      thumb.width = asset.thumbnail.width;
      thumb.height = asset.thumbnail.height;
      thumb.hidden = false;
    } else {
      thumb.removeAttribute("src");
      thumb.hidden = true;
    }
    name.textContent = asset ? asset.name : "";
    if (asset && asset.change_url) {
      name.href = asset.change_url;
    } else {
      name.removeAttribute("href");
    }
    name.hidden = !asset;
    part(widget, ".asset-chooser-size").textContent = asset ? asset.dimensions : "";
    const empty = part(widget, ".asset-chooser-empty");
    empty.textContent = "No image chosen.";
    empty.hidden = Boolean(asset);
    if (clear) {
      clear.hidden = !asset;
    }
    widget.classList.toggle("asset-chooser-set", Boolean(asset));
    part(widget, ".asset-chooser-frame").dataset.focal = asset && asset.focal ? asset.focal : "";
    placeMarker(widget);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // --- the focal point: click the thumbnail to set it (as on the asset page) -----------------

  // Show the chosen image's focal point (its `data-focal`, "x,y"; empty: the centre).
  function placeMarker(widget) {
    const frame = part(widget, ".asset-chooser-frame");
    const marker = part(widget, ".asset-chooser-marker");
    const thumb = part(widget, ".asset-chooser-thumb");
    const centre = part(widget, ".asset-chooser-centre");
    const value = frame.dataset.focal || "";
    const point = value ? value.split(",").map(Number) : [0.5, 0.5];
    marker.style.left = (point[0] * 100).toFixed(2) + "%";
    marker.style.top = (point[1] * 100).toFixed(2) + "%";
    marker.classList.toggle("is-centre", !value);
    marker.hidden = thumb.hidden || !widget.dataset.focalUrl;
    frame.classList.toggle("asset-chooser-focal", Boolean(widget.dataset.focalUrl) && !thumb.hidden);
    if (centre) {
      centre.hidden = !value || thumb.hidden;
    }
  }

  async function setFocal(widget, value) {
    const input = part(widget, "input[type=hidden]");
    const data = new FormData();
    data.append("asset", input.value);
    data.append("focal", value);
    widget.classList.add("asset-chooser-busy");
    say(widget, "Saving the focal point…", "busy");
    try {
      const response = await postForm(widget, widget.dataset.focalUrl, data);
      const body = await readJson(response);
      if (response.ok && body.asset) {
        part(widget, ".asset-chooser-frame").dataset.focal = body.asset.focal;
        placeMarker(widget);
        say(widget, body.message, "ok");
      } else {
        say(widget, body.message, "error");
      }
    } catch (err) {
      say(widget, "The focal point was not saved: the connection was lost.", "error");
    } finally {
      widget.classList.remove("asset-chooser-busy");
    }
  }

  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element) || !event.target.matches(".asset-chooser-thumb")) {
      return;
    }
    const widget = event.target.closest("[data-asset-chooser]");
    if (!widget || !widget.dataset.focalUrl || !part(widget, "input[type=hidden]").value) {
      return;
    }
    const box = event.target.getBoundingClientRect();
    if (!box.width || !box.height) {
      return;
    }
    const clamp = function (v) {
      return Math.min(1, Math.max(0, v));
    };
    const x = clamp((event.clientX - box.left) / box.width).toFixed(4);
    const y = clamp((event.clientY - box.top) / box.height).toFixed(4);
    setFocal(widget, x + "," + y);
  });

  function placeAll() {
    for (const widget of document.querySelectorAll("[data-asset-chooser]")) {
      placeMarker(widget);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", placeAll);
  } else {
    placeAll();
  }

  // Return the JSON body, or a message when the answer is not JSON (a proxy's error page).
  async function readJson(response) {
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) {
      return response.json();
    }
    return {
      message: response.status === 403
        ? "Permission denied, or the page is out of date: reload it and try again."
        : "The server answered " + response.status + ": try again.",
    };
  }

  // --- upload ---------------------------------------------------------------------------------

  async function upload(widget, file) {
    const data = new FormData();
    data.append("file", file, file.name);
    widget.classList.add("asset-chooser-busy");
    say(widget, "Uploading " + file.name + "…", "busy");
    try {
      const response = await postForm(widget, widget.dataset.uploadUrl, data);
      const body = await readJson(response);
      if (response.ok && body.asset) {
        show(widget, body.asset);
        say(widget, body.message, body.duplicate ? "notice" : "ok");
      } else {
        say(widget, body.message, "error");
      }
    } catch (err) {
      say(widget, "The upload of " + file.name + " failed: the connection was lost.", "error");
    } finally {
      widget.classList.remove("asset-chooser-busy");
    }
  }

  // --- the search dialog ----------------------------------------------------------------------

  function makeDialog() {
    const box = document.createElement("dialog");
    box.className = "asset-chooser-dialog";
    box.setAttribute("aria-labelledby", "asset-chooser-dialog-title");
    box.innerHTML =
      '<form method="dialog" class="asset-chooser-dialog-head">' +
      '<h2 id="asset-chooser-dialog-title">Choose an image</h2>' +
      '<button value="cancel" class="asset-chooser-close" aria-label="Close">×</button></form>' +
      '<input type="search" class="asset-chooser-search" autocomplete="off" ' +
      'placeholder="Search by name or alt text" aria-label="Search images by name or alt text">' +
      '<p class="asset-chooser-dialog-status" role="status" aria-live="polite"></p>' +
      '<ul class="asset-chooser-results"></ul>';
    document.body.append(box);
    const search = box.querySelector(".asset-chooser-search");
    search.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(runSearch, DEBOUNCE_MS);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        window.clearTimeout(timer);
        runSearch();
      }
    });
    box.addEventListener("click", function (event) {
      if (event.target === box) {
        box.close(); // a click on the backdrop
        return;
      }
      const item = event.target.closest(".asset-chooser-result");
      if (item && opener) {
        const widget = opener;
        show(widget, results[Number(item.dataset.index)]);
        say(widget, "");
        box.close();
      }
    });
    box.addEventListener("close", function () {
      window.clearTimeout(timer);
      if (inFlight) {
        inFlight.abort();
      }
      if (opener) {
        const choose = opener.querySelector("[data-asset-chooser-action=choose]");
        opener = null;
        choose.focus();
      }
    });
    return box;
  }

  function resultItem(asset, index, current) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "asset-chooser-result";
    button.dataset.index = String(index);
    button.dataset.assetId = String(asset.id);
    if (String(asset.id) === current) {
      button.setAttribute("aria-current", "true");
    }
    const img = document.createElement("img");
    img.alt = "";
    img.loading = "lazy";
    if (asset.thumbnail) {
      img.src = asset.thumbnail.url;
      img.width = asset.thumbnail.width;
      img.height = asset.thumbnail.height;
    }
    const name = document.createElement("strong");
    name.textContent = asset.name;
    const size = document.createElement("span");
    size.className = "asset-chooser-size";
    size.textContent = asset.dimensions;
    button.append(img, name, size);
    if (asset.alt) {
      const alt = document.createElement("span");
      alt.className = "asset-chooser-alt";
      alt.textContent = asset.alt;
      button.append(alt);
    }
    li.append(button);
    return li;
  }

  function showResults(body) {
    const list = dialog.querySelector(".asset-chooser-results");
    const status = dialog.querySelector(".asset-chooser-dialog-status");
    const current = opener ? part(opener, "input[type=hidden]").value : "";
    results = body.results;
    list.dataset.query = body.query; // which search the list shows (tests wait on it)
    list.replaceChildren.apply(list, results.map(function (asset, index) {
      return resultItem(asset, index, current);
    }));
    if (!results.length) {
      status.textContent = body.query ? "No image matches “" + body.query + "”."
        : "No images yet: use Upload to add one.";
    } else if (body.more) {
      status.textContent = "Showing the newest " + body.limit +
        " matches: refine your search to find others.";
    } else {
      status.textContent = results.length === 1 ? "1 image." : results.length + " images.";
    }
    status.className = "asset-chooser-dialog-status";
  }

  async function runSearch() {
    if (!opener) {
      return;
    }
    if (inFlight) {
      inFlight.abort();
    }
    const controller = new AbortController();
    inFlight = controller;
    const status = dialog.querySelector(".asset-chooser-dialog-status");
    const url = new URL(opener.dataset.searchUrl, window.location.href);
    url.searchParams.set("q", dialog.querySelector(".asset-chooser-search").value.trim());
    status.textContent = "Searching…";
    dialog.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(url, {
        signal: controller.signal,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      const body = await readJson(response);
      if (response.ok) {
        showResults(body);
      } else {
        results = [];
        dialog.querySelector(".asset-chooser-results").replaceChildren();
        status.textContent = body.message;
        status.className = "asset-chooser-dialog-status asset-chooser-error";
      }
    } catch (err) {
      if (err.name !== "AbortError") {
        status.textContent = "The search failed: the connection was lost.";
        status.className = "asset-chooser-dialog-status asset-chooser-error";
      }
    } finally {
      if (inFlight === controller) {
        inFlight = null;
        dialog.removeAttribute("aria-busy");
      }
    }
  }

  function open(widget) {
    dialog = dialog || makeDialog();
    opener = widget;
    dialog.showModal();
    const search = dialog.querySelector(".asset-chooser-search");
    search.focus();
    search.select();
    runSearch();
  }

  // --- one set of listeners for every widget, present or added later --------------------------

  document.addEventListener("click", function (event) {
    if (!(event.target instanceof Element)) {
      return;
    }
    const button = event.target.closest("[data-asset-chooser-action]");
    const widget = button && button.closest("[data-asset-chooser]");
    if (!widget || button.disabled) {
      return;
    }
    const action = button.dataset.assetChooserAction;
    if (action === "choose") {
      open(widget);
    } else if (action === "upload") {
      part(widget, ".asset-chooser-file").click();
    } else if (action === "clear") {
      show(widget, null);
      say(widget, "");
    } else if (action === "focal-reset") {
      setFocal(widget, "");
    }
  });

  document.addEventListener("change", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.matches(".asset-chooser-file")) {
      return;
    }
    const widget = input.closest("[data-asset-chooser]");
    const file = input.files && input.files[0];
    input.value = ""; // the same file can be chosen again after a refusal
    if (widget && file) {
      upload(widget, file);
    }
  });
})();
