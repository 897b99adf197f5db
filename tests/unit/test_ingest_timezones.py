"""Times with UTC offsets, naive times of another zone, epochs, US 12-hour stamps and the
store's own zone: every stored time is wall time of the store's zone (meta timezone), and
each batch logs how many times had an offset and how many were taken in which zone."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from dashboard.ingest.load import load_files, load_records, store_area
from dashboard.ingest.mapping import Mapping
from tests.unit.ingest_helpers import connect, copy_store, sample_grids

IDENTITY = Mapping.identity("incidents")


@pytest.fixture(scope="module")
def shanghai(ingest_store, tmp_path_factory):
    path = copy_store(ingest_store, tmp_path_factory.mktemp("tz_sh"))
    con = connect(path)
    yield con, store_area(con), tmp_path_factory.mktemp("tz_files")
    con.close()


@pytest.fixture(scope="module")
def chicago(ingest_store, tmp_path_factory):
    """The same store with the time zone a US city's store has (meta timezone)."""
    path = copy_store(ingest_store, tmp_path_factory.mktemp("tz_chi"))
    con = connect(path)
    con.execute("UPDATE meta SET value = 'America/Chicago' WHERE key = 'timezone'")
    yield con, store_area(con), tmp_path_factory.mktemp("tz_chi_files")
    con.close()


def _cases(con, prefix, reported, registered=None):
    grids = sample_grids(con, len(reported), seed=3)["code"].tolist()
    return pd.DataFrame({"case_no": [f"{prefix}{i}" for i in range(len(reported))],
                         "source": "12345热线", "category_code": "E0102", "grid_code": grids,
                         "reported_at": reported,
                         "registered_at": registered or [""] * len(reported)})


def _times(con, prefix, column="reported_at"):
    return [str(r[0]) for r in con.execute(
        f"SELECT {column} FROM incidents WHERE case_no LIKE $p ORDER BY case_no",
        {"p": f"{prefix}%"}).fetchall()]


def _log(con, name):
    return con.execute("SELECT sum(tz_offset_values), sum(tz_naive_values), "
                       "string_agg(DISTINCT tz_assumed) FROM import_batches "
                       "WHERE source_file = $f", {"f": name}).fetchone()


def test_offsets_are_converted_to_the_store_zone(shanghai):
    con, area, d = shanghai
    frame = _cases(con, "TZO", ["2026-11-01T02:00:00Z", "2026-11-01T10:30:00+08:00",
                                "2026-10-31T21:00:00-0500", "2026-11-01 09:00:00"],
                   ["2026-11-01 11:00:00"] * 4)
    frame.to_csv(d / "offsets.csv", index=False)
    s = load_files(con, "incidents", IDENTITY, [d / "offsets.csv"], area=area)
    assert (s.inserted, s.quarantined) == (4, 0), s.report()
    # the issue's case: 02:00 UTC is 10:00 in Asia/Shanghai, not 02:00
    assert _times(con, "TZO") == ["2026-11-01 10:00:00", "2026-11-01 10:30:00",
                                  "2026-11-01 10:00:00", "2026-11-01 09:00:00"]
    assert (s.tz_offset, s.tz_naive, s.tz_assumed) == (3, 5, "Asia/Shanghai")
    assert "时区 time zone: 5 naive times taken as Asia/Shanghai; 3 with offsets converted" \
        in s.report()
    assert _log(con, "offsets.csv") == (3, 5, "Asia/Shanghai")
    # a Parquet column of instants (TIMESTAMP WITH TIME ZONE) and a JSON batch alike
    frame = _cases(con, "TZP", ["x"] * 2).assign(reported_at=pd.to_datetime(
        ["2026-11-01T02:00:00Z", "2026-11-01T03:15:00Z"], utc=True), registered_at=None)
    frame.to_parquet(d / "instants.parquet")
    s = load_files(con, "incidents", IDENTITY, [d / "instants.parquet"], area=area)
    assert s.inserted == 2 and (s.tz_offset, s.tz_naive) == (2, 0), s.report()
    assert _times(con, "TZP") == ["2026-11-01 10:00:00", "2026-11-01 11:15:00"]
    rows = _cases(con, "TZJ", ["2026-11-01T02:00:00Z"]).drop(columns="registered_at")
    s = load_records(con, "incidents", rows.to_dict("records"), source="http:test", area=area)
    assert s.inserted == 1 and _times(con, "TZJ") == ["2026-11-01 10:00:00"]


