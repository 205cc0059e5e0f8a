"""The API side of the Ray mode: a generation engine and tools whose work runs on Ray Serve
replicas, behind the same contracts (GenerationEngine, Matting, Upscaling, Erasing) as the
in-process ones, so that nothing above them changes."""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

import ray
from PIL import Image
from ray import serve

from atelier import catalog
from atelier.catalog import Model
from atelier.config import RAY_DEPLOYMENTS, Settings
from atelier.engines.base import Artifact, EditSpec, GenerationEngine, GenerationSpec
from atelier.engines.registry import Engines
from atelier.errors import AtelierError
from atelier.jobs import check_cancelled
from atelier.ray_serve.payloads import (
    artifact_from,
    edit_payload,
    image_from,
    image_payload,
    spec_payload,
)
from atelier.tools.base import Erasing, Matting, Upscaling, Vectorizing
from atelier.tools.vectorizer import VectorizeOptions

log = logging.getLogger(__name__)

# How often a waiting job looks whether it was cancelled (client gone, time limit).
POLL_SECONDS = 0.1
RETRY_AFTER_SECONDS = 5


class EngineUnavailable(AtelierError):
    """The engine replica died (or none is running) and a second try failed too."""

    status = 503
    code = "engine_unavailable"
    retry_after = RETRY_AFTER_SECONDS


# What a request raises when its replica died or none is running (those of the installed Ray).
_DEAD_REPLICA: tuple[type[BaseException], ...] = (
    ray.exceptions.RayActorError,
    *(
        found
        for name in ("DeploymentUnavailableError", "ReplicaUnavailableError")
        if isinstance(found := getattr(serve.exceptions, name, None), type)
    ),
)


def _wait(response: Any) -> Any:
    """The result of a DeploymentResponse; cancels it when the job is cancelled meanwhile."""
    while True:
        try:
            check_cancelled()
        except BaseException:
            response.cancel()
            raise
        try:
            return response.result(timeout_s=POLL_SECONDS)
        except TimeoutError:
            continue


def call(what: str, send: Callable[[], Any]) -> Any:
    """Send a request (``send`` makes the DeploymentResponse) and wait for its result. When its
    replica dies, nothing was delivered yet (delivery follows the result), so it is sent once
    more, to whichever replica the router picks; a second failure is a 503."""
    for attempt in (1, 2):
        try:
            return _wait(send())
        except _DEAD_REPLICA as exc:
            if attempt == 2:
                raise EngineUnavailable(
                    f"the {what} engine is unavailable (its replica stopped); retry shortly"
                ) from exc
            log.warning("%s replica failed (%s); retrying once", what, type(exc).__name__)
    raise AssertionError("unreachable")


def _replicas(app: str, deployment: str) -> dict[str, int]:
    """Replica counts by state, from the Serve controller (empty when it cannot answer)."""
    try:
        status = serve.status().applications[app].deployments[deployment]
        return {str(state): int(count) for state, count in status.replica_states.items()}
    except Exception:  # a stats reading must not fail a request
        return {}


class RayGenerationEngine(GenerationEngine):
    """The generation engine of the generation deployments, reached through their handles:
    one, or one per model of a diffusers map, each request sent to the one serving its model."""

    def __init__(self, app: str, handles: dict[str, Any], described: dict[str, Any]) -> None:
        self._app = app
        self._handles = handles
        first = described[next(iter(handles))]
        self.name = str(first["name"])
        self.description = f"{first['description']} (on Ray Serve)"
        self.renders = frozenset(first["renders"])
        # Catalog model -> the id it is served under, and that id -> its deployment.
        self._serving: dict[str, str | None] = {}
        self._route: dict[str, str] = {}
        for deployment, answer in described.items():
            for model, served in answer["serving"].items():
                if served is not None and self._serving.get(model) is None:
                    self._serving[model] = served
                    self._route.setdefault(served, deployment)

    def serving_id(self, model: Model) -> str | None:
        return self._serving.get(model.id)

    def _handle(self, spec: GenerationSpec) -> tuple[str, Any]:
        deployment = self._route.get(spec.model, next(iter(self._handles)))
        return deployment, self._handles[deployment]

    def generate(self, spec: GenerationSpec) -> list[Artifact]:
        name, handle = self._handle(spec)
        payloads = call(name, lambda: handle.generate.remote(spec_payload(spec)))
        return [artifact_from(payload) for payload in payloads]

    def edit(self, spec: EditSpec) -> list[Image.Image]:
        name, handle = self._handle(spec.base)
        payloads = call(name, lambda: handle.edit.remote(edit_payload(spec)))
        return [image_from(payload) for payload in payloads]

    def stats(self) -> dict[str, object]:
        readings = {name: self._stats(name, handle) for name, handle in self._handles.items()}
        if len(readings) == 1:
            return next(iter(readings.values()))
        return {"deployments": readings}

    def _stats(self, deployment: str, handle: Any) -> dict[str, object]:
        try:
            numbers: dict[str, object] = handle.stats.remote().result(timeout_s=2)
        except Exception as exc:  # shown, not raised: /v1/models and /metrics stay up
            numbers = {"error": type(exc).__name__}
        return {**numbers, "ray_replicas": _replicas(self._app, deployment)}


