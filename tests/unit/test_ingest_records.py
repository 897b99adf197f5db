"""Importing records: every bad-input class ends in the quarantine with its reason (or, for
whole-file problems, a clear error with nothing stored); rows in = loaded + quarantined."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.ingest import crs
from dashboard.ingest.load import load_files, load_records, store_area
from dashboard.ingest.mapping import Mapping, MappingError
from dashboard.ingest.readers import FileError
from tests.unit.ingest_helpers import (
    connect,
    copy_store,
    data_checksums,
    incident_rows,
    table_checksum,
)

MAPPINGS = Path(__file__).resolve().parents[2] / "dashboard" / "ingest" / "mappings"
IDENTITY = Mapping.identity("incidents")


@pytest.fixture(scope="module")
def env(ingest_store, tmp_path_factory):
    path = copy_store(ingest_store, tmp_path_factory.mktemp("records"))
    con = connect(path)
    yield con, store_area(con), tmp_path_factory.mktemp("files")
    con.close()


def _load(env, name, frame_or_text, kind="incidents", mapping=IDENTITY, **kw):
    con, area, d = env
    path = d / name
    if isinstance(frame_or_text, pd.DataFrame):
        frame_or_text.to_csv(path, index=False)
    elif isinstance(frame_or_text, bytes):
        path.write_bytes(frame_or_text)
    else:
        path.write_text(frame_or_text, encoding="utf-8")
    s = load_files(con, kind, mapping, [path], area=area, **kw)
    assert s.balanced(), s.report()
    return s


def _quarantine(env, name):
    return env[0].execute("SELECT line, rule, column_name, value FROM quarantine "
                          "WHERE source_file = $f ORDER BY line", {"f": name}).df()


def _rows(env, n, prefix):
    return pd.DataFrame(incident_rows(env[0], n, prefix=prefix))


def _expect_one(env, name, frame, rule, line=3, kind="incidents", mapping=IDENTITY):
    s = _load(env, name, frame, kind=kind, mapping=mapping)
    q = _quarantine(env, name)
    assert s.quarantined == 1 and s.rows_in == len(frame), s.report()
    assert q["rule"].tolist() == [rule] and q["line"].tolist() == [line]
    assert s.loaded == len(frame) - 1
    return q


def test_clean_csv_loads_and_is_idempotent(env):
    frame = _rows(env, 40, "OK")
    s = _load(env, "ok.csv", frame)
    assert (s.inserted, s.quarantined, s.rows_in) == (40, 0, 40)
    before = data_checksums(env[0])
    again = _load(env, "ok.csv", frame)
    assert again.skipped == 40 and again.loaded == 0
    assert data_checksums(env[0]) == before
    # the same records from another file (another format): upsert finds them unchanged
    path = env[2] / "ok_again.parquet"
    frame.assign(reported_at=pd.to_datetime(frame.reported_at),
                 registered_at=pd.to_datetime(frame.registered_at),
                 closed_at=pd.to_datetime(frame.closed_at.replace("", None))).to_parquet(path)
    s3 = load_files(env[0], "incidents", IDENTITY, [path], area=env[1])
    assert (s3.unchanged, s3.inserted, s3.updated) == (40, 0, 0), s3.report()
    assert {k: v for k, v in data_checksums(env[0]).items() if k != "quarantine"} == \
        {k: v for k, v in before.items() if k != "quarantine"}


def test_update_by_natural_key(env):
    frame = _rows(env, 5, "UPD")
    _load(env, "upd1.csv", frame)
    frame.loc[2, "closed_at"] = "2026-11-03 10:00:00"
    s = _load(env, "upd2.csv", frame)
    assert (s.updated, s.unchanged, s.inserted) == (1, 4, 0)
    closed = env[0].execute("SELECT closed_at, status FROM incidents WHERE case_no = 'UPD0000002'"
                            ).fetchone()
    assert str(closed[0]) == "2026-11-03 10:00:00" and closed[1] == "已结案"


def test_wrong_encoding_is_a_file_error_and_nothing_is_stored(env):
    con, area, d = env
    text = pd.DataFrame(incident_rows(con, 3, prefix="GBK")).assign(source="12345热线")
    (d / "gbk.csv").write_bytes(text.to_csv(index=False).encode("gbk"))
    before = table_checksum(con, "import_batches"), table_checksum(con, "incidents")
    with pytest.raises(FileError, match="not UTF-8"):
        load_files(con, "incidents", IDENTITY, [d / "gbk.csv"], area=area)
    assert (table_checksum(con, "import_batches"), table_checksum(con, "incidents")) == before
    # declared as GBK it loads
    gbk = Mapping.identity("incidents", encoding="gbk")
    s = load_files(con, "incidents", gbk, [d / "gbk.csv"], area=area)
    assert s.inserted == 3


def test_empty_file_and_header_only(env):
    con, area, d = env
    (d / "empty.csv").write_bytes(b"")
    with pytest.raises(FileError, match="empty"):
        load_files(con, "incidents", IDENTITY, [d / "empty.csv"], area=area)
    s = _load(env, "header.csv", "case_no,source,category_code,lon,lat,reported_at\n")
    assert s.rows_in == 0 and s.loaded == 0


def test_missing_required_column(env):
    frame = _rows(env, 3, "MISS").drop(columns=["reported_at"])
    with pytest.raises(FileError, match="missing required column.*reported_at"):
        _load(env, "miss.csv", frame)
    assert _quarantine(env, "miss.csv").empty


def test_ragged_rows_and_unterminated_quote(env):
    frame = _rows(env, 6, "RAG")
    lines = frame.to_csv(index=False).splitlines()
    lines[2] = lines[2] + ",extra"          # line 3: too many columns
    lines[4] = ",".join(lines[4].split(",")[:3])  # line 5: too few
    lines[6] = lines[6].replace("12345热线", '"12345热线', 1)  # line 7: open quote to the end
    s = _load(env, "ragged.csv", "\n".join(lines) + "\n")
    q = _quarantine(env, "ragged.csv")
    assert q["rule"].tolist() == ["ragged_row", "ragged_row", "unterminated_quote"]
    assert q["line"].tolist() == [3, 5, 7]
    assert (s.rows_in, s.loaded, s.quarantined) == (6, 3, 3)


@pytest.mark.parametrize("rule, change", [
    ("unparseable_time", {"reported_at": "2026-13-45 25:00"}),
    ("future_time", {"reported_at": "2036-01-01 08:00:00"}),
    ("closed_before_reported", {"closed_at": "2026-10-01 08:00:00"}),
    ("null_key", {"case_no": ""}),
    ("unknown_grid_code", {"grid_code": "999999999999999"}),
    ("unknown_region_code", {"region_code": "329999"}),
    ("coords_outside_area", {"lon": 116.40, "lat": 39.90}),
    ("unknown_category", {"category_code": "X9999"}),
    ("unknown_value", {"source": "微信"}),
])
def test_row_rules(env, rule, change):
    frame = _rows(env, 4, f"R{rule[:6]}")
    for col in ("grid_code", "region_code"):
        frame[col] = ""
    for col, value in change.items():
        frame[col] = frame[col].astype(object)
        frame.loc[1, col] = value
    q = _expect_one(env, f"{rule}.csv", frame, rule)
    if rule not in ("null_key",):
        assert q["value"].iloc[0] is not None


def test_typed_csv_staging_reports_the_field_and_value(env):
    # numbers of a CSV are parsed by the CSV reader (typed staging), times by the rule query
    # (the CSV reader would drop their UTC offsets); a value that does not parse is
    # quarantined under the field's rule with the value as written
    from dashboard.ingest.readers import csv_types

    frame = _rows(env, 4, "TYP").astype(object)
    frame.loc[1, "lat"] = "北纬32度"
    frame.loc[2, "closed_at"] = "昨天"
    s = _load(env, "typed.csv", frame)
    q = _quarantine(env, "typed.csv")
    assert s.quarantined == 2 and s.inserted == 2
    assert q[["line", "rule", "column_name", "value"]].values.tolist() == [
        [3, "unparseable_number", "lat", "北纬32度"], [4, "unparseable_time", "closed_at", "昨天"]]
    types = csv_types(IDENTITY, list(frame.columns))
    assert types["c0"] == "VARCHAR" and types["c5"] == "VARCHAR" and types["c3"] == "DOUBLE"
    hotline = Mapping.load(MAPPINGS / "hotline_12345.toml")  # its own time format: text
    assert set(csv_types(hotline, ["来电时间", "经度"]).values()) == {"VARCHAR", "DOUBLE"}


def test_duplicate_key_keeps_the_first(env):
    frame = _rows(env, 4, "DUP")
    frame.loc[3, "case_no"] = frame.loc[1, "case_no"]
    q = _expect_one(env, "dup.csv", frame, "duplicate_key", line=5)
    assert q["value"].iloc[0] == "DUP0000001"


def test_swapped_and_projected_coordinates(env):
    frame = _rows(env, 5, "GEO")
    lon, lat = frame.at[1, "lon"], frame.at[1, "lat"]
    frame.at[1, "lon"], frame.at[1, "lat"] = lat, lon
    x, y = 500000.0, 3540000.0  # metres of CGCS2000 / 3-degree GK CM 120E
    frame.loc[3, ["lon", "lat"]] = [x, y]
    s = _load(env, "geo.csv", frame)
    q = _quarantine(env, "geo.csv")
    assert q["rule"].tolist() == ["coords_swapped", "coords_other_crs"]
    assert s.loaded == 3


def test_declared_projected_crs_and_gcj02_give_the_same_grids(env):
    con, area, d = env
    frame = _rows(env, 30, "CRSW")
    _load(env, "wgs.csv", frame)
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
    px, py = tr.transform(frame.lon.to_numpy(), frame.lat.to_numpy())
    gx, gy = crs.wgs84_to_gcj02(frame.lon.to_numpy(), frame.lat.to_numpy())
    for name, (x, y), src in (("proj.csv", (px, py), "EPSG:4549"),
                              ("gcj.csv", (gx, gy), "gcj02")):
        other = frame.assign(lon=x, lat=y, case_no=frame.case_no.str.replace("CRSW", name[:4]))
        _load(env, name, other, mapping=Mapping.identity("incidents", crs=src))
    grids = con.execute("SELECT substr(case_no, 5), grid_code, lon FROM incidents "
                        "WHERE case_no LIKE 'CRSW%' OR case_no LIKE 'proj%' "
                        "OR case_no LIKE 'gcj.%' ORDER BY 1, case_no").df()
    by = grids.groupby(grids.columns[0])
    assert (by["grid_code"].nunique() == 1).all()
    assert (by["lon"].agg(lambda s: s.max() - s.min()) < 1e-6).all()


def test_unknown_crs_is_a_mapping_error():
    with pytest.raises(MappingError, match="unknown coordinate reference system"):
        Mapping.from_dict({"kind": "incidents", "source": {"crs": "EPSG:999999"}})


def test_point_outside_every_grid_is_kept_and_flagged(env):
    con, area, _ = env
    frame = _rows(env, 3, "OUT")
    x0, y0, x1, y1 = area.bounds
    frame.loc[1, ["lon", "lat"]] = [x0 + 0.021, y0 + 0.021]  # in the area's box, no grid
    s = _load(env, "out.csv", frame)
    assert s.outside_grid == 1 and s.loaded == 3
    assert con.execute("SELECT grid_code FROM incidents WHERE case_no = 'OUT0000001'"
                       ).fetchone()[0] == ""


def test_invalid_id_number_check_digit(env):
    con = env[0]
    grids = con.execute("SELECT code FROM grids ORDER BY code LIMIT 3").df()["code"]
    good1, good2 = _with_check("32061219800101001"), _with_check("32061219900202002")
    bad = good1[:17] + ("1" if good1[17] != "1" else "2")
    rows = pd.DataFrame({
        "id_number": [good1, bad, good2],
        "name": ["张三", "李四", "王五"], "grid_code": grids,
        "category": ["独居老人", "残疾人", "低保对象"], "risk_level": ["低", "中", "高"],
        "registered_at": ["2026-09-01 09:00:00"] * 3,
    })
    valid = [_check_digit_ok(v) for v in rows.id_number]
    assert valid == [True, False, True]
    s = _load(env, "persons.csv", rows, kind="key_persons",
              mapping=Mapping.identity("key_persons"))
    q = _quarantine(env, "persons.csv")
    assert q["rule"].tolist() == ["invalid_id_number"] and q["line"].tolist() == [3]
    assert s.inserted == 2
    assert con.execute("SELECT k.gender, k.birth_year FROM key_persons k JOIN key_person_pii p "
                       "ON p.person_id = k.id WHERE p.id_number = $i", {"i": good1}
                       ).fetchone() == ("男", 1980)


def _with_check(body: str) -> str:
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * k for c, k in zip(body, w, strict=True)) % 11]


def _check_digit_ok(s: str) -> bool:
    return _with_check(s[:17]) == s


def test_hotline_mapping_gbk_chinese_headers_gcj02(env):
    con = env[0]
    base = _rows(env, 6, "HL")
    gx, gy = crs.wgs84_to_gcj02(base.lon.to_numpy(), base.lat.to_numpy())
    frame = pd.DataFrame({
        "工单编号": base.case_no, "诉求分类": ["噪声扰民", "占道经营", "暴露垃圾", "井盖缺失",
                                          "违章停车", "邻里纠纷"],
        "经度": gx, "纬度": gy, "所属区县代码": "",
        "来电时间": ["2026/11/01 08:00:00"] * 6, "受理时间": ["2026/11/01 08:30:00"] * 6,
        "派单时间": "", "办结时间": "", "归档时间": "", "是否无效工单": ["否"] * 5 + ["是"],
    })
    path = env[2] / "12345工单.csv"
    path.write_bytes(frame.to_csv(index=False).encode("gbk"))
    m = Mapping.load(MAPPINGS / "hotline_12345.toml")
    s = load_files(con, "incidents", m, [path], area=env[1])
    assert s.inserted == 6 and s.balanced(), s.report()
    got = con.execute("SELECT category_code, source, is_void, status FROM incidents "
                      "WHERE case_no LIKE 'HL%' ORDER BY case_no").fetchall()
    assert [g[0] for g in got] == ["S0203", "E0501", "E0102", "C0101", "E0503", "S0101"]
    assert got[5][2:] == (True, "已作废") and got[0][1] == "12345热线"
    lon = con.execute("SELECT lon FROM incidents WHERE case_no LIKE 'HL%' ORDER BY case_no"
                      ).df()["lon"].to_numpy()
    assert np.allclose(lon, base.lon.to_numpy(), atol=1e-7)


def test_grid_app_xlsx_mapping(env):
    con = env[0]
    g = con.execute("SELECT code FROM grids ORDER BY code LIMIT 4").df()["code"]
    frame = pd.DataFrame({
        "事件编号": [f"APP{i}" for i in range(4)], "事件小类编码": "E0104",
        "网格编码": list(g[:3]) + ["320612999999999"], "经度": None, "纬度": None,
        "上报时间": pd.Timestamp("2026-11-02 10:00"), "立案时间": pd.Timestamp("2026-11-02 10:30"),
        "派遣时间": None, "处置时间": None, "核查时间": None, "结案时间": None,
        "处置层级": "镇（街道）", "处置部门编码": None,
    })
    path = env[2] / "app.xlsx"
    frame.to_excel(path, index=False)
    s = load_files(con, "incidents", Mapping.load(MAPPINGS / "grid_app.toml"), [path],
                   area=env[1])
    assert (s.inserted, s.quarantined) == (3, 1), s.report()
    q = _quarantine(env, "app.xlsx")
    assert q["rule"].tolist() == ["unknown_grid_code"] and q["line"].tolist() == [5]
    tiers = con.execute("SELECT DISTINCT tier FROM incidents WHERE case_no LIKE 'APP%'").fetchall()
    assert tiers == [("town",)]


def test_iot_json_mapping_and_unknown_sensor(env):
    con, area, d = env
    codes = [r[0] for r in con.execute("SELECT code FROM sensors ORDER BY code LIMIT 2").fetchall()]
    t = 1_762_000_000_000  # 2025-11-01 UTC, in ms
    lines = [{"deviceId": codes[0], "ts": t, "val": 1.5},
             {"deviceId": codes[1], "ts": t, "val": 2.5},
             {"deviceId": "NOPE", "ts": t, "val": 3.5}]
    (d / "iot.json").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    s = load_files(con, "sensor_readings", Mapping.load(MAPPINGS / "iot_platform.toml"),
                   [d / "iot.json"])
    assert (s.inserted, s.quarantined) == (2, 1)
    assert _quarantine(env, "iot.json")["rule"].tolist() == ["unknown_sensor"]
    read_at = con.execute("SELECT read_at FROM sensor_readings r JOIN sensors s "
                          "ON s.id = r.sensor_id WHERE s.code = $c AND r.value = 1.5 "
                          "AND read_at < '2026-01-01'", {"c": codes[0]}).fetchall()
    assert [str(r[0]) for r in read_at] == ["2025-11-01 20:26:40"]  # 12:26:40 UTC + 8 h


def test_json_records_in_memory(env):
    con, area, _ = env
    rows = incident_rows(con, 3, prefix="MEM")
    rows[2]["reported_at"] = "yesterday"
    s = load_records(con, "incidents", rows, source="http:test", area=area)
    assert (s.inserted, s.quarantined, s.rows_in) == (2, 1, 3)


def test_a_default_fills_empty_cells_of_a_typed_parquet_column(env):
    # Parquet columns arrive typed (no text parsing); [defaults] must still fill their nulls
    frame = _rows(env, 4, "DEFP")
    frame = frame.assign(reported_at=pd.to_datetime(frame.reported_at),
                         registered_at=pd.to_datetime(frame.registered_at),
                         closed_at=pd.to_datetime(frame.closed_at.replace("", None)),
                         extended_hours=pd.array([None, 12, None, 0], dtype="Int64"))
    path = env[2] / "defaults.parquet"
    frame.to_parquet(path)
    mapping = Mapping.from_dict({"kind": "incidents",
                                 "columns": {c: c for c in frame.columns},
                                 "defaults": {"extended_hours": 24}})
    s = load_files(env[0], "incidents", mapping, [path], area=env[1])
    assert (s.inserted, s.quarantined) == (4, 0), s.report()
    got = env[0].execute("SELECT case_no, extended_hours FROM incidents "
                         "WHERE case_no LIKE 'DEFP%' ORDER BY case_no").fetchall()
    assert [h for _, h in got] == [24, 12, 24, 0]
