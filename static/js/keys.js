// Govern's keyboard shortcuts: the same single keys in every browser (no accesskey).
// A page says what its keys do with data attributes; this file holds no page logic:
//   [data-key="j"] a link or button the key follows or presses (j, k, a, s, ...)
//   [data-key-focus="r"] a field the key focuses; a form's [data-key-submit] button is then
//     pressed by Ctrl+Enter (or Cmd+Enter) from that field (the form's [data-key="r"] button,
//     if it has one, becomes that button)
//   [data-key-check="r"] a radio or checkbox the key ticks as it focuses its field
//   [data-key-rows] a table whose rows j and k walk when the page has no j/k link; Enter
//     opens the marked row's first link, x ticks its checkbox
//   #key-help, a <dialog> that ? opens and Escape closes
(function () {
  "use strict";

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function byKey(key) {
    return document.querySelector('[data-key="' + key + '"]');
  }

  function press(element) {
    if (element.disabled) {
      return;
    }
    element.focus();
    element.click();
  }

  function rowsOf() {
    const table = document.querySelector("[data-key-rows]");
    return table ? Array.from(table.tBodies[0].rows) : [];
  }

  function markRow(step) {
    const rows = rowsOf();
    if (rows.length === 0) {
      return false;
    }
    const current = rows.findIndex((row) => row.classList.contains("marked"));
    const next = Math.min(rows.length - 1, Math.max(0, current === -1 ? 0 : current + step));
    rows.forEach((row) => row.classList.remove("marked"));
    rows[next].classList.add("marked");
    rows[next].setAttribute("tabindex", "-1");
    rows[next].focus();
    return true;
  }

  function markedRow() {
    return rowsOf().find((row) => row.classList.contains("marked")) || null;
  }

  function onRow(key) {
    const row = markedRow();
    if (row === null) {
      return false;
    }
    const target = key === "Enter" ? row.querySelector("a[href]") : row.querySelector("input[type=checkbox]");
    if (target === null) {
      return false;
    }
    target.click();
    return true;
  }

  function help() {
    const dialog = document.getElementById("key-help");
    if (dialog && !dialog.open) {
      dialog.showModal();
    }
  }

  function submitFrom(field) {
    const form = field.form;
    const button = form ? form.querySelector("[data-key-submit]") : null;
    if (button) {
      press(button);
    }
  }

  // The button Ctrl+Enter presses from a field: the one the key names, if its form has one.
  function pending(form, key) {
    const button = form ? form.querySelector('[data-key="' + key + '"]') : null;
    if (button === null) {
      return;
    }
    form.querySelectorAll("[data-key-submit]").forEach((b) => b.removeAttribute("data-key-submit"));
    button.setAttribute("data-key-submit", "");
  }

  function handle(event) {
    if (event.altKey || event.defaultPrevented) {
      return;
    }
    const target = event.target;
    if (typing(target)) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submitFrom(target);
      } else if (event.key === "Escape") {
        target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey) {
      return;
    }
    if (event.key === "?") {
      event.preventDefault();
      help();
      return;
    }
    if ((event.key === "Enter" || event.key === "x") && onRow(event.key)) {
      event.preventDefault();
      return;
    }
    const field = document.querySelector('[data-key-focus="' + event.key + '"]');
    if (field) {
      event.preventDefault();
      document.querySelectorAll('[data-key-check="' + event.key + '"]').forEach((box) => {
        box.checked = true;
      });
      field.focus();
      pending(field.form, event.key);
      return;
    }
    const element = byKey(event.key);
    if (element) {
      event.preventDefault();
      press(element);
      return;
    }
    if ((event.key === "j" || event.key === "k") && markRow(event.key === "j" ? 1 : -1)) {
      event.preventDefault();
    }
  }

  document.addEventListener("keydown", handle);
})();
