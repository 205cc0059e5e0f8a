"""Where image bytes live: a local folder (the default) or an S3-compatible bucket, behind one
small interface. Rows (who owns what, until when) stay in the database; see images.ImageStore.

``ATELIER_STORAGE_URL=s3://bucket/prefix`` selects S3; credentials, endpoint and region come from
the standard AWS variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL,
AWS_REGION or AWS_DEFAULT_REGION), so MinIO, R2, Ceph and AWS all work.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from atelier.storage.files import write_private

# A local file being written ends in PART until it is complete.
PART = ".part"


class BlobStore(abc.ABC):
    """Bytes by key. Keys are relative paths such as ``ab/abcdef....png``."""

    @abc.abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` at ``key`` whole or not at all."""

    @abc.abstractmethod
    def get(self, key: str) -> bytes | None:
        """The bytes at ``key``, or None if there are none."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Delete ``key`` (nothing happens if it is not there)."""

    @abc.abstractmethod
    def listing(self, prefix: str = "") -> Iterator[tuple[str, float]]:
        """Every key under ``prefix`` with the time it was last written (unfinished local
        writes included)."""

    def presigned_url(self, key: str, seconds: int) -> str | None:
        """A URL that serves ``key`` for ``seconds`` without atelier, where the store has one."""
        return None


class LocalBlobStore(BlobStore):
    """Files under ``root``, written 0600 under a temporary name and renamed when complete."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + PART)
        try:
            write_private(tmp, data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def listing(self, prefix: str = "") -> Iterator[tuple[str, float]]:
        for path in (self.root / prefix).rglob("*"):
            if path.is_file():
                yield path.relative_to(self.root).as_posix(), path.stat().st_mtime


class S3BlobStore(BlobStore):
    """Objects under ``prefix`` in ``bucket`` of an S3-compatible service (boto3's client)."""

    def __init__(self, bucket: str, prefix: str, client: Any = None) -> None:
        if client is None:
            import boto3  # imported here: a server on local files never needs it

            client = boto3.client("s3")
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except self.client.exceptions.NoSuchKey:
            return None
        data: bytes = answer["Body"].read()
        return data

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def listing(self, prefix: str = "") -> Iterator[tuple[str, float]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :], item["LastModified"].timestamp()

    def presigned_url(self, key: str, seconds: int) -> str | None:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self.prefix + key},
            ExpiresIn=max(1, seconds),
        )  # fmt: skip
        return url


def open_blob_store(url: str | None, area: str, default_root: Path) -> BlobStore:
    """The store of ``area`` ("images", "styles"): under ``url`` (``s3://bucket/prefix`` or
    ``file:///path``) in a prefix or folder named for the area, else the folder
    ``default_root``."""
    if not url:
        return LocalBlobStore(default_root)
    parts = urlsplit(url)
    if parts.scheme == "s3" and parts.netloc:
        return S3BlobStore(parts.netloc, f"{parts.path.strip('/')}/{area}")
    if parts.scheme == "file":
        return LocalBlobStore(Path(parts.path) / area)
    raise ValueError(f"storage URL must be s3://bucket/prefix or file:///path, not {url!r}")
