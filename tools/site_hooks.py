"""MkDocs hooks: lesson scripts beside their notebooks, model-card figures on the demos page,
folded solutions and Colab setup cells, and text alternatives on the lessons' figures.

Kept free of imports from the package (and so of torch), so that the site builds with
only the MkDocs packages installed, as the publishing workflow does.
"""

import json
import re
import shutil
from pathlib import Path


def on_post_build(config, **kwargs):
    lessons = Path(config["config_file_path"]).parent / "lessons"
    for lesson in sorted(lessons.glob("[0-9][0-9]_*.py")):
        # beside the page and the .ipynb that mkdocs-jupyter publishes: lessons/NN_x/NN_x.py
        target = Path(config["site_dir"]) / "lessons" / lesson.stem
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lesson, target / lesson.name)


def on_page_markdown(markdown, page, config, **kwargs):
    """Replace ``<!-- card: NAME -->`` with a table of ``checkpoints/NAME/card.json``'s figures."""
    root = Path(config["config_file_path"]).parent
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
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    return _add_alts(_fold_cells(html), _figure_alts(page))
