"""200 staff at work, for ``bench/bench_load.py``: each simulated officer signs in once (its own
session), then moves between the workbench, household pages, verification reports and lists
with a human pause between clicks. Only ever aimed at the loopback address.

Environment: ``SAFETYNET_LOAD_ACCOUNTS`` (``user:password,…``), ``SAFETYNET_LOAD_HOUSEHOLDS``
and ``SAFETYNET_LOAD_REPORTS`` (comma-separated ids to visit).
"""

from __future__ import annotations

import itertools
import os
import random
import re
from urllib.parse import urlparse

from locust import HttpUser, between, task

ACCOUNTS = [tuple(a.split(":", 1)) for a in os.environ["SAFETYNET_LOAD_ACCOUNTS"].split(",")]
HOUSEHOLDS = [int(x) for x in os.environ["SAFETYNET_LOAD_HOUSEHOLDS"].split(",") if x]
REPORTS = [int(x) for x in os.environ.get("SAFETYNET_LOAD_REPORTS", "").split(",") if x]
_next_account = itertools.cycle(ACCOUNTS)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Staff(HttpUser):
    wait_time = between(2, 8)

    def on_start(self) -> None:
        host = urlparse(self.host).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"load tests run only against the loopback address, not {host}")
        # Verify the server against the bench's own certificate (and ignore CA bundles named in
        # the environment, which requests would otherwise prefer).
        self.client.trust_env = False
        self.client.verify = os.environ["SAFETYNET_LOAD_CA"]
        username, password = next(_next_account)
        page = self.client.get("/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        response = self.client.post(
            "/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/login/"},
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise SystemExit(f"login failed for {username}: {response.status_code}")

    @task(3)
    def workbench(self) -> None:
        self.client.get("/cases/", name="workbench")

    @task(4)
    def household(self) -> None:
        self.client.get(f"/households/{random.choice(HOUSEHOLDS)}/", name="household page")

    @task(2)
    def report(self) -> None:
        if REPORTS:
            self.client.get(f"/verification/reports/{random.choice(REPORTS)}/", name="verification report")

    @task(2)
    def household_list(self) -> None:
        self.client.get("/households/", name="household list")

    @task(2)
    def api_list(self) -> None:
        self.client.get("/api/v1/households?limit=50", name="API household list")

    @task(1)
    def home(self) -> None:
        self.client.get("/", name="home")
