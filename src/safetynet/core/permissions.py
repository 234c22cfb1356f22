"""Who may do or see what (权限表): the one table that navigation, views, API and selectors read.

Each :class:`Action` names one thing a person can do on the platform; each :class:`Data` names a
kind of personal data. :data:`ACTIONS` and :data:`DATA` say which roles may do or see it and, where
it matters, at which region levels (a county approver bound to a county). Region scoping (which
rows) is :func:`safetynet.core.access.scope`'s job; this table decides only *whether* a role may.

No other module keeps a role list: ask :func:`can` / :func:`require` (actions) and
:func:`may_see` (data). A test walks the whole table against the API for every role.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safetynet.core.errors import PermissionDenied
from safetynet.core.roles import Role

CITIZEN, PROXY = Role.CITIZEN, Role.PROXY
WORKER, STREET, COUNTY = Role.COMMUNITY_WORKER, Role.STREET_OFFICER, Role.COUNTY_APPROVER
CENTRE, PROVIDER, DATA_PROVIDER = Role.VERIFICATION_CENTRE, Role.PROVIDER, Role.DATA_PROVIDER
SUPERVISOR, ANALYST, ADMIN = Role.SUPERVISOR, Role.ANALYST, Role.ADMIN
ALL_STAFF = frozenset({WORKER, STREET, COUNTY, CENTRE, PROVIDER, DATA_PROVIDER, SUPERVISOR, ANALYST, ADMIN})


class Action(StrEnum):
    # registry (人口与家庭)
    REGISTRY_BROWSE = "registry.browse"
    PERSON_VIEW_FULL = "person.view_full"
    HOUSEHOLD_MEMBER_CHANGE = "household.member_change"
    REGIONS_BROWSE = "regions.browse"
    # verification (核对)
    AUTHORISATION_RECORD = "authorisation.record"
    AUTHORISATION_READ = "authorisation.read"
    VERIFICATION_RUN = "verification.run"
    VERIFICATION_REPORT_READ = "verification_report.read"
    CROSS_REGION_READ = "cross_region.read"
    CROSS_REGION_REQUEST = "cross_region.request"
    # cases (救助办理); each move's roles are the programme's transitions table
    CASE_APPLY = "case.apply"
    CASE_PROXY_APPLY = "case.proxy_apply"
    CASE_QUEUE = "case.queue"
    CASE_BREACHES = "case.breaches"
    CASE_VISIT = "case.visit"
    CASE_OBJECT = "case.object"
    CASE_RESOLVE_OBJECTION = "case.resolve_objection"
    CASE_APPEAL = "case.appeal"
    # monitoring (动态监测)
    ALERT_READ = "monitoring.alert_read"
    ALERT_HANDLE = "monitoring.alert_handle"
    MONITORING_DASHBOARD = "monitoring.dashboard"
    # rules (政策规则)
    RULES_DECIDE = "rules.decide"
    RULES_PARAMETERS_READ = "rules.parameters"
    RULES_PARAMETER_CHANGE = "rules.parameter_change"
    RULES_SIMULATE = "rules.simulate"
    # sources (数据汇聚)
    SOURCES_READ = "sources.view"
    SOURCES_SUBMIT = "sources.submit"
    SOURCES_LINK_REVIEW = "sources.link_review"
    # accounts
    USERS_MANAGE = "users.manage"
    # sources (数据汇聚): a data steward decides on a held batch
    SOURCES_BATCH_DECIDE = "sources.batch_decide"
    # portal (公众服务：接诉即办)
    COMPLAINT_HANDLE = "portal.complaint_handle"
    COMPLAINT_STATISTICS = "portal.complaint_statistics"
    COMPLAINT_REPORTER_VIEW = "portal.complaint_reporter_view"
    # payments (资金发放)
    PAYROLL_READ = "payments.read"
    PAYROLL_PREPARE = "payments.prepare"
    PAYROLL_APPROVE = "payments.approve"
    BANK_ACCOUNT_MANAGE = "payments.bank_account"
    # supervision (监督检查)
    SUPERVISION_WORKBENCH = "supervision.workbench"
    SUPERVISION_SCAN = "supervision.scan"
    ANOMALY_HANDLE = "supervision.anomaly_handle"
    RECOVERY_MANAGE = "supervision.recovery"
    RECOVERY_WRITE_OFF_APPROVE = "supervision.write_off_approve"
    # resources (融救联助)
    CATALOGUE_READ = "resources.catalogue_read"
    CATALOGUE_MAINTAIN = "resources.catalogue_maintain"
    CATALOGUE_REVIEW = "resources.catalogue_review"
    NEEDS_READ = "resources.needs_read"
    NEEDS_RECORD = "resources.needs_record"
    PACKAGE_PROPOSE = "resources.package_propose"
    REFERRAL_HANDLE = "resources.referral_handle"
    REFERRAL_FOLLOW = "resources.referral_follow"
    RESOURCES_DASHBOARD = "resources.dashboard"
    # monitoring: learning from visits (dispatch capacity, the risk model)
    VISIT_CAPACITY_SET = "monitoring.capacity_set"
    RISK_MODEL_TRAIN = "monitoring.model_train"


class Data(StrEnum):
    """Kinds of personal data, each with its own readers (数据最小化)."""

    #: Full ID and phone numbers: shown only with a stated purpose, and audited.
    IDENTITY = "identity"
    #: Wages, pensions, benefits and other income figures.
    INCOME = "income"
    #: Deposits, securities, vehicles, real estate.
    ASSETS = "assets"
    #: Illness, disability grades, medical expenses.
    HEALTH = "health"
    #: Home-visit findings and officers' notes on a case.
    CASE_NOTES = "case_notes"


@dataclass(frozen=True)
class Grant:
    roles: frozenset[str]
    title: Any
    #: Region levels (``regions.Level`` values) the account must be bound at; ``None``: any.
    levels: frozenset[int] | None = None


def _g(title: Any, *roles: str, levels: frozenset[int] | None = None) -> Grant:
    return Grant(frozenset(roles), title, levels)


REGISTRY_READERS = (WORKER, STREET, COUNTY, CENTRE, SUPERVISOR, ADMIN)
REPORT_READERS = (CENTRE, STREET, COUNTY, SUPERVISOR, ADMIN)

#: The permission table. Keep one block per app, in the order of the layers.
ACTIONS: dict[Action, Grant] = {
    Action.REGISTRY_BROWSE: _g(_("查看家庭和人员"), *REGISTRY_READERS, CITIZEN, PROXY),
    Action.PERSON_VIEW_FULL: _g(_("查看完整证件号码和电话（须说明事由）"), *REGISTRY_READERS),
    Action.HOUSEHOLD_MEMBER_CHANGE: _g(_("登记家庭成员变动"), STREET, COUNTY, ADMIN),
    Action.REGIONS_BROWSE: _g(_("浏览区划"), *ALL_STAFF),
    Action.AUTHORISATION_RECORD: _g(_("登记授权书"), WORKER, STREET, COUNTY, CENTRE, ADMIN),
    Action.AUTHORISATION_READ: _g(_("查看授权书"), *REPORT_READERS, WORKER),
    Action.VERIFICATION_RUN: _g(_("发起经济状况核对"), CENTRE, STREET, COUNTY, ADMIN),
    Action.VERIFICATION_REPORT_READ: _g(_("查看核对报告"), *REPORT_READERS),
    Action.CROSS_REGION_READ: _g(_("查看跨区域协查"), *REPORT_READERS),
    Action.CROSS_REGION_REQUEST: _g(_("发起或答复跨区域协查"), CENTRE, STREET, COUNTY, ADMIN),
    Action.CASE_APPLY: _g(_("在线申请（本人，或代办人凭有效委托书代为申请）"), CITIZEN, PROXY),
    Action.CASE_PROXY_APPLY: _g(_("代办申请"), WORKER, STREET),
    Action.CASE_QUEUE: _g(_("办理案件"), WORKER, STREET, COUNTY, CENTRE),
    Action.CASE_BREACHES: _g(_("超期督办"), SUPERVISOR, COUNTY, ADMIN),
    Action.CASE_VISIT: _g(_("入户调查"), WORKER, STREET),
    Action.CASE_OBJECT: _g(_("登记公示异议"), WORKER, STREET),
    Action.CASE_RESOLVE_OBJECTION: _g(_("处理公示异议"), STREET, COUNTY),
    Action.CASE_APPEAL: _g(_("对决定提出复查（本人、代办人或经办人代为提出）"), CITIZEN, PROXY, WORKER, STREET),
    Action.ALERT_READ: _g(_("查看预警"), WORKER, STREET, COUNTY, SUPERVISOR, ADMIN),
    Action.ALERT_HANDLE: _g(_("处置预警"), WORKER, STREET),
    Action.MONITORING_DASHBOARD: _g(_("监测看板"), COUNTY, SUPERVISOR, ANALYST, ADMIN),
    Action.RULES_DECIDE: _g(_("按规则测算"), *ALL_STAFF),
    Action.RULES_PARAMETERS_READ: _g(_("查看政策参数"), *ALL_STAFF),
    Action.RULES_PARAMETER_CHANGE: _g(_("提出或复核参数调整"), COUNTY, ADMIN),
    Action.RULES_SIMULATE: _g(_("政策模拟"), ANALYST, ADMIN, COUNTY),
    Action.SOURCES_READ: _g(_("查看数据源和批次"), ADMIN, DATA_PROVIDER, CENTRE, SUPERVISOR),
    Action.SOURCES_SUBMIT: _g(_("报送数据批次"), DATA_PROVIDER, ADMIN),
    Action.SOURCES_LINK_REVIEW: _g(_("人工复核记录匹配"), CENTRE, ADMIN),
    Action.USERS_MANAGE: _g(_("管理账号"), ADMIN),
    # sources
    Action.SOURCES_BATCH_DECIDE: _g(_("确认或拒收暂扣的数据批次"), CENTRE, ADMIN),
    # portal (公众服务：接诉即办)
    Action.COMPLAINT_HANDLE: _g(_("办理投诉举报"), STREET, COUNTY, SUPERVISOR),
    Action.COMPLAINT_STATISTICS: _g(_("投诉举报统计"), SUPERVISOR, COUNTY, ADMIN),
    Action.COMPLAINT_REPORTER_VIEW: _g(_("查看投诉举报人身份"), SUPERVISOR),
    # payments (资金发放): the county's finance officer works as the county approver or admin role;
    # maker and checker of a roll must be two different people (checked by the service).
    Action.PAYROLL_READ: _g(_("查看发放名册"), COUNTY, SUPERVISOR, ADMIN),
    Action.PAYROLL_PREPARE: _g(_("生成发放名册、导出银行文件、导入回盘"), COUNTY, ADMIN),
    Action.PAYROLL_APPROVE: _g(_("复核批准发放名册"), COUNTY, ADMIN),
    Action.BANK_ACCOUNT_MANAGE: _g(_("登记和更正收款账户"), STREET, COUNTY, ADMIN),
    # supervision (监督检查)
    Action.SUPERVISION_WORKBENCH: _g(_("监督工作台"), SUPERVISOR, COUNTY, ADMIN),
    Action.SUPERVISION_SCAN: _g(_("运行监督筛查"), SUPERVISOR, ADMIN),
    Action.ANOMALY_HANDLE: _g(_("核查和办结异常线索"), SUPERVISOR, COUNTY, ADMIN),
    Action.RECOVERY_MANAGE: _g(_("下达追回、记录还款"), SUPERVISOR, COUNTY, ADMIN),
    Action.RECOVERY_WRITE_OFF_APPROVE: _g(_("批准核销追回款"), COUNTY, ADMIN),
    # resources (融救联助): providers keep their own entries; public departments' entries are
    # checked by a second person (county approver or admin) before they are offered.
    Action.CATALOGUE_READ: _g(_("查看救助资源目录"), *ALL_STAFF),
    Action.CATALOGUE_MAINTAIN: _g(_("维护救助资源目录"), PROVIDER, ADMIN),
    Action.CATALOGUE_REVIEW: _g(_("复核部门救助资源（双人复核）"), COUNTY, ADMIN),
    Action.NEEDS_READ: _g(_("查看家庭需求画像"), WORKER, STREET, COUNTY, SUPERVISOR, ADMIN),
    Action.NEEDS_RECORD: _g(_("登记走访发现的需求"), WORKER, STREET),
    Action.PACKAGE_PROPOSE: _g(_("生成和确认救助包"), WORKER, STREET, COUNTY),
    Action.REFERRAL_HANDLE: _g(_("接收、婉拒、提供转介并反馈结果"), PROVIDER),
    Action.REFERRAL_FOLLOW: _g(_("查看转介进度"), WORKER, STREET, COUNTY, SUPERVISOR, ADMIN, PROVIDER, CITIZEN, PROXY),
    Action.RESOURCES_DASHBOARD: _g(_("救助资源看板"), COUNTY, SUPERVISOR, ANALYST, ADMIN),
    # monitoring: learning from visits
    Action.VISIT_CAPACITY_SET: _g(_("设置社区走访能力"), STREET, COUNTY, ADMIN),
    Action.RISK_MODEL_TRAIN: _g(_("训练和启用预警排序模型"), ADMIN),
}

#: Who may see each kind of personal data in full. Everyone else who may open the record sees
#: the decision and its plain reasons without the figures (and identity numbers masked).
DATA: dict[Data, Grant] = {
    Data.IDENTITY: _g(_("完整证件号码和电话"), *REGISTRY_READERS),
    Data.INCOME: _g(_("收入金额"), CENTRE, STREET, COUNTY, SUPERVISOR, ADMIN),
    Data.ASSETS: _g(_("存款、证券、车辆、房产"), CENTRE, STREET, COUNTY, SUPERVISOR, ADMIN),
    Data.HEALTH: _g(_("疾病、残疾和医疗费用"), CENTRE, STREET, COUNTY, SUPERVISOR, ADMIN),
    Data.CASE_NOTES: _g(_("入户调查记录和办理意见"), WORKER, STREET, COUNTY, CENTRE, SUPERVISOR, ADMIN),
}


def _allowed(user: Any, grant: Grant) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role not in grant.roles:
        return False
    if grant.levels is not None:
        region = getattr(user, "region", None)
        return region is not None and region.level in grant.levels
    return True


def roles_for(action: Action) -> frozenset[str]:
    return ACTIONS[action].roles


def can(user: Any, action: Action) -> bool:
    """May ``user`` do ``action`` at all (region scope aside)?"""
    return _allowed(user, ACTIONS[action])


def require(user: Any, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can`."""
    if not can(user, action):
        raise PermissionDenied(
            gettext("当前角色无权执行此操作：%(action)s") % {"action": ACTIONS[action].title},
            action=str(action),
        )


def may_see(user: Any, data: Data) -> bool:
    """May ``user`` see figures of this kind of personal data (within their scope)?"""
    return _allowed(user, DATA[data])


def visible_data(user: Any) -> frozenset[Data]:
    """Every kind of personal data ``user`` may see: for templates (``{% if "income" in seen %}``)."""
    return frozenset(kind for kind, grant in DATA.items() if _allowed(user, grant))
