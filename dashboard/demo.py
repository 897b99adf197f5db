"""The demo store: a believable city with three years of grid-governance activity.

Everything is drawn from one seed, so the same ``DemoSpec`` (seed, size, end time) gives
the same store, row for row. The story the data tells is the one command centres tell:

- **Rhythms**: weekdays busier than weekends, grid patrols in office hours, hotline calls in
  the morning and afternoon, resident photos in the evening; summer complaints (garbage,
  noise, street vending), flood-season hazards (梅雨 June–July, typhoons August), winter
  fire and gas risks, straw burning at the wheat and rice harvests.
- **Places**: incidents follow population, denser per head in urban communities.
- **Work**: most cases are closed at village or town level; a share is escalated to county
  or city (one ``escalations`` row per hand-off). Deadlines follow the category; some cases
  are extended, reworked after a failed check, or voided. Each line of work (a department
  kind in a county) has finite capacity, worked mostly in office hours and lower in its
  spells of overload: a case waits until its department gets to it (``_Desks``); some kinds
  of work also wait on third parties (``THIRD_PARTY_KINDS``).
- **Platform launch**: a quarter of the way into the history the platform goes live. Over
  the following months 随手拍, IoT sensors and video AI start reporting, average handling
  time falls from days to hours, overdue cases become rare and satisfaction rises from
  about 67% to about 94%.

Generation runs in time-ordered batches with bounded memory and appends rows in time order,
so DuckDB's zone maps can skip old row groups.
"""

from __future__ import annotations

import math
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from tqdm import tqdm

from dashboard import taxonomy
from dashboard.clock import now_in
from dashboard.foresight.run import update as update_foresight
from dashboard.foresight.surge import update as update_surge
from dashboard.kpi.summaries import refresh_summaries
from dashboard.store import BUILD_MEMORY_LIMIT, building
from geodata.builder import build_geography
from geodata.sampling import PointSampler
from queries import names as Q
from queries import sql

TZ = ZoneInfo("Asia/Shanghai")
REFERENCE = Path(__file__).resolve().parent / "reference"
HOUR = 3600.0
DAY = 86400.0

SOURCES = np.array(["网格员巡查", "群众随手拍", "12345热线", "物联感知", "视频AI"])
PATROL, APP, HOTLINE, IOT, VIDEO = range(5)
TIERS = np.array(["village", "town", "county", "city"])
STATUSES = np.array(taxonomy.STATUSES)

# Source mix before launch and once the platform is fully used (rows sum to 1).
SOURCE_PRE = np.array([0.52, 0.03, 0.45, 0.0, 0.0])
SOURCE_POST = np.array([0.36, 0.27, 0.21, 0.08, 0.08])
SOURCE_WEEKEND = np.array([0.45, 1.25, 0.9, 1.0, 1.0])

# Hour-of-day profiles per source (relative weights, 0..23).
HOURS = np.array([
    [0, 0, 0, 0, 0, 0, 0.2, 0.8, 3, 4, 4, 3, 1, 1.5, 3, 3.5, 3, 2, 0.8, 0.4, 0.2, 0.1, 0, 0],
    [.3, .1, .1, .1, .1, .2, .6, 1.2, 1.6, 1.6, 1.5, 1.6, 1.8, 1.4, 1.3, 1.3, 1.4, 1.8, 2.4,
     2.8, 2.8, 2.2, 1.4, .7],
    [.3, .2, .1, .1, .1, .2, .5, 1.5, 3.2, 3.6, 3.4, 2.6, 1.6, 2.4, 3.0, 3.1, 2.8, 2.2, 1.5,
     1.3, 1.2, 1.0, .7, .5],
    [.8, .7, .7, .7, .7, .8, 1, 1.1, 1, 1, 1, 1.4, 1.5, 1, 1, 1, 1.1, 1.5, 1.6, 1.3, 1.1, 1,
     .9, .9],
    [.2, .1, .1, .1, .1, .3, 1, 1.6, 1.8, 1.6, 1.5, 1.7, 1.6, 1.4, 1.4, 1.5, 1.7, 1.9, 1.8,
     1.5, 1.2, .8, .5, .3],
], dtype=float)

MONTHLY_VOLUME = np.array([0.82, 0.85, 1.0, 1.0, 1.05, 1.1, 1.15, 1.15, 1.05, 1.0, 0.96, 0.95])
WEEKDAY_VOLUME = np.array([1.05, 1.03, 1.02, 1.02, 1.0, 0.72, 0.66])
SEASONS = {
    "none": np.ones(12),
    "summer": np.array([.7, .7, .8, .9, 1.1, 1.3, 1.5, 1.5, 1.2, 1.0, .8, .7]),
    "flood": np.array([.3, .3, .5, .7, 1.0, 2.2, 2.8, 2.5, 1.6, .7, .4, .3]),
    "winter": np.array([1.5, 1.4, 1.1, .8, .7, .7, .8, .8, .8, 1.0, 1.2, 1.5]),
    "burn": np.array([.3, .3, .3, .5, 1.5, 3.0, .6, .3, .8, 2.2, 1.2, .4]),
}

# Final tier of handling (village, town, county, city) by source.
TIER_BY_SOURCE = np.array([
    [0.62, 0.28, 0.08, 0.02],
    [0.55, 0.32, 0.11, 0.02],
    [0.30, 0.40, 0.24, 0.06],
    [0.35, 0.45, 0.17, 0.03],
    [0.50, 0.38, 0.10, 0.02],
])

SENSOR_TYPES = {
    # type: (share, unit, threshold, urban only)
    "烟感": (0.38, "%obs/m", 10.0, False),
    "燃气": (0.20, "%LEL", 20.0, False),
    "电气火灾": (0.14, "mA", 300.0, False),
    "井盖位移": (0.10, "°", 15.0, True),
    "水位": (0.08, "m", 3.5, False),
    "高空抛物": (0.10, "次", 1.0, True),
}

HAZARD_TYPES = {
    # type: (share, season, department kind)
    "消防": (0.30, "winter", "消防"),
    "燃气": (0.15, "winter", "应急"),
    "防汛": (0.18, "flood", "水务"),
    "危房": (0.10, "flood", "住建"),
    "安全生产": (0.17, "none", "应急"),
    "道路交通": (0.10, "none", "公安"),
}
HAZARD_SOURCES = np.array(["网格员巡查", "部门检查", "物联感知", "群众举报"])
RISK_LEVELS = np.array(taxonomy.RISK_LEVELS)
RISK_DEADLINE_DAYS = np.array([30.0, 15.0, 7.0])

KEY_PERSON_CATEGORIES = {
    # category: (share of key persons, birth years, risk weights 低/中/高, urban bias)
    "独居老人": (0.22, (1930, 1960), (0.6, 0.3, 0.1), 1.0),
    "空巢老人": (0.20, (1935, 1962), (0.75, 0.2, 0.05), 0.9),
    "残疾人": (0.16, (1945, 2015), (0.7, 0.25, 0.05), 1.0),
    "低保对象": (0.14, (1940, 2010), (0.8, 0.17, 0.03), 0.9),
    "留守儿童": (0.08, (2009, 2020), (0.6, 0.3, 0.1), 0.5),
    "困境儿童": (0.03, (2008, 2021), (0.4, 0.4, 0.2), 0.9),
    "严重精神障碍患者": (0.09, (1950, 2003), (0.3, 0.45, 0.25), 1.0),
    "社区矫正对象": (0.03, (1960, 2004), (0.4, 0.4, 0.2), 1.2),
    "刑满释放人员": (0.04, (1955, 2002), (0.5, 0.35, 0.15), 1.1),
    "吸毒人员": (0.01, (1965, 2002), (0.2, 0.4, 0.4), 1.2),
}
VISIT_INTERVAL_DAYS = np.array([30, 14, 7])  # by risk 低 中 高

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊孟秦邱侯江尹薛顾"
)
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红建文辉力国斌春梅林云峰凤兵")


