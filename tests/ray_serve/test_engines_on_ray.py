"""The engine contract on Ray Serve (the preview engine and the tiny diffusers pipeline, each a
deployment), and the tools there giving what they give in process."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from atelier.engines.base import GenerationEngine
from atelier.engines.registry import Engines
from atelier.testing.engine_contract import EngineContract
from tests.conftest import photo
from tests.ray_serve.conftest import ray_settings
from tests.stand_ins import HalfMatting, LanczosUpscaler


@pytest.fixture(scope="module")
def preview_on_ray(ray_cluster: str) -> Engines:
    from atelier.ray_serve.clients import connect

    return connect(ray_settings(ray_cluster, "preview", engine="preview"))


class TestPreviewEngineOnRay(EngineContract):
    @pytest.fixture(scope="class")
    def engine(self, preview_on_ray: Engines) -> GenerationEngine:
        return preview_on_ray.generation


class TestDiffusionEngineOnRay(EngineContract):
    @pytest.fixture(scope="class")
    def engine(self, ray_cluster: str, tiny_weights: Path) -> GenerationEngine:
        from atelier.ray_serve.clients import connect

        settings = ray_settings(
            ray_cluster, "tiny-sd", engine="diffusers", diffusion_steps=2,
            diffusion_models={"recraftv3": tiny_weights}, diffusion_batch_wait_ms=0,
        )  # fmt: skip
        return connect(settings).generation


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
