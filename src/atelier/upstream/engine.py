"""The upstream engine: generations and edits made by an upstream Recraft-compatible API
(Recraft itself, or another atelier), behind the same contract as the local engines. The
request was validated and priced here; the upstream's answer becomes our artifacts."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PIL import Image, UnidentifiedImageError

from atelier.accounting.upstream_usage import record_upstream
from atelier.engines.base import (
    RASTER_COUNTERPART,
    Artifact,
    EditSpec,
    GenerationEngine,
    GenerationSpec,
    RasterImage,
    VectorImage,
)
from atelier.uploads import uploaded_bytes
from atelier.upstream.client import UpstreamClient, UpstreamUnavailable

# Our edit operations and the upstream endpoints that do them.
EDIT_PATHS = {
    "image_to_image": "/v1/images/imageToImage",
    "inpaint": "/v1/images/inpaint",
    "variate": "/v1/images/variateImage",
}


class UpstreamEngine(GenerationEngine):
    """Sends each generation and edit to one upstream; serves every model of the catalog
    under its own id (the router in front decides which models come here)."""

    name = "upstream"
    description = "images made by an upstream Recraft-compatible API"
    # The upstream draws palettes, text layouts and SVG itself: nothing is re-applied here.
    renders = frozenset({"palette", "text_layout", "svg"})

    def __init__(self, client: UpstreamClient) -> None:
        self.client = client
        # The upstream's ids of custom styles made through atelier (upstream.styles), set by
        # the gateway's wiring.
        self.style_ids: Callable[[str, str], str | None] = lambda style_id, upstream: None

    def _body(self, spec: GenerationSpec) -> dict[str, Any]:
        """The generation request; a custom style the upstream knows is sent by its id there
        (its palette is in that style: only the request's own colours go with it)."""
        upstream_id = spec.style_id and self.style_ids(spec.style_id, self.client.config.name)
        if not upstream_id:
            return generation_body(spec)
        body = generation_body(replace(spec, style_palette=()))
        body.pop("style")
        body.pop("substyle", None)
        body["style_id"] = upstream_id
        return body

    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        if self.client.config.dialect == "aimlapi":
            answer = self.client.post("/v1/images/generations", json_body=aiml_body(spec))
            # Its answer: {"images": [{"url", "content_type", ...}]}, and no credits.
            items = _items(answer.get("images"), spec.n)
        else:
            answer = self.client.post("/v1/images/generations", json_body=self._body(spec))
            items = _items(answer.get("data"), spec.n)
            record_credits(self.client, answer)
        return [self._artifact(item, spec) for item in items]

    def edit(self, spec: EditSpec) -> list[Image.Image]:
        if self.client.config.dialect == "aimlapi":
            raise UpstreamUnavailable(
                "this model's upstream speaks the AI/ML API dialect, which has no edits"
            )
        # Edits come back raster; a vector style is drawn with its raster counterpart and the
        # service traces the result, as for every engine.
        base = spec.base
        if base.style in RASTER_COUNTERPART:
            base = replace(base, style=RASTER_COUNTERPART[base.style], substyle=None, vector=False)
        if spec.operation == "variate":
            fields = {"size": f"{base.width}x{base.height}", "n": str(base.n),
                      "random_seed": str(base.seed), "response_format": "url"}  # fmt: skip
        else:
            fields = {k: _form_value(v) for k, v in self._body(base).items() if k != "size"}
        if spec.operation == "image_to_image":
            fields["strength"] = str(spec.strength)
        files = {"image": multipart_image(spec.image)}
        if spec.operation == "inpaint" and spec.mask is not None:
            files["mask"] = multipart_image(
                spec.mask if spec.mask.mode == "L" else spec.mask.convert("L")
            )
        answer = self.client.post(EDIT_PATHS[spec.operation], data=fields, files=files)
        items = _items(answer.get("data"), base.n)
        record_credits(self.client, answer)
        images = []
        for item in items:
            artifact = self._artifact(item, base)
            if not isinstance(artifact, RasterImage):
                raise UpstreamUnavailable("the upstream answered an edit with an SVG")
            images.append(artifact.image.convert("RGB"))
        return images

    def _artifact(self, item: dict[str, Any], spec: GenerationSpec) -> Artifact:
        if isinstance(item.get("b64_json"), str):
            try:
                content = base64.b64decode(item["b64_json"], validate=True)
            except ValueError as exc:
                raise UpstreamUnavailable("the upstream's image data is not base64") from exc
        elif isinstance(item.get("url"), str):
            content = self.client.fetch(item["url"])
        else:
            raise UpstreamUnavailable("the upstream's answer has an image with no data")
        url = item.get("url") if isinstance(item.get("url"), str) else None
        return artifact_of(content, spec, url)


def _items(data: object, n: int) -> list[dict[str, Any]]:
    """An answer's list of ``n`` image items, checked."""
    if not isinstance(data, list) or len(data) != n or not all(isinstance(i, dict) for i in data):
        raise UpstreamUnavailable(f"the upstream's answer does not hold {n} images")
    return data


def artifact_of(content: bytes, spec: GenerationSpec, url: str | None = None) -> Artifact:
    """The upstream's image bytes (from ``url``) as an artifact of ``spec``'s size (SVG for
    vector styles)."""
    if spec.vector:
        return VectorImage(svg_document(content), spec.width, spec.height, source_url=url)
    try:
        # verify() checks the stream whole (chunk checksums) without decoding the pixels;
        # they are decoded when something needs them, else the bytes are stored as they came.
        Image.open(io.BytesIO(content)).verify()
        image: Image.Image = Image.open(io.BytesIO(content))
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise UpstreamUnavailable("the upstream's image could not be decoded") from exc
    encoded_format = {"PNG": "png", "WEBP": "webp"}.get(image.format or "")
    if image.size != (spec.width, spec.height) or image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.mode else "RGB")
        image = image.resize((spec.width, spec.height), Image.Resampling.LANCZOS)
        return RasterImage(image)
    return RasterImage(image, content, encoded_format, source_url=url)


