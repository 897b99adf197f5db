"""What the two real-world fixtures should give, computed with pandas straight from the files.

Nothing here imports GridCommand: the files are read with pandas, openpyxl and shapely and
the definitions of docs/kpi.md are applied by hand, so a test that compares the store's
KPIs with these frames compares two independent computations.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "realworld"
LAKEPORT = FIXTURES / "lakeport_311"
CUIYUAN = FIXTURES / "cuiyuan_community"
CITY_HALL = (-87.632160, 41.883680)
STREET_OFFICE = (120.133500, 30.289600)
US_TIME = "%m/%d/%Y %I:%M:%S %p"


def _polygons(path: Path, key: str, transform=None) -> dict[str, shapely.Geometry]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for f in data["features"]:
        geom = shapely.geometry.shape(f["geometry"])
        if transform is not None:
            geom = shapely.transform(geom, transform)
        out[str(f["properties"][key])] = geom
    return out


def lakeport_wards() -> dict[str, shapely.Geometry]:
    return _polygons(LAKEPORT / "wards.geojson", "ward")


def lakeport_precincts() -> dict[str, shapely.Geometry]:
    to_deg = pyproj.Transformer.from_crs("EPSG:3435", "EPSG:4326", always_xy=True)
    return _polygons(LAKEPORT / "precincts.geojson", "PREC_ID",
                     lambda c: np.column_stack(to_deg.transform(c[:, 0], c[:, 1])))


def _locate(lon, lat, polygons: dict) -> pd.Series:
    out = pd.Series(pd.NA, index=lon.index, dtype="object")
    ok = lon.notna() & lat.notna()
    for code, poly in polygons.items():
        inside = ok & shapely.contains_xy(poly, lon.fillna(0).to_numpy(), lat.fillna(0).to_numpy())
        out[inside] = code
    return out


def lakeport_requests() -> pd.DataFrame:
    """Every request with what the docs say should happen to it.

    Columns added: ``created``/``closed`` (naive America/Chicago), ``void``, ``sla_days``,
    ``deadline``, ``placeholder`` (at the city hall point), ``ward_pt`` and ``precinct_pt``
    (the polygons under the point), ``ward`` (the true ward: the point's, or for a
    placeholder row the WARD column), ``rule`` (the quarantine rule the row must break, or
    None when it must load).
    """
    raw = pd.read_csv(LAKEPORT / "service_requests_2024H1.csv.gz", dtype=str,
                      keep_default_na=False)
    types = pd.read_csv(LAKEPORT / "sr_types.csv", dtype=str, keep_default_na=False)
    df = raw.copy()
    df["created"] = pd.to_datetime(df["CREATED_DATE"], format=US_TIME)
    df["closed"] = pd.to_datetime(df["CLOSED_DATE"].replace("", None), format=US_TIME)
    df["void"] = df["STATUS"].eq("Canceled")
    sla = types.set_index("SR_SHORT_CODE")["SLA_DAYS"].replace("", None).astype(float)
    df["sla_days"] = df["SR_SHORT_CODE"].map(sla)
    df["deadline"] = df["created"] + pd.to_timedelta(df["sla_days"], unit="D")
    lon = pd.to_numeric(df["LONGITUDE"].replace("", None))
    lat = pd.to_numeric(df["LATITUDE"].replace("", None))
    df["lon"], df["lat"] = lon, lat
    df["placeholder"] = lon.round(6).eq(CITY_HALL[0]) & lat.round(6).eq(CITY_HALL[1])
    df["ward_pt"] = _locate(lon, lat, lakeport_wards())
    df["precinct_pt"] = _locate(lon, lat, lakeport_precincts())
    df["ward"] = df["ward_pt"].where(~df["placeholder"], df["WARD"].replace("", None))
    rule = pd.Series(None, index=df.index, dtype="object")
    far = lon.notna() & ~(lon.between(-87.75, -87.55) & lat.between(41.80, 41.98))
    rule[far] = "coords_outside_area"
    rule[lon.isna() & df["WARD"].eq("")] = "coords_missing"
    rule[rule.isna() & df["closed"].notna() & (df["closed"] < df["created"])] = \
        "closed_before_reported"
    df["rule"] = rule
    return df


def monthly_case_kpis(df: pd.DataFrame, created: str, closed: str, void: str,
                      deadline: str | None) -> pd.DataFrame:
    """Monthly 上报数, 结案数, 办结时长 mean/median/P90 (hours), on-time and deadline share.

    Definitions of docs/kpi.md: 上报数 by the report's month (void included); 结案数 and
    the durations over non-void cases closed in the month (上报 → 结案); on time =
    closed no later than the deadline, among closed cases that have one; 有时限占比 = closed
    with a deadline / closed.
    """
    rep = df.groupby(df[created].dt.to_period("M")).size().rename("reported")
    done = df[df[closed].notna() & ~df[void]].copy()
    done["hours"] = (done[closed] - done[created]).dt.total_seconds() / 3600
    g = done.groupby(done[closed].dt.to_period("M"))
    out = pd.concat([rep, g.size().rename("closed"), g["hours"].mean().rename("close_mean"),
                     g["hours"].median().rename("close_median"),
                     g["hours"].quantile(0.9).rename("close_p90")], axis=1)
    if deadline is not None:
        has = done[deadline].notna()
        ontime = has & (done[closed] <= done[deadline])
        out["with_deadline"] = has.groupby(done[closed].dt.to_period("M")).sum()
        out["ontime"] = ontime.groupby(done[closed].dt.to_period("M")).sum()
        out["ontime_rate"] = out["ontime"] / out["with_deadline"]
        out["deadline_share"] = out["with_deadline"] / out["closed"]
    return out.fillna({"reported": 0, "closed": 0})


# ---------------------------------------------------------------- 翠苑街道 community platform
CN_TIME = "%Y/%m/%d %H:%M"
FOLD = {"非常满意": "满意", "满意": "满意", "基本满意": "基本满意", "不满意": "不满意",
        "非常不满意": "不满意"}


def cuiyuan_cases() -> pd.DataFrame:
    raw = pd.read_excel(CUIYUAN / "事件上报.xlsx", header=1, dtype=str).fillna("")
    df = raw.copy()
    df["created"] = pd.to_datetime(df["上报时间"], format=CN_TIME)
    df["accepted"] = pd.to_datetime(df["受理时间"], format=CN_TIME)
    df["closed"] = pd.to_datetime(df["办结时间"].replace("", None), format=CN_TIME)
    df["void"] = df["处置状态"].eq("已作废")
    limit = pd.to_numeric(df["办理时限(天)"].replace("", None))
    df["deadline"] = df["accepted"] + pd.to_timedelta(limit, unit="D")
    return df


def cuiyuan_hazards() -> pd.DataFrame:
    df = pd.read_csv(CUIYUAN / "隐患排查.csv", encoding="gbk", dtype=str,
                     keep_default_na=False)
    df["found"] = pd.to_datetime(df["发现时间"])
    df["fixed"] = pd.to_datetime(df["整改完成时间"].replace("", None))
    return df


def cuiyuan_surveys() -> pd.DataFrame:
    df = pd.read_csv(CUIYUAN / "满意度测评.csv", encoding="utf-8-sig", dtype=str,
                     keep_default_na=False)
    df["day"] = pd.to_datetime(df["测评日期"])
    df["rating"] = df["总体评价"].map(FOLD)
    return df


def area_satisfaction(df: pd.DataFrame, by) -> pd.DataFrame:
    """群众满意度(测评口径): (满意 + 基本满意) / answered, after folding five levels to three."""
    rated = df[df["rating"].notna()]
    good = rated["rating"].isin(["满意", "基本满意"])
    g = good.groupby(by(rated))
    return pd.DataFrame({"answers": g.size(), "satisfied": g.sum(),
                         "rate": g.mean()})


def published_table() -> pd.DataFrame:
    df = pd.read_csv(CUIYUAN / "月度统计表.csv", encoding="utf-8-sig", dtype=str)
    df["month"] = pd.PeriodIndex(
        pd.to_datetime(df["月份"].str.replace("年", "-").str.replace("月", ""), format="%Y-%m"),
        freq="M")
    return df.set_index("month")
