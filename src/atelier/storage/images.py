"""ImageStore: image files under the data dir, their expiry, and the sweep that deletes them."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from atelier.database import Database
from atelier.errors import NotFound
from atelier.imaging.encoding import MEDIA_TYPES, EncodedImage

log = logging.getLogger(__name__)

_NAME = re.compile(
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(png|webp|svg)$"
)


@dataclass(frozen=True)
class StoredImage:
    id: str
    extension: str
    expires: int

    @property
    def name(self) -> str:
        return f"{self.id}.{self.extension}"


@dataclass(frozen=True)
class ImageFile:
    path: Path
    media_type: str


# The expiry of an image asked not to expire (expire=false) when no operator limit is set:
# the last second of year 9999, so that signed URLs and the sweep need no special case.
NEVER = 253_402_300_799


class ImageStore:
    def __init__(
        self, db: Database, root: Path, ttl_seconds: int, kept_ttl_seconds: int | None = None
    ) -> None:
        self.db = db
        self.root = root
        self.ttl_seconds = ttl_seconds
        self.kept_ttl_seconds = kept_ttl_seconds
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, image_id: str, extension: str) -> Path:
        # Two-character fan-out keeps directories small after millions of images.
        return self.root / image_id[:2] / f"{image_id}.{extension}"

    def save(self, user_id: str, image: EncodedImage, keep: bool = False) -> StoredImage:
        """Store ``image``; ``keep`` (expire=false) holds it until the operator's limit, if any."""
        image_id = str(uuid.uuid4())
        now = time.time()
        if keep:
            expires = NEVER if self.kept_ttl_seconds is None else int(now + self.kept_ttl_seconds)
        else:
            expires = int(now + self.ttl_seconds)
        stored = StoredImage(image_id, image.extension, expires)
        path = self._path(image_id, image.extension)
        path.parent.mkdir(exist_ok=True)
        # Write then rename: a reader never sees a half-written file.
        tmp = path.with_suffix(".part")
        tmp.write_bytes(image.data)
        os.replace(tmp, path)
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO images (id, user_id, extension, created, expires) VALUES (?,?,?,?,?)",
                (image_id, user_id, image.extension, now, stored.expires),
            )
        return stored

    def open(self, name: str) -> ImageFile:
        match = _NAME.match(name)
        if match is None:
            raise NotFound("no such image")
        image_id, extension = match.groups()
        path = self._path(image_id, extension)
        if not path.is_file():
            raise NotFound("no such image; it may have expired")
        return ImageFile(path, MEDIA_TYPES[extension])

    def read_own(self, user_id: str, image_id: str, param: str) -> tuple[bytes, str]:
        """The bytes and extension of one of ``user_id``'s live images; anyone else's is 404."""
        row = self.db.query_one(
            "SELECT extension FROM images WHERE id = ? AND user_id = ? AND expires >= ?",
            (image_id, user_id, time.time()),
        )
        path = None if row is None else self._path(image_id, row["extension"])
        if row is None or path is None or not path.is_file():
            raise NotFound(f"no image with id {image_id}; it may have expired", param=param)
        return path.read_bytes(), row["extension"]

    def delete(self, image_id: str) -> None:
        """Delete one image now, whatever its expiry (an operator's or owner's decision)."""
        row = self.db.query_one("SELECT extension FROM images WHERE id = ?", (image_id,))
        if row is None:
            raise NotFound(f"no image with id {image_id}", param="id")
        self._path(image_id, row["extension"]).unlink(missing_ok=True)
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM images WHERE id = ?", (image_id,))

    def sweep(self, now: float | None = None) -> int:
        """Delete every image whose expiry has passed; returns how many went."""
        now = time.time() if now is None else now
        rows = self.db.query("SELECT id, extension FROM images WHERE expires < ?", (now,))
        for row in rows:
            self._path(row["id"], row["extension"]).unlink(missing_ok=True)
        if rows:
            with self.db.transaction() as conn:
                conn.executemany("DELETE FROM images WHERE id = ?", [(r["id"],) for r in rows])
            log.info("swept %d expired images", len(rows))
        return len(rows)
