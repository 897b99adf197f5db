"""JSON over HTTP, in one place: response bodies, error bodies and the request body.

Every JSON route (the auth guard, the person and audit API, the map layers, the exports,
the intake) answers an error the same way: the status in the response line and a body
``{"error": <message>, "status": <status>}`` (and, from the intake, a ``code``).
Messages are generic or name only what the client sent; never a traceback.
"""

from __future__ import annotations

import orjson
from flask import Response, request

JSON = "application/json"


def json_response(payload, status: int = 200) -> Response:
    """``payload`` encoded with orjson (dates, numpy numbers) as an ``application/json``
    response."""
    return Response(orjson.dumps(payload), status=status, mimetype=JSON)


def json_error(status: int, message: str, code: str | None = None) -> Response:
    """The error body every route answers with: ``{"error": message, "status": status}``,
    and a machine-readable ``code`` where the client branches on it (the intake's
    ``malformed_json``)."""
    body = {"error": message, "status": status}
    if code:
        body["code"] = code
    return json_response(body, status)


def json_body():
    """The request's JSON body, or None when it is none, malformed or nested too deeply
    (Python's decoder raises RecursionError there, which ``silent`` does not catch)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None
