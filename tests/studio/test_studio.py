"""The studio in a real browser (headless Chromium) against a live server: sign-in and balance,
generation with colours and a text layout box, vector results, errors with their messages,
painting a mask and inpainting, removing a background, custom styles, cancelling a long job,
the keyboard and a phone-width screen. Each screen's screenshot is saved (tests/studio/conftest)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from tests.conftest import logo, photo
from tests.studio.conftest import Studio, by_testid, sign_in


def test_sign_in_shows_the_balance_and_sign_out_forgets_the_token(studio: Studio) -> None:
    assert studio.number("balance") == studio.balance() == 100_000
    assert studio.driver.execute_script("return JSON.stringify(localStorage)").count(studio.token)
    studio.screenshot("generate")
    studio.visible("sign-out").click()
    studio.visible("token")
    assert studio.token not in studio.driver.execute_script("return JSON.stringify(localStorage)")
    studio.screenshot("sign-in")
    # Back in for the fixture's console check, this time with the keyboard: Enter signs in.
    from selenium.webdriver.common.keys import Keys

    studio.visible("token").send_keys(studio.token, Keys.ENTER)
    studio.wait(lambda d: studio.number("balance") == 100_000)


def draw(studio: Studio, canvas: Any, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Drag across ``canvas`` between two points given as fractions of its displayed size."""
    from selenium.webdriver.common.action_chains import ActionChains

    width, height = canvas.size["width"], canvas.size["height"]

    def offset(point: tuple[float, float]) -> tuple[int, int]:
        # Selenium's offsets are from the element's centre.
        return int((point[0] - 0.5) * width), int((point[1] - 0.5) * height)

    x0, y0 = offset(start)
    x1, y1 = offset(end)
    actions = ActionChains(studio.driver)
    actions.move_to_element_with_offset(canvas, x0, y0).click_and_hold()
    for step in range(1, 11):  # a stroke of several moves, as a hand makes
        actions.move_to_element_with_offset(
            canvas, x0 + (x1 - x0) * step // 10, y0 + (y1 - y0) * step // 10
        )
    actions.release().perform()


def test_raster_generation_with_colours_and_a_text_box_costs_the_shown_price(
    studio: Studio,
) -> None:
    studio.select("model", "recraftv3")
    studio.select("style", "digital_illustration")
    studio.select("size", "1365x1024")
    studio.visible("prompt").send_keys("a lighthouse on a cliff at dusk")
    studio.visible("color-add").click()
    studio.set_value(studio.find_all("color")[-1], "#d02020")
    draw(studio, studio.visible("layout-canvas"), (0.2, 0.2), (0.6, 0.4))
    studio.visible("layout-text").send_keys("HELLO")
    price = studio.number("price")
    assert price == 40
    before = studio.balance()
    studio.visible("generate").click()
    image = studio.new_result(0)
    assert studio.natural_size(image) == (1365, 1024)
    assert image.get_attribute("src").startswith(studio.server.url + "/images/")
    assert studio.balance() == before - price
    studio.wait(lambda d: studio.number("balance") == before - price)
    # The request as sent, shown with the result, carries the colour and the box.
    page = studio.driver.page_source
    assert "HELLO" in page and "text_layout" in page and "208" in page  # d02020: 208, 32, 32
    studio.screenshot("gallery")
    studio.driver.execute_script("window.scrollTo(0, 0)")
    studio.screenshot("studio")  # the README's (docs/studio.png)


def test_vector_generation_shows_the_svg_at_its_size(studio: Studio) -> None:
    studio.select("model", "recraftv3")
    studio.select("style", "vector_illustration")
    studio.select("size", "1024x1024")
    studio.visible("prompt").send_keys("a fox, flat colours")
    assert studio.number("price") == 80
    studio.visible("generate").click()
    image = studio.new_result(0)
    assert image.get_attribute("src").split("?")[0].endswith(".svg")
    assert studio.natural_size(image) == (1024, 1024)
    assert studio.balance() == 100_000 - 80


def test_api_errors_are_shown_with_their_message_and_field(studio: Studio) -> None:
    studio.expected_statuses = (400, 402)
    # 400: a prompt over the model's 1,000-byte limit, refused by the server.
    studio.select("model", "recraftv3")
    studio.visible("prompt").send_keys("é" * 501)
    studio.visible("generate").click()
    error = studio.visible("error")
    studio.wait(lambda d: "prompt" in error.text)
    prompt = studio.visible("prompt")
    marked = prompt.get_attribute("aria-invalid") == "true" or "invalid" in (
        prompt.get_attribute("class") or ""
    )
    assert marked, "the prompt's control is not highlighted"
    studio.screenshot("error-400")
    # 402: a user whose balance is below the price sees the server's own message.
    poor, _ = studio.server.create_user(credits=10)
    studio.visible("sign-out").click()
    sign_in(studio.driver, studio.server, poor)
    studio.wait(lambda d: studio.number("balance") == 10)
    studio.select("model", "recraftv3")
    studio.visible("prompt").send_keys("a lighthouse")
    studio.visible("generate").click()
    with studio.server.http(poor) as http:
        expected = http.post("/v1/images/generations", json={"prompt": "a lighthouse"})
    assert expected.status_code == 402
    studio.wait(lambda d: expected.json()["message"] in studio.visible("error").text)
    assert studio.server.balance(poor) == 10
    studio.token = poor


