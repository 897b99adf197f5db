"""The query loader (queries/__init__.py): names with a folder, includes across folders,
names that must be refused, and generated blocks."""

from __future__ import annotations

import pytest

import queries


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "area").mkdir()
    (tmp_path / "migrations").mkdir()
    (tmp_path / "area" / "block.sql").write_text("    WHERE x = $x\n")
    (tmp_path / "area" / "query.sql").write_text("-- a query\nSELECT 1 AS one\n"
                                                 "-- @include area/block\n")
    (tmp_path / "flat.sql").write_text("SELECT 2\n-- @include area/block\n")
    (tmp_path / "migrations" / "m.sql").write_text("DROP TABLE t\n")
    monkeypatch.setattr(queries, "SQL_DIR", tmp_path)
    queries.sql.cache_clear()
    queries._text.cache_clear()
    yield tmp_path
    queries.sql.cache_clear()
    queries._text.cache_clear()


def test_a_name_may_carry_one_folder(folder):
    text = queries.sql("area/query")
    assert "SELECT 1 AS one" in text and "WHERE x = $x" in text
    assert queries.parameters(text) == {"x"}
    assert "WHERE x = $x" in queries.sql("flat")


@pytest.mark.parametrize("name", ["../flat", "area/../flat", "/flat", "area/sub/query",
                                  "migrations/m", "Area/query", "area/", "area//query",
                                  "area/query.sql"])
def test_names_outside_the_query_folders_are_refused(folder, name):
    with pytest.raises(ValueError, match="invalid query name"):
        queries.sql(name)


def test_a_missing_file_in_a_folder_is_a_key_error(folder):
    with pytest.raises(KeyError):
        queries.sql("area/none")


def test_a_generated_block_cannot_shadow_a_file(folder):
    with pytest.raises(ValueError):
        queries.generated("flat")
