"""Headless Chromium from Debian's package, driven by Playwright (no browser download).

    with chromium_page() as page:
        page.goto("http://127.0.0.1:3000")
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager

import pytest


def system_chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("no system chromium: run ./scripts/setup.sh (it installs Debian's chromium)")
    return path


@contextmanager
def chromium_page(width: int = 1280, height: int = 900):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=system_chromium(), headless=True,
            # Root in a container has no user namespaces for the sandbox; the pages we open
            # are our own servers on 127.0.0.1.
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()
