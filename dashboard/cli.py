"""The ``gridcmd`` command line: ``serve`` the dashboard, build a ``demo`` store, print ``kpi``,
write a monthly ``report``, ``import`` records and boundaries."""

from __future__ import annotations

import argparse
import calendar
import re
import sys
from datetime import date
from pathlib import Path

from dashboard.settings import Settings
from dashboard.store import StoreVersionError, check_version

BUCKETS = ("day", "week", "month")

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

    k = sub.add_parser(
        "kpi",
        help="print KPI values of a region and period (table, CSV or JSON)",
        description=(
            "Print KPI values of one region over a period, read from the store's summary "
            "tables with the same engine as the dashboard. The command runs with an "
            "admin-equivalent scope of --region: whoever can read the store file sees every "
            "KPI of every region in it, so guard the file, not this command."
        ),
        epilog="examples: gridcmd kpi --region 3206 --from 2024-01 --to 2024-03 --by month; "
               "gridcmd kpi --list",
    )
    k.add_argument("--store", type=Path, help="DuckDB store, opened read-only "
                   "(default: the store of the settings, as for serve)")
    k.add_argument("--region", help="region: short code, 4 digits city (3206), 6 county "
                   "(320613), 9 town, 12 village, or its 12-digit padded code, or on a store "
                   "built by import boundaries the source code of any level (D01, 27-014)")
    k.add_argument("--from", dest="date_from", metavar="DATE",
                   help="first day, YYYY-MM-DD (or YYYY-MM: the month's first day)")
    k.add_argument("--to", dest="date_to", metavar="DATE",
                   help="last day, inclusive, YYYY-MM-DD (or YYYY-MM: the month's last day)")
    k.add_argument("--by", choices=BUCKETS, help="one row per day, week (from Monday) or month")
    k.add_argument("--kpi", nargs="+", action="extend", metavar="KEY",
                   help="KPI keys or Chinese names (see --list); repeat or separate by commas;"
                        " default: all")
    k.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="table: for people; csv, json: keys and raw values (rates as 0..1)")
    k.add_argument("--ontime", choices=("closed", "due"), default=None,
                   help="official 按期结案率 definition reported as ontime_rate "
                        "(default: the kpi_ontime setting, 'closed')")
    k.add_argument("--list", action="store_true", help="print the KPI registry and exit")

    r = sub.add_parser(
        "report",
        help="write the monthly 通报 of a region (xlsx or pdf)",
        description=(
            "Write the monthly 通报 (月度网格化治理工作通报) of one region: headline KPIs with "
            "环比 and 同比, a 12-month trend, the top categories, sub-region and department "
            "rankings with grades, and the overdue list. Only months the store covers "
            "completely are reported; a month without cases in the region is an error, not "
            "an empty report. Runs with an admin-equivalent scope of --region, as kpi does."
        ),
        epilog="example: gridcmd report --month 2024-10 --region 320613 --format pdf",
    )
    r.add_argument("--month", metavar="YYYY-MM", help="the calendar month reported on")
    r.add_argument("--region", help="region short code: 4 digits city, 6 county, 9 town, "
                   "12 village (or 12-digit padded), or a source code of a store built by "
                   "import boundaries")
    r.add_argument("--format", dest="report_format", metavar="xlsx|pdf",
                   help="file format (default: from the --out suffix)")
    r.add_argument("--out", type=Path, metavar="PATH",
                   help="output file (default: 通报_<region>_<YYYY-MM>.<format> here)")
    r.add_argument("--store", type=Path, help="DuckDB store, opened read-only "
                   "(default: the store of the settings, as for serve)")
    u = sub.add_parser(
        "user",
        help="manage accounts, kiosk tokens and read the audit log",
        description=(
            "Manage the dashboard's accounts (docs/security.md). The accounts database is "
            "the auth_db setting, by default beside the store. Whoever can write that file "
            "administers the dashboard, so guard it like the store."
        ),
    )
    u.add_argument("--store", type=Path, help="store whose accounts to manage "
                   "(default: the store of the settings)")
    u.add_argument("--auth-db", type=Path, help="accounts database (default: auth_db setting, "
                   "or <store stem>-auth.sqlite beside the store)")
    us = u.add_subparsers(dest="user_command", required=True)
    ua = us.add_parser("add", help="create an account")
    ua.add_argument("name")
    ua.add_argument("--role", required=True,
                    help="leader (指挥长), analyst (分析员), grid_worker (网格员), "
                         "screen (大屏), admin (管理员)")
    ua.add_argument("--region", required=True, help="jurisdiction: 4-digit city, 6 county, "
                    "9 town, 12 village short code; a grid worker: 12 (village) or 15 (grid), or "
                    "several separated by commas (worked in one at a time); on a store built by "
                    "import boundaries also the source codes (D01, G00042)")
    ua.add_argument("--display-name", default="", help="shown name, e.g. 通州区分析员")
    ua.add_argument("--password-stdin", action="store_true",
                    help="read the password from the first line of stdin")
    ua.add_argument("--pii", action="store_true",
                    help="clearance for clear personal data in detail views (never screen)")
    us.add_parser("list", help="list accounts")
    for name, text in (("disable", "disable an account and end its sessions and tokens"),
                       ("enable", "enable a disabled account")):
        x = us.add_parser(name, help=text)
        x.add_argument("name")
    up = us.add_parser("pii", help="grant or withdraw personal-data clearance")
    up.add_argument("name")
    up.add_argument("state", choices=("on", "off"))
    uw = us.add_parser("passwd", help="set a new password (ends the user's sessions)")
    uw.add_argument("name")
    uw.add_argument("--password-stdin", action="store_true")
    ul = us.add_parser("unlock", help="lift the lock of an account after too many failed "
                       "logins (audited)")
    ul.add_argument("name")
    ut = us.add_parser("token", help="issue (or --revoke) kiosk tokens of a screen account")
    ut.add_argument("name")
    ut.add_argument("--base-url", default="", help="printed before /kiosk/<token>")
    ut.add_argument("--revoke", action="store_true", help="revoke every token of the account")
    uu = us.add_parser("audit", help="print the audit log, newest first")
    uu.add_argument("--user", dest="audit_user", help="only this user's records")
    uu.add_argument("--limit", type=int, default=50)
    _import_parser(sub)
    m = sub.add_parser("migrate", help="bring a store written by an older GridCommand up to "
                       "date (imports and the server do it too)")
    m.add_argument("--store", type=Path, help="DuckDB store (default: the settings' store)")
    return p


