"""The engine interface: what a generation asks for and what an engine gives back."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from PIL import Image

if TYPE_CHECKING:
    from atelier.catalog import Model
    from atelier.config import Settings

RGB = tuple[int, int, int]
Point = tuple[float, float]


@dataclass(frozen=True)
class TextItem:
    """One word of a text layout and its quad, in coordinates relative to the image (0..1)."""

    text: str
    bbox: tuple[Point, Point, Point, Point]


@dataclass(frozen=True)
class GenerationSpec:
    """Everything an engine needs to make the images of one request.

    The service has already validated it against the catalog; engines may trust it.
    Image i of the request is made with seed ``seed + i`` so that a seed reproduces all n.
    """

    prompt: str
    model: str
    style: str  # a base style of the catalog (a custom style's base style when style_id is used)
    substyle: str | None
    width: int
    height: int
    seed: int
    n: int = 1
    vector: bool = False  # vector styles give SVG
    negative_prompt: str | None = None
    artistic_level: int | None = None  # 0..5, None = engine default
    colors: tuple[RGB, ...] = ()
    background_color: RGB | None = None
    style_palette: tuple[RGB, ...] = ()  # colours taken from a custom style's reference images
    no_text: bool = False
    text_layout: tuple[TextItem, ...] = field(default_factory=tuple)
    # The custom style's id when one is used (its look is in style and style_palette): for an
    # engine that knows the style by its id elsewhere (an upstream).
    style_id: str | None = None

    @property
    def palette(self) -> tuple[RGB, ...]:
        """The colours asked for: ``colors``, else the custom style's palette."""
        return self.colors or self.style_palette

    @property
    def output_palette(self) -> tuple[RGB, ...]:
        """The colours an image is held to: the palette and the background colour with it.
        A background colour alone is no palette: the subject would be pulled to it too."""
        if self.palette and self.background_color:
            return (*self.palette, self.background_color)
        return self.palette


@dataclass(frozen=True)
class RasterImage:
    image: Image.Image  # RGB or RGBA, exactly the requested size
    # The image as an engine received it already encoded (an upstream's PNG), with its format
    # ("png", "webp"): stored as it is when nothing changes the image and the format is asked.
    encoded: bytes | None = None
    encoded_format: str | None = None
    source_url: str | None = None  # where it was fetched from (an upstream's image URL)


@dataclass(frozen=True)
class VectorImage:
    svg: str  # a complete SVG document whose width/height are the requested size
    width: int
    height: int
    source_url: str | None = None  # where it was fetched from (an upstream's image URL)


Artifact = RasterImage | VectorImage

EditOperation = Literal["image_to_image", "inpaint", "variate"]

# A raster style to draw with when a vector style is edited: edits work on pixels, and the
# service vectorizes the result.
RASTER_COUNTERPART = {"vector_illustration": "digital_illustration", "icon": "digital_illustration"}


@dataclass(frozen=True)
class EditSpec:
    """An edit of an input image: the generation settings plus the image and what to change.

    ``base.width``/``base.height`` are the output size (the input's size, except for variate).
    ``mask`` (mode "L", the input's size) marks with 255 what may change; 0 must stay identical.
    ``strength`` in [0, 1] is how far image_to_image and variate move from the input.
    """

    operation: EditOperation
    base: GenerationSpec
    image: Image.Image
    mask: Image.Image | None = None
    strength: float = 0.5


class GenerationEngine(abc.ABC):
    """A text-to-image engine. Implementations are registered in ``engines.registry``."""

    name: str
    description: str
    # What this engine draws itself. Whatever it does not, the domain's finishing step applies
    # to its raster output, the same for every engine: "palette" (pixels pulled toward the
    # colours asked for), "text_layout" (the layout's words drawn in their quads), "svg"
    # (vector styles traced into SVG).
    renders: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> GenerationEngine:
        """Build the engine from the server's settings (engines with options override this)."""
        return cls()

    @classmethod
    def check_models(cls, settings: Settings) -> list[dict[str, object]]:
        """What `atelier models` prints: each model this engine would serve, and if it loads."""
        from atelier.catalog import MODELS

        return [{"id": model_id, "engine": cls.name, "loads": True} for model_id in MODELS]

    def serving_id(self, model: Model) -> str | None:
        """The id under which this engine serves ``model`` (GenerationSpec.model), or None.

        This default serves every Recraft model of the catalog under its own id, and no
        other vendor's; engines with a model map (diffusers) look ``model.weights`` up in it.
        """
        from atelier.catalog import MODELS

        return model.id if model.id in MODELS else None

    def renders_for(self, spec: GenerationSpec) -> frozenset[str]:
        """What this engine draws itself for ``spec`` (an engine routing specs to others
        answers for the one that gets it)."""
        return self.renders

    def stats(self) -> dict[str, object]:
        """Counters shown in GET /v1/models (e.g. forward passes of a batching engine)."""
        return {}

    @abc.abstractmethod
    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        """Make ``spec.n`` images of ``spec.width`` x ``spec.height``: raster images, or SVG
        for vector styles where the engine ``renders`` "svg"."""

    def edit(self, spec: EditSpec) -> list[Image.Image]:
        """Make ``spec.base.n`` edited raster images (RGB, the output size).

        This default works for any engine by compositing freshly generated images with the
        input; engines that can condition on an image (diffusion) override it.
        """
        style = RASTER_COUNTERPART.get(spec.base.style, spec.base.style)
        base = replace(spec.base, style=style, vector=False)
        if style != spec.base.style:
            base = replace(base, substyle=None)
        # Generated images have exactly the spec's size.
        source = spec.image.convert("RGB").resize((base.width, base.height))
        results = []
        for artifact in self.generate(base):
            assert isinstance(artifact, RasterImage), "raster styles give raster images"
            generated = artifact.image.convert("RGB")
            if spec.operation == "inpaint":
                assert spec.mask is not None, "inpaint needs a mask"
                # Only where the mask allows; everything under mask 0 stays byte-identical.
                results.append(Image.composite(generated, source, spec.mask))
            else:
                results.append(Image.blend(source, generated, spec.strength))
        return results
