/* Every page: focus the error summary, keyboard shortcuts (data-key), row navigation (j/k). */
(function () {
  "use strict";

  function focusSummary(root) {
    var summary = root.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable=true]");
  }

  function moveRow(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
    if (!rows.length) { return; }
    var index = rows.indexOf(document.activeElement);
    rows[Math.max(0, Math.min(rows.length - 1, index < 0 ? 0 : index + step))].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (typing(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    if (event.key === "j" || event.key === "k") {
      if (document.querySelector("[data-row-link]")) { event.preventDefault(); moveRow(event.key === "j" ? 1 : -1); }
      return;
    }
    var target = document.querySelector("[data-key='" + event.key.replace(/'/g, "") + "']");
    if (!target || target.disabled) { return; }
    event.preventDefault();
    if (target.tagName === "DETAILS") { target.open = true; target.querySelector("summary").focus(); return; }
    target.focus();
    if (target.getAttribute("data-key-action") === "click") { target.click(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    focusSummary(document);
    document.body.addEventListener("htmx:afterSwap", function (event) { focusSummary(event.detail.target); });
  });
})();