def _import_parser(sub) -> None:
    imp = sub.add_parser(
        "import", help="import records or boundaries from other systems' exports",
        description="Import data (docs/ingest.md). Every rejected row is kept in the "
                    "quarantine table with its reason; a summary is printed after each load.")
    isub = imp.add_subparsers(dest="what", required=True)
    r = isub.add_parser(
        "records", help="incidents, hazards, key persons, visits, surveys or sensor readings "
                        "from CSV (UTF-8, GBK), XLSX, Parquet or JSON through a column map",
        epilog="example: gridcmd import records --kind incidents "
               "--mapping dashboard/ingest/mappings/hotline_12345.toml 工单导出.csv")
    r.add_argument("--kind", required=True, help="incidents | hazards | key_persons | "
                   "visits | surveys | sensor_readings | area_surveys (群众满意度测评)")
    r.add_argument("--mapping", type=Path, help="column map (TOML); default: the files use "
                   "our own column names")
    r.add_argument("--store", type=Path, help="DuckDB store (default: the settings' store)")
    r.add_argument("--batch-rows", type=_size, help="records per transaction "
                   "(default: setting import_batch_rows)")
    r.add_argument("--url", help="intake URL of a running server holding the store (default "
                   "http://HOST:PORT of the settings)")
    r.add_argument("--token", help="intake token (default: setting intake_token)")
    r.add_argument("--replace", action="store_true",
                   help="replace earlier imports of the same files (same content, any "
                        "mapping): remove the rows, quarantine and log rows they wrote and "
                        "load the files anew, each in one transaction")
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    r.add_argument("files", nargs="+", type=Path, metavar="FILE")
    t = isub.add_parser(
        "taxonomy", help="a city's own reference list (categories, sources, hazard types, "
                         "key-person categories, survey channels, departments ...) from CSV "
                         "or XLSX, upserted into the store's lists",
        description="Upsert a reference list (docs/ingest.md#reference-data). Columns: "
                    "code,name[,name_en,parent,sort]; for --field category code,major_name,"
                    "minor_name[,domain,deadline_hours (empty: 无时限),dept_kind,name_en,"
                    "major_code,major_name_en]; for --field department code,name,tier,"
                    "region_code[,kind]. A time limit in days: deadline_days instead of "
                    "deadline_hours. A file with its own headers: --columns. A bad row "
                    "stores nothing and names every bad line.",
        epilog="example: gridcmd import taxonomy --field hazard_type 隐患类型.csv")
    t.add_argument("file", type=Path, metavar="FILE")
    t.add_argument("--field", required=True,
                   help="incident_source | hazard_type | hazard_source | key_person_category "
                        "| survey_channel | visit_kind | area_survey_group | category | "
                        "department")
    t.add_argument("--columns", metavar="OURS=THEIRS,…",
                   help="read a file with its own headers: our column = the file's header, "
                        "e.g. code=SR_SHORT_CODE,minor_name=SR_TYPE,major_name=SR_GROUP,"
                        "deadline_days=SLA_DAYS")
    t.add_argument("--replace", action="store_true",
                   help="also remove values of the field the file does not list (values "
                        "stored records use are kept and reported)")
    t.add_argument("--store", type=Path, help="DuckDB store (default: the settings' store)")
    rq = isub.add_parser(
        "report", help="data quality per import and per region: quarantine by rule, rows "
                       "outside every grid, placeholder points, cases without a deadline, "
                       "time-zone assumptions (docs/ingest.md)")
    rq.add_argument("--store", type=Path, help="DuckDB store (default: the settings' store)")
    rq.add_argument("--file", help="only the imports of this file name")
    rq.add_argument("--since", help="only imports started on or after this day (YYYY-MM-DD)")
    rq.add_argument("--level", help="regions of this level (county, town, village, grid or "
                    "the store's own level name; default: the first below the whole area)")
    rq.add_argument("--json", action="store_true", help="print JSON")
    rp = isub.add_parser(
        "repair", help="finish the summary refresh an interrupted multi-batch load left "
                       "pending (the next load does it too)")
    rp.add_argument("--store", type=Path, help="DuckDB store (default: the settings' store)")
    b = isub.add_parser(
        "boundaries", help="region and grid polygons (GeoJSON, Shapefile, GeoPackage, "
                           "GeoParquet) into a new store",
        description="Each FILE may carry its own options as FILE:key=value,... (keys: "
                    "level, code, name, parent, crs), or all files come from a --spec "
                    "TOML ([[layers]] file = ..., level = ..., code_field = ..., name_field "
                    "= ..., parent_field = ..., crs = ...); the options below are the "
                    "defaults of files that do not say (docs/ingest.md#boundaries).",
        epilog="example: gridcmd import boundaries --levels ward,precinct --out city.duckdb "
               "--timezone America/Chicago wards.geojson:level=ward,code=WARD,name=NAME "
               "precincts.geojson:level=precinct,code=PRECINCT,crs=EPSG:3435")
    b.add_argument("files", nargs="*", metavar="FILE[:key=value,...]")
    b.add_argument("--spec", type=Path, help="boundaries TOML: [[layers]] per file (paths "
                   "relative to it) and top-level defaults (levels, area_name, timezone, "
                   "crs, code_field, name_field, parent_field, level_field)")
    b.add_argument("--out", type=Path, required=True, help="store to build (replaced "
                   "atomically when complete)")
    b.add_argument("--levels",
                   help="comma-separated level names, top to bottom; the last is the grid "
                        "level, at most three between the whole area and the grids "
                        "(default: the files' own levels in order when each names one, "
                        "else city,county,town,village,grid)")
    b.add_argument("--area-name",
                   help="name of the whole area when the first level has several features "
                        "(a region above them is made from their union; default: 全市)")
    b.add_argument("--level-field", help="attribute holding the level name (default: the "
                   "file's level, else by file order: one file per level, else by code "
                   "length)")
    b.add_argument("--code-field", help="code attribute of files that name none (default: "
                   "code)")
    b.add_argument("--name-field", help="name attribute of files that name none (default: "
                   "name)")
    b.add_argument("--parent-field", help="attribute with the parent's code (default: by "
                   "code prefix, else by spatial containment)")
    b.add_argument("--crs", help="CRS of files that declare none (EPSG:4490, EPSG:4549, "
                   "EPSG:3435, gcj02, bd09 ...); a file's own declaration wins, "
                   "FILE:crs=... overrides it")
    b.add_argument("--timezone", help="IANA time zone of the new store: every time it holds "
                   "is wall time there, times with an offset are converted to it (default: "
                   "Asia/Shanghai)")
    b.add_argument("--quiet", action="store_true")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "kpi":
            return _kpi(args)
        if args.command == "report":
            return _report(args)
        if args.command == "user":
            return _user(args)
        if args.command == "import":
            return _import(args)
        if args.command == "migrate":
            return _migrate(args)
        return _demo(args)
    except (ValueError, OSError, StoreVersionError) as exc:
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
    app.run(host=settings.host, port=settings.port, debug=settings.debug,
            request_handler=_quiet_handler())


