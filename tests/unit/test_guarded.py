"""How a callback's failure reaches the browser (``callbacks.common.guarded``): a query that
needs more memory than the server's DuckDB limit answers 503 with the reason, not a 500."""

from __future__ import annotations

import duckdb
import pytest
from flask import Flask
from werkzeug.exceptions import ServiceUnavailable

from dashboard.callbacks.common import guarded


def test_a_query_beyond_the_memory_limit_answers_503_with_the_reason():
    con = duckdb.connect()  # a real DuckDB, held to 16 MB like a server to its limit
    con.execute("SET memory_limit = '16MB'")
    con.execute("SET threads = 1")

    @guarded
    def heavy() -> None:
        # an exact median over 20M distinct values must hold them all: far over 16 MB
        con.execute("SELECT median(i * 7919 % 20000003) FROM range(20000000) t(i)").fetchall()

    with Flask(__name__).test_request_context(), pytest.raises(ServiceUnavailable) as err:
        heavy()
    assert "duckdb_memory_limit" in err.value.description
    # the same query with room to run answers
    con.execute("SET memory_limit = '2GB'")
    assert con.execute("SELECT median(i) FROM range(1000) t(i)").fetchone()[0] == 499.5
