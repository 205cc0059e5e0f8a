"""An engine of one's own, as small as one can be: seeded colour gradients, raster only.

It renders nothing itself (no palette, no words, no SVG), so the domain's finishing step does
all of that for it: it passes the same contract as the built-in engines. Serve it with
``ATELIER_ENGINE=atelier.testing.example_engine:ExampleEngine``.
"""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

from atelier.engines.base import Artifact, GenerationEngine, GenerationSpec, RasterImage


class ExampleEngine(GenerationEngine):
    name = "example"
    description = "Seeded two-colour gradients (an example of an engine of one's own)"

    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        return [RasterImage(self._image(spec, i)) for i in range(spec.n)]

    def _image(self, spec: GenerationSpec, index: int) -> Image.Image:
        # The prompt and the seed decide everything, so a seed reproduces the image.
        digest = hashlib.sha256(f"{spec.prompt}\0{spec.seed + index}".encode()).digest()
        start, end = np.frombuffer(digest[:3], np.uint8), np.frombuffer(digest[3:6], np.uint8)
        ramp = np.linspace(0.0, 1.0, spec.width, dtype=np.float32)[None, :, None]
        row = start + ramp * (end.astype(np.float32) - start)
        pixels = np.broadcast_to(row, (spec.height, spec.width, 3))
        return Image.fromarray(np.rint(pixels).astype(np.uint8), "RGB")
