"""The engines and tools atelier knows, by name, imported only when chosen; a "module:Class"
path names one of your own."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from atelier.config import Settings
from atelier.engines.base import GenerationEngine

if TYPE_CHECKING:
    from atelier.tools.base import Erasing, Matting, Upscaling, Vectorizing

# name -> "module:Class"; an engine registers here and no route changes.
ENGINES: dict[str, str] = {
    "preview": "atelier.engines.preview:PreviewEngine",
    "diffusers": "atelier.engines.diffusion:DiffusionEngine",
}
# The tools' implementations, chosen the same way (ATELIER_MATTING_ENGINE and the like).
MATTING: dict[str, str] = {"onnx": "atelier.tools.matting:BackgroundRemover"}
UPSCALERS: dict[str, str] = {"realesrgan": "atelier.tools.upscaler:Upscaler"}
ERASERS: dict[str, str] = {"inpaint": "atelier.tools.eraser:RegionEraser"}


class UnknownEngine(LookupError):
    pass


def _resolve(name: str, table: dict[str, str], base: type, what: str) -> Any:
    """The class ``name`` stands for in ``table`` (or a "module:Class" path), a ``base``."""
    target = table.get(name, name)
    module_name, _, class_name = target.partition(":")
    if not class_name:
        raise UnknownEngine(
            f"unknown {what} {name!r}; available: {', '.join(table)}, or a 'module:Class' path"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if name in table:
            raise UnknownEngine(
                f"{what} {name!r} needs extra packages ({exc.name}); install atelier[diffusion]"
            ) from exc
        raise UnknownEngine(f"{what} {name!r}: cannot import {module_name} ({exc})") from exc
    found = getattr(module, class_name, None)
    if not (isinstance(found, type) and issubclass(found, base)):
        raise UnknownEngine(
            f"{what} {name!r}: {class_name} is not a {base.__name__} in {module_name}"
        )
    return found


def engine_class(name: str) -> type[GenerationEngine]:
    """The engine registered as ``name``, or the class a ``"module:Class"`` path names (an
    engine of your own, subclassing ``GenerationEngine``)."""
    found: type[GenerationEngine] = _resolve(name, ENGINES, GenerationEngine, "engine")
    return found


def create_engine(settings: Settings) -> GenerationEngine:
    """The engine ``settings.engine`` names, built (and its models loaded) from the settings."""
    return engine_class(settings.engine).from_settings(settings)


def create_matting(settings: Settings) -> Matting:
    from atelier.tools.base import Matting

    cls = _resolve(settings.matting_engine, MATTING, Matting, "matting engine")
    matting: Matting = cls.from_settings(settings)
    return matting


def create_upscaler(settings: Settings) -> Upscaling:
    from atelier.tools.base import Upscaling

    cls = _resolve(settings.upscale_engine, UPSCALERS, Upscaling, "upscale engine")
    upscaler: Upscaling = cls.from_settings(settings)
    return upscaler


def create_vectorizer(settings: Settings) -> Vectorizing:
    from atelier.tools.vectorizer import Vectorizer

    return Vectorizer.from_settings(settings)


def create_eraser(settings: Settings) -> Erasing:
    from atelier.tools.base import Erasing

    cls = _resolve(settings.eraser_engine, ERASERS, Erasing, "eraser engine")
    eraser: Erasing = cls.from_settings(settings)
    return eraser


@dataclass(frozen=True)
class Engines:
    """The generation engine and the tools one server works with."""

    generation: GenerationEngine
    matting: Matting
    upscaling: Upscaling
    erasing: Erasing
    vectorizing: Vectorizing


def open_engines(settings: Settings) -> Engines:
    """Built in this process (the default), or, with ``settings.ray_address``, the Ray Serve
    deployments of that cluster behind the same contracts; in gateway mode, with the models
    and tools ``settings.upstreams`` names routed to their upstreams."""
    if settings.ray_address:
        try:
            from atelier.ray_serve.clients import connect
        except ImportError as exc:
            raise UnknownEngine(
                f"ray_address is set but Ray is not installed ({exc.name}); install atelier[ray]"
            ) from exc
        local = connect(settings)
    else:
        local = Engines(
            create_engine(settings),
            create_matting(settings),
            create_upscaler(settings),
            create_eraser(settings),
            create_vectorizer(settings),
        )
    if settings.upstreams:  # gateway mode: what ATELIER_UPSTREAMS names goes upstream
        from atelier.upstream.gateway import route_engines

        return route_engines(local, settings)
    return local