@dataclass(frozen=True)
class DemoSpec:
    """What to generate.

    Attributes
    ----------
    incidents : int
        Number of incidents (cases) over the whole history.
    end : datetime, optional
        The last moment of the history, naive Asia/Shanghai time; default now (to the
        minute). Fix it to reproduce a store on another day.
    key_person_share : float
        Key persons as a share of residents (about 0.8% in grid practice).
    batch : int
        Incidents generated per batch; bounds memory.
    """

    incidents: int
    seed: int = 20231
    city: str = "3206"
    years: float = 3.0
    end: datetime | None = None
    key_person_share: float = 0.008
    batch: int = 500_000
    hazard_ratio: float = field(default=0.06)

    def validate(self) -> None:
        if not isinstance(self.incidents, int) or self.incidents < 0:
            raise ValueError(f"incidents must be a whole number ≥ 0, got {self.incidents!r}")
        if self.incidents > 200_000_000:
            raise ValueError(f"incidents {self.incidents:,} is more than the maximum 200,000,000")
        if not 0.1 <= self.years <= 10:
            raise ValueError(f"years must be between 0.1 and 10, got {self.years}")
        if not 0 <= self.key_person_share <= 0.1:
            raise ValueError(
                f"key_person_share must be between 0 and 0.1, got {self.key_person_share}")
        if self.batch < 1000:
            raise ValueError("batch must be at least 1000")

    def resolved_end(self) -> datetime:
        if self.end is not None:
            return self.end.replace(second=0, microsecond=0, tzinfo=None)
        return now_in(TZ).replace(second=0, microsecond=0)


