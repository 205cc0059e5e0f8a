"""Live servers whose engine and tools run on Ray Serve: requests over HTTP, requests of two API
processes batched together on one engine replica, a replica killed mid-job, and the job time
limit."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import metric, wait_until
from tests.conftest import Server, fetch, free_port, png_bytes
from tests.ray_serve.conftest import ENGINE_ONLY, ray_env

PRICE = 40


def start(root: Path, env: dict[str, str]) -> Server:
    root.mkdir(parents=True, exist_ok=True)
    server = Server(root / "data", free_port(), env)
    server.start()
    return server


def replica(app: str) -> Any:
    from ray import serve

    return serve.get_deployment_handle("generation", app_name=app)


@pytest.fixture(scope="module")
def slow_on_ray(ray_cluster: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose engine, the slow test engine, is a deployment on Ray."""
    env = ray_env(ray_cluster, "slow", ATELIER_ENGINE="tests.stand_ins:SlowEngine")
    server = start(tmp_path_factory.mktemp("slow-on-ray"), env)
    yield server
    server.stop()


def test_generations_and_tools_over_http(slow_on_ray: Server) -> None:
    token = slow_on_ray.create_user(credits=1000)[0]
    made = slow_on_ray.http(token).post("/v1/images/generations", json={"prompt": "a boat"})
    assert made.status_code == 200, made.text
    assert fetch(made.json()["data"][0]["url"]).headers["content-type"] == "image/png"
    removed = slow_on_ray.http(token).post(
        "/v1/images/removeBackground", files={"file": ("a.png", png_bytes(size=(320, 256)))}
    )
    assert removed.status_code == 200, removed.text
    traced = slow_on_ray.http(token).post(
        "/v1/images/vectorize", files={"file": ("a.png", png_bytes(size=(320, 256)))}
    )
    assert traced.status_code == 200, traced.text
    assert b"<svg" in fetch(traced.json()["image"]["url"]).content[:300]
    assert slow_on_ray.balance(token) < 1000 - PRICE  # both charged
    models = slow_on_ray.http(token).get("/v1/models").json()["data"]
    assert models[0]["engine_stats"]["ray_replicas"] == {"RUNNING": 1}


def test_a_replica_killed_mid_job_is_retried_once_or_refused_and_never_charged_twice(
    slow_on_ray: Server,
) -> None:
    token = slow_on_ray.create_user(credits=1000)[0]
    handle = replica("slow")
    pid = handle.pid.remote().result()
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            slow_on_ray.http(token).post, "/v1/images/generations", json={"prompt": "sleep 2"}
        )
        wait_until(lambda: handle.stats.remote().result()["running"] == 1)
        os.kill(pid, signal.SIGKILL)
        response = running.result()
    if response.status_code == 200:  # sent once more, to the replica Serve started anew
        assert slow_on_ray.balance(token) == 1000 - PRICE
    else:
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "engine_unavailable"
        assert int(response.headers["retry-after"]) > 0
        assert slow_on_ray.balance(token) == 1000
    assert handle.pid.remote().result() != pid


def test_a_job_past_its_time_limit_is_504_and_charges_nothing(
    ray_cluster: str, slow_on_ray: Server, tmp_path: Path
) -> None:
    env = ray_env(
        ray_cluster, "slow", ATELIER_ENGINE="tests.stand_ins:SlowEngine",
        ATELIER_JOB_TIMEOUT_SECONDS="1",
    )  # fmt: skip
    server = start(tmp_path, env)  # the same application: already deployed, joined
    try:
        token = server.create_user(credits=1000)[0]
        late = server.http(token).post("/v1/images/generations", json={"prompt": "sleep 3"})
        assert late.status_code == 504 and late.json()["code"] == "job_timeout"
        # The job stops at its next look (within POLL_SECONDS): its Serve request is
        # cancelled and its hold released.
        wait_until(lambda: server.balance(token) == 1000)
    finally:
        server.stop()