class _RemoteTool:
    kind: str

    def __init__(self, handle: Any) -> None:
        self._handle = handle

    @classmethod
    def from_settings(cls, settings: Settings) -> Any:
        raise TypeError("a tool on Ray Serve is made by atelier.ray_serve.clients.connect")

    def _send(self, method: str, images: list[Image.Image], options: dict[str, Any]) -> Any:
        payloads = [image_payload(image) for image in images]
        return call(self.kind, lambda: self._handle.call.remote(method, payloads, options))

    def _run(self, method: str, *images: Image.Image, **options: Any) -> Image.Image:
        return image_from(self._send(method, list(images), options))


class RayMatting(_RemoteTool, Matting):
    kind = "matting"

    def alpha(self, image: Image.Image) -> Image.Image:
        return self._run("alpha", image)

    def remove(self, image: Image.Image) -> Image.Image:
        return self._run("remove", image)


class RayUpscaling(_RemoteTool, Upscaling):
    kind = "upscaling"

    def crisp(self, image: Image.Image, scale: int = 2) -> Image.Image:
        return self._run("crisp", image, scale=scale)

    def creative(self, image: Image.Image) -> Image.Image:
        return self._run("creative", image)


class RayErasing(_RemoteTool, Erasing):
    kind = "erasing"

    def erase(self, image: Image.Image, mask: Image.Image) -> Image.Image:
        return self._run("erase", image, mask)


class RayVectorizing(_RemoteTool, Vectorizing):
    kind = "vectorizing"

    def vectorize(self, image: Image.Image, options: VectorizeOptions) -> str:
        answer = self._send("vectorize", [image], {"options": dataclasses.asdict(options)})
        return str(answer["svg"])


def start_ray(address: str) -> None:
    """Join the Ray cluster at ``address`` ("local": start one on this machine)."""
    if ray.is_initialized():
        return
    # Ray's driver takes SIGTERM for itself (it exits at once); the server's own handler,
    # which lets requests finish and gives back credit holds, is put back.
    on_sigterm = signal.getsignal(signal.SIGTERM)
    if address == "local":
        # Logical CPUs: enough for one replica of each deployment even on a small machine.
        ray.init(num_cpus=max(4, os.cpu_count() or 1), include_dashboard=False)
    else:
        ray.init(address=address)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_sigterm)


def deploy(settings: Settings) -> None:
    """Run the application of every deployment (one, ``settings.ray_app``, so that they are
    deployed and start together) unless the cluster runs it already (another API process
    deployed it, or a RayService did from its serve config)."""
    from atelier.ray_serve.deployments import build_application

    serve.start(proxy_location="Disabled")  # no HTTP ingress: the API processes are it
    if settings.ray_app in serve.status().applications:
        return
    serve.run(build_application(settings), name=settings.ray_app, route_prefix=None)
    log.info("deployed the Serve application %s", settings.ray_app)


def connect(settings: Settings) -> Engines:
    """The engine and tools on the Ray cluster of ``settings.ray_address``, deploying what is
    missing there first."""
    assert settings.ray_address
    start_ray(settings.ray_address)
    deploy(settings)
    from atelier.ray_serve.deployments import generation_deployments

    generation_names = list(generation_deployments(settings))
    handles = {
        d: serve.get_deployment_handle(d, app_name=settings.ray_app)
        for d in [*generation_names, *RAY_DEPLOYMENTS[1:]]
    }
    generations = {d: handles[d] for d in generation_names}
    # Asked once, at start-up. A worker of `serve --workers N` builds its app inside its event
    # loop, where Serve refuses blocking waits by default; nothing is served yet to be held up.
    described = {
        name: handle.describe.remote(list(catalog.MODELS)).result(_skip_asyncio_check=True)
        for name, handle in generations.items()
    }
    return Engines(
        generation=RayGenerationEngine(settings.ray_app, generations, described),
        matting=RayMatting(handles["matting"]),
        upscaling=RayUpscaling(handles["upscaling"]),
        erasing=RayErasing(handles["erasing"]),
        vectorizing=RayVectorizing(handles["vectorizing"]),
    )


def cluster_address() -> str:
    """The address of the cluster this process joined (for worker processes to join it too)."""
    return str(ray.get_runtime_context().gcs_address)
