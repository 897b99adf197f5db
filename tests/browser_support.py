"""Constants and helpers of the browser tests (importable: ``tests/`` is on ``sys.path``)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parent / "browser" / "screenshots"
WIDTH, HEIGHT = 1920, 1080

HAVE_BROWSER = CHROMIUM.is_file() and CHROMEDRIVER.is_file()
NO_BROWSER = (f"headless browser tests need {CHROMIUM} and {CHROMEDRIVER} "
              "(Debian packages chromium and chromium-driver)")



def resize(drv, width: int, height: int) -> None:
    # --window-size includes the (invisible) browser chrome in headless mode; the page
    # itself must get exactly the size of the screen it stands for.
    drv.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
