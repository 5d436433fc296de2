// The main menu folds behind a button on narrow screens (the CSS says when); without this
// script it simply stays open. A table (or a .scroll box) wider than the screen scrolls inside
// itself, so it takes the keyboard focus too (arrow keys scroll it).
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.querySelectorAll("table, .scroll").forEach(function (table) {
    if (table.scrollWidth > table.clientWidth) {
      table.setAttribute("tabindex", "0");
    }
  });
  const toggle = document.querySelector(".menu-toggle");
  const menu = document.getElementById("main-menu");
  if (toggle === null || menu === null) {
    return;
  }
  toggle.addEventListener("click", function () {
    const open = menu.classList.toggle("open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
