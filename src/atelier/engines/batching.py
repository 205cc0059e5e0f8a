"""Dynamic batching: concurrent compatible jobs run as one call, each answered on its own."""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass
class Job:
    """One request's share of work: ``size`` outputs, batched only with jobs of equal ``key``."""

    key: Hashable
    size: int
    payload: Any
    future: Future[list[Any]] = field(default_factory=Future)


Runner = Callable[[Sequence[Job]], list[list[Any]]]


class Batcher:
    """Collects jobs for up to ``max_wait`` seconds (or ``max_size`` outputs) and runs them
    together with ``runner``, which returns one result list per job.

    If a batched call fails, its jobs are run again one by one, so that a failure fails only
    the request that causes it.
    """

    def __init__(self, runner: Runner, max_size: int = 8, max_wait: float = 0.01) -> None:
        self.runner = runner
        self.max_size = max_size
        self.max_wait = max_wait
        self.calls = 0  # runner calls made: a batch of k jobs counts once
        self.batch_sizes: collections.Counter[int] = collections.Counter()  # jobs per call
        self._queue: queue.Queue[Job] = queue.Queue()
        self._held: list[Job] = []  # taken from the queue but not compatible with the last batch
        self._thread = threading.Thread(target=self._loop, name="atelier-batcher", daemon=True)
        self._thread.start()

    def submit(self, key: Hashable, size: int, payload: Any) -> list[Any]:
        """Run one job (blocking until its batch is done); raises what its run raised."""
        job = Job(key, size, payload)
        self._queue.put(job)
        return job.future.result()

    def _next(self, timeout: float | None) -> Job | None:
        if self._held:
            return self._held.pop(0)
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _collect(self) -> list[Job]:
        first = self._next(timeout=None)
        assert first is not None
        batch, total = [first], first.size
        deadline = time.monotonic() + self.max_wait
        skipped: list[Job] = []
        while total < self.max_size:
            job = self._next(timeout=max(0.0, deadline - time.monotonic()))
            if job is None:
                break
            if job.key == first.key and total + job.size <= self.max_size:
                batch.append(job)
                total += job.size
            else:
                skipped.append(job)
        self._held = skipped + self._held
        return batch

    def _loop(self) -> None:
        while True:
            batch = self._collect()
            try:
                self._run(batch)
            except BaseException:  # the loop must survive anything a runner does
                log.exception("batch runner failed unexpectedly")

    def _run(self, batch: list[Job]) -> None:
        try:
            self.calls += 1
            self.batch_sizes[len(batch)] += 1
            results = self.runner(batch)
        except Exception as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            log.warning("a batch of %d jobs failed; running them one by one", len(batch))
            for job in batch:
                self._run([job])
            return
        for job, result in zip(batch, results, strict=True):
            job.future.set_result(result)
