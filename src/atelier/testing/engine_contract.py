"""The contract every generation engine passes, as a pytest mix-in (like diffusers'
PipelineTesterMixin): subclass ``EngineContract`` in a ``Test...`` class and provide an
``engine`` fixture. Results are checked as the domain delivers them, after the finishing
step that applies what an engine does not render itself."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

from PIL import Image, ImageChops, ImageDraw

from atelier.engines.base import (
    Artifact,
    EditSpec,
    GenerationEngine,
    GenerationSpec,
    RasterImage,
    TextItem,
    VectorImage,
)
from atelier.finishing import finish_edited, finish_generated

RED = (255, 0, 0)


class EngineContract:
    """Sizes, n, seeds, masks, palettes, text layout and vector output of an engine."""

    # Engines that work at a small scale for speed can narrow these.
    width = 264
    height = 200
    model = "recraftv3"

    def spec(self, **changes: object) -> GenerationSpec:
        base = GenerationSpec(
            prompt="a red fox in a field",
            model=self.model,
            style="digital_illustration",
            substyle=None,
            width=self.width,
            height=self.height,
            seed=11,
        )
        return replace(base, **changes)  # type: ignore[arg-type]

    @staticmethod
    def generated(engine: GenerationEngine, spec: GenerationSpec) -> list[Artifact]:
        return finish_generated(engine, spec, engine.generate(spec))

    def raster(self, engine: GenerationEngine, spec: GenerationSpec) -> Image.Image:
        [artifact] = self.generated(engine, spec)
        assert isinstance(artifact, RasterImage), "raster styles give raster images"
        return artifact.image.convert("RGB")

    def test_sizes_and_n(self, engine: GenerationEngine) -> None:
        artifacts = self.generated(engine, self.spec(n=2))
        assert len(artifacts) == 2
        for artifact in artifacts:
            assert isinstance(artifact, RasterImage)
            assert artifact.image.size == (self.width, self.height)

    def test_a_seed_reproduces_its_image(self, engine: GenerationEngine) -> None:
        first, again = self.raster(engine, self.spec()), self.raster(engine, self.spec())
        # Equal up to float rounding (devices may differ in the last bit).
        assert max(ImageChops.difference(first, again).convert("L").getdata()) <= 2
        other = self.raster(engine, self.spec(seed=12))
        assert ImageChops.difference(first, other).getbbox() is not None

    def test_inpaint_keeps_every_pixel_outside_the_mask(self, engine: GenerationEngine) -> None:
        source = Image.new("RGB", (self.width, self.height), (30, 90, 200))
        ImageDraw.Draw(source).ellipse((40, 40, 160, 160), fill=(230, 200, 40))
        mask = Image.new("L", source.size, 0)
        ImageDraw.Draw(mask).rectangle((0, 0, 99, 99), fill=255)
        [edited] = finish_edited(
            self.spec(), engine.edit(EditSpec("inpaint", self.spec(), source, mask))
        )
        assert isinstance(edited, RasterImage) and edited.image.size == source.size
        outside = ImageChops.composite(
            Image.new("RGB", source.size), ImageChops.difference(edited.image, source), mask
        )
        assert outside.getbbox() is None

    def test_a_palette_is_honoured(self, engine: GenerationEngine) -> None:
        def distance_to_red(image: Image.Image) -> float:
            bands = (sum(b.getdata()) / (image.width * image.height) for b in image.split())
            r, g, b = bands
            return float(((255 - r) ** 2 + g**2 + b**2) ** 0.5)

        plain = self.raster(engine, self.spec(seed=4))
        steered = self.raster(engine, self.spec(seed=4, colors=(RED,)))
        assert distance_to_red(steered) < 0.8 * distance_to_red(plain)

    def test_text_layout_words_are_drawn(self, engine: GenerationEngine) -> None:
        layout = (TextItem("HI", ((0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9))),)
        plain = self.raster(engine, self.spec(seed=3))
        with_text = self.raster(engine, self.spec(seed=3, text_layout=layout))
        assert ImageChops.difference(plain, with_text).getbbox() is not None

    def test_vector_styles_give_svg_in_the_palette(self, engine: GenerationEngine) -> None:
        spec = self.spec(style="vector_illustration", vector=True, colors=((200, 0, 0),))
        [artifact] = self.generated(engine, spec)
        assert isinstance(artifact, VectorImage)
        root = ET.fromstring(artifact.svg)
        assert (root.get("width"), root.get("height")) == (str(self.width), str(self.height))
        fills = {e.get("fill") for e in root.iter() if e.get("fill", "").startswith("#")}
        assert fills and fills <= {"#c80000"}
