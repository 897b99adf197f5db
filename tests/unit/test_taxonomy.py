"""Reference data is data: the store's vocabularies (issue 14 item 1, and the taxonomy half
of item 12).

A city's own sources, hazard types, categories (with or without a time limit) and the like
come from ``gridcmd import taxonomy`` or are added by a mapping; validation, filters and
display names read the store's tables, never closed lists in code; the built-in national
lists are in every new store and are added to older ones by migration 003.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboard import store as store_mod
from dashboard import taxonomy
from dashboard.callbacks.filterbar import from_controls
from dashboard.cli import main
from dashboard.filters import Filters
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping, MappingError
from dashboard.kpi.summaries import refresh_summaries
from layouts.filterbar import MAJOR_PREFIX, filter_bar
from tests.unit.ingest_helpers import connect, copy_store, incident_rows

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1.sql"


@pytest.fixture()
def path(ingest_store, tmp_path):
    return copy_store(ingest_store, tmp_path)


def _write(path: Path, frame: pd.DataFrame) -> Path:
    if path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


def _codes(con, field):
    return [r[0] for r in con.execute("SELECT code FROM taxonomy WHERE field = $f "
                                      "ORDER BY sort", {"f": field}).fetchall()]


def _hazard_rows(con, n, prefix, htype, source="网格员巡查"):
    grids = con.execute("SELECT code FROM grids ORDER BY code LIMIT $n", {"n": n}).fetchall()
    return pd.DataFrame({
        "hazard_no": [f"{prefix}{i:04d}" for i in range(n)], "type": htype,
        "risk_level": "一般", "grid_code": [g[0] for g in grids], "source": source,
        "found_at": "2026-11-01 09:00:00", "deadline_at": "2026-11-20 09:00:00"})


# --- the built-in lists: in every new store, added to old ones ---------------------------


def test_a_new_store_holds_the_builtin_lists_with_english_names(tmp_path):
    with store_mod.building(tmp_path / "new.duckdb") as con:
        tax = con.execute("SELECT field, code, name, name_en, builtin FROM taxonomy").df()
        cats = con.execute("SELECT * FROM categories").df()
    ref = taxonomy.builtin_taxonomy()
    assert set(zip(tax["field"], tax["code"], strict=True)) == set(
        zip(ref["field"], ref["code"], strict=True))
    assert set(tax["field"]) == set(taxonomy.FIELDS)
    assert tax["builtin"].all() and tax["name_en"].notna().all()
    assert len(cats) == len(taxonomy.builtin_categories()) == 54
    assert cats["name_en"].notna().all() and cats["major_name_en"].notna().all()
    # the national 大类 of 部件 and 事件 that share a Chinese name read apart in English too
    assert cats.groupby("major_name_en")["major_code"].nunique().max() == 1


def _v1_store(path: Path) -> None:
    con = duckdb.connect(str(path))
    text = "\n".join(line for line in V1.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("--"))
    for stmt in re.split(r";[ \t]*\n", text + "\n"):
        if stmt.strip():
            con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('timezone', 'Asia/Shanghai')")
    cats = taxonomy.builtin_categories().drop(columns="major_name_en")
    con.register("c", cats)
    con.execute(f"INSERT INTO categories SELECT {', '.join(cats.columns)} FROM c")
    con.close()


def test_migration_003_gives_an_old_store_the_builtin_lists(tmp_path):
    old, fresh = tmp_path / "old.duckdb", tmp_path / "fresh.duckdb"
    _v1_store(old)
    with duckdb.connect(str(old)) as con:
        store_mod.migrate(con)
    with store_mod.building(fresh) as con:
        refresh_summaries(con)
    with duckdb.connect(str(old), read_only=True) as a, \
            duckdb.connect(str(fresh), read_only=True) as b:
        query = "SELECT * FROM taxonomy ORDER BY field, code"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        query = "SELECT * FROM categories ORDER BY code"
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        nullable = dict(a.execute(
            "SELECT column_name, is_nullable FROM information_schema.columns "
            "WHERE table_name = 'categories'").fetchall())
        assert nullable["deadline_hours"] == "YES" and nullable["name_en"] == "YES"
        # a category without a time limit can now be stored
        a.close()
    with duckdb.connect(str(old)) as con:
        con.execute("INSERT INTO categories VALUES ('X1', '事件', 'X', '其他', '其他', NULL, "
                    "NULL, '', NULL)")


def test_every_value_the_demo_generates_is_in_its_store_lists(demo):
    pairs = {"incident_source": "SELECT DISTINCT source FROM incidents",
             "hazard_type": "SELECT DISTINCT type FROM hazards",
             "hazard_source": "SELECT DISTINCT source FROM hazards",
             "key_person_category": "SELECT DISTINCT category FROM key_persons",
             "survey_channel": "SELECT DISTINCT channel FROM surveys UNION "
                               "SELECT DISTINCT channel FROM area_surveys",
             "visit_kind": "SELECT DISTINCT kind FROM visits",
             "area_survey_group": "SELECT DISTINCT respondent_group FROM area_surveys"}
    for field, query in pairs.items():
        used = {r[0] for r in demo.execute(query).fetchall()}
        assert used and used <= set(_codes(demo, field)), field


# --- gridcmd import taxonomy ---------------------------------------------------------------


def test_a_city_hazard_type_is_imported_and_then_accepted(path, tmp_path):
    """The issue's case: no public-order hazard type existed, so 异常人员出入 went to 安全生产."""
    con = connect(path)
    rows = _hazard_rows(con, 3, "ZA", "治安")
    con.close()
    data = _write(tmp_path / "hz.csv", rows)
    assert main(["import", "records", "--kind", "hazards", "--store", str(path), "--quiet",
                 str(data)]) == 0
    con = connect(path)
    assert con.execute("SELECT count(*) FROM hazards WHERE type = '治安'").fetchall() == [(0,)]
    assert con.execute("SELECT rule, value FROM quarantine").fetchall() == [
        ("unknown_value", "治安")] * 3
    con.close()
    listing = _write(tmp_path / "types.csv", pd.DataFrame({
        "code": ["治安"], "name": ["治安隐患"], "name_en": ["Public order"]}))
    assert main(["import", "taxonomy", "--field", "hazard_type", "--store", str(path),
                 str(listing)]) == 0
    rows2 = rows.assign(hazard_no=rows["hazard_no"] + "b")
    data2 = _write(tmp_path / "hz2.csv", rows2)
    assert main(["import", "records", "--kind", "hazards", "--store", str(path), "--quiet",
                 str(data2)]) == 0
    con = connect(path)
    assert con.execute("SELECT count(*) FROM hazards WHERE type = '治安'").fetchall() == [(3,)]
    assert _codes(con, "hazard_type")[-1] == "治安"
    v = taxonomy.vocab(con)
    assert v.label("hazard_type", "治安", "zh") == "治安隐患"
    assert v.label("hazard_type", "治安", "en") == "Public order"
    con.close()


