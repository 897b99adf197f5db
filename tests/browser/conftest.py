"""Shared browser fixtures: a served app and a headless Chromium at wall-screen size."""

from __future__ import annotations

import pytest
from auth_helpers import CITY_LEADER, login_browser
from browser_support import HAVE_BROWSER, NO_BROWSER, chromium, serving

from dashboard import create_app


@pytest.fixture(scope="module")
def base_url(settings):
    """Serve a fresh app on a free localhost port in a background thread."""
    with serving(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="module")
def driver(base_url):
    """Headless Chromium at 1920×1080, logged in as the demo city leader."""
    if not HAVE_BROWSER:
        pytest.skip(NO_BROWSER)
    with chromium() as drv:
        login_browser(drv, base_url, *CITY_LEADER)
        yield drv