class _Clock:
    """The history's time axis: seconds since the first midnight, and the launch phase."""

    def __init__(self, end: datetime, years: float):
        self.end = end
        first = (end - timedelta(days=round(365.25 * years))).date()
        self.t0 = np.datetime64(first, "s")
        self.end_s = float((np.datetime64(end, "s") - self.t0).astype(np.int64))
        self.days = int(math.ceil(self.end_s / DAY)) or 1
        self.launch_s = 0.25 * self.end_s
        self.ramp_s = 120 * DAY

    def phase(self, t: np.ndarray) -> np.ndarray:
        """0 before launch, rising smoothly to 1 over the ramp: how far the platform took hold."""
        x = np.clip((t - self.launch_s) / self.ramp_s, 0.0, 1.0)
        return x * x * (3 - 2 * x)

    def stamp(self, seconds: np.ndarray) -> np.ndarray:
        """Seconds (NaN = not reached) to datetime64[s] with NaT."""
        out = np.full(seconds.shape, np.datetime64("NaT"), dtype="datetime64[s]")
        ok = np.isfinite(seconds)
        out[ok] = self.t0 + seconds[ok].astype(np.int64).astype("timedelta64[s]")
        return out

    def calendar(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Month index (0..11) and weekday (0 = Monday) of each time."""
        days = self.t0.astype("datetime64[D]") + (t // DAY).astype(np.int64)
        month = days.astype("datetime64[M]").astype(np.int64) % 12
        weekday = (days.astype(np.int64) - 4) % 7  # 1970-01-01 was a Thursday
        return month, weekday


def _choice(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn by weight; fast for large ``size`` (searchsorted on the CDF)."""
    cdf = np.cumsum(weights, dtype=float)
    return np.minimum(np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right"),
                      len(weights) - 1)


def _row_choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of a probability matrix."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cdf[:, -1]
    return np.minimum((cdf < u[:, None]).sum(axis=1), probs.shape[1] - 1)


def _lerp(a: float, b: float, p: np.ndarray) -> np.ndarray:
    return a + (b - a) * p


def _keyed(key: str, n: int) -> np.ndarray:
    """``n`` uniform numbers fixed by ``key`` alone (a category's or a department's own
    traits), independent of the seed's streams."""
    return np.random.default_rng(zlib.crc32(key.encode())).random(n)


def _congestion(world: _World, category: np.ndarray, grid: np.ndarray, tier: np.ndarray,
                t: np.ndarray) -> np.ndarray:
    """How much slower than usual a case's line of work (the handling department's kind in
    its county: the county's 城管 bureau and its town stations, its 村居 ...) works at time
    ``t`` (seconds): each line has spells of overload (a campaign elsewhere, staff away) of
    its own strength, length and timing. Cases pile up in its queue during a spell; the
    store shows only that queue (open cases), never this factor."""
    codes = world.grid_code[grid]
    abbr = np.where(tier == 0, "CJ", world.cat_abbr[category])
    keys = [f"{g[:6]}-{a}" for g, a in zip(codes, abbr, strict=True)]
    uniq, inv = np.unique(np.array(keys, dtype=object), return_inverse=True)
    traits = np.array([_keyed(k, 3) for k in uniq]).reshape(len(uniq), 3)
    strength = 1.6 * traits[:, 0] ** 1.5
    period = (25 + 70 * traits[:, 1]) * DAY
    phase = 2 * np.pi * traits[:, 2]
    wave = np.sin(2 * np.pi * t / period[inv] + phase[inv])
    return np.exp(strength[inv] * np.clip(wave, 0, None) ** 2 - 0.2 * strength[inv])


# 部门处置能力 (the desks): a line of work handles its queue mostly in office hours
DESK_RATE_OFF = 0.25  # share of the office-hours capacity at night and at weekends (duty staff)
DESK_LOAD = 0.6  # arrivals / capacity over four weeks, outside overload spells
DESK_SPELL = 1.0  # capacity during a spell = usual / congestion ** DESK_SPELL
DESK_HANDS_ON = 0.5  # the case's own handling time, as a share of the pre-desk draw
URGENT_HOURS = 12  # cases with a time limit up to this jump the queue (duty staff)
DESK_STAFFING_DAYS = 28  # capacity follows the line's arrivals averaged over this many days

# 等待第三方 (waiting on others): department kinds whose cases often wait on a third party
# (owners, contractors, courts, test labs), and how long such a wait lasts as a share of
# the time limit (median; log-normal spread)
THIRD_PARTY_KINDS = {"住建": 0.30, "市场监管": 0.22, "生态环境": 0.18, "司法": 0.25,
                     "城管": 0.06, "水务": 0.12}
THIRD_PARTY_MEDIAN = 0.5
THIRD_PARTY_SIGMA = 0.6


def _line_keys(world: _World, category: np.ndarray, grid: np.ndarray,
               tier: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each case's line of work: county code + the handling department kind (村居 for the
    village tier), as the store's dept_code shows it; as ``(names, codes)``, the case's line
    being ``names[codes]`` (integer codes: no string is built per case)."""
    county_names, county = np.unique([g[:6] for g in world.grid_code], return_inverse=True)
    abbr_names, abbr = np.unique(np.append(world.cat_abbr, "CJ"), return_inverse=True)
    case_abbr = np.where(tier == 0, abbr[-1], abbr[:-1][category])
    names = np.array([f"{c}-{a}" for c in county_names for a in abbr_names], dtype=object)
    return names, county[grid] * len(abbr_names) + case_abbr


def _labels(values: np.ndarray, codes: np.ndarray) -> pd.Categorical:
    """``values[codes]`` as a categorical column: the frame holds the integer codes and the
    few distinct labels, where an array of labels would have pandas convert one string per
    row (DuckDB scans it as an ENUM and casts it on insert). ``values`` may repeat."""
    names, inverse = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(inverse[codes], names)


def _keyed_column(world: _World, name: str) -> np.ndarray:
    """One uniform number per category, fixed by its code and ``name``."""
    return np.array([_keyed(f"{code}/{name}", 1)[0] for code in world.categories["code"]])


class _Desks:
    """The departments' finite capacity, as a fluid queue per line of work.

    Each line gets work at the expected rate of its cases (weekday, month, season of its
    categories, platform growth, hour of day) and clears it at a capacity that follows its
    arrivals averaged over four weeks (staffing), divided by :data:`DESK_LOAD`; capacity is
    full in office hours (weekdays 8–18) and a quarter at other times, and lower during the
    line's overload spells (:func:`_congestion`). Work not cleared waits: a case handed to
    the line at ``t`` starts being handled when the capacity from ``t`` on has cleared the
    backlog ahead of it (first in, first out). The backlog is a deterministic function of
    time and line, the same at any store size; the store shows it only as the line's open
    cases."""

    def __init__(self, world: _World, clock: _Clock):
        self.world, self.clock = world, clock
        hours = np.arange(clock.days * 24 + 24 * 60, dtype=float)  # 60 days of margin
        self.t = hours * HOUR
        month, weekday = clock.calendar(self.t)
        hod = (hours % 24).astype(int)
        self.office = (weekday < 5) & (hod >= 8) & (hod < 18)
        mix = (SOURCE_PRE + SOURCE_POST) / 2
        prof = (HOURS / HOURS.sum(axis=1, keepdims=True) * mix[:, None]).sum(axis=0)
        self.base = (WEEKDAY_VOLUME[weekday] * MONTHLY_VOLUME[month]
                     * (1 + 0.5 * clock.phase(self.t)) * prof[hod] * 24)
        self.month = month
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _line(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(cumulative capacity, backlog) on the hourly grid of one line."""
        if key in self.cache:
            return self.cache[key]
        w = self.world
        abbr = key.split("-")[1]
        kinds = w.categories["dept_kind"].to_numpy()
        mine = w.cat_abbr == abbr if abbr != "CJ" else np.ones(len(kinds), dtype=bool)
        season = np.mean([SEASONS[s] for s in w.categories["season"].to_numpy()[mine]], axis=0)
        arrive = self.base * season[self.month]
        k = DESK_STAFFING_DAYS * 24
        kernel = np.ones(k) / k
        staffed = np.convolve(np.pad(arrive, (k // 2, k - k // 2 - 1), mode="edge"), kernel,
                              mode="valid")
        office = np.where(self.office, 1.0, DESK_RATE_OFF)
        office = office / office.mean()
        traits = _keyed(key, 3)
        strength = 1.6 * traits[0] ** 1.5
        period = (25 + 70 * traits[1]) * DAY
        wave = np.sin(2 * np.pi * self.t / period + 2 * np.pi * traits[2])
        slow = np.exp(strength * np.clip(wave, 0, None) ** 2 - 0.2 * strength)
        cap = staffed * office / DESK_LOAD / slow ** DESK_SPELL
        backlog = np.empty(len(arrive))
        b = 0.0
        net = arrive - cap
        for i in range(len(net)):  # sequential recursion, hourly (~26k steps)
            backlog[i] = b
            b = max(0.0, b + net[i])
        out = (np.concatenate([[0.0], np.cumsum(cap)]), backlog)
        self.cache[key] = out
        return out

    def wait(self, lines: tuple[np.ndarray, np.ndarray], t: np.ndarray) -> np.ndarray:
        """Seconds each case handed to its line at ``t`` (seconds) waits for the desk;
        ``lines`` as :func:`_line_keys` gives them. The cases are grouped by line with one
        sort, not one comparison of every case per line."""
        names, codes = lines
        out = np.zeros(len(t))
        ok = np.flatnonzero(np.isfinite(t))
        order = ok[np.argsort(codes[ok], kind="stable")]
        for m in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
            if not len(m):
                continue
            cum, backlog = self._line(str(names[codes[m[0]]]))
            h = np.clip(t[m] / HOUR, 0, len(backlog) - 1)
            grid = np.arange(len(cum), dtype=float)
            have = np.interp(h, grid, cum) + np.interp(h, np.arange(len(backlog)), backlog)
            start = np.interp(have, cum, grid)
            out[m] = np.maximum(start - h, 0.0) * HOUR
        return out


class _World:
    """Geography and reference data as arrays, plus the sensors (they exist before cases)."""

    def __init__(self, geo, clock: _Clock, rng: np.random.Generator):
        grids = geo.grids.reset_index(drop=True)
        self.grid_code = grids["code"].to_numpy(dtype=object)
        self.grid_urban = grids["urban"].to_numpy(dtype=bool)
        self.grid_pop = grids["population"].to_numpy(dtype=float)
        self.grid_weight = self.grid_pop * np.where(self.grid_urban, 1.6, 1.0)
        self.sampler = PointSampler(grids.geometry)
        self.categories = pd.read_csv(REFERENCE / "categories.csv", dtype={"sensor_type": str})
        self.categories["sensor_type"] = self.categories["sensor_type"].fillna("")
        self.departments = pd.read_csv(REFERENCE / "departments.csv")
        abbr = dict(zip(self.departments["kind"], self.departments["abbr"], strict=True))
        self.cat_abbr = self.categories["dept_kind"].map(abbr).to_numpy(dtype=object)
        self.cat_deadline = self.categories["deadline_hours"].to_numpy(dtype=float)
        # each category's own handling-time shape (scale, spread, share that drags on),
        # drawn from its code so it does not move the other draws of the seed
        shape = np.array([_keyed(code, 3) for code in self.categories["code"]])
        self.cat_scale = np.exp((shape[:, 0] - 0.5) * 0.8)
        self.cat_sigma = 0.55 + 0.65 * shape[:, 1]
        self.cat_stuck = 0.003 + 0.035 * shape[:, 2] ** 2
        season = np.stack([SEASONS[s] for s in self.categories["season"]], axis=1)  # 12 x C
        human = self.categories[["w_patrol", "w_app", "w_hotline"]].to_numpy(dtype=float)
        video = self.categories["video"].to_numpy(dtype=float)
        affinity = np.column_stack([human, np.zeros(len(video)), video])  # C x 5
        self.cat_weights = season[:, None, :] * affinity.T[None, :, :]  # month x source x C
        self.cat_online = self.categories["major_code"].isin(["S06"]).to_numpy() | (
            self.categories["code"] == "S0202").to_numpy()
        self.sensors = self._sensors(clock, rng)

    def _sensors(self, clock: _Clock, rng: np.random.Generator) -> pd.DataFrame:
        types = list(SENSOR_TYPES)
        share = np.array([SENSOR_TYPES[t][0] for t in types])
        urban_only = np.array([SENSOR_TYPES[t][3] for t in types])
        per_grid = rng.poisson(np.where(self.grid_urban, 1.1, 0.35))
        grid_idx = np.repeat(np.arange(len(per_grid)), per_grid)
        n = len(grid_idx)
        type_idx = _choice(rng, share, n)
        rural = ~self.grid_urban[grid_idx] & urban_only[type_idx]
        type_idx[rural] = 0
        lon, lat = self.sampler.sample(grid_idx, rng)
        installed = clock.launch_s - 60 * DAY + rng.random(n) * 300 * DAY
        order = np.argsort(installed, kind="stable")
        frame = pd.DataFrame({
            "id": np.arange(1, n + 1, dtype=np.int64),
            "type_idx": type_idx[order],
            "grid_idx": grid_idx[order],
            "lon": lon[order],
            "lat": lat[order],
            "installed_s": np.floor(installed[order]),
        })
        frame["type"] = np.array(types, dtype=object)[frame["type_idx"]]
        frame["unit"] = [SENSOR_TYPES[t][1] for t in frame["type"]]
        frame["threshold"] = [SENSOR_TYPES[t][2] for t in frame["type"]]
        frame["grid_code"] = self.grid_code[frame["grid_idx"]]
        sensor_cat = {t: i for i, t in enumerate(self.categories["sensor_type"]) if t}
        frame["cat_idx"] = [sensor_cat[t] for t in frame["type"]]
        return frame


def _incident_batch(world: _World, clock: _Clock, rng, day_idx: np.ndarray, first_id: int,
                    desks: _Desks | None = None, rng_work=None):
    """Generate the incidents of some consecutive days (plus their hand-offs and surveys).

    ``rng`` draws everything the history had before the desks; ``rng_work`` (its own
    stream) draws only the waits on third parties, so arrivals (day, hour, source,
    category, grid) are the same rows for a seed with or without them."""
    n = len(day_idx)
    # reported time: day + hour by source profile + seconds
    t_day = day_idx * DAY
    p = clock.phase(t_day)
    month, weekday = clock.calendar(t_day)
    weekend = weekday >= 5
    src_p = SOURCE_PRE[None, :] * (1 - p)[:, None] + SOURCE_POST[None, :] * p[:, None]
    src_p = src_p * np.where(weekend[:, None], SOURCE_WEEKEND[None, :], 1.0)
    source = _row_choice(rng, src_p)
    hour = np.empty(n, dtype=np.int64)
    for s in range(len(SOURCES)):
        m = source == s
        hour[m] = _choice(rng, HOURS[s], int(m.sum()))
    t = t_day + hour * HOUR + rng.random(n) * HOUR
    late = t > clock.end_s
    t[late] = t_day[late] + rng.random(int(late.sum())) * np.maximum(
        clock.end_s - t_day[late], 0.0)
    p = clock.phase(t)

    # IoT cases happen at an installed sensor; fall back to a patrol without one
    sensors = world.sensors
    installed = sensors["installed_s"].to_numpy()
    iot = np.flatnonzero(source == IOT)
    available = np.searchsorted(installed, t[iot], side="right")
    source[iot[available == 0]] = PATROL
    keep = available > 0
    iot, available = iot[keep], available[keep]
    sensor_pick = np.floor(rng.random(len(iot)) * available).astype(np.int64)

    # category by source and month; grid by population; the point inside the grid
    category = np.empty(n, dtype=np.int64)
    for s in (PATROL, APP, HOTLINE, VIDEO):
        for mo in range(12):
            m = np.flatnonzero((source == s) & (month == mo))
            if len(m):
                category[m] = _choice(rng, world.cat_weights[mo, s], len(m))
    category[iot] = sensors["cat_idx"].to_numpy()[sensor_pick]
    grid = _choice(rng, world.grid_weight, n)
    grid[iot] = sensors["grid_idx"].to_numpy()[sensor_pick]
    lon, lat = world.sampler.sample(grid, rng)
    lon[iot] = sensors["lon"].to_numpy()[sensor_pick]
    lat[iot] = sensors["lat"].to_numpy()[sensor_pick]

    # how the case goes
    tier_p = TIER_BY_SOURCE[source].copy()
    tier_p[:, 0] += 0.10 * p  # 小事不出村: more settled in the village once the platform works
    tier = _row_choice(rng, tier_p)
    void = rng.random(n) < np.where(source == HOTLINE, 0.06, _lerp(0.05, 0.03, p))
    online = world.cat_online[category] & np.isin(source, (APP, HOTLINE)) & (
        rng.random(n) < _lerp(0.1, 0.45, p))
    deadline_h = world.cat_deadline[category]
    reg = rng.exponential(_lerp(6.0, 0.3, p)) * HOUR
    hop_mean = _lerp(8.0, 1.5, p) * HOUR
    hop_delays = [rng.exponential(hop_mean) * (tier > k) for k in range(3)]
    disp = rng.exponential(_lerp(5.0, 0.5, p)) * HOUR + sum(hop_delays)
    ratio = _lerp(0.4, 0.2, p)
    handle = deadline_h * HOUR * np.exp(rng.normal(np.log(ratio * world.cat_scale[category]),
                                                   world.cat_sigma[category]))
    # the hard cases (disputes, works that drag on): more common in some categories
    stuck = rng.random(n) < world.cat_stuck[category]
    handle = np.where(stuck, handle * rng.uniform(4, 15, n), handle)
    handle = np.where(online, handle * 0.2, handle)
    rework = (rng.random(n) < _lerp(0.10, 0.04, p)).astype(np.int64)
    rework += rework * (rng.random(n) < 0.12)
    extra = rework * deadline_h * HOUR * np.exp(rng.normal(np.log(0.2), 0.7, n))
    verify = rng.exponential(_lerp(8.0, 1.0, p)) * HOUR
    close = rng.exponential(_lerp(4.0, 0.3, p)) * HOUR

    t_reg = t + reg
    t_disp = t_reg + disp
    if desks is None:  # the history before the desks (kept for comparisons)
        handle = handle * _congestion(world, category, grid, tier, t)
    else:
        # the line's queue: the case waits until its department gets to it
        lines = _line_keys(world, category, grid, tier)
        queued = ~online & (deadline_h > URGENT_HOURS)
        handle = DESK_HANDS_ON * handle + np.where(queued, desks.wait(lines, t_disp), 0.0)
        # some kinds of work wait on a third party (owners, contractors, courts, labs)
        kinds = world.categories["dept_kind"].to_numpy()[category]
        share = np.array([THIRD_PARTY_KINDS.get(k, 0.0) for k in kinds])
        share = share * (0.5 + _keyed_column(world, "third-party"))[category]
        u = rng_work.random(n)
        z = rng_work.normal(0.0, 1.0, n)
        waits = (u < share) & ~online
        handle = handle + np.where(
            waits, deadline_h * HOUR * THIRD_PARTY_MEDIAN * np.exp(THIRD_PARTY_SIGMA * z), 0.0)
    t_hand = t_disp + handle + extra + rework * verify
    t_ver = t_hand + verify
    t_close = t_ver + close
    over = (t_hand - t_reg) / HOUR - deadline_h
    extend = (over > 0) & (rng.random(n) < 0.3)
    ext_h = np.where(extend, (np.ceil(over / 24) + 1) * 24, 0).astype(np.int64)
    stages = np.column_stack([t_reg, t_disp, t_hand, t_ver, t_close])
    stages[void] = np.nan
    stages[stages > clock.end_s] = np.nan
    stages = np.floor(stages)
    reached = np.isfinite(stages).sum(axis=1)
    status = np.where(void, 6, np.where(reached == 5, 5, reached))
    deadline = stages[:, 0] + (deadline_h + ext_h) * HOUR
    dispatched = np.isfinite(stages[:, 1])
    tier = np.where(void, 0, tier)
    rework = np.where(np.isfinite(stages[:, 2]), rework, 0)
    ext_h = np.where(np.isnan(deadline), 0, ext_h)

    transfer = dispatched & (rng.random(n) < 0.06)
    hops = np.where(dispatched, tier, 0)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    incidents = pd.DataFrame({
        "id": ids,
        "source": _labels(SOURCES, source),
        "category_code": _labels(world.categories["code"].to_numpy(), category),
        "grid_code": _labels(world.grid_code, grid),
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
        "reported_at": clock.stamp(np.floor(t)),
        "registered_at": clock.stamp(stages[:, 0]),
        "dispatched_at": clock.stamp(stages[:, 1]),
        "handled_at": clock.stamp(stages[:, 2]),
        "verified_at": clock.stamp(stages[:, 3]),
        "closed_at": clock.stamp(stages[:, 4]),
        "deadline_at": clock.stamp(deadline),
        "status": _labels(STATUSES, status),
        "is_void": void,
        "rework_count": rework.astype(np.int32),
        "extended_hours": ext_h.astype(np.int32),
        "tier": _labels(TIERS, tier),
        "abbr": _labels(world.cat_abbr, category),
        "dispatched": dispatched,
        "escalations": (hops + transfer).astype(np.int32),
        "handled_online": online & dispatched,
    })

    # hand-offs: village → town → county → city, then an occasional transfer
    rows = np.repeat(np.arange(n), hops)
    seq = np.arange(len(rows)) - np.repeat(np.cumsum(hops) - hops, hops)
    cum = np.cumsum(np.column_stack(hop_delays), axis=1)
    at_hop = t_reg[rows] + cum[rows, seq]
    trows = np.flatnonzero(transfer)
    esc = pd.DataFrame({
        "incident_id": np.concatenate([ids[rows], ids[trows]]),
        "seq": np.concatenate([seq + 1, hops[trows] + 1]).astype(np.int32),
        "escalated_at": clock.stamp(np.floor(np.minimum(
            np.concatenate([at_hop, stages[trows, 1] + 600]), clock.end_s))),
        "from_tier": _labels(TIERS, np.concatenate([seq, tier[trows]])),
        "to_tier": _labels(TIERS, np.concatenate([seq + 1, tier[trows]])),
        "grid_code": _labels(world.grid_code, np.concatenate([grid[rows], grid[trows]])),
        "from_abbr": _labels(np.array(["ZZ"]), np.zeros(len(rows) + len(trows), dtype=int)),
        "to_abbr": _labels(np.append(world.cat_abbr, "ZZ"), np.concatenate([
            np.where(seq + 1 == tier[rows], category[rows], len(world.cat_abbr)),
            category[trows]])),
        "kind": _labels(np.array(["上报上级", "转派"]), np.concatenate([
            np.zeros(len(rows), dtype=int), np.ones(len(trows), dtype=int)])),
    })
    esc = esc.sort_values(["incident_id", "seq"], kind="stable")

    # 回访: residents who reported are called back; patrol and sensor cases rarely
    closed = np.isfinite(stages[:, 4])
    asked = np.array([0.3, 0.95, 0.95, 0.05, 0.1])[source] * _lerp(0.6, 0.9, p)
    surveyed = closed & (rng.random(n) < asked)
    t_survey = stages[:, 4] + HOUR + rng.exponential(18 * HOUR, n)
    surveyed &= t_survey <= clock.end_s
    rated = rng.random(n) >= _lerp(0.18, 0.08, p)
    overdue = np.isfinite(stages[:, 2]) & (stages[:, 2] > deadline)
    good = _lerp(0.71, 0.945, p) - 0.12 * overdue - 0.08 * (rework > 0)
    u = rng.random(n)
    rating = np.where(u < good * 0.72, "满意", np.where(u < good, "基本满意", "不满意"))
    rating = np.where(rated, rating, None)
    s_idx = np.flatnonzero(surveyed)
    surveys = pd.DataFrame({
        "incident_id": ids[s_idx],
        "surveyed_at": clock.stamp(np.floor(t_survey[s_idx])),
        "channel": np.array(["电话", "短信", "小程序"], dtype=object)[
            _choice(rng, np.array([0.6, 0.2, 0.2]), len(s_idx))],
        "rating": rating[s_idx],
    })

    # the sensor alert behind each IoT case
    thr = sensors["threshold"].to_numpy()[sensor_pick]
    value = thr * rng.uniform(1.02, 1.8, len(iot))
    alerts = pd.DataFrame({
        "sensor_idx": sensor_pick,
        "at_s": np.maximum(np.floor(t[iot] - rng.uniform(60, 900, len(iot))), 0),
        "value": np.round(value, 2),
        "threshold": thr,
        "level": np.where(value > 1.4 * thr, "严重", "一般"),
        "handled_s": stages[iot, 2],
        "incident_id": ids[iot],
    })
    return incidents, esc, surveys, alerts


def _dimension_frames(geo, world: _World) -> dict[str, pd.DataFrame]:
    regions = pd.DataFrame(geo.regions.drop(columns="geometry"))
    regions["geometry"] = geo.regions.geometry.to_wkb()
    grids = pd.DataFrame(geo.grids.drop(columns="geometry"))
    grids["geometry"] = geo.grids.geometry.to_wkb()
    depts = []
    for r in geo.regions.itertuples():
        if r.level == "village":
            depts.append((f"D{r.short_code}-CJ", r.name, "village", r.code, "村居"))
            continue
        for d in world.departments.itertuples():
            label = {"city": d.city_name, "county": d.county_name, "town": d.town_name}[r.level]
            depts.append((f"D{r.short_code}-{d.abbr}", f"{r.name}{label}", r.level, r.code,
                          d.kind))
    departments = pd.DataFrame(depts, columns=["code", "name", "tier", "region_code", "kind"])
    # categories and the other reference lists come with the store (store.create_schema)
    return {"regions": regions, "grids": grids, "departments": departments}


def _hazards(world: _World, clock: _Clock, rng, count: int, first_id: int) -> pd.DataFrame:
    types = list(HAZARD_TYPES)
    t = np.sort(rng.random(count) * clock.end_s)
    month, weekday = clock.calendar(t)
    p = clock.phase(t)
    w = np.stack([HAZARD_TYPES[k][0] * SEASONS[HAZARD_TYPES[k][1]] for k in types], axis=1)
    kind = _row_choice(rng, w[month])
    grid = _choice(rng, world.grid_pop * np.where(world.grid_urban, 1.0, 1.3), count)
    lon, lat = world.sampler.sample(grid, rng)
    risk = _choice(rng, np.array([0.80, 0.16, 0.04]), count)
    limit = RISK_DEADLINE_DAYS[risk] * DAY
    fix = limit * np.exp(rng.normal(np.log(_lerp(0.6, 0.3, p)), 0.7))
    rectified = np.floor(t + fix)
    rectified[rectified > clock.end_s] = np.nan
    src_p = np.array([0.45, 0.25, 0.12, 0.18])[None, :] * np.column_stack(
        [np.ones(count), np.ones(count), p + 0.01, np.ones(count)])
    tier = np.where(risk == 2, "county", np.where(risk == 1, "town", "town"))
    abbr = world.departments.set_index("kind")["abbr"]
    return pd.DataFrame({
        "id": np.arange(first_id, first_id + count, dtype=np.int64),
        "type": np.array(types, dtype=object)[kind],
        "risk_level": RISK_LEVELS[risk],
        "grid_code": world.grid_code[grid],
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
        "source": HAZARD_SOURCES[_row_choice(rng, src_p)],
        "found_at": clock.stamp(np.floor(t)),
        "deadline_at": clock.stamp(np.floor(t + limit)),
        "rectified_at": clock.stamp(rectified),
        "tier": tier,
        "abbr": abbr.loc[[HAZARD_TYPES[types[k]][2] for k in kind]].to_numpy(),
    })


AREA_GROUPS = {"居民": 0.8, "商户": 0.12, "流动人口": 0.08}
AREA_CHANNELS = {"入户": 0.6, "线上问卷": 0.4}


def _area_surveys(geo, clock: _Clock, rng) -> pd.DataFrame:
    """群众满意度测评: every month survey teams ask residents of about one village in twelve
    how satisfied they are with grid work (around a dozen answers a village, on one day of
    the month), so each village is asked about once a year; a few answer 不了解 (no
    rating). Satisfaction rises with the platform, a little below the follow-up calls of
    closed cases, and each village keeps its own level."""
    villages = geo.regions.loc[geo.regions["level"] == "village", "short_code"].to_numpy(
        dtype=object)
    if not len(villages):
        return pd.DataFrame()
    village_effect = rng.normal(0.0, 0.05, len(villages))
    first = clock.t0.astype("datetime64[M]")
    last = np.datetime64(clock.end, "M")
    frames = []
    for month in np.arange(first, last + 1):
        start = float((month.astype("datetime64[s]") - clock.t0).astype(np.int64))
        days = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(int)
        picked = np.flatnonzero(rng.random(len(villages)) < 1 / 12)
        n = rng.poisson(12, len(picked))
        who = np.repeat(picked, n)
        day = np.repeat(rng.integers(0, days, len(picked)), n)
        t = start + day * DAY + rng.uniform(9, 17.5, len(who)) * HOUR
        keep = (t >= 0) & (t <= clock.end_s)
        who, t = who[keep], t[keep]
        good = np.clip(_lerp(0.74, 0.92, clock.phase(t)) + village_effect[who], 0.3, 0.99)
        u = rng.random(len(who))
        rating = np.where(u < good * 0.7, "满意", np.where(u < good, "基本满意", "不满意"))
        rating = np.where(rng.random(len(who)) < 0.05, None, rating)
        frames.append(pd.DataFrame({
            "area_code": villages[who], "t": t, "rating": rating,
            "respondent_group": np.array(list(AREA_GROUPS), dtype=object)[
                _choice(rng, np.array(list(AREA_GROUPS.values())), len(who))],
            "channel": np.array(list(AREA_CHANNELS), dtype=object)[
                _choice(rng, np.array(list(AREA_CHANNELS.values())), len(who))],
        }))
    out = pd.concat(frames, ignore_index=True).sort_values(["t", "area_code"], kind="stable")
    n = len(out)
    return pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=np.int64),
        "survey_no": [f"MY{i:08d}" for i in range(1, n + 1)],
        "area_code": out["area_code"].to_numpy(dtype=object),
        "surveyed_at": clock.stamp(np.floor(out["t"].to_numpy(dtype=float))),
        "rating": out["rating"].to_numpy(dtype=object),
        "respondent_group": out["respondent_group"].to_numpy(dtype=object),
        "channel": out["channel"].to_numpy(dtype=object),
    })


