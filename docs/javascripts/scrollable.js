// Outputs and code that scroll sideways must be reachable with the keyboard (WCAG 2.1.1):
// give each box that really scrolls a tab stop and a name. A box is checked when a page is
// shown (instant navigation too), whenever its size changes (the window resized), and
// whenever fonts finish loading (a web font widens the text inside a box of the same size).
(function () {
  var BOXES = ".jupyter-wrapper pre, .jupyter-wrapper .highlight-ipynb, .jupyter-wrapper .jp-OutputArea-output, " +
              ".md-typeset pre > code, .md-typeset__scrollwrap";

  function mark(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", box.closest(".jp-OutputArea") ? "Output (scrollable)" : "Code (scrollable)");
    }
  }

  var watcher = new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { mark(entry.target); });
  });

  function markAll() {
    document.querySelectorAll(BOXES).forEach(mark);
  }

  if (document.fonts) document.fonts.addEventListener("loadingdone", markAll);
  document$.subscribe(function () {
    document.querySelectorAll(BOXES).forEach(function (box) {
      mark(box);
      watcher.observe(box);
    });
    if (document.fonts) document.fonts.ready.then(markAll);
  });
})();
