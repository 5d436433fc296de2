// The review page's comparison: the new version beside the approved one and over it (onion
// skin), zooming and moving together, and comments pinned by drawing a box on the new one.
//   [data-onion] the stack; its [data-onion-top] image fades with [data-onion-slider]
//   [data-zoom="G"] scroll boxes of zoom group G; each holds one [data-zoom-target]
//   [data-zoom-controls="G"] the group's bar (shown only with this script); its
//     data-zoom-focus="x y" is where the first zoom centres (the changed region, as fractions);
//     [data-zoom-in|out|fit="G"] buttons, [data-zoom-label="G"] the scale,
//     [data-zoom-note="G"] says what happened (the bounds, a box cut at the image's edge)
//   [data-draw="BOX"] toggles drawing a comment box on the target in the zoom box BOX; the
//     box drawn fills the comment form's x, y, width and height (percent) and its [data-drawn]
//     rect shows it
(function () {
  "use strict";

  const MOST = 8;

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

  function targetOf(box) {
    return box.querySelector("[data-zoom-target]");
  }

  // The middle of what a box shows, as fractions of its target.
  function centreOf(box) {
    const target = targetOf(box);
    return [
      (box.scrollLeft + box.clientWidth / 2 - target.offsetLeft) / target.offsetWidth,
      (box.scrollTop + box.clientHeight / 2 - target.offsetTop) / target.offsetHeight,
    ];
  }

  function centreOn(box, centre) {
    const target = targetOf(box);
    box.scrollLeft = target.offsetLeft + centre[0] * target.offsetWidth - box.clientWidth / 2;
    box.scrollTop = target.offsetTop + centre[1] * target.offsetHeight - box.clientHeight / 2;
  }

  function resize(box, scale) {
    const target = targetOf(box);
    if (scale === 1) {
      target.style.width = "";
      delete target.dataset.base;
      box.classList.remove("zoomed");
      return;
    }
    if (!target.dataset.base) {
      target.dataset.base = String(target.getBoundingClientRect().width);
    }
    box.classList.add("zoomed");
    target.style.width = String(Number(target.dataset.base) * scale) + "px";
  }

  function group(name, controls) {
    const boxes = Array.from(document.querySelectorAll('[data-zoom="' + name + '"]'));
    const label = controls.querySelector('[data-zoom-label="' + name + '"]');
    const note = controls.querySelector('[data-zoom-note="' + name + '"]');
    const focus = (controls.dataset.zoomFocus || "").split(" ").map(Number);
    let scale = 1;
    let syncing = false;

    const say = function (words) {
      note.textContent = words;
    };
    const zoom = function (next) {
      const centre = scale === 1 && focus.length === 2 ? focus : centreOf(boxes[0]);
      scale = next;
      syncing = true;
      boxes.forEach(function (box) {
        resize(box, scale);
        centreOn(box, centre);
      });
      requestAnimationFrame(function () {
        syncing = false;
      });
      label.textContent = String(scale) + "×";
    };
    controls.querySelector('[data-zoom-in="' + name + '"]').addEventListener("click", function () {
      if (scale >= MOST) {
        say(MOST + "× is the closest zoom.");
        return;
      }
      zoom(scale * 2);
      say("Zoomed to " + scale + "×.");
    });
    controls.querySelector('[data-zoom-out="' + name + '"]').addEventListener("click", function () {
      if (scale <= 1) {
        say("1× already shows the whole image.");
        return;
      }
      zoom(scale / 2);
      say("Zoomed to " + scale + "×.");
    });
    controls.querySelector('[data-zoom-fit="' + name + '"]').addEventListener("click", function () {
      zoom(1);
      say("The whole image.");
    });
    boxes.forEach(function (box) {
      box.addEventListener("scroll", function () {
        if (syncing) {
          return;
        }
        const centre = centreOf(box);
        syncing = true;
        boxes.filter((other) => other !== box).forEach((other) => centreOn(other, centre));
        requestAnimationFrame(function () {
          syncing = false;
        });
      });
      pan(box);
    });
    controls.hidden = false;
  }

  // Drag with the mouse to move a zoomed image (touch screens scroll by themselves).
  function pan(box) {
    let from = null;
    box.addEventListener("pointerdown", function (event) {
      if (event.pointerType !== "mouse" || event.button !== 0 || box.classList.contains("drawing")) {
        return;
      }
      from = [event.clientX, event.clientY, box.scrollLeft, box.scrollTop];
      box.setPointerCapture(event.pointerId);
      box.classList.add("panning");
    });
    box.addEventListener("pointermove", function (event) {
      if (from !== null) {
        box.scrollLeft = from[2] - (event.clientX - from[0]);
        box.scrollTop = from[3] - (event.clientY - from[1]);
      }
    });
    const stop = function () {
      from = null;
      box.classList.remove("panning");
    };
    box.addEventListener("pointerup", stop);
    box.addEventListener("pointercancel", stop);
  }

  document.querySelectorAll("[data-zoom-controls]").forEach(function (controls) {
    group(controls.dataset.zoomControls, controls);
  });

  // Drawing a comment box.
  function clamp(value) {
    return Math.min(1, Math.max(0, value));
  }

  function fraction(target, event) {
    const rect = target.getBoundingClientRect();
    return [(event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height];
  }

  // The box between two points, kept inside the image; a click makes a small box around it.
  function boxBetween(start, end) {
    const inside = [start, end].every((p) => p.every((v) => v >= 0 && v <= 1));
    let [x1, y1] = start.map(clamp);
    let [x2, y2] = end.map(clamp);
    if (Math.abs(x2 - x1) < 0.01 && Math.abs(y2 - y1) < 0.01) {
      [x1, y1, x2, y2] = [clamp(x1 - 0.03), clamp(y1 - 0.03), clamp(x1 + 0.03), clamp(y1 + 0.03)];
    }
    return {
      x: Math.min(x1, x2), y: Math.min(y1, y2),
      width: Math.abs(x2 - x1), height: Math.abs(y2 - y1), cut: !inside,
    };
  }

  function percent(value) {
    return String(Math.floor(value * 1000) / 10);
  }

  function fill(box) {
    ["x", "y", "width", "height"].forEach(function (name) {
      const field = document.querySelector('fieldset.region input[name="' + name + '"]');
      if (field !== null) {
        field.value = percent(box[name]);
      }
    });
  }

  function show(rect, box) {
    rect.setAttribute("x", box.x);
    rect.setAttribute("y", box.y);
    rect.setAttribute("width", box.width);
    rect.setAttribute("height", box.height);
    rect.removeAttribute("hidden");
  }

  document.querySelectorAll("[data-draw]").forEach(function (toggle) {
    const zoomBox = document.getElementById(toggle.dataset.draw);
    const target = zoomBox ? targetOf(zoomBox) : null;
    const rect = target ? target.querySelector("[data-drawn]") : null;
    const note = document.querySelector('[data-zoom-note="' + (zoomBox && zoomBox.dataset.zoom) + '"]');
    if (rect === null) {
      return;
    }
    let start = null;
    const drawing = function (on) {
      toggle.setAttribute("aria-pressed", String(on));
      zoomBox.classList.toggle("drawing", on);
      if (on && note) {
        note.textContent = "Drag over the new version to draw the box your comment is about.";
      }
    };
    toggle.addEventListener("click", function () {
      drawing(toggle.getAttribute("aria-pressed") !== "true");
    });
    target.addEventListener("pointerdown", function (event) {
      if (!zoomBox.classList.contains("drawing") || event.button !== 0) {
        return;
      }
      event.preventDefault();
      start = fraction(target, event);
      target.setPointerCapture(event.pointerId);
    });
    target.addEventListener("pointermove", function (event) {
      if (start !== null) {
        show(rect, boxBetween(start, fraction(target, event)));
      }
    });
    target.addEventListener("pointerup", function (event) {
      if (start === null) {
        return;
      }
      const box = boxBetween(start, fraction(target, event));
      start = null;
      show(rect, box);
      fill(box);
      drawing(false);
      if (note) {
        note.textContent = (box.cut ? "The box went past the image's edge: it keeps the part inside the image. " : "") +
          "Box drawn at " + percent(box.x) + "%, " + percent(box.y) + "%: write your comment and add it.";
      }
      const body = document.getElementById("comment-body");
      if (body !== null) {
        body.focus();
      }
    });
  });
})();
