"""The load mix of ``scripts/bench_load.py``: who uses a city's GridCommand, for locust.

Three kinds of user, in the proportions of a city command center (weights below):

- **Screen** (大屏, ``weight 1``): a wall screen opened by its kiosk URL, which refreshes the
  overview of the city on its refresh interval (the map, league, panels and risk
  callbacks).
- **Leader** (领导, ``weight 2``): logs in, opens the overview and drills city → county →
  town → village → grid along one of the store's busiest chains, a few seconds per step.
- **Analyst** (分析员, ``weight 4``): logs in, opens analysis pages with a filter (period,
  county, category), now and then exports the case list as CSV.

Every request is a real one: the bodies the Dash renderer would POST, built from the app's
own callback map by ``bench_load.py`` and passed in the JSON file ``$LOAD_PLAN``. Not run by
the tests; ``python scripts/bench_load.py`` starts the server and locust.
"""

from __future__ import annotations

import copy
import json
import os
import random
import time

from locust import HttpUser, between, constant_pacing, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())
DASH = "/_dash-update-component"
# every request as a line "start (epoch s), name, ms, failed" ($LOAD_LOG): the benchmark
# cuts the run into windows with it (the cold first minute against the rest)
_LOG = open(os.environ["LOAD_LOG"], "w", encoding="utf-8") if os.environ.get("LOAD_LOG") \
    else None


@events.request.add_listener
def _logged(request_type, name, response_time, response_length, exception=None, **_kw):
    if _LOG is None:
        return
    began = time.time() - response_time / 1000
    _LOG.write(f"{began:.3f}\t{name}\t{response_time:.1f}\t{int(exception is not None)}\n")


@events.quitting.add_listener
def _closed(**_kw):
    if _LOG is not None:
        _LOG.close()


def _post(user: HttpUser, body: dict, name: str) -> None:
    with user.client.post(DASH, json=body, name=name, catch_response=True,
                          headers={"Origin": user.host}) as resp:
        if resp.status_code == 204:  # PreventUpdate is an answer
            resp.success()


def _login(user: HttpUser, account: str) -> None:
    form = user.client.get("/login", name="login page").text
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    with user.client.post("/login", name="login",
                          data={"username": account, "password": PLAN["password"],
                                "csrf_token": token, "next": "/"},
                          headers={"Origin": user.host}, allow_redirects=False,
                          catch_response=True) as resp:
        if resp.status_code == 303:
            resp.success()
        else:
            resp.failure(f"login of {account}: HTTP {resp.status_code}")


def _overview(user: HttpUser, level: int, who: str, tick: int = 0) -> None:
    """The four overview callbacks of one drill step, as the page fires them."""
    for name, body in PLAN["overview"][level].items():
        body = copy.deepcopy(body)
        for item in body["inputs"]:
            if item["property"] == "n_intervals":
                item["value"] = tick
        _post(user, body, f"{who} overview {name} {PLAN['levels'][level]}")


class Screen(HttpUser):
    weight = 1
    wait_time = constant_pacing(PLAN["screen_refresh_seconds"])

    def on_start(self):
        self.tick = 0
        resp = self.client.get(f"/kiosk/{PLAN['kiosk_token']}", name="kiosk open")
        if resp.status_code != 200:
            resp.failure(f"kiosk: HTTP {resp.status_code}")

    @task
    def refresh(self):
        self.tick += 1
        _overview(self, 0, "screen", self.tick)


class Leader(HttpUser):
    weight = 2
    wait_time = between(3, 8)

    def on_start(self):
        _login(self, PLAN["leader"])
        self.client.get("/", name="page /")

    @task
    def drill(self):
        for level in range(len(PLAN["levels"])):
            _overview(self, level, "leader")
            self.wait()


class Analyst(HttpUser):
    weight = 4
    wait_time = between(5, 15)

    def on_start(self):
        self.account = random.choice(PLAN["analysts"])
        _login(self, self.account)

    @task(5)
    def page(self):
        page, search, body = random.choice(PLAN["analysis"][self.account])
        self.client.get(f"/{page}{search}", name="analyst page load")
        _post(self, body, f"analyst {page}")

    @task(1)
    def export(self):
        self.client.get(f"/export/cases.csv{random.choice(PLAN['exports'][self.account])}",
                        name="analyst export csv")