def _id_numbers(rng, county: np.ndarray, birth: np.ndarray, male: np.ndarray) -> list[str]:
    """18-digit resident ID numbers with a valid ISO 7064 MOD 11-2 check digit."""
    n = len(county)
    seq = rng.integers(0, 500, n) * 2 + male.astype(np.int64)
    body = [f"{c}{b}{s:03d}" for c, b, s in zip(county, birth, seq, strict=True)]
    digits = np.array([list(map(int, b)) for b in body], dtype=np.int64).reshape(n, 17)
    weights = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
    check = np.array(list("10X98765432"))[(digits * weights).sum(axis=1) % 11]
    return [b + c for b, c in zip(body, check, strict=True)]


def _key_persons(geo, world: _World, clock: _Clock, rng, share: float):
    cats = list(KEY_PERSON_CATEGORIES)
    count = int(round(world.grid_pop.sum() * share))
    cat = _choice(rng, np.array([KEY_PERSON_CATEGORIES[c][0] for c in cats]), count)
    bias = np.array([KEY_PERSON_CATEGORIES[c][3] for c in cats])
    grid = np.empty(count, dtype=np.int64)
    for i in range(len(cats)):
        m = np.flatnonzero(cat == i)
        w = world.grid_pop * np.where(world.grid_urban, bias[i], 1.0)
        grid[m] = _choice(rng, w, len(m))
    risk = np.empty(count, dtype=np.int64)
    birth_year = np.empty(count, dtype=np.int64)
    for i, c in enumerate(cats):
        m = np.flatnonzero(cat == i)
        lo, hi = KEY_PERSON_CATEGORIES[c][1]
        birth_year[m] = rng.integers(lo, hi + 1, len(m))
        risk[m] = _choice(rng, np.array(KEY_PERSON_CATEGORIES[c][2]), len(m))
    male = rng.random(count) < 0.5
    listed_before = rng.random(count) < 0.7
    registered = np.where(listed_before, -rng.random(count) * 5 * 365 * DAY,
                          rng.random(count) * clock.end_s)
    removed = registered + rng.exponential(6 * 365 * DAY, count)
    removed[(removed > clock.end_s) | (removed < 0)] = np.nan
    persons = pd.DataFrame({
        "id": np.arange(1, count + 1, dtype=np.int64),
        "grid_code": world.grid_code[grid],
        "category": np.array(cats, dtype=object)[cat],
        "risk_level": np.array(["低", "中", "高"], dtype=object)[risk],
        "gender": np.where(male, "男", "女"),
        "birth_year": birth_year.astype(np.int32),
        "visit_interval_days": VISIT_INTERVAL_DAYS[risk].astype(np.int32),
        "registered_at": clock.stamp(np.floor(registered)),
        "removed_at": clock.stamp(np.floor(removed)),
    })

    # clear personal data, kept in its own table
    names = geo.regions.set_index("code")["name"]
    village = persons["grid_code"].str.slice(0, 12)
    town = village.str.slice(0, 9) + "000"
    births = (np.datetime64("1970-01-01") + (
        (birth_year - 1970) * 365.25 + rng.integers(0, 365, count)).astype("timedelta64[D]"))
    birth_txt = pd.Series(births).dt.strftime("%Y%m%d").to_numpy()
    surname = np.array(SURNAMES, dtype=object)[rng.integers(0, len(SURNAMES), count)]
    given = np.array(GIVEN, dtype=object)
    g1 = given[rng.integers(0, len(given), count)]
    g2 = np.where(rng.random(count) < 0.6, given[rng.integers(0, len(given), count)], "")
    phone = [f"1{a}{b:09d}" for a, b in zip(
        rng.choice(list("35789"), count), rng.integers(0, 10**9, count), strict=True)]
    pii = pd.DataFrame({
        "person_id": persons["id"],
        "name": surname + g1 + g2,
        "id_number": _id_numbers(rng, village.str.slice(0, 6).to_numpy(), birth_txt, male),
        "phone": phone,
        "address": (names.reindex(town).to_numpy() + names.reindex(village + "").to_numpy()
                    + rng.integers(1, 30, count).astype(str) + "组"
                    + rng.integers(1, 120, count).astype(str) + "号"),
    })

    # due visits from listing (or the start of history) to removal (or the end)
    interval = VISIT_INTERVAL_DAYS[risk] * DAY
    first = np.maximum(registered, 0) + rng.random(count) * interval
    last = np.where(np.isnan(removed), clock.end_s, removed)
    dues = np.maximum(np.floor((last - first) / interval) + 1, 0).astype(np.int64)
    who = np.repeat(np.arange(count), dues)
    k = np.arange(len(who)) - np.repeat(np.cumsum(dues) - dues, dues)
    due = first[who] + k * interval[who]
    p = clock.phase(due)
    u = rng.random(len(who))
    on_time = u < _lerp(0.74, 0.95, p)
    late = ~on_time & (u < _lerp(0.88, 0.985, p))
    due_day = np.floor(due / DAY) * DAY
    offset = np.where(on_time, -rng.random(len(who)) * 2 * DAY,
                      rng.uniform(1, 1 + interval[who] / DAY / 2) * DAY)
    visited = due_day + offset + rng.uniform(8.5, 17.5, len(who)) * HOUR
    visited[~(on_time | late) | (visited > clock.end_s)] = np.nan
    visits = pd.DataFrame({
        "id": np.arange(1, len(who) + 1, dtype=np.int64),
        "person_id": persons["id"].to_numpy()[who],
        "grid_code": persons["grid_code"].to_numpy()[who],
        "due_date": clock.stamp(due_day).astype("datetime64[D]"),
        "visited_at": clock.stamp(np.floor(visited)),
        "kind": np.array(["上门走访", "电话随访", "视频随访"], dtype=object)[
            _choice(rng, np.array([0.7, 0.25, 0.05]), len(who))],
    }).sort_values(["due_date", "id"], kind="stable")
    visits["id"] = np.arange(1, len(visits) + 1, dtype=np.int64)
    return persons, pii, visits


