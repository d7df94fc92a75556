"""MkDocs hooks: lesson scripts beside their notebooks, model-card figures and the hosted
demos' address on the demos page.

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
    """Replace ``<!-- card: NAME -->`` with a table of ``checkpoints/NAME/card.json``'s figures,
    and ``{{ space }}`` with the Space that hosts the demos (``extra.space`` in mkdocs.yml)."""
    root = Path(config["config_file_path"]).parent
    markdown = markdown.replace("{{ space }}", config["extra"]["space"])
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