def test_city_categories_from_xlsx_with_and_without_time_limits(path, tmp_path, capsys):
    listing = _write(tmp_path / "cats.xlsx", pd.DataFrame({
        "code": ["PW01", "PW02", "E0102"],
        "major_name": ["Streets", "Streets", "市容环境"],
        "minor_name": ["Pothole", "Graffiti", "暴露垃圾"],
        "deadline_hours": ["72", "", "12"],
        "name_en": ["Pothole", "", "Exposed garbage"]}))
    assert main(["import", "taxonomy", "--field", "category", "--store", str(path),
                 str(listing)]) == 0
    out = capsys.readouterr().out
    assert "新增 inserted 2" in out and "更新 updated 1" in out
    con = connect(path)
    got = con.execute("SELECT code, major_code, major_name, deadline_hours, name_en "
                      "FROM categories WHERE code IN ('PW01', 'PW02', 'E0102') "
                      "ORDER BY code").fetchall()
    assert got == [("E0102", "E01", "市容环境", 12, "Exposed garbage"),
                   ("PW01", "Streets", "Streets", 72, "Pothole"),
                   ("PW02", "Streets", "Streets", None, None)]
    # a case of a category without a time limit loads, with no deadline
    rows = pd.DataFrame(incident_rows(con, 2, prefix="NOLIMIT")).assign(category_code="PW02")
    data = _write(tmp_path / "cases.csv", rows)
    s = load_files(con, "incidents", Mapping.identity("incidents"), [data])
    assert s.inserted == 2 and s.quarantined == 0, s.report()
    assert con.execute("SELECT count(*) FROM incidents WHERE case_no LIKE 'NOLIMIT%' "
                       "AND deadline_at IS NULL AND registered_at IS NOT NULL"
                       ).fetchall() == [(2,)]
    con.close()


