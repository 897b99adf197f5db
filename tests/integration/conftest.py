"""Logged-in test clients of a fresh app, shared by the integration tests."""

from __future__ import annotations

import pytest
from auth_helpers import CITY_LEADER, COUNTY_ANALYST, login_client


@pytest.fixture
def client(app):
    """A test client logged in as the demo city leader."""
    client = app.server.test_client()
    login_client(client, *CITY_LEADER)
    return client


@pytest.fixture
def county_client(app):
    """A test client logged in as the demo 通州区 analyst."""
    client = app.server.test_client()
    login_client(client, *COUNTY_ANALYST)
    return client
