"""WCAG 2.1 A and AA in the browser: axe-core's rules on every page of the built site, in the
light and the dark scheme (the demo app's tabs: test_demo_accessibility.py). Serious and
critical findings fail."""

import json

import pytest

from browser import needs_chromium
from learntorch.paths import ROOT
from tools.visit import browser_page

pytestmark = needs_chromium
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # pinned in package.json, installed by `make models`
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
         "resultTypes": ["violations"]}  # skip listing what passes: several times faster on long pages
FAILING_IMPACTS = ("serious", "critical")


def violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("(rules) => axe.run(document, rules).then((result) => result.violations)", RULES)
    return [f"{item['id']} ({item['impact']}, {len(item['nodes'])} nodes): {item['help']}; e.g. "
            f"{item['nodes'][0]['target']} {item['nodes'][0].get('failureSummary', '')[:200]}"
            for item in found if item["impact"] in FAILING_IMPACTS]


def site_pages(built_site) -> list[str]:
    return sorted(path.relative_to(built_site).parent.as_posix() for path in built_site.rglob("index.html"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_of_the_site_passes_wcag_aa(site_url, built_site, scheme):
    problems = {}
    with browser_page(color_scheme=scheme) as page:
        for path in site_pages(built_site):
            page.goto(site_url + ("" if path == "." else path + "/"), wait_until="networkidle")
            page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
            found = violations(page)
            if found:
                problems[path] = found
    assert not problems, json.dumps(problems, indent=1)[:6000]
