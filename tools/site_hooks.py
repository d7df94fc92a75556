"""MkDocs hooks: lesson scripts beside their notebooks, model-card figures and the hosted
demos' address on the demos page, the in-page demos at the end of lessons 9, 10 and 12, the files the site serves itself,
folded solutions and Colab setup cells, and text alternatives on the lessons' figures.

Kept free of imports from the package (and so of torch), so that the site builds from
files alone: the in-page models come from ``python -m learntorch.export`` (``build/models``),
the runtime, maths and fonts from npm packages (``npm ci`` into ``node_modules``); ``make
models`` makes both, and the build copies only the files the pages use.
"""

import json
import logging
import re
import shutil
from pathlib import Path


log = logging.getLogger("mkdocs.hooks.learntorch")

# Copied into the built site's assets/: target folder -> (source folder, files in it).
# From the npm packages (pinned in package.json): only what the pages load, with licences.
SITE_ASSETS = {
    "vendor/onnxruntime-web": ("node_modules/onnxruntime-web", [
        # MIT: the licence is stated at the top of the .mjs and in package.json
        "dist/ort.wasm.bundle.min.mjs", "dist/ort-wasm-simd-threaded.wasm", "package.json"]),
    "vendor/katex": ("node_modules/katex", [
        "dist/katex.min.js", "dist/katex.min.css", "dist/contrib/auto-render.min.js",
        "dist/fonts/*.woff2", "LICENSE"]),
    "vendor/fonts": ("node_modules/@fontsource", [
        "roboto/files/roboto-latin-[347]00-*.woff2", "roboto-mono/files/roboto-mono-latin-[47]00-*.woff2",
        "roboto/LICENSE", "roboto-mono/LICENSE"]),
    "models": ("build/models", ["*.onnx", "*.json"]),
    "examples": ("demos/examples", ["digits/*", "fashion/*.png"]),
}
MISSING_HELP = "run `make models` (it runs `npm ci` and `python -m learntorch.export`)"

# The in-page demo appended to a lesson's page: source file -> demo (javascripts/inpage).
LESSON_DEMOS = {
    "lessons/09_cnn.ipynb": "digits",
    "lessons/10_transfer_learning.ipynb": "fashion",
    "lessons/12_lstm_next_word.ipynb": "nextWord",
}


def _copy_site_assets(root: Path, site: Path) -> None:
    for target, (source, patterns) in SITE_ASSETS.items():
        for pattern in patterns:
            found = sorted((root / source).glob(pattern))
            if not found:
                log.warning(f"{source}/{pattern} is missing, so the site would lack it: {MISSING_HELP}")
            for path in found:
                # dist/ and files/ are the packages' layout, not the site's
                relative = Path(*[part for part in path.relative_to(root / source).parts if part not in ("dist", "files")])
                (site / "assets" / target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, site / "assets" / target / relative)


def on_post_build(config, **kwargs):
    root = Path(config["config_file_path"]).parent
    for lesson in sorted((root / "lessons").glob("[0-9][0-9]_*.py")):
        # beside the page and the .ipynb that mkdocs-jupyter publishes: lessons/NN_x/NN_x.py
        target = Path(config["site_dir"]) / "lessons" / lesson.stem
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lesson, target / lesson.name)
    _copy_site_assets(root, Path(config["site_dir"]))


# The notebook template's loaders of MathJax (with an empty address here) and of mermaid
# (from a CDN, for diagrams no lesson has): KaTeX, served by the site, typesets the maths.
NOTEBOOK_LOADERS = [
    re.compile(r"<!-- Load mathjax -->\s*<script src=\"[^\"]*\">\s*</script>"),
    re.compile(r"<!-- MathJax configuration -->.*?<!-- End of mathjax configuration -->", re.DOTALL),
    re.compile(r"<script type=\"module\">\s*document\.addEventListener\(\"DOMContentLoaded\", async \(\) => \{\s*"
               r"const diagrams = document\.querySelectorAll\(\".jp-Mermaid > pre\.mermaid\"\);.*?</script>",
               re.DOTALL),
]


def on_post_page(output, page, config, **kwargs):
    """Drop the notebook template's loaders of scripts from other hosts (see NOTEBOOK_LOADERS)."""
    if 'class="jp-Mermaid' in output:
        log.warning(f"{page.file.src_uri} has a mermaid diagram, which needs mermaid served by the site")
    for loader in NOTEBOOK_LOADERS:
        output = loader.sub("", output)
    return output


def on_page_markdown(markdown, page, config, **kwargs):
    """Replace ``<!-- card: NAME -->`` with a table of ``checkpoints/NAME/card.json``'s figures,
    ``<!-- inpage-models -->`` with one of the in-page models' files, and ``{{ space }}`` with
    the Space that hosts the demos (``extra.space`` in mkdocs.yml)."""
    root = Path(config["config_file_path"]).parent
    markdown = markdown.replace("{{ space }}", config["extra"]["space"])
    markdown = markdown.replace("<!-- inpage-models -->", _inpage_models_table(root / "build" / "models"))
    return re.sub(r"<!-- card: (\w+) -->", lambda match: _card_table(root / "checkpoints" / match[1]), markdown)


