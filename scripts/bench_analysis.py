"""Benchmark: the analysis pages' callbacks over HTTP on the default demo store.

Builds the app on the configured store (the default demo, built first if missing), logs in
as the demo city leader through the login form, and POSTs each page's main callback (the
one that fills every panel from the URL) for a few filter sets, as the browser does after a
filter change. Prints the median and worst time over the repeats and the gzipped size of
the response. A table, not a timed test: numbers depend on the machine and its load.

Usage: python scripts/bench_analysis.py [--repeat 5] [--store PATH]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the login helper the tests use

from auth_helpers import (  # noqa: E402
    CITY_LEADER,
    callback_request,
    login_client,
    post_callback,
)

from dashboard import create_app, ids  # noqa: E402
from dashboard.settings import Settings  # noqa: E402
from layouts.thematic import PAGES  # noqa: E402

SEARCHES = ("?period=30d", "?period=year", "?period=custom&from=2024-01-01&to=2026-12-31",
            "?period=year&region=320612", "?period=year&region=320612001001")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None)
    args = parser.parse_args()
    settings = Settings.load(**({"store": args.store} if args.store else {}))
    app = create_app(settings)
    client = app.server.test_client()
    login_client(client, *CITY_LEADER)
    print(f"store: {settings.store}")
    print("| page | filters | median ms | max ms | response KB (gzip) |")
    print("|---|---|---:|---:|---:|")
    for page in ("cases", *(p.key for p in PAGES)):
        for search in SEARCHES:
            body = callback_request(
                app, f"{page}-total-text.children",
                [{"id": ids.FILTER_URL, "property": "search", "value": search}],
                changed=[f"{ids.FILTER_URL}.search"])
            times, size = [], 0
            for _ in range(args.repeat + 1):
                t0 = time.perf_counter()
                response = post_callback(client, body)
                times.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    raise SystemExit(f"{page} {search}: HTTP {response.status_code}")
                size = len(gzip.compress(response.get_data()))
            times = times[1:]  # the first call warms caches
            print(f"| {page} | `{search}` | {1000 * statistics.median(times):.0f} | "
                  f"{1000 * max(times):.0f} | {size / 1024:.1f} |")


if __name__ == "__main__":
    main()
