"""The one-image tools done by an upstream: the same interfaces as the local tools
(tools/base.py), each a call to the upstream's endpoint of that tool."""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

from PIL import Image, UnidentifiedImageError

from atelier.tools.base import Erasing, Matting, Upscaling, Vectorizing
from atelier.upstream.client import UpstreamClient, UpstreamUnavailable
from atelier.upstream.engine import multipart_image, record_credits, svg_document

if TYPE_CHECKING:
    from atelier.config import Settings
    from atelier.tools.vectorizer import VectorizeOptions


_MADE_BY_GATEWAY = "upstream tools are made by upstream.gateway from ATELIER_UPSTREAMS"


class UpstreamTool:
    """A tool endpoint of the upstream: an image (and a mask) in, one image out. Made by
    upstream.gateway from ATELIER_UPSTREAMS, not from_settings."""

    decodes_input = False  # the upload goes upstream as it came

    def __init__(self, client: UpstreamClient) -> None:
        self.client = client

    def _run(
        self,
        endpoint: str,
        image: Image.Image,
        mask: Image.Image | None = None,
        fields: dict[str, str] | None = None,
    ) -> bytes:
        if self.client.config.dialect == "aimlapi":
            raise UpstreamUnavailable(
                f"{endpoint}'s upstream speaks the AI/ML API dialect, which has no {endpoint}"
            )
        files = {"image": multipart_image(image)}
        if mask is not None:
            files["mask"] = multipart_image(mask if mask.mode == "L" else mask.convert("L"))
        data = {"response_format": "url", **(fields or {})}
        answer = self.client.post(f"/v1/images/{endpoint}", data=data, files=files)
        record_credits(self.client, answer)
        item = answer.get("image")
        if not isinstance(item, dict):
            raise UpstreamUnavailable(f"the upstream's {endpoint} answer has no image")
        if isinstance(item.get("b64_json"), str):
            try:
                return base64.b64decode(item["b64_json"], validate=True)
            except ValueError as exc:
                raise UpstreamUnavailable("the upstream's image data is not base64") from exc
        if isinstance(item.get("url"), str):
            return self.client.fetch(item["url"])
        raise UpstreamUnavailable(f"the upstream's {endpoint} answer has an image with no data")

    def _image(self, *args: Any, **kwargs: Any) -> Image.Image:
        content = self._run(*args, **kwargs)
        try:
            image = Image.open(io.BytesIO(content))
            image.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise UpstreamUnavailable("the upstream's image could not be decoded") from exc
        return image


class UpstreamMatting(UpstreamTool, Matting):
    @classmethod
    def from_settings(cls, settings: Settings) -> UpstreamMatting:
        raise TypeError(_MADE_BY_GATEWAY)

    def alpha(self, image: Image.Image) -> Image.Image:
        cutout = self._image("removeBackground", image)
        alpha = cutout.convert("RGBA").getchannel("A")
        return alpha if alpha.size == image.size else alpha.resize(image.size)


class UpstreamUpscaling(UpstreamTool, Upscaling):
    @classmethod
    def from_settings(cls, settings: Settings) -> UpstreamUpscaling:
        raise TypeError(_MADE_BY_GATEWAY)

    def crisp(self, image: Image.Image, scale: int = 2) -> Image.Image:
        # The upstream's crispUpscale picks its own factor; the caller asked for ``scale``.
        return _sized(self._image("crispUpscale", image), image, scale)

    def creative(self, image: Image.Image) -> Image.Image:
        return _sized(self._image("creativeUpscale", image), image, 4)


class UpstreamErasing(UpstreamTool, Erasing):
    @classmethod
    def from_settings(cls, settings: Settings) -> UpstreamErasing:
        raise TypeError(_MADE_BY_GATEWAY)

    def erase(self, image: Image.Image, mask: Image.Image) -> Image.Image:
        return _sized(self._image("eraseRegion", image, mask), image, 1)


class UpstreamVectorizing(UpstreamTool, Vectorizing):
    @classmethod
    def from_settings(cls, settings: Settings) -> UpstreamVectorizing:
        raise TypeError(_MADE_BY_GATEWAY)

    def vectorize(self, image: Image.Image, options: VectorizeOptions) -> str:
        return svg_document(self._run("vectorize", image, fields=recraft_vectorize_fields(options)))


def recraft_vectorize_fields(options: VectorizeOptions) -> dict[str, str]:
    """``options`` as the fields of Recraft's vectorize request (VectorizeOptions.from_recraft
    read the other way)."""
    import json

    from atelier.tools.vectorizer import REDUCED_COLORS, SMALL_SHAPE_SPECKLE

    fields = {
        "svg_compression": "on" if options.compress else "off",
        "return_gradients": "on" if options.gradients else "off",
        "shape_stacking": "cut_out" if options.stacking == "cutout" else "hierarchical",
        "small_shape_filter": "on" if options.filter_speckle >= SMALL_SHAPE_SPECKLE else "off",
    }
    if options.max_shapes is not None:
        fields["limit_num_shapes"] = "on"
        fields["max_num_shapes"] = str(options.max_shapes)
    if options.palette:
        fields["strict_color_palette"] = json.dumps([list(c) for c in options.palette])
    elif options.color_reduction is not None:
        fields["color_reduction"] = (
            "on" if options.color_reduction == REDUCED_COLORS else str(options.color_reduction)
        )
    return fields


def _sized(result: Image.Image, source: Image.Image, scale: int) -> Image.Image:
    """``result`` at exactly ``scale`` times ``source``'s size, as the local tools give it."""
    size = (source.width * scale, source.height * scale)
    return result if result.size == size else result.resize(size, Image.Resampling.LANCZOS)
