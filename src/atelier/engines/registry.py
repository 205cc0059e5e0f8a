"""The engines atelier knows, by name, imported only when chosen."""

from __future__ import annotations

import importlib

from atelier.engines.base import GenerationEngine

# name -> "module:Class"; later engines (diffusers) register here without touching the routes.
ENGINES: dict[str, str] = {
    "preview": "atelier.engines.preview:PreviewEngine",
}


class UnknownEngine(LookupError):
    pass


def create_engine(name: str) -> GenerationEngine:
    try:
        target = ENGINES[name]
    except KeyError:
        raise UnknownEngine(f"unknown engine {name!r}; available: {', '.join(ENGINES)}") from None
    module_name, _, class_name = target.partition(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    engine: GenerationEngine = engine_class()
    return engine
