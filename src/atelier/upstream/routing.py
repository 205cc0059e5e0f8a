"""Gateway mode's routing: each model of the catalog to the engine its route names (an
upstream, by a pattern of model ids in ATELIER_UPSTREAMS) or to the local engine."""

from __future__ import annotations

import fnmatch
from dataclasses import replace
from typing import TYPE_CHECKING

from PIL import Image

from atelier.engines.base import Artifact, EditSpec, GenerationEngine, GenerationSpec

if TYPE_CHECKING:
    from atelier.catalog import Model


def first_match(name: str, patterns: list[str]) -> int | None:
    """The index of the first pattern (fnmatch: ``recraftv4*``, ``*``) matching ``name``."""
    return next((i for i, p in enumerate(patterns) if fnmatch.fnmatchcase(name, p)), None)


class RoutedEngine(GenerationEngine):
    """The local engine and the upstream engines behind one contract. A model's serving id
    says which engine serves it ("<route>:<the engine's own id>"), so a spec finds its way
    back without another lookup and two engines' ids never collide."""

    name = "gateway"

    def __init__(self, local: GenerationEngine, routes: dict[str, GenerationEngine]) -> None:
        self.local = local
        self.patterns = list(routes)
        self.engines = [*routes.values(), local]  # the local engine is the last route
        self.description = f"{local.name} for local models; upstream for {', '.join(self.patterns)}"

    def engine_for(self, model: Model) -> GenerationEngine:
        return self.engines[self._route(model)]

    def _route(self, model: Model) -> int:
        found = first_match(model.id, self.patterns)
        return len(self.engines) - 1 if found is None else found

    def serving_id(self, model: Model) -> str | None:
        route = self._route(model)
        inner = self.engines[route].serving_id(model)
        return None if inner is None else f"{route}:{inner}"

    def _split(self, serving_id: str) -> tuple[GenerationEngine, str]:
        route, _, inner = serving_id.partition(":")
        return self.engines[int(route)], inner

    def renders_for(self, spec: GenerationSpec) -> frozenset[str]:
        engine, _ = self._split(spec.model)
        return engine.renders_for(spec)

    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        engine, inner = self._split(spec.model)
        return engine.generate(replace(spec, model=inner))

    def edit(self, spec: EditSpec) -> list[Image.Image]:
        engine, inner = self._split(spec.base.model)
        return engine.edit(replace(spec, base=replace(spec.base, model=inner)))

    def stats(self) -> dict[str, object]:
        return {"local": self.local.stats()}