def _sensor_tables(world: _World, clock: _Clock, rng, linked: list[pd.DataFrame], extra: int):
    """Sensors, their recent hourly readings, and all alerts (case-linked and not)."""
    s = world.sensors
    sensors = pd.DataFrame({
        "id": s["id"], "code": "IOT" + s["id"].astype(str).str.zfill(7), "type": s["type"],
        "grid_code": s["grid_code"], "lon": s["lon"].round(6), "lat": s["lat"].round(6),
        "unit": s["unit"], "threshold": s["threshold"],
        "installed_at": clock.stamp(s["installed_s"].to_numpy()),
    })
    sensors = sensors[s["installed_s"].to_numpy() <= clock.end_s]
    live = len(sensors)
    hours = 72
    base = rng.uniform(0.05, 0.45, live)
    at = np.floor(clock.end_s / HOUR) * HOUR - np.arange(hours)[::-1] * HOUR
    values = (base[:, None] * (1 + 0.15 * rng.standard_normal((live, hours)))).clip(0)
    readings = pd.DataFrame({
        "sensor_id": np.repeat(sensors["id"].to_numpy(), hours),
        "read_at": np.tile(clock.stamp(at), live),
        "value": np.round((values * sensors["threshold"].to_numpy()[:, None]).ravel(), 2),
    }).sort_values(["read_at", "sensor_id"], kind="stable")

    if live:
        pick = rng.integers(0, live, extra)
        start = s["installed_s"].to_numpy()[pick]
        at_s = np.floor(start + rng.random(extra) * (clock.end_s - start))
        thr = s["threshold"].to_numpy()[pick]
        value = thr * rng.uniform(1.0, 1.5, extra)
        handled = at_s + rng.exponential(_lerp(3.0, 0.4, clock.phase(at_s)) * HOUR)
        handled[handled > clock.end_s] = np.nan
        linked = [*linked, pd.DataFrame({
            "sensor_idx": pick, "at_s": at_s, "value": np.round(value, 2), "threshold": thr,
            "level": np.where(value > 1.4 * thr, "严重", "一般"), "handled_s": handled,
            "incident_id": pd.array([pd.NA] * extra, dtype="Int64"),
        })]
    alerts = pd.concat(linked, ignore_index=True) if linked else pd.DataFrame()
    if len(alerts):
        alerts = alerts.sort_values("at_s", kind="stable").reset_index(drop=True)
        alerts = pd.DataFrame({
            "id": np.arange(1, len(alerts) + 1, dtype=np.int64),
            "sensor_id": s["id"].to_numpy()[alerts["sensor_idx"].to_numpy()],
            "grid_code": s["grid_code"].to_numpy()[alerts["sensor_idx"].to_numpy()],
            "alerted_at": clock.stamp(alerts["at_s"].to_numpy(dtype=float)),
            "value": alerts["value"].to_numpy(dtype=float),
            "threshold": alerts["threshold"].to_numpy(dtype=float),
            "level": alerts["level"].to_numpy(dtype=object),
            "handled_at": clock.stamp(alerts["handled_s"].to_numpy(dtype=float)),
            "incident_id": alerts["incident_id"].astype("Int64"),
        })
    return sensors, readings, alerts