def _quiet_handler():
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        """Werkzeug's handler without its name and Python's version in ``Server`` (its own
        error pages; the app's responses set the header themselves)."""

        def version_string(self) -> str:
            return "GridCommand"

    return QuietHandler


def _migrate(args) -> int:
    from dashboard.store import SCHEMA_VERSION, ensure_current

    settings = Settings.load(args.config, store=args.store)
    if not settings.store.is_file():
        raise ValueError(f"store not found: {settings.store}")
    applied = ensure_current(settings.store)
    if applied:
        print(f"已升级 migrated {settings.store} to schema version {SCHEMA_VERSION}: "
              f"{', '.join(applied)}")
    else:
        print(f"已是最新 {settings.store} is at schema version {SCHEMA_VERSION}")
    return 0


def _import(args) -> int:
    if args.what == "boundaries":
        return _import_boundaries(args)
    if args.what == "repair":
        return _import_repair(args)
    if args.what == "taxonomy":
        return _import_taxonomy(args)
    if args.what == "report":
        return _import_report(args)
    return _import_records(args)


def _import_taxonomy(args) -> int:
    """``gridcmd import taxonomy``: upsert a city's own list, in one transaction."""
    from dashboard import taxonomy

    if args.field not in taxonomy.FIELDS and args.field not in taxonomy.TABLE_FIELDS:
        raise ValueError(f"--field: unknown field {args.field!r}; one of "
                         f"{', '.join([*taxonomy.FIELDS, *taxonomy.TABLE_FIELDS])}")
    if not args.file.is_file():
        raise ValueError(f"no such file: {args.file}")
    columns = taxonomy.parse_columns(args.columns)
    settings = Settings.load(args.config, store=args.store)
    con = _open_for_writing(settings.store, "stop the server holding it")
    try:
        report = taxonomy.import_file(con, args.file, args.field, replace=args.replace,
                                      columns=columns)
    finally:
        con.close()
    _utf8_stdout()
    print(report.text())
    return 0


