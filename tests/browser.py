"""Browser tests run on Debian's Chromium when it is installed, and say so when it is not
(under CI, CI=true, they fail instead)."""

from pathlib import Path

from conftest import needs_tool
from learntorch.paths import ROOT
from tools.visit import CHROMIUM

needs_chromium = needs_tool(
    Path(CHROMIUM).exists(),
    f"no Chromium at {CHROMIUM}, so the browser tests are SKIPPED: "
    "`apt-get install chromium` (Debian's package) to run them")

# axe-core, pinned in package.json and installed by `make models`: WCAG 2.1 A and AA rules
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
             "resultTypes": ["violations"]}  # skip listing what passes: several times faster on long pages
FAILING_IMPACTS = ("serious", "critical")


def violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("(rules) => axe.run(document, rules).then((result) => result.violations)", AXE_RULES)
    return [f"{item['id']} ({item['impact']}, {len(item['nodes'])} nodes): {item['help']}; e.g. "
            f"{item['nodes'][0]['target']} {item['nodes'][0].get('failureSummary', '')[:200]}"
            for item in found if item["impact"] in FAILING_IMPACTS]
