import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from safetynet.cases import services as case_services
from safetynet.cases.tests.conftest import FULL_FINDINGS, make_report
from safetynet.core.testing import Role, make_household, make_user
from safetynet.portal.errors import InvalidTransparencyQuery
from safetynet.portal.tests.conftest import Staff, case_to_active
from safetynet.portal.transparency.selectors import (
    aggregate_tables,
    month_start,
    notices_current,
    open_data_rows,
    parse_month,
)

pytestmark = pytest.mark.django_db


def test_receiving_households_are_counted_by_county_and_programme_and_small_cells_withheld(tree, staff, settings):
    # given five 低保 and five 特困 households receiving in 东区 (two members each, 500 yuan a
    # month) and one 低保 household in 西区
    settings.SAFETYNET_SUPPRESSION_K = 5
    for programme in ("dibao", "tekun"):
        for _ in range(5):
            case_to_active(make_household(tree.east_community), staff, programme=programme)
    west_staff = Staff(**{**staff.__dict__, "street": staff.west_street,
                          "county": make_user(Role.COUNTY_APPROVER, tree.west),
                          "worker": make_user(Role.COMMUNITY_WORKER, tree.west_community)})
    case_to_active(make_household(tree.west_community), west_staff)
    # when
    [table] = aggregate_tables(months=[month_start(timezone.localdate())])
    # then 东区 × 特困 is published: 5 households, 10 persons, 2,500 yuan
    east, west, total = 0, 1, 2
    dibao, tekun, total_col = 0, 1, len(table.col_codes) - 1
    assert table.row_codes[east] == tree.east.code and table.col_codes[tekun] == "tekun"
    assert table.households[east][tekun] == 5
    assert table.persons[east][tekun] == 10
    assert table.amount[east][tekun] == Decimal("2500.00")
    assert table.households[total][tekun] == 5
    # 西区's single household is withheld, with its district total; and since 东区's 低保 could
    # then be read off as (东区 total − 特困) and 西区's as (city 低保 − 东区 低保), so is one of each
    assert table.households[west][dibao] is None and table.households[west][total_col] is None
    assert table.amount[west][dibao] is None and table.persons[west][dibao] is None
    assert table.households[east][dibao] is None and table.households[east][total_col] is None
    # the open data say the same, flagged
    rows = open_data_rows([table])
    cell = next(r for r in rows if r["region_code"] == tree.west.code and r["programme"] == "dibao")
    assert cell["suppressed"] and cell["households"] is None and cell["amount_yuan"] is None


def test_a_month_before_a_case_started_does_not_count_it(tree, staff):
    case_to_active(make_household(tree.east_community), staff)
    last_month = month_start(month_start(timezone.localdate()) - dt.timedelta(days=1))
    [table] = aggregate_tables(months=[last_month], k=1)
    assert table.households[-1][-1] == 0


def test_the_running_notices_are_listed_masked(tree, staff):
    household = make_household(tree.east_community)
    head = household.memberships.order_by("id").first().person
    case = case_services.case_submit(
        programme="dibao", household_id=household.pk, applicant_id=head.pk, actor=staff.street, channel="window"
    ).case
    case_services.case_accept(case_id=case.pk, actor=staff.street)
    case_services.case_transition(case_id=case.pk, to="verification", actor=staff.street)
    make_report(household)
    case_services.case_transition(case_id=case.pk, to="home_visit", actor=staff.street)
    case_services.case_record_visit(case_id=case.pk, actor=staff.worker, visited_on=timezone.localdate(),
                                    findings=FULL_FINDINGS, notes="")
    case_services.case_open_notice(case_id=case.pk, actor=staff.street)
    [notice] = notices_current()
    assert notice.masked_name != head.name and notice.masked_name[0] == head.name[0] and "*" in notice.masked_name
    assert head.id_number not in notice.masked_id_number and "*" in notice.masked_id_number


@pytest.mark.parametrize("text", ["2025-13", "abc", "1999-01", "2999-01"])
def test_a_bad_or_out_of_range_month_is_refused(text):
    with pytest.raises(InvalidTransparencyQuery):
        parse_month(text, today=dt.date(2025, 9, 1))