def _import_boundaries(args) -> int:
    """Boundaries from FILE[:key=value,...] arguments and/or a --spec TOML; the command's
    options win over the spec's top-level values, which win over the defaults."""
    from dashboard.clock import DEFAULT_TIMEZONE
    from dashboard.ingest.boundaries import import_boundaries, load_spec, parse_layer

    spec = load_spec(args.spec) if args.spec else {}
    layers = list(spec.pop("layers", [])) + [parse_layer(f) for f in args.files]
    if not layers:
        raise ValueError("give boundary files (FILE[:key=value,...]) or --spec TOML")
    opts = {"code_field": "code", "name_field": "name", "area_name": "全市",
            "timezone": DEFAULT_TIMEZONE, "levels": None, "parent_field": None,
            "level_field": None, "crs": None}
    opts.update(spec)
    given = {"levels": args.levels.split(",") if args.levels else None,
             "area_name": args.area_name, "level_field": args.level_field,
             "code_field": args.code_field, "name_field": args.name_field,
             "parent_field": args.parent_field, "crs": args.crs, "timezone": args.timezone}
    opts.update({k: v for k, v in given.items() if v is not None})
    report = import_boundaries(layers, args.out, progress=not args.quiet, **opts)
    print(report.text())
    return 0


def _import_repair(args) -> int:
    from dashboard.ingest.load import ensure_log_tables
    from dashboard.kpi.summaries import refresh_pending

    settings = Settings.load(args.config, store=args.store)
    con = _open_for_writing(settings.store, "a server holding it repairs at its next intake")
    try:
        ensure_log_tables(con)
        mode = refresh_pending(con)
    finally:
        con.close()
    print({"none": "汇总表已是最新 summaries up to date: nothing pending",
           "incremental": "汇总表已补算 summaries refreshed for the pending keys",
           "full": "汇总表已全量重算 summaries fully refreshed"}[mode])
    return 0


