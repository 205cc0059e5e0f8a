"""ImageStore: stored images (rows in the database, bytes in a blob store), their expiry, and
the sweep that deletes them."""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from atelier.database import Database
from atelier.errors import NotFound
from atelier.imaging.encoding import MEDIA_TYPES, EncodedImage
from atelier.storage.blobs import PART, BlobStore, LocalBlobStore

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
class ImageBytes:
    data: bytes
    media_type: str


# An unfinished local write older than STALE_PART_SECONDS was left by a crash (a write takes
# well under a second); the sweep looks for such leftovers at most once per LEFTOVER_SCAN_SECONDS.
STALE_PART_SECONDS = 3600
LEFTOVER_SCAN_SECONDS = 3600


# The expiry of an image asked not to expire (expire=false) when no operator limit is set:
# the last second of year 9999, so that signed URLs and the sweep need no special case.
NEVER = 253_402_300_799


def _key(image_id: str, extension: str) -> str:
    # Two-character fan-out keeps local directories small after millions of images.
    return f"{image_id[:2]}/{image_id}.{extension}"


class ImageStore:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore | Path,
        ttl_seconds: int,
        kept_ttl_seconds: int | None = None,
    ) -> None:
        """``blobs``: where the bytes go (a Path means a local folder)."""
        self.db = db
        self.blobs = LocalBlobStore(blobs) if isinstance(blobs, Path) else blobs
        self.ttl_seconds = ttl_seconds
        self.kept_ttl_seconds = kept_ttl_seconds
        self._last_leftover_scan = float("-inf")

    def save(self, user_id: str, image: EncodedImage, keep: bool = False) -> StoredImage:
        """Store ``image``; ``keep`` (expire=false) holds it until the operator's limit, if any."""
        image_id = str(uuid.uuid4())
        now = time.time()
        if keep:
            expires = NEVER if self.kept_ttl_seconds is None else int(now + self.kept_ttl_seconds)
        else:
            expires = int(now + self.ttl_seconds)
        stored = StoredImage(image_id, image.extension, expires)
        # The row first: a crash after it leaves a row whose image is missing (a 404 until the
        # sweep takes the row), never bytes that no row accounts for.
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO images (id, user_id, extension, created, expires) "
                "VALUES (:id, :user_id, :extension, :now, :expires)",
                {
                    "id": image_id, "user_id": user_id, "extension": image.extension,
                    "now": now, "expires": stored.expires,
                },
            )  # fmt: skip
        try:
            self.blobs.put(
                _key(image_id, image.extension), image.data, MEDIA_TYPES[image.extension]
            )
        except BaseException:
            with self.db.transaction() as tx:
                tx.execute("DELETE FROM images WHERE id = :id", {"id": image_id})
            raise
        return stored

    def read(self, name: str) -> ImageBytes:
        """The bytes and media type of the image file ``name`` (``<id>.<extension>``)."""
        match = _NAME.match(name)
        if match is None:
            raise NotFound("no such image")
        image_id, extension = match.groups()
        data = self.blobs.get(_key(image_id, extension))
        if data is None:
            raise NotFound("no such image; it may have expired")
        return ImageBytes(data, MEDIA_TYPES[extension])

    def presigned_url(self, name: str, seconds: int) -> str | None:
        """A short-lived URL of the store itself for ``name``, where the store has them."""
        match = _NAME.match(name)
        if match is None:
            raise NotFound("no such image")
        return self.blobs.presigned_url(_key(*match.groups()), seconds)

    def read_own(self, user_id: str, image_id: str, param: str) -> tuple[bytes, str]:
        """The bytes and extension of one of ``user_id``'s live images; anyone else's is 404."""
        row = self.db.query_one(
            "SELECT extension FROM images WHERE id = :id AND user_id = :user_id "
            "AND expires >= :now",
            {"id": image_id, "user_id": user_id, "now": time.time()},
        )
        data = None if row is None else self.blobs.get(_key(image_id, row["extension"]))
        if row is None or data is None:
            raise NotFound(f"no image with id {image_id}; it may have expired", param=param)
        return data, row["extension"]

    def delete(self, image_id: str) -> None:
        """Delete one image now, whatever its expiry (an operator's or owner's decision)."""
        row = self.db.query_one("SELECT extension FROM images WHERE id = :id", {"id": image_id})
        if row is None:
            raise NotFound(f"no image with id {image_id}", param="id")
        self.blobs.delete(_key(image_id, row["extension"]))
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM images WHERE id = :id", {"id": image_id})

    def sweep(self, now: float | None = None) -> int:
        """Delete every image whose expiry has passed; returns how many went. At most once an
        hour (and at the first sweep) it also deletes what a crash left behind."""
        now = time.time() if now is None else now
        rows = self.db.query("SELECT id, extension FROM images WHERE expires < :now", {"now": now})
        for row in rows:
            self.blobs.delete(_key(row["id"], row["extension"]))
        if rows:
            with self.db.transaction() as tx:
                tx.execute("DELETE FROM images WHERE id = :id", [{"id": r["id"]} for r in rows])
            log.info("swept %d expired images", len(rows))
        if now - self._last_leftover_scan >= LEFTOVER_SCAN_SECONDS:
            self._last_leftover_scan = now
            self.delete_leftovers(now)
        return len(rows)

    def delete_leftovers(self, now: float | None = None) -> int:
        """Delete unfinished writes older than STALE_PART_SECONDS and images that no row
        accounts for (an older atelier wrote the file before its row); returns how many went."""
        now = time.time() if now is None else now
        listing = list(self.blobs.listing())
        ids = {m.group(1) for key, _ in listing if (m := _NAME.match(key.rsplit("/", 1)[-1]))}
        known = self._known_ids(ids)
        removed = 0
        for key, modified in listing:
            match = _NAME.match(key.rsplit("/", 1)[-1])
            stale_part = key.endswith(PART) and modified < now - STALE_PART_SECONDS
            # No race with save(): its row commits before its bytes appear.
            orphan = match is not None and match.group(1) not in known
            if stale_part or orphan:
                self.blobs.delete(key)
                removed += 1
        if removed:
            log.info("deleted %d files left behind by interrupted writes", removed)
        return removed

    def _known_ids(self, ids: set[str]) -> set[str]:
        known: set[str] = set()
        listed = sorted(ids)
        for start in range(0, len(listed), 500):  # SQLite caps the parameters of one query
            batch = listed[start : start + 500]
            marks = ", ".join(f":id{i}" for i in range(len(batch)))
            rows = self.db.query(
                f"SELECT id FROM images WHERE id IN ({marks})",
                {f"id{i}": image_id for i, image_id in enumerate(batch)},
            )
            known.update(row["id"] for row in rows)
        return known
