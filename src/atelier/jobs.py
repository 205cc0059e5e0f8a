"""Where paid work runs: bounded worker pools of its own, with a time limit and cancellation.

Each pool has a number of workers and a queue of bounded length: a job that finds both full is
refused at once (503 server_busy, Retry-After), as is a job of a user who already has
``user_jobs`` jobs in flight (429), so one user cannot fill the queues for everyone.

Image work (engine jobs, tools) never runs on the thread pool that serves token look-ups and
other short I/O, so a burst of slow jobs cannot stall authentication. Each job carries a
``JobToken``; when the client goes away or the time limit passes the token is cancelled, a job
that has not started yet never starts, and a running one is stopped at its last checkpoint
before anything is stored or charged (``check_cancelled``), so its credit hold is released.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeVar

from atelier.errors import AtelierError, ServerBusy, TooManyJobs
from atelier.metrics import Metrics

T = TypeVar("T")
Pool = Literal["engine", "tools"]
# How often a waiting request looks whether its client is still there.
DISCONNECT_POLL_SECONDS = 0.25
# What a refused job's Retry-After says: a queue slot frees as soon as any job ends.
BUSY_RETRY_AFTER_SECONDS = 2


class JobTimedOut(AtelierError):
    status = 504
    code = "job_timeout"


class JobCancelled(AtelierError):
    """The client went away; nobody reads this error, but the hold must be released."""

    status = 499
    code = "client_closed_request"


class JobToken:
    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self.reason: AtelierError | None = None

    def cancel(self, reason: AtelierError) -> None:
        self.reason = reason
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


_current: contextvars.ContextVar[JobToken | None] = contextvars.ContextVar("job", default=None)


def check_cancelled() -> None:
    """Raise if the job running in this thread was cancelled (a no-op outside jobs)."""
    token = _current.get()
    if token is not None and token.cancelled:
        raise token.reason or JobCancelled("the job was cancelled")


class Jobs:
    """The worker pools of paid work, each bounded: ``engine`` (generation and edits) and
    ``tools`` (matting, upscaling, vectorizing, erasing, styles)."""

    def __init__(
        self,
        engine_workers: int,
        tool_workers: int,
        timeout_seconds: float,
        queue_length: int = 64,
        user_jobs: int = 32,
        metrics: Metrics | None = None,
    ) -> None:
        self.workers: dict[Pool, int] = {"engine": engine_workers, "tools": tool_workers}
        self.pools = self._new_pools()
        self.capacity: dict[Pool, int] = {
            "engine": engine_workers + queue_length,
            "tools": tool_workers + queue_length,
        }
        self.timeout_seconds = timeout_seconds
        self.user_jobs = user_jobs
        # Jobs queued or running, per pool and per user: counted until the work really ends
        # (a timed-out job still holds its worker), so the caps bound what the server does.
        self.in_flight: dict[Pool, int] = {"engine": 0, "tools": 0}
        self._per_user: dict[str, int] = {}
        self._lock = threading.Lock()
        self.metrics = metrics or Metrics()

    def _admit(self, pool: Pool, owner: str | None) -> None:
        with self._lock:
            if self.in_flight[pool] >= self.capacity[pool]:
                self.metrics.jobs_refused.labels(pool, "server_busy").inc()
                raise ServerBusy(
                    f"the server is busy: every {pool} worker is taken and its queue is full; "
                    "retry after the Retry-After seconds",
                    retry_after=BUSY_RETRY_AFTER_SECONDS,
                )
            if owner is not None and self._per_user.get(owner, 0) >= self.user_jobs:
                self.metrics.jobs_refused.labels(pool, "user_jobs").inc()
                raise TooManyJobs(
                    f"you already have {self.user_jobs} jobs in flight, the most one user may; "
                    "wait for one to finish",
                    retry_after=BUSY_RETRY_AFTER_SECONDS,
                )
            self.in_flight[pool] += 1
            self.metrics.jobs_in_flight.labels(pool).set(self.in_flight[pool])
            if owner is not None:
                self._per_user[owner] = self._per_user.get(owner, 0) + 1

    def _done(self, pool: Pool, owner: str | None) -> None:
        with self._lock:
            self.in_flight[pool] -= 1
            self.metrics.jobs_in_flight.labels(pool).set(self.in_flight[pool])
            if owner is not None:
                left = self._per_user[owner] - 1
                if left:
                    self._per_user[owner] = left
                else:
                    del self._per_user[owner]

    async def run(
        self,
        pool: Pool,
        work: Callable[[], T],
        is_disconnected: Callable[[], Awaitable[bool]] | None = None,
        owner: str | None = None,
    ) -> T:
        """The result of ``work`` run in ``pool`` for ``owner`` (a user id); JobTimedOut when
        it runs past the time limit (time spent queued does not count; a client that leaves
        cancels it); ServerBusy or TooManyJobs at once when the caps are reached."""
        self._admit(pool, owner)
        token = JobToken()
        context = contextvars.copy_context()
        context.run(_current.set, token)

        started = threading.Event()

        operation = getattr(getattr(work, "func", work), "__name__", "job")
        running = self.metrics.jobs_running.labels(pool)

        def guarded() -> T:
            check_cancelled()  # cancelled while queued: never start
            started.set()
            running.inc()
            try:
                with self.metrics.job_seconds.labels(pool, operation).time():
                    return work()
            finally:
                running.dec()

        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self.pools[pool], context.run, guarded)
        except BaseException:
            self._done(pool, owner)
            raise

        def finished(done: asyncio.Future[T]) -> None:
            self._done(pool, owner)
            # A job left behind (timed out, client gone) ends with an error nobody awaits.
            done.cancelled() or done.exception()

        future.add_done_callback(finished)
        deadline: float | None = None  # the time limit counts from the job's start
        try:
            while True:
                if deadline is None and started.is_set():
                    deadline = loop.time() + self.timeout_seconds
                if deadline is not None and loop.time() >= deadline:
                    token.cancel(
                        JobTimedOut(
                            f"the job took longer than {self.timeout_seconds:g} s and was "
                            "stopped; nothing was charged"
                        )
                    )
                    assert token.reason is not None
                    raise token.reason
                wait = DISCONNECT_POLL_SECONDS
                if deadline is not None:
                    wait = max(0.0, min(wait, deadline - loop.time()))
                done, _ = await asyncio.wait({future}, timeout=wait)
                if done:
                    return future.result()
                if is_disconnected is not None and await is_disconnected():
                    token.cancel(JobCancelled("the client went away"))
                    raise JobCancelled("the client went away")
        except asyncio.CancelledError:
            token.cancel(JobCancelled("the request was cancelled"))
            raise

    def _new_pools(self) -> dict[Pool, ThreadPoolExecutor]:
        return {
            pool: ThreadPoolExecutor(workers, thread_name_prefix=pool)
            for pool, workers in self.workers.items()
        }

    def shutdown(self) -> None:
        """Cancel queued jobs and let running ones end on their own; fresh pools take their
        place, so that an app whose lifespan runs again (as test clients do) still works."""
        old, self.pools = self.pools, self._new_pools()
        for executor in old.values():
            executor.shutdown(wait=False, cancel_futures=True)
