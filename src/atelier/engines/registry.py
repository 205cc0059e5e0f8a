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
    try:
        target = ENGINES[name]
    except KeyError:
        raise UnknownEngine(f"unknown engine {name!r}; available: {', '.join(ENGINES)}") from None
    module_name, _, class_name = target.partition(":")
    try:
        found: type[GenerationEngine] = getattr(importlib.import_module(module_name), class_name)
    except ImportError as exc:
        raise UnknownEngine(
            f"engine {name!r} needs extra packages ({exc.name}); install atelier[diffusion]"
        ) from exc
    return found


def create_engine(settings: Settings) -> GenerationEngine:
    """The engine ``settings.engine`` names, built (and its models loaded) from the settings."""
    return engine_class(settings.engine).from_settings(settings)
