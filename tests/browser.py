"""Browser tests run on Debian's Chromium when it is installed, and say so when it is not."""

from pathlib import Path

import pytest

from tools.visit import CHROMIUM

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM}, so the browser tests are SKIPPED: "
           "`apt-get install chromium` (Debian's package) to run them")
