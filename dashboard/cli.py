"""The ``gridcmd`` command line: ``serve`` the dashboard, build a ``demo`` store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dashboard.settings import Settings

MAX_INCIDENTS = 200_000_000


def _size(text: str) -> int:
    """Parse a size such as ``1000000``, ``1_000_000``, ``1e6``, ``500k`` or ``10M``."""
    raw = text.strip().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(raw[-1:].lower(), 1)
    if scale > 1:
        raw = raw[:-1]
    try:
        value = float(raw) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value != int(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 0: {text!r}")
    if value > MAX_INCIDENTS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than the supported maximum of {MAX_INCIDENTS:,}"
        )
    return int(value)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gridcmd", description="GridCommand 网格指挥舱")
    p.add_argument("--config", help="settings file (TOML); default $GRIDCMD_CONFIG")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="run the dashboard (builds the demo store if missing)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--store", type=Path, help="DuckDB store (default var/gridcmd.duckdb)")
    s.add_argument("--debug", action="store_true", default=None)

    d = sub.add_parser("demo", help="build a demo store with synthetic activity")
    d.add_argument("--store", type=Path, required=True)
    d.add_argument("--incidents", type=_size, default=1_000_000, help="e.g. 1000000, 10M")
    d.add_argument("--seed", type=int, default=20231)
    d.add_argument("--city", default="3206", help="city code (vendored: 3206 南通市)")
    d.add_argument("--years", type=float, default=3.0, help="history length up to today")
    d.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        return _demo(args)
    except (ValueError, OSError) as exc:
        print(f"gridcmd: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gridcmd: interrupted", file=sys.stderr)
        return 130


def _serve(args) -> int:
    from dashboard.factory import create_app

    settings = Settings.load(
        args.config, host=args.host, port=args.port, store=args.store, debug=args.debug
    )
    run_server(create_app(settings))
    return 0


def run_server(app) -> None:
    """Print the URL and serve ``app`` with the settings it was built with."""
    settings = app.server.config["GRIDCMD_SETTINGS"]
    print(f"GridCommand 网格指挥舱: http://{settings.host}:{settings.port}/", flush=True)
    app.run(host=settings.host, port=settings.port, debug=settings.debug)


def _demo(args) -> int:
    from dashboard.demo import DemoSpec, build_demo

    spec = DemoSpec(incidents=args.incidents, seed=args.seed, city=args.city, years=args.years)
    summary = build_demo(args.store, spec, progress=not args.quiet)
    for key, value in summary.items():
        print(f"{key:>16}: {value:,}" if isinstance(value, int) else f"{key:>16}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
