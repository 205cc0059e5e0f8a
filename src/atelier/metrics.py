"""The server's Prometheus metrics, in a registry of its own (one per app, so that several
apps in one process, as in the tests, do not collide). Served at GET /metrics."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from atelier.engines.base import GenerationEngine

# Image work takes from milliseconds (vectorize) to minutes (creative upscale on a CPU).
JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "atelier_http_requests", "HTTP requests answered", ["route", "method", "status"],
            registry=r,
        )  # fmt: skip
        self.request_seconds = Histogram(
            "atelier_http_request_duration_seconds", "Time to answer an HTTP request",
            ["route", "method"], registry=r,
        )  # fmt: skip
        self.images = Counter(
            "atelier_images_delivered", "Images delivered (and charged)", ["reason"], registry=r
        )
        self.credits_charged = Counter(
            "atelier_credits_charged", "Credit units charged for delivered work", registry=r
        )
        self.credits_released = Counter(
            "atelier_credits_released", "Credit units held and given back (failed work)",
            registry=r,
        )  # fmt: skip
        self.jobs_in_flight = Gauge(
            "atelier_jobs_in_flight", "Jobs queued or running, per pool", ["pool"], registry=r
        )
        self.jobs_running = Gauge(
            "atelier_jobs_running", "Jobs running on a worker, per pool", ["pool"], registry=r
        )
        self.jobs_refused = Counter(
            "atelier_jobs_refused", "Jobs refused by the caps", ["pool", "reason"], registry=r
        )
        self.job_seconds = Histogram(
            "atelier_job_duration_seconds", "Time a job ran on its worker", ["pool", "operation"],
            buckets=JOB_BUCKETS, registry=r,
        )  # fmt: skip

    def watch_engine(self, engine: GenerationEngine) -> None:
        """Export ``engine.stats()`` at each scrape: numbers as gauges, and ``batch_sizes``
        (engine calls per number of requests batched together) as a counter by size."""
        self.registry.register(_EngineStats(engine))


class _EngineStats(Collector):
    def __init__(self, engine: GenerationEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        stats = self.engine.stats()
        numbers = GaugeMetricFamily(
            "atelier_engine_stat", "Numbers the engine reports", labels=["engine", "stat"]
        )
        batches = CounterMetricFamily(
            "atelier_engine_batches", "Engine calls by requests batched together",
            labels=["engine", "size"],
        )  # fmt: skip
        for name, value in stats.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                numbers.add_metric([self.engine.name, name], value)
        sizes = stats.get("batch_sizes")
        for size, calls in (sizes if isinstance(sizes, dict) else {}).items():
            batches.add_metric([self.engine.name, str(size)], calls)
        yield numbers
        yield batches