def svg_document(content: bytes) -> str:
    """The upstream's SVG answer as text, if it is an SVG document."""
    try:
        svg = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UpstreamUnavailable("the upstream's SVG is not UTF-8 text") from exc
    if "<svg" not in svg[:4096]:
        raise UpstreamUnavailable("the upstream's vector image is not an SVG document")
    return svg


def generation_body(spec: GenerationSpec) -> dict[str, Any]:
    """Recraft's generation request for ``spec`` (images come back inline, base64)."""
    body: dict[str, Any] = {
        "prompt": spec.prompt,
        "model": spec.model,
        "style": spec.style,
        "size": f"{spec.width}x{spec.height}",
        "n": spec.n,
        "random_seed": spec.seed,
        "response_format": "url",
    }
    if spec.substyle:
        body["substyle"] = spec.substyle
    if spec.negative_prompt:
        body["negative_prompt"] = spec.negative_prompt
    controls: dict[str, Any] = {}
    if spec.artistic_level is not None:
        controls["artistic_level"] = spec.artistic_level
    if spec.palette:
        controls["colors"] = [{"rgb": list(colour)} for colour in spec.palette]
    if spec.background_color:
        controls["background_color"] = {"rgb": list(spec.background_color)}
    if spec.no_text:
        controls["no_text"] = True
    if controls:
        body["controls"] = controls
    if spec.text_layout:
        body["text_layout"] = [
            {"text": item.text, "bbox": [list(point) for point in item.bbox]}
            for item in spec.text_layout
        ]
    return body


def record_credits(client: UpstreamClient, answer: dict[str, Any]) -> None:
    """The upstream's charge for this answer, recorded beside ours (when it says one)."""
    credits = answer.get("credits")
    if isinstance(credits, int) and not isinstance(credits, bool):
        record_upstream(client.config.name, credits)


def aiml_body(spec: GenerationSpec) -> dict[str, Any]:
    """The AI/ML API's request for ``spec``: Recraft V3 by its name there, the exact size,
    "style/substyle", colours as r/g/b (it takes no seed, negative prompt or text layout)."""
    body: dict[str, Any] = {
        "model": "recraft-v3",
        "prompt": spec.prompt,
        "image_size": {"width": spec.width, "height": spec.height},
        "style": f"{spec.style}/{spec.substyle}" if spec.substyle else spec.style,
        "num_images": spec.n,
    }
    if spec.palette:
        body["colors"] = [{"r": r, "g": g, "b": b} for r, g, b in spec.palette]
    return body


def _form_value(value: Any) -> str:
    """A multipart field: nested values as JSON text, as Recraft's forms take them."""
    return value if isinstance(value, str) else json.dumps(value)


def multipart_image(image: Image.Image) -> tuple[str, bytes, str]:
    """``image`` as a multipart file: an upload nobody changed as it came, else a fast PNG."""
    original = uploaded_bytes(image)
    if original is not None and image.format in _MEDIA_TYPES:
        return f"image.{image.format.lower()}", original, _MEDIA_TYPES[image.format]
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "image.png", buffer.getvalue(), "image/png"


_MEDIA_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
