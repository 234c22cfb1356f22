"""What each role can do in the web shell (工作台): links to the pages it may open, read from the
permission table (a link shows exactly when ``can(user, link.action)``), and a plain description
of the work that later releases bring. Presentation only: the selectors and services check the
same table again."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from safetynet.core.permissions import Action, can
from safetynet.core.roles import SELF_SERVICE_ROLES, Role


@dataclass(frozen=True)
class Link:
    url_name: str
    title: str
    description: str
    #: The action of the permission table that opening the page needs.
    action: Action
    #: ``"staff"`` or ``"self"`` where a page is drawn differently for staff and for applicants.
    audience: str = ""


CASE_QUEUE = Link("cases:workbench", _("待办案件"), _("本辖区待您办理的救助申请，超期的排在最前。"),
                  Action.CASE_QUEUE)
MY_CASES = Link("cases:workbench", _("我的申请"), _("查看申请办到哪一步、下一步做什么、什么时候办完。"),
                Action.CASE_APPEAL, audience="self")
CASE_APPLY = Link("cases:apply", _("在线申请"), _("网上提交救助申请。"), Action.CASE_APPLY)
CASE_PROXY = Link("cases:proxy", _("代办申请"), _("为行动不便或不会使用手机的群众登记委托并代为提交申请。"),
                  Action.CASE_PROXY_APPLY)
CASE_BREACHES = Link("cases:breaches", _("超期督办"), _("辖区内超过办理时限的案件，按救助项目和环节分组。"),
                     Action.CASE_BREACHES)
ALERTS = Link("monitoring:alerts", _("预警工单"),
              _("本辖区待核查的预警，超期的排在最前；走访、办结或一键发起主动发现申请。"), Action.ALERT_HANDLE)
MONITORING_DASHBOARD = Link(
    "monitoring:dashboard", _("监测看板"), _("辖区预警按区县、等级、条件和办结结果统计，以及各预警条件的精准率。"),
    Action.MONITORING_DASHBOARD,
)
SIMULATION = Link("rules:simulate", _("政策模拟"),
                  _("测算调整救助标准等参数对覆盖人数、支出和受益受损家庭的影响。"), Action.RULES_SIMULATE)
PARAMETERS = Link("rules:parameters", _("政策参数"), _("查看各项救助标准和参数的现行值、历次调整及依据。"),
                  Action.RULES_PARAMETERS_READ)
PARAMETER_CHANGES = Link("rules:changes", _("参数调整"),
                         _("提出本级及下级区划的参数调整，审核他人提出的调整（双人复核）。"),
                         Action.RULES_PARAMETER_CHANGE)
SOURCES = Link("sources:list", _("部门数据源"), _("数据源目录、各批次的收到、入库与隔离行数及原因。"),
               Action.SOURCES_READ)
LINK_REVIEWS = Link("sources:link_reviews", _("关联人工核对"),
                    _("身份证号码有误、系统匹配把握不足的数据行，由您确认或否定。"), Action.SOURCES_LINK_REVIEW)
REGIONS = Link("web:regions", _("区划浏览"), _("查看本辖区及下级区划的家庭数和人数，逐级下钻。"),
               Action.REGIONS_BROWSE)
HOUSEHOLDS = Link("web:households", _("家庭列表"), _("按社区查看辖区内的家庭、现有成员和成员变动历史。"),
                  Action.REGISTRY_BROWSE, audience="staff")
PERSONS = Link("web:persons", _("人员查询"),
               _("按姓名或身份证号码查找人员。证件号码默认脱敏，查看完整信息须说明事由并留痕。"),
               Action.REGISTRY_BROWSE, audience="staff")
MY_HOUSEHOLD = Link("web:households", _("我的家庭"), _("查看本人家庭的登记成员。"), Action.REGISTRY_BROWSE,
                    audience="self")

# resources (融救联助)
PACKAGES = Link("resources:queue", _("救助包"), _("辖区内有未满足需求的家庭，需求最急的在前；生成、调整和确认救助包。"),
                Action.PACKAGE_PROPOSE)
REFERRAL_WORKBENCH = Link("resources:workbench", _("转介工作台"),
                          _("转给本单位的转介：接收或婉拒、登记提供、反馈结果；本月剩余名额。"), Action.REFERRAL_HANDLE)
CATALOGUE = Link("resources:catalogue", _("救助资源目录"), _("各部门和社会组织的救助资源、申领条件和本月剩余名额。"),
                 Action.CATALOGUE_READ)
CATALOGUE_REVIEW = Link("resources:changes", _("资源复核"), _("复核部门提交的救助资源新增和修改（双人复核）。"),
                        Action.CATALOGUE_REVIEW)
RESOURCES_DASHBOARD = Link("resources:dashboard", _("救助资源看板"),
                           _("各区县各类未满足需求、转介进度，以及资金用在哪里最见效。"), Action.RESOURCES_DASHBOARD)
MY_REFERRALS = Link("resources:mine", _("为我安排的帮扶"), _("看看为您安排了哪些帮扶、谁来提供、什么时候到。"),
                    Action.REFERRAL_FOLLOW, audience="self")

# portal (公众服务：接诉即办)
COMPLAINTS = Link("portal:queue", _("投诉举报"), _("群众投诉和违规举报，按答复期限排序；超期的由上一级督办。"),
                  Action.COMPLAINT_HANDLE)

# payments and supervision (资金发放与监督)
ROLLS = Link("payments:rolls", _("发放名册"), _("月度发放名册：生成、复核批准、银行代发文件、回盘对账、失败重发。"),
             Action.PAYROLL_READ)
SUPERVISION = Link("supervision:workbench", _("监督工作台"),
                   _("五项监管：办理流程、复核、资金发放、应保尽保应退尽退、政策叠加的异常线索，逐条核查办结。"),
                   Action.SUPERVISION_WORKBENCH)
RECOVERIES = Link("supervision:recoveries", _("追回单"), _("多发救助金的追回、分期还款和核销。"),
                  Action.RECOVERY_MANAGE)

#: Every page of the shell, in the order the home page lists them.
LINKS: tuple[Link, ...] = (
    CASE_QUEUE, MY_CASES, CASE_APPLY, CASE_PROXY, CASE_BREACHES,
    ALERTS, MONITORING_DASHBOARD,
    SIMULATION, PARAMETERS, PARAMETER_CHANGES,
    SOURCES, LINK_REVIEWS,
    REGIONS, HOUSEHOLDS, PERSONS, MY_HOUSEHOLD,
    COMPLAINTS,
    ROLLS, SUPERVISION, RECOVERIES,
    PACKAGES, REFERRAL_WORKBENCH, CATALOGUE, CATALOGUE_REVIEW, RESOURCES_DASHBOARD, MY_REFERRALS,
)

#: Work a role will do here that is not built yet (what is built is a link above, never listed
#: here); shown as plain text. A role whose work is all here has no entry.
UPCOMING = {
    Role.CITIZEN: _("自助测算、在网上签署授权书、投诉。"),
    Role.COMMUNITY_WORKER: _("接收救助资源转介。"),
    Role.VERIFICATION_CENTRE: _("在网页上发起批量核对（目前由命令行 safetynet verify-bulk 每晚运行）。"),
    Role.PROVIDER: _("发布救助资源、接收转介、报告服务落实情况。"),
    Role.SUPERVISOR: _("复核异常线索、下达追回。"),
    Role.ADMIN: _("在网页上管理用户和数据源（目前用命令行 safetynet create-user 等）。"),
}


def _for_audience(user, link: Link) -> bool:
    if not link.audience:
        return True
    own = getattr(user, "role", None) in SELF_SERVICE_ROLES
    if link.audience == "self":
        return own and bool(getattr(user, "person_id", None))
    return not own

def links_for(user) -> list[Link]:
    return [link for link in LINKS if can(user, link.action) and _for_audience(user, link)]


def upcoming_for(user) -> str:
    return UPCOMING.get(getattr(user, "role", None), "")


def reads_registry(user) -> bool:
    """Staff who open registry records (and so see counts and the 查看完整信息 form); the
    selectors enforce the same rule again."""
    return can(user, Action.PERSON_VIEW_FULL)
