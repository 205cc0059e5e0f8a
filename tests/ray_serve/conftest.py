"""One local Ray instance for every Ray test (its start-up is shared), and the settings of the
Serve applications the tests deploy on it."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from atelier.config import RAY_DEPLOYMENTS, Settings

ROOT = Path(__file__).resolve().parents[2]
# A small share of the two CPUs for every replica: several applications fit at once.
SMALL = {name: {"ray_actor_options": {"num_cpus": 0.05}} for name in RAY_DEPLOYMENTS}
# For applications whose tests use only the engine: tool deployments with no replica until
# asked (Serve scales them from zero), so that their start-up costs nothing.
IDLE = {"min_replicas": 0, "initial_replicas": 0, "max_replicas": 1}
ENGINE_ONLY = {
    **SMALL,
    **{name: {**SMALL[name], "autoscaling_config": IDLE} for name in RAY_DEPLOYMENTS[1:]},
}
STAND_INS = {
    "matting_engine": "tests.stand_ins:HalfMatting",
    "upscale_engine": "tests.stand_ins:LanczosUpscaler",
}


@pytest.fixture(scope="package")
def ray_cluster() -> Iterator[str]:
    """The address of a local Ray instance (two CPUs, no dashboard), for this folder's tests
    only: the test process is a Ray driver (with gRPC's threads) no longer than it must be."""
    import ray

    # The replicas import the tests' stand-in engines (tests.stand_ins) from the checkout.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
    )
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=256 * 1024 * 1024,
        log_to_driver=False,
    )
    yield str(ray.get_runtime_context().gcs_address)
    ray.shutdown()  # its processes, Serve's controller and replicas with them


def ray_settings(address: str, app: str, **fields: Any) -> Settings:
    """Settings of an API process whose engines are the application ``app`` on Ray."""
    return Settings(**{
        "ray_address": address, "ray_app": app, "ray_deployments": SMALL, **STAND_INS, **fields
    })  # fmt: skip


def ray_env(address: str, app: str, **env: str) -> dict[str, str]:
    """The same for a live server, as its environment."""
    return {
        "ATELIER_RAY_ADDRESS": address,
        "ATELIER_RAY_APP": app,
        "ATELIER_RAY_DEPLOYMENTS": json.dumps(SMALL),
        "ATELIER_MATTING_ENGINE": STAND_INS["matting_engine"],
        "ATELIER_UPSCALE_ENGINE": STAND_INS["upscale_engine"],
        **env,
    }
