"""MkDocs hook: publish each lesson's ``.py`` beside its notebook for download.

Kept free of imports from the package (and so of torch), so that the site builds with
only the MkDocs packages installed, as the publishing workflow does.
"""

import shutil
from pathlib import Path


def on_post_build(config, **kwargs):
    lessons = Path(config["config_file_path"]).parent / "lessons"
    target = Path(config["site_dir"]) / "lessons"
    target.mkdir(parents=True, exist_ok=True)
    for lesson in sorted(lessons.glob("[0-9][0-9]_*.py")):
        shutil.copy2(lesson, target / lesson.name)