def _insert(con, table: str, frame: pd.DataFrame, query: str | None = None) -> None:
    """Append ``frame`` to ``table``, through ``queries/<query>.sql`` when columns are derived."""
    con.register("batch", frame)
    try:
        if query:
            con.execute(sql(query))
        else:
            cols = ", ".join(frame.columns)
            con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM batch")
    finally:
        con.unregister("batch")


def build_demo(path: str | Path, spec: DemoSpec, progress: bool = True,
               memory_limit: str = BUILD_MEMORY_LIMIT) -> dict:
    """Build a complete demo store at ``path``, atomically replacing any existing one.

    Parameters
    ----------
    path : path
        Target DuckDB file. The new store is written beside it and renamed over it only when
        complete, so an existing store is never left half-written.
    spec : DemoSpec
        Size, seed, city and time span.
    progress : bool
        Show progress bars on stderr.
    memory_limit : str
        DuckDB's memory limit while it builds (``'3GB'`` by default, so a build beside a
        server leaves it room). Above it the large sorts of the summary refresh spill to
        disk beside the store: a 100M build spills tens of GB at 3 GB.

    Returns
    -------
    dict
        Row counts per table and the time span, for the command line summary.
    """
    spec.validate()
    path = Path(path)
    clock = _Clock(spec.resolved_end(), spec.years)
    seeds = np.random.SeedSequence(spec.seed).spawn(6)
    rng_world, rng_inc, rng_haz, rng_kp, rng_iot, rng_area = (np.random.default_rng(s)
                                                              for s in seeds)
    bar = tqdm(total=spec.incidents, disable=not progress, unit="件", unit_scale=True,
               desc="演示数据 demo", dynamic_ncols=True)
    bar.set_postfix_str("地理 geography")
    geo = build_geography(spec.city, seed=spec.seed)
    world = _World(geo, clock, rng_world)
    desks = _Desks(world, clock)
    # its own stream (the seed's 7th child): the six above draw the same numbers as before
    rng_work = np.random.default_rng(np.random.SeedSequence(spec.seed, spawn_key=(6,)))
    counts: dict[str, int] = {}
    with building(path, memory_limit=memory_limit) as con:
        for table, frame in _dimension_frames(geo, world).items():
            _insert(con, table, frame)
            counts[table] = len(frame)
        bar.set_postfix_str("事件 incidents")

        days = np.arange(clock.days)
        _, weekday = clock.calendar(days * DAY)
        month, _ = clock.calendar(days * DAY)
        weight = WEEKDAY_VOLUME[weekday] * MONTHLY_VOLUME[month] * (
            1 + 0.5 * clock.phase(days * DAY))
        weight[-1] *= min(1.0, (clock.end_s - days[-1] * DAY) / DAY)
        per_day = rng_inc.multinomial(spec.incidents, weight / weight.sum())
        spans, start, first_id = [], 0, 1
        while start < clock.days:
            stop, size = start, 0
            while stop < clock.days and (size == 0 or size + per_day[stop] <= spec.batch):
                size += per_day[stop]
                stop += 1
            if size:
                spans.append((np.repeat(days[start:stop], per_day[start:stop]), first_id))
                first_id += size
            start = stop

        def generate(span):
            day_idx, first = span
            inc, esc, surv, alerts = _incident_batch(world, clock, rng_inc, day_idx, first,
                                                     desks, rng_work)
            inc = inc.sort_values("reported_at", kind="stable")
            remap = pd.Series(np.arange(first, first + len(day_idx), dtype=np.int64),
                              index=inc["id"].to_numpy())
            inc["id"] = remap.to_numpy()
            esc["incident_id"] = remap.loc[esc["incident_id"].to_numpy()].to_numpy()
            surv["incident_id"] = remap.loc[surv["incident_id"].to_numpy()].to_numpy()
            alerts["incident_id"] = remap.loc[alerts["incident_id"].to_numpy()].to_numpy()
            return inc, esc, surv.sort_values("surveyed_at", kind="stable"), alerts

        # one thread generates the next batch while this one inserts the last (DuckDB works
        # without the GIL): the batches are still drawn one after another, in order, from
        # the same generators, so the rows are those of a sequential build
        n_esc, n_surv, linked = 0, 0, []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-gen") as pool:
            ahead = pool.submit(generate, spans[0]) if spans else None
            for k in range(len(spans)):
                inc, esc, surv, alerts = ahead.result()
                ahead = pool.submit(generate, spans[k + 1]) if k + 1 < len(spans) else None
                _insert(con, "incidents", inc, Q.DEMO_INSERT_INCIDENTS)
                _insert(con, "escalations", esc, Q.DEMO_INSERT_ESCALATIONS)
                _insert(con, "surveys", surv)
                linked.append(alerts)
                n_esc += len(esc)
                n_surv += len(surv)
                bar.update(len(inc))
        counts.update(incidents=int(first_id - 1), escalations=n_esc, surveys=n_surv)

        bar.set_postfix_str("物联 sensors")
        extra_alerts = int(sum(len(a) for a in linked) * 1.5)
        sensors, readings, alerts = _sensor_tables(world, clock, rng_iot, linked, extra_alerts)
        _insert(con, "sensors", sensors)
        _insert(con, "sensor_readings", readings)
        if len(alerts):
            _insert(con, "sensor_alerts", alerts)
        counts.update(sensors=len(sensors), sensor_readings=len(readings),
                      sensor_alerts=len(alerts))

        bar.set_postfix_str("隐患 hazards")
        hazards = _hazards(world, clock, rng_haz, int(spec.incidents * spec.hazard_ratio), 1)
        _insert(con, "hazards", hazards, Q.DEMO_INSERT_HAZARDS)
        counts["hazards"] = len(hazards)

        bar.set_postfix_str("重点人群 key persons")
        persons, pii, visits = _key_persons(geo, world, clock, rng_kp, spec.key_person_share)
        _insert(con, "key_persons", persons)
        _insert(con, "key_person_pii", pii)
        _insert(con, "visits", visits)
        counts.update(key_persons=len(persons), visits=len(visits))

        bar.set_postfix_str("满意度测评 area surveys")
        area = _area_surveys(geo, clock, rng_area)
        if len(area):
            _insert(con, "area_surveys", area)
        counts["area_surveys"] = len(area)

        # statement by statement, not one transaction: the new file replaces the store only
        # when complete (``building``), and a 100M refresh held in one transaction keeps
        # every table's uncommitted rows until a commit at its very end
        refresh_summaries(con, transaction=False)
        bar.set_postfix_str("风险模型 at-risk model")
        risk = update_foresight(con, asof=clock.end)
        counts["foresight_scores"] = risk["scored"]
        counts["surge_alerts"] = update_surge(con, asof=clock.end)["alerts"]
        meta = {
            "city": spec.city, "seed": str(spec.seed), "demo_incidents": str(spec.incidents),
            "history_start": str(clock.t0).replace("T", " "),
            "history_end": clock.end.isoformat(sep=" "),
            "platform_launch": str(clock.stamp(np.array([clock.launch_s]))[0]).replace("T", " "),
            "built_at": now_in(TZ).isoformat(sep=" ", timespec="seconds"),
        }
        _insert(con, "meta", pd.DataFrame({"key": list(meta), "value": list(meta.values())}))
    bar.close()
    counts["history"] = f"{clock.t0.astype('datetime64[D]')} .. {clock.end:%Y-%m-%d %H:%M}"
    return counts


