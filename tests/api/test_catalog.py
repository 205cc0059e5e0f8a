"""GET /v1/catalog, what the studio builds its menus and prices from: every model, style,
substyle and size it lists is one the server takes, at the price it charges, and nothing it
leaves out would be taken. The studio's pages at /studio/, and / redirecting there. In process."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier import catalog
from atelier.errors import AtelierError
from atelier.requests import GenerationRequest
from tests.conftest import InProcess, in_process_app


@pytest.fixture(scope="module")
def described(in_process: InProcess) -> dict:
    with in_process.http() as http:
        response = http.get("/v1/catalog")  # no token: the sign-in page reads it too
    assert response.status_code == 200
    return response.json()


def test_lists_the_models_the_engine_serves(in_process: InProcess, described: dict) -> None:
    engine = in_process.app.state.services.engine
    served = {m.id for m in catalog.MODEL_LIST if engine.serving_id(m) is not None}
    assert {m["id"] for m in described["models"]} == served
    assert [m["id"] for m in described["models"] if m["default"]] == [catalog.DEFAULT_MODEL]


def test_every_listed_style_substyle_and_size_is_taken_at_the_listed_price(
    in_process: InProcess, described: dict
) -> None:
    generator = in_process.app.state.services.generator
    user_id, _ = in_process.create_user()
    checked = 0
    for model in described["models"]:
        if model["requires_style"]:
            continue  # it takes a custom style only (style_id), tested with styles
        for style, substyles in model["styles"].items():
            for substyle in [None, *substyles]:
                req = GenerationRequest("a lighthouse", n=2, model=model["id"], style=style,
                                        substyle=substyle)  # fmt: skip
                plan = generator.plan(user_id, req, model["default_size"])
                kind = "vector" if plan.spec.vector else "raster"
                assert generator.price(plan) == 2 * model["price"][kind], (model["id"], style)
                checked += 1
        for size in model["sizes"]:
            generator.plan(user_id, GenerationRequest("a lighthouse", model=model["id"]), size)
    assert checked > 400


def test_a_style_left_out_for_a_model_is_refused(in_process: InProcess, described: dict) -> None:
    generator = in_process.app.state.services.generator
    user_id, _ = in_process.create_user()
    refused = 0
    for model in described["models"]:
        for style in set(catalog.STYLES) - set(model["styles"]):
            req = GenerationRequest("a lighthouse", model=model["id"], style=style)
            with pytest.raises(AtelierError) as caught:
                generator.plan(user_id, req, model["default_size"])
            assert caught.value.status == 400
            refused += 1
    assert refused > 50


def test_prices_are_the_ones_in_effect(tmp_path: Path) -> None:
    overrides = {"raster_generation_v3": 31, "vectorization": 7, "style_creation": 12,
                 "raster_inpainting": 33, "crisp_upscale": 3}  # fmt: skip
    with in_process_app(tmp_path, prices=overrides) as app, app.http() as http:
        described = http.get("/v1/catalog").json()
    v3 = next(m for m in described["models"] if m["id"] == "recraftv3")
    assert v3["price"] == {"raster": 31, "vector": 80}
    assert described["tools"]["vectorize"] == 7
    assert described["style_creation"] == 12
    assert described["edits"]["inpaint"] == {"raster": 33, "vector": 80}
    assert described["upscale"] == {"upscale4mp": 3, "upscale16mp": 3}


def test_the_studio_is_served_and_the_root_leads_to_it(in_process: InProcess) -> None:
    with in_process.http() as http:
        for path in ("/", "/studio"):
            response = http.get(path, follow_redirects=False)
            assert response.status_code == 307
            assert response.headers["location"] == "/studio/"
        page = http.get("/studio/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert 'data-testid="token"' in page.text
        script = http.get("/studio/studio.js")
        assert script.status_code == 200
        # Module scripts are refused by browsers unless served as JavaScript.
        assert "javascript" in script.headers["content-type"]
        assert http.get("/studio/missing.js").status_code == 404
        # Browsers ask for it on every page of the origin; a 404 would be a console error.
        icon = http.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