def _import_report(args) -> int:
    """``gridcmd import report``: read-only, so it runs beside a server reading the store."""
    import json
    from datetime import datetime

    import duckdb

    from dashboard.quality_data import report, report_text

    since = None
    if args.since:
        since = datetime.combine(_day(args.since, "--since", end=False), datetime.min.time())
    settings = Settings.load(args.config, store=args.store)
    path = Path(settings.store)
    con = _open_read_only(path)
    try:
        data = report(con, file=args.file, since=since, level=args.level)
    except duckdb.Error as exc:
        raise ValueError(f"cannot read store {path}: {_first_line(exc)}") from None
    finally:
        con.close()
    _utf8_stdout()
    print(json.dumps(data, ensure_ascii=False) if args.json else report_text(data))
    return 0


def _import_records(args) -> int:
    """Load into the store directly; if a running server holds it, upload to its intake."""
    import json

    import duckdb

    from dashboard.ingest.kinds import KINDS
    from dashboard.ingest.load import load_files
    from dashboard.ingest.mapping import Mapping
    from dashboard.store import migrate, store_id_of, write_id_file

    settings = Settings.load(args.config, store=args.store)
    if args.kind not in KINDS:
        raise ValueError(f"--kind: unknown kind {args.kind!r}; one of {sorted(KINDS)}")
    mapping = Mapping.load(args.mapping, kind=args.kind) if args.mapping \
        else Mapping.identity(args.kind)
    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        raise ValueError(f"no such file: {', '.join(missing)}")
    if not settings.store.is_file():
        raise ValueError(f"store not found: {settings.store} (build one with gridcmd demo "
                         f"or gridcmd import boundaries)")
    batch_rows = args.batch_rows or settings.import_batch_rows
    try:
        con = duckdb.connect(str(settings.store))
    except duckdb.IOException as exc:
        if "lock" not in str(exc).lower():
            raise ValueError(f"cannot open {settings.store}: {exc}") from None
        return _upload(args, settings)
    try:
        con.execute("SET enable_progress_bar = false")
        migrate(con)
        write_id_file(settings.store, store_id_of(con))
        summary = load_files(con, args.kind, mapping, args.files, batch_rows=batch_rows,
                             progress=not args.quiet, replace=args.replace,
                             earliest=settings.ingest_earliest)
    finally:
        con.close()
    print(json.dumps(summary.as_dict(), ensure_ascii=False) if args.json else summary.report())
    return 0


