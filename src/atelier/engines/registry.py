"""The engines atelier knows, by name, imported only when chosen."""

from __future__ import annotations

import importlib

from atelier.config import Settings
from atelier.engines.base import GenerationEngine

# name -> "module:Class"; an engine registers here and no route changes.
ENGINES: dict[str, str] = {
    "preview": "atelier.engines.preview:PreviewEngine",
    "diffusers": "atelier.engines.diffusion:DiffusionEngine",
}


class UnknownEngine(LookupError):
    pass


def engine_class(name: str) -> type[GenerationEngine]:
    """The engine registered as ``name``, or the class a ``"module:Class"`` path names (an
    engine of your own, subclassing ``GenerationEngine``)."""
    target = ENGINES.get(name, name)
    module_name, _, class_name = target.partition(":")
    if not class_name:
        raise UnknownEngine(
            f"unknown engine {name!r}; available: {', '.join(ENGINES)}, or a 'module:Class' path"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        if name in ENGINES:
            raise UnknownEngine(
                f"engine {name!r} needs extra packages ({exc.name}); install atelier[diffusion]"
            ) from exc
        raise UnknownEngine(f"engine {name!r}: cannot import {module_name} ({exc})") from exc
    found = getattr(module, class_name, None)
    if not (isinstance(found, type) and issubclass(found, GenerationEngine)):
        raise UnknownEngine(
            f"engine {name!r}: {class_name} is not a GenerationEngine in {module_name}"
        )
    return found


def create_engine(settings: Settings) -> GenerationEngine:
    """The engine ``settings.engine`` names, built (and its models loaded) from the settings."""
    return engine_class(settings.engine).from_settings(settings)
