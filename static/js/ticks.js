// The review queue's ticks: how many rows are ticked, a box that ticks every row of the page
// that can be decided together, and the choice of every such version in the filter.
//   [data-tick] a row's box; [data-tick-all] ticks them all; [data-ticked] the line that
//   counts them in [data-ticked-count]; [data-tick-filter] decides the whole filter instead
(function () {
  "use strict";

  const all = document.querySelector("[data-tick-all]");
  const line = document.querySelector("[data-ticked]");
  if (all === null || line === null) {
    return;
  }
  const boxes = Array.from(document.querySelectorAll("[data-tick]"));
  const count = line.querySelector("[data-ticked-count]");
  const filter = line.querySelector("[data-tick-filter]");

  const show = function () {
    const ticked = boxes.filter((box) => box.checked).length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
    if (filter.checked) {
      count.textContent = "Every version in the filter that can be decided together:";
    } else {
      count.textContent = ticked + " of " + boxes.length + " on this page ticked.";
    }
  };
  all.addEventListener("change", function () {
    boxes.forEach((box) => {
      box.checked = all.checked;
    });
    show();
  });
  boxes.forEach((box) => box.addEventListener("change", show));
  filter.addEventListener("change", function () {
    boxes.forEach((box) => {
      box.disabled = filter.checked;
    });
    all.disabled = filter.checked;
    show();
  });
  all.hidden = boxes.length === 0;
  line.hidden = false;
  show();
})();
