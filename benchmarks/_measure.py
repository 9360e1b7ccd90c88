"""Timing and peak-memory helper, and test rasters, shared by the benchmark scripts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
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


def fractal_resistance(side: int, *, beta: float = 2.6, seed: int = 42) -> np.ndarray:
    """1/f^beta noise by spectral synthesis, mapped to resistances 1..100 (log-scaled)."""
    rng = np.random.default_rng(seed)
    fx = np.fft.fftfreq(side)[:, None]
    fy = np.fft.rfftfreq(side)[None, :]
    f = np.sqrt(fx**2 + fy**2)
    f[0, 0] = 1.0
    amp = f ** (-beta / 2)
    amp[0, 0] = 0.0
    spec = amp * (rng.normal(size=amp.shape) + 1j * rng.normal(size=amp.shape))
    field = np.fft.irfft2(spec, s=(side, side))
    field = (field - field.min()) / (field.max() - field.min())
    return 10 ** (2 * field)  # 1 .. 100
