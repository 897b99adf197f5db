"""Area-level satisfaction surveys (群众满意度测评, issue 14 item 2): answers about a grid, a
village or a larger area, tied to no case, are loaded (not quarantined as
``unknown_incident``), kept idempotent without response numbers, summarised by area, and
give 群众满意度(测评口径) and 测评样本数 equal to pandas over the raw answers, for every
scope level, by month and by sub-region, on the satisfaction page, the overview map and in
the monthly 通报."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from dashboard import overview_data as od
from dashboard import thematic_data as td
from dashboard.filters import Filters
from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.kpi.engine import drill, kpis
from dashboard.kpi.scope import Scope
from dashboard.kpi.summaries import SUMMARY_TABLES, refresh_summaries
from dashboard.report import build_report
from tests.unit.ingest_helpers import connect, copy_store, table_checksum

MAPPINGS = Path(__file__).resolve().parents[2] / "dashboard" / "ingest" / "mappings"
EXAMPLE = MAPPINGS / "community_satisfaction.toml"
KEYS = ["area_satisfaction_rate", "area_survey_answers"]
FOLD = {"非常满意": "满意", "满意": "满意", "比较满意": "基本满意", "一般": "基本满意",
        "不满意": "不满意", "非常不满意": "不满意", "不了解": None}


@pytest.fixture()
def con(ingest_store, tmp_path):
    c = connect(copy_store(ingest_store, tmp_path))
    yield c
    c.close()


def _day(d: date) -> str:
    """The platform's date style: 2024/3/5."""
    return f"{d.year}/{d.month}/{d.day}"


def _places(con):
    """Two villages of one town, a grid of the first, and their town and county."""
    grid, village = con.execute(
        "SELECT g.code, g.village_code FROM grids AS g ORDER BY g.code LIMIT 1").fetchone()
    other = con.execute("SELECT code FROM regions WHERE level = 'village' AND parent_code = "
                        "(SELECT parent_code FROM regions WHERE code = $v) AND code <> $v "
                        "ORDER BY code LIMIT 1", {"v": village}).fetchone()[0]
    return {"grid": grid, "village": village, "village2": other,
            "town12": village[:9] + "000", "town": village[:9], "county": village[:6]}


def _export(con, today: date) -> pd.DataFrame:
    """A month of the platform's 满意度测评 export, with the problems such exports have."""
    p = _places(con)
    d1, d2 = today - timedelta(days=20), today - timedelta(days=12)
    rows = []

    def add(area, name, d, rating, who="社区居民", how="入户走访"):
        rows.append({"答卷编号": f"Q{len(rows) + 1:05d}", "社区编码": area, "社区名称": name,
                     "测评日期": d if isinstance(d, str) else _day(d), "满意程度": rating,
                     "受访对象": who, "测评方式": how})

    answers = ["非常满意", "满意", "比较满意", "一般", "不满意", "非常不满意", "不了解",
               "非常满意", "满意", "满意"]
    for i, rating in enumerate(answers):
        add(p["village"], "东市社区", d1 if i < 6 else d2, rating,
            who=["社区居民", "沿街商户", "外来人员"][i % 3],
            how=["入户走访", "微信问卷"][i % 2])
    for rating in ("满意", "一般", "非常不满意"):
        add(p["grid"], "东市社区第1网格", d2, rating)
    for rating in ("满意", "不满意", "比较满意", "不了解"):
        add(p["village2"], "西园村", d1, rating, how="电话访问")
    for rating in ("满意", "一般"):  # a town-wide survey, its code written as 12 digits
        add(p["town12"], "金沙街道", d2, rating, who="辖区企业")
    add("999999999999", "不存在的社区", d1, "满意")                      # unknown_area
    add(p["village"], "东市社区", "上周五", "满意")                        # unparseable_time
    add(p["village"], "东市社区", d1, "满意", who="游客")                  # unknown_value
    add(p["village"], "东市社区", today + timedelta(days=3), "满意")      # future_time
    rows.append(dict(rows[0]))                                             # duplicate_key
    return pd.DataFrame(rows)


def _load(con, frame: pd.DataFrame, path: Path, mapping: Mapping, **kw):
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    s = load_files(con, "area_surveys", mapping, [path], **kw)
    assert s.balanced(), s.report()
    return s


