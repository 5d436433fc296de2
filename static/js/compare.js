// The review page's comparison: the approved version under the new one at the same scale,
// a slider for how much of the new one shows (onion skin), and zoom with panning.
//   [data-onion] the stack; its [data-onion-top] image fades with [data-onion-slider]
//   [data-zoom] a scroll box whose [data-zoom-target] doubles in width on each press of its
//     zoom-in button (and halves on zoom-out); the box scrolls to pan
(function () {
  "use strict";

  document.querySelectorAll("[data-onion]").forEach(function (stack) {
    const top = stack.querySelector("[data-onion-top]");
    const slider = document.querySelector('[data-onion-slider="' + stack.id + '"]');
    if (top === null || slider === null) {
      return;
    }
    const apply = function () {
      top.style.opacity = String(Number(slider.value) / 100);
    };
    slider.addEventListener("input", apply);
    apply();
  });

  document.querySelectorAll("[data-zoom]").forEach(function (box) {
    let scale = 1;
    const target = box.querySelector("[data-zoom-target]");
    const label = document.querySelector('[data-zoom-label="' + box.id + '"]');
    const show = function () {
      if (target !== null) {
        target.style.width = String(scale * 100) + "%";
      }
      if (label !== null) {
        label.textContent = String(scale) + "×";
      }
    };
    document.querySelectorAll('[data-zoom-in="' + box.id + '"]').forEach(function (button) {
      button.addEventListener("click", function () {
        scale = Math.min(8, scale * 2);
        show();
      });
    });
    document.querySelectorAll('[data-zoom-out="' + box.id + '"]').forEach(function (button) {
      button.addEventListener("click", function () {
        scale = Math.max(1, scale / 2);
        show();
      });
    });
  });
})();
