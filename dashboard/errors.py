"""The two refusals every layer raises and the web layer answers with a status.

They live in a module of their own, which imports nothing, so that the auth layer can
raise and answer them without importing :mod:`dashboard.access` (which reads the session
through :mod:`dashboard.auth`): the import graph stays free of cycles
(``tests/unit/test_imports.py``). :mod:`dashboard.access` re-exports both; callers keep
writing ``access.Forbidden``.
"""

from __future__ import annotations


class Forbidden(PermissionError):
    """The request names data outside the user's jurisdiction (HTTP 403)."""


class BadCode(ValueError):
    """A malformed region or grid code (HTTP 400); still a ``ValueError``."""