def _answers(con) -> pd.DataFrame:
    return con.execute("SELECT * FROM area_surveys ORDER BY id").df()


def _pandas(answers: pd.DataFrame, prefix: str, d0: date, d1: date) -> tuple[int, int, int]:
    """(satisfied, rated, answers) of the answers about areas inside ``prefix``."""
    a = answers[answers["area_code"].str.startswith(prefix)
                & (answers["surveyed_at"] >= pd.Timestamp(d0))
                & (answers["surveyed_at"] < pd.Timestamp(d1) + pd.Timedelta(days=1))]
    return (int(a["rating"].isin(["满意", "基本满意"]).sum()), int(a["rating"].notna().sum()),
            len(a))


def _engine(con, prefix: str, d0, d1, **kw) -> pd.DataFrame:
    return kpis(con, Scope(prefix, "leader"), d0, d1, keys=KEYS, **kw)


def _check(got: pd.DataFrame, ref: tuple[int, int, int], where: str) -> None:
    g = got.set_index("key")
    sat, rated, n = ref
    assert (g.loc["area_satisfaction_rate", "numerator"],
            g.loc["area_satisfaction_rate", "denominator"],
            g.loc["area_survey_answers", "value"]) == (sat, rated, n), where
    if rated:
        assert g.loc["area_satisfaction_rate", "value"] == pytest.approx(sat / rated), where
    else:
        assert pd.isna(g.loc["area_satisfaction_rate", "value"]), where


# --- loading ---------------------------------------------------------------------------------


def test_the_platform_export_loads_with_the_example_mapping(con, tmp_path):
    today = date.today()
    stored_before = len(_answers(con))
    frame = _export(con, today)
    s = _load(con, frame, tmp_path / "满意度测评.csv", Mapping.load(EXAMPLE))
    assert s.by_rule == {"unknown_area": 1, "unparseable_time": 1, "unknown_value": 1,
                         "future_time": 1, "duplicate_key": 1}, s.report()
    assert s.inserted == len(frame) - 5 == 19
    assert "unknown_incident" not in s.by_rule
    got = _answers(con).iloc[stored_before:]
    p = _places(con)
    # codes are stored as the store's keys: the town by its short code
    assert set(got["area_code"]) == {p["village"], p["village2"], p["grid"], p["town"]}
    # five levels folded into three, 不了解 an answer without a rating
    src = frame.drop_duplicates("答卷编号").set_index("答卷编号")
    for r in got.itertuples():
        want = FOLD[src.loc[r.survey_no, "满意程度"]]
        assert (pd.isna(r.rating) and want is None) or r.rating == want
        assert r.surveyed_at == datetime.combine(
            datetime.strptime(src.loc[r.survey_no, "测评日期"], "%Y/%m/%d").date(),
            datetime.min.time())
    assert set(got["respondent_group"]) == {"居民", "商户", "流动人口", "企业"}
    assert set(got["channel"]) == {"入户", "线上问卷", "电话"}
    q = con.execute("SELECT line, rule, value FROM quarantine WHERE kind = 'area_surveys' "
                    "ORDER BY line").fetchall()
    assert q == [(21, "unknown_area", "999999999999"), (22, "unparseable_time", "上周五"),
                 (23, "unknown_value", "游客"),
                 (24, "future_time", f"{today + timedelta(days=3)} 00:00:00"),
                 (25, "duplicate_key", "Q00001")]


def test_the_town_answers_count_for_the_town_and_above_never_for_its_villages(con, tmp_path):
    today = date.today()
    _load(con, _export(con, today), tmp_path / "a.csv", Mapping.load(EXAMPLE))
    answers = _answers(con)
    p = _places(con)
    d0, d1 = today - timedelta(days=40), today
    for prefix in (p["grid"], p["village"], p["village2"], p["town"], p["county"],
                   p["county"][:4]):
        _check(_engine(con, prefix, d0, d1), _pandas(answers, prefix, d0, d1), prefix)
    town = _engine(con, p["town"], d0, d1, level="village").set_index(["region", "key"])
    villages = town.xs("area_survey_answers", level="key")["value"]
    whole = _engine(con, p["town"], d0, d1).set_index("key").loc["area_survey_answers", "value"]
    town_only = (answers["area_code"] == p["town"]) & (
        answers["surveyed_at"] >= pd.Timestamp(d0))
    # the villages' answers add up to the town's less its own town-wide answers
    assert villages.sum() == whole - town_only.sum() and town_only.sum() == 2
    for village, n in villages.items():
        assert n == _pandas(answers, village, d0, d1)[2]


