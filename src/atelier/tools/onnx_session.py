"""How atelier runs CPU models: ONNX sessions opened once, and inference on one thread of its
own per model whose freed memory goes back to the system after each run."""

from __future__ import annotations

import abc
import ctypes
import ctypes.util
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _load_libc() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None


_LIBC = _load_libc()


def release_freed_memory() -> None:
    """Hand freed heap pages back to the system (glibc keeps them for reuse otherwise; a model
    run frees hundreds of MB of activations at once). A no-op without glibc."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


class InferenceThread:
    """Runs a model's inferences one at a time on one thread of its own.

    Each thread that allocates gets a heap arena of its own from glibc, which keeps what was
    freed: run from the job pool's threads, every worker kept a model's activations (300+ MB
    for ISNet), and 16 concurrent calls took the server past 2 GB for good. One thread reuses
    one arena, and the memory is trimmed after each run."""

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=name)

    def run(self, work: Callable[..., T], *args: Any) -> T:
        return self._executor.submit(self._call, work, *args).result()

    @staticmethod
    def _call(work: Callable[..., T], *args: Any) -> T:
        try:
            return work(*args)
        finally:
            release_freed_memory()


def default_threads() -> int:
    # Intra-op parallelism speeds one inference up, but beyond a few threads the gain is
    # small and the server has other requests (and engines) to serve at the same time.
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(4, available))


def cpu_session(path: Path, threads: int | None = None) -> Any:
    """An onnxruntime InferenceSession of ``path`` on the CPU, memory-bounded.

    Raises what onnxruntime raises for a model it cannot load; callers say whose model it was.
    """
    # Imported here, not at module level: it costs start-up time and memory that a server
    # which never runs an ONNX model need not pay.
    import onnxruntime as ort

    options = ort.SessionOptions()
    # The arena keeps every block it ever allocated; without it, activations go back to the
    # system after each run.
    options.enable_cpu_mem_arena = False
    # The memory pattern pre-plans one large block for all activations; per-tensor allocation
    # peaks ~200 MB lower for ISNet at no measurable speed cost.
    options.enable_mem_pattern = False
    # ORT_ENABLE_ALL would add NCHWc layout rewrites, which keep reordered copies of the
    # weights: ~250 MB more resident for ~10% speed. EXTENDED still fuses ops and folds
    # fp16->fp32 weight casts.
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: no warnings about unused initializers
    return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])


class LazySession(abc.ABC):
    """Holds an ONNX session that is opened on first use, once, whichever thread needs it
    first. A failed load is not remembered: a model put in place later is picked up."""

    def __init__(self) -> None:
        self._session: Any = None
        self._load_lock = threading.Lock()

    def _ensure_session(self) -> None:
        if self._session is not None:
            return
        with self._load_lock:
            if self._session is None:  # another thread may have loaded it meanwhile
                self._load()

    @abc.abstractmethod
    def _load(self) -> None:
        """Open the model and set ``self._session`` (raise ModelUnavailable if it cannot)."""
