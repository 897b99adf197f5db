"""The words of the stored foresight results, per language, at read time.

A scoring run stores what it found as structured parts (``foresight_scores.reason_parts``,
migration 020, JSON): for an at-risk case a list of reasons, each a ``code`` and its
numbers (:func:`risk_reasons`); for a surge alert the region, the 大类 and the counts
(:func:`surge_evidence`). The screens render them in the request's language through
:mod:`dashboard.i18n` (the ``reason.*`` messages); the Chinese rendering is the text the
run also stores in ``reasons``, byte for byte. A row stored before migration 020 has no
parts and reads as its stored (Chinese) text (:func:`stored_reasons`).

The at-risk title of the overview's alert list (小类 and probability) is built here too
(:func:`risk_title`), not in SQL.
"""

from __future__ import annotations

import json
import math

import numpy as np

from dashboard.i18n import normalize, t, value

RISK_CODES = ("slack", "base", "desk", "load", "queue", "dept", "when")
"""The at-risk reason codes, in the order a run lists them."""


def hours(value: float, lang: str = "zh") -> str:
    """A duration of the reasons: whole hours under 48, else days to one decimal."""
    if value < 48:
        return t("reason.hours", lang, n=value)
    return t("reason.days", lang, n=value / 24)


def _risk_part(part: dict, lang: str) -> str:
    code = part["code"]
    if code == "slack":
        return t("reason.slack", lang, left=hours(part["slack_h"], lang),
                 frac=min(part["frac"], 9.99))
    if code == "base":
        return t("reason.base", lang, stage=t(f"reason.stage.{part['stage']}", lang),
                 hours=hours(part["base_h"], lang))
    if code == "desk":
        return t("reason.desk", lang, ahead=part["ahead"], days=part["days"],
                 rate=part["rate_day"], backlog=hours(part["backlog_h"], lang),
                 in_stage=hours(part["in_stage_h"], lang))
    if code == "load":
        return t("reason.load", lang, queue=part["queue"], usual=part["usual"],
                 factor=part["factor"])
    if code == "queue":
        return t("reason.queue", lang, queue=part["queue"])
    if code == "dept":
        return t("reason.dept_slow" if part["slow"] else "reason.dept_fast", lang,
                 factor=part["factor"])
    if code == "when":
        return t("reason.when", lang, when=t(f"reason.when.{part['when']}", lang),
                 factor=part["factor"])
    raise ValueError(f"unknown at-risk reason code {code!r}")


def risk_reasons(parts: list[dict], lang: str = "zh") -> str:
    """The reasons of one at-risk score (its stored parts) in ``lang``."""
    return t("reason.sep", lang).join(_risk_part(p, lang) for p in parts)


def surge_evidence(parts: dict, lang: str = "zh") -> str:
    """A surge alert's evidence (its stored parts) in ``lang``: 网格X 噪声扰民 近3日 14 件，
    基线 2.1 件/日（约 2.2 倍）. The 大类 reads in English where the store names it."""
    window, observed, per_day = parts["window"], parts["observed"], parts["per_day"]
    ratio = observed / (per_day * window) if per_day > 0 else float("inf")
    times = t("reason.surge_times", lang, ratio=ratio) if np.isfinite(ratio) else ""
    major = parts["major"]
    if normalize(lang) == "en" and parts.get("major_en"):
        major = parts["major_en"]
    return t("reason.surge", lang, region=parts["region"], major=major, window=window,
             observed=observed, per_day=per_day, times=times)


def stored_reasons(kind: str, parts: str | None, text: str | None, lang: str = "zh") -> str:
    """The reasons of a stored row in ``lang``: rendered from ``parts`` (the JSON of
    ``reason_parts``), or the stored ``text`` for a row without them (stored before
    migration 020)."""
    if parts is None or (isinstance(parts, float) and parts != parts) or parts == "":
        return text or ""
    got = json.loads(parts)
    return surge_evidence(got, lang) if kind == "surge" else risk_reasons(got, lang)


def percent(probability: float) -> int:
    """``round(100 * p)`` as DuckDB rounds a DOUBLE (half away from zero), the figure the
    at-risk title has always shown."""
    x = 100.0 * float(probability)
    whole = math.floor(abs(x))
    if abs(x) - whole >= 0.5:
        whole += 1
    return int(math.copysign(whole, x))


def risk_title(minor: str, probability: float, lang: str = "zh",
               minor_en: str | None = None) -> str:
    """An at-risk item's title on the alert list: 小类 超期概率 83% (the 小类's English
    name in English where the store has one)."""
    name = minor_en if normalize(lang) == "en" and minor_en else minor
    return t("reason.risk_title", lang, minor=name, p=percent(probability))


def item_title(row, lang: str = "zh") -> str:
    """The title of an alert item (overview alert list, critical alert) in ``lang``: an
    at-risk case's from its 小类 and probability, a surge alert's from its stored parts; in
    English an overdue or due-soon case's 小类, a major hazard's type (``title_en``: the
    store's English name, where it has one) and a sensor alert's type (the catalogue's
    ``value.stype``) in English; anything else as the query gave it (the stored name)."""
    kind = row.get("kind")
    parts = row.get("parts")
    if kind in ("at_risk", "surge") and isinstance(parts, str) and parts:
        got = json.loads(parts)
        if kind == "at_risk":
            return risk_title(got["minor"], got["p"], lang, got.get("minor_en"))
        return surge_evidence(got, lang)
    title = row.get("title") or ""
    if normalize(lang) != "en":
        return title
    en = row.get("title_en")
    en = en if isinstance(en, str) and en else None
    if kind in ("overdue", "due_soon") and en:
        return en
    if kind == "major_hazard" and en:
        return t("alert.hazard_title", lang, type=en)
    if kind == "iot" and title.endswith("告警"):
        stype = title[:-2]
        named = value("stype", stype, lang)
        if named != stype:
            return t("alert.sensor_title", lang, type=named)
    return title


__all__ = ["RISK_CODES", "hours", "item_title", "percent", "risk_reasons", "risk_title",
           "stored_reasons", "surge_evidence"]
