"""Where paid work runs: bounded worker pools of its own, with a time limit and cancellation.

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

from atelier.errors import AtelierError

T = TypeVar("T")
Pool = Literal["engine", "tools"]
# How often a waiting request looks whether its client is still there.
DISCONNECT_POLL_SECONDS = 0.25


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

    def __init__(self, engine_workers: int, tool_workers: int, timeout_seconds: float) -> None:
        self.pools: dict[Pool, ThreadPoolExecutor] = {
            "engine": ThreadPoolExecutor(engine_workers, thread_name_prefix="engine"),
            "tools": ThreadPoolExecutor(tool_workers, thread_name_prefix="tools"),
        }
        self.timeout_seconds = timeout_seconds

    async def run(
        self,
        pool: Pool,
        work: Callable[[], T],
        is_disconnected: Callable[[], Awaitable[bool]] | None = None,
    ) -> T:
        """The result of ``work`` run in ``pool``; JobTimedOut when it runs past the time limit
        (time spent queued does not count; a client that leaves cancels it)."""
        token = JobToken()
        context = contextvars.copy_context()
        context.run(_current.set, token)

        started = threading.Event()

        def guarded() -> T:
            check_cancelled()  # cancelled while queued: never start
            started.set()
            return work()

        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self.pools[pool], context.run, guarded)
        # A job left behind (timed out, client gone) ends with an error nobody awaits.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
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

    def shutdown(self) -> None:
        for executor in self.pools.values():
            executor.shutdown(wait=False, cancel_futures=True)
