"""``safetynet packages``: a batch run prints both solvers' need met, use against limits, gap."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from safetynet.core.testing import make_household
from safetynet.resources import services

pytestmark = pytest.mark.django_db


def test_packages_json(family, people, catalogue, tree):
    for _ in range(3):
        other = make_household(tree.east_community, members=1)
        services.need_record(household_id=other.pk, category="disability_care", severity=3, explanation="行动不便",
                             actor=people.worker)
    services.needs_refresh(household_id=family.pk, actor=people.street)
    out = StringIO()
    call_command("packages", "--region", tree.east.code, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["households"] == 4 and data["resources"] == 4
    assert data["violations"] == [] and data["unfair_households"] == 0
    assert data["need_met"] >= data["greedy_need_met"]
    care = next(r for r in data["resource_rows"] if r["code"] == "care")
    assert care["used"] == 1 == care["capacity_left"]
    assert data["gap"] <= 1e-4


def test_packages_bad_region():
    with pytest.raises(CommandError, match="不存在"):
        call_command("packages", "--region", "123", stdout=StringIO())
