"""Browser tests run on Debian's Chromium when it is installed, and say so when it is not
(under CI, CI=true, they fail instead)."""

from pathlib import Path

from conftest import needs_tool
from tools.visit import CHROMIUM

needs_chromium = needs_tool(
    Path(CHROMIUM).exists(),
    f"no Chromium at {CHROMIUM}, so the browser tests are SKIPPED: "
    "`apt-get install chromium` (Debian's package) to run them")