def test_replace_removes_unlisted_values_but_never_one_records_use(path, tmp_path, capsys):
    con = connect(path)
    used = taxonomy.used_values(con, "incident_source")
    con.close()
    assert used and used <= set(taxonomy.builtin_vocab().codes("incident_source"))
    first = _write(tmp_path / "first.csv", pd.DataFrame({"code": ["Fax"], "name": ["传真"]}))
    assert main(["import", "taxonomy", "--field", "incident_source", "--store", str(path),
                 str(first)]) == 0
    listing = _write(tmp_path / "sources.csv", pd.DataFrame({
        "code": ["311 App", "311 Phone"], "name": ["311 应用", "311 电话"],
        "name_en": ["311 app", "311 phone"]}))
    capsys.readouterr()
    assert main(["import", "taxonomy", "--field", "incident_source", "--replace",
                 "--store", str(path), str(listing)]) == 0
    out = capsys.readouterr().out
    con = connect(path)
    assert set(_codes(con, "incident_source")) == {"311 App", "311 Phone"} | used
    unused_builtin = set(taxonomy.builtin_vocab().codes("incident_source")) - used
    assert f"移除 removed (not in the file, used by no record) {1 + len(unused_builtin)}" \
        in out and "Fax" in out
    assert f"保留 kept (not in the file but used by stored records) {len(used)}" in out
    con.close()


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame({"code": ["A"], "label": ["x"]}), "missing column(s) name"),
    (pd.DataFrame({"code": ["A", "A"], "name": ["x", "y"]}), "line 3: code 'A' repeats"),
    (pd.DataFrame({"code": ["A", ""], "name": ["x", "y"]}), "line 3: empty code"),
])
def test_a_bad_taxonomy_file_stores_nothing_and_names_the_lines(path, tmp_path, capsys,
                                                                 frame, message):
    con = connect(path)
    before = con.execute("SELECT * FROM taxonomy ORDER BY field, code").fetchall()
    con.close()
    listing = _write(tmp_path / "bad.csv", frame)
    assert main(["import", "taxonomy", "--field", "hazard_type", "--store", str(path),
                 str(listing)]) == 2
    assert message in capsys.readouterr().err
    con = connect(path)
    assert con.execute("SELECT * FROM taxonomy ORDER BY field, code").fetchall() == before
    con.close()


def test_bad_category_rows_and_unknown_fields_are_refused(path, tmp_path, capsys):
    listing = _write(tmp_path / "cats.csv", pd.DataFrame({
        "code": ["Q1", "Q2"], "major_name": ["M", "M"], "minor_name": ["a", "b"],
        "deadline_hours": ["24", "three days"]}))
    assert main(["import", "taxonomy", "--field", "category", "--store", str(path),
                 str(listing)]) == 2
    err = capsys.readouterr().err
    assert "line 3: deadline_hours 'three days'" in err and "nothing stored" in err
    assert main(["import", "taxonomy", "--field", "colour", "--store", str(path),
                 str(listing)]) == 2
    assert "unknown field 'colour'" in capsys.readouterr().err
    con = connect(path)
    assert con.execute("SELECT count(*) FROM categories WHERE code LIKE 'Q%'"
                       ).fetchall() == [(0,)]
    con.close()


# --- a mapping adds the values its export uses ------------------------------------------


def _city_cases(con, n: int, prefix: str) -> pd.DataFrame:
    rows = pd.DataFrame(incident_rows(con, n, prefix=prefix))
    kinds = ["Pothole", "Graffiti", "Noise - Residential", "Pothole"]
    return pd.DataFrame({
        "Unique Key": rows["case_no"],
        "Channel": [["311 App", "Phone", "Phone", "Web"][i % 4] for i in range(n)],
        "Complaint Type": [kinds[i % 4] for i in range(n)],
        "Agency": ["DOT" if i % 2 else "NYPD" for i in range(n)],
        "Lon": rows["lon"], "Lat": rows["lat"], "Created": rows["reported_at"]})


CITY_MAPPING = {
    "kind": "incidents",
    "columns": {"case_no": "Unique Key", "source": "Channel",
                "category_code": "Complaint Type", "lon": "Lon", "lat": "Lat",
                "reported_at": "Created", "dept_code": "Agency"},
    "values": {"category_code": {"Noise - Residential": "NOISE-R"}},
    "taxonomy": {"add_unknown": ["source", "category_code", "dept_code"],
                 "category_major": "Agency"},
}


