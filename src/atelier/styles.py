"""Custom styles: a base style plus reference images, reduced to the palette engines use.

Two kinds of style ids work as ``style_id``: a user's own styles (POST /v1/styles; private to
their owner unless created with ``private: false``) and the basic styles, a small curated
table shared by every user (GET /v1/styles/basic).
"""

from __future__ import annotations

import json
import math
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from PIL import Image
from sqlalchemy.engine import RowMapping

from atelier import catalog
from atelier.catalog import ImageLimits
from atelier.database import Database
from atelier.delivery import Charging
from atelier.engines.base import RGB
from atelier.errors import Forbidden, InvalidRequest, NotFound
from atelier.inputs import ImageInputs, ImageSource
from atelier.storage.blobs import BlobStore, LocalBlobStore
from atelier.uploads import open_image

# Recraft's current API takes 1 to 10 reference images (the first spec: 1 to 5), 10 MB in all
# (ATELIER_MAX_STYLE_UPLOAD_BYTES; the first spec's 5 MB is within it).
MAX_REFERENCE_IMAGES = 10
MAX_SOURCE_STYLES = 10
MAX_PALETTE_COLORS = 16
PALETTE_SIZE = 5
# Base styles a custom style can be built on: the catalog's four classes, plus logo_raster,
# which Recraft's ImageStyle lists and which generates like any raster style. `any` is refused:
# it names no look, and a style_id must resolve to a concrete style when generating.
STYLE_BASES = (*catalog.CUSTOM_STYLE_BASES, "logo_raster")
# The new API makes `style` optional. Without it a style is built on digital_illustration (the
# base of Recraft's own examples; it keeps the references' colour transitions), or on
# vector_illustration when `model` is a vector-only id.
DEFAULT_BASE = "digital_illustration"
DEFAULT_VECTOR_BASE = "vector_illustration"
# `match`: how closely generation follows the references. Here it sets how many colours are
# kept from them: a precise match keeps more of their palette, a flexible one only the main hues.
MATCH_PALETTE_SIZES = {"flexible": 3, "regular": PALETTE_SIZE, "precise": 8}
# `mix_policy`: how the palettes of the sources (images and source styles) are combined.
# PaletteMatch (default) mixes all of them, each counted by its weight; MaxWeight takes the
# palette of the heaviest source alone.
MIX_POLICIES = ("PaletteMatch", "MaxWeight")
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
_MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
_TILE = 96


@dataclass(frozen=True)
class PaletteColor:
    rgb: RGB
    std: tuple[float, ...] | None = None  # Recraft's per-channel spread; stored, not used
    weight: float | None = None  # the colour's share; stored, not used (the order ranks them)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rgb": list(self.rgb)}
        if self.std is not None:
            out["std"] = list(self.std)
        if self.weight is not None:
            out["weight"] = self.weight
        return out


@dataclass(frozen=True)
class StyleRequest:
    """POST /v1/styles, whichever body it came in. ``images_param`` names the field the images
    came under (``images``, ``image_urls``, or ``files`` for the first spec's any-name parts),
    for errors about their number or total size; each image names its own field."""

    images: Sequence[ImageSource]
    style: str | None = None  # the base style; see DEFAULT_BASE
    model: str | None = None  # the Recraft model the style is made for; stored and reported
    match: str | None = None  # see MATCH_PALETTE_SIZES
    mix_policy: str | None = None  # see MIX_POLICIES
    # Given: this IS the style's palette (in this order) instead of the one extracted.
    palette: tuple[PaletteColor, ...] | None = None
    background_color: PaletteColor | None = None  # stored and reported with the palette
    private: bool | None = None  # default True: only its owner can use it (see Style)
    prompt: str | None = None  # a description of the style; stored and reported
    image_weights: tuple[float, ...] | None = None  # one per image: its share of the palette
    source_styles: tuple[str, ...] = ()  # styles whose palettes are mixed in
    source_style_weights: tuple[float, ...] | None = None  # one per source style; default 1
    images_param: str = "images"


