"""Run a lesson's own definitions (its imports plus chosen functions and assignments) in a test."""

import ast
from pathlib import Path

from learntorch.paths import LESSONS_DIR


def lesson_namespace(lesson: str, names: set[str]) -> dict:
    """Execute the top-level imports of ``lessons/<lesson>.py`` and the functions, classes and
    assignments named in ``names``, in source order; return the resulting namespace."""
    path = Path(LESSONS_DIR) / f"{lesson}.py"
    tree = ast.parse(path.read_text())

    def wanted(node) -> bool:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            return node.name in names
        if isinstance(node, ast.Assign):
            return any(isinstance(target, ast.Name) and target.id in names for target in node.targets)
        return False

    chosen = [node for node in tree.body if wanted(node)]
    found = {node.name if not isinstance(node, ast.Assign) else node.targets[0].id
             for node in chosen if not isinstance(node, (ast.Import, ast.ImportFrom))}
    missing = names - found
    assert not missing, f"{path.name} no longer defines {sorted(missing)}"
    namespace: dict = {}
    exec(compile(ast.Module(body=chosen, type_ignores=[]), str(path), "exec"), namespace)
    return namespace