def test_without_response_numbers_reruns_and_re_exports_update_instead_of_doubling(
        con, tmp_path):
    today = date.today()
    spec = Mapping.load(EXAMPLE)
    mapping = Mapping.from_dict({
        "kind": "area_surveys",
        "source": {"format": "csv", "encoding": "utf-8-sig", "time_format": "%Y/%m/%d"},
        "columns": {k: v for k, v in spec.columns.items() if k != "survey_no"},
        "values": spec.values}, name="no_numbers.toml")
    before = len(_answers(con))
    p = _places(con)
    d = _day(today - timedelta(days=5))
    first = pd.DataFrame({
        "社区编码": [p["village"]] * 6 + [p["village2"]] * 2,
        "测评日期": [d] * 8,
        "满意程度": ["满意", "满意", "一般", "不满意", "满意", "不了解", "满意", "满意"],
        "受访对象": "社区居民", "测评方式": "入户走访"})
    s1 = _load(con, first, tmp_path / "march.csv", mapping, batch_rows=3)
    assert (s1.inserted, s1.batches) == (8, 1)  # one batch: answers numbered over the file
    keys = _answers(con).iloc[before:]["survey_no"].tolist()
    day = (today - timedelta(days=5)).isoformat()
    assert sorted(keys) == sorted([f"{p['village']}@{day} 00:00:00#{i}" for i in range(1, 7)]
                                  + [f"{p['village2']}@{day} 00:00:00#{i}" for i in (1, 2)])
    # the platform's corrected re-export of the month: one answer fixed, one more answer
    second = pd.concat([first, first.head(1)], ignore_index=True)
    second.loc[2, "满意程度"] = "非常满意"
    s2 = _load(con, second, tmp_path / "march-corrected.csv", mapping)
    assert (s2.inserted, s2.updated, s2.unchanged) == (1, 1, 7), s2.report()
    got = _answers(con).iloc[before:]
    assert len(got) == len(second)
    assert ((got["rating"] == "满意").sum(), (got["rating"] == "不满意").sum(),
            got["rating"].isna().sum()) == (7, 1, 1)
    d0 = today - timedelta(days=6)
    _check(_engine(con, p["village"], d0, today),
           _pandas(_answers(con), p["village"], d0, today), "re-export")


def test_the_summary_follows_each_load_and_equals_a_full_refresh(con, tmp_path):
    today = date.today()
    others = {t: table_checksum(con, t) for t in SUMMARY_TABLES if t != "area_survey_daily"}
    _load(con, _export(con, today), tmp_path / "a.csv", Mapping.load(EXAMPLE))
    frame = _export(con, today).assign(答卷编号=lambda f: "R" + f["答卷编号"].str[1:])
    frame.loc[0:3, "满意程度"] = "非常不满意"
    _load(con, frame, tmp_path / "b.csv", Mapping.load(EXAMPLE))
    # an update of stored answers (same numbers, other ratings, another day)
    frame.loc[4:6, "测评日期"] = _day(today - timedelta(days=2))
    _load(con, frame, tmp_path / "c.csv", Mapping.load(EXAMPLE))
    after = table_checksum(con, "area_survey_daily")
    assert con.execute("SELECT sum(answers) FROM area_survey_daily").fetchone()[0] == \
        con.execute("SELECT count(*) FROM area_surveys").fetchone()[0]
    # the area answers touched nothing else
    assert {t: table_checksum(con, t) for t in others} == others
    refresh_summaries(con)
    assert table_checksum(con, "area_survey_daily") == after


# --- the KPI on the demo store, every level, by month -----------------------------------


@pytest.fixture(scope="module")
def demo_answers(demo) -> pd.DataFrame:
    return demo.execute("SELECT * FROM area_surveys").df()