def test_naive_times_in_the_mappings_zone(shanghai):
    con, area, d = shanghai
    frame = _cases(con, "TZC", ["2026-07-01 08:00:00", "2026-01-15 08:00:00",
                                "2026-11-01T02:00:00Z"])
    frame.to_csv(d / "chicago_export.csv", index=False)
    mapping = Mapping.from_dict({"kind": "incidents", "source": {"timezone": "America/Chicago"},
                                 "columns": {c: c for c in frame.columns}})
    s = load_files(con, "incidents", mapping, [d / "chicago_export.csv"], area=area)
    assert s.inserted == 3, s.report()
    # 08:00 CDT (UTC-5) and CST (UTC-6); an offset still wins over the mapping's zone
    assert _times(con, "TZC") == ["2026-07-01 21:00:00", "2026-01-15 22:00:00",
                                  "2026-11-01 10:00:00"]
    assert (s.tz_offset, s.tz_naive, s.tz_assumed) == (1, 2, "America/Chicago")
    assert "2 naive times taken as America/Chicago; 1 with offsets converted" in s.report()
    with pytest.raises(ValueError, match="unknown time zone 'Central'"):
        Mapping.from_dict({"kind": "incidents", "source": {"timezone": "Central"}})


def test_us_twelve_hour_stamps(chicago):
    con, area, d = chicago
    frame = _cases(con, "TZU", ["01/15/2026 02:35:12 PM", "01/15/2026 12:05:00 AM",
                                "01/15/2026 12:05:00 PM", "1/5/2026 9:07:03 AM",
                                "13/15/2026 02:35:12 PM"])
    frame.to_csv(d / "us.csv", index=False)
    mapping = Mapping.from_dict({"kind": "incidents",
                                 "source": {"time_format": "%m/%d/%Y %I:%M:%S %p"},
                                 "columns": {c: c for c in frame.columns}})
    s = load_files(con, "incidents", mapping, [d / "us.csv"], area=area)
    assert (s.inserted, dict(s.by_rule)) == (4, {"unparseable_time": 1}), s.report()
    assert _times(con, "TZU") == ["2026-01-15 14:35:12", "2026-01-15 00:05:00",
                                  "2026-01-15 12:05:00", "2026-01-05 09:07:03"]
    assert (s.tz_naive, s.tz_assumed) == (4, "America/Chicago")


def test_a_store_in_another_zone(chicago):
    con, area, d = chicago
    frame = _cases(con, "TZS", ["2026-11-01T02:00:00Z", "2026-11-01 09:00:00"])
    frame.to_csv(d / "store_zone.csv", index=False)
    s = load_files(con, "incidents", IDENTITY, [d / "store_zone.csv"], area=area)
    assert s.inserted == 2 and s.tz_assumed == "America/Chicago", s.report()
    # 02:00 UTC on 1 Nov 2026 is 21:00 CDT the evening before; naive times stay as written
    assert _times(con, "TZS") == ["2026-10-31 21:00:00", "2026-11-01 09:00:00"]
    # epochs are instants: UTC → the store's zone (they were hard-coded to Asia/Shanghai)
    code = con.execute("SELECT code FROM sensors ORDER BY code LIMIT 1").fetchone()[0]
    t = 1_762_000_000_000  # 2025-11-01 12:26:40 UTC
    (d / "iot.json").write_text(json.dumps([{"deviceId": code, "ts": t, "val": 7.25}]),
                                encoding="utf-8")
    iot = Mapping.from_dict({"kind": "sensor_readings", "source": {"time_format": "epoch_ms"},
                             "columns": {"sensor_code": "deviceId", "read_at": "ts",
                                         "value": "val"}})
    s = load_files(con, "sensor_readings", iot, [d / "iot.json"])
    assert s.inserted == 1 and s.tz_offset == 1, s.report()
    assert [str(r[0]) for r in con.execute(
        "SELECT read_at FROM sensor_readings AS r JOIN sensors AS s ON s.id = r.sensor_id "
        "WHERE s.code = $c AND r.read_at < '2026-01-01'", {"c": code}).fetchall()] == \
        ["2025-11-01 07:26:40"]


def test_future_time_is_judged_by_the_store_clock(chicago):
    """Wall time in Shanghai is 13-14 hours ahead of Chicago: a case stamped a minute ago
    in Shanghai time lies in the future of a Chicago store (the loader used to judge every
    store by a Shanghai clock)."""
    con, area, d = chicago
    shanghai_now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    chicago_now = datetime.now(ZoneInfo("America/Chicago")).replace(tzinfo=None, microsecond=0)
    frame = _cases(con, "TZF", [str(shanghai_now - timedelta(minutes=1)),
                                str(chicago_now - timedelta(minutes=1))])
    frame.to_csv(d / "future.csv", index=False)
    s = load_files(con, "incidents", IDENTITY, [d / "future.csv"], area=area)
    assert (s.inserted, dict(s.by_rule)) == (1, {"future_time": 1}), s.report()
    assert con.execute("SELECT line FROM quarantine WHERE source_file = 'future.csv'"
                       ).fetchall() == [(2,)]
