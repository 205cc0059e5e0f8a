"""The Ray Serve deployments: one for the generation engine, one per tool. Each replica builds
its engine or tool from the same settings the API processes have, exactly as an in-process one
is built, and runs the work in threads, so that concurrent requests from every API process
reach the engine together (its batcher groups them as in-process)."""

from __future__ import annotations

import asyncio
import os
import re
from typing import Any

from ray import serve

from atelier.config import RAY_DEPLOYMENTS, Settings
from atelier.engines.registry import (
    create_engine,
    create_eraser,
    create_matting,
    create_upscaler,
    create_vectorizer,
)
from atelier.ray_serve.payloads import (
    Payload,
    artifact_payload,
    edit_from,
    image_from,
    image_payload,
    spec_from,
)
from atelier.tools.vectorizer import VectorizeOptions

# The methods each tool deployment serves: those of its interface in tools/base.py.
TOOL_METHODS: dict[str, frozenset[str]] = {
    "matting": frozenset({"alpha", "remove"}),
    "upscaling": frozenset({"crisp", "creative"}),
    "erasing": frozenset({"erase"}),
    "vectorizing": frozenset({"vectorize"}),
}
_TOOL_FACTORIES = {
    "matting": create_matting,
    "upscaling": create_upscaler,
    "erasing": create_eraser,
    "vectorizing": create_vectorizer,
}


class _Replica:
    async def pid(self) -> int:
        """The replica's process (tests kill it to see a replica die mid-job)."""
        return os.getpid()


@serve.deployment
class GenerationReplica(_Replica):
    def __init__(self, settings_json: str, **others: Any) -> None:
        # ``others``: handles of the application's other deployments (unused here).
        self.engine = create_engine(Settings.model_validate_json(settings_json))

    async def describe(self, model_ids: list[str]) -> dict[str, Any]:
        from atelier import catalog

        engine = self.engine
        serving = {model: engine.serving_id(catalog.MODELS[model]) for model in model_ids}
        return {
            "name": engine.name,
            "description": engine.description,
            "renders": sorted(engine.renders),
            "serving": serving,
        }

    async def generate(self, spec: Payload) -> list[Payload]:
        artifacts = await asyncio.to_thread(self.engine.generate, spec_from(spec))
        return [artifact_payload(artifact) for artifact in artifacts]

    async def edit(self, spec: Payload) -> list[Payload]:
        images = await asyncio.to_thread(self.engine.edit, edit_from(spec))
        return [image_payload(image) for image in images]

    async def stats(self) -> dict[str, object]:
        return {**self.engine.stats(), "replica_pid": os.getpid()}


@serve.deployment
class ToolReplica(_Replica):
    def __init__(self, settings_json: str, kind: str) -> None:
        self.kind = kind
        self.tool = _TOOL_FACTORIES[kind](Settings.model_validate_json(settings_json))

    async def call(self, method: str, images: list[Payload], options: dict[str, Any]) -> Payload:
        if method not in TOOL_METHODS[self.kind]:
            raise ValueError(f"the {self.kind} deployment has no method {method!r}")
        opened = [image_from(image) for image in images]
        if self.kind == "vectorizing":  # its options cross as a dict of plain values
            options = {"options": VectorizeOptions(**options["options"])}
        result = await asyncio.to_thread(getattr(self.tool, method), *opened, **options)
        return {"svg": result} if isinstance(result, str) else image_payload(result)


# Each deployment's options unless ATELIER_RAY_DEPLOYMENTS says otherwise.
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "generation": {"max_ongoing_requests": 32, "ray_actor_options": {"num_cpus": 1}},
    **{
        tool: {"max_ongoing_requests": 8, "ray_actor_options": {"num_cpus": 1}}
        for tool in TOOL_METHODS
    },
}


def generation_deployments(settings: Settings) -> dict[str, Settings]:
    """The generation deployments and the settings each replica builds its engine from: one
    per model of a diffusers map (``generation-<model>``: its weights alone, its own replicas
    and GPUs), else one, ``generation``."""
    # The replicas build their engines as in-process ones are built: from the same settings.
    settings = settings.model_copy(update={"ray_address": None})
    models = settings.diffusion_models if settings.engine == "diffusers" else {}
    if len(models) < 2:
        return {"generation": settings}
    return {
        f"generation-{re.sub(r'[^A-Za-z0-9_-]', '-', model)}": settings.model_copy(
            update={"diffusion_models": {model: path}}
        )
        for model, path in models.items()
    }


def build_application(settings: Settings) -> Any:
    """The Serve application of every deployment, with the options of ``settings``
    (``generation`` options apply to every generation deployment, then its own name's)."""
    json_settings = settings.model_copy(update={"ray_address": None}).model_dump_json()

    def options(deployment: str, kind: str) -> dict[str, Any]:
        chosen = {
            **DEFAULT_OPTIONS[kind],
            **settings.ray_deployments.get(kind, {}),
            **settings.ray_deployments.get(deployment, {}),
        }
        if "autoscaling_config" in chosen:
            chosen.pop("num_replicas", None)
        return {"name": deployment, **chosen}

    bound = {
        tool: ToolReplica.options(**options(tool, tool)).bind(json_settings, tool)  # type: ignore[attr-defined]
        for tool in RAY_DEPLOYMENTS[1:]
    }
    (first, first_settings), *others = generation_deployments(settings).items()
    for name, own in others:
        replica = GenerationReplica.options(**options(name, "generation"))  # type: ignore[attr-defined]
        bound[name] = replica.bind(own.model_dump_json())
    # The first generation deployment is the application's ingress; the others and the tools
    # are bound into it as arguments, which is how Serve learns to deploy them with it.
    ingress = GenerationReplica.options(**options(first, "generation"))  # type: ignore[attr-defined]
    return ingress.bind(first_settings.model_dump_json(), **bound)


def application(args: dict[str, str]) -> Any:
    """The application for a Serve config file (a KubeRay RayService's ``serveConfigV2``):
    ``import_path: atelier.ray_serve.deployments:application``, its settings from the
    ``ATELIER_*`` variables of its ``runtime_env``; ``args`` are not used."""
    return build_application(Settings())
