// The lessons' formulas ($...$, $$...$$, \(...\), \[...\] in their text cells) typeset by
// KaTeX, which this site serves itself (assets/vendor/katex). Re-run on every page view
// (the theme's instant navigation swaps pages without reloading scripts).
document$.subscribe(function () {
  document.querySelectorAll(".jp-RenderedMarkdown").forEach(function (cell) {
    renderMathInElement(cell, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "\\[", right: "\\]", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    });
  });
});
