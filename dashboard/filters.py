"""The analyst filter state: one value object, read from and written to the URL.

Every analysis page shares it, so a link reopens exactly the same view and the filters
carry across pages. The URL is untrusted input like any other: :meth:`Filters.from_query`
validates every field against whitelists and patterns and raises ``ValueError`` with a
message naming the field; the region is narrowed against the user's jurisdiction by the
caller (:func:`dashboard.access.narrow`) before anything is read. Categories, sources,
hazard types and key-person categories are checked against the store's own vocabularies
(:class:`dashboard.taxonomy.Vocab`, read on the server); statuses, risk levels and sensor
types are workflow values fixed by the code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlencode

from dashboard import taxonomy
from dashboard.access import narrow
from dashboard.i18n import t
from dashboard.kpi.scope import Scope
from dashboard.periods import FILTER_PERIODS, filter_span

PERIODS = FILTER_PERIODS
DEFAULT_PERIOD = "30d"
STATUSES = taxonomy.STATUSES
RISK_LEVELS = taxonomy.RISK_LEVELS
SENSOR_TYPES = ("烟感", "燃气", "水位", "井盖位移", "电气火灾", "高空抛物")
MAX_CUSTOM_DAYS = 366 * 5
_GRID = re.compile(r"[0-9]{15}")
_REGION = re.compile(r"[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15}")
MAX_ITEMS = 200  # per list field: a URL naming thousands of grids is not a view, it's a probe


# Fields of the thematic pages: (URL parameter, attribute, allowed values: a tuple fixed by
# the code, or the name of a store vocabulary).
DOMAIN_FIELDS = (
    ("htype", "hazard_types", "hazard_type"),
    ("risk", "risks", RISK_LEVELS),
    ("pcat", "person_categories", "key_person_category"),
    ("stype", "sensor_types", SENSOR_TYPES),
)


class FilterError(ValueError):
    """A malformed filter in a link. ``str()`` is the English text (HTTP error bodies, the
    log); :meth:`text` says it in the page's language (``filter.error.<key>``)."""

    def __init__(self, key: str, **values):
        self.key, self.values = key, values
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        return t(f"filter.error.{self.key}", lang, **self.values)


def _split(values) -> list[str]:
    out = []
    for value in values:
        out.extend(v for v in str(value).split(",") if v)
    return out


