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
from atelier.storage.files import write_private

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


# A file being written ends in PART until its row commits; one older than STALE_PART_SECONDS
# was left by a crash (a write and a commit take well under a second).
PART = ".part"
STALE_PART_SECONDS = 3600
LEFTOVER_SCAN_SECONDS = 3600


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
        self._last_leftover_scan = float("-inf")
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
        # Written under a temporary name and given its own only after its row commits: a crash
        # leaves at most a stale .part file (which the sweep deletes), never an image file that
        # no row accounts for, and a reader never sees a half-written file.
        tmp = path.with_name(path.name + PART)
        write_private(tmp, image.data)
        try:
            with self.db.transaction() as conn:
                conn.execute(
                    "INSERT INTO images (id, user_id, extension, created, expires) "
                    "VALUES (?,?,?,?,?)",
                    (image_id, user_id, image.extension, now, stored.expires),
                )
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
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
        """Delete every image whose expiry has passed; returns how many went. At most once an
        hour (and at the first sweep) it also deletes what a crash left behind."""
        now = time.time() if now is None else now
        rows = self.db.query("SELECT id, extension FROM images WHERE expires < ?", (now,))
        for row in rows:
            self._path(row["id"], row["extension"]).unlink(missing_ok=True)
        if rows:
            with self.db.transaction() as conn:
                conn.executemany("DELETE FROM images WHERE id = ?", [(r["id"],) for r in rows])
            log.info("swept %d expired images", len(rows))
        if now - self._last_leftover_scan >= LEFTOVER_SCAN_SECONDS:
            self._last_leftover_scan = now
            self.delete_leftovers(now)
        return len(rows)

    def delete_leftovers(self, now: float | None = None) -> int:
        """Delete temporary files older than STALE_PART_SECONDS and image files that no row
        accounts for (a crash between writing and committing; an older atelier wrote the file
        first); returns how many went."""
        now = time.time() if now is None else now
        removed = 0
        for folder in (p for p in self.root.iterdir() if p.is_dir()):
            files = {p.name: p for p in folder.iterdir() if p.is_file()}
            ids = {m.group(1) for name in files if (m := _NAME.match(name))}
            known = self._known_ids(ids)
            for name, path in files.items():
                match = _NAME.match(name)
                stale_part = name.endswith(PART) and path.stat().st_mtime < now - STALE_PART_SECONDS
                if stale_part or (match is not None and match.group(1) not in known):
                    path.unlink(missing_ok=True)
                    removed += 1
        if removed:
            log.info("deleted %d files left behind by interrupted writes", removed)
        return removed

    def _known_ids(self, ids: set[str]) -> set[str]:
        known: set[str] = set()
        listed = sorted(ids)
        for start in range(0, len(listed), 500):  # SQLite caps the parameters of one query
            batch = listed[start : start + 500]
            marks = ",".join("?" * len(batch))
            rows = self.db.query(f"SELECT id FROM images WHERE id IN ({marks})", tuple(batch))
            known.update(row["id"] for row in rows)
        return known
