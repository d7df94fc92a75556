"""MkDocs hook: publish each lesson's ``.py`` beside its notebook for download."""

import shutil
from pathlib import Path

from learntorch.notebooks import lesson_files


def on_post_build(config, **kwargs):
    target = Path(config["site_dir"]) / "lessons"
    target.mkdir(parents=True, exist_ok=True)
    for lesson in lesson_files():
        shutil.copy2(lesson, target / lesson.name)
