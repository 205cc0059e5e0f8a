"""Gateway mode, assembled from ATELIER_UPSTREAMS: a client per upstream, the routed
generation engine, and each tool routed by its endpoint's name (``*`` matches it too)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from atelier.errors import AtelierError
from atelier.tools.base import Upscaling
from atelier.upstream.client import UpstreamClient, UpstreamConfig
from atelier.upstream.engine import UpstreamEngine
from atelier.upstream.routing import RoutedEngine, first_match
from atelier.upstream.tools import (
    UpstreamErasing,
    UpstreamMatting,
    UpstreamUpscaling,
    UpstreamVectorizing,
)

if TYPE_CHECKING:
    from atelier.config import Settings, UpstreamSettings
    from atelier.database import Database
    from atelier.engines.registry import Engines
    from atelier.styles import StyleLibrary


class UpstreamKeyMissing(AtelierError):
    """The operator's configuration names a key that is not there (a start-up error)."""

    status = 500
    code = "upstream_key_missing"


def upstream_key(name: str, options: UpstreamSettings) -> str:
    """The operator's key for upstream ``name``, from its variable or its file."""
    if options.key_env:
        key = os.environ.get(options.key_env, "").strip()
        if not key:
            raise UpstreamKeyMissing(
                f"upstream {name!r}: the variable {options.key_env} holding its key is empty"
            )
        return key
    if options.key_file:
        try:
            key = Path(options.key_file).read_text().strip()
        except OSError as exc:
            raise UpstreamKeyMissing(
                f"upstream {name!r}: its key file {options.key_file} cannot be read"
            ) from exc
        if key:
            return key
        raise UpstreamKeyMissing(f"upstream {name!r}: its key file {options.key_file} is empty")
    return ""  # an upstream that takes no key (another atelier on a private network)


def clients(settings: Settings) -> dict[str, UpstreamClient]:
    """One client per entry of ``settings.upstreams`` (pattern -> client), in their order."""
    made = {}
    for pattern, options in settings.upstreams.items():
        config = UpstreamConfig(
            name=pattern,
            url=options.url,
            key=upstream_key(pattern, options),
            timeout_seconds=options.timeout_seconds,
            max_concurrency=options.max_concurrency,
            retries=options.retries,
            failures_to_open=options.circuit_failures,
            open_seconds=options.circuit_open_seconds,
            dialect=options.dialect,
        )
        made[pattern] = UpstreamClient(config)
    return made


def route_engines(local: Engines, settings: Settings) -> Engines:
    """``local`` with the models and tools ATELIER_UPSTREAMS names sent upstream."""
    from atelier.engines.registry import Engines

    upstreams = clients(settings)
    patterns = list(upstreams)
    engine = RoutedEngine(
        local.generation, {p: UpstreamEngine(client) for p, client in upstreams.items()}
    )

    def client_for(tool: str) -> UpstreamClient | None:
        found = first_match(tool, patterns)
        return None if found is None else upstreams[patterns[found]]

    def routed(tool: str, local_tool: object, upstream_class: type) -> object:
        client = client_for(tool)
        return local_tool if client is None else upstream_class(client)

    matting = routed("removeBackground", local.matting, UpstreamMatting)
    erasing = routed("eraseRegion", local.erasing, UpstreamErasing)
    vectorizing = routed("vectorize", local.vectorizing, UpstreamVectorizing)
    upscaling = RoutedUpscaling(
        routed("crispUpscale", local.upscaling, UpstreamUpscaling),  # type: ignore[arg-type]
        routed("creativeUpscale", local.upscaling, UpstreamUpscaling),  # type: ignore[arg-type]
    )
    return Engines(engine, matting, upscaling, erasing, vectorizing)  # type: ignore[arg-type]


class RoutedUpscaling(Upscaling):
    """crisp (and the upscale option) and creative, each from where its route says."""

    def __init__(self, crisp: Upscaling, creative: Upscaling) -> None:
        self._crisp = crisp
        self._creative = creative
        self.decodes_input = crisp.decodes_input  # crispUpscale's input (creative resizes)

    @classmethod
    def from_settings(cls, settings: Settings) -> RoutedUpscaling:
        raise TypeError("made by upstream.gateway.route_engines")

    def crisp(self, image: Image.Image, scale: int = 2) -> Image.Image:
        return self._crisp.crisp(image, scale)

    def creative(self, image: Image.Image) -> Image.Image:
        return self._creative.creative(image)


def mirror_styles(engine: object, db: Database, styles: StyleLibrary) -> None:
    """In gateway mode, custom styles are made upstream too and upstream engines send a
    style by the upstream's id (upstream.styles); otherwise nothing changes."""
    if not isinstance(engine, RoutedEngine):
        return
    from atelier.upstream.styles import UpstreamStyles

    mirror = UpstreamStyles(db, engine)
    styles.mirror = mirror
    for routed in engine.engines:
        if isinstance(routed, UpstreamEngine):
            routed.style_ids = mirror.upstream_id
