"""Shared fixtures: one demo store and accounts database per test session, and apps built
on them. Every route needs a session now: log in with ``tests/auth_helpers.py``."""

from __future__ import annotations

import os
from datetime import datetime

import duckdb
import pytest

from dashboard import create_app
from dashboard.settings import Settings


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    """A small but complete demo store (real builder, fixed seed), built once per session.

    20,000 cases over the default three years leave a few hundred in the last 30 days:
    enough for every county-level region to have cases, small enough to build in seconds.
    """
    from dashboard.demo import DemoSpec, build_demo

    path = tmp_path_factory.mktemp("store") / "demo.duckdb"
    # GRIDCMD_TEST_DEMO_END=2026-12-01T00:10 replays the suite as if run at that moment
    # (the demo ends when it is built, so some counts depend on the hour of the run).
    end = os.environ.get("GRIDCMD_TEST_DEMO_END")
    spec = DemoSpec(incidents=20_000, seed=7, end=datetime.fromisoformat(end) if end else None)
    build_demo(path, spec, progress=False)
    return path


@pytest.fixture(scope="session")
def demo(demo_store):
    """A read-only connection to the session's demo store."""
    con = duckdb.connect(str(demo_store), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def now(demo) -> datetime:
    """The demo's last moment: the store's own 'now', so every panel has data."""
    end = dict(demo.execute("SELECT key, value FROM meta").fetchall())["history_end"]
    return datetime.fromisoformat(end)


@pytest.fixture(scope="session")
def auth_db(demo_store):
    """The session's accounts database, with every demo account (``tests/auth_helpers.py``
    has their names and passwords)."""
    from dashboard.auth.demo import seed_demo_users
    from dashboard.auth.store import AuthStore

    path = demo_store.with_name("demo-auth.sqlite")
    seed_demo_users(AuthStore(path))
    return path


@pytest.fixture(scope="session")
def settings(demo_store, auth_db) -> Settings:
    """Settings for the demo store and its accounts; never builds a store on its own."""
    return Settings.load(store=demo_store, demo_on_start=False, auth_db=str(auth_db))


@pytest.fixture
def auth_store(settings):
    """The accounts database of ``settings`` (users, sessions, audit)."""
    from dashboard.auth.demo import open_auth_store

    return open_auth_store(settings)


@pytest.fixture
def app(settings):
    """A fresh app per test, as the factory is meant to allow several per process."""
    return create_app(settings)


@pytest.fixture(scope="session")
def ingest_store(tmp_path_factory):
    """A small demo store for import tests (a few months, few key persons): the loaders
    copy it and write to the copy, and full summary refreshes on it take a second."""
    from dashboard.demo import DemoSpec, build_demo

    path = tmp_path_factory.mktemp("ingest") / "small.duckdb"
    build_demo(path, DemoSpec(incidents=3000, seed=5, years=0.3, key_person_share=0.0003),
               progress=False)
    return path


@pytest.fixture(scope="session")
def three_levels(ingest_store, tmp_path_factory):
    """A store of three levels (district, precinct, grid) with cases, built from
    ``ingest_store`` (``tests/levels_helpers.py``)."""
    from levels_helpers import build_city

    return build_city(ingest_store, tmp_path_factory.mktemp("levels"))


PAST_END = datetime(2016, 6, 30, 18, 0)
"""The last moment of the past store: a city's export whose data ended years ago."""


@pytest.fixture(scope="session")
def past_store(tmp_path_factory):
    """A demo store whose history ended on 30 June 2016 at 18:00 (three years of data, real
    builder, fixed seed), with the demo accounts beside it: what the overview and the
    analysis pages must show as of its last data day, not as of today."""
    from dashboard.auth.demo import seed_demo_users
    from dashboard.auth.store import AuthStore
    from dashboard.demo import DemoSpec, build_demo

    path = tmp_path_factory.mktemp("past") / "past.duckdb"
    build_demo(path, DemoSpec(incidents=20_000, seed=11, end=PAST_END), progress=False)
    seed_demo_users(AuthStore(path.with_name("past-auth.sqlite")))
    return path


@pytest.fixture(scope="session")
def past_settings(past_store) -> Settings:
    """Settings serving the past store with its accounts."""
    return Settings.load(store=past_store, demo_on_start=False,
                         auth_db=str(past_store.with_name("past-auth.sqlite")))
@pytest.fixture(scope="session")
def placeholder_store(ingest_store, tmp_path_factory):
    """``ingest_store`` with a 311-style export loaded whose rows are 14% at the city hall
    (a geocoder's placeholder point), some naming their ward (``tests/quality_helpers.py``).

    Returns a dict: ``path`` (the store), ``frame`` (the rows written, with the expected
    placement), ``summary`` (the load's), ``csv`` and ``mapping`` (the files)."""
    import shutil

    from quality_helpers import export_311, mapping_text

    from dashboard.ingest.load import load_files
    from dashboard.ingest.mapping import Mapping

    tmp = tmp_path_factory.mktemp("placeholder")
    path = tmp / "store.duckdb"
    shutil.copyfile(ingest_store, path)
    csv = tmp / "service_requests_311.csv"
    frame = export_311(path, csv)
    mapping = tmp / "311.toml"
    mapping.write_text(mapping_text(), encoding="utf-8")
    con = duckdb.connect(str(path))
    try:
        con.execute("SET enable_progress_bar = false")
        summary = load_files(con, "incidents", Mapping.load(mapping), [csv])
    finally:
        con.close()
    return {"path": path, "frame": frame, "summary": summary, "csv": csv, "mapping": mapping}
