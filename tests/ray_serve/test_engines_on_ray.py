"""The engine contract on Ray Serve (the preview engine and the tiny diffusers pipeline, each a
deployment), and the tools there giving what they give in process."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from atelier import catalog
from atelier.engines.base import GenerationEngine, GenerationSpec
from atelier.engines.registry import Engines
from atelier.testing.engine_contract import EngineContract
from atelier.tools.vectorizer import VectorizeOptions, vectorize
from tests.conftest import photo
from tests.ray_serve.conftest import ENGINE_ONLY, ray_settings
from tests.stand_ins import HalfMatting, LanczosUpscaler


@pytest.fixture(scope="module")
def preview_on_ray(ray_cluster: str) -> Engines:
    from atelier.ray_serve.clients import connect

    return connect(ray_settings(ray_cluster, "preview", engine="preview"))


class TestPreviewEngineOnRay(EngineContract):
    @pytest.fixture(scope="class")
    def engine(self, preview_on_ray: Engines) -> GenerationEngine:
        return preview_on_ray.generation


@pytest.fixture(scope="module")
def tiny_sd_on_ray(ray_cluster: str, tiny_weights: Path) -> GenerationEngine:
    """Two models of a diffusers map (the same tiny weights): a deployment each."""
    from atelier.ray_serve.clients import connect

    settings = ray_settings(
        ray_cluster, "tiny-sd", engine="diffusers", diffusion_steps=2,
        diffusion_models={"recraftv3": tiny_weights, "recraftv2": tiny_weights},
        diffusion_batch_wait_ms=0, ray_deployments=ENGINE_ONLY,
    )  # fmt: skip
    return connect(settings).generation


class TestDiffusionEngineOnRay(EngineContract):
    @pytest.fixture(scope="class")
    def engine(self, tiny_sd_on_ray: GenerationEngine) -> GenerationEngine:
        return tiny_sd_on_ray


def test_each_model_of_a_diffusers_map_is_its_own_deployment(
    tiny_sd_on_ray: GenerationEngine,
) -> None:
    def passes() -> dict[str, object]:
        deployments = tiny_sd_on_ray.stats()["deployments"]
        assert isinstance(deployments, dict)
        return {name: reading["forward_passes"] for name, reading in deployments.items()}

    before = passes()
    assert set(before) == {"generation-recraftv3", "generation-recraftv2"}
    model = tiny_sd_on_ray.serving_id(catalog.MODELS["recraftv2"])
    assert model == "recraftv2"
    spec = GenerationSpec(
        prompt="a kite", model=model, style="digital_illustration", substyle=None,
        width=264, height=200, seed=3,
    )  # fmt: skip
    tiny_sd_on_ray.generate(spec)
    after = passes()
    assert after["generation-recraftv2"] == before["generation-recraftv2"] + 1  # type: ignore[operator]
    assert after["generation-recraftv3"] == before["generation-recraftv3"]


def test_the_engine_on_ray_says_what_it_is(preview_on_ray: Engines) -> None:
    engine = preview_on_ray.generation
    assert engine.name == "preview" and "on Ray Serve" in engine.description
    assert "svg" in engine.renders
    assert engine.stats()["ray_replicas"] == {"RUNNING": 1}


def test_tools_on_ray_give_what_they_give_in_process(preview_on_ray: Engines) -> None:
    image = photo((96, 64))
    assert _same(preview_on_ray.matting.remove(image), HalfMatting().remove(image))
    assert _same(preview_on_ray.upscaling.crisp(image, 4), LanczosUpscaler().crisp(image, 4))
    mask = Image.new("L", image.size, 0)
    assert _same(preview_on_ray.erasing.erase(image, mask).convert("RGB"), image.convert("RGB"))
    options = VectorizeOptions(color_reduction=4, palette=((200, 30, 30), (20, 20, 20)))
    assert preview_on_ray.vectorizing.vectorize(image, options) == vectorize(image, options)


def _same(a: Image.Image, b: Image.Image) -> bool:
    return a.mode == b.mode and a.size == b.size and a.tobytes() == b.tobytes()


def test_a_serve_config_builds_the_same_application(monkeypatch: pytest.MonkeyPatch) -> None:
    # What a RayService's serveConfigV2 imports: the settings come from its runtime_env.
    from ray.serve import Application

    from atelier.ray_serve.deployments import application

    monkeypatch.setenv("ATELIER_RAY_DEPLOYMENTS", '{"generation": {"num_replicas": 3}}')
    built = application({})
    assert isinstance(built, Application)
    monkeypatch.setenv("ATELIER_RAY_DEPLOYMENTS", '{"painting": {}}')
    with pytest.raises(ValueError, match="no deployment 'painting'"):
        application({})
