"""Timing and peak-memory helper shared by the benchmark scripts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psutil


def measure(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float, float]:
    """Run ``func(*args, **kwargs)``; return (result, seconds, peak RSS increase in MiB).

    Peak RSS is sampled every 10 ms in a background thread, relative to the RSS before the
    call.
    """
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    out = func(*args, **kwargs)
    dt = time.perf_counter() - t0
    stop.set()
    thread.join()
    return out, dt, (peak[0] - base) / 2**20
