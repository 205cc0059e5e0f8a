"""Fast stand-ins for the tools' models, chosen by "module:Class" as users choose their own
(ATELIER_MATTING_ENGINE=tests.stand_ins:HalfMatting; a server started from the checkout
imports them too). For tests whose subject is a route, a price or a client, not a model's
output: the real models' output is tested in tests/tools and tests/api/test_tools.py."""

from __future__ import annotations

import threading
import time

from PIL import Image

from atelier.engines.base import Artifact, GenerationSpec
from atelier.engines.preview import PreviewEngine
from atelier.tools.base import Matting, Upscaling

_lock = threading.Lock()
_counts = {"started": 0, "running": 0}


class SlowEngine(PreviewEngine):
    """The preview engine, slowed down by the seconds a prompt "sleep N" ends with, counting
    the jobs it started and those running (GET /v1/models shows them): an engine of the tests'
    own (ATELIER_ENGINE=tests.stand_ins:SlowEngine) for queues, time limits and crashes."""

    name = "slow"

    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        with _lock:
            _counts["started"] += 1
            _counts["running"] += 1
        try:
            words = spec.prompt.split()
            time.sleep(float(words[-1]) if words[0] == "sleep" else 0)
            return super().generate(spec)
        finally:
            with _lock:
                _counts["running"] -= 1

    def stats(self) -> dict[str, object]:
        with _lock:
            return dict(_counts)


class HalfMatting(Matting):
    """Keeps the left half of every image: a matting tool a test can check pixel by pixel."""

    @classmethod
    def from_settings(cls, settings: object) -> HalfMatting:
        return cls()

    def alpha(self, image: Image.Image) -> Image.Image:
        mask = Image.new("L", image.size, 0)
        mask.paste(255, (0, 0, image.width // 2, image.height))
        return mask


class LanczosUpscaler(Upscaling):
    """An upscaler of the tests' own (upscale_engine="module:Class"): fast, so that the routes,
    options and prices that upscale are tested without a minute of Real-ESRGAN on the CPU; the
    real models' output is tested in tests/tools/test_upscaler.py."""

    @classmethod
    def from_settings(cls, settings: object) -> LanczosUpscaler:
        return cls()

    def crisp(self, image: Image.Image, scale: int = 2) -> Image.Image:
        return image.resize((image.width * scale, image.height * scale), Image.Resampling.LANCZOS)

    def creative(self, image: Image.Image) -> Image.Image:
        return self.crisp(image, 4)
