"""What the demos add to Gradio's page so that it meets WCAG 2.1 AA (axe-core's rules, run on
every tab by tests/test_demo_app.py).

Gradio's default theme draws white text on a light orange (3.6:1; AA asks 4.5:1) and its
footer and small print in light grey (1.9:1); a few of its elements carry no accessible
name, or an ARIA attribute their role does not allow. ``CSS`` sets readable colours in
both schemes; ``HEAD`` names what Gradio leaves unnamed, as Gradio renders it, and makes
each answer a live region, so that a screen reader reads it out when it changes.
"""

ANSWER_CLASS = "demo-answer"  # elem_classes of the outputs a screen reader should announce

CSS = """
:root, .dark {
  --button-primary-background-fill: #bf360c;
  --button-primary-background-fill-hover: #9a2c09;
  --button-primary-text-color: #ffffff;
  --button-primary-text-color-hover: #ffffff;
  --demo-small-print: #52525b;
}
.dark {
  --demo-small-print: #d4d4d8;
}
footer, footer a, footer button, footer .built-with, .or, [data-testid="max-value"],
[data-testid="min-value"] {
  color: var(--demo-small-print) !important;
}
"""

HEAD = """
<script>
(() => {
  function fix() {
    // placeholders of empty outputs: an icon with a name needs the role of an image
    document.querySelectorAll(".empty[aria-label]:not([role])").forEach((icon) => icon.setAttribute("role", "img"));
    // example thumbnails are buttons holding only an image: name them after the file
    document.querySelectorAll("button.gallery-item:not([aria-label])").forEach((button) => {
      const image = button.querySelector("img");
      if (!image) return;
      const file = decodeURIComponent(image.src.split("/").pop()).replace(/\\.\\w+$/, "").replace(/-/g, " ");
      button.setAttribute("aria-label", `Example: ${file}`);
    });
    // the upload area's name holds the words it shows ("Drop Image Here - or - Click to Upload")
    document.querySelectorAll("button.upload-container").forEach((button) => {
      const words = button.innerText.replace(/\\s+/g, " ").trim();
      if (words && button.getAttribute("aria-label") !== words) button.setAttribute("aria-label", words);
    });
    // buttons that show only an icon or a picture: named by their tooltip, else by their block's label
    document.querySelectorAll("button:not([aria-label])").forEach((button) => {
      if (button.innerText.trim()) return;
      const label = button.closest(".block")?.querySelector("[data-testid='block-label']");
      const name = button.title || (label && label.innerText.trim());
      if (name) button.setAttribute("aria-label", name);
    });
    // answers are read out when they change
    document.querySelectorAll(".%(answer)s:not([aria-live])").forEach((answer) => answer.setAttribute("aria-live", "polite"));
  }
  new MutationObserver(fix).observe(document.documentElement, { childList: true, subtree: true });
})();
</script>
""" % {"answer": ANSWER_CLASS}
