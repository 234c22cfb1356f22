"""A process killed (SIGKILL) in the middle of an ingestion, a bulk verification or a case
transition leaves the previous good state intact, the audit chain whole, and the run can simply
be repeated. Each scenario runs the real service in its own process against a SQLite file and
kills that process from inside the service, at the point named, before its transaction commits.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SEED = """
from pathlib import Path
from django.conf import settings
from safetynet.cases.services import case_submit
from safetynet.core.roles import Role
from safetynet.core.testing import make_household, make_region_tree, make_user
tree = make_region_tree()
household = make_household(tree.east_community, members=2)
street = make_user(Role.STREET_OFFICER, tree.east_street, username="street")
head = household.memberships.order_by("id").first().person
case_submit(programme="dibao", channel="window", household_id=household.pk, applicant_id=head.pk, actor=street)
rows = [f"{m.person.id_number},{m.person.name},91990100MA0000001X,示范厂,2026-{p:02d},1500.00,0,2026-10-31"
        for m in household.memberships.all() for p in (8, 9, 10)]
csv = Path(settings.HOME) / "wages.csv"
csv.write_text("id_number,name,employer_credit_code,employer_name,period,wage_income,tax_withheld,reported_on\\n"
               + "\\n".join(rows) + "\\n", encoding="utf-8")
"""

KILL = "import os, signal\ndef _die(*a, **k):\n    os.kill(os.getpid(), signal.SIGKILL)\n"

TRANSITION = """
from safetynet.accounts.models import User
from safetynet.cases import services
from safetynet.cases.models import Case
{patch}
services.case_accept(case_id=Case.objects.get().pk, actor=User.objects.get(username="street"))
"""

INGEST = """
from pathlib import Path
from django.conf import settings
from safetynet.sources import services
{patch}
services.source_ingest(source_name="tax_wages", path=Path(settings.HOME) / "wages.csv")
"""

BULK = """
import datetime as dt
from safetynet.verification import bulk
{patch}
bulk.verification_bulk_run(on=dt.date(2026, 11, 20))
"""

STATE = """
import json
from safetynet.audit.services import audit_verify
from safetynet.cases.models import Case
from safetynet.sources.models import SourceBatch
from safetynet.verification.bulk import run_list
r = audit_verify()
print(json.dumps({"audit_ok": r.ok, "audit_entries": r.checked, "case": Case.objects.get().status,
                  "batches": SourceBatch.objects.filter(source="tax_wages").count(), "runs": len(run_list())}))
"""


def _run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SAFETYNET_AUDIT"))}
    env.update({"SAFETYNET_HOME": str(home), "DJANGO_SETTINGS_MODULE": "safetynet.settings"})
    return subprocess.run(
        [sys.executable, "-m", "safetynet.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def _shell(home: Path, code: str) -> subprocess.CompletedProcess:
    return _run(home, "shell", "-c", code)


def _state(home: Path) -> dict:
    result = _shell(home, STATE)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("faults")
    assert _run(home, "migrate", "--noinput", "-v", "0").returncode == 0
    seeded = _shell(home, SEED)
    assert seeded.returncode == 0, seeded.stderr[-2000:]
    return home


SCENARIOS = [
    # (name, script, where the process dies, what changes once the repeat succeeds)
    ("case transition", TRANSITION, "services.audit_record = _die", {"case": "accepted"}),
    ("ingestion", INGEST, "services.audit_record = _die", {"batches": 1}),
    ("bulk verification", BULK, "bulk._index_append = _die", {"runs": 1}),
]


@pytest.mark.parametrize(("name", "script", "patch", "after"), SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_a_kill_mid_run_leaves_the_previous_state_and_the_run_can_be_repeated(home, name, script, patch, after):
    before = _state(home)
    # when the process is killed inside the service, before its transaction commits
    killed = _shell(home, script.format(patch=KILL + patch))
    assert killed.returncode == -9, (name, killed.returncode, killed.stderr[-1000:])
    # then nothing of the run is visible and the audit chain is whole
    assert _state(home) == before
    # and repeating the run succeeds and changes exactly what it should
    repeated = _shell(home, script.format(patch=""))
    assert repeated.returncode == 0, repeated.stderr[-2000:]
    now = _state(home)
    assert now["audit_ok"] and now["audit_entries"] > before["audit_entries"]
    assert {k: now[k] for k in after} == after
