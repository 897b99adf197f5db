"""The ``gridcmd`` command line: ``serve`` the dashboard, build a ``demo`` store, print ``kpi``,
write a monthly ``report``, ``import`` records and boundaries, manage ``user`` accounts.

A click command tree. Each command checks what is cheap first and raises ``ValueError`` (or
``OSError``, ``StoreVersionError``) with one line saying what is wrong; :func:`main` prints
it as ``gridcmd: error: ...`` and exits 2, the exit status of a usage error too.
"""

from __future__ import annotations

import re
import sys
from datetime import date, datetime
from pathlib import Path

import click

from dashboard.settings import Settings
from dashboard.store import BUILD_MEMORY_LIMIT, Store, StoreOpenError, StoreVersionError

BUCKETS = ("day", "week", "month")

MAX_INCIDENTS = 200_000_000


def parse_size(text: str) -> int:
    """Parse a size such as ``1000000``, ``1_000_000``, ``1e6``, ``500k`` or ``10M``."""
    raw = text.strip().replace("_", "").replace(",", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(raw[-1:].lower(), 1)
    if scale > 1:
        raw = raw[:-1]
    try:
        value = float(raw) * scale
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if value != int(value) or value < 0:
        raise ValueError(f"must be a whole number ≥ 0: {text!r}")
    if value > MAX_INCIDENTS:
        raise ValueError(f"{text!r} is more than the supported maximum of {MAX_INCIDENTS:,}")
    return int(value)


class Size(click.ParamType):
    """A count written as ``1000000``, ``1e6``, ``500k`` or ``10M`` (:func:`parse_size`)."""

    name = "N"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


SIZE = Size()


class MemorySize(click.ParamType):
    """A DuckDB memory size: a number and a unit, ``3GB``, ``12 GiB``, ``512MB``."""

    name = "SIZE"
    PATTERN = re.compile(r"\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.I)

    def convert(self, value, param, ctx):
        if not self.PATTERN.fullmatch(str(value)):
            self.fail(f"{value!r} is not a memory size such as 3GB, 512MB or 12GiB", param,
                      ctx)
        return str(value).strip()


PATH = click.Path(path_type=Path)


class Variadic(click.Command):
    """A command whose options named in ``variadic`` take one or more values, as
    ``--kpi reported close_rate`` does: each further value before the next option counts as
    one more ``--kpi``. (Click options take a fixed number of values.)"""

    def __init__(self, *args, variadic: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.variadic = variadic

    def parse_args(self, ctx, args):
        spread, option, first = [], None, False
        for arg in args:
            if option is not None and not arg.startswith("-"):
                if not first:
                    spread.append(option)
                spread.append(arg)
                first = False
                continue
            option = arg if arg in self.variadic else None
            first = option is not None
            spread.append(arg)
        return super().parse_args(ctx, spread)


class Ordered(click.Group):
    """A group that lists its commands in the order they are defined, not alphabetically."""

    def list_commands(self, ctx):
        return list(self.commands)


def _settings(**overrides) -> Settings:
    """The settings with the root's ``--config`` file and ``overrides`` (flags given)."""
    config = click.get_current_context().find_root().params.get("config")
    return Settings.load(config, **overrides)


def store_option(text: str = "DuckDB store (default: the settings' store)"):
    return click.option("--store", type=PATH, help=text)


READ_ONLY_STORE = ("DuckDB store, opened read-only (default: the store of the settings, as "
                   "for serve)")


@click.group(cls=Ordered, context_settings={"help_option_names": ["-h", "--help"],
                               "max_content_width": 100})
@click.option("--config", metavar="PATH", help="settings file (TOML); default $GRIDCMD_CONFIG")
def cli(config):
    """GridCommand 网格指挥舱"""


def main(argv: list[str] | None = None) -> int:
    """Run ``gridcmd`` with ``argv`` (default: the process's arguments); the exit status.

    Bad input, a missing or unreadable file and a store of another version are one line,
    ``gridcmd: error: ...``, and status 2 (usage errors say the usage above it).
    """
    try:
        result = cli.main(args=argv, prog_name="gridcmd", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        print(exc.format_message(), file=sys.stderr)
        return exc.exit_code
    except click.UsageError as exc:
        if exc.ctx is not None:
            print(exc.ctx.get_usage(), file=sys.stderr)
        hint = f" (see {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
        print(f"gridcmd: error: {exc.format_message()}{hint}", file=sys.stderr)
        return exc.exit_code
    except click.ClickException as exc:
        print(f"gridcmd: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except (ValueError, OSError, StoreVersionError) as exc:
        print(f"gridcmd: error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, click.Abort):
        print("gridcmd: interrupted", file=sys.stderr)
        return 130
    return result if isinstance(result, int) else 0


# --- serve, demo --------------------------------------------------------------------------


@cli.command(short_help="run the dashboard (builds the demo store if missing)")
@click.option("--host")
@click.option("--port", type=int)
@click.option("--store", type=PATH, help="DuckDB store (default var/gridcmd.duckdb)")
@click.option("--workers", type=click.IntRange(1, 64),
              help="worker processes (default: setting workers, 1)")
@click.option("--threads", type=click.IntRange(1, 64),
              help="threads per worker (default: setting worker_threads, 4)")
@click.option("--access-log", metavar="PATH|-", help="write an access log (- standard output)")
@click.option("--debug", is_flag=True, default=None,
              help="Werkzeug's development server with the debugger, one process")
def serve(host, port, store, workers, threads, access_log, debug):
    """Run the dashboard (builds the demo store if missing): gunicorn with worker
    processes, or with --debug Werkzeug's development server."""
    from dashboard.factory import create_app

    settings = _settings(host=host, port=port, store=store, workers=workers,
                         worker_threads=threads, access_log=access_log, debug=debug)
    run_server(create_app(settings))


def run_server(app) -> None:
    """Print the URL and serve ``app`` with the settings it was built with: gunicorn
    (``dashboard.serving``), or Werkzeug's development server when ``debug`` is on."""
    settings = app.server.config["GRIDCMD_SETTINGS"]
    print(f"GridCommand 网格指挥舱: http://{settings.host}:{settings.port}/", flush=True)
    if settings.debug:
        app.run(host=settings.host, port=settings.port, debug=True,
                request_handler=_quiet_handler())
        return
    from dashboard import serving

    serving.run(app, settings)


def _quiet_handler():
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        """Werkzeug's handler without its name and Python's version in ``Server`` (its own
        error pages; the app's responses set the header themselves)."""

        def version_string(self) -> str:
            return "GridCommand"

    return QuietHandler


@cli.command(short_help="build a demo store with synthetic activity")
@click.option("--store", type=PATH, required=True)
@click.option("--incidents", type=SIZE, default=1_000_000, show_default=True,
              help="e.g. 1000000, 10M")
@click.option("--seed", type=int, default=20231, show_default=True)
@click.option("--city", default="3206", show_default=True,
              help="city code (vendored: 3206 南通市)")
@click.option("--years", type=float, default=3.0, show_default=True,
              help="history length up to today")
@click.option("--quiet", is_flag=True, help="no progress bars")
@click.option("--memory-limit", type=MemorySize(), default=BUILD_MEMORY_LIMIT,
              show_default=True, help="DuckDB's memory while it builds; above it the summary "
              "refresh spills to disk beside the store (a 100M build: raise it)")
def demo(store, incidents, seed, city, years, quiet, memory_limit):
    """Build a demo store with synthetic activity, and its demo accounts beside it."""
    from dashboard.demo import DemoSpec, build_demo

    spec = DemoSpec(incidents=incidents, seed=seed, city=city, years=years)
    summary = build_demo(store, spec, progress=not quiet, memory_limit=memory_limit)
    from dashboard.auth.demo import auth_db_path, seed_demo_users
    from dashboard.auth.store import AuthStore

    settings = _settings(store=store)
    seed_demo_users(AuthStore(auth_db_path(settings)), city)
    for key, value in summary.items():
        print(f"{key:>16}: {value:,}" if isinstance(value, int) else f"{key:>16}: {value}")


@cli.command(short_help="rebuild the summary tables (DuckDB, or Spark over a Parquet lake)")
@store_option("DuckDB store whose summaries are rebuilt (opened read-write: no server may "
              "hold it)")
@click.option("--engine", type=click.Choice(("duckdb", "spark")), default="duckdb",
              show_default=True, help="duckdb: refresh in the store; spark: export the facts "
              "to a Parquet lake, build with Spark SQL, load in one transaction")
@click.option("--master", default="local[2]", show_default=True,
              help="Spark master URL: local[N], spark://host:7077, yarn")
@click.option("--lake", type=PATH, help="lake directory (default <store>.lake; on a cluster: "
              "shared storage every executor reads)")
@click.option("--out", type=PATH, help="where Spark writes the summary tables (default "
              "<lake>/_summaries; shared storage on a cluster)")
@click.option("--no-export", is_flag=True, help="use the lake as it is (exported earlier "
              "from this store at its current version)")
@click.option("--conf", "confs", multiple=True, metavar="KEY=VALUE",
              help="Spark setting, repeatable (spark.executor.memory=4g ...)")
def summaries(store, engine, master, lake, out, no_export, confs):
    """Rebuild every summary table of the store from its facts, with DuckDB (the default)
    or Apache Spark (docs/deploy.md, Spark). The store's summaries change in one
    transaction, or not at all when a step fails."""
    import duckdb

    from dashboard.spark import build_summaries
    from dashboard.spark.job import SparkBuildError
    from dashboard.spark.lake import LakeError

    conf = {}
    for item in confs:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--conf")
        conf[key.strip()] = value.strip()
    if engine == "duckdb" and (lake or out or no_export or confs):
        raise click.UsageError("--lake, --out, --no-export and --conf are for --engine spark")
    settings = _settings(store=store)
    path = Path(settings.store)
    if not path.is_file():
        raise ValueError(f"store not found: {path}")
    try:
        result = build_summaries(path, engine, master=master, lake=lake, out=out,
                                 export=not no_export, conf=conf)
    except StoreOpenError as exc:
        raise ValueError(f"{exc} (stop the server holding it first)") from None
    except (SparkBuildError, LakeError) as exc:
        raise click.ClickException(f"{exc}; the store's summaries are unchanged") from None
    except duckdb.Error as exc:  # the load (rolled back) or the export
        first = str(exc).strip().splitlines()[0]
        raise click.ClickException(f"{first}; the store's summaries are unchanged") from None
    for table, rows in result["counts"].items():
        print(f"{table:>20}: {rows:,}")
    print("  ".join(f"{step} {secs:.1f} s" for step, secs in result["seconds"].items()))


# --- kpi, report --------------------------------------------------------------------------


@cli.command(
    cls=Variadic, variadic=("--kpi",),
    short_help="print KPI values of a region and period (table, CSV or JSON)",
    epilog="examples: gridcmd kpi --region 3206 --from 2024-01 --to 2024-03 --by month; "
           "gridcmd kpi --list",
)
@click.option("--store", type=PATH, help=READ_ONLY_STORE)
@click.option("--region", help="region: short code, 4 digits city (3206), 6 county (320613), "
              "9 town, 12 village, or its 12-digit padded code, or on a store built by "
              "import boundaries the source code of any level (D01, 27-014)")
@click.option("--from", "date_from", metavar="DATE",
              help="first day, YYYY-MM-DD (or YYYY-MM: the month's first day)")
@click.option("--to", "date_to", metavar="DATE",
              help="last day, inclusive, YYYY-MM-DD (or YYYY-MM: the month's last day)")
@click.option("--by", type=click.Choice(BUCKETS),
              help="one row per day, week (from Monday) or month")
@click.option("--kpi", "kpi_keys", multiple=True, metavar="KEY",
              help="KPI keys or Chinese names (see --list); several after one --kpi, "
                   "repeated or separated by commas; default: all")
@click.option("--format", "fmt", type=click.Choice(("table", "csv", "json")), default="table",
              show_default=True,
              help="table: for people; csv, json: keys and raw values (rates as 0..1)")
@click.option("--ontime", type=click.Choice(("closed", "due")),
              help="official 按期结案率 definition reported as ontime_rate (default: the "
                   "kpi_ontime setting, 'closed')")
@click.option("--list", "list_registry", is_flag=True,
              help="print the KPI registry and exit")
def kpi(store, region, date_from, date_to, by, kpi_keys, fmt, ontime, list_registry):
    """Print KPI values of one region over a period, read from the store's summary tables
    with the same engine as the dashboard. The command runs with an admin-equivalent scope
    of --region: whoever can read the store file sees every KPI of every region in it, so
    guard the file, not this command."""
    from dashboard.kpi import cli_format as out
    from dashboard.kpi.registry import KPIS

    _utf8_stdout()
    if list_registry:
        if fmt == "table":
            sys.stdout.write(out.registry_table(KPIS))
        elif fmt == "json":
            sys.stdout.write(out.to_json(out.registry_records(KPIS)))
        else:
            records = out.registry_records(KPIS)
            sys.stdout.write(out.to_csv(records, list(records[0])))
        return

    import duckdb

    from dashboard.kpi import Scope, kpis

    if not region:
        raise ValueError("--region is required (a short code such as 3206 or 320613)")
    d0 = _day(date_from, "--from", end=False)
    d1 = _day(date_to, "--to", end=True)
    if d0 > d1:
        raise ValueError(f"--from {d0} is after --to {d1}")
    keys = _kpi_keys(kpi_keys)
    region = region.strip()
    if len(region) == 15 and region.isdigit():
        raise ValueError(f"region {region!r} is a grid code; gridcmd kpi takes a region "
                         "of 4, 6, 9 or 12 digits")

    settings = _settings(store=store)
    path = Path(settings.store)
    with _open_read_only(path) as con:
        try:
            found = _region_of(con, region, "kpi")
            frame = kpis(con, Scope(found.code, "admin"), d0, d1, keys=keys, by=by,
                         ontime=ontime or settings.kpi_ontime)
        except duckdb.Error as exc:
            raise ValueError(f"cannot read store {path}: {_first_line(exc)}") from None

    if fmt == "json":
        sys.stdout.write(out.to_json(out.kpi_records(frame)))
    elif fmt == "csv":
        sys.stdout.write(out.kpi_csv(frame))
    else:
        # one line naming the region (with its source code on an imported city's store)
        # and the period above the table; CSV and JSON stay bare data
        sys.stdout.write(f"地区 region: {found.label()} · {d0} 至 {d1}\n")
        sys.stdout.write(out.kpi_table(frame))


REPORT_FORMATS = ("xlsx", "pdf", "docx")


@cli.command(
    short_help="write the monthly or weekly 通报 of a region (xlsx, pdf or docx), archived",
    epilog="examples: gridcmd report --month 2024-10 --region 320613 --format docx\n\n"
           "gridcmd report --week 2024-W43 --region 320613 --format pdf\n\n"
           "gridcmd report --all --level county --month 2024-10   (cron, docs/reports.md)",
)
@click.option("--month", metavar="YYYY-MM", help="the calendar month reported on")
@click.option("--week", metavar="YYYY-Www", help="the ISO week (Monday to Sunday) reported "
              "on, instead of a month: the weekly 通报")
@click.option("--region", help="region short code: 4 digits city, 6 county, 9 town, 12 "
              "village (or 12-digit padded), or a source code of a store built by import "
              "boundaries")
@click.option("--all", "all_regions", is_flag=True,
              help="every region of --level (into the archive only; regions without data "
              "are listed and skipped)")
@click.option("--level", metavar="LEVEL", help="with --all: city, county, town or village")
@click.option("--format", "report_format", metavar="xlsx|pdf|docx",
              help="file format (default: from the --out suffix; with --all: the "
              "report_formats setting)")
@click.option("--out", type=PATH, metavar="PATH",
              help="output file (default: 通报_<region>_<YYYY-MM or YYYY-Www>.<format> here)")
@click.option("--as-of", "as_of", metavar="DATETIME",
              help="the moment the numbers are as of (store time; default: now). A moment "
              "already archived gives its archived numbers; an earlier one that records "
              "arrived after is refused")
@click.option("--archive", type=PATH, metavar="DIR",
              help="the report archive (default: report_archive setting, else "
              "<store>.reports beside the store)")
@click.option("--no-archive", is_flag=True, help="write the file only, archive nothing")
@click.option("--store", type=PATH, help=READ_ONLY_STORE)
def report(month, week, region, all_regions, level, report_format, out, as_of, archive,
           no_archive, store):
    """Write the monthly 通报 (月度网格化治理工作通报) of one region, or with --week the
    weekly one (周通报): headline KPIs with 环比 and 同比, a 12-month (12-week) trend, the
    top categories, sub-region and department rankings with grades, and the overdue list. A
    month (week) the store covers in part is reported over the days it holds, with a note;
    one without cases in the region is an error, not an empty report. Runs with an
    admin-equivalent scope of --region, as kpi does.

    Each report is archived with its as-of moment and numbers (docs/reports.md): asked again
    with the same --as-of, the archived numbers come back even after late records arrived,
    and the report says how many records of the month arrived after it. --all --level makes
    the reports of every region of a level (the cron path of the schedule) and skips none:
    a region already archived as of that moment gives its archived report.

    Everything cheap is checked before the store is opened, and the file is written to a
    temporary name and renamed only when complete, so a failure never leaves a file behind.
    """
    if not month and not week:
        raise ValueError("--month (YYYY-MM) or --week (YYYY-Www) is required")
    if month and week:
        raise ValueError("--month and --week exclude each other")
    if all_regions and region:
        raise ValueError("--all and --region exclude each other")
    if all_regions and not level:
        raise ValueError("--all needs --level (city, county, town or village)")
    if level and not all_regions:
        raise ValueError("--level goes with --all")
    if all_regions and (out or no_archive):
        raise ValueError("--all writes into the archive: --out and --no-archive do not apply")
    if not all_regions and not region:
        raise ValueError("--region is required (a short code such as 3206 or 320613)")
    import duckdb

    from dashboard.clock import store_now
    from dashboard.kpi import Scope
    from dashboard.report import FORMATS, build_report, check_writable, report_period
    from dashboard.report.archive import Archive, generate, generate_all
    from dashboard.report.schedule import parse_formats

    try:
        period = report_period(week or month, "week" if week else "month")
    except ValueError as exc:
        raise ValueError(f"--{'week' if week else 'month'}: {exc}") from None
    moment = None
    if as_of:
        try:
            moment = datetime.fromisoformat(as_of.strip())
        except ValueError:
            raise ValueError(f"--as-of: not an ISO date-time: {as_of!r}") from None
        if moment.tzinfo is not None:
            raise ValueError("--as-of: give the store's wall time, without an offset")
    settings = _settings(store=store)
    if all_regions:
        fmts = (parse_formats(report_format) if report_format
                else parse_formats(settings.report_formats))
    else:
        region = region.strip()
        if len(region) == 15 and region.isdigit():
            raise ValueError(f"region {region!r} is a grid code; gridcmd report takes a "
                             "region of 4, 6, 9 or 12 digits")
        fmt = _report_format(report_format, out)
        if out:
            check_writable(out)
    path = Path(settings.store)
    folder = None if no_archive else Archive.beside(path, archive or settings.report_archive
                                                    or None)
    with _open_read_only(path) as con:
        try:
            now = store_now(con)
            moment = moment or now
            if all_regions:
                outcomes = generate_all(con, folder, level.strip().lower(), period,
                                        as_of=moment, now=now, formats=fmts,
                                        ontime=settings.kpi_ontime, origin="cli")
            else:
                found = _region_of(con, region, "report")
                # the file is named by the code typed when it is a plain source code (D01),
                # else by the internal code
                name = region if found.source == region and re.fullmatch(r"[\w.-]+", region) \
                    else found.code
                out = out or Path(f"通报_{name}_{period.label}.{fmt}")
                check_writable(out)
                if folder is None:
                    built = build_report(con, Scope(found.code, "admin"), period,
                                         ontime=settings.kpi_ontime, as_of=moment)
                else:
                    built = generate(con, folder, found.code, period, as_of=moment, now=now,
                                     formats=[fmt], ontime=settings.kpi_ontime,
                                     origin="cli").report
        except duckdb.Error as exc:
            raise ValueError(f"cannot read store {path}: {_first_line(exc)}") from None
    _utf8_stdout()
    if all_regions:
        for o in outcomes:
            where = f"\t{folder.root / o.entry.id}" if o.entry else f"\t{o.message}"
            print(f"{o.region}\t{o.status}{where}")
        made = sum(o.status in ("made", "archived") for o in outcomes)
        print(f"{made} of {len(outcomes)} {level} reports for {period.label} in {folder.root}",
              file=sys.stderr)
        return
    written = FORMATS[fmt](built, out)
    print(written)


def _report_format(fmt: str | None, out: Path | None) -> str:
    """The format from ``--format``, else from the ``--out`` suffix; a clash is an error
    (a PDF named .xlsx would only confuse whoever opens it)."""
    suffix = out.suffix.lower().lstrip(".") if out else ""
    if fmt is None:
        if suffix in REPORT_FORMATS:
            return suffix
        raise ValueError("--format is required (xlsx, pdf or docx)")
    fmt = fmt.strip().lower()
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected xlsx, pdf or docx")
    if suffix in REPORT_FORMATS and suffix != fmt:
        raise ValueError(f"--out {out} ends in .{suffix} but --format is {fmt}")
    return fmt


# --- user ---------------------------------------------------------------------------------


@cli.group(cls=Ordered, short_help="manage accounts, kiosk tokens and read the audit log")
@click.option("--store", type=PATH, help="store whose accounts to manage (default: the store "
              "of the settings)")
@click.option("--auth-db", type=PATH, help="accounts database (default: auth_db setting, or "
              "<store stem>-auth.sqlite beside the store)")
@click.pass_context
def user(ctx, store, auth_db):
    """Manage the dashboard's accounts (docs/security.md). The accounts database is the
    auth_db setting, by default beside the store. Whoever can write that file administers
    the dashboard, so guard it like the store."""
    _utf8_stdout()
    ctx.obj = _settings(store=store, auth_db=str(auth_db) if auth_db else None)


def _accounts(ctx, create: bool = False):
    """The accounts store of the ``user`` group's settings; it must exist unless ``create``."""
    from dashboard.auth.demo import auth_db_path
    from dashboard.auth.store import AuthStore

    path = auth_db_path(ctx.obj)
    if not create and not path.is_file():
        raise ValueError(f"no accounts database at {path}")
    return AuthStore(path)


def _read_password(password_stdin: bool, required: bool) -> str | None:
    if password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise ValueError("no password on stdin")
        return line
    if sys.stdin.isatty():
        import getpass

        first = getpass.getpass("密码 password: ")
        if first != getpass.getpass("再次输入 again: "):
            raise ValueError("the passwords differ")
        return first
    if required:
        raise ValueError("no terminal to ask for a password: use --password-stdin")
    return None


NAME = click.argument("name")
PASSWORD_STDIN = click.option("--password-stdin", is_flag=True,
                              help="read the password from the first line of stdin")


@user.command("add", short_help="create an account")
@NAME
@click.option("--role", required=True, help="leader (指挥长), analyst (分析员), grid_worker "
              "(网格员), screen (大屏), admin (管理员)")
@click.option("--region", required=True, help="jurisdiction: 4-digit city, 6 county, 9 town, "
              "12 village short code; a grid worker: 12 (village) or 15 (grid), or several "
              "separated by commas (worked in one at a time); on a store built by import "
              "boundaries also the source codes (D01, G00042)")
@click.option("--display-name", default="", help="shown name, e.g. 通州区分析员")
@PASSWORD_STDIN
@click.option("--pii", is_flag=True,
              help="clearance for clear personal data in detail views (never screen)")
@click.pass_context
def user_add(ctx, name, role, region, display_name, password_stdin, pii):
    """Create an account (asks for the password on a terminal)."""
    from dashboard.auth.store import ROLE_NAMES

    settings = ctx.obj
    store = _accounts(ctx, create=True)
    role = role.strip()
    # Check what is cheap before asking for a password.
    codes, named = _account_regions(settings, region)
    store.check_new(name, role, codes, city=settings.city, pii=pii)
    password = _read_password(password_stdin, required=role != "screen")
    made = store.add_user(name, role, codes, password, city=settings.city,
                          display_name=display_name, pii=pii)
    print(f"created {made.username} ({ROLE_NAMES[made.role]}, {made.region}{named})")


@user.command("list", short_help="list accounts")
@click.pass_context
def user_list(ctx):
    """List accounts with role, region, clearance and state."""
    store = _accounts(ctx)
    print(f"{'user':<18} {'role':<12} {'region':<16} {'pii':<4} {'state':<8} name")
    locked = set(store.locked_names())
    for u in store.users():
        state = ("disabled" if u.disabled else
                 "locked" if u.username.lower() in locked else "active")
        print(f"{u.username:<18} {u.role:<12} {u.region:<16} "
              f"{'yes' if u.pii_clearance else 'no':<4} "
              f"{state:<8} {u.display_name}")


@user.command("disable", short_help="disable an account and end its sessions and tokens")
@NAME
@click.pass_context
def user_disable(ctx, name):
    """Disable an account and end its sessions and tokens."""
    _accounts(ctx).set_disabled(name, True)
    print(f"{name}: disabled")


@user.command("enable", short_help="enable a disabled account")
@NAME
@click.pass_context
def user_enable(ctx, name):
    """Enable a disabled account."""
    _accounts(ctx).set_disabled(name, False)
    print(f"{name}: enabled")


@user.command("pii", short_help="grant or withdraw personal-data clearance")
@NAME
@click.argument("state", type=click.Choice(("on", "off")))
@click.pass_context
def user_pii(ctx, name, state):
    """Grant or withdraw personal-data clearance."""
    _accounts(ctx).set_pii(name, state == "on")
    print(f"{name}: personal-data clearance {state}")


@user.command("passwd", short_help="set a new password (ends the user's sessions)")
@NAME
@PASSWORD_STDIN
@click.pass_context
def user_passwd(ctx, name, password_stdin):
    """Set a new password (ends the user's sessions)."""
    store = _accounts(ctx)
    if store.user(name) is None:
        raise ValueError(f"no such user {name!r}")
    store.set_password(name, _read_password(password_stdin, required=True))
    print(f"{name}: password changed, sessions ended")


@user.command("unlock", short_help="lift the lock of an account after too many failed logins "
                                   "(audited)")
@NAME
@click.pass_context
def user_unlock(ctx, name):
    """Lift the lock of an account after too many failed logins (audited)."""
    import getpass

    store = _accounts(ctx)
    had = store.unlock(name)
    # who unlocked: the operator of the command line (there is no session here)
    store.audit_event(f"cli:{getpass.getuser()}"[:40], "admin", ctx.obj.city, "unlock",
                      f"user {name}" + ("" if had else " (was not locked)"))
    print(f"{name}: " + ("unlocked, failed logins reset" if had
                         else "was not locked (nothing to do)"))


@user.command("token", short_help="issue (or --revoke) kiosk tokens of a screen account")
@NAME
@click.option("--base-url", default="", help="printed before /kiosk/<token>")
@click.option("--revoke", is_flag=True, help="revoke every token of the account")
@click.pass_context
def user_token(ctx, name, base_url, revoke):
    """Issue a kiosk token of a screen account and print its URL, or --revoke them all."""
    store = _accounts(ctx)
    if revoke:
        print(f"{name}: {store.revoke_tokens(name)} token(s) revoked")
    else:
        token = store.create_token(name)
        print(f"{base_url.rstrip('/')}/kiosk/{token}")


@user.command("audit", short_help="print the audit log, newest first")
@click.option("--user", "audit_user", help="only this user's records")
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_context
def user_audit(ctx, audit_user, limit):
    """Print the audit log, newest first."""
    from dashboard.auth.store import ids_text

    for r in _accounts(ctx).audit_rows(limit=limit, username=audit_user):
        print(f"{r['id']:>6} {r['at']} {r['username']:<16} {r['role']:<11} "
              f"{r['scope']:<15} {r['action']:<12} {r['what']} {ids_text(r['ids'], 60)}")


# --- import -------------------------------------------------------------------------------


@cli.group("import", cls=Ordered,
           short_help="import records or boundaries from other systems' exports")
def import_():
    """Import data (docs/ingest.md). Every rejected row is kept in the quarantine table with
    its reason; a summary is printed after each load."""


@import_.command(
    "records",
    short_help="incidents, hazards, key persons, visits, surveys or sensor readings from CSV "
               "(UTF-8, GBK), XLSX, Parquet or JSON through a column map",
    epilog="example: gridcmd import records --kind incidents "
           "--mapping dashboard/ingest/mappings/hotline_12345.toml 工单导出.csv",
)
@click.option("--kind", required=True, help="incidents | hazards | key_persons | visits | "
              "surveys | sensor_readings | area_surveys (群众满意度测评)")
@click.option("--mapping", type=PATH, help="column map (TOML); default: the files use our own "
              "column names")
@store_option()
@click.option("--batch-rows", type=SIZE, help="records per transaction (default: setting "
              "import_batch_rows)")
@click.option("--url", help="intake URL of a running server holding the store (default "
              "http://HOST:PORT of the settings)")
@click.option("--token", help="intake token (default: setting intake_token)")
@click.option("--replace", is_flag=True,
              help="replace earlier imports of the same files (same content, any mapping): "
                   "remove the rows, quarantine and log rows they wrote and load the files "
                   "anew, each in one transaction")
@click.option("--json", "as_json", is_flag=True, help="print the summary as JSON")
@click.option("--quiet", is_flag=True, help="no progress bars")
@click.argument("files", nargs=-1, required=True, type=PATH, metavar="FILE...")
def import_records(kind, mapping, store, batch_rows, url, token, replace, as_json, quiet,
                   files):
    """Load records into the store directly; if a running server holds it, upload them to
    its intake endpoint (setting intake_token, docs/ingest.md)."""
    import json

    from dashboard.foresight.run import after_load
    from dashboard.ingest.kinds import KINDS
    from dashboard.ingest.load import load_files
    from dashboard.ingest.mapping import Mapping

    settings = _settings(store=store)
    if kind not in KINDS:
        raise ValueError(f"--kind: unknown kind {kind!r}; one of {sorted(KINDS)}")
    column_map = Mapping.load(mapping, kind=kind) if mapping else Mapping.identity(kind)
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise ValueError(f"no such file: {', '.join(missing)}")
    if not settings.store.is_file():
        raise ValueError(f"store not found: {settings.store} (build one with gridcmd demo "
                         f"or gridcmd import boundaries)")
    try:
        con = Store.open(settings.store, read_only=False)
    except StoreOpenError as exc:
        if not exc.locked:
            raise ValueError(str(exc)) from None
        return _upload(settings, kind, mapping, files, url=url, token=token, replace=replace,
                       as_json=as_json)
    with con:
        summary = load_files(con, kind, column_map, list(files),
                             batch_rows=batch_rows or settings.import_batch_rows,
                             progress=not quiet, replace=replace,
                             earliest=settings.ingest_earliest)
        after_load(con, kind, summary.loaded, settings.foresight_refit_days,
                   surge_q_level=settings.surge_q_level)
    print(json.dumps(summary.as_dict(), ensure_ascii=False) if as_json else summary.report())


@import_.command(
    "taxonomy",
    short_help="a city's own reference list (categories, sources, hazard types, key-person "
               "categories, survey channels, departments ...) from CSV or XLSX, upserted into "
               "the store's lists",
    epilog="example: gridcmd import taxonomy --field hazard_type 隐患类型.csv",
)
@click.argument("file", type=PATH, metavar="FILE")
@click.option("--field", required=True,
              help="incident_source | hazard_type | hazard_source | key_person_category | "
                   "survey_channel | visit_kind | area_survey_group | category | department")
@click.option("--columns", metavar="OURS=THEIRS,…",
              help="read a file with its own headers: our column = the file's header, e.g. "
                   "code=SR_SHORT_CODE,minor_name=SR_TYPE,major_name=SR_GROUP,"
                   "deadline_days=SLA_DAYS")
@click.option("--replace", is_flag=True,
              help="also remove values of the field the file does not list (values stored "
                   "records use are kept and reported)")
@store_option()
def import_taxonomy(file, field, columns, replace, store):
    """Upsert a reference list (docs/ingest.md#reference-data), in one transaction. Columns:
    code,name[,name_en,parent,sort]; for --field category code,major_name,minor_name[,domain,
    deadline_hours (empty: 无时限),dept_kind,name_en,major_code,major_name_en]; for --field
    department code,name,tier,region_code[,kind]. A time limit in days: deadline_days
    instead of deadline_hours. A file with its own headers: --columns. A bad row stores
    nothing and names every bad line."""
    from dashboard import taxonomy

    if field not in taxonomy.FIELDS and field not in taxonomy.TABLE_FIELDS:
        raise ValueError(f"--field: unknown field {field!r}; one of "
                         f"{', '.join([*taxonomy.FIELDS, *taxonomy.TABLE_FIELDS])}")
    if not file.is_file():
        raise ValueError(f"no such file: {file}")
    column_map = taxonomy.parse_columns(columns)
    settings = _settings(store=store)
    with _open_for_writing(settings.store, "stop the server holding it") as con:
        done = taxonomy.import_file(con, file, field, replace=replace, columns=column_map)
    _utf8_stdout()
    print(done.text())


@import_.command(
    "report",
    short_help="data quality per import and per region: quarantine by rule, rows outside "
               "every grid, placeholder points, cases without a deadline, time-zone "
               "assumptions (docs/ingest.md)",
)
@store_option()
@click.option("--file", "file_name", help="only the imports of this file name")
@click.option("--since", help="only imports started on or after this day (YYYY-MM-DD)")
@click.option("--level", help="regions of this level (county, town, village, grid or the "
              "store's own level name; default: the first below the whole area)")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def import_report(store, file_name, since, level, as_json):
    """Data quality per import and per region (docs/ingest.md). Read-only, so it runs beside
    a server reading the store."""
    import json
    from datetime import datetime

    import duckdb

    from dashboard.quality_data import report as quality_report
    from dashboard.quality_data import report_text

    start = None
    if since:
        start = datetime.combine(_day(since, "--since", end=False), datetime.min.time())
    settings = _settings(store=store)
    path = Path(settings.store)
    with _open_read_only(path) as con:
        try:
            data = quality_report(con, file=file_name, since=start, level=level)
        except duckdb.Error as exc:
            raise ValueError(f"cannot read store {path}: {_first_line(exc)}") from None
    _utf8_stdout()
    print(json.dumps(data, ensure_ascii=False) if as_json else report_text(data))


@import_.command(
    "repair",
    short_help="finish the summary refresh an interrupted multi-batch load left pending (the "
               "next load does it too)",
)
@store_option()
def import_repair(store):
    """Finish the summary refresh an interrupted multi-batch load left pending (the next
    load does it too)."""
    from dashboard.ingest.load import ensure_log_tables
    from dashboard.kpi.summaries import refresh_pending

    settings = _settings(store=store)
    with _open_for_writing(settings.store,
                           "a server holding it repairs at its next intake") as con:
        ensure_log_tables(con)
        mode = refresh_pending(con)
    print({"none": "汇总表已是最新 summaries up to date: nothing pending",
           "incremental": "汇总表已补算 summaries refreshed for the pending keys",
           "full": "汇总表已全量重算 summaries fully refreshed"}[mode])


@import_.command(
    "boundaries",
    short_help="region and grid polygons (GeoJSON, Shapefile, GeoPackage, GeoParquet) into a "
               "new store",
    epilog="example: gridcmd import boundaries --levels ward,precinct --out city.duckdb "
           "--timezone America/Chicago wards.geojson:level=ward,code=WARD,name=NAME "
           "precincts.geojson:level=precinct,code=PRECINCT,crs=EPSG:3435",
)
@click.argument("files", nargs=-1, metavar="FILE[:key=value,...]...")
@click.option("--spec", type=PATH, help="boundaries TOML: [[layers]] per file (paths relative "
              "to it) and top-level defaults (levels, area_name, timezone, crs, code_field, "
              "name_field, parent_field, level_field)")
@click.option("--out", type=PATH, required=True, help="store to build (replaced atomically "
              "when complete)")
@click.option("--levels", help="comma-separated level names, top to bottom; the last is the "
              "grid level, at most three between the whole area and the grids (default: the "
              "files' own levels in order when each names one, else "
              "city,county,town,village,grid)")
@click.option("--area-name", help="name of the whole area when the first level has several "
              "features (a region above them is made from their union; default: 全市)")
@click.option("--level-field", help="attribute holding the level name (default: the file's "
              "level, else by file order: one file per level, else by code length)")
@click.option("--code-field", help="code attribute of files that name none (default: code)")
@click.option("--name-field", help="name attribute of files that name none (default: name)")
@click.option("--parent-field", help="attribute with the parent's code (default: by code "
              "prefix, else by spatial containment)")
@click.option("--crs", help="CRS of files that declare none (EPSG:4490, EPSG:4549, EPSG:3435, "
              "gcj02, bd09 ...); a file's own declaration wins, FILE:crs=... overrides it")
@click.option("--timezone", help="IANA time zone of the new store: every time it holds is "
              "wall time there, times with an offset are converted to it (default: "
              "Asia/Shanghai)")
@click.option("--quiet", is_flag=True, help="no progress bars")
def import_boundaries(files, spec, out, levels, area_name, level_field, code_field,
                      name_field, parent_field, crs, timezone, quiet):
    """Region and grid polygons into a new store. Each FILE may carry its own options as
    FILE:key=value,... (keys: level, code, name, parent, crs), or all files come from a
    --spec TOML ([[layers]] file = ..., level = ..., code_field = ..., name_field = ...,
    parent_field = ..., crs = ...); the options below are the defaults of files that do not
    say (docs/ingest.md#boundaries). The command's options win over the spec's top-level
    values, which win over the defaults."""
    from dashboard.clock import DEFAULT_TIMEZONE
    from dashboard.ingest import boundaries

    options = boundaries.load_spec(spec) if spec else {}
    layers = list(options.pop("layers", [])) + [boundaries.parse_layer(f) for f in files]
    if not layers:
        raise ValueError("give boundary files (FILE[:key=value,...]) or --spec TOML")
    opts = {"code_field": "code", "name_field": "name", "area_name": "全市",
            "timezone": DEFAULT_TIMEZONE, "levels": None, "parent_field": None,
            "level_field": None, "crs": None}
    opts.update(options)
    given = {"levels": levels.split(",") if levels else None,
             "area_name": area_name, "level_field": level_field,
             "code_field": code_field, "name_field": name_field,
             "parent_field": parent_field, "crs": crs, "timezone": timezone}
    opts.update({k: v for k, v in given.items() if v is not None})
    done = boundaries.import_boundaries(layers, out, progress=not quiet, **opts)
    print(done.text())



def _upload(settings, kind: str, mapping: Path | None, files, *, url: str | None,
            token: str | None, replace: bool, as_json: bool) -> None:
    """The store is locked (a server holds it): send each file to its intake endpoint."""
    import json

    import requests

    url = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    token = token or settings.intake_token
    if not token:
        raise ValueError(f"store {settings.store} is locked by another process (a running "
                         f"server?); to load through its intake endpoint give --token or "
                         f"set GRIDCMD_INTAKE_TOKEN (and --url if it is not {url})")
    expected = _server_holds(url, token, settings.store)
    form = {}
    if mapping:
        form["mapping"] = mapping.read_text(encoding="utf-8")
    if replace:
        form["replace"] = "1"
    for path in files:
        try:
            with path.open("rb") as fh:
                resp = requests.post(
                    f"{url}/api/intake/{kind}/file", data=form,
                    files={"file": (path.name, fh, "application/octet-stream")},
                    headers={"Authorization": f"Bearer {token}",
                             "X-Gridcmd-Store-Id": expected},
                    timeout=(60, 3600))
        except requests.RequestException as exc:
            raise ValueError(f"store {settings.store} is locked and the intake at {url} is "
                             f"unreachable: {_reason(exc)}") from None
        if not resp.ok:
            try:
                detail = resp.json()["error"]
            except (ValueError, KeyError, TypeError):
                detail = resp.text
            raise ValueError(f"{path.name}: intake at {url} refused ({resp.status_code}): "
                             f"{detail}")
        summary = resp.json()
        if as_json:
            print(json.dumps(summary, ensure_ascii=False))
        else:
            print(f"{path.name}: sent to {url} (the server holds the store)")
            print(_summary_text(summary))


def _reason(exc: Exception) -> str:
    """The innermost cause of a requests error (``[Errno 111] Connection refused``)."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return str(exc) or type(exc).__name__


def _server_holds(url: str, token: str, store: Path) -> str:
    """The id of ``store`` once the server at ``url`` is known to hold it; else ValueError.

    The store is locked by its holder, so its id comes from the sidecar ``<store>.id``
    (written when a store is built, migrated, imported into or served); without one, the
    server's real path of its store must be ``store``'s. Uploading to a server that
    holds another store would put the rows in the wrong place (issue 15).
    """
    import os

    import requests

    from dashboard.store import id_file, read_id_file

    try:
        resp = requests.get(f"{url}/api/intake/store",
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)
    except requests.RequestException as exc:
        raise ValueError(f"store {store} is locked and the intake at {url} is "
                         f"unreachable: {_reason(exc)}") from None
    if not resp.ok:
        raise ValueError(f"store {store} is locked, and the intake at {url} does not say "
                         f"which store it holds ({resp.status_code}); not uploading")
    try:
        held = resp.json()
        if not isinstance(held, dict):
            raise ValueError(held)
    except ValueError:
        raise ValueError(f"the intake at {url} answered with something else than JSON; "
                         f"not uploading") from None
    server_id = str(held.get("store_id") or "")
    server_path = str(held.get("path") or "")
    mine = read_id_file(store)
    if mine is None and server_path and os.path.realpath(store) == server_path:
        mine = server_id
    if mine is None:
        raise ValueError(f"cannot tell which store {store} is: it is locked by another "
                         f"process and has no {id_file(store).name}; not uploading to "
                         f"{url} (which holds {server_path or 'an unknown store'})")
    if mine != server_id:
        raise ValueError(f"the server at {url} holds another store ({server_path}, id "
                         f"{server_id}) than {store} (id {mine}); not uploading. Give --url "
                         f"of the server that holds {store}")
    return mine


def _summary_text(d: dict) -> str:
    lines = [f"导入 import {d['kind']}: rows in {d['rows_in']:,} = loaded {d['loaded']:,} "
             f"(inserted {d['inserted']:,}, updated {d['updated']:,}, unchanged "
             f"{d['unchanged']:,}) + quarantined {d['quarantined']:,} + skipped "
             f"{d['skipped']:,}"]
    for rule, n in sorted(d["quarantined_by_rule"].items(), key=lambda kv: -kv[1]):
        lines.append(f"      {rule:<28}{n:>10,}")
    if d.get("tz_offset_values") or d.get("tz_naive_values"):
        lines.append(f"  时区 time zone: {d['tz_naive_values']:,} naive times taken as "
                     f"{d['tz_assumed']}; {d['tz_offset_values']:,} with offsets converted")
    if d.get("replaced_batches"):
        lines.append(f"  替换 replaced {d['replaced_batches']:,} earlier batch(es): removed "
                     f"{d['removed']:,} rows and {d['removed_quarantine']:,} quarantine rows; "
                     f"kept {d['kept_overwritten']:,} rows changed since by later imports")
    lines.append(f"  用时 time {d['seconds']:.2f} s, {d['rows_per_second']:,} rows/s")
    return "\n".join(lines)



# --- foresight ----------------------------------------------------------------------------


@cli.command(short_help="score the open cases' risk of missing their deadline (即将超期风险) "
                        "and detect surges (异常预警), refitting the models when due; for cron")
@store_option()
@click.option("--refit", is_flag=True, help="fit a new model now, whatever the active one's age")
@click.option("--asof", metavar="DATETIME",
              help="score as of this store time (default: now, or the end of the last data "
                   "day of a stale store)")
def foresight(store, refit, asof):
    """Score every open case with a deadline: the probability that it misses it, stored
    with the model version for the screens (docs/foresight.md). Fits a model first when
    there is none, when it is older than foresight_refit_days, or with --refit. Also
    detects surges per region and 大类 (异常预警) and stores the alerts. Imports and intake
    batches of incidents do this too; run it from cron to keep the scores of a quiet store
    current."""
    from datetime import datetime

    from dashboard.foresight.run import update
    from dashboard.foresight.surge import update as update_surge

    settings = _settings(store=store)
    if not settings.store.is_file():
        raise ValueError(f"store not found: {settings.store}")
    moment = None
    if asof:
        try:
            moment = datetime.fromisoformat(asof)
        except ValueError:
            raise ValueError(f"--asof: not an ISO date-time: {asof!r}") from None
    try:
        con = Store.open(settings.store, read_only=False)
    except StoreOpenError as exc:
        raise ValueError(f"{exc} (a server holding the store scores after each intake "
                         f"batch itself)") from None
    with con:
        out = update(con, asof=moment, refit=refit, refit_days=settings.foresight_refit_days)
        surge = update_surge(con, asof=moment, refit=refit,
                             refit_days=settings.foresight_refit_days,
                             q_level=settings.surge_q_level)
    print(f"异常预警 {surge['alerts']} surge alerts among {surge['cells']} region × 大类 cells "
          f"as of {surge['asof']:%Y-%m-%d %H:%M} with {surge['model_version']}"
          f"{' (fitted now)' if surge['fitted'] else ''}")
    if out["model_version"] is None:
        print(f"风险评分 no model: too little history with deadlines in {settings.store}")
        return
    print(f"风险评分 scored {out['scored']} open cases as of {out['asof']:%Y-%m-%d %H:%M} "
          f"with {out['model_version']}{' (fitted now)' if out['fitted'] else ''}")


# --- migrate ------------------------------------------------------------------------------


@cli.command(short_help="bring a store written by an older GridCommand up to date (imports "
                        "and the server do it too)")
@store_option()
def migrate(store):
    """Bring a store written by an older GridCommand up to date (imports and the server do
    it too)."""
    from dashboard.store import SCHEMA_VERSION, ensure_current

    settings = _settings(store=store)
    if not settings.store.is_file():
        raise ValueError(f"store not found: {settings.store}")
    applied = ensure_current(settings.store)
    if applied:
        print(f"已升级 migrated {settings.store} to schema version {SCHEMA_VERSION}: "
              f"{', '.join(applied)}")
    else:
        print(f"已是最新 {settings.store} is at schema version {SCHEMA_VERSION}")


# --- shared helpers -----------------------------------------------------------------------


def _open_read_only(path: Path):
    """:meth:`Store.open` read-only (version checked), as a ``ValueError`` with one line
    when DuckDB cannot open the file; use it as ``with _open_read_only(path) as con:``."""
    try:
        return Store.open(path, read_only=True)
    except StoreOpenError as exc:
        raise ValueError(str(exc)) from None


def _open_for_writing(store: Path, busy: str):
    """:meth:`Store.open` read-write (migrated), for a CLI command that writes; a clear
    ``ValueError`` when it is missing or another process holds it (``busy`` says what to
    do then)."""
    try:
        return Store.open(store, read_only=False)
    except FileNotFoundError:
        raise ValueError(f"store not found: {store}") from None
    except StoreOpenError as exc:
        raise ValueError(f"{exc} ({busy})") from None


def _region_of(con, text: str, command: str):
    """The region ``--region`` names (an internal code, a padded code or a source code:
    :func:`dashboard.levels.resolve`), refusing a grid."""
    from dashboard.levels import resolve

    found = resolve(con, text, with_source=True)
    if found.level == "grid":
        raise ValueError(f"region {text.strip()!r} is a grid ({found.label()}); gridcmd "
                         f"{command} takes a region (a city, county, town or village)")
    return found


def _account_regions(settings, text: str) -> tuple[str, str]:
    """An account's areas as internal codes, and a note naming the source codes typed.

    Internal codes pass as before (checked against the city by the accounts store). Any
    other code is looked up in the store's source codes, so the store must be readable; a
    numeric code that is not an internal one is looked up too when the store is there.
    """
    from dashboard.levels import _INTERNAL, resolve

    parts = [part.strip() for part in text.split(",")]
    path = Path(settings.store)
    con = None
    try:
        con = Store.open(path, read_only=True)
        reason = ""
    except FileNotFoundError:
        reason = "no store there"
    except (StoreOpenError, StoreVersionError) as exc:
        reason = str(exc)
    others = [p for p in parts if not _INTERNAL.fullmatch(p)]
    if con is None:
        if others and all(p for p in parts):
            raise ValueError(f"invalid region {others[0]!r}: not an internal code, and the "
                             f"store {path} ({reason}) is needed to read it as a source code")
        return ",".join(parts), ""
    with con:
        found = [resolve(con, p, must_exist=False) if p else None for p in parts]
    codes = [f.code if f else p for f, p in zip(found, parts, strict=True)]
    named = [f"{f.typed} = {f.code}" for f in found if f and f.source and f.typed != f.code]
    return ",".join(codes), (f"; {', '.join(named)}" if named else "")


def _day(text: str | None, flag: str, end: bool) -> date:
    """Parse a CLI date; ``YYYY-MM`` stands for the month's first (or, for --to, last) day.

    Parsed here rather than by the engine so the message names the flag the user typed.
    """
    from dashboard.periods import parse_month

    if not text:
        raise ValueError(f"{flag} is required (YYYY-MM-DD)")
    try:
        if re.fullmatch(r"\d{4}-\d{2}", text.strip()):
            return parse_month(text)[1 if end else 0]
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{flag}: not a date: {text!r} (expected YYYY-MM-DD)") from None


def _kpi_keys(values: list[str] | None) -> list[str] | None:
    """Registry keys for ``--kpi`` values, which may be keys or Chinese names."""
    from dashboard.kpi.registry import KPIS

    if not values:
        return None
    by_name = {k.name_zh: k.key for k in KPIS}
    known = {k.key for k in KPIS}
    keys = []
    for item in (part.strip() for v in values for part in v.split(",")):
        if not item:
            continue
        key = item if item in known else by_name.get(item)
        if key is None:
            raise ValueError(f"unknown KPI {item!r} (gridcmd kpi --list shows the keys)")
        keys.append(key)
    if not keys:
        raise ValueError("--kpi needs at least one KPI key")
    return list(dict.fromkeys(keys))



def _first_line(exc: Exception) -> str:
    """DuckDB errors span several lines; the CLI promises one."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _utf8_stdout() -> None:
    """Write UTF-8 whatever the locale, as the output promises (CSV, Chinese names)."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