def test_a_mapping_adds_unknown_values_instead_of_quarantining(path, tmp_path):
    con = connect(path)
    frame = _city_cases(con, 8, "NYC")
    frame.loc[7, "Created"] = "not a time"  # quarantined: its values are not added
    frame.loc[7, "Channel"] = "Carrier pigeon"
    data = _write(tmp_path / "311.csv", frame)
    mapping = Mapping.from_dict(CITY_MAPPING, name="city311.toml")
    s = load_files(con, "incidents", mapping, [data])
    assert s.inserted == 7 and s.by_rule == {"unparseable_time": 1}, s.report()
    assert s.added == {"incident_source": ["311 App", "Phone", "Web"],
                       "category": ["Graffiti", "NOISE-R", "Pothole"],
                       "department": ["DOT", "NYPD"]}
    assert "新增分类 added to taxonomy: incident_source 3 (311 App、Phone、Web)" in s.report()
    assert s.as_dict()["added_to_taxonomy"]["department"] == ["DOT", "NYPD"]
    added = con.execute("SELECT code, major_code, major_name, minor_name, deadline_hours, "
                        "domain FROM categories WHERE code IN ('Graffiti', 'NOISE-R', "
                        "'Pothole') ORDER BY code").fetchall()
    # the 大类 comes from the mapped column; the name of a mapped code is the source value
    assert added == [("Graffiti", "DOT", "DOT", "Graffiti", None, "事件"),
                     ("NOISE-R", "NYPD", "NYPD", "Noise - Residential", None, "事件"),
                     ("Pothole", "DOT", "DOT", "Pothole", None, "事件")]
    assert "Carrier pigeon" not in _codes(con, "incident_source")
    assert con.execute("SELECT builtin FROM taxonomy WHERE code = 'Phone'").fetchall() == [
        (False,)]
    # a second file with the same values adds nothing and is not quarantined either
    frame2 = _city_cases(con, 4, "NYD")
    s2 = load_files(con, "incidents", mapping, [_write(tmp_path / "311b.csv", frame2)])
    assert s2.inserted == 4 and s2.added == {} and "新增分类" not in s2.report()
    con.close()


def test_without_add_unknown_unknown_values_are_quarantined(path, tmp_path):
    con = connect(path)
    frame = _city_cases(con, 4, "NYQ")
    spec = {k: v for k, v in CITY_MAPPING.items() if k != "taxonomy"}
    s = load_files(con, "incidents", Mapping.from_dict(spec, name="m.toml"),
                   [_write(tmp_path / "q.csv", frame)])
    assert s.inserted == 0 and s.by_rule == {"unknown_value": 4}, s.report()
    spec["values"] = {"source": {"311 App": "12345热线", "Phone": "12345热线",
                                 "Web": "12345热线"}}
    s = load_files(con, "incidents", Mapping.from_dict(spec, name="m2.toml"),
                   [_write(tmp_path / "q2.csv", _city_cases(con, 4, "NYR"))])
    assert s.by_rule == {"unknown_category": 4}, s.report()
    con.close()


def test_an_added_category_takes_the_mappings_time_limit(path, tmp_path):
    con = connect(path)
    frame = _city_cases(con, 4, "NYL")
    spec = {**CITY_MAPPING, "taxonomy": {"add_unknown": ["category_code"],
                                         "category_deadline_hours": 48}}
    spec["columns"] = {k: v for k, v in CITY_MAPPING["columns"].items() if k != "dept_code"}
    spec["values"] = {"source": {"311 App": "12345热线", "Phone": "12345热线",
                                 "Web": "12345热线"}, **CITY_MAPPING["values"]}
    s = load_files(con, "incidents", Mapping.from_dict(spec, name="m.toml"),
                   [_write(tmp_path / "l.csv", frame)])
    assert s.inserted == 4 and s.quarantined == 0, s.report()
    got = con.execute("SELECT code, major_name, deadline_hours FROM categories "
                      "WHERE code IN ('Pothole', 'Graffiti') ORDER BY code").fetchall()
    assert got == [("Graffiti", taxonomy.UNCLASSIFIED, 48), ("Pothole", "未分类", 48)]
    con.close()


@pytest.mark.parametrize("section, message", [
    ({"add_unknown": ["case_no"]}, "not vocabulary fields"),
    ({"add_unknown": "source"}, "must be a list"),
    ({"add_unknown": ["source"], "category_major": "X"}, "does not add category_code"),
    ({"add_unknown": ["category_code"], "category_deadline_hours": "72"}, "whole number"),
    ({"add_unkown": ["source"]}, "unknown [taxonomy] keys"),
])
def test_bad_taxonomy_sections_are_mapping_errors(section, message):
    with pytest.raises(MappingError, match=re.escape(message)):
        Mapping.from_dict({"kind": "incidents", "taxonomy": section}, name="m.toml")


