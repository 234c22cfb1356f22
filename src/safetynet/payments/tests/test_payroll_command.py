import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from safetynet.core.testing import Role, make_user
from safetynet.payments.tests.conftest import active_case


def test_payroll_command_reports_lines_held_and_fen_per_programme(tree, staff, lake):
    # given: two active 低保 cases, one without an account; an admin at the city
    active_case(tree, staff)
    active_case(tree, staff, account=None)
    admin = make_user(Role.ADMIN, tree.city)
    from django.utils import timezone

    month = timezone.now().strftime("%Y-%m")
    out = StringIO()
    # when
    call_command("payroll", month=month, user=admin.username, json=True, stdout=out)
    # then
    data = json.loads(out.getvalue())
    assert data["by_programme"] == {"dibao": {"lines": 2, "held": 1, "total_fen": 100000, "held_fen": 50000,
                                              "payable_fen": 50000}}
    assert [r["region"] for r in data["rolls"]] == [tree.east.code]


def test_payroll_command_refuses_a_bad_month(tree, lake):
    make_user(Role.ADMIN, tree.city)
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("payroll", month="2026/11", stdout=StringIO())
