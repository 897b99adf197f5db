"""Every query name constant (queries/names.py) names a file, and every query file is
named by a constant (or is a migration): a query grep cannot follow fails here. Generated
by /work/bench/move_queries.py."""

from __future__ import annotations

from queries import SQL_DIR
from queries import names as Q


def _constants() -> set[str]:
    out = set()
    for key, value in vars(Q).items():
        if key.isupper() and isinstance(value, str):
            out.add(value)
        elif key.isupper() and isinstance(value, dict):
            out |= set(value.values())
    return out


def test_every_constant_names_an_existing_query_file():
    missing = sorted(n for n in _constants() if not (SQL_DIR / f"{n}.sql").is_file())
    assert not missing


def test_every_query_file_is_named_by_a_constant_or_is_a_migration():
    named = _constants()
    files = {p.relative_to(SQL_DIR).with_suffix("").as_posix()
             for p in SQL_DIR.rglob("*.sql")}
    unnamed = sorted(f for f in files if f not in named and not f.startswith("migrations/"))
    assert not unnamed


def test_queries_sit_in_area_folders_not_flat():
    assert not sorted(p.name for p in SQL_DIR.glob("*.sql"))
