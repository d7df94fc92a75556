"""Where the course's files live, relative to the checkout this package sits in."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKPOINTS_DIR = ROOT / "checkpoints"  # the demos' models: written only by `python -m learntorch.train`
RUNS_DIR = ROOT / "runs"                # what a lesson's own run of a recipe saves (ignored by git)
LESSONS_DIR = ROOT / "lessons"
