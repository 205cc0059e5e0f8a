"""Files atelier writes into its data dir: readable by their owner only, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` with mode 0600 (created so, never readable by others for a moment).

    Its folder is made if missing: with the database and images elsewhere (PostgreSQL, S3),
    nothing else may have made the data dir."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
