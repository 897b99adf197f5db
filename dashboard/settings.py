"""Settings: defaults, then an optional TOML file, then ``GRIDCMD_*`` environment variables,
then the values a caller passes (command-line flags).

Read inside the app factory (never at import), so tests can build several apps with
different settings in one process.

``Settings`` is a frozen pydantic dataclass: every value is coerced and checked by the type
of its field, whichever source it came from ("8050" from the environment becomes 8050,
"off" becomes False, "ten" for an int is an error naming the setting and where it came
from). It stays a dataclass, so ``dataclasses.replace(settings, port=1)`` works and checks
the new value too.

Adding a setting
----------------
Add one line to ``Settings``, ``name: type = default``, with a comment or a line in the
docstring saying what it does and in which unit. Nothing else is needed: the TOML key
``name``, the environment variable ``GRIDCMD_NAME`` and ``Settings.load(name=...)`` follow
from the field. Use ``int``, ``float``, ``bool``, ``str``, ``ExpandedPath`` (a path, ``~``
expanded) or ``Literal["a", "b"]`` (a closed set of words). A rule the type cannot say (a
range, a format) is a ``@field_validator("name")`` classmethod on ``Settings`` that raises
``ValueError("what is wrong")``; ``load`` reports it as ``setting name (from WHERE): what
is wrong, got VALUE``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, ValidationError, field_validator
from pydantic.dataclasses import dataclass

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STORE = PROJECT_ROOT / "var" / "gridcmd.duckdb"

ExpandedPath = Annotated[Path, AfterValidator(lambda p: p.expanduser())]
"""A path setting; ``~`` is expanded."""


@dataclass(frozen=True, config=ConfigDict(extra="forbid", coerce_numbers_to_str=True))
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
        (``dashboard/periods.py``).
    tile_url : str
        Optional XYZ template of an intranet tile server; empty means boundaries are the base
        layer (no request ever leaves for a tile host by default).
    """

    store: ExpandedPath = DEFAULT_STORE
    host: str = "127.0.0.1"
    port: int = 8050
    debug: bool = False
    # Serving (docs/deploy.md): gunicorn worker processes and threads per worker; with
    # intake on and more than one worker a separate writer process takes every write and
    # publishes store snapshots the workers read.
    workers: int = 1
    worker_threads: int = 4
    access_log: str = ""  # gunicorn's access log: "" none, "-" standard output, or a file
    city: str = "3206"
    demo_on_start: bool = True
    demo_incidents: int = 300_000
    demo_seed: int = 20231
    tile_url: str = ""
    refresh_seconds: int = 60
    stale_minutes: int = 180
    asof_stale_days: float = 3.0
    cache_max_age: int = 3600
    kpi_ontime: Literal["closed", "due"] = "closed"
    # The read path (docs/overview.md#cache): the server's DuckDB connection is bounded so
    # DuckDB does not take 80% of RAM. 350MB: at 100M the largest of two workers under the
    # load mix was 959 MB (963-996 MB at 400MB, 1,206-1,245 MB at 600MB), and every
    # analysis page at 10M answers at it as fast as at 600MB (docs/deploy.md, worker RSS at
    # 100M); what DuckDB holds beyond it is mostly blocks of the store it can read again
    # from the OS's file cache. A process that also writes (intake on, one worker) takes
    # the import budget instead (serving.make_store). A read query is stopped after
    # query_timeout_seconds (0: never); query results are cached up to query_cache_mb.
    duckdb_memory_limit: str = "350MB"
    duckdb_threads: int = 2
    query_timeout_seconds: float = 30.0
    query_cache_mb: int = 128
    # With several workers, results and page values are shared by them in
    # "<store>.cache/" (queries/shared_cache.py), up to shared_cache_mb (0: each worker
    # keeps its own), and each is computed by one worker only.
    shared_cache_mb: int = 1024
    # Live intake leaves every cache cold at each new store version: the recent requests of
    # the read callbacks are replayed then, in a background thread of each process, for at
    # most rewarm_seconds (0: off), those of the last rewarm_recent_seconds only
    # (dashboard/rewarm.py, docs/deploy.md).
    rewarm_seconds: float = 8.0
    rewarm_recent_seconds: float = 120.0
    # glibc's malloc arenas per served process (0: glibc's default, 8 per core): the
    # request threads' frames otherwise spread over many arenas, which keep freed memory
    # (docs/deploy.md, worker RSS)
    malloc_arena_max: int = 2
    # The CPU priority (nice, 0-19) of the intake writer process when it is separate from
    # the workers: a large import or a summary refresh then takes only the cores the
    # workers leave idle (0: the workers' priority; docs/deploy.md, while an import runs)
    writer_nice: int = 10
    # Exports made at once by the whole server, across workers (dashboard/slots.py; 0: no
    # bound); a request that finds none free within export_wait_seconds is answered 503.
    export_slots: int = 1
    export_wait_seconds: float = 60.0
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
    # The at-risk queue (docs/foresight.md): an open case counts in 风险案件数 and is listed
    # on the overview when its stored probability of missing its deadline is at least
    # foresight_threshold; scoring refits the model when the active one is older than
    # foresight_refit_days (an intake batch of the server rescores with the active model and
    # refits in a background thread of the writer; gridcmd import and gridcmd foresight refit
    # in line).
    # 0.75: the threshold judged on two demo seeds and then met the back-test goal on all
    # four, two held out (docs/foresight.md, Back-test)
    foresight_threshold: float = 0.75
    foresight_refit_days: float = 7.0
    # Surge detection (异常预警, docs/foresight.md): a region × 大类 cell alerts when its
    # Benjamini–Hochberg q-value is at most surge_q_level (the expected share of chance
    # alerts among those raised; higher: more surges found, more false alarms); a stored
    # alert with a q-value at most surge_critical_q is a critical alert (the kiosk jumps
    # to its region).
    surge_q_level: float = 0.2
    surge_critical_q: float = 0.001
    # The 通报 (docs/reports.md): archived in report_archive ("": "<store>.reports" beside the
    # store); with report_levels set (comma-separated: city,county,town,village) the
    # server generates last month's 通报 of every region of those levels on day 1 at
    # report_hour:05 (store time zone), in report_formats (docx,pdf,xlsx); with
    # report_week_levels set, last week's (Monday to Sunday) every Monday at that hour.
    report_archive: str = ""
    report_levels: str = ""
    report_week_levels: str = ""
    report_hour: int = 2
    report_formats: str = "docx,pdf,xlsx"

    @field_validator("workers", "worker_threads")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1 or value > 64:
            raise ValueError("must be between 1 and 64")
        return value

    @field_validator("rewarm_seconds", "rewarm_recent_seconds")
    @classmethod
    def _seconds(cls, value: float) -> float:
        if not 0 <= value <= 3600:
            raise ValueError("must be between 0 and 3600 seconds")
        return value

    @field_validator("writer_nice")
    @classmethod
    def _nice(cls, value: int) -> int:
        if not 0 <= value <= 19:
            raise ValueError("must be a nice value from 0 to 19")
        return value

    @field_validator("foresight_threshold")
    @classmethod
    def _probability(cls, value: float) -> float:
        if not 0 < value <= 1:
            raise ValueError("must be a probability above 0 and at most 1")
        return value

    @field_validator("surge_q_level", "surge_critical_q")
    @classmethod
    def _q_level(cls, value: float) -> float:
        if not 0 < value < 1:
            raise ValueError("must be a q-value level above 0 and below 1")
        return value

    @field_validator("report_levels", "report_week_levels")
    @classmethod
    def _report_levels(cls, value: str) -> str:
        from dashboard.report.schedule import parse_levels

        return ",".join(parse_levels(value))

    @field_validator("report_formats")
    @classmethod
    def _report_formats(cls, value: str) -> str:
        from dashboard.report.schedule import parse_formats

        return ",".join(parse_formats(value))

    @field_validator("report_hour")
    @classmethod
    def _hour(cls, value: int) -> int:
        if not 0 <= value <= 23:
            raise ValueError("must be an hour from 0 to 23")
        return value

    @field_validator("ingest_earliest")
    @classmethod
    def _iso_date(cls, value: str) -> str:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("not an ISO date") from None
        return value

    @classmethod
    def load(cls, config: str | Path | None = None, **overrides) -> Settings:
        """Build settings from defaults, a TOML file, the environment and overrides.

        Parameters
        ----------
        config : path, optional
            A TOML file with keys named as the attributes; ``GRIDCMD_CONFIG`` if not given.
        **overrides
            Values that win over everything (command-line flags); ``None`` values are ignored.

        Raises
        ------
        ValueError
            A missing or malformed settings file, an unknown key, or a value its field does
            not accept (the message names the setting, where the value came from and it).
        """
        values: dict = {}
        origin: dict[str, str] = {}
        config = config or os.environ.get("GRIDCMD_CONFIG")
        if config:
            path = Path(config)
            if not path.is_file():
                raise ValueError(f"settings file not found: {path}")
            try:
                with path.open("rb") as fh:
                    found = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"settings file {path}: {exc}") from None
            values.update(found)
            origin.update(dict.fromkeys(found, str(path)))
        names = [f.name for f in fields(cls)]
        for name in names:
            env = os.environ.get(f"GRIDCMD_{name.upper()}")
            if env is not None:
                values[name] = env
                origin[name] = f"GRIDCMD_{name.upper()}"
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update(given)
        for name in given:  # a flag or a caller: the message needs no origin
            origin.pop(name, None)
        unknown = set(values) - set(names)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ValueError(_message(exc, origin)) from None


def _message(exc: ValidationError, origin: dict[str, str]) -> str:
    """The first error of ``exc`` as one line: ``setting port (from GRIDCMD_PORT): input
    should be a valid integer ..., got 'ten'``."""
    err = exc.errors(include_url=False)[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    text = err["msg"].removeprefix("Value error, ")
    where = f" (from {origin[name]})" if name in origin else ""
    return f"setting {name}{where}: {text[:1].lower()}{text[1:]}, got {err['input']!r}"
