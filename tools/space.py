"""The hosted demos: assemble the Hugging Face Space that serves ``python -m demos``, and deploy it.

    python -m tools.space assemble [FOLDER]   # default build/space (what `make space` runs)
    python -m tools.space deploy [FOLDER]     # upload FOLDER to the Space; needs HF_TOKEN

The folder holds everything the Space runs and nothing it would read from elsewhere: a
README whose front matter configures the Space, ``app.py``, ``requirements.txt`` pinned as
in constraints.txt (torch from PyTorch's CPU wheel index: the Space has no GPU, and a CUDA
build is gigabytes), the ``learntorch`` and ``demos`` packages, and the demos' checkpoints.

Which Space: ``extra.space`` in mkdocs.yml, which ``$LEARNTORCH_SPACE`` (owner/name)
overrides; the site's Demos page embeds the same one. Deploying needs only
``huggingface_hub`` and ``mkdocs``.
"""

import argparse
import os
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FOLDER = ROOT / "build" / "space"
PACKAGES = ("learntorch", "demos")
# What the app imports (gradio itself is installed by the Space, at sdk_version)
REQUIREMENTS = ("torch", "torchvision", "timm", "numpy", "pillow", "safetensors", "tqdm")
CPU_WHEELS = "https://download.pytorch.org/whl/cpu"
CPU_BUILDS = ("torch", "torchvision")  # packages whose CPU build carries a +cpu version label
MAX_BUNDLE_MB = 60

APP = '''"""The Space's entry point: the three demos as tabs, as ``python -m demos`` serves them."""

from demos.__main__ import main

main(host="0.0.0.0")  # the Space reaches the app from outside its container
'''


def pins() -> dict[str, str]:
    """``name -> version`` for every ``name==version`` in constraints.txt (what `make` installs)."""
    text = (ROOT / "constraints.txt").read_text()
    return {name.lower(): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, re.M)}


def space_id() -> str:
    """owner/name of the Space: ``extra.space`` in mkdocs.yml, read as MkDocs reads it
    (``$LEARNTORCH_SPACE`` when set, else the default written there)."""
    from mkdocs.utils.yaml import yaml_load
    with open(ROOT / "mkdocs.yml") as config:
        return yaml_load(config)["extra"]["space"]


def requirements() -> str:
    versions = pins()
    lines = ["# The demos' runtime, pinned as in the course's constraints.txt. Gradio itself is",
             f"# installed by the Space at sdk_version (README.md): gradio=={versions['gradio']}.",
             f"--extra-index-url {CPU_WHEELS}"]
    lines += [f"{name}=={versions[name]}{'+cpu' if name in CPU_BUILDS else ''}" for name in REQUIREMENTS]
    return "\n".join(lines) + "\n"


def readme() -> str:
    from demos.catalog import DEMOS, REPO_URL, SITE_URL
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    demos = "\n".join(f"- **{demo.title}**: {demo.what}" for demo in DEMOS)
    return f"""---
title: LearnTorch demos
emoji: 🔥
colorFrom: red
colorTo: yellow
sdk: gradio
sdk_version: {pins()['gradio']}
python_version: "{python}"
app_file: app.py
license: mit
short_description: Three models trained by the LearnTorch course
pinned: false
---

# LearnTorch demos

Three models that the lessons of [LearnTorch]({SITE_URL}), an interactive PyTorch course,
train and then serve with Gradio:

{demos}

The same app runs on your own machine with `python -m demos` from [the course's
repository]({REPO_URL}), which builds this Space with `make space`. Every demo also answers
through `gradio_client`; the app's "Use via API" page lists its endpoints.
"""


def folder_size_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20


def assemble(folder: Path) -> float:
    """Write the Space into ``folder`` (replacing what was there); return its size in MB."""
    from demos.catalog import DEMOS
    from learntorch.checkpoints import CHECKPOINTS_DIR
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "README.md").write_text(readme())
    (folder / "app.py").write_text(APP)
    (folder / "requirements.txt").write_text(requirements())
    for package in PACKAGES:
        shutil.copytree(ROOT / package, folder / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for demo in DEMOS:
        shutil.copytree(CHECKPOINTS_DIR / demo.checkpoint, folder / "checkpoints" / demo.checkpoint)
    size = folder_size_mb(folder)
    if size > MAX_BUNDLE_MB:
        raise SystemExit(f"the Space in {folder} holds {size:.1f} MB; the limit is {MAX_BUNDLE_MB} MB")
    return size


def deploy(folder: Path, space: str) -> None:
    """Upload ``folder`` to the Space, which then mirrors it; without HF_TOKEN, say so and stop."""
    token = os.environ.get("HF_TOKEN")
    if not token:
        print(f"::notice title=Space not deployed::No HF_TOKEN secret is set, so {space} was left as it "
              "is. Add a Hugging Face token with write access as the repository secret HF_TOKEN to deploy.")
        return
    from huggingface_hub import HfApi
    api = HfApi(token=token)
    api.create_repo(space, repo_type="space", space_sdk="gradio", exist_ok=True)
    commit = api.upload_folder(repo_id=space, repo_type="space", folder_path=folder, delete_patterns="*",
                               commit_message=f"Deploy {os.environ.get('LEARNTORCH_COMMIT', 'a local build')[:12]}")
    print(f"deployed {folder} to https://huggingface.co/spaces/{space} ({commit.oid[:12]})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["assemble", "deploy"])
    parser.add_argument("folder", type=Path, nargs="?", default=DEFAULT_FOLDER)
    args = parser.parse_args()
    if args.action == "assemble":
        size = assemble(args.folder)
        print(f"Space assembled in {args.folder}: {size:.1f} MB (limit {MAX_BUNDLE_MB} MB)")
    else:
        deploy(args.folder, space_id())


if __name__ == "__main__":
    main()
