"""InferenceThread: every run on one thread of its own, one at a time, errors passed on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from atelier.tools.onnx_session import InferenceThread, release_freed_memory


def test_runs_from_many_threads_happen_on_one_thread() -> None:
    inference = InferenceThread("test")

    def work(i: int) -> tuple[int, int]:
        return i, threading.get_ident()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: inference.run(work, i), range(32)))
    assert [i for i, _ in results] == list(range(32))
    # One thread (hence one at a time), and not any of the callers' threads.
    (ident,) = {ident for _, ident in results}
    assert ident != threading.get_ident()


def test_errors_reach_the_caller() -> None:
    def broken() -> None:
        raise ValueError("bad input shape")

    with pytest.raises(ValueError, match="bad input shape"):
        InferenceThread("test").run(broken)
    release_freed_memory()  # callable anywhere, a no-op without glibc