def upload(studio: Studio, image: Image.Image, path: Path) -> None:
    image.save(path)
    studio.tab("edit")
    studio.find("upload").send_keys(str(path))
    studio.wait(lambda d: studio.visible("mask-canvas").size["width"] > 0)


def download(image: Any) -> Image.Image:
    response = httpx.get(image.get_attribute("src"), timeout=30)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


def test_a_painted_mask_inpaints_only_under_the_brush(studio: Studio, tmp_path: Path) -> None:
    original = photo((512, 384))
    upload(studio, original, tmp_path / "photo.png")
    studio.select("tool", "inpaint")
    studio.set_value(studio.visible("brush-size"), "20")
    draw(studio, studio.visible("mask-canvas"), (0.4, 0.5), (0.6, 0.5))
    studio.visible("prompt").send_keys("a small boat")
    studio.screenshot("edit")
    before = len(studio.results())
    studio.visible("run-tool").click()
    result = np.asarray(download(studio.new_result(before)).convert("RGB")).astype(int)
    source = np.asarray(original).astype(int)
    assert result.shape == source.shape
    changed = np.abs(result - source).max(axis=2) > 0
    # The stroke ran along the middle row from 40 % to 60 % of the width, 20 px wide (in the
    # image's pixels at most that, as the canvas may be shown smaller): all change lies in a
    # band around it, and the band did change.
    rows, columns = np.nonzero(changed)
    assert changed.any()
    assert rows.min() >= 192 - 40 and rows.max() <= 192 + 40
    assert columns.min() >= 0.4 * 512 - 40 and columns.max() <= 0.6 * 512 + 40


def test_remove_background_gives_a_transparent_image(studio: Studio, tmp_path: Path) -> None:
    upload(studio, logo((512, 384)), tmp_path / "logo.png")
    studio.select("tool", "removeBackground")
    assert studio.number("price") == 10
    studio.visible("run-tool").click()
    cutout = download(studio.new_result(0))
    assert cutout.mode == "RGBA"
    alpha = np.asarray(cutout.getchannel("A"))
    assert alpha.min() == 0 and alpha.max() == 255
    assert studio.balance() == 100_000 - 10


def test_a_style_made_from_references_is_used_to_generate(studio: Studio, tmp_path: Path) -> None:
    paths = []
    for i, colour in enumerate([(200, 40, 40), (40, 160, 60)]):
        path = tmp_path / f"reference-{i}.png"
        Image.new("RGB", (320, 320), colour).save(path)
        paths.append(str(path))
    studio.tab("styles")
    studio.select("style-base", "digital_illustration")
    studio.find("style-files").send_keys("\n".join(paths))
    studio.visible("create-style").click()
    item = studio.visible("style-item")
    with studio.server.http(studio.token) as http:
        styles = http.get("/v1/styles").json()["styles"]
    assert len(styles) == 1
    assert styles[0]["id"] in item.text or styles[0]["id"] in item.get_attribute("outerHTML")
    studio.screenshot("styles")
    studio.tab("generate")
    studio.select("custom-style", styles[0]["id"])
    studio.visible("prompt").send_keys("a teapot")
    studio.visible("generate").click()
    studio.new_result(0)
    assert styles[0]["id"] in studio.driver.page_source  # the request shown names the style
    assert studio.balance() == 100_000 - 40 - 40  # the style, then one image


def test_a_long_job_shows_its_time_and_can_be_cancelled(studio: Studio) -> None:
    studio.select("model", "recraftv3")
    # The tests' slow engine takes 5 s for this prompt: a result would come if not cancelled.
    studio.visible("prompt").send_keys("sleep 5")
    studio.visible("generate").click()
    studio.wait(lambda d: studio.visible("elapsed").text.strip() not in ("", "0", "0 s"))
    studio.visible("cancel").click()
    studio.wait(lambda d: not any(e.is_displayed() for e in studio.find_all("cancel")))
    assert "cancelled" in studio.driver.find_element("tag name", "body").text
    assert studio.results() == []
    # The job's hold is released when its thread ends, and nothing is charged.
    studio.wait(lambda d: studio.balance() == 100_000)


def test_keyboard_alone_generates(studio: Studio) -> None:
    from selenium.webdriver.common.keys import Keys

    prompt = studio.visible("prompt")
    prompt.click()
    prompt.send_keys("a kite")
    active = studio.driver.switch_to.active_element
    for _ in range(60):  # Tab through the form to the generate button
        if active.get_attribute("data-testid") == "generate":
            break
        active.send_keys(Keys.TAB)
        active = studio.driver.switch_to.active_element
    assert active.get_attribute("data-testid") == "generate"
    active.send_keys(Keys.ENTER)
    studio.new_result(0)


def test_phone_width_needs_no_sideways_scrolling(studio: Studio) -> None:
    studio.driver.set_window_size(375, 800)
    for screen in ("generate", "edit", "styles", "gallery"):
        studio.tab(screen)
        width = studio.driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert width[0] <= width[1], f"{screen} is {width[0]} px wide at {width[1]}"
    studio.tab("generate")
    studio.screenshot("phone")
    assert studio.driver.find_elements("css selector", by_testid("generate"))