def _upload(args, settings) -> int:
    """The store is locked (a server holds it): send each file to its intake endpoint."""
    import json
    import urllib.error
    import urllib.request
    import uuid

    url = (args.url or f"http://{settings.host}:{settings.port}").rstrip("/")
    token = args.token or settings.intake_token
    if not token:
        raise ValueError(f"store {settings.store} is locked by another process (a running "
                         f"server?); to load through its intake endpoint give --token or "
                         f"set GRIDCMD_INTAKE_TOKEN (and --url if it is not {url})")
    expected = _server_holds(url, token, settings.store)
    mapping_text = args.mapping.read_text(encoding="utf-8") if args.mapping else ""
    for path in args.files:
        boundary = uuid.uuid4().hex
        parts = []
        if mapping_text:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="mapping"'
                         f'\r\n\r\n{mapping_text}\r\n'.encode())
        if args.replace:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="replace"'
                         f'\r\n\r\n1\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                     f'filename="{path.name}"\r\nContent-Type: application/octet-stream'
                     f'\r\n\r\n'.encode() + path.read_bytes() + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        req = urllib.request.Request(
            f"{url}/api/intake/{args.kind}/file", data=b"".join(parts), method="POST",
            headers={"Authorization": f"Bearer {token}", "X-Gridcmd-Store-Id": expected,
                     "Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with urllib.request.urlopen(req, timeout=3600) as resp:
                summary = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            try:
                detail = json.loads(detail)["error"]
            except (ValueError, KeyError):
                pass
            raise ValueError(f"{path.name}: intake at {url} refused ({exc.code}): {detail}") \
                from None
        except urllib.error.URLError as exc:
            raise ValueError(f"store {settings.store} is locked and the intake at {url} is "
                             f"unreachable: {exc.reason}") from None
        if args.json:
            print(json.dumps(summary, ensure_ascii=False))
        else:
            print(f"{path.name}: sent to {url} (the server holds the store)")
            print(_summary_text(summary))
    return 0


def _server_holds(url: str, token: str, store: Path) -> str:
    """The id of ``store`` once the server at ``url`` is known to hold it; else ValueError.

    The store is locked by its holder, so its id comes from the sidecar ``<store>.id``
    (written when a store is built, migrated, imported into or served); without one, the
    server's real path of its store must be ``store``'s. Uploading to a server that
    holds another store would put the rows in the wrong place (issue 15).
    """
    import json
    import os
    import urllib.error
    import urllib.request

    from dashboard.store import id_file, read_id_file

    req = urllib.request.Request(f"{url}/api/intake/store",
                                 headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            held = json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise ValueError(f"store {store} is locked, and the intake at {url} does not say "
                         f"which store it holds ({exc.code}); not uploading") from None
    except urllib.error.URLError as exc:
        raise ValueError(f"store {store} is locked and the intake at {url} is "
                         f"unreachable: {exc.reason}") from None
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


def _demo(args) -> int:
    from dashboard.demo import DemoSpec, build_demo

    spec = DemoSpec(incidents=args.incidents, seed=args.seed, city=args.city, years=args.years)
    summary = build_demo(args.store, spec, progress=not args.quiet)
    from dashboard.auth.demo import auth_db_path, seed_demo_users
    from dashboard.auth.store import AuthStore

    settings = Settings.load(args.config, store=args.store)
    seed_demo_users(AuthStore(auth_db_path(settings)), args.city)
    for key, value in summary.items():
        print(f"{key:>16}: {value:,}" if isinstance(value, int) else f"{key:>16}: {value}")
    return 0


def _read_password(args, required: bool) -> str | None:
    if args.password_stdin:
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


def _user(args) -> int:
    """``gridcmd user``: accounts, clearance, kiosk tokens and the audit log."""
    from dashboard.auth.demo import auth_db_path
    from dashboard.auth.store import ROLE_NAMES, AuthStore

    _utf8_stdout()
    settings = Settings.load(args.config, store=args.store,
                             auth_db=str(args.auth_db) if args.auth_db else None)
    path = auth_db_path(settings)
    if args.user_command != "add" and not path.is_file():
        raise ValueError(f"no accounts database at {path}")
    store = AuthStore(path)
    cmd = args.user_command
    if cmd == "add":
        role = args.role.strip()
        # Check what is cheap before asking for a password.
        region, named = _account_regions(settings, args.region)
        store.check_new(args.name, role, region, city=settings.city, pii=args.pii)
        password = _read_password(args, required=role != "screen")
        user = store.add_user(args.name, role, region, password,
                              city=settings.city, display_name=args.display_name,
                              pii=args.pii)
        print(f"created {user.username} ({ROLE_NAMES[user.role]}, {user.region}{named})")
    elif cmd == "list":
        print(f"{'user':<18} {'role':<12} {'region':<16} {'pii':<4} {'state':<8} name")
        locked = set(store.locked_names())
        for u in store.users():
            state = ("disabled" if u.disabled else
                     "locked" if u.username.lower() in locked else "active")
            print(f"{u.username:<18} {u.role:<12} {u.region:<16} "
                  f"{'yes' if u.pii_clearance else 'no':<4} "
                  f"{state:<8} {u.display_name}")
    elif cmd in ("disable", "enable"):
        store.set_disabled(args.name, cmd == "disable")
        print(f"{args.name}: {cmd}d")
    elif cmd == "pii":
        store.set_pii(args.name, args.state == "on")
        print(f"{args.name}: personal-data clearance {args.state}")
    elif cmd == "passwd":
        if store.user(args.name) is None:
            raise ValueError(f"no such user {args.name!r}")
        store.set_password(args.name, _read_password(args, required=True))
        print(f"{args.name}: password changed, sessions ended")
    elif cmd == "unlock":
        import getpass

        had = store.unlock(args.name)
        # who unlocked: the operator of the command line (there is no session here)
        store.audit_event(f"cli:{getpass.getuser()}"[:40], "admin", settings.city, "unlock",
                          f"user {args.name}" + ("" if had else " (was not locked)"))
        print(f"{args.name}: " + ("unlocked, failed logins reset" if had
                                  else "was not locked (nothing to do)"))
    elif cmd == "token":
        if args.revoke:
            print(f"{args.name}: {store.revoke_tokens(args.name)} token(s) revoked")
        else:
            token = store.create_token(args.name)
            print(f"{args.base_url.rstrip('/')}/kiosk/{token}")
    else:
        for r in store.audit_rows(limit=args.limit, username=args.audit_user):
            print(f"{r['id']:>6} {r['at']} {r['username']:<16} {r['role']:<11} "
                  f"{r['scope']:<15} {r['action']:<12} {r['what']} {r['ids'][:60]}")
    return 0


def _open_read_only(path: Path):
    """The store at ``path`` opened read-only and checked; a clear error otherwise."""
    import duckdb

    if not path.is_file():
        raise ValueError(f"store not found: {path}")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise ValueError(f"cannot open store {path}: {_first_line(exc)}") from None
    try:
        check_version(con, path)
    except StoreVersionError:
        con.close()
        raise
    return con


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
    import duckdb

    from dashboard.levels import _INTERNAL, resolve

    parts = [part.strip() for part in text.split(",")]
    path = Path(settings.store)
    con = None
    if path.is_file():
        try:
            con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as exc:
            con, reason = None, _first_line(exc)
        else:
            reason = ""
    else:
        reason = "no store there"
    others = [p for p in parts if not _INTERNAL.fullmatch(p)]
    if con is None:
        if others and all(p for p in parts):
            raise ValueError(f"invalid region {others[0]!r}: not an internal code, and the "
                             f"store {path} ({reason}) is needed to read it as a source code")
        return ",".join(parts), ""
    try:
        found = [resolve(con, p, must_exist=False) if p else None for p in parts]
    finally:
        con.close()
    codes = [f.code if f else p for f, p in zip(found, parts, strict=True)]
    named = [f"{f.typed} = {f.code}" for f in found if f and f.source and f.typed != f.code]
    return ",".join(codes), (f"; {', '.join(named)}" if named else "")


def _day(text: str | None, flag: str, end: bool) -> date:
    """Parse a CLI date; ``YYYY-MM`` stands for the month's first (or, for --to, last) day.

    Parsed here rather than by the engine so the message names the flag the user typed.
    """
    if not text:
        raise ValueError(f"{flag} is required (YYYY-MM-DD)")
    month = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    try:
        if month:
            y, m = int(month[1]), int(month[2])
            return date(y, m, calendar.monthrange(y, m)[1] if end else 1)
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


def _kpi(args) -> int:
    """``gridcmd kpi``: validate everything cheap first, then open the store read-only."""
    from dashboard.kpi import cli_format as fmt
    from dashboard.kpi.registry import KPIS

    _utf8_stdout()
    if args.list:
        if args.format == "table":
            sys.stdout.write(fmt.registry_table(KPIS))
        elif args.format == "json":
            sys.stdout.write(fmt.to_json(fmt.registry_records(KPIS)))
        else:
            records = fmt.registry_records(KPIS)
            sys.stdout.write(fmt.to_csv(records, list(records[0])))
        return 0

    import duckdb

    from dashboard.kpi import Scope, kpis

    if not args.region:
        raise ValueError("--region is required (a short code such as 3206 or 320613)")
    d0 = _day(args.date_from, "--from", end=False)
    d1 = _day(args.date_to, "--to", end=True)
    if d0 > d1:
        raise ValueError(f"--from {d0} is after --to {d1}")
    keys = _kpi_keys(args.kpi)
    region = args.region.strip()
    if len(region) == 15 and region.isdigit():
        raise ValueError(f"region {region!r} is a grid code; gridcmd kpi takes a region "
                         "of 4, 6, 9 or 12 digits")

    settings = Settings.load(args.config, store=args.store)
    path = Path(settings.store)
    con = _open_read_only(path)
    try:
        found = _region_of(con, region, "kpi")
        frame = kpis(con, Scope(found.code, "admin"), d0, d1, keys=keys, by=args.by,
                     ontime=args.ontime or settings.kpi_ontime)
    except duckdb.Error as exc:
        raise ValueError(f"cannot read store {path}: {_first_line(exc)}") from None
    finally:
        con.close()

    if args.format == "json":
        sys.stdout.write(fmt.to_json(fmt.kpi_records(frame)))
    elif args.format == "csv":
        sys.stdout.write(fmt.kpi_csv(frame))
    else:
        # one line naming the region (with its source code on an imported city's store)
        # and the period above the table; CSV and JSON stay bare data
        sys.stdout.write(f"地区 region: {found.label()} · {d0} 至 {d1}\n")
        sys.stdout.write(fmt.kpi_table(frame))
    return 0


REPORT_FORMATS = ("xlsx", "pdf")


def _report_format(fmt: str | None, out: Path | None) -> str:
    """The format from ``--format``, else from the ``--out`` suffix; a clash is an error
    (a PDF named .xlsx would only confuse whoever opens it)."""
    suffix = out.suffix.lower().lstrip(".") if out else ""
    if fmt is None:
        if suffix in REPORT_FORMATS:
            return suffix
        raise ValueError("--format is required (xlsx or pdf)")
    fmt = fmt.strip().lower()
    if fmt not in REPORT_FORMATS:
        raise ValueError(f"unknown format {fmt!r}: expected xlsx or pdf")
    if suffix in REPORT_FORMATS and suffix != fmt:
        raise ValueError(f"--out {out} ends in .{suffix} but --format is {fmt}")
    return fmt


def _report(args) -> int:
    """``gridcmd report``: check arguments and the output path, then build and write.

    Everything cheap is checked before the store is opened, and the file is written to a
    temporary name and renamed only when complete, so a failure never leaves a file behind.
    """
    if not args.month:
        raise ValueError("--month is required (YYYY-MM)")
    if not args.region:
        raise ValueError("--region is required (a short code such as 3206 or 320613)")
    import duckdb

    from dashboard.kpi import Scope
    from dashboard.report import FORMATS, build_report, check_writable, parse_month

    try:
        first, _ = parse_month(args.month)
    except ValueError as exc:
        raise ValueError(f"--month: {exc}") from None
    region = args.region.strip()
    if len(region) == 15 and region.isdigit():
        raise ValueError(f"region {region!r} is a grid code; gridcmd report takes a region "
                         "of 4, 6, 9 or 12 digits")
    fmt = _report_format(args.report_format, args.out)
    if args.out:
        check_writable(args.out)

    settings = Settings.load(args.config, store=args.store)
    path = Path(settings.store)
    con = _open_read_only(path)
    try:
        found = _region_of(con, region, "report")
        # the file is named by the code typed when it is a plain source code (D01), else
        # by the internal code
        name = region if found.source == region and re.fullmatch(r"[\w.-]+", region) \
            else found.code
        out = args.out or Path(f"通报_{name}_{first:%Y-%m}.{fmt}")
        check_writable(out)
        report = build_report(con, Scope(found.code, "admin"), first,
                              ontime=settings.kpi_ontime)
    except duckdb.Error as exc:
        raise ValueError(f"cannot read store {path}: {_first_line(exc)}") from None
    finally:
        con.close()
    written = FORMATS[fmt](report, out)
    _utf8_stdout()
    print(written)
    return 0



def _open_for_writing(store: Path, busy: str):
    """The store opened read-write and migrated, for a CLI command that writes; a clear
    ``ValueError`` when it is missing or another process holds it (``busy`` says what to
    do then)."""
    import duckdb

    from dashboard.store import migrate

    if not store.is_file():
        raise ValueError(f"store not found: {store}")
    try:
        con = duckdb.connect(str(store))
    except duckdb.IOException as exc:
        raise ValueError(f"cannot open {store} read-write ({busy}): {_first_line(exc)}") \
            from None
    try:
        con.execute("SET enable_progress_bar = false")
        migrate(con)
    except BaseException:
        con.close()
        raise
    return con

def _first_line(exc: Exception) -> str:
    """DuckDB errors span several lines; the CLI promises one."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _utf8_stdout() -> None:
    """Write UTF-8 whatever the locale, as the output promises (CSV, Chinese names)."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
