"""Incremental summaries: after loads that insert and update, they equal a full refresh."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from quality_helpers import export_311, mapping_text

from dashboard.ingest.load import load_files
from dashboard.ingest.mapping import Mapping
from dashboard.kpi.summaries import refresh_summaries
from queries import names as Q
from tests.unit.ingest_helpers import connect, copy_store, incident_rows, summary_checksums


def test_incremental_equals_full_refresh(ingest_store, tmp_path):
    path = copy_store(ingest_store, tmp_path)
    con = connect(path)
    # 1) new cases, some on days and grids the demo never saw
    new = pd.DataFrame(incident_rows(con, 300, prefix="INC", day="2026-10-20"))
    new.to_csv(tmp_path / "new.csv", index=False)
    # 2) updates of stored cases: moved to another grid, closed, re-categorised
    old = con.execute("SELECT case_no, source, category_code, lon, lat, reported_at, "
                      "registered_at, closed_at FROM incidents WHERE NOT is_void "
                      "AND escalations > 0 ORDER BY id LIMIT 150").df()
    grids = con.execute("SELECT lon, lat FROM grids ORDER BY code DESC LIMIT 150").df()
    old["lon"], old["lat"] = grids["lon"].to_numpy(), grids["lat"].to_numpy()
    old["category_code"] = "E0103"
    old["closed_at"] = old["reported_at"] + pd.Timedelta(days=2)
    old.to_parquet(tmp_path / "upd.parquet")
    m = Mapping.identity("incidents")
    s1 = load_files(con, "incidents", m, [tmp_path / "new.csv"], batch_rows=120)
    s2 = load_files(con, "incidents", m, [tmp_path / "upd.parquet"], batch_rows=100)
    assert s1.inserted == 300 and s1.summaries == "additive"  # only new cases
    assert s2.updated == 150 and s2.summaries == "incremental", s2.report()
    # 3) hazards and key persons, new and updated
    grid = con.execute("SELECT code FROM grids ORDER BY code LIMIT 5").df()["code"]
    hz = con.execute("SELECT hazard_no, type, risk_level, grid_code, source, found_at, "
                     "deadline_at, rectified_at FROM hazards ORDER BY found_at, id LIMIT 20").df()
    hz["grid_code"] = grid.iloc[0]
    hz["rectified_at"] = hz["found_at"] + pd.Timedelta(days=1)
    new_hz = hz.head(5).assign(hazard_no=[f"HZ{i}" for i in range(5)])
    pd.concat([hz, new_hz]).to_parquet(tmp_path / "hz.parquet")
    kp = con.execute("SELECT p.id_number, p.name, k.category, k.risk_level, k.registered_at, "
                     "k.removed_at FROM key_persons k JOIN key_person_pii p "
                     "ON p.person_id = k.id ORDER BY k.registered_at, k.id LIMIT 10").df()
    kp["grid_code"] = grid.iloc[1]
    kp["removed_at"] = kp["registered_at"] + pd.Timedelta(days=3)
    kp.to_parquet(tmp_path / "kp.parquet")
    s3 = load_files(con, "hazards", Mapping.identity("hazards"), [tmp_path / "hz.parquet"])
    s4 = load_files(con, "key_persons", Mapping.identity("key_persons"),
                    [tmp_path / "kp.parquet"])
    assert (s3.updated, s3.inserted) == (20, 5), s3.report()
    assert s4.updated == 10 and s4.summaries == "incremental", s4.report()
    incremental = summary_checksums(con)
    refresh_summaries(con)
    full = summary_checksums(con)
    assert incremental == full
    con.close()


def test_level_queries_take_only_declared_slot_words():
    import pytest

    import queries
    from dashboard.kpi.summaries import LEVEL_SLOTS

    town = queries.sql(Q.SUMMARY_LEVEL_DAILY, **LEVEL_SLOTS["town_daily"])
    assert "INSERT INTO town_daily" in town and "substr(region, 1, 9)" in town
    assert "{{" not in queries.sql(Q.INGEST_APPLY_LEVEL_DAILY, level="city", digits="4")
    # the village rollup fills the shared insert's slots at its include
    village = queries.sql(Q.SUMMARY_VILLAGE_DAILY)
    assert "INSERT INTO village_daily" in village and "{{" not in village
    with pytest.raises(TypeError):
        queries.sql(Q.SUMMARY_LEVEL_DAILY, level="town")
    with pytest.raises(TypeError):
        queries.sql(Q.SUMMARY_INCIDENT_DAILY, level="town")
    for word in ("village", "town_daily; DROP TABLE incidents; --", "Town", "12"):
        with pytest.raises(ValueError):
            queries.sql(Q.SUMMARY_LEVEL_DAILY, level=word, digits="9")


def test_bulk_loads_refresh_in_full_once(ingest_store, tmp_path):
    # more changed rows than half the table: one full refresh (in the batch, or once after
    # the last batch of a deferred file); the result equals a full refresh all the same
    path = copy_store(ingest_store, tmp_path)
    con = connect(path)
    m = Mapping.identity("incidents")
    pd.DataFrame(incident_rows(con, 4000, prefix="BULK", day="2026-10-21")) \
        .to_csv(tmp_path / "bulk.csv", index=False)
    one = load_files(con, "incidents", m, [tmp_path / "bulk.csv"])
    assert one.summaries == "full" and not one.deferred and one.inserted == 4000
    # its first batch is bulk (a full refresh becomes pending), so the second one, not bulk
    # itself, is not added to the summaries but left to that refresh
    pd.DataFrame(incident_rows(con, 20000, prefix="BULK2", day="2026-10-22")) \
        .to_parquet(tmp_path / "bulk2.parquet")
    two = load_files(con, "incidents", m, [tmp_path / "bulk2.parquet"], batch_rows=10000)
    assert two.summaries == "full" and two.deferred and two.batches == 2, two.report()
    assert con.execute("SELECT count(*) FROM import_pending").fetchone()[0] == 0
    loaded = summary_checksums(con)
    refresh_summaries(con)
    assert summary_checksums(con) == loaded
    con.close()


def test_additive_refresh_equals_full_refresh(ingest_store, tmp_path):
    # batches of only new cases are added to the summaries (no grid recomputed from its
    # cases): on stored keys and new ones, void and open cases, a village whose first day
    # moves earlier, several batches of one file; then a batch that also updates takes the
    # key-wise path, and a later insert-only one adds on top of it
    path = copy_store(ingest_store, tmp_path)
    con = connect(path)
    m = Mapping.identity("incidents")
    first, last = con.execute("SELECT min(day), max(day) FROM incident_daily").fetchone()
    mid = first + (last - first) / 2
    # a village whose rows (of any domain) start late, and one of its grids
    village, v_first = con.execute(
        "SELECT region, min(day) FROM village_daily WHERE region <> '' GROUP BY region "
        "ORDER BY min(day) DESC, region LIMIT 1").fetchone()
    assert v_first > first
    grid = con.execute("SELECT code, lon, lat FROM grids WHERE starts_with(code, $v) "
                       "ORDER BY code LIMIT 1", {"v": village}).fetchone()

    def rows(prefix, n, day, seed):
        frame = pd.DataFrame(incident_rows(con, n, prefix=prefix, seed=seed,
                                           day=day.isoformat()))
        frame["is_void"] = ["是" if i % 7 == 0 else "否" for i in range(n)]
        return frame

    a = rows("ADD", 200, mid, 3)
    early = rows("EARLY", 3, first, 4).assign(lon=grid[1], lat=grid[2])
    pd.concat([a, early]).to_csv(tmp_path / "a.csv", index=False)
    sa = load_files(con, "incidents", m, [tmp_path / "a.csv"])
    assert (sa.inserted, sa.summaries) == (203, "additive"), sa.report()
    assert con.execute("SELECT min(day) FROM village_daily WHERE region = $v",
                       {"v": village}).fetchone()[0] == first
    rows("MULTI", 90, mid, 5).to_parquet(tmp_path / "b.parquet")
    sb = load_files(con, "incidents", m, [tmp_path / "b.parquet"], batch_rows=40)
    assert (sb.batches, sb.summaries) == (3, "additive"), sb.report()
    # a batch with an update: the key-wise path
    c = rows("ADD", 2, mid, 3)
    c.loc[0, "closed_at"] = ""
    c = pd.concat([c.head(1), rows("MIXED", 5, mid, 6)])
    c.to_csv(tmp_path / "c.csv", index=False)
    sc = load_files(con, "incidents", m, [tmp_path / "c.csv"])
    assert (sc.updated, sc.inserted, sc.summaries) == (1, 5, "incremental"), sc.report()
    # cases of the newest days also go to the overview's case tables (open_cases,
    # recent_cases), which the checksums below compare with a full refresh too
    recent = con.execute("SELECT max(reported_at) FROM incidents").fetchone()[0].date() \
        - timedelta(days=1)
    pd.concat([rows("AFTER", 30, mid, 7), rows("RECENT", 14, recent, 8)]) \
        .to_csv(tmp_path / "d.csv", index=False)
    assert load_files(con, "incidents", m, [tmp_path / "d.csv"]).summaries == "additive"
    assert con.execute("SELECT count(*) FROM recent_cases WHERE case_no LIKE 'RECENT%'"
                       ).fetchone()[0] == 14
    assert con.execute("SELECT count(*) FROM open_cases WHERE case_no LIKE 'RECENT%'"
                       ).fetchone()[0] == 12  # not the two void ones (every 7th)
    loaded = summary_checksums(con)
    refresh_summaries(con)
    assert summary_checksums(con) == loaded
    con.close()


def test_level_deltas_far_back_many_villages_and_removed_keys(ingest_store, tmp_path):
    # the region levels are adjusted only from the first day a batch touches on, and only
    # in the regions it touches (ingest/apply_level_daily.sql): late cases far back spread
    # over many villages, a (village, day) row a batch adds and the next one takes away
    # again, each time equal to a full refresh
    path = copy_store(ingest_store, tmp_path)
    con = connect(path)
    m = Mapping.identity("incidents")

    def equals_full(label):
        loaded = summary_checksums(con)
        refresh_summaries(con)
        assert summary_checksums(con) == loaded, label

    first, last = con.execute("SELECT CAST(min(reported_at) AS DATE), "
                              "CAST(max(reported_at) AS DATE) FROM incidents").fetchone()
    # 1) one case in each of many villages, on days spread over the whole history (late
    #    records, most of them far back): open ones move the backlog of every later day
    per_village = con.execute(
        "SELECT min(code) AS code FROM grids GROUP BY substr(code, 1, 12) ORDER BY code"
    ).df()["code"].tolist()[::15]  # every 15th village of the city's: over 100
    assert len(per_village) >= 100
    spots = con.execute("SELECT code, lon, lat FROM grids WHERE list_contains($c, code) "
                        "ORDER BY code", {"c": per_village}).fetchall()
    span = (last - first).days
    late = []
    for i, (_, lon, lat) in enumerate(spots):
        day = first + timedelta(days=1 + (i * 37) % max(span - 2, 1))
        late.append({"case_no": f"LATE{i:05d}", "source": "12345热线",
                     "category_code": "E0102", "lon": lon, "lat": lat,
                     "reported_at": f"{day} 08:00:00", "registered_at": f"{day} 09:00:00",
                     "closed_at": "" if i % 2 else f"{day + timedelta(days=i % 5)} 18:00:00"})
    pd.DataFrame(late).to_csv(tmp_path / "late.csv", index=False)
    s = load_files(con, "incidents", m, [tmp_path / "late.csv"])
    assert (s.inserted, s.summaries) == (len(late), "additive"), s.report()
    equals_full("late cases over many villages")
    # 2) a case on a (village, day) no row of any level below the city has yet: the
    #    additive refresh adds the row (carrying the stocks of the day before) ...
    village, day, lon, lat = con.execute(
        "SELECT substr(g.code, 1, 12), d.day, g.lon, g.lat FROM grids AS g "
        "CROSS JOIN (SELECT DISTINCT day FROM incident_daily) AS d "
        "WHERE d.day > $first + 1 AND d.day < $last - 1 AND day(d.day) > 1 "
        "AND NOT EXISTS (SELECT 1 FROM village_daily AS v "
        "                WHERE v.region = substr(g.code, 1, 12) AND v.day = d.day) "
        "ORDER BY d.day, g.code LIMIT 1", {"first": first, "last": last}).fetchone()
    other = con.execute("SELECT lon, lat FROM grids WHERE substr(code, 1, 12) <> $v "
                        "ORDER BY code LIMIT 1", {"v": village}).fetchone()

    def one_case(lon, lat, name):
        pd.DataFrame([{"case_no": "GAP0001", "source": "12345热线", "category_code": "E0102",
                       "lon": lon, "lat": lat, "reported_at": f"{day} 08:00:00",
                       "registered_at": f"{day} 09:00:00", "closed_at": ""}]) \
            .to_csv(tmp_path / name, index=False)
        return load_files(con, "incidents", m, [tmp_path / name])

    def has_row():
        return con.execute("SELECT count(*) FROM village_daily WHERE region = $v "
                           "AND day = $d", {"v": village, "d": day}).fetchone()[0]

    assert one_case(lon, lat, "gap.csv").summaries == "additive"
    assert has_row() == 1
    equals_full("a new (village, day) row")
    # ... and moving the case to another village (the key-wise refresh) removes it again
    s = one_case(other[0], other[1], "moved.csv")
    assert (s.updated, s.summaries) == (1, "incremental"), s.report()
    assert has_row() == 0
    equals_full("a (village, day) row removed")
    con.close()


def test_a_key_wise_batch_keeps_what_a_village_holds_outside_its_grids(ingest_store, tmp_path):
    # cases at a geocoder's placeholder point are stored under their region's code padded to
    # 15 digits (ingest/placed_grid.sql), not a grid's: here a village's. A key-wise batch
    # that updates another case of that village recomputes the village from the codes its
    # rows can be stored under (queries/ingest/refresh_village_daily.sql, TEMP grid_scope),
    # and must still count the placed ones: the summaries equal a full refresh
    path = copy_store(ingest_store, tmp_path)
    con = connect(path)
    case_no, grid, village = con.execute(
        "SELECT case_no, grid_code, substr(grid_code, 1, 12) FROM incidents "
        "WHERE NOT is_void AND closed_at IS NULL AND length(grid_code) = 15 "
        "AND registered_at < (SELECT max(reported_at) FROM incidents) - INTERVAL 2 DAY "
        "ORDER BY id DESC LIMIT 1").fetchone()
    con.close()
    frame = export_311(path, tmp_path / "311.csv", n=700, seed=5)
    placed = frame["placeholder"] & (frame["ward_code"] != "")
    assert placed.sum() >= 20
    frame.loc[placed, "Ward"] = village  # the village's code, not a town's
    frame[["Unique Key", "Created Date", "Closed Date", "Complaint Type", "Longitude",
           "Latitude", "Ward"]].to_csv(tmp_path / "311.csv", index=False)
    (tmp_path / "311.toml").write_text(mapping_text(), encoding="utf-8")
    con = connect(path)
    s = load_files(con, "incidents", Mapping.load(tmp_path / "311.toml"), [tmp_path / "311.csv"])
    assert s.inserted == 700, s.report()
    padded = village.ljust(15, "0")
    assert con.execute("SELECT count(*) FROM incidents WHERE grid_code = $g",
                       {"g": padded}).fetchone()[0] == placed.sum()
    refresh_summaries(con)  # whatever the export's load did, start from a full refresh
    full = summary_checksums(con)
    # the key-wise batch: one stored case of a grid of that village closed
    row = con.execute("SELECT case_no, source, category_code, lon, lat, reported_at, "
                      "registered_at FROM incidents WHERE case_no = $c", {"c": case_no}).df()
    row["closed_at"] = row["registered_at"] + pd.Timedelta(hours=5)
    row.to_parquet(tmp_path / "close.parquet")
    s = load_files(con, "incidents", Mapping.identity("incidents"), [tmp_path / "close.parquet"])
    assert (s.updated, s.summaries) == (1, "incremental"), s.report()
    assert con.execute("SELECT grid_code FROM incidents WHERE case_no = $c",
                       {"c": case_no}).fetchone()[0] == grid
    loaded = summary_checksums(con)
    assert loaded != full  # the batch changed the village's rows
    refresh_summaries(con)
    assert summary_checksums(con) == loaded
    con.close()