def test_two_api_processes_batch_together_on_one_engine_replica(
    ray_cluster: str, tiny_weights: Path, tmp_path: Path
) -> None:
    env = ray_env(
        ray_cluster, "batching", ATELIER_ENGINE="diffusers", ATELIER_DIFFUSION_STEPS="1",
        ATELIER_DIFFUSION_MODELS=f'{{"recraftv3": "{tiny_weights}"}}',
        ATELIER_DIFFUSION_BATCH_WAIT_MS="1500", ATELIER_DIFFUSION_MAX_BATCH="4",
        ATELIER_RAY_DEPLOYMENTS=json.dumps(ENGINE_ONLY),
    )  # fmt: skip
    first = start(tmp_path, env)
    second = Server(first.data_dir, free_port(), env)  # a second API process, same database
    second.start()
    try:
        token = first.create_user(credits=10_000)[0]
        body = {"prompt": "a lighthouse", "size": "1024x1024"}

        def generate(server: Server) -> httpx.Response:
            return server.http(token).post("/v1/images/generations", json=body)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(generate, [first, second, first, second]))
        assert [a.status_code for a in answers] == [200] * 4
        stats = replica("batching").stats.remote().result()
        assert stats["forward_passes"] == 1 and stats["batch_sizes"] == {4: 1}
    finally:
        first.stop()
        second.stop()


def test_a_client_that_leaves_cancels_its_queued_work(ray_cluster: str, tmp_path: Path) -> None:
    # One request at a time on the replica: the second waits in Serve's queue.
    generation = {"max_ongoing_requests": 1, "ray_actor_options": {"num_cpus": 0.05}}
    deployments = {**ENGINE_ONLY, "generation": generation}
    env = ray_env(
        ray_cluster, "one-at-a-time", ATELIER_ENGINE="tests.stand_ins:SlowEngine",
        ATELIER_RAY_DEPLOYMENTS=json.dumps(deployments),
    )  # fmt: skip
    server = start(tmp_path, env)
    try:
        token = server.create_user(credits=1000)[0]
        handle = replica("one-at-a-time")
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(
                server.http(token).post, "/v1/images/generations", json={"prompt": "sleep 2.5"}
            )
            # Running in the API process, so sent to the replica first (Serve's router keeps
            # the order). Not asked of the replica: a question would queue behind the job.
            wait_until(lambda: metric(server, "atelier_jobs_running", pool="engine") == 1)
            with pytest.raises(httpx.ReadTimeout):  # the client gives up while queued
                server.http(token).post(
                    "/v1/images/generations", json={"prompt": "sleep 2.5"}, timeout=0.5
                )
            assert first.result().status_code == 200
        wait_until(lambda: server.balance(token) == 1000 - PRICE)  # the second's hold released
        assert handle.stats.remote().result()["started"] == 1  # and its work never started
    finally:
        server.stop()


def test_two_workers_on_ray_serve_and_stop_cleanly(
    ray_cluster: str, slow_on_ray: Server, tmp_path: Path
) -> None:
    # Each worker builds its app inside its event loop and joins the cluster there; SIGTERM
    # still reaches the server's own graceful shutdown, not Ray's handler.
    env = ray_env(ray_cluster, "slow", ATELIER_ENGINE="tests.stand_ins:SlowEngine")
    server = Server(tmp_path / "data", free_port(), env, args=("--workers", "2"))
    server.start()
    token = server.create_user(credits=1000)[0]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: generate_one(server, token), range(4)))
    assert answers == [200] * 4 and server.balance(token) == 1000 - 4 * PRICE
    assert server.process is not None
    server.process.terminate()
    assert server.process.wait(timeout=30) == 0
    assert "Traceback" not in server.log


def generate_one(server: Server, token: str) -> int:
    return server.http(token).post("/v1/images/generations", json={"prompt": "x"}).status_code
