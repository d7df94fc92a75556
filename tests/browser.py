"""Debian's Chromium driven by Playwright, for the tests that look at pages as a reader would."""

import contextlib
import functools
import http.server
import shutil
import threading

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the network-related flags Chromium keeps trying to reach Google's hosts.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Chromium is not installed, so the browser tests are SKIPPED: "
           "`apt-get install chromium` (Debian's package) to run them")


@contextlib.contextmanager
def chromium_page(**context_options):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
            yield context.new_page()
        finally:
            browser.close()


@contextlib.contextmanager
def serve_folder(folder):
    """Serve ``folder`` over HTTP on a free loopback port; yield the base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
