"""The engine interface: what a generation asks for and what an engine gives back."""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from PIL import Image

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


@dataclass(frozen=True)
class RasterImage:
    image: Image.Image  # RGB or RGBA, exactly the requested size


@dataclass(frozen=True)
class VectorImage:
    svg: str  # a complete SVG document whose width/height are the requested size
    width: int
    height: int


Artifact = RasterImage | VectorImage


class GenerationEngine(abc.ABC):
    """A text-to-image engine. Implementations are registered in ``engines.registry``."""

    name: str
    description: str

    @abc.abstractmethod
    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        """Make ``spec.n`` images; raster for raster styles, SVG for vector styles."""
