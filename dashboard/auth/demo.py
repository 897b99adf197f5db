"""Demo accounts: one per tier and role, created with the demo store (never otherwise).

The passwords are public (README) because the demo data is synthetic; a real deployment
creates its accounts with ``gridcmd user add`` and has none of these.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.auth.store import AuthStore

DEMO_MARK = "（演示）"

# username, role, region, display name, pii clearance. The regions are in 通州区 (320612):
# 金沙街道 (320612001), 东市社区 (320612001001) and its first grids.
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("city_leader", "leader", "3206", "南通市指挥长", True),
    ("city_analyst", "analyst", "3206", "南通市分析员", False),
    ("county_analyst", "analyst", "320612", "通州区分析员", False),
    ("town_analyst", "analyst", "320612001", "金沙街道分析员", False),
    ("village_analyst", "analyst", "320612001001", "东市社区分析员", False),
    ("grid_worker", "grid_worker", "320612001001001", "东市社区第1网格网格员", True),
    ("grids_worker", "grid_worker", "320612001001002,320612001001003",
     "东市社区第2、3网格网格员", False),
    ("screen", "screen", "3206", "指挥中心大屏", False),
    ("admin", "admin", "3206", "系统管理员", False),
)


DEMO_PASSWORD = "Nantong@2023"


def demo_password(username: str) -> str:
    """The documented password of a demo account (README): ``Nantong@2023`` for every one
    of them. It meets the password policy (ten characters, three classes, not the user
    name, not a common password) and is easy to type."""
    return DEMO_PASSWORD


def seed_demo_users(store: AuthStore, city: str = "3206") -> list[str]:
    """Create the demo accounts that do not exist yet; return the names created.

    Only accounts whose region lies in ``city`` are created (the vendored geography is
    Nantong, 3206).
    """
    created = []
    for username, role, region, name, pii in DEMO_ACCOUNTS:
        if not region.startswith(city) or store.user(username) is not None:
            continue
        store.add_user(username, role, region, demo_password(username), city=city,
                       display_name=name + DEMO_MARK, pii=pii)
        created.append(username)
    return created


def auth_db_path(settings) -> Path:
    """The accounts database of ``settings``: ``auth_db``, or beside the store."""
    if settings.auth_db:
        return Path(settings.auth_db).expanduser()
    store = Path(settings.store)
    return store.with_name(f"{store.stem}-auth.sqlite")


def is_demo_store(path: str | Path) -> bool:
    """Whether the DuckDB store at ``path`` was made by the demo builder (``meta``): one
    key read from the file as it is (any schema version: the ``meta`` table is in all of
    them), so the accounts layer needs nothing of the store module (no import cycle through
    it: tests/unit/test_imports.py)."""
    import duckdb

    if not Path(path).is_file():
        return False
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("SELECT value FROM meta WHERE key = 'demo_incidents'").fetchone()
    except duckdb.Error:  # held by a writer, not a database, no meta table
        return False
    return row is not None


def open_auth_store(settings, clock=None) -> AuthStore:
    """The accounts database of ``settings``, with the demo accounts when it is new and the
    store is a demo store (so ``python app.py`` on a fresh machine, ``gridcmd demo`` and an
    older demo store all come with them; a real store never does)."""
    path = auth_db_path(settings)
    new = not path.exists()
    store = AuthStore(path, idle_minutes=settings.session_idle_minutes,
                      absolute_hours=settings.session_hours, kiosk_days=settings.kiosk_days,
                      clock=clock)
    if new and Path(settings.store).is_file() and is_demo_store(settings.store):
        seed_demo_users(store, settings.city)
    return store
