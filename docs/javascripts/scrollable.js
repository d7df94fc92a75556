// Outputs and code that scroll sideways must be reachable with the keyboard (WCAG 2.1.1):
// give each box that really scrolls a tab stop and a name. Re-run on every page view
// (instant navigation) and when the window's width changes what scrolls.
(function () {
  var BOXES = ".jupyter-wrapper pre, .jupyter-wrapper .jp-OutputArea-output, .md-typeset pre > code, .md-typeset__scrollwrap";

  function markScrollable() {
    document.querySelectorAll(BOXES).forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", box.closest(".jp-OutputArea") ? "Output (scrollable)" : "Code (scrollable)");
      }
    });
  }

  var timer = null;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(markScrollable, 200);
  });
  document$.subscribe(markScrollable);
})();
