/* The references of an in-text citation, in a popover next to it, on hover or keyboard
   focus (pandoc/filters/citation-popovers.lua inlines this at the end of the page).
   Each citation link names its entries in aria-describedby; the popover shows copies of
   them. It stays open while the pointer is over it, closes with Escape, and is absolutely
   positioned: nothing on the page moves. */
(function () {
  "use strict";
  var popover = document.createElement("div");
  popover.id = "citation-popover";
  popover.className = "citation-popover";
  popover.setAttribute("role", "tooltip");
  popover.hidden = true;
  document.body.appendChild(popover);
  var current = null;
  var timer = 0;

  function linkOf(node) {
    var link = node instanceof Element ? node.closest("a[aria-describedby]") : null;
    return link && link.closest(".citation") ? link : null;
  }

  function place(link) {
    var margin = 6;
    var box = link.getBoundingClientRect();
    var width = popover.offsetWidth;
    var height = popover.offsetHeight;
    var view = document.documentElement.clientWidth;
    var top = box.bottom + margin;
    if (top + height > window.innerHeight && box.top - margin - height >= 0) {
      top = box.top - margin - height;  /* no room below the link: above it */
    }
    /* below the link, starting where it starts, within its paragraph's column and the window */
    var column = (link.closest("p, li, td, th, figcaption, div") || document.body).getBoundingClientRect();
    var left = Math.max(Math.min(box.left, column.right - width), column.left);
    left = Math.min(Math.max(left, 8), Math.max(8, view - width - 8));
    popover.style.top = Math.round(top + window.scrollY) + "px";
    popover.style.left = Math.round(left + window.scrollX) + "px";
  }

  function show(link) {
    clearTimeout(timer);
    if (current === link && !popover.hidden) {
      return;
    }
    var target = (link.getAttribute("href") || "").slice(1);
    popover.textContent = "";
    link.getAttribute("aria-describedby").split(/\s+/).forEach(function (id) {
      var entry = document.getElementById(id);
      if (!entry) {
        return;
      }
      var copy = entry.cloneNode(true);
      copy.removeAttribute("id");
      copy.removeAttribute("role");
      copy.className = "citation-popover-entry" + (id === target ? " is-linked" : "");
      popover.appendChild(copy);
    });
    if (!popover.firstChild) {
      return;
    }
    current = link;
    popover.style.top = "0px";
    popover.style.left = "0px";
    popover.hidden = false;
    place(link);
  }

  function hide() {
    clearTimeout(timer);
    popover.hidden = true;
    current = null;
  }

  function hideSoon() {
    clearTimeout(timer);
    timer = setTimeout(hide, 200);  /* time to move the pointer onto the popover */
  }

  document.addEventListener("mouseover", function (event) {
    var link = linkOf(event.target);
    if (link) {
      show(link);
    } else if (popover.contains(event.target)) {
      clearTimeout(timer);
    }
  });
  document.addEventListener("mouseout", function (event) {
    if ((linkOf(event.target) || popover.contains(event.target))
        && !(event.relatedTarget && (popover.contains(event.relatedTarget)
                                     || linkOf(event.relatedTarget) === current))) {
      if (!(current && current === document.activeElement)) {
        hideSoon();
      }
    }
  });
  document.addEventListener("focusin", function (event) {
    var link = linkOf(event.target);
    if (link) {
      show(link);
    } else if (!popover.contains(event.target)) {
      hide();
    }
  });
  document.addEventListener("focusout", function (event) {
    if (linkOf(event.target) === current) {
      hideSoon();
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !popover.hidden) {
      hide();
    }
  });
  document.addEventListener("click", function (event) {
    if (linkOf(event.target)) {
      hide();  /* the link goes to the entry itself */
    }
  });
  window.addEventListener("resize", function () {
    if (current && !popover.hidden) {
      place(current);
    }
  });
})();
