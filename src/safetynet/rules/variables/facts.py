"""Input variables: the facts a decision stands on (filled by verification, an application or the
registry). Names match :mod:`safetynet.rules.facts`."""

import datetime as dt

from openfisca_core.indexed_enums import Enum
from openfisca_core.periods import DateUnit
from openfisca_core.variables import Variable

from safetynet.rules.entities import Household, Person
from safetynet.rules.variables.base import Float64Variable

MONTH = DateUnit.MONTH
ETERNITY = DateUnit.ETERNITY


class LabourCapacity(Enum):
    full = "有劳动能力"
    partial = "部分丧失劳动能力"
    none = "完全丧失劳动能力"


class SelfCare(Enum):
    full = "生活能够完全自理"
    partial = "部分丧失生活自理能力"
    none = "完全丧失生活自理能力"


class TemporaryCase(Enum):
    none = "无"
    accident = "意外事件"
    serious_illness = "突发重大疾病"
    expense_shock = "生活必需支出突增"
    other = "其他特殊困难"
    disaster = "自然灾害"


def _var(name, entity, value_type, label, period=MONTH, **extra):
    return type(
        name,
        (Float64Variable if value_type is float else Variable,),
        {"value_type": value_type, "entity": entity, "label": label, "definition_period": period, **extra},
    )


VARIABLES = [
    # person
    _var("birth_date", Person, dt.date, "出生日期", ETERNITY),
    _var("joined_on", Person, dt.date, "加入家庭日期", ETERNITY, default_value=dt.date(1900, 1, 1)),
    _var(
        "left_on",
        Person,
        dt.date,
        "离开家庭日期（未离开为 2999-12-31）",
        ETERNITY,
        default_value=dt.date(2999, 12, 31),
    ),
    _var(
        "died_on",
        Person,
        dt.date,
        "死亡日期（未死亡为 2999-12-31）",
        ETERNITY,
        default_value=dt.date(2999, 12, 31),
    ),
    _var("disability_grade", Person, int, "残疾等级（0 为无残疾，1 级最重）"),
    _var(
        "labour_capacity",
        Person,
        Enum,
        "劳动能力",
        possible_values=LabourCapacity,
        default_value=LabourCapacity.full,
    ),
    _var("self_care", Person, Enum, "生活自理能力", possible_values=SelfCare, default_value=SelfCare.full),
    _var("serious_illness", Person, bool, "患重特大疾病"),
    _var("has_capable_supporter", Person, bool, "经认定有具备能力的法定义务人（未列入义务人事实的）"),
    _var("wage_income", Person, float, "工资性收入（元/月）"),
    _var("business_income", Person, float, "经营净收入（元/月）"),
    _var("property_income", Person, float, "财产净收入（元/月）"),
    _var("transfer_income", Person, float, "转移净收入（养老金、赡养费等，元/月）"),
    _var("other_income", Person, float, "其他应计收入（元/月）"),
    _var("own_medical_expenses_12m", Person, float, "本人近12个月医保报销后自付医疗费用（元）"),
    _var("award_income", Person, float, "奖励性收入（奖学金、见义勇为奖励等，元/月）"),
    _var("compensation_income", Person, float, "一次性补偿、抚恤按月分摊（元/月）"),
    _var("special_care_income", Person, float, "优抚对象优待抚恤金、补助金（元/月）"),
    _var("work_exempt", Person, bool, "经认定暂不宜就业（在校学生、照料重病重残家庭成员等）"),
    # household
    _var("county_code", Household, int, "所在县（区）6 位区划代码"),
    _var("rural", Household, bool, "农村家庭（适用农村标准）"),
    _var("deposits", Household, float, "存款及有价证券（元）"),
    _var("vehicles", Household, int, "机动车辆（辆，含残疾人功能性补偿代步机动车）"),
    _var("vehicle_value", Household, float, "机动车辆总价值（元，含残疾人功能性补偿代步机动车）"),
    _var("disability_vehicles", Household, int, "其中残疾人功能性补偿代步机动车（辆）"),
    _var("disability_vehicle_value", Household, float, "其中残疾人功能性补偿代步机动车价值（元）"),
    _var("dwellings", Household, int, "住房（套）"),
    _var("dwelling_area", Household, float, "住房总建筑面积（平方米）"),
    _var("business_registrations", Household, int, "成员担任法定代表人或股东的经营主体（个）"),
    _var(
        "medical_expenses_12m", Household, float, "近12个月医保报销后自付医疗费用中未分摊到成员的部分（元）"
    ),
    _var("education_expenses_12m", Household, float, "近12个月教育支出（元）"),
    _var("dibao_current_amount", Household, float, "上月领取的低保金（元/月，非低保户为 0）"),
    _var("gradual_exit_months_used", Household, int, "已享受渐退的月数"),
    _var(
        "temporary_case",
        Household,
        Enum,
        "临时救助事由",
        possible_values=TemporaryCase,
        default_value=TemporaryCase.none,
    ),
]