@dataclass(frozen=True)
class Style:
    id: str
    style: str
    palette: tuple[RGB, ...]
    images: int
    created: int
    substyle: str | None = None
    # A private style is its owner's alone; a public one (private: false) also works as
    # style_id for other users, who can read it but not list or delete it.
    is_private: bool = True
    model: str | None = None
    background_color: RGB | None = None
    options: dict[str, Any] = field(default_factory=dict, compare=False)
    basic: bool = False

    @property
    def creation_time(self) -> str:
        """ISO 8601, UTC, to the second: ``2026-11-30T10:00:00Z``."""
        return datetime.fromtimestamp(self.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# The basic styles: one per base style x model family where the catalog has that pair, each
# with a fixed palette. Their ids are uuid5 of "<style>/<model>" in this namespace: stable
# across versions and installations.
BASIC_NAMESPACE = uuid.UUID("6f1c2a9e-4d3b-5e8a-9c07-2b1d3f4a5e60")
BASIC_MODELS = ("recraftv3", "recraftv4")
BASIC_CREATED = 1730246400  # 2024-10-30T00:00:00Z, the Recraft V3 release
BASIC_PALETTES: dict[str, tuple[RGB, ...]] = {
    "realistic_image": (
        (74, 96, 63), (196, 164, 132), (92, 124, 160), (236, 226, 208), (48, 42, 38),
    ),
    "digital_illustration": (
        (239, 71, 111), (255, 209, 102), (6, 214, 160), (17, 138, 178), (7, 59, 76),
    ),
    "vector_illustration": (
        (38, 70, 83), (42, 157, 143), (233, 196, 106), (244, 162, 97), (231, 111, 81),
    ),
    "icon": ((29, 53, 87), (69, 123, 157), (168, 218, 220), (241, 250, 238), (230, 57, 70)),
    "logo_raster": ((20, 20, 20), (200, 16, 46), (245, 245, 245), (255, 183, 3)),
}  # fmt: skip


def _basic_styles() -> dict[str, Style]:
    table: dict[str, Style] = {}
    for style, palette in BASIC_PALETTES.items():
        for model in BASIC_MODELS:
            if catalog.substyles(style, model) is None:
                continue  # e.g. icon has no Recraft V3 column
            style_id = str(uuid.uuid5(BASIC_NAMESPACE, f"{style}/{model}"))
            table[style_id] = Style(
                style_id, style, palette, 0, BASIC_CREATED, is_private=False, model=model,
                basic=True,
            )  # fmt: skip
    return table


BASIC_STYLES: dict[str, Style] = _basic_styles()


def extract_palette(
    images: Sequence[Image.Image],
    size: int = PALETTE_SIZE,
    weights: Sequence[float] | None = None,
) -> tuple[RGB, ...]:
    """The ``size`` most used colours of the images together, most used first.

    Each image is a tile of one sheet, its height in proportion to its weight (default: all
    equal), so that a heavier image gives more of the palette; a weight of 0 leaves it out.
    """
    weights = list(weights) if weights is not None else [1.0] * len(images)
    top = max(weights)
    tiles = []
    for image, weight in zip(images, weights, strict=True):
        height = round(_TILE * weight / top) if top > 0 else 0
        if height == 0:
            continue
        thumb = image.convert("RGB")
        thumb.thumbnail((_TILE, _TILE))
        tiles.append(thumb.resize((_TILE, height)))
    sheet = Image.new("RGB", (_TILE, sum(tile.height for tile in tiles)))
    y = 0
    for tile in tiles:
        sheet.paste(tile, (0, y))
        y += tile.height
    quantized = sheet.quantize(colors=size, method=Image.Quantize.MEDIANCUT)
    flat = quantized.getpalette() or []
    palette = []
    for _, index in sorted(quantized.getcolors() or [], key=lambda item: -item[0]):
        assert isinstance(index, int)  # a "P" image reports palette indices
        palette.append((flat[3 * index], flat[3 * index + 1], flat[3 * index + 2]))
    return tuple(palette)


def palette_swatch(palette: Sequence[RGB]) -> Image.Image:
    """A palette as an image of equal stripes, to be mixed like a reference image."""
    swatch = Image.new("RGB", (_TILE, _TILE * len(palette)))
    for i, color in enumerate(palette):
        swatch.paste(color, (0, _TILE * i, _TILE, _TILE * (i + 1)))
    return swatch


def _rgb(values: Sequence[int]) -> RGB:
    r, g, b = values
    return (int(r), int(g), int(b))


def _style(row: RowMapping) -> Style:
    palette = tuple(_rgb(c) for c in json.loads(row["palette"]))
    options: dict[str, Any] = json.loads(row["options"] or "{}")
    background = options.get("background_color")
    return Style(
        row["id"], row["style"], palette, row["images"], int(row["created"]),
        substyle=row["substyle"], is_private=bool(row["is_private"]), model=row["model"],
        background_color=_rgb(background["rgb"]) if background else None, options=options,
    )  # fmt: skip


class StyleMirror(Protocol):
    """Somewhere else a style is made too (gateway mode: the upstream serving its model)."""

    def create(self, style: Style, images: Sequence[Image.Image]) -> None:
        """Make ``style`` there from its reference images, as uploaded (inside its hold)."""

    def delete(self, style_id: str) -> None:
        """Delete the style there."""


class StyleLibrary:
    # Set by the gateway's wiring (upstream.gateway.mirror_styles); None: styles live here only.
    mirror: StyleMirror | None = None

    def __init__(
        self,
        db: Database,
        files: BlobStore | Path,
        charging: Charging,
        price: int,
        max_bytes: int,
        inputs: ImageInputs,
    ) -> None:
        """``files``: where the reference images are kept (a Path means a local folder)."""
        self.db = db
        self.files = LocalBlobStore(files) if isinstance(files, Path) else files
        self.charging = charging
        self.price = price
        self.max_bytes = max_bytes
        self.inputs = inputs

    def create(self, user_id: str, req: StyleRequest) -> Style:
        """Check ``req`` (cheap checks first), read and decode its images, then charge the
        style's price and store it. Nothing is charged unless the style is stored."""
        return self._create(user_id, req, charge=True)

    def _create(self, user_id: str, req: StyleRequest, *, charge: bool) -> Style:
        base = self._base_style(req)
        count = len(req.images)
        if not 1 <= count <= MAX_REFERENCE_IMAGES:
            raise InvalidRequest(
                f"send 1 to {MAX_REFERENCE_IMAGES} reference images; got {count}",
                param=req.images_param,
            )
        image_weights = _weights(req.image_weights, count, "image_weights", "images")
        source_weights = _weights(
            req.source_style_weights, len(req.source_styles), "source_style_weights",
            "source_styles",
        )  # fmt: skip
        if len(req.source_styles) > MAX_SOURCE_STYLES:
            raise InvalidRequest(
                f"mix at most {MAX_SOURCE_STYLES} source styles", param="source_styles"
            )
        if sum(image_weights) + sum(source_weights) <= 0:
            raise InvalidRequest("at least one weight must be above 0", param="image_weights")
        if req.match is not None and req.match not in MATCH_PALETTE_SIZES:
            raise InvalidRequest(
                "match must be one of " + ", ".join(MATCH_PALETTE_SIZES), param="match"
            )
        if req.mix_policy is not None and req.mix_policy not in MIX_POLICIES:
            raise InvalidRequest(
                "mix_policy must be one of " + ", ".join(MIX_POLICIES), "mix_policy"
            )
        if req.palette is not None and not 1 <= len(req.palette) <= MAX_PALETTE_COLORS:
            raise InvalidRequest(
                f"palette.colors must hold 1 to {MAX_PALETTE_COLORS} colours", "palette.colors"
            )
        sources = [
            self._source(user_id, style_id, f"source_styles[{i}]")
            for i, style_id in enumerate(req.source_styles)
        ]

        if charge:  # credits first: a request that would be refused reads no image
            self.charging.check(user_id, self.price)
        contents = self._read(req.images, req.images_param)
        limits = ImageLimits(max_bytes=self.max_bytes, min_side=1)
        images = [
            open_image(data, source.field, limits)
            for source, data in zip(req.images, contents, strict=True)
        ]
        if req.palette is not None:
            palette = tuple(color.rgb for color in req.palette)
        else:
            tiles = [*images, *(palette_swatch(source.palette) for source in sources)]
            palette = _mixed_palette(tiles, [*image_weights, *source_weights], req)
        style = Style(
            str(uuid.uuid4()), base, palette, len(images), int(time.time()),
            is_private=req.private if req.private is not None else True, model=req.model,
            background_color=req.background_color.rgb if req.background_color else None,
            options=_options(req),
        )  # fmt: skip
        if charge:
            with self.charging.charged(user_id, self.price, "style_creation"):
                self._mirrored(style, images)
                self._store(user_id, style, images, contents)
        else:
            self._mirrored(style, images)
            self._store(user_id, style, images, contents)
        return style

    def _mirrored(self, style: Style, images: Sequence[Image.Image]) -> None:
        if self.mirror is not None:
            self.mirror.create(style, images)

    def create_inline(
        self,
        user_id: str,
        images: Sequence[tuple[str, bytes]],
        *,
        style: str | None = None,
        model: str | None = None,
    ) -> Style:
        """A style from a generation request's style references, as (field, bytes) pairs:
        checked and stored like any style (its id comes back with the images), but not
        charged apart: the generation's price covers it."""
        param = images[0][0].split("[")[0] if images else "style_references"
        req = StyleRequest(
            images=[ImageSource(name, data=data) for name, data in images],
            style=style,
            model=model,
            images_param=param,
        )
        return self._create(user_id, req, charge=False)

    def _store(
        self, user_id: str, style: Style, images: Sequence[Image.Image], contents: Sequence[bytes]
    ) -> None:
        written: list[str] = []
        try:
            for i, (image, data) in enumerate(zip(images, contents, strict=True)):
                extension = _EXTENSIONS[image.format or "PNG"]
                key = f"{style.id}/{i}.{extension}"
                self.files.put(key, data, _MEDIA_TYPES[extension])
                written.append(key)
            with self.db.transaction() as tx:
                tx.execute(
                    "INSERT INTO styles (id, user_id, style, palette, images, created, substyle, "
                    "is_private, model, options) VALUES (:id, :user_id, :style, :palette, "
                    ":images, :created, :substyle, :is_private, :model, :options)",
                    {
                        "id": style.id, "user_id": user_id, "style": style.style,
                        "palette": json.dumps(style.palette), "images": style.images,
                        "created": style.created, "substyle": style.substyle,
                        "is_private": int(style.is_private), "model": style.model,
                        "options": json.dumps(style.options),
                    },
                )  # fmt: skip
        except BaseException:
            for key in written:
                self.files.delete(key)
            raise

    def _base_style(self, req: StyleRequest) -> str:
        model = catalog.MODELS.get(req.model) if req.model is not None else None
        if req.model is not None and model is None:
            raise InvalidRequest(
                f"model {req.model!r} is not a Recraft model id; GET /v1/models lists them",
                param="model",
            )
        if req.style is None:
            vector = model is not None and model.output == "vector"
            return DEFAULT_VECTOR_BASE if vector else DEFAULT_BASE
        if req.style not in STYLE_BASES:
            raise InvalidRequest(
                f"style {req.style!r} cannot be a base style; use one of " + ", ".join(STYLE_BASES),
                param="style",
            )
        if model is not None:
            if catalog.substyles(req.style, model.styles) is None:
                raise InvalidRequest(
                    f"style {req.style!r} is not available with model {model.id}", param="style"
                )
            vector = req.style in catalog.VECTOR_STYLES
            if model.output != "any" and vector != (model.output == "vector"):
                raise InvalidRequest(
                    f"model {model.id} makes {model.output} images but style {req.style!r} is "
                    f"{'vector' if vector else 'raster'}",
                    param="style",
                )
        return req.style

    def _source(self, user_id: str, style_id: str, param: str) -> Style:
        try:
            return self.get(user_id, style_id)
        except NotFound as exc:
            exc.param = param
            raise

    def _read(self, sources: Sequence[ImageSource], param: str) -> list[bytes]:
        """The bytes of every image: uploads and data: URLs first (no network), then http(s)
        URLs, stopping as soon as the total passes the limit."""
        contents: list[bytes | None] = [None] * len(sources)
        total = 0
        local = [i for i, s in enumerate(sources) if not _is_remote(s)]
        remote = [i for i, s in enumerate(sources) if _is_remote(s)]
        for i in local + remote:
            source = sources[i]
            data = self.inputs.read(source)  # uploads as they are, URLs read
            contents[i] = data
            total += len(data)
            if total > self.max_bytes:
                raise InvalidRequest(
                    f"the reference images total more than {self.max_bytes} bytes; "
                    f"the limit is {self.max_bytes} bytes",
                    param=param,
                )
        return [data for data in contents if data is not None]

    def get(self, user_id: str, style_id: str) -> Style:
        """A style ``user_id`` may use: their own, a basic style, or another user's public one."""
        basic = BASIC_STYLES.get(style_id)
        if basic is not None:
            return basic
        row = self.db.query_one(
            "SELECT * FROM styles WHERE id = :id AND (user_id = :user_id OR is_private = 0)",
            {"id": style_id, "user_id": user_id},
        )
        if row is None:
            # Another user's private style is reported exactly like a missing one.
            raise NotFound(f"no style with id {style_id}", param="style_id")
        return _style(row)

    def list(self, user_id: str) -> list[Style]:
        rows = self.db.query(
            "SELECT * FROM styles WHERE user_id = :user_id ORDER BY created, id",
            {"user_id": user_id},
        )
        return [_style(row) for row in rows]

    def basic(self) -> tuple[Style, ...]:
        return tuple(BASIC_STYLES.values())

    def delete(self, user_id: str, style_id: str) -> None:
        if style_id in BASIC_STYLES:
            raise Forbidden(
                "basic styles are shared by every user and cannot be deleted", "style_id"
            )
        if self.mirror is not None and self._owned(user_id, style_id):
            self.mirror.delete(style_id)  # first: a failure there leaves both to retry
        with self.db.transaction() as tx:
            deleted = tx.execute(
                "DELETE FROM styles WHERE id = :id AND user_id = :user_id",
                {"id": style_id, "user_id": user_id},
            )
        if not deleted:
            raise NotFound(f"no style with id {style_id}", param="style_id")
        for key, _ in list(self.files.listing(f"{style_id}/")):
            self.files.delete(key)

    def _owned(self, user_id: str, style_id: str) -> bool:
        row = self.db.query_one(
            "SELECT 1 FROM styles WHERE id = :id AND user_id = :user_id",
            {"id": style_id, "user_id": user_id},
        )
        return row is not None


def _mixed_palette(
    tiles: Sequence[Image.Image], weights: Sequence[float], req: StyleRequest
) -> tuple[RGB, ...]:
    """The palette of the sources (images, then source styles' swatches) by their weights."""
    if req.mix_policy == "MaxWeight":
        heaviest = max(range(len(tiles)), key=lambda i: weights[i])
        tiles, weights = [tiles[heaviest]], [1.0]
    return extract_palette(tiles, MATCH_PALETTE_SIZES[req.match or "regular"], weights)


def _options(req: StyleRequest) -> dict[str, Any]:
    """What the styles table keeps as JSON: the request's fields that have no column."""
    options: dict[str, Any] = {
        "match": req.match,
        "mix_policy": req.mix_policy,
        "prompt": req.prompt,
        "palette": [c.as_json() for c in req.palette] if req.palette is not None else None,
        "background_color": req.background_color.as_json() if req.background_color else None,
        "image_weights": list(req.image_weights) if req.image_weights is not None else None,
        "source_styles": list(req.source_styles) or None,
        "source_style_weights": (
            list(req.source_style_weights) if req.source_style_weights is not None else None
        ),
    }
    return {key: value for key, value in options.items() if value is not None}


def _is_remote(source: ImageSource) -> bool:
    return source.url is not None and source.url.strip()[:5].lower() != "data:"


def _weights(weights: Sequence[float] | None, count: int, param: str, of: str) -> tuple[float, ...]:
    if weights is None:
        return (1.0,) * count
    if len(weights) != count:
        raise InvalidRequest(
            f"{param} has {len(weights)} numbers for {count} {of}; send one per item", param
        )
    for i, weight in enumerate(weights):
        if not (math.isfinite(weight) and weight >= 0):
            raise InvalidRequest(f"{param}[{i}] must be a number >= 0", param=f"{param}[{i}]")
    return tuple(float(w) for w in weights)
