"""One live server and one headless Chromium for the studio's tests, a fresh user per test, and
the page helpers they share. Screenshots go to test-artifacts/studio/ (ATELIER_TEST_ARTIFACTS)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import browser
from tests.conftest import STAND_INS, Server, free_port

ARTIFACTS = Path(os.environ.get("ATELIER_TEST_ARTIFACTS", "test-artifacts")) / "studio"
WAIT_SECONDS = 60  # generous: two cores also run the server and its engine


@pytest.fixture(scope="package")
def studio_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # The preview engine, made slow only by prompts "sleep N" (for cancelling), and the fast
    # stand-in tools: the page is what is tested here (the real models in tests/tools).
    root = tmp_path_factory.mktemp("studio")
    env = {"ATELIER_ENGINE": "tests.stand_ins:SlowEngine", "ATELIER_JOB_TIMEOUT_SECONDS": "120",
           **{f"ATELIER_{name.upper()}": value for name, value in STAND_INS.items()}}  # fmt: skip
    server = Server(root / "data", free_port(), env)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = browser.start(tmp_path_factory.mktemp("downloads"))
    yield chromium
    chromium.quit()


def by_testid(name: str) -> str:
    return f'[data-testid="{name}"]'


@dataclass
class Studio:
    """The page, signed in as a fresh user, and what the tests do with it."""

    driver: Any
    server: Server
    token: str
    expected_statuses: tuple[int, ...] = ()

    def wait(self, condition: Callable[[Any], Any], seconds: float = WAIT_SECONDS) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, seconds, poll_frequency=0.1).until(condition)

    def find(self, name: str) -> Any:
        return self.driver.find_element("css selector", by_testid(name))

    def find_all(self, name: str) -> list[Any]:
        return list(self.driver.find_elements("css selector", by_testid(name)))

    def visible(self, name: str) -> Any:
        return self.wait(lambda d: next((e for e in self.find_all(name) if e.is_displayed()), None))

    def tab(self, name: str) -> None:
        self.visible(f"tab-{name}").click()

    def select(self, name: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select

        element = self.visible(name)
        self.wait(lambda d: value in [o.get_attribute("value") for o in Select(element).options])
        Select(element).select_by_value(value)

    def set_value(self, element: Any, value: str) -> None:
        """Set an input a person sets with a picker (colour, range), firing its events."""
        self.driver.execute_script(
            "arguments[0].value = arguments[1];"
            "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
            "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            element,
            value,
        )

    def number(self, name: str) -> int:
        """The first integer in an element's text (the balance, the price)."""
        match = re.search(r"\d[\d,]*", self.visible(name).text)
        assert match, f"{name} shows no number: {self.visible(name).text!r}"
        return int(match.group().replace(",", ""))

    def balance(self) -> int:
        """The balance as the API says it."""
        return self.server.balance(self.token)

    def results(self) -> list[Any]:
        return self.find_all("result-image")

    def new_result(self, before: int) -> Any:
        """The newest result image once more than ``before`` have loaded."""

        def loaded(driver: Any) -> Any:
            images = self.results()
            complete = [
                i
                for i in images
                if driver.execute_script(
                    "return arguments[0].complete && arguments[0].naturalWidth", i
                )
            ]
            return complete[0] if len(images) > before and complete else None

        self.wait(lambda d: len(self.results()) > before)
        return self.wait(loaded)

    def natural_size(self, image: Any) -> tuple[int, int]:
        return tuple(
            self.driver.execute_script(
                "return [arguments[0].naturalWidth, arguments[0].naturalHeight]", image
            )
        )

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self) -> list[str]:
        """Errors the page logged, but for the API answers a test provoked on purpose: Chromium
        logs every 4xx answer to fetch() ("Failed to load resource: ... status of 402")."""
        expected = tuple(f"status of {status} " for status in self.expected_statuses)
        return [
            e["message"]
            for e in self.driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(s in e["message"] for s in expected)
        ]


def sign_in(driver: Any, server: Server, token: str) -> None:
    # The token is forgotten on a page of the same origin that is not the studio, which would
    # sign in with it meanwhile.
    driver.get(f"{server.url}/healthz")
    driver.execute_script("localStorage.clear()")
    driver.get(f"{server.url}/studio/")
    token_input = driver.find_element("css selector", by_testid("token"))
    token_input.send_keys(token)
    driver.find_element("css selector", by_testid("sign-in")).click()


@pytest.fixture
def studio(driver: Any, studio_server: Server) -> Iterator[Studio]:
    token, _ = studio_server.create_user(credits=100_000)
    driver.set_window_size(1280, 900)
    driver.get_log("browser")  # what earlier tests left
    page = Studio(driver, studio_server, token)
    sign_in(driver, studio_server, token)
    page.wait(lambda d: page.number("balance") == 100_000)
    yield page
    assert page.console_errors() == []
