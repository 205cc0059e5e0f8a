"""Every engine passes one contract (atelier.testing.engine_contract): the preview engine, the
diffusers engine on a tiny pipeline, and the example engine of one's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.engines.base import GenerationEngine
from atelier.engines.preview import PreviewEngine
from atelier.testing.engine_contract import EngineContract
from atelier.testing.example_engine import ExampleEngine


class TestPreviewEngine(EngineContract):
    @pytest.fixture(scope="class")
    def engine(self) -> GenerationEngine:
        return PreviewEngine()


class TestExampleEngine(EngineContract):
    @pytest.fixture(scope="class")
    def engine(self) -> GenerationEngine:
        return ExampleEngine()


class TestDiffusionEngine(EngineContract):
    @pytest.fixture(scope="class")
    def engine(self, tiny_weights: Path) -> GenerationEngine:
        from atelier.engines.diffusion import DiffusionEngine

        return DiffusionEngine(
            {"recraftv3": tiny_weights}, steps=2, max_batch=4, batch_wait_seconds=0
        )
