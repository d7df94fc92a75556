"""Do the lessons run on other versions than the pinned ones? Install the course with its
ranges into a fresh environment that already holds a given torch and torchvision (as
Colab does), then run every lesson in the smoke profile there.

    python benchmarks/compatibility.py --torch 2.13.0 --torchvision 0.28.0 [--keep DIR]

Prints the versions the environment ended up with (pip keeps the given torch when it lies
in the course's range), then one line per lesson: passed or failed, and how long it took.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (puts the checkout on sys.path)
from learntorch.paths import LESSONS_DIR, ROOT

REPORTED = ("torch", "torchvision", "numpy", "pillow", "scikit-learn", "matplotlib", "pandas", "timm", "optuna")


def pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args], check=True)


def versions(python: Path) -> dict[str, str]:
    listing = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"], check=True,
                             capture_output=True, text=True).stdout
    return {item["name"].lower(): item["version"] for item in json.loads(listing)}


def run_lesson(python: Path, lesson: Path, env: dict) -> tuple[bool, float, str]:
    start = time.perf_counter()
    result = subprocess.run([str(python), str(lesson)], cwd=ROOT, env=env, capture_output=True, text=True)
    last_line = (result.stderr.strip().splitlines() or [""])[-1]
    return result.returncode == 0, time.perf_counter() - start, last_line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torch", required=True, help="the torch version to start from")
    parser.add_argument("--torchvision", required=True, help="the torchvision version that goes with it")
    parser.add_argument("--keep", type=Path, help="build the environment here and keep it")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="learntorch-compat-"))
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    python = folder / "bin" / "python"
    pip(python, f"torch=={args.torch}", f"torchvision=={args.torchvision}")
    pip(python, f"{ROOT}[tuning]")  # the ranges, no constraints file: what a reader's pip does
    installed = versions(python)
    print("environment: " + ", ".join(f"{name} {installed.get(name, '-')}" for name in REPORTED))
    if installed.get("torch", "").split("+")[0] != args.torch:
        print(f"note: pip replaced torch {args.torch} by {installed.get('torch')}")
    env = dict(os.environ, LEARNTORCH_PROFILE="smoke", MPLBACKEND="Agg", LEARNTORCH_PROGRESS="0")
    failures = 0
    for lesson in sorted(LESSONS_DIR.glob("[0-9][0-9]_*.py")):
        passed, seconds, last_line = run_lesson(python, lesson, env)
        failures += not passed
        print(f"{lesson.stem:<28} {'passed' if passed else 'FAILED'} in {seconds:5.1f} s"
              + ("" if passed else f"  ({last_line})"))
    print(f"{failures} of {len(list(LESSONS_DIR.glob('[0-9][0-9]_*.py')))} lessons failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
