// Copy buttons: data-copy="text" or data-copy-from="<id of an input/textarea>".
"use strict";
(function () {
  function fallbackCopy(text) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    area.remove();
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return fallbackCopy(text);
      });
    }
    return fallbackCopy(text);
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest(".assets-copy");
    if (!button) {
      return;
    }
    event.preventDefault();
    let text = button.dataset.copy;
    if (button.dataset.copyFrom) {
      const source = document.getElementById(button.dataset.copyFrom);
      text = source ? source.value : "";
    }
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    copy(text || "").then(
      function () {
        button.textContent = "Copied";
        button.classList.add("assets-copied");
      },
      function () {
        button.textContent = "Press Ctrl+C";
      }
    ).finally(function () {
      window.setTimeout(function () {
        button.textContent = label;
        button.classList.remove("assets-copied");
      }, 1500);
    });
  });
})();
