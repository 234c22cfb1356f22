"""Every programme pinned on hand-worked households (rules as in the YAML files)."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from safetynet.rules.facts import HouseholdFacts, MemberFacts
from safetynet.rules.services import decide_household
from safetynet.rules.system import yaml_system
from safetynet.rules.tests.households import EAST, NORTH, WEST, adult, born, family_of_three_west

MARCH = dt.date(2025, 3, 10)


def decide(household, on=MARCH):
    return decide_household(household=household, on=on, system=yaml_system())


def test_dibao_gap_and_child_addon_in_west():
    # given 1200 wage − 240 work disregard = 960 for 3 people → 320 per head; 西区 standard 950
    household = family_of_three_west()
    # when
    decision = decide(household)
    # then (950 − 320) × 3 = 1890, plus the child's add-on 10% × 950 = 95
    dibao = decision.programmes["dibao"]
    assert decision.income_per_head == 320
    assert decision.dibao_standard == 950
    assert dibao.eligible and dibao.amount == 1985
    assert [(line.code, line.amount) for line in dibao.lines] == [
        ("dibao.gap", Decimal("1890.00")),
        ("dibao.addon", Decimal("95.00")),
        ("dibao.total", Decimal("1985.00")),
    ]
    # every amount line cites its parameter's law, in the text and as data
    gap, addon, total = dibao.lines
    assert gap.parameters == ("dibao.standard.urban",) and "西民发〔2024〕9号" in gap.reference
    assert "（依据：《示范市西区最低生活保障实施细则》（西民发〔2024〕9号）第五条" in gap.text
    assert addon.parameters == ("dibao.addon.child",) and "第二十二条" in addon.text
    assert total.parameters == ("payment.rounding_unit",) and "分以下四舍五入" in total.text
    assert decision.monthly_total == 1985
    income_test = dibao.tests[0]
    assert (income_test.code, income_test.passed, income_test.value, income_test.threshold) == (
        "dibao.income",
        True,
        320,
        950,
    )
    assert income_test.parameter == "dibao.standard.urban"
    assert "西民发〔2024〕9号" in income_test.reference
    text = decision.explain_zh()
    assert "家庭月人均收入 320 元，低于本县（区）2025年低保标准 950 元" in text
    assert "按差额计算每月 1890 元" in text
    assert "张小明为未成年人" in text and "增发 95 元" in text
    assert "合计每月 1985 元" in text


def test_income_exactly_at_the_standard_is_not_below_it():
    # given a single adult whose countable income equals 西区's standard exactly
    at = HouseholdFacts(region_code=WEST, members=(adult(40, property_income=950),))
    # when
    decision = decide(at)
    # then 低保 refuses ("低于" is strict) and the household is recognised as low-income margin
    dibao = decision.programmes["dibao"]
    assert not dibao.eligible and dibao.amount == 0
    assert dibao.tests[0].passed is False
    assert "不低于本县（区）2025年低保标准 950 元" in dibao.summary
    assert decision.programmes["low_income_margin"].eligible
    # and one cent below, the gap is one cent
    below = dataclasses.replace(at, members=(adult(40, property_income=949.99),))
    assert decide(below).programmes["dibao"].amount == Decimal("0.01")


def test_member_who_left_mid_month_counts_that_month_only():
    # given a son earning 3000 who left on 15 June
    household = HouseholdFacts(
        region_code=EAST,
        members=(
            adult(50, transfer_income=500, name="王强"),
            adult(25, relationship="child", wage_income=3000, left_on=dt.date(2025, 6, 15), name="王小军"),
        ),
    )
    # when / then June: (3000 − 300 + 500) / 2 = 1600 per head ≥ 900: no 低保
    june = decide(household, on=dt.date(2025, 6, 20))
    assert june.household_size == 2 and june.income_per_head == 1600
    assert not june.programmes["dibao"].eligible
    # July: only the father, 500 per head; standard 930 → 430 + 东区 flat 60
    july = decide(household, on=dt.date(2025, 7, 1))
    assert july.household_size == 1 and july.income_per_head == 500
    assert july.programmes["dibao"].amount == 490


def test_member_who_joins_mid_month_counts_from_next_month():
    household = HouseholdFacts(
        region_code=NORTH,
        members=(
            adult(40),
            adult(38, relationship="spouse", wage_income=2000, joined_on=dt.date(2025, 3, 5)),
        ),
    )
    assert decide(household, on=dt.date(2025, 3, 31)).household_size == 1
    assert decide(household, on=dt.date(2025, 4, 1)).household_size == 2


def test_standard_that_changes_mid_year_applies_from_its_month():
    # given a rural elderly person in 东区 with a supporter (so not 特困), pension 300
    household = HouseholdFacts(
        region_code=EAST,
        rural=True,
        members=(adult(65, transfer_income=300, has_capable_supporter=True, name="赵大爷"),),
    )
    # when June (rural 700) and July (rural 730)
    june, july = decide(household, on=dt.date(2025, 6, 30)), decide(household, on=dt.date(2025, 7, 1))
    # then gap + elderly 10% + 东区 60
    assert june.programmes["dibao"].amount == 400 + 70 + 60
    assert july.programmes["dibao"].amount == 430 + 73 + 60
    assert "本市2025年低保标准 730 元" in july.explain_zh()


def test_region_with_its_own_addon_overrides_the_city():
    members = (adult(40, other_income=300),)
    east = decide(HouseholdFacts(region_code=EAST, members=members))
    north = decide(HouseholdFacts(region_code=NORTH, members=members))
    # 东区 and 北区 both use the city standard 900; only 东区 adds its 60
    assert east.dibao_standard == north.dibao_standard == 900
    assert east.programmes["dibao"].amount == 660 and north.programmes["dibao"].amount == 600
    assert "本县（区）定额增发 60 元（每人 60 元）" in east.explain_zh()
    # before 东区's add-on started there is none
    assert (
        decide(HouseholdFacts(region_code=EAST, members=members), on=dt.date(2024, 12, 1))
        .programmes["dibao"]
        .amount
        == 850 - 300
    )


def test_assets_at_and_over_the_limits():
    # limit: 24 months × 950 × 1 person = 22800
    base = HouseholdFacts(region_code=WEST, members=(adult(40),), deposits=22800)
    assert decide(base).programmes["dibao"].eligible
    over = decide(dataclasses.replace(base, deposits=22800.5)).programmes["dibao"]
    assert not over.eligible
    failed = [t for t in over.tests if not t.passed]
    assert [t.code for t in failed] == ["assets.deposits"] and failed[0].threshold == 22800
    car = decide(dataclasses.replace(base, vehicles=1)).programmes["dibao"]
    assert not car.eligible and "机动车辆 1 辆，超过规定" in car.summary
    firm = decide(dataclasses.replace(base, business_registrations=1)).programmes["dibao"]
    assert not firm.eligible and "assets.business" in [t.code for t in firm.tests if not t.passed]


def test_tekun_single_elderly_excludes_dibao():
    # given 75, no supporter, pension 200, partly unable to look after himself, 东区 urban (900)
    household = HouseholdFacts(
        region_code=EAST,
        members=(
            adult(75, transfer_income=200, has_capable_supporter=False, self_care="partial", name="孙老伯"),
        ),
        medical_expenses_12m=5000,
    )
    decision = decide(household)
    tekun = decision.programmes["tekun"]
    # then basic 1.3 × 900 = 1170, care 400
    assert tekun.eligible and tekun.amount == 1570
    dibao = decision.programmes["dibao"]
    assert not dibao.eligible and "全部成员均享受特困供养，不再纳入低保" in dibao.summary
    # 特困 medical assistance: 100% of 5000
    assert decision.programmes["medical_assistance"].amount == 5000
    assert decision.monthly_total == 1570
    assert "基本生活费 1170 元" in decision.explain_zh()


def test_tekun_member_leaves_dibao_unit_and_loses_living_subsidy_but_keeps_care_subsidy():
    # given a working woman and her brother with grade-1 disability, who has no supporter (a
    # sibling has no duty to support here; a co-resident able parent or child would)
    household = HouseholdFacts(
        region_code=EAST,
        members=(
            adult(50, wage_income=1000, name="周红"),
            adult(
                30,
                relationship="sibling",
                disability_grade=1,
                labour_capacity="none",
                self_care="none",
                has_capable_supporter=False,
                name="周强",
            ),
        ),
    )
    decision = decide(household)
    # 特困: 1170 + 900 full care = 2070
    assert decision.programmes["tekun"].amount == 2070
    # 低保 for the mother alone: 1000 − 200 = 800 < 900 → 100 + 东区 60
    assert decision.programmes["dibao"].amount == 160
    disability = decision.programmes["disability_subsidies"]
    assert disability.amount == 150  # care subsidy grade 1 only
    assert "已享受特困供养，不重复享受生活补贴" in disability.summary
    assert decision.monthly_total == 160 + 2070 + 150


def test_tekun_refused_with_capable_supporter_or_income():
    supported = decide(
        HouseholdFacts(
            region_code=NORTH, members=(adult(70, transfer_income=200, has_capable_supporter=True),)
        )
    )
    assert not supported.programmes["tekun"].eligible
    assert "经认定有具备赡养、抚养、扶养能力的法定义务人" in supported.programmes["tekun"].summary
    rich = decide(
        HouseholdFacts(
            region_code=NORTH, members=(adult(70, transfer_income=1170, has_capable_supporter=False),)
        )
    )
    tekun = rich.programmes["tekun"]
    assert not tekun.eligible and "不低于特困基本生活标准 1170 元" in tekun.summary


def test_gradual_exit_keeps_the_benefit_then_ends():
    # given a recipient household whose wage rose: (2400 − 300) / 2 = 1050 ≥ 930, below 1.5 × 930
    base = HouseholdFacts(
        region_code=EAST,
        members=(adult(40, wage_income=2400), adult(38, relationship="spouse")),
        dibao_current_amount=600,
        gradual_exit_months_used=2,
    )
    july = dt.date(2025, 7, 15)
    exiting = decide(base, on=july).programmes["dibao"]
    assert exiting.eligible and exiting.amount == 600
    assert "处于渐退期（已渐退 2 个月，渐退期 6 个月）" in exiting.summary
    ended = decide(dataclasses.replace(base, gradual_exit_months_used=6), on=july)
    assert not ended.programmes["dibao"].eligible
    assert "dibao.gradual_exit" in [t.code for t in ended.programmes["dibao"].tests if not t.passed]
    assert ended.programmes["low_income_margin"].eligible


def test_low_income_margin_with_rigid_expenditure_and_medical_assistance():
    # given 1250 property income, 3000 medical costs in 12 months → 250 a month deducted → 1000 per head
    household = HouseholdFacts(
        region_code=WEST, members=(adult(40, property_income=1250),), medical_expenses_12m=3000
    )
    decision = decide(household)
    assert decision.income_per_head == 1000
    assert not decision.programmes["dibao"].eligible
    assert decision.programmes["low_income_margin"].eligible
    # (3000 − 1000 deductible) × 60%
    assert decision.programmes["medical_assistance"].amount == 1200
    assert "扣除医疗、教育刚性支出 250 元" in decision.programmes["dibao"].summary


def test_temporary_assistance_by_case_type():
    household = dataclasses.replace(family_of_three_west(), temporary_case="accident")
    decision = decide(household)
    temporary = decision.programmes["temporary_assistance"]
    assert temporary.eligible and temporary.amount == 6 * 950
    assert temporary.one_off and decision.monthly_total == 1985  # not monthly
    assert "意外事件：按 6 个月低保标准（950 元）一次性救助 5700 元" in decision.explain_zh()
    well_off = HouseholdFacts(
        region_code=WEST, members=(adult(40, property_income=3000),), temporary_case="other"
    )
    assert not decide(well_off).programmes["temporary_assistance"].eligible


def test_disability_subsidies_in_a_dibao_household():
    household = HouseholdFacts(
        region_code=NORTH,
        members=(
            adult(40, disability_grade=2, name="吴军"),
            adult(38, relationship="spouse", disability_grade=3),
        ),
    )
    decision = decide(household)
    # 低保 900 × 2 + severe disability add-on 20% × 900 = 1980
    assert decision.programmes["dibao"].amount == 1980
    disability = decision.programmes["disability_subsidies"]
    # living 120 (grade 2) + 80 (grade 3), care 100 (grade 2)
    assert disability.amount == 300
    assert "吴军（2级重度残疾）享受重度残疾人护理补贴 100 元" in disability.summary
    assert "非重度残疾，不享受护理补贴" in disability.summary


def test_care_subsidy_without_dibao():
    household = HouseholdFacts(region_code=NORTH, members=(adult(40, wage_income=5000, disability_grade=1),))
    decision = decide(household)
    assert not decision.programmes["dibao"].eligible
    assert decision.programmes["disability_subsidies"].amount == 150
    assert "家庭未享受低保" in decision.programmes["disability_subsidies"].summary


def test_every_outcome_renders_reasons():
    households = [
        family_of_three_west(),
        HouseholdFacts(region_code=WEST, members=(adult(40, property_income=5000),), vehicles=2),
        HouseholdFacts(
            region_code=EAST, members=(adult(80, has_capable_supporter=False),), temporary_case="other"
        ),
    ]
    for household in households:
        decision = decide(household)
        data = decision.as_dict()
        for code, programme in decision.programmes.items():
            assert programme.summary, code
            assert programme.tests, code
            assert data["programmes"][code]["tests"][0]["text"]
        assert data["explanation"].count("【") == 6


@pytest.mark.parametrize(
    ("field", "value"),
    [("region_code", "990100000000"), ("deposits", -1), ("temporary_case", "flood")],
)
def test_invalid_facts_are_refused_with_a_code(field, value):
    from safetynet.rules.errors import InvalidFacts

    household = dataclasses.replace(family_of_three_west(), **{field: value})
    with pytest.raises(InvalidFacts) as err:
        decide(household)
    assert err.value.code == "rules.invalid_facts"


def test_invalid_member_is_refused():
    from safetynet.rules.errors import InvalidFacts

    bad = HouseholdFacts(region_code=WEST, members=(MemberFacts(birth_date=born(30), disability_grade=5),))
    with pytest.raises(InvalidFacts):
        decide(bad)
