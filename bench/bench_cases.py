"""Benchmark: the workbench queue with 100,000 open cases in one county.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sn_cases_bench python bench/bench_cases.py
    SAFETYNET_HOME=$(mktemp -d) python bench/bench_cases.py            # SQLite

Builds the region tree, 100,000 households/persons/cases (bulk inserts; reuses them if the
database already has them), then times the first page (50) of the queue for a street officer
and a county approver: the selector alone and the API (with its count), server time, p50/p95.
Target: under 150 ms.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
os.environ.setdefault("SAFETYNET_HOME", "var/bench")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

N_CASES = int(os.environ.get("BENCH_CASES", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "50"))


def build():
    from safetynet.accounts.models import User
    from safetynet.cases.models import Case, Programme, Status
    from safetynet.core.testing import Role, make_region_tree, make_user
    from safetynet.regions.models import Region
    from safetynet.registry.models import Household, Person

    if not Region.objects.filter(code="990101000000").exists():
        make_region_tree()
    east = Region.objects.get(code="990101000000")
    communities = list(Region.objects.filter(path__startswith=east.path, level=5))
    street = User.objects.filter(username="bench-street").first() or make_user(
        Role.STREET_OFFICER, Region.objects.get(code="990101001000"), username="bench-street")
    county = User.objects.filter(username="bench-county").first() or make_user(
        Role.COUNTY_APPROVER, east, username="bench-county")
    have = Case.objects.filter(region__in=communities, is_open=True).count()
    if have >= N_CASES:
        return street, county, have
    rng = random.Random(1)
    open_steps = [Status.SUBMITTED, Status.ACCEPTED, Status.VERIFICATION, Status.HOME_VISIT, Status.REVIEW,
                  Status.PUBLIC_NOTICE, Status.PENDING_CONFIRMATION, Status.APPROVED, Status.ACTIVE,
                  Status.PERIODIC_REVIEW, Status.SUSPENDED]
    now = timezone.now()
    t0 = time.perf_counter()
    batch = 10000
    for start in range(have, N_CASES, batch):
        n = min(batch, N_CASES - start)
        with transaction.atomic():
            comms = [communities[(start + i) % len(communities)] for i in range(n)]
            persons = Person.objects.bulk_create([
                Person(id_number=f"B{start + i:017d}", name=f"压测{start + i}", sex="F",
                       birth_date=dt.date(1970, 1, 1), hukou_region=c, residence_region=c)
                for i, c in enumerate(comms)])
            households = Household.objects.bulk_create([
                Household(number=f"BH{start + i:010d}", region=c) for i, c in enumerate(comms)])
            Case.objects.bulk_create([
                Case(programme=rng.choice(Programme.values), channel="window", household=h, applicant=p,
                     region=c, status=rng.choice(open_steps), version=1,
                     due_at=now + dt.timedelta(hours=rng.randint(-24 * 30, 24 * 365)))
                for h, p, c in zip(households, persons, comms, strict=True)])
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"built {N_CASES - have} cases in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return street, county, N_CASES


def timed(fn) -> tuple[float, float]:
    fn()  # warm
    samples = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    call_command("migrate", verbosity=0)
    from safetynet.cases.selectors import case_queue_for_user

    street, county, total = build()
    print(f"database: {connection.vendor}; open cases in the county: {total}; runs: {RUNS}")
    for user in (street, county):
        def selector(user=user):
            rows = list(case_queue_for_user(user=user)[:50])
            assert rows

        client = Client()
        client.force_login(user)

        def api(client=client):
            r = client.get("/api/v1/cases/queue?limit=50")
            assert r.status_code == 200, r.content

        for label, fn in (("selector", selector), ("api", api)):
            p50, p95 = timed(fn)
            print(f"{user.role:16} {label:8} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
