"""Custom styles: a base style plus reference images, reduced to the palette engines use."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from atelier.accounting.ledger import Ledger
from atelier.catalog import CUSTOM_STYLE_BASES, ImageLimits
from atelier.database import Database
from atelier.engines.base import RGB
from atelier.errors import InvalidRequest, NotFound
from atelier.uploads import open_image

MAX_REFERENCE_IMAGES = 5
PALETTE_SIZE = 5
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


@dataclass(frozen=True)
class Style:
    id: str
    style: str
    palette: tuple[RGB, ...]
    images: int
    created: int


def extract_palette(images: list[Image.Image], size: int = PALETTE_SIZE) -> tuple[RGB, ...]:
    """The ``size`` most used colours of the images together, most used first."""
    thumbs = []
    for image in images:
        thumb = image.convert("RGB")
        thumb.thumbnail((96, 96))
        thumbs.append(thumb)
    sheet = Image.new("RGB", (96, 96 * len(thumbs)))
    for i, thumb in enumerate(thumbs):
        sheet.paste(thumb.resize((96, 96)), (0, 96 * i))
    quantized = sheet.quantize(colors=size, method=Image.Quantize.MEDIANCUT)
    flat = quantized.getpalette() or []
    palette = []
    for _, index in sorted(quantized.getcolors() or [], key=lambda item: -item[0]):
        assert isinstance(index, int)  # a "P" image reports palette indices
        palette.append((flat[3 * index], flat[3 * index + 1], flat[3 * index + 2]))
    return tuple(palette)


def _style(row: sqlite3.Row) -> Style:
    palette = tuple((r, g, b) for r, g, b in json.loads(row["palette"]))
    return Style(row["id"], row["style"], palette, row["images"], int(row["created"]))


class StyleLibrary:
    def __init__(self, db: Database, root: Path, ledger: Ledger, price: int, max_bytes: int):
        self.db = db
        self.root = root
        self.ledger = ledger
        self.price = price
        self.max_bytes = max_bytes

    def create(self, user_id: str, base_style: str | None, files: list[bytes]) -> Style:
        if not base_style:
            raise InvalidRequest("style is required: the base style of the new style", "style")
        if base_style not in CUSTOM_STYLE_BASES:
            raise InvalidRequest(
                f"style {base_style!r} cannot be a base style; use one of "
                + ", ".join(CUSTOM_STYLE_BASES),
                param="style",
            )
        if not 1 <= len(files) <= MAX_REFERENCE_IMAGES:
            raise InvalidRequest(
                f"upload 1 to {MAX_REFERENCE_IMAGES} reference images; got {len(files)}",
                param="files",
            )
        total = sum(len(data) for data in files)
        if total > self.max_bytes:
            raise InvalidRequest(
                f"the reference images total {total} bytes; the limit is {self.max_bytes} bytes",
                param="files",
            )
        limits = ImageLimits(max_bytes=self.max_bytes, min_side=1)
        images = [open_image(data, f"files[{i}]", limits) for i, data in enumerate(files)]
        palette = extract_palette(images)

        style = Style(str(uuid.uuid4()), base_style, palette, len(images), int(time.time()))
        with self.ledger.charged(user_id, self.price, "style_creation"):
            folder = self.root / style.id
            folder.mkdir(parents=True)
            for i, (image, data) in enumerate(zip(images, files, strict=True)):
                (folder / f"{i}.{_EXTENSIONS[image.format or 'PNG']}").write_bytes(data)
            with self.db.transaction() as conn:
                conn.execute(
                    "INSERT INTO styles (id, user_id, style, palette, images, created) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        style.id,
                        user_id,
                        base_style,
                        json.dumps(palette),
                        style.images,
                        style.created,
                    ),
                )
        return style

    def get(self, user_id: str, style_id: str) -> Style:
        row = self.db.query_one(
            "SELECT * FROM styles WHERE id = ? AND user_id = ?", (style_id, user_id)
        )
        if row is None:
            # Another user's style is reported exactly like a missing one.
            raise NotFound(f"no style with id {style_id}", param="style_id")
        return _style(row)

    def list(self, user_id: str) -> list[Style]:
        rows = self.db.query(
            "SELECT * FROM styles WHERE user_id = ? ORDER BY created, id", (user_id,)
        )
        return [_style(row) for row in rows]

    def delete(self, user_id: str, style_id: str) -> None:
        self.get(user_id, style_id)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM styles WHERE id = ?", (style_id,))
        shutil.rmtree(self.root / style_id, ignore_errors=True)
