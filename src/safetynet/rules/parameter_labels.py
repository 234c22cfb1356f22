"""The regional parameters' descriptions and units as msgids (政策参数的名称和单位).

The YAML parameter files are the law's text and stay Chinese; these copies only put each
description and unit into the catalogue so that :func:`translated_description` and :func:`translated_unit`
can show them in the visitor's language. A test checks that every regional parameter's
description and unit is listed here.
"""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop, pgettext_lazy

DESCRIPTIONS = frozenset((
    gettext_noop("基本生活标准（当地低保标准的倍数）"),
    gettext_noop("照料护理标准：生活能够完全自理"),
    gettext_noop("照料护理标准：部分丧失生活自理能力"),
    gettext_noop("照料护理标准：完全丧失生活自理能力"),
    gettext_noop("人均收入上限（当地低保标准的倍数）"),
    gettext_noop("人均存款上限（相当于当地低保标准的月数）"),
    gettext_noop("义务人家庭月人均收入达到当地低保标准的该倍数时，视为有赡养、抚养、扶养能力"),
    gettext_noop("应计赡养费：义务人家庭月收入超过（倍数 × 低保标准 × 义务人家庭人数）部分按此比例计入被赡养人收入（共同生活的义务人除外，其收入已计入家庭收入）"),
    gettext_noop("城市低保标准"),
    gettext_noop("农村低保标准"),
    gettext_noop("老年人增发比例"),
    gettext_noop("重度残疾人增发比例"),
    gettext_noop("未成年人增发比例"),
    gettext_noop("重病患者增发比例"),
    gettext_noop("本地低保对象每人每月定额增发（如价格临时补贴）"),
    gettext_noop("是否实行单人保（1 实行，0 不实行）"),
    gettext_noop("单人保的家庭条件：家庭月人均收入低于当地低保标准的该倍数（低保边缘家庭）"),
    gettext_noop("渐退期（月）"),
    gettext_noop("渐退适用的人均收入上限（低保标准的倍数）"),
    gettext_noop("渐退期内保留原低保金的比例"),
    gettext_noop("人均存款及有价证券上限（相当于当地低保标准的月数）"),
    gettext_noop("可拥有的机动车辆数（残疾人功能性补偿代步机动车不计）"),
    gettext_noop("可拥有的住房套数（含唯一自住房）"),
    gettext_noop("家庭成员可担任法定代表人或股东的经营主体数（个体工商户除外）"),
    gettext_noop("是否实行机动车辆价值认定（1 实行：不计豁免车辆的车辆总价值不得超过上限，0 不实行）"),
    gettext_noop("机动车辆总价值上限（残疾人功能性补偿代步机动车不计）"),
    gettext_noop("实行车辆价值认定时可拥有的机动车辆数（残疾人功能性补偿代步机动车不计）"),
    gettext_noop("是否实行住房面积认定（1 实行：人均住房建筑面积不得超过上限，0 不实行）"),
    gettext_noop("人均住房建筑面积上限（家庭住房总建筑面积 ÷ 在户人数）"),
    gettext_noop("特困人员救助比例"),
    gettext_noop("低保对象救助比例"),
    gettext_noop("低保边缘家庭成员救助比例"),
    gettext_noop("低保边缘家庭起付标准"),
    gettext_noop("年度救助限额（每户）"),
    gettext_noop("火灾、交通事故等意外事件"),
    gettext_noop("家庭成员突发重大疾病"),
    gettext_noop("生活必需支出突然增加（如教育、丧葬）"),
    gettext_noop("其他特殊困难"),
    gettext_noop("自然灾害等突发事件"),
    gettext_noop("急难型临时救助（意外事件、突发重大疾病、自然灾害）不作收入审查、先行救助（1 实行，0 不实行）"),
    gettext_noop("应发金额的舍入单位（四舍五入，每项金额只舍入一次；资格比较使用未舍入的值）"),
    gettext_noop("老年人年龄下限"),
    gettext_noop("未成年人年龄上限（不含）"),
    gettext_noop("视为无劳动能力的未成年人年龄上限（不含）"),
    gettext_noop("重度残疾的最低等级（1级、2级为重度）"),
    gettext_noop("困难残疾人生活补贴：一、二级残疾人"),
    gettext_noop("困难残疾人生活补贴：三、四级残疾人"),
    gettext_noop("重度残疾人护理补贴：一级残疾人"),
    gettext_noop("重度残疾人护理补贴：二级残疾人"),
    gettext_noop("就业成本扣减：工资性收入中不计入家庭收入的比例"),
    gettext_noop("就业成本扣减每名就业成员每月上限"),
    gettext_noop("刚性支出扣减：近12个月自付医疗费用按月扣减的比例"),
    gettext_noop("刚性支出扣减：近12个月教育支出按月扣减的比例"),
    gettext_noop("是否对有劳动能力、处于就业年龄而未就业的成员推算收入（1 实行，0 不实行）"),
    gettext_noop("推算收入：有劳动能力、处于就业年龄而未就业的成员每月计入的收入（通常按当地最低工资标准的一定比例）"),
    gettext_noop("推算收入的就业年龄下限（含）"),
    gettext_noop("推算收入的就业年龄上限（不含）"),
    gettext_noop("收入豁免：奖励性收入（奖学金、见义勇为等奖励性补助）不计入家庭收入的比例"),
    gettext_noop("收入豁免：优抚对象的优待抚恤金、补助金不计入家庭收入的比例"),
    gettext_noop("收入豁免：一次性补偿、一次性抚恤金（因工伤亡、征地拆迁中的生活补偿等）按月分摊部分不计入家庭收入的比例"),
))

#: ``unit as written in the YAML: its label``
UNITS = {
    "个": pgettext_lazy("parameter unit", "个"),
    "低保标准的倍数": pgettext_lazy("parameter unit", "低保标准的倍数"),
    "元": pgettext_lazy("parameter unit", "元"),
    "元/人·月": pgettext_lazy("parameter unit", "元/人·月"),
    "元/年": pgettext_lazy("parameter unit", "元/年"),
    "套": pgettext_lazy("parameter unit", "套"),
    "岁": pgettext_lazy("parameter unit", "岁"),
    "平方米/人": pgettext_lazy("parameter unit", "平方米/人"),
    "开关": pgettext_lazy("parameter unit", "开关"),
    "月": pgettext_lazy("parameter unit", "月"),
    "比例": pgettext_lazy("parameter unit", "比例"),
    "级": pgettext_lazy("parameter unit", "级"),
    "辆": pgettext_lazy("parameter unit", "辆"),
}


def translated_description(description: str) -> str:
    """A parameter's description in the active language (unchanged if it has no msgid)."""
    return gettext(description) if description else description


def translated_unit(unit: str) -> str:
    """A parameter's unit in the active language (unchanged if it has no msgid)."""
    return str(UNITS.get(unit, unit))
