import datetime as dt
from decimal import Decimal

import pytest

from safetynet.audit.models import AuditEvent
from safetynet.portal.errors import ErrorCode, InvalidSelfCheck
from safetynet.portal.selfcheck import MemberAnswer, SelfCheckAnswers, rough, selfcheck_evaluate

# 2025-09: the city's urban standard is 930 yuan (from 2025-07-01) and 东区 adds 60 yuan a head
# (rules/parameters/dibao/standard.yaml and addon.yaml).
ON = dt.date(2025, 9, 15)
EAST = "990101001000"


def _by_programme(result):
    return {p.programme: p for p in result.programmes}


@pytest.mark.django_db
def test_a_single_adult_without_income_is_told_dibao_at_the_standard_plus_the_district_supplement():
    # given one adult of 40 with no income, no assets, in 东区
    answers = SelfCheckAnswers(region_code=EAST, rural=False, members=(MemberAnswer(age=40),))
    # when
    result = selfcheck_evaluate(answers=answers, on=ON)
    # then 低保 = (930 − 0) × 1 + 60 = 990 a month
    dibao = _by_programme(result)["dibao"]
    assert dibao.eligible
    assert dibao.rough_amount == Decimal(990)
    assert result.dibao_standard == Decimal(930)
    assert any("示政发〔2025〕18号" in r for r in dibao.references)


@pytest.mark.django_db
def test_a_wife_whose_husband_fell_ill_hears_of_temporary_and_medical_assistance():
    # given a couple, the husband seriously ill, a 10-year-old child, 800 yuan wages, 20,000 yuan medical bills
    answers = SelfCheckAnswers(
        region_code=EAST,
        rural=False,
        members=(
            MemberAnswer(age=38, incomes={"wage_income": Decimal(800)}),
            MemberAnswer(age=41, serious_illness=True),
            MemberAnswer(age=10),
        ),
        medical_expenses_12m=Decimal(20000),
        hardship="serious_illness",
    )
    result = _by_programme(selfcheck_evaluate(answers=answers, on=ON))
    # then temporary assistance is 4 months of the standard, once: 3,720 yuan
    assert result["temporary_assistance"].eligible and result["temporary_assistance"].one_off
    assert result["temporary_assistance"].rough_amount == Decimal(3720)
    assert result["medical_assistance"].eligible
    assert result["dibao"].eligible
    # and the reasons are plain Chinese sentences
    assert all(r.text for r in result["dibao"].reasons)


@pytest.mark.django_db
def test_a_car_in_the_household_is_a_reason_against_dibao_with_its_article():
    answers = SelfCheckAnswers(region_code=EAST, rural=False, members=(MemberAnswer(age=40),), vehicles=1)
    dibao = _by_programme(selfcheck_evaluate(answers=answers, on=ON))["dibao"]
    assert not dibao.eligible
    assert dibao.rough_amount == 0
    failed = [r for r in dibao.reasons if not r.passed]
    assert failed and "《示范省低保家庭财产认定办法》第七条" in failed[0].reference


@pytest.mark.parametrize(
    "change, field",
    [
        ({"members": (MemberAnswer(age=130),)}, "age"),
        ({"members": ()}, "members"),
        ({"deposits": Decimal(-1)}, "deposits"),
        ({"hardship": "lottery"}, "hardship"),
        ({"members": (MemberAnswer(age=40, incomes={"wage_income": Decimal(2_000_000)}),)}, "wage_income"),
    ],
)
def test_out_of_bounds_answers_are_refused_with_the_field(change, field):
    base = {"region_code": EAST, "rural": False, "members": (MemberAnswer(age=40),)}
    with pytest.raises(InvalidSelfCheck) as e:
        selfcheck_evaluate(answers=SelfCheckAnswers(**{**base, **change}), on=ON)
    assert e.value.code == ErrorCode.INVALID_SELF_CHECK
    assert e.value.details["field"] == field


@pytest.mark.django_db
def test_a_self_check_stores_nothing():
    before = AuditEvent.objects.count()
    selfcheck_evaluate(
        answers=SelfCheckAnswers(region_code=EAST, rural=False, members=(MemberAnswer(age=70),)), on=ON
    )
    assert AuditEvent.objects.count() == before


def test_rough_amounts_round_half_up_to_ten_yuan():
    assert rough(994.99) == Decimal(990)
    assert rough(995) == Decimal(1000)
    assert rough(0) == Decimal(0)


@pytest.mark.django_db
def test_a_lone_old_man_without_income_hears_of_tekun_only_when_no_one_can_support_him():
    def tekun(supporter: bool):
        answers = SelfCheckAnswers(region_code=EAST, rural=False, members=(MemberAnswer(age=75),),
                                   has_capable_supporter=supporter)
        return _by_programme(selfcheck_evaluate(answers=answers, on=ON))["tekun"]

    assert tekun(False).eligible
    assert not tekun(True).eligible
