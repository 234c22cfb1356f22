"""Load test: 200 concurrent staff sessions against the production profile under gunicorn.

```
DATABASE_URL=postgres://postgres@127.0.0.1:5432/sn_load SAFETYNET_HOME=/tmp/sn-load \
    flock /tmp/safetynet-bench.lock python bench/bench_load.py --users 200 --duration 120
```

The database must hold the demo city (``safetynet demo --households 20000 --no-serve`` with the
same ``DATABASE_URL`` and ``SAFETYNET_HOME``). The script

1. picks households in the demo street officer's street (visible to every account used) and
   records authorisations and verification reports for a few of them (once);
2. makes a self-signed certificate and starts gunicorn on 127.0.0.1 with
   ``SAFETYNET_PROFILE=production`` (TLS in gunicorn, as ``scripts/serve`` does with
   ``SAFETYNET_TLS_CERT``): Secure cookies need HTTPS even on the loopback;
3. runs locust headless (``bench/locustfile.py``): every simulated officer signs in with its
   own session (street officer, county approver, verification centre, supervisor in turn) and
   browses the workbench, household pages, verification reports and lists with 2–8 s pauses;
4. samples the gunicorn processes' resident memory every 10 s (a flat line is the soak check);
5. writes ``bench/results/load-<time>.json``: requests, failures, p50/p95/p99 per page and in
   total (sign-in reported apart: argon2 is slow on purpose), requests/s, memory, ``uptime``.

Only the loopback address is ever targeted.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ACCOUNTS = ["demo-street-officer", "demo-county-approver", "demo-verification-centre", "demo-supervisor"]
PASSWORD = "safetynet-demo"
#: As scripts/serve: longer than a client's pause between requests (locust's 2–8 s), so the
#: server never closes an idle connection at the moment its client reuses it.
KEEP_ALIVE_S = 15


def _setup() -> tuple[list[int], list[int]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetynet.settings")
    import django

    django.setup()
    from safetynet.accounts.models import User
    from safetynet.registry.selectors import (
        household_get_for_user,
        household_list_for_user,
        household_members_at,
    )
    from safetynet.verification.models import VerificationReport
    from safetynet.verification.services import authorisation_record, verification_run

    street = User.objects.get(username="demo-street-officer")
    centre = User.objects.get(username="demo-verification-centre")
    households = list(household_list_for_user(user=street).order_by("id").values_list("id", flat=True)[:200])
    reports = list(
        VerificationReport.objects.filter(household_id__in=households).values_list("id", flat=True)[:20]
    )
    if not reports:
        today = dt.date.today()
        for household_id in households[:20]:
            from safetynet.registry.selectors import household_get_for_user, household_members_at

            household = household_get_for_user(user=centre, household_id=household_id)
            members = household_members_at(household=household, on=today)
            authorisation_record(
                actor=centre,
                household_id=household_id,
                signed_by_id=members[0].person_id,
                person_ids=[m.person_id for m in members],
                sources=["tax_wages", "vehicles", "bank_deposits"],
                signed_on=today,
                valid_until=today + dt.timedelta(days=180),
            )
            reports.append(verification_run(actor=centre, household_id=household_id, purpose="压力测试核对").pk)
    return households, reports


def _wait_ready(port: int, cert: Path) -> None:
    """Until the login page answers a few times in a row (every worker has served once)."""
    context = ssl.create_default_context(cafile=str(cert))
    deadline, served = time.monotonic() + 120, 0
    while time.monotonic() < deadline and served < 20:
        try:
            urllib.request.urlopen(f"https://127.0.0.1:{port}/login/", context=context, timeout=30).read()
            served += 1
        except OSError:
            time.sleep(1)


def _ms(value: str) -> float:
    return 0.0 if value in ("", "N/A") else float(value)


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid, *map(int, out)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    # Sign-ins are argon2 hashes (about 0.23 s of CPU each, on purpose; 10 a second would need more
    # than the two cores): at 4 a second the 200 sessions open in 50 s without saturating the
    # machine, so the browsing figures, counted from when the last session has started, are not
    # the tail of a sign-in storm.
    parser.add_argument("--spawn-rate", type=float, default=4)
    parser.add_argument("--duration", type=int, default=120, help="seconds of load after the ramp")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--keep-alive", type=int, default=KEEP_ALIVE_S, help="gunicorn's idle connection timeout (s)")
    args = parser.parse_args()
    home = Path(os.environ["SAFETYNET_HOME"])
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench_load runs on PostgreSQL: set DATABASE_URL")

    households, reports = _setup()
    cert, key = home / "load-cert.pem", home / "load-key.pem"
    if not cert.exists():
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1",
             "-keyout", str(key), "-out", str(cert)],
            check=True,
            capture_output=True,
        )
    env = dict(os.environ)
    env.update(
        SAFETYNET_PROFILE="production",
        SAFETYNET_SECRET_KEY=secrets.token_urlsafe(50),
        SAFETYNET_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SETTINGS_MODULE="safetynet.settings",
    )
    subprocess.run([sys.executable, "-m", "safetynet.cli", "collectstatic", "--noinput", "-v", "0"], env=env, check=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "safetynet.wsgi:application", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.workers), "--threads", str(args.threads), "--timeout", "60", "--preload",
         "--keep-alive", str(args.keep_alive),
         "--certfile", str(cert), "--keyfile", str(key), "--log-level", "warning"],
        env=env,
        start_new_session=True,
    )
    try:
        _wait_ready(args.port, cert)
        if server.poll() is not None:
            sys.exit("gunicorn did not start")
        prefix = home / f"locust-{int(time.time())}"
        ramp = int(args.users / args.spawn_rate)
        locust_env = dict(os.environ)
        locust_env.update(
            SAFETYNET_LOAD_ACCOUNTS=",".join(f"{a}:{PASSWORD}" for a in ACCOUNTS),
            SAFETYNET_LOAD_HOUSEHOLDS=",".join(map(str, households)),
            SAFETYNET_LOAD_REPORTS=",".join(map(str, reports)),
            # The clients verify the server against the certificate made above.
            SAFETYNET_LOAD_CA=str(cert),
        )
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{ramp + args.duration}s",
             "--host", f"https://127.0.0.1:{args.port}", "--csv", str(prefix), "--only-summary",
             "--reset-stats", "--loglevel", "WARNING"],
            env=locust_env,
        )
        memory = []
        started = time.monotonic()
        while locust.poll() is None:
            memory.append((round(time.monotonic() - started), _rss_mb(_children(server.pid))))
            time.sleep(10)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
    pages = {}
    for row in rows:
        pages[row["Name"]] = {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": _ms(row["50%"]),
            "p95_ms": _ms(row["95%"]),
            "p99_ms": _ms(row["99%"]),
            "rps": round(float(row["Requests/s"]), 2),
        }
    browsing = {k: v for k, v in pages.items() if k not in ("login", "login form", "Aggregated")} or {"-": {"p95_ms": 0}}
    failures_csv = Path(f"{prefix}_failures.csv")
    result = {
        "users": args.users,
        "duration_s": args.duration,
        "ramp_s": ramp,
        "gunicorn": {"workers": args.workers, "threads": args.threads, "keep_alive_s": args.keep_alive,
                     "profile": "production", "tls": True},
        "database": "postgresql",
        "households": len(households),
        "reports": len(reports),
        "pages": pages,
        "browsing_p95_max_ms": max(v["p95_ms"] for v in browsing.values()),
        "total": pages.get("Aggregated"),
        "failures": sum(v["failures"] for k, v in pages.items() if k != "Aggregated"),
        "failure_samples": failures_csv.read_text()[:2000] if failures_csv.exists() else "",
        "memory_mb": memory,
        "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"load-{dt.datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(json.dumps({k: result[k] for k in ("browsing_p95_max_ms", "failures", "total", "uptime")}, ensure_ascii=False))
    for name, v in pages.items():
        print(f"  {name:<24} n={v['requests']:<6} fail={v['failures']:<4} p50={v['p50_ms']:<6} p95={v['p95_ms']:<6}")
    print(f"memory (s, MB): {memory[:3]} … {memory[-3:]}")
    print(out)


if __name__ == "__main__":
    main()