def checksums(con) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every table (meta without build time and
    store id).

    Two stores built from the same ``DemoSpec`` (at a fixed ``end``) have equal checksums.
    DOUBLE and REAL columns are hashed at single precision: the summary tables' DOUBLE sums
    (``timeliness_city``, ``satisfaction_city``, ``linkage_city``) are added in the order
    DuckDB's threads meet their rows, so two builds differ in their last bits; a value
    lands on the other side of a single-precision rounding with odds of about 1e-9.
    Table and column names come from the store's own catalogue, never from input.
    """
    tables = [r[0] for r in con.execute(sql(Q.STORE_LIST_TABLES)).fetchall()]
    floats = {"DOUBLE", "FLOAT", "REAL"}
    out = {}
    for table in tables:
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = $t AND table_schema = 'main' ORDER BY ordinal_position",
            {"t": table}).fetchall()
        row = ", ".join(f'CAST("{c}" AS FLOAT)' if kind in floats else f'"{c}"'
                        for c, kind in columns)
        where = "WHERE key NOT IN ('built_at', 'store_id')" if table == "meta" else ""
        n, h = con.execute(
            f'SELECT count(*), coalesce(sum(hash({row})), 0) FROM "{table}" t {where}'
        ).fetchone()
        out[table] = (int(n), int(h))
    return out