# --- filters and names read the store --------------------------------------------------------


def _city_vocab(path):
    con = connect(path)
    taxonomy.add_values(con, "incident_source",
                        pd.DataFrame({"code": ["311 App"], "name": ["311 App"]}))
    taxonomy.add_values(con, "category", pd.DataFrame({
        "code": ["Pothole"], "name": ["Pothole"], "major_name": ["Streets"]}))
    v = taxonomy.vocab(con)
    con.close()
    return v


def test_filters_accept_the_stores_values_and_refuse_others(path):
    v = _city_vocab(path)
    f = Filters.from_query("?source=311 App,12345热线&minor=Pothole&major=Streets,S01", v)
    assert f.sources == ("311 App", "12345热线")
    assert f.minors == ("Pothole",) and f.majors == ("Streets", "S01")
    for bad in ("?source=311 Fax", "?minor=Potholes", "?major=S99", "?htype=治安"):
        with pytest.raises(ValueError):
            Filters.from_query(bad, v)
    # without the city's lists (the built-in ones only) the city's values are unknown
    with pytest.raises(ValueError, match="filter source"):
        Filters.from_query("?source=311 App", taxonomy.builtin_vocab())
    # the category dropdown tells 大类 from 小类 by a prefix, whatever the codes look like
    f = from_controls("30d", None, None, "", [MAJOR_PREFIX + "Streets", "Pothole", "S01"],
                      [], [], vocab=v)
    assert f.majors == ("Streets", "S01") and f.minors == ("Pothole",)


def test_the_filter_bar_lists_the_stores_values_in_the_pages_language(path):
    v = _city_vocab(path)
    con = connect(path)
    cats = con.execute("SELECT code, major_code, major_name, minor_name FROM categories "
                       "ORDER BY code").df()
    con.close()

    def options(bar, cls):
        found = []

        def walk(node):
            if getattr(node, "className", None) and cls in str(node.className) \
                    and hasattr(node, "options"):
                found.extend(node.options)
            for child in (getattr(node, "children", None) or []) if not isinstance(
                    getattr(node, "children", None), str) else []:
                walk(child)
            child = getattr(node, "children", None)
            if child is not None and not isinstance(child, list | str):
                walk(child)

        walk(bar)
        return found

    zh = filter_bar(Filters(), cats, [], "zh", vocab=v)
    en = filter_bar(Filters(), cats, [], "en", vocab=v)
    assert {"label": "311 App", "value": "311 App"} in options(zh, "gc-filter-source")
    assert {"label": "12345 hotline", "value": "12345热线"} in options(en, "gc-filter-source")
    assert {"label": "12345热线", "value": "12345热线"} in options(zh, "gc-filter-source")
    en_cats = {o["value"]: o["label"] for o in options(en, "gc-filter-category")}
    assert en_cats["S0101"] == "　Disputes / Neighbour dispute"
    assert en_cats[MAJOR_PREFIX + "Streets"].startswith("▸ Streets")
    assert en_cats["Pothole"] == "　Streets / Pothole"  # no English name: the city's own
    hz = {o["value"]: o["label"] for o in options(en, "gc-filter-htype")}
    assert hz["防汛"] == "Flood control"


def test_labels_fall_back_to_the_name_and_then_the_code():
    v = taxonomy.builtin_vocab()
    assert v.label("key_person_category", "独居老人", "en") == "Elderly living alone"
    assert v.label("key_person_category", "独居老人", "zh") == "独居老人"
    assert v.label("category_major", "S04", "en") == "Fire safety"
    assert v.label("incident_source", "无此来源", "en") == "无此来源"
    assert v.label("incident_source", None, "en") == ""
    frame = pd.DataFrame({"key": ["S01", "X9"], "label": ["矛盾纠纷", "X9"]})
    assert taxonomy.relabel(frame, v, "category_major", "en")["label"].tolist() == [
        "Disputes", "X9"]
    assert taxonomy.relabel(frame, v, "category_major", "zh") is frame


