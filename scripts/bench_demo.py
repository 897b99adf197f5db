"""Benchmark the demo generator: build stores of several sizes and print a table.

Each size runs in its own process so peak memory (max RSS) is measured per build.

    python scripts/bench_demo.py            # 300k (first-start default) and 1M
    python scripts/bench_demo.py 1M 10M     # any sizes
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, resource, sys, time
from dashboard.demo import DemoSpec, build_demo
t = time.perf_counter()
counts = build_demo(sys.argv[1], DemoSpec(incidents=int(sys.argv[2]), seed=20231), progress=False)
secs = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"secs": secs, "rss_mb": rss, "rows": sum(
    v for v in counts.values() if isinstance(v, int))}))
"""


def parse(size: str) -> int:
    scale = {"k": 1_000, "m": 1_000_000}.get(size[-1].lower(), 1)
    return int(float(size[:-1] if scale > 1 else size) * scale)


def main(argv: list[str]) -> None:
    sizes = [parse(s) for s in argv] or [300_000, 1_000_000]
    print(f"{'incidents':>12} {'seconds':>8} {'incidents/s':>12} {'all rows':>12} "
          f"{'peak RSS MB':>12} {'store MB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"bench{n}.duckdb"
            out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(n)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{n:>12,} {r['secs']:>8.1f} {n / r['secs']:>12,.0f} {r['rows']:>12,} "
                  f"{r['rss_mb']:>12,.0f} {path.stat().st_size / 2**20:>9,.0f}", flush=True)
            path.unlink()


if __name__ == "__main__":
    main(sys.argv[1:])
