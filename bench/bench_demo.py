"""Benchmark: demo generation at scale, region-scoped list latency, and the region subtree query.

    python bench/bench_demo.py --persons 1000000            # SQLite in a fresh temp SAFETYNET_HOME
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sn_bench python bench/bench_demo.py

On PostgreSQL the database must exist; demo data in it is replaced (``--reset``).
Prints a compact table and writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _timed(fn, reps: int) -> dict[str, float]:
    fn()  # warm caches
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(_pct(times, 0.95), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--home", help="SAFETYNET_HOME to use (default: a new temp dir)")
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--regions", type=int, default=50_000, help="size of the extra region tree")
    args = parser.parse_args()

    os.environ["SAFETYNET_HOME"] = args.home or tempfile.mkdtemp(prefix="sn-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from safetynet.accounts.roles import Role

    from safetynet.accounts.models import User
    from safetynet.demo.population import MEAN_HOUSEHOLD_SIZE
    from safetynet.demo.services import demo_generate
    from safetynet.regions.models import Level, Region
    from safetynet.regions.services import RegionSpec, region_bulk_create
    from safetynet.registry.selectors import household_list_for_user

    call_command("migrate", interactive=False, verbosity=0)
    households = math.ceil(args.persons / MEAN_HOUSEHOLD_SIZE * 1.002)
    t = time.perf_counter()
    result = demo_generate(households=households, seed=args.seed, reset=True, progress=sys.stderr.isatty())
    gen_s = time.perf_counter() - t
    out: dict = {
        "backend": connection.vendor,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "persons": result.persons,
        "households": result.households,
        "memberships": result.memberships,
        "regions": result.regions,
        "generate_s": round(gen_s, 1),
        "phases_s": {k: round(v, 1) for k, v in result.timings.items()},
        "persons_per_s": round(result.persons / gen_s),
    }

    street = Region.objects.filter(level=Level.STREET, code__startswith="99").order_by("code").first()
    district = street.parent
    users = {}
    for role, region in ((Role.STREET_OFFICER, street), (Role.COUNTY_APPROVER, district)):
        User.objects.filter(username=f"bench-{role}").delete()
        users[role] = User.objects.create_user(username=f"bench-{role}", password="bench-pass-1", role=role, region=region)
    out["scope"] = {
        "street_households": household_count(street),
        "county_households": household_count(district),
    }
    latency = {}
    for role, user in users.items():
        latency[f"selector[:50] {role}"] = _timed(
            lambda user=user: list(household_list_for_user(user=user, region_code=None)[:50]), args.reps
        )
        client = Client()
        client.force_login(user)

        def get(client=client):
            response = client.get("/api/v1/households?limit=50")
            assert response.status_code == 200, response.status_code

        latency[f"GET /api/v1/households {role}"] = _timed(get, args.reps)
    out["latency"] = latency

    # A 50,000-node region tree under province 98 (outside the demo city).
    for level in (5, 4, 3, 2, 1):
        Region.objects.filter(code__startswith="98", level=level).delete()
    specs = [RegionSpec("980000000000", "基准省", Level.PROVINCE, None)]
    per_street = max(1, math.ceil((args.regions - 1 - 10 - 100 - 1000) / 1000))
    for c in range(1, 11):
        ccode = f"98{c:02d}00000000"
        specs.append(RegionSpec(ccode, f"基准市{c}", Level.CITY, "980000000000"))
        for d in range(1, 11):
            dcode = f"98{c:02d}{d:02d}000000"
            specs.append(RegionSpec(dcode, f"基准县{c}-{d}", Level.COUNTY, ccode))
            for s in range(1, 11):
                scode = f"98{c:02d}{d:02d}{s:03d}000"
                specs.append(RegionSpec(scode, f"基准街道{c}-{d}-{s}", Level.STREET, dcode))
                for m in range(1, per_street + 1):
                    specs.append(RegionSpec(f"{scode[:9]}{m:03d}", f"基准社区{m}", Level.COMMUNITY, scode))
    t = time.perf_counter()
    region_bulk_create(specs=specs)
    out["region_tree"] = {"nodes": len(specs), "create_s": round(time.perf_counter() - t, 1)}
    county = Region.objects.get(code="980505000000")
    street98 = Region.objects.get(code="980505005000")
    out["region_tree"]["county_subtree"] = _timed(
        lambda: list(Region.objects.filter(path__startswith=county.path).values_list("id", flat=True)), args.reps
    )
    out["region_tree"]["county_subtree_size"] = Region.objects.filter(path__startswith=county.path).count()
    out["region_tree"]["children"] = _timed(lambda: list(Region.objects.filter(parent=street98)), args.reps)

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench_demo-{connection.vendor}-{result.persons}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")

    print(f"backend {out['backend']}  persons {out['persons']:,}  households {out['households']:,}")
    print(f"generate+write   {out['generate_s']:>8.1f} s   {out['persons_per_s']:,} persons/s   phases {out['phases_s']}")
    print(f"scope sizes      street {out['scope']['street_households']:,} households, county {out['scope']['county_households']:,}")
    for name, v in latency.items():
        print(f"{name:<45} p50 {v['p50_ms']:>8.2f} ms   p95 {v['p95_ms']:>8.2f} ms")
    rt = out["region_tree"]
    print(f"region tree      {rt['nodes']:,} nodes created in {rt['create_s']} s")
    print(f"{'subtree (county, ' + str(rt['county_subtree_size']) + ' nodes)':<45} p50 {rt['county_subtree']['p50_ms']:>8.2f} ms   p95 {rt['county_subtree']['p95_ms']:>8.2f} ms")
    print(f"{'children (street)':<45} p50 {rt['children']['p50_ms']:>8.2f} ms   p95 {rt['children']['p95_ms']:>8.2f} ms")
    print(f"results: {path}")


def household_count(region) -> int:
    from safetynet.registry.models import Household

    return Household.objects.filter(region__path__startswith=region.path).count()


if __name__ == "__main__":
    main()