def _months(now: datetime, n: int) -> tuple[date, date]:
    last = now.date().replace(day=1) - timedelta(days=1)
    first = last.replace(day=1)
    for _ in range(n - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first, last


def test_demo_has_modest_area_surveys(demo, demo_answers):
    villages = demo.execute("SELECT count(*) FROM regions WHERE level = 'village'").fetchone()[0]
    months = demo_answers["surveyed_at"].dt.to_period("M").nunique()
    per_month = len(demo_answers) / months
    assert 0.5 * villages < per_month < 2 * villages  # about one village in twelve, ~12 each
    assert demo_answers["rating"].isna().mean() < 0.1


@pytest.mark.parametrize("length", [4, 6, 9, 12])
def test_the_kpi_equals_pandas_by_month_and_by_sub_region(demo, demo_answers, now, length):
    city = demo.execute("SELECT value FROM meta WHERE key = 'city'").fetchone()[0]
    busiest = demo_answers["area_code"].str[:length].value_counts().index[0]
    prefix = city if length == 4 else busiest
    d0, d1 = _months(now, 6)
    got = _engine(demo, prefix, d0, d1, by="month")
    assert got["period"].nunique() == 6
    for period, part in got.groupby("period"):
        end = (pd.Timestamp(period) + pd.offsets.MonthEnd(0)).date()
        _check(part, _pandas(demo_answers, prefix, period, end), f"{prefix} {period}")
    below = {4: "county", 6: "town", 9: "village", 12: "grid"}[length]
    split = _engine(demo, prefix, d0, d1, level=below)
    sub = len(prefix) + (2 if length == 4 else 3)
    expected = set(demo_answers.loc[
        demo_answers["area_code"].str.startswith(prefix)
        & (demo_answers["area_code"].str.len() >= sub)
        & (demo_answers["surveyed_at"] >= pd.Timestamp(d0))
        & (demo_answers["surveyed_at"] < pd.Timestamp(d1) + pd.Timedelta(days=1)),
        "area_code"].str[:sub])
    assert expected <= set(split["region"])
    for region, part in split.groupby("region"):
        _check(part.drop(columns="region"), _pandas(demo_answers, region, d0, d1), region)


def test_kpis_returns_the_survey_family_beside_the_others(demo, demo_answers, now):
    d0, d1 = _months(now, 3)
    # the village with the most answers in the period, not over the demo's whole span: the
    # sub-region check below needs answers about it inside d0..d1 at any hour of the run
    inside = demo_answers[(demo_answers["surveyed_at"] >= pd.Timestamp(d0))
                          & (demo_answers["surveyed_at"] < pd.Timestamp(d1) + pd.Timedelta(days=1))]
    village = inside["area_code"].str[:12].value_counts().index[0]
    grid = demo.execute("SELECT min(code) FROM grids WHERE village_code = $v",
                        {"v": village}).fetchone()[0]
    for prefix in ("3206", village[:6], village, grid):
        every = kpis(demo, Scope(prefix, "leader"), d0, d1, by="month")
        assert {"area_satisfaction_rate", "area_survey_answers", "satisfaction_rate",
                "reported", "key_persons"} <= set(every["key"])
        one = every[every["key"].isin(KEYS)].groupby("key")["numerator"].sum()
        ref = _pandas(demo_answers, prefix, d0, d1)
        assert one["area_survey_answers"] == ref[2]
        assert one["area_satisfaction_rate"] == ref[0]
    # sub-regions of both paths in one frame: regions with cases and those with answers
    split = kpis(demo, Scope(village[:9], "leader"), d0, d1, keys=["reported", *KEYS],
                 level="village")
    with_answers = split[(split["key"] == "area_survey_answers") & (split["value"] > 0)]
    assert village in set(with_answers["region"])
    assert split.groupby("region")["key"].count().eq(3).all()


def test_drill_lists_the_answers_behind_the_numbers(demo, demo_answers, now):
    d0, d1 = _months(now, 2)
    county = demo_answers["area_code"].str[:6].value_counts().index[0]
    got = drill(demo, Scope(county, "leader"), "area_satisfaction_rate", d0, d1)
    sat, rated, _ = _pandas(demo_answers, county, d0, d1)
    assert (len(got.numerator_ids), len(got.denominator_ids)) == (sat, rated)
    ids = set(demo_answers.loc[demo_answers["rating"].isin(["满意", "基本满意"])
                               & demo_answers["area_code"].str.startswith(county), "id"])
    assert set(got.numerator_ids) <= ids


# --- where it is shown ----------------------------------------------------------------------


def test_the_satisfaction_page_shows_the_engines_numbers(demo, now):
    user = Scope("3206", "leader")
    filters = Filters.from_query("?period=custom&from={}&to={}".format(*_months(now, 3)))
    d = td.satisfaction(demo, user, filters, now)
    d0, d1 = filters.span(now.date())
    by_county = _engine(demo, "3206", d0, d1, level="county")
    engine = by_county[by_county["key"] == "area_satisfaction_rate"].set_index("region")
    unit = d["area_unit"].set_index("key")
    assert set(unit.index) == set(engine.index)
    for county, row in unit.iterrows():
        assert (row["satisfied"], row["rated"]) == (engine.loc[county, "numerator"],
                                                    engine.loc[county, "denominator"])
    whole = _engine(demo, "3206", d0, d1).set_index("key")
    assert d["area_answers"] == whole.loc["area_survey_answers", "value"]
    assert int(d["area_group"]["answers"].sum()) == d["area_answers"]
    trend = d["area_month"]
    assert len(trend) == 12
    last_month = trend.iloc[-1]
    ref = _engine(demo, "3206", last_month["key"], d1).set_index("key")
    assert last_month["numerator"] == ref.loc["area_satisfaction_rate", "numerator"]
    # the page's layout draws the new panels from these data
    from layouts.thematic import SATISFACTION
    shown = SATISFACTION.render({**d, "vocab": None}, filters, "zh")
    assert len(shown["area_unit"].data[0].y) == min(15, len(unit))
    assert "群众满意度(测评)" in [t.name for t in shown["trend"].data]
    assert "area_satisfaction_rate" in SATISFACTION.kpis


def test_the_overview_offers_the_indicator(demo, now):
    assert od.INDICATORS["area_satisfaction"].kpi == "area_satisfaction_rate"
    view = od.view(demo, Scope("3206", "leader"), None)
    kids = od.children(demo, view, now)
    d0, d1 = od.recent_days(now)
    engine = _engine(demo, "3206", d0, d1, level="county")
    engine = engine[engine["key"] == "area_satisfaction_rate"].set_index("region")["value"]
    for row in kids.itertuples():
        want = engine.get(row.short_code)
        if want is None or pd.isna(want):
            assert pd.isna(row.area_satisfaction)
        else:
            assert row.area_satisfaction == pytest.approx(want)
    from layouts.overview import choropleth, format_indicator
    hideout = choropleth(kids, "area_satisfaction", "en")
    assert hideout["unit"] == "%" and format_indicator("area_satisfaction", 0.9123) == "91.2%"


def test_the_monthly_report_has_the_headline_rows(demo, now):
    first, last = _months(now, 1)
    report = build_report(demo, Scope("3206", "admin"), first)
    rows = {h.key: h for h in report.headline}
    got = _engine(demo, "3206", first, last).set_index("key")
    assert rows["area_satisfaction_rate"].value == pytest.approx(
        got.loc["area_satisfaction_rate", "value"])
    assert rows["area_survey_answers"].value == got.loc["area_survey_answers", "value"]
    assert rows["area_satisfaction_rate"].name == "群众满意度(测评口径)"


def test_a_corrected_mapping_replaces_the_earlier_import_of_the_file(con, tmp_path):
    """With the files' --replace: the first mapping forgot 一般 (those answers quarantined),
    the corrected one loads them, and the store holds exactly the second import."""
    today = date.today()
    example = Mapping.load(EXAMPLE)
    values = {k: dict(v) for k, v in example.values.items()}
    del values["rating"]["一般"]
    first = Mapping.from_dict({"kind": "area_surveys", "source": {
        "format": "csv", "encoding": "utf-8-sig", "time_format": "%Y/%m/%d"},
        "columns": example.columns, "values": values}, name="first.toml")
    frame = _export(con, today)
    path = tmp_path / "满意度测评.csv"
    frame.to_csv(path, index=False, encoding="utf-8-sig")
    before = len(_answers(con))
    s1 = load_files(con, "area_surveys", first, [path])
    assert s1.by_rule["unknown_value"] == 1 + (frame["满意程度"] == "一般").sum()
    s2 = load_files(con, "area_surveys", example, [path], replace=True)
    assert s2.replaced_batches == 1 and s2.inserted == (frame["满意程度"] == "一般").sum()
    got = _answers(con).iloc[before:]
    assert len(got) == 19 and (got["rating"] == "基本满意").sum() == (
        frame["满意程度"].isin(["比较满意", "一般"]).sum())
    assert con.execute("SELECT count(*) FROM quarantine WHERE kind = 'area_surveys'"
                       ).fetchone()[0] == s2.quarantined
    refreshed = table_checksum(con, "area_survey_daily")
    refresh_summaries(con)
    assert table_checksum(con, "area_survey_daily") == refreshed


REALWORLD = Path(__file__).resolve().parents[1] / "fixtures" / "realworld" / "cuiyuan_community"
CUIYUAN_SURVEYS = """
kind = "area_surveys"
[source]
encoding = "utf-8-sig"
[columns]
survey_no = "问卷编号"
surveyed_at = "测评日期"
area_code = "网格编码"
respondent_group = "受访群体"
channel = "测评方式"
rating = "总体评价"
[values.rating]
"非常满意" = "满意"
"非常不满意" = "不满意"
[values.channel]
"线上" = "线上问卷"
[taxonomy]
add_unknown = ["respondent_group"]
"""


def test_a_community_platforms_export_gives_its_published_monthly_table(tmp_path, capsys):
    """翠苑街道's platform (tests/fixtures/realworld): grids by the platform's own codes
    (CY01-03, through code_map), a group the national list lacks (老年人), blank answers.
    Monthly 群众满意度(测评口径) equals the 群众满意度 column the platform published."""
    from dashboard.cli import main

    store = tmp_path / "cuiyuan.duckdb"
    assert main(["import", "boundaries", "--out", str(store), "--levels", "社区,网格",
                 "--area-name", "翠苑街道", "--quiet",
                 f"{REALWORLD / '社区边界.geojson'}:level=社区,code=社区代码,name=社区名称",
                 f"{REALWORLD / '网格边界.geojson'}:level=网格,code=网格编码,name=网格名称,"
                 f"parent=所属社区代码,crs=gcj02"]) == 0
    mapping = tmp_path / "cuiyuan_surveys.toml"
    mapping.write_text(CUIYUAN_SURVEYS, encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "records", "--kind", "area_surveys", "--store", str(store),
                 "--mapping", str(mapping), "--quiet", str(REALWORLD / "满意度测评.csv")]) == 0
    out = capsys.readouterr().out
    answers = pd.read_csv(REALWORLD / "满意度测评.csv", encoding="utf-8-sig")
    assert f"rows in = loaded + quarantined + skipped: {len(answers)} = {len(answers)} + 0 + 0" \
        in out
    assert "新增分类 added to taxonomy: area_survey_group 1 (老年人)" in out
    published = pd.read_csv(REALWORLD / "月度统计表.csv", encoding="utf-8-sig")
    c = connect(store)
    root = c.execute("SELECT short_code FROM regions WHERE parent_code IS NULL").fetchone()[0]
    got = _engine(c, root, date(2024, 1, 1), date(2024, 6, 30), by="month")
    c.close()
    rate = got[got["key"] == "area_satisfaction_rate"].reset_index(drop=True)
    for month, row in zip(published["月份"], rate.itertuples(), strict=True):
        want = published.set_index("月份").loc[month, "群众满意度"]
        shown = "—" if pd.isna(row.value) else f"{100 * row.value:.1f}%"
        assert shown == want, month
    # and straight from the file: answered = a rating given; 非常满意, 满意, 基本满意 count
    answered = answers["总体评价"].notna()
    happy = answers["总体评价"].isin(["非常满意", "满意", "基本满意"])
    assert rate["numerator"].sum() == happy.sum() and rate["denominator"].sum() == \
        answered.sum()
