"""Every command's --help keeps its description's line breaks (usage lines stay readable)."""

import subprocess
import sys

import pytest

from learntorch.paths import ROOT


# One demo stands for the three: they share demos.common.parse_args.
@pytest.mark.parametrize("module", ["demos.next_word", "tools.serve", "tools.notebooks"])
def test_help_keeps_the_description_s_lines(module):
    docstring = __import__(module, fromlist=["_"]).__doc__
    printed = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
    lines = [line.strip() for line in docstring.strip().splitlines() if line.strip()]
    assert len(lines) > 1
    assert all(line in printed.splitlines() or f"  {line}" in printed for line in lines), printed
