"""What a lesson's notebook needs to open in Google Colab and just work.

Colab comes with its own torch, torchvision and numpy. The course's package states
ranges for them (pyproject.toml), so installing it there keeps whatever Colab has when it
lies in those ranges; the install cell adds only what that lesson needs, says in one line
what it installed, and never installs Gradio (the demos run on the course's site).
"""

from pathlib import Path

REPO_URL = "https://github.com/learntorch/learntorch"
SITE_URL = "https://learntorch.github.io/learntorch/"
PROTECTED = ("torch", "torchvision", "numpy", "pillow")  # Colab's own: never replaced
EXTRAS = {"08": ["tuning"]}   # lesson number -> optional dependency groups it needs
FIRST_GPU_LESSON = 6          # from lesson 6 on, lessons train on a GPU when there is one
DEMO_LESSONS = {"09": "the digit reader", "10": "the garment classifier", "12": "next-word prediction"}


def number(lesson: Path) -> str:
    return lesson.stem[:2]


def wants_gpu(lesson: Path) -> bool:
    return int(number(lesson)) >= FIRST_GPU_LESSON


def requirement(lesson: Path, source: str = f"git+{REPO_URL}") -> str:
    """The pip requirement for ``lesson``: the package with the extras it needs, from ``source``."""
    extras = EXTRAS.get(number(lesson), [])
    return f"learntorch{'[' + ','.join(extras) + ']' if extras else ''} @ {source}"


def install_cell(lesson: Path) -> str:
    """The source of the code cell that prepares a Colab runtime for ``lesson``."""
    lines = [
        "# Only in Google Colab: install what this lesson needs. Colab's own torch, torchvision",
        "# and numpy stay: the course works with any version in its ranges.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:',
        "    import importlib.metadata, subprocess",
        "",
        "    def versions():",
        '        return {d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions()}',
        "",
        "    before = versions()",
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{requirement(lesson)}"], check=True)',
        '    added = sorted(f"{name} {version}" for name, version in versions().items() if before.get(name) != version)',
        '    print("installed:", ", ".join(added) or "nothing (all there already)")',
    ]
    if wants_gpu(lesson):
        lines.append('    print("This lesson trains on a GPU when there is one: Runtime > Change runtime type > T4 GPU.")')
    if number(lesson) in DEMO_LESSONS:
        lines.append(f'    print("Try {DEMO_LESSONS[number(lesson)]} in your browser: {SITE_URL}demos/")')
    return "\n".join(lines)


def notebook_metadata(lesson: Path) -> dict:
    """Colab's notebook metadata: lessons that want a GPU open on a GPU runtime."""
    colab = {"provenance": [], "toc_visible": True}
    if not wants_gpu(lesson):
        return {"colab": colab}
    return {"colab": {**colab, "gpuType": "T4"}, "accelerator": "GPU"}