def _card_table(folder: Path) -> str:
    card = json.loads((folder / "card.json").read_text())
    metrics = "<br>".join(f"{name.replace('_', ' ')}: {value:.4g}" if isinstance(value, float) else f"{name}: {value}"
                          for name, value in card["test_metrics"].items())
    rows = [("Test-set figures", metrics),
            ("Data", "<br>".join(f"{part}: {text}" for part, text in card["data"].items())),
            ("Architecture", f"`{card['architecture']['class']}`, {card['parameters']:,} parameters"),
            ("Trained", f"{card['epochs']} epochs in {card['wall_time_s'] / 60:.1f} min on {card['device']}, "
                        f"{card['saved_at'][:10]}, torch {card['torch_version']}"),
            ("Weights", f"`checkpoints/{folder.name}/{card['weights']}`, sha256 `{card['sha256'][:16]}…`")]
    return "| | |\n|---|---|\n" + "\n".join(f"| {name} | {value} |" for name, value in rows) + "\n"


def _inpage_models_table(folder: Path) -> str:
    exports = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]
    if not exports:
        log.warning(f"no in-page models in {folder}: {MISSING_HELP}")
        return ""
    rows = [f"| {info['name']} | `{info['model']}` | {info['bytes'] / 1e6:.1f} MB | {info['opset']} "
            f"| `checkpoints/{info['checkpoint']}`, weights sha256 "
            f"`{info['checkpoint_sha256']['model.safetensors'][:16]}…` |" for info in exports]
    total = sum(info["bytes"] for info in exports) / 1e6
    return ("The page downloads each model the first time it is used, "
            f"{total:.1f} MB for all three. They are the checkpoints' float32 weights, not quantized, "
            "so they give the checkpoints' predictions and the test-set figures above; the tests check "
            "every logit against torch's to within 1e-4.\n\n"
            "| model | file | size | ONNX opset | exported from |\n|---|---|---|---|---|\n"
            + "\n".join(rows) + "\n")



# A rendered notebook is a sequence of cells, each a <div class="jp-Cell ..."> whose class
# list names its tags (celltag_<tag>); a code cell's div directly wraps a second one of the
# same classes. A cell runs until the next (outer) one starts.
_CELL_START = re.compile(r'<div[^>]*class="jp-Cell [^"]*"[^>]*>')
_FOLDED = {"celltag_solution": ("solution", "Solution"),
           "celltag_added-by-learntorch": ("colab-setup", "Setup for Google Colab (runs only there)")}


def _fold_cells(html: str) -> str:
    """Wrap each solution cell, and the Colab setup cell, in a closed <details> box."""
    starts, previous_end = [], None
    for match in _CELL_START.finditer(html):
        if previous_end is None or html[previous_end:match.start()].strip():  # not directly nested
            starts.append(match.start())
        previous_end = match.end()
    end = html.find("</div> <!-- jp-Notebook -->")
    bounds = list(zip(starts, starts[1:] + [end if end != -1 else len(html)]))
    for start, stop in reversed(bounds):
        opening = html[start:html.index(">", start)]
        for tag, (css, summary) in _FOLDED.items():
            if tag in opening.split('class="', 1)[1] and "jp-CodeCell" in opening:
                cell = html[start:stop]
                html = (html[:start] + f'<details class="{css}"><summary>{summary}</summary>\n{cell}</details>\n'
                        + html[stop:])
                break
    return html


def _figure_alts(page) -> list[str]:
    """The text alternatives of a notebook page's figures, in order (from their outputs' metadata)."""
    source = Path(page.file.abs_src_path)
    if source.suffix != ".ipynb":
        return []
    alts = []
    for cell in json.loads(source.read_text(encoding="utf-8")).get("cells", []):
        for output in cell.get("outputs", []):
            if "image/png" in output.get("data", {}):
                metadata = output.get("metadata", {})
                alts.append(metadata.get("image/png", {}).get("alt") or metadata.get("alt"))
    return alts


def _add_alts(html: str, alts: list[str]) -> str:
    """Give the page's n-th embedded PNG the n-th figure's text alternative."""
    pictures = iter(alts)

    def with_alt(match):
        alt = next(pictures, None)
        if alt is None or " alt=" in match[0]:
            return match[0]
        return match[0].replace("<img ", f'<img alt="{html_escape(alt)}" ', 1)

    return re.sub(r'<img [^>]*src="data:image/png[^>]*>', with_alt, html)


def html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def on_page_content(html, page, config, **kwargs):
    """On a lesson's page: fold its solutions and Colab setup, put text alternatives on its
    figures, and append the in-page demo of the model it trained."""
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    html = _add_alts(_fold_cells(html), _figure_alts(page))
    demo = LESSON_DEMOS.get(page.file.src_uri)
    if demo is None:
        return html
    return html + ('<h2 id="try-it-in-your-browser">Try it in your browser</h2>\n'
                   '<p>The model this lesson trained runs below, in this page: nothing is sent to a server. '
                   'The <a href="../../demos/">Demos page</a> has all three.</p>\n'
                   f'<div class="inpage-demo" data-inpage-demo="{demo}"></div>\n')