def _checked(name: str, values, allowed=None, pattern=None) -> tuple[str, ...]:
    items = _split(values)
    if len(items) > MAX_ITEMS:
        raise FilterError("too_many", name=name, n=MAX_ITEMS)
    for item in items:
        if allowed is not None and item not in allowed:
            raise FilterError("unknown", name=name, value=repr(item[:40]))
        if pattern is not None and not pattern.fullmatch(item):
            raise FilterError("malformed", name=name, value=repr(item[:40]))
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class Filters:
    """What an analyst is looking at.

    Attributes
    ----------
    period : str
        One of :data:`PERIODS`; ``custom`` uses ``date_from`` and ``date_to``.
    region : str
        Short code or grid code to narrow to ('' = the user's whole jurisdiction).
    majors, minors : tuple of str
        Category filters: 大类 codes (``S01``) and 小类 codes (``S0101``); a case passes
        when it is in any listed 大类 or any listed 小类.
    sources, statuses : tuple of str
        Reporting channels (the store's ``incident_source`` list) and case statuses
        (:data:`STATUSES`).
    grids : tuple of str
        Grids picked on the map (15-digit codes).
    hazard_types, risks : tuple of str
        隐患 types and risk levels (the hazards page).
    person_categories : tuple of str
        重点人群 categories (the key-population page).
    sensor_types : tuple of str
        Sensor types (the IoT page).
    """

    period: str = DEFAULT_PERIOD
    date_from: date | None = None
    date_to: date | None = None
    region: str = ""
    majors: tuple[str, ...] = field(default_factory=tuple)
    minors: tuple[str, ...] = field(default_factory=tuple)
    sources: tuple[str, ...] = field(default_factory=tuple)
    statuses: tuple[str, ...] = field(default_factory=tuple)
    grids: tuple[str, ...] = field(default_factory=tuple)
    hazard_types: tuple[str, ...] = field(default_factory=tuple)
    risks: tuple[str, ...] = field(default_factory=tuple)
    person_categories: tuple[str, ...] = field(default_factory=tuple)
    sensor_types: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_query(cls, query: str | Mapping, vocab=None, con=None) -> Filters:
        """Parse ``?period=30d&region=320612&major=S01,S04…`` (or a parsed mapping).

        ``vocab`` (:class:`dashboard.taxonomy.Vocab`) holds the store's categories,
        sources, hazard types and key-person categories the values must be among; by
        default that of ``con`` if given, else of the store the current request's app
        serves (:func:`dashboard.taxonomy.current`).

        With ``con`` (the store), ``region`` may be any code
        :func:`dashboard.levels.resolve` takes (a source code such as ``D01-P003``, a
        12-digit padded code) and is replaced by the internal code; without it, only an
        internal code is accepted.

        Raises
        ------
        ValueError
            On an unknown period, a malformed date, code or list value, a region the
            store does not know, or a custom range that is reversed or longer than five
            years.
        """
        if isinstance(query, str):
            args = parse_qs(query.lstrip("?"), keep_blank_values=False)
        else:
            args = {k: v if isinstance(v, list | tuple) else [v] for k, v in query.items()
                    if v not in (None, "")}

        def one(name: str) -> str:
            values = args.get(name) or [""]
            return str(values[-1])

        period = one("period") or DEFAULT_PERIOD
        if period not in PERIODS:
            raise FilterError("period", choices=", ".join(PERIODS))
        date_from = date_to = None
        if period == "custom":
            try:
                date_from = date.fromisoformat(one("from"))
                date_to = date.fromisoformat(one("to"))
            except ValueError:
                raise FilterError("dates") from None
            if date_from > date_to:
                raise FilterError("order")
            if (date_to - date_from).days > MAX_CUSTOM_DAYS:
                raise FilterError("span")
        region = one("region").strip()
        if region and con is not None:
            from dashboard.levels import resolve

            found = resolve(con, region, must_exist=False)
            region = found.code
        if region and not _REGION.fullmatch(region):
            raise FilterError("region", value=repr(region[:40]))
        if vocab is None and con is not None:
            from dashboard.taxonomy import vocab as store_vocab

            vocab = store_vocab(con)
        elif vocab is None:
            from dashboard.taxonomy import current

            vocab = current()
        return cls(
            period=period, date_from=date_from, date_to=date_to, region=region,
            majors=_checked("major", args.get("major", []), allowed=set(vocab.majors)),
            minors=_checked("minor", args.get("minor", []), allowed=set(vocab.minors)),
            sources=_checked("source", args.get("source", []),
                             allowed=set(vocab.codes("incident_source"))),
            statuses=_checked("status", args.get("status", []), allowed=STATUSES),
            grids=_checked("grid", args.get("grid", []), pattern=_GRID),
            **{attr: _checked(name, args.get(name, []), allowed=set(vocab.codes(allowed))
                              if isinstance(allowed, str) else allowed)
               for name, attr, allowed in DOMAIN_FIELDS},
        )

    def to_query(self) -> str:
        """The URL query (``?…``, '' for the defaults), in a stable order."""
        pairs: list[tuple[str, str]] = []
        if self.period != DEFAULT_PERIOD:
            pairs.append(("period", self.period))
        if self.period == "custom" and self.date_from and self.date_to:
            pairs += [("from", self.date_from.isoformat()), ("to", self.date_to.isoformat())]
        if self.region:
            pairs.append(("region", self.region))
        for name, values in (("major", self.majors), ("minor", self.minors),
                             ("source", self.sources), ("status", self.statuses),
                             ("grid", self.grids),
                             *((name, getattr(self, attr)) for name, attr, _ in DOMAIN_FIELDS)):
            if values:
                pairs.append((name, ",".join(values)))
        return "?" + urlencode(pairs, safe=",") if pairs else ""

    def with_(self, **changes) -> Filters:
        """A copy with some fields changed (lists as tuples)."""
        changes = {k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()}
        return replace(self, **changes)

    def span(self, today: date) -> tuple[date, date]:
        """The period as inclusive dates."""
        return filter_span(today, self.period, self.date_from, self.date_to)

    def scope(self, user: Scope) -> Scope:
        """The user's scope narrowed to the filter's region; grids must lie inside it.

        Raises ``dashboard.access.Forbidden`` for anything outside the jurisdiction.
        """
        scope = narrow(user, self.region or None)
        for grid in self.grids:
            narrow(scope, grid)
        return scope

    def params(self, user: Scope, today: date, incidents: bool = True) -> dict:
        """The bound parameters of the ``cases_*`` queries (None = no filter); with
        ``incidents=False`` only scope, period and grids (the other pages add their own)."""
        scope = self.scope(user)
        d0, d1 = self.span(today)
        start = datetime.combine(d0, datetime.min.time())
        end = datetime.combine(d1 + timedelta(days=1), datetime.min.time())
        return {
            "prefix": scope.prefix, "start": start, "end": end,
            "grids": list(self.grids) or None,
        } | ({} if not incidents else {
            "majors": list(self.majors) or None, "minors": list(self.minors) or None,
            "sources": list(self.sources) or None, "statuses": list(self.statuses) or None,
        })
