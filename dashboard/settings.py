"""Settings: defaults, then an optional TOML file, then ``GRIDCMD_*`` environment variables.

Read inside the app factory (never at import), so tests can build several apps with
different settings in one process.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = PROJECT_ROOT / "var" / "gridcmd.duckdb"


@dataclass(frozen=True)
class Settings:
    """Everything a deployment may change.

    Attributes
    ----------
    store : Path
        The DuckDB store; built with demo data on first start when missing and ``demo_on_start``.
    demo_incidents : int
        Size of the demo built on first start: small enough that the first start takes
        well under a minute on two cores.
    kpi_ontime : str
        Which 按期结案率 is official: ``closed`` (on time / closed) or ``due`` (on time /
        (closed + open overdue)); both are always computed, this picks ``ontime_rate``.
    refresh_seconds : int
        How often the overview re-reads its figures (a big screen polls unattended).
    stale_minutes : int
        The overview shows a stale-data banner when the newest record is older than this.
    asof_stale_days : float
        A store whose newest record is older than this many days is shown as of the end
        of its last data day (a banner says so), not as of now; 0 turns this off
        (``dashboard/asof.py``).
    tile_url : str
        Optional XYZ template of an intranet tile server; empty means boundaries are the base
        layer (no request ever leaves for a tile host by default).
    """

    store: Path = DEFAULT_STORE
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    city: str = "3206"
    demo_on_start: bool = True
    demo_incidents: int = 300_000
    demo_seed: int = 20231
    tile_url: str = ""
    refresh_seconds: int = 60
    stale_minutes: int = 180
    asof_stale_days: float = 3.0
    cache_max_age: int = 3600
    kpi_ontime: str = "closed"
    # The read path (docs/overview.md#cache): the server's DuckDB connection is bounded so
    # the process stays under 1 GB RSS at 10M incidents; a read query is stopped after
    # query_timeout_seconds (0: never); query results are cached up to query_cache_mb.
    duckdb_memory_limit: str = "512MB"
    duckdb_threads: int = 2
    query_timeout_seconds: float = 30.0
    query_cache_mb: int = 128
    # Accounts (docs/security.md): the SQLite file of users, sessions and the audit log,
    # never inside the read-only store; empty means beside it, "<store stem>-auth.sqlite".
    auth_db: str = ""
    session_idle_minutes: int = 30
    session_hours: int = 12
    kiosk_days: int = 30
    # Secure session cookie (browsers accept it on http://localhost too); off only for a
    # plain-HTTP intranet trial.
    cookie_secure: bool = True
    # `limits` notation: login attempts per client address and user name; callback POSTs
    # per session, generous so a polling big screen is never throttled.
    login_rate_limit: str = "5/minute;20/hour"
    callback_rate_limit: str = "1200/minute"
    intake_token: str = ""  # bearer token of POST /api/intake/<kind>; "" = off (docs/ingest.md)
    intake_max_mb: int = 512  # largest request body the intake endpoint accepts
    # largest request body of every other route (callbacks, forms): 413 above it
    request_max_kb: int = 1024
    import_batch_rows: int = 1_000_000  # records per transaction of imports
    # times before this are quarantined as implausible_time (a mapping's [rules] earliest
    # wins); docs/ingest.md
    ingest_earliest: str = "1990-01-01"

    @classmethod
    def load(cls, config: str | Path | None = None, **overrides) -> Settings:
        """Build settings from defaults, a TOML file, the environment and overrides.

        Parameters
        ----------
        config : path, optional
            A TOML file with keys named as the attributes; ``GRIDCMD_CONFIG`` if not given.
        **overrides
            Values that win over everything (command-line flags); ``None`` values are ignored.
        """
        values: dict = {}
        config = config or os.environ.get("GRIDCMD_CONFIG")
        if config:
            path = Path(config)
            if not path.is_file():
                raise ValueError(f"settings file not found: {path}")
            with path.open("rb") as fh:
                values.update(tomllib.load(fh))
        for f in fields(cls):
            env = os.environ.get(f"GRIDCMD_{f.name.upper()}")
            if env is not None:
                values[f.name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        settings = replace(cls(), **{k: _coerce(cls, k, v) for k, v in values.items()})
        try:
            datetime.fromisoformat(settings.ingest_earliest)
        except ValueError:
            raise ValueError(f"setting ingest_earliest: not an ISO date: "
                             f"{settings.ingest_earliest!r}") from None
        if settings.kpi_ontime not in ("closed", "due"):
            raise ValueError(f"setting kpi_ontime: expected 'closed' or 'due', "
                             f"got {settings.kpi_ontime!r}")
        return settings


def _coerce(cls, name: str, value):
    kind = type(getattr(cls(), name))
    if kind is bool and isinstance(value, str):
        if value.lower() not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            raise ValueError(f"setting {name}: not a boolean: {value!r}")
        return value.lower() in {"1", "true", "yes", "on"}
    if issubclass(kind, Path):
        return Path(value).expanduser()
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting {name}: expected {kind.__name__}, got {value!r}") from exc
