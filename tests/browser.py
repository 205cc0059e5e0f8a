"""The tests' browser: headless Chromium from Debian's `chromium` package, driven by Selenium
through Debian's `chromium-driver` (nothing downloads a browser build). Skipped where they are
not installed, except in CI (`.ci/run` sets ATELIER_REQUIRE_BROWSER), where that fails."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REQUIRED = "ATELIER_REQUIRE_BROWSER"


def start(downloads: Path, width: int = 1280, height: int = 900) -> object:
    """A headless Chromium; its console messages are kept for `console_errors`."""
    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        message = "headless Chromium needs Debian's chromium and chromium-driver packages"
        if os.environ.get(REQUIRED):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",  # the tests may run as root
        "--disable-dev-shm-usage",
        f"--window-size={width},{height}",
        # No network beyond the server under test: nothing Chromium would fetch for itself.
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
