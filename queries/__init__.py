"""SQL files and the thin runner that binds their ``$named`` parameters.

Every query lives in its own ``.sql`` file with a header comment (purpose, parameters,
columns). Values are always bound by DuckDB, never formatted into the text; the only
identifiers that vary come from whitelists in the caller.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

SQL_DIR = Path(__file__).resolve().parent
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*@include[ \t]+([a-z][a-z0-9_]*)[ \t]*$", re.M)
_PARAM = re.compile(r"(?<![:$\w])\$([A-Za-z_]\w*)")


@cache
def sql(name: str) -> str:
    """Return the text of ``queries/<name>.sql``.

    Parameters
    ----------
    name : str
        File stem; must be a plain identifier so a caller can never reach outside the folder.
    """
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"invalid query name: {name!r}")
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no such query: {name}")
    text = path.read_text(encoding="utf-8")
    # A line `-- @include other` stands for the text of queries/other.sql, so a block that
    # several queries must share exactly (the analyst filters) is written once.
    return _INCLUDE.sub(lambda m: sql(m.group(1)), text)


def parameters(text: str) -> set[str]:
    """Names of the ``$named`` parameters a query text uses (comments excluded)."""
    body = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    return set(_PARAM.findall(body))


def run(con, name: str, **params) -> pd.DataFrame:
    """Run a named query with bound parameters and return a DataFrame.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        A connection or a per-thread cursor.
    name : str
        The query file stem.
    **params
        Exactly the parameters the query names; a missing or extra one is an error, so a
        typo cannot silently drop a filter (a scope filter least of all).
    """
    text = sql(name)
    wanted = parameters(text)
    if set(params) != wanted:
        raise TypeError(
            f"query {name} takes {sorted(wanted)}, got {sorted(params)}"
        )
    return con.execute(text, params).df() if params else con.execute(text).df()


def script(con, name: str, **params) -> None:
    """Run every statement of a multi-statement query file, binding ``$named`` parameters.

    DuckDB prepares one statement at a time, so the file is split at the semicolons that
    end a line and each statement gets exactly the parameters it names; together they must
    be exactly ``params`` (as :func:`run` insists).
    """
    text = sql(name)
    wanted = parameters(text)
    if set(params) != wanted:
        raise TypeError(f"query {name} takes {sorted(wanted)}, got {sorted(params)}")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    for stmt in re.split(r";[ \t]*\n", body + "\n"):
        if not stmt.strip():
            continue
        used = parameters(stmt)
        if used:
            con.execute(stmt, {k: params[k] for k in used})
        else:
            con.execute(stmt)
