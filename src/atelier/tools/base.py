"""What a tool implements: small interfaces, so that a tool of one's own can replace the
built-in one by a ``"module:Class"`` path (``ATELIER_MATTING_ENGINE`` and the like), as
engines can."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from PIL import Image

if TYPE_CHECKING:
    from atelier.config import Settings
    from atelier.tools.vectorizer import VectorizeOptions


class Tool(abc.ABC):
    # Whether the tool reads the input's pixels here. One that passes the upload on as it came
    # (an upstream's) has only its header checked, not its pixels decoded for nothing.
    decodes_input: bool = True

    @classmethod
    @abc.abstractmethod
    def from_settings(cls, settings: Settings) -> Tool:
        """Build the tool from the server's settings (models load lazily, on first use)."""


class Matting(Tool):
    """removeBackground, and replaceBackground's subject mask."""

    @abc.abstractmethod
    def alpha(self, image: Image.Image) -> Image.Image:
        """The foreground's alpha mask of ``image`` (mode "L", its size)."""

    def remove(self, image: Image.Image) -> Image.Image:
        """``image`` as RGBA whose alpha is the foreground mask."""
        cutout = image.convert("RGB")
        cutout.putalpha(self.alpha(image))
        return cutout


class Upscaling(Tool):
    """crispUpscale, creativeUpscale (and its deprecated names), the upscale option."""

    @abc.abstractmethod
    def crisp(self, image: Image.Image, scale: int = 2) -> Image.Image:
        """Fast, clean enlargement by ``scale`` (2 or 4)."""

    @abc.abstractmethod
    def creative(self, image: Image.Image) -> Image.Image:
        """x4 enlargement that invents plausible fine detail."""


class Erasing(Tool):
    """eraseRegion."""

    @abc.abstractmethod
    def erase(self, image: Image.Image, mask: Image.Image) -> Image.Image:
        """``image`` with the mask's white area filled from its surroundings; the rest kept."""


class Vectorizing(Tool):
    """vectorize (the tool endpoint; vector styles are traced by the finishing step)."""

    @abc.abstractmethod
    def vectorize(self, image: Image.Image, options: VectorizeOptions) -> str:
        """``image`` traced into a complete SVG document of its width and height."""
