"""Record kinds: their fields, natural keys, rules, target tables and summaries.

Everything here is fixed by the code, never by input: the SQL fragments below are rule
conditions over the typed staging columns (``t.<field>``) that ``validate.py`` composes into
one vectorised query; values from files are bound or joined, never formatted into SQL.
A rule's condition is true for a *bad* row. Rules are checked in order and the first one a
row breaks is recorded (docs/ingest.md lists them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboard import taxonomy
from queries import names as Q

TYPES = ("str", "ts", "date", "double", "int", "bool")

# Generic quarantine rules of every kind (docs/ingest.md), besides the typing rules:
# - implausible_time: a time or date before the earliest plausible one (the setting
#   ``ingest_earliest``, a mapping's ``[rules] earliest``, else this default);
# - negative_value: a count or duration below its field's minimum (``Kind.minimums``);
# - number_out_of_range: an integer that does not fit its column (INTEGER);
# - control_characters: C0 controls but TAB, LF and CR, or DEL, in any text field.
EARLIEST = "1990-01-01"
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # an RE2 pattern


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "str"
    required: bool = False


@dataclass(frozen=True)
class Kind:
    """What a record kind needs.

    Attributes
    ----------
    key : tuple of str
        The natural key: a row with a key already stored updates it (upsert).
    point : bool
        Rows carry a location (``grid_code`` and/or ``lon``/``lat``); the grid is assigned by
        point-in-polygon where the code is missing.
    rules : tuple of (rule, column, condition)
        Kind-specific checks after the generic ones (null key, missing value, unparseable
        value, future time).
    enums : dict
        Field → allowed values of a workflow field, fixed by the code (status, tier, risk
        levels, ratings: the code gives them meaning).
    vocab : dict
        Field → the store vocabulary its values must belong to: a field of the
        ``taxonomy`` table (``unknown_value``), or ``category`` / ``department`` (the
        ``categories`` / ``departments`` tables, kind rules ``unknown_category`` /
        ``unknown_department``). A mapping's ``[taxonomy] add_unknown`` adds a missing
        value instead of quarantining the row (dashboard/taxonomy.py).
    single_batch : bool
        A file is one batch whatever ``batch_rows`` says (derived keys number rows over
        the whole file).
    key_query : str, optional
        A query run right after the typing step that completes ``ingest_typed`` (derived
        keys, normalised codes).
    summaries : tuple of str
        Grid-level summary tables the kind feeds (refreshed incrementally after a batch).
    """

    name: str
    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    point: bool = True
    rules: tuple[tuple[str, str, str], ...] = ()
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    summaries: tuple[str, ...] = ()
    future_fields: tuple[str, ...] = ()
    # field → smallest allowed value (``negative_value`` below it)
    minimums: dict[str, int] = field(default_factory=dict)
    vocab: dict[str, str] = field(default_factory=dict)
    single_batch: bool = False
    key_query: str | None = None

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


RATINGS = taxonomy.RATINGS

_POINT = (Field("grid_code"), Field("region_code"), Field("lon", "double"),
          Field("lat", "double"))

INCIDENTS = Kind(
    name="incidents",
    table="incidents",
    fields=(
        Field("case_no", required=True), Field("source", required=True),
        Field("category_code", required=True), *_POINT,
        Field("reported_at", "ts", True), Field("registered_at", "ts"),
        Field("dispatched_at", "ts"), Field("handled_at", "ts"), Field("verified_at", "ts"),
        Field("closed_at", "ts"), Field("deadline_at", "ts"), Field("status"),
        Field("is_void", "bool"), Field("rework_count", "int"),
        Field("extended_hours", "int"), Field("tier"), Field("dept_code"),
        Field("escalations", "int"), Field("handled_online", "bool"),
        # the case's own time limit in days (办理时限(天)): deadline_at = 立案 + days + 延期
        # when no deadline_at is given; empty: the category's limit. Not stored itself.
        Field("deadline_days", "double"),
    ),
    key=("case_no",),
    rules=(
        ("unknown_category", "category_code",
         "t.category_code NOT IN (SELECT code FROM categories)"),
        ("registered_before_reported", "registered_at", "t.registered_at < t.reported_at"),
        ("closed_before_reported", "closed_at", "t.closed_at < t.reported_at"),
        ("closed_before_registered", "closed_at", "t.closed_at < t.registered_at"),
        ("unknown_department", "dept_code",
         "t.dept_code IS NOT NULL AND t.dept_code NOT IN (SELECT code FROM departments)"),
    ),
    enums={
        "tier": taxonomy.TIERS,
        "status": taxonomy.STATUSES,
    },
    summaries=("incident_daily", "incident_monthly", "escalation_daily", "survey_daily"),
    future_fields=("reported_at", "registered_at", "dispatched_at", "handled_at",
                   "verified_at", "closed_at"),
    minimums={"rework_count": 0, "extended_hours": 0, "escalations": 0, "deadline_days": 0},
    vocab={"source": "incident_source", "category_code": "category",
           "dept_code": "department"},
)

HAZARDS = Kind(
    name="hazards",
    table="hazards",
    fields=(
        Field("hazard_no", required=True), Field("type", required=True),
        Field("risk_level", required=True), *_POINT, Field("source", required=True),
        Field("found_at", "ts", True), Field("deadline_at", "ts", True),
        Field("rectified_at", "ts"), Field("dept_code"),
    ),
    key=("hazard_no",),
    rules=(
        ("deadline_before_found", "deadline_at", "t.deadline_at < t.found_at"),
        ("rectified_before_found", "rectified_at", "t.rectified_at < t.found_at"),
        ("unknown_department", "dept_code",
         "t.dept_code IS NOT NULL AND t.dept_code NOT IN (SELECT code FROM departments)"),
    ),
    enums={"risk_level": taxonomy.RISK_LEVELS},
    summaries=("hazard_daily",),
    future_fields=("found_at", "rectified_at"),
    vocab={"type": "hazard_type", "source": "hazard_source", "dept_code": "department"},
)

KEY_PERSONS = Kind(
    name="key_persons",
    table="key_persons",
    fields=(
        Field("id_number", required=True), Field("name", required=True),
        Field("phone"), Field("address"), *_POINT,
        Field("category", required=True), Field("risk_level", required=True),
        Field("visit_interval_days", "int"), Field("registered_at", "ts", True),
        Field("removed_at", "ts"),
    ),
    key=("id_number",),
    rules=(
        ("invalid_id_number", "id_number", "NOT ingest_id_number_ok(t.id_number)"),
        ("removed_before_registered", "removed_at", "t.removed_at < t.registered_at"),
    ),
    enums={"risk_level": ("低", "中", "高")},
    summaries=("key_person_daily",),
    future_fields=("registered_at", "removed_at"),
    minimums={"visit_interval_days": 1},
    vocab={"category": "key_person_category"},
)

SENSOR_READINGS = Kind(
    name="sensor_readings",
    table="sensor_readings",
    fields=(Field("sensor_code", required=True), Field("read_at", "ts", True),
            Field("value", "double", True)),
    key=("sensor_code", "read_at"),
    point=False,
    rules=(("unknown_sensor", "sensor_code",
            "t.sensor_code NOT IN (SELECT code FROM sensors)"),),
    future_fields=("read_at",),
)

# 走访 as the grid app exports them: the person by 居民身份证号 (our person ids are internal;
# the app knows persons by ID number, as key_persons are imported) and the due day. One
# visit per person and due day (the schedule's steps are visit_interval_days >= 7 apart).
VISITS = Kind(
    name="visits",
    table="visits",
    fields=(Field("id_number", required=True), Field("due_date", "date", True),
            Field("visited_at", "ts"), Field("kind", required=True), Field("grid_code")),
    key=("id_number", "due_date"),
    point=False,
    rules=(
        ("unknown_person", "id_number",
         "upper(t.id_number) NOT IN (SELECT id_number FROM key_person_pii)"),
        ("unknown_grid_code", "grid_code",
         "t.grid_code IS NOT NULL AND t.grid_code NOT IN (SELECT code FROM grids)"),
    ),
    summaries=("visit_daily",),
    future_fields=("visited_at",),
    vocab={"kind": "visit_kind"},
)

# 回访评价 of a closed case, by the case number the hotline and the grid app share.
SURVEYS = Kind(
    name="surveys",
    table="surveys",
    fields=(Field("case_no", required=True), Field("surveyed_at", "ts", True),
            Field("channel", required=True), Field("rating")),
    key=("case_no", "surveyed_at"),
    point=False,
    rules=(
        ("unknown_incident", "case_no",
         "t.case_no NOT IN (SELECT case_no FROM incidents)"),
        # a case still open (closed_at NULL) cannot have been surveyed either
        ("surveyed_before_closed", "surveyed_at",
         "coalesce(t.surveyed_at < (SELECT i.closed_at FROM incidents AS i "
         "WHERE i.case_no = t.case_no), true)"),
    ),
    enums={"rating": RATINGS},
    summaries=("survey_daily",),
    future_fields=("surveyed_at",),
    vocab={"channel": "survey_channel"},
)

# 群众满意度测评: answers of a periodic satisfaction survey of an area (a grid, a village or a
# region above), tied to no case. The key is the export's response number; without one it is
# derived as <area_code>@<surveyed_at>#<n>, n numbering the file's answers of that area and
# moment in file order (queries/ingest/key_area_surveys.sql), so a rerun or a re-export of
# the same answers updates them instead of adding them again: hence one batch per file.
# An area code is a grid code or a region's code (short or 12-digit), or a source code the
# store's code_map translates; it is stored as the grid code or the region's short code.
AREA_SURVEYS = Kind(
    name="area_surveys",
    table="area_surveys",
    fields=(Field("survey_no"), Field("area_code", required=True),
            Field("surveyed_at", "ts", True), Field("rating"),
            Field("respondent_group"), Field("channel")),
    key=("survey_no",),
    point=False,
    rules=(
        ("unknown_area", "area_code",
         "t.area_code NOT IN (SELECT code FROM grids UNION ALL SELECT short_code FROM "
         "regions UNION ALL SELECT code FROM regions)"),
    ),
    enums={"rating": RATINGS},
    summaries=("area_survey_daily",),
    future_fields=("surveyed_at",),
    vocab={"respondent_group": "area_survey_group", "channel": "survey_channel"},
    single_batch=True,
    key_query=Q.INGEST_KEY_AREA_SURVEYS,
)

KINDS: dict[str, Kind] = {k.name: k for k in (INCIDENTS, HAZARDS, KEY_PERSONS, VISITS,
                                              SURVEYS, SENSOR_READINGS, AREA_SURVEYS)}
