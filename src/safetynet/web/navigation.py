"""What each role can do in the web shell (工作台): links to pages that exist, and a plain
description of the work that later releases bring. Presentation only: whether a record may be
seen is decided by the selectors, never here."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from safetynet.core.permissions import Action, can
from safetynet.core.roles import Role


@dataclass(frozen=True)
class Link:
    url_name: str
    title: str
    description: str


REGIONS = Link("web:regions", _("区划浏览"), _("查看本辖区及下级区划的家庭数和人数，逐级下钻。"))
HOUSEHOLDS = Link("web:households", _("家庭列表"), _("按社区查看辖区内的家庭、现有成员和成员变动历史。"))
PERSONS = Link(
    "web:persons",
    _("人员查询"),
    _("按姓名或身份证号码查找人员。证件号码默认脱敏，查看完整信息须说明事由并留痕。"),
)
MY_HOUSEHOLD = Link("web:households", _("我的家庭"), _("查看本人家庭的登记成员。"))
CASE_QUEUE = Link("cases:workbench", _("待办案件"), _("本辖区待您办理的救助申请，超期的排在最前。"))
CASE_BREACHES = Link("cases:breaches", _("超期督办"), _("辖区内超过办理时限的案件，按救助项目和环节分组。"))
CASE_PROXY = Link("cases:proxy", _("代办申请"), _("为行动不便或不会使用手机的群众登记委托并代为提交申请。"))
MY_CASES = Link("cases:workbench", _("我的申请"), _("查看申请办到哪一步、下一步做什么、什么时候办完。"))
CASE_APPLY = Link("cases:apply", _("在线申请"), _("网上提交救助申请。"))

#: Case pages by role (救助办理): who works the queue, who supervises deadlines, who files for others.
CASE_LINKS = {
    Role.COMMUNITY_WORKER: [CASE_QUEUE, CASE_PROXY],
    Role.STREET_OFFICER: [CASE_QUEUE, CASE_PROXY],
    Role.COUNTY_APPROVER: [CASE_QUEUE, CASE_BREACHES],
    Role.VERIFICATION_CENTRE: [CASE_QUEUE],
    Role.SUPERVISOR: [CASE_BREACHES],
    Role.ADMIN: [CASE_BREACHES],
    Role.CITIZEN: [MY_CASES, CASE_APPLY],
    Role.PROXY: [MY_CASES],
}

SIMULATION = Link(
    "rules:simulate", _("政策模拟"), _("测算调整救助标准等参数对覆盖人数、支出和受益受损家庭的影响。")
)
PARAMETERS = Link("rules:parameters", _("政策参数"), _("查看各项救助标准和参数的现行值、历次调整及依据。"))
PARAMETER_CHANGES = Link(
    "rules:changes", _("参数调整"), _("提出本级及下级区划的参数调整，审核他人提出的调整（双人复核）。")
)

ALERTS = Link("monitoring:alerts", _("预警工单"), _("本辖区待核查的预警，超期的排在最前；走访、办结或一键发起主动发现申请。"))
MONITORING_DASHBOARD = Link(
    "monitoring:dashboard", _("监测看板"), _("辖区预警按区县、等级、条件和办结结果统计，以及各预警条件的精准率。")
)

#: Monitoring pages by role (动态监测): workers follow alerts up; county and above watch the dashboard.
MONITORING_LINKS = {
    Role.COMMUNITY_WORKER: [ALERTS],
    Role.STREET_OFFICER: [ALERTS],
    Role.COUNTY_APPROVER: [MONITORING_DASHBOARD],
    Role.SUPERVISOR: [MONITORING_DASHBOARD],
    Role.ANALYST: [MONITORING_DASHBOARD],
    Role.ADMIN: [MONITORING_DASHBOARD],
}

#: Rules pages by role (规则与参数): analysts simulate; approvers and admins also set parameters.
RULES_LINKS = {
    Role.ANALYST: [SIMULATION, PARAMETERS],
    Role.COUNTY_APPROVER: [SIMULATION, PARAMETERS, PARAMETER_CHANGES],
    Role.ADMIN: [SIMULATION, PARAMETERS, PARAMETER_CHANGES],
}

#: The work each role will do here once its module ships; shown as plain text, not as data.
UPCOMING = {
    Role.CITIZEN: _("自助测算、在线申请、授权核对、查询办理进度、申诉与投诉。"),
    Role.PROXY: _("凭登记的委托关系为亲属或服务对象代办申请、查询进度。"),
    Role.COMMUNITY_WORKER: _("接收预警派单和转介、入户调查、协助群众申请。"),
    Role.STREET_OFFICER: _("受理和初审救助申请、组织公示、审批小额临时救助。"),
    Role.COUNTY_APPROVER: _("审批、暂停和退出救助，在法定范围内设定本地参数。"),
    Role.VERIFICATION_CENTRE: _("开展家庭经济状况核对（单户和批量），出具核对报告。"),
    Role.PROVIDER: _("发布救助资源、接收转介、报告服务落实情况。"),
    Role.DATA_PROVIDER: _("推送本部门数据批次，查看校验和隔离结果。"),
    Role.SUPERVISOR: _("复核异常线索、监督办理过程、下达追回。"),
    Role.ANALYST: _("查看统计看板，开展政策模拟。"),
    Role.ADMIN: _("管理用户、区划、数据源和政策参数。"),
}


SOURCES = Link("sources:list", _("部门数据源"), _("数据源目录、各批次的收到、入库与隔离行数及原因。"))
LINK_REVIEWS = Link(
    "sources:link_reviews", _("关联人工核对"), _("身份证号码有误、系统匹配把握不足的数据行，由您确认或否定。")
)
#: The data hub's pages, by role (the selectors check the same roles again).
SOURCE_LINKS = {
    Role.VERIFICATION_CENTRE: [SOURCES, LINK_REVIEWS],
    Role.ADMIN: [SOURCES, LINK_REVIEWS],
    Role.DATA_PROVIDER: [SOURCES],
    Role.SUPERVISOR: [SOURCES],
}


def links_for(user) -> list[Link]:
    role = getattr(user, "role", None)
    cases = [
        *CASE_LINKS.get(role, []),
        *MONITORING_LINKS.get(role, []),
        *RULES_LINKS.get(role, []),
        *SOURCE_LINKS.get(role, []),
    ]
    if can(user, Action.PERSON_VIEW_FULL):
        return [*cases, REGIONS, HOUSEHOLDS, PERSONS]
    if role in (Role.CITIZEN, Role.PROXY) and getattr(user, "person_id", None):
        return [*cases, MY_HOUSEHOLD]
    return list(cases)


def upcoming_for(user) -> str:
    return UPCOMING.get(getattr(user, "role", None), "")


def reads_registry(user) -> bool:
    """Staff who open registry records (and so see counts and the 查看完整信息 form); the
    selectors enforce the same rule again."""
    return can(user, Action.PERSON_VIEW_FULL)
