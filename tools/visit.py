"""A visitor's session with the demo app in a real browser, and the screenshots it leaves.

The browser tests call these steps; ``python -m tools.visit`` replays them against a
fresh copy of the site and the demo app and saves the screenshots the README and the
Demos page show (``docs/assets/screenshots/``). It needs Debian's Chromium and
Playwright for Python.
"""

import argparse
import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

from learntorch.paths import ROOT
from tools.process import running, serving_folder

CHROMIUM = "/usr/bin/chromium"
# Without the network-related flags Chromium keeps trying to reach Google's hosts. The
# resolver rule makes every host but this machine unknown at once, so a page's web fonts
# or GitHub badge fail immediately instead of waiting on a slow or absent network.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]
LABEL = "[data-testid=label-output-value]:visible"


@contextlib.contextmanager
def browser_page(**context_options):
    """A page of a headless Chromium window, 1280 x 900 unless ``viewport`` says otherwise."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **context_options})
            yield context.new_page()
        finally:
            browser.close()


def open_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title).click()


def draw_a_one(page) -> str:
    """Draw a 1 on the digit sketchpad with the mouse, ask for a reading, return the answer."""
    page.wait_for_selector("#digit-sketchpad button[aria-label=Brush]", timeout=30_000)
    page.wait_for_function(  # the page's script has picked the brush
        "() => !document.querySelector('#digit-sketchpad').innerText.includes('select the draw tool')",
        timeout=15_000)
    box = page.locator("#digit-sketchpad canvas").first.bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(middle_x - 5, middle_y - 110)
    page.mouse.down()
    page.mouse.move(middle_x, middle_y + 110, steps=8)
    page.mouse.up()
    page.get_by_role("button", name="Read it").locator("visible=true").first.click()
    return answer(page)


def ask_next_word(page, phrase: str) -> str:
    """Type ``phrase`` into the next-word demo, press Predict, return the top answer."""
    page.get_by_label("Your phrase").locator("visible=true").first.fill(phrase)
    page.get_by_role("button", name="Predict").locator("visible=true").first.click()
    return answer(page)


def answer(page) -> str:
    page.wait_for_selector(LABEL, timeout=30_000)
    return page.locator(LABEL).first.inner_text().strip()


def toasts(page) -> list[str]:
    """Error messages Gradio shows in the corner, if any."""
    return page.locator(".toast-body").all_inner_texts()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "assets" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(scratch / "site")],
                       cwd=ROOT, check=True)
        with serving_folder(scratch / "site") as site_url, \
                running(["-m", "demos"], scratch / "demos.log") as (demos_url, _), \
                browser_page(color_scheme="light") as page:
            page.goto(site_url)
            page.screenshot(path=args.out / "site-home.png")
            page.goto(f"{site_url}lessons/09_cnn/")
            page.locator("article img[src^='data:image/png']").nth(3).scroll_into_view_if_needed()
            # scrolled past the page's title, the header slides it in: let the slide finish
            page.wait_for_selector(".md-header__title--active")
            page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
            page.screenshot(path=args.out / "site-lesson.png")
            page.goto(demos_url)
            print("digit demo read:", draw_a_one(page))
            page.screenshot(path=args.out / "demo-digits.png")
            open_tab(page, "Classify a garment")
            page.get_by_text("Examples").locator("visible=true").first.scroll_into_view_if_needed()
            page.locator(".gallery-item:visible").first.click()
            print("garment demo read:", answer(page))
            page.screenshot(path=args.out / "demo-fashion.png")
            open_tab(page, "Next word")
            print("next-word demo read:", ask_next_word(page, "It is a capital mistake to"))
            page.screenshot(path=args.out / "demo-next-word.png")
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
