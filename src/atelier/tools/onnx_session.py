"""How atelier opens ONNX models: CPU sessions whose memory goes back after each run."""

from __future__ import annotations

import abc
import os
import threading
from pathlib import Path
from typing import Any


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
