"""Timing shared by the benchmarks (standard library only, so a worker that imports the
dashboard of another checkout can import it first)."""

from __future__ import annotations

import time


def timed(fn, key: str, steps: dict):
    """``fn`` wrapped to add its seconds to ``steps[key]`` on every call (a step of a
    batch: several calls add up)."""
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            steps[key] = steps.get(key, 0.0) + time.perf_counter() - t0
    return wrapper