def test_a_citys_own_type_list_is_read_with_its_own_headers_and_days(path, tmp_path,
                                                                      capsys):
    """A 311 city's request types (its taxonomy) as it publishes them: its own headers and
    SLAs in days, blank for types without a time limit."""
    listing = _write(tmp_path / "sr_types.csv", pd.DataFrame({
        "SR_SHORT_CODE": ["GRAF", "NOI", "WOS"],
        "SR_TYPE": ["Graffiti Removal Request", "Noise Complaint", "Water On Street"],
        "SR_GROUP": ["Sanitation", "Public Order", "Water"],
        "SLA_DAYS": ["7", "", "0.5"]}))
    cols = "code=SR_SHORT_CODE,minor_name=SR_TYPE,major_name=SR_GROUP,deadline_days=SLA_DAYS"
    assert main(["import", "taxonomy", "--field", "category", "--columns", cols,
                 "--store", str(path), str(listing)]) == 0
    con = connect(path)
    assert con.execute("SELECT code, major_name, minor_name, deadline_hours FROM categories "
                       "WHERE code IN ('GRAF', 'NOI', 'WOS') ORDER BY code").fetchall() == [
        ("GRAF", "Sanitation", "Graffiti Removal Request", 168),
        ("NOI", "Public Order", "Noise Complaint", None),
        ("WOS", "Water", "Water On Street", 12)]
    con.close()
    capsys.readouterr()
    bad = _write(tmp_path / "bad_days.csv", pd.DataFrame({
        "SR_SHORT_CODE": ["X"], "SR_TYPE": ["x"], "SR_GROUP": ["g"], "SLA_DAYS": ["-1"]}))
    assert main(["import", "taxonomy", "--field", "category", "--columns", cols,
                 "--store", str(path), str(bad)]) == 2
    assert "line 2: deadline_days '-1'" in capsys.readouterr().err
    assert main(["import", "taxonomy", "--field", "category", "--columns", "code=NOPE",
                 "--store", str(path), str(listing)]) == 2
    assert "--columns names NOPE" in capsys.readouterr().err


# --- one home per vocabulary (issue 18) ---------------------------------------------------


def test_code_lists_come_from_the_taxonomy_seed_or_its_workflow_constants():
    from dashboard import demo, filters
    from dashboard.ingest.kinds import KINDS, RATINGS
    from dashboard.kpi.registry import KEY_PERSON_CATEGORIES

    seed = taxonomy.builtin_vocab()
    # the per-category KPIs are exactly the seed's key-person categories, named from it
    assert list(KEY_PERSON_CATEGORIES) == list(seed.codes("key_person_category"))
    for code, (_, en) in KEY_PERSON_CATEGORIES.items():
        assert en.lower() == seed.label("key_person_category", code, "en").lower()
    # the demo draws only values the seed holds
    assert set(demo.SOURCES) <= set(seed.codes("incident_source"))
    assert set(demo.HAZARD_SOURCES) <= set(seed.codes("hazard_source"))
    assert set(demo.HAZARD_TYPES) <= set(seed.codes("hazard_type"))
    assert set(demo.KEY_PERSON_CATEGORIES) <= set(seed.codes("key_person_category"))
    assert set(demo.AREA_GROUPS) <= set(seed.codes("area_survey_group"))
    assert set(demo.AREA_CHANNELS) <= set(seed.codes("survey_channel"))
    assert set(taxonomy.builtin_categories()["domain"]) <= set(taxonomy.DOMAINS)
    # workflow values: one tuple each, shared by filters, the loader and the demo
    assert filters.STATUSES is taxonomy.STATUSES and filters.RISK_LEVELS is taxonomy.RISK_LEVELS
    assert KINDS["incidents"].enums == {"tier": taxonomy.TIERS, "status": taxonomy.STATUSES}
    assert KINDS["hazards"].enums == {"risk_level": taxonomy.RISK_LEVELS}
    assert RATINGS is taxonomy.RATINGS
    assert tuple(demo.STATUSES) == taxonomy.STATUSES


def test_level_and_tier_names_have_one_home():
    from dashboard.report.data import LEVEL_ZH
    from dashboard.report.xlsx import TIER_ZH
    from layouts import cases, thematic

    assert taxonomy.tier_names() == {"village": "村(社区)", "town": "乡镇(街道)",
                                     "county": "区县", "city": "市"}
    assert taxonomy.tier_names("en")["town"] == "Town"
    assert thematic.TIER_NAMES == cases.TIERS == taxonomy.tier_names()
    assert LEVEL_ZH["grid"] == "网格" and LEVEL_ZH["town"] == "乡镇(街道)"
    assert TIER_ZH == {"village": "村(社区)级", "town": "乡镇级", "county": "区县级",
                       "city": "市级"}
