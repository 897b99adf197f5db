"""SQL files and the thin runner that binds their ``$named`` parameters.

Every query lives in its own ``.sql`` file with a header comment (purpose, parameters,
columns). Values are always bound by DuckDB, never formatted into the text. The only
identifiers that vary are *slots*: a file that serves several tables of the same shape
(town, county and city rollups) writes ``{{level}}`` where the table differs and declares
the words a slot may take in a header line ``-- @slot level: town county city``; the runner
fills a slot only with one of those words, and refuses a missing, extra or undeclared one.
A line ``-- @include name`` stands for the text of ``name.sql``; ``-- @include name
level=village`` also fills that file's slots (with declared words) at the include.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pandas as pd

SQL_DIR = Path(__file__).resolve().parent
_INCLUDE = re.compile(r"^[ \t]*--[ \t]*@include[ \t]+([a-z][a-z0-9_]*)"
                      r"((?:[ \t]+[a-z][a-z0-9_]*=[a-z0-9_]+)*)[ \t]*$", re.M)
_PARAM = re.compile(r"(?<![:$\w])\$([A-Za-z_]\w*)")
_SLOT = re.compile(r"\{\{([a-z][a-z0-9_]*)\}\}")
_SLOT_DECL = re.compile(r"^[ \t]*--[ \t]*@slot[ \t]+([a-z][a-z0-9_]*):[ \t]*(.*?)[ \t]*$",
                        re.M)
_WORD = re.compile(r"[a-z0-9_]+")


@cache
def sql(name: str, **slots) -> str:
    """Return the text of ``queries/<name>.sql`` with its ``{{slot}}`` words filled in.

    Parameters
    ----------
    name : str
        File stem; must be a plain identifier so a caller can never reach outside the folder.
    **slots
        A word for every slot the text uses, each one of the words its ``-- @slot`` line
        declares (so an identifier only ever comes from that list, never from input).

    Raises
    ------
    TypeError
        A slot missing or not used by the query.
    ValueError
        A word the query does not declare for its slot.
    """
    return _fill(name, _text(name), slots)


def _fill(name: str, text: str, slots: dict) -> str:
    used = set(_SLOT.findall(text))
    if used != set(slots):
        raise TypeError(f"query {name} has slots {sorted(used)}, got {sorted(slots)}")
    if not slots:
        return text
    allowed: dict[str, set[str]] = {}
    for key, words in _SLOT_DECL.findall(text):  # declared twice (an include): both hold
        allowed[key] = allowed.get(key, set(words.split())) & set(words.split())
    for key, word in slots.items():
        word = str(word)
        if not _WORD.fullmatch(word) or word not in allowed.get(key, ()):
            raise ValueError(f"query {name}: slot {key} takes one of "
                             f"{sorted(allowed.get(key, ()))}, not {word!r}")
    return _SLOT.sub(lambda m: str(slots[m.group(1)]), text)


@cache
def _text(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"invalid query name: {name!r}")
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no such query: {name}")
    text = path.read_text(encoding="utf-8")
    # A line `-- @include other` stands for the text of queries/other.sql, so a block that
    # several queries must share exactly (the analyst filters) is written once; words after
    # the name fill the block's slots there.
    def include(m: re.Match) -> str:
        slots = dict(pair.split("=") for pair in m.group(2).split())
        block = _text(m.group(1))
        return _fill(m.group(1), block, slots) if slots else block

    return _INCLUDE.sub(include, text)


def parameters(text: str) -> set[str]:
    """Names of the ``$named`` parameters a query text uses (comments excluded)."""
    body = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    return set(_PARAM.findall(body))


def run(con, name: str, *, slots: dict | None = None, **params) -> pd.DataFrame:
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
    slots : dict, optional
        Words for the query's ``{{slot}}`` identifiers (see :func:`sql`).
    """
    text = sql(name, **(slots or {}))
    wanted = parameters(text)
    if set(params) != wanted:
        raise TypeError(
            f"query {name} takes {sorted(wanted)}, got {sorted(params)}"
        )
    return con.execute(text, params).df() if params else con.execute(text).df()


def script(con, name: str, *, slots: dict | None = None, **params) -> None:
    """Run every statement of a multi-statement query file, binding ``$named`` parameters.

    DuckDB prepares one statement at a time, so the file is split at the semicolons that
    end a line and each statement gets exactly the parameters it names; together they must
    be exactly ``params`` (as :func:`run` insists); ``slots`` as for :func:`run`.
    """
    text = sql(name, **(slots or {}))
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
