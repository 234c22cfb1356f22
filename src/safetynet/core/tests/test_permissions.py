"""The permission table is the one place that says who may do what: every entry is proved
against the running API (or, for a page-only action, the page) for every role, and no other
module keeps a role list of its own."""

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from safetynet.accounts.services import user_create
from safetynet.cases import services as cases
from safetynet.cases.models import Channel, Status
from safetynet.cases.tests.conftest import FULL_FINDINGS, make_report
from safetynet.core.permissions import ACTIONS, Action, roles_for
from safetynet.core.roles import SELF_SERVICE_ROLES, Role
from safetynet.core.testing import make_household, make_user
from safetynet.monitoring.model.store import risk_model_train
from safetynet.monitoring.services import visit_capacity_set
from safetynet.supervision.services import recovery_write_off_decide
from safetynet.supervision.tasks import supervise_run_for_user
from safetynet.web import navigation

SRC = Path(__file__).resolve().parents[2]
NOWHERE = 999_999_999


def _json(client: Client, method: str, url: str, body: dict | None = None):
    if method == "get":
        return client.get(url)
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _case_at(step: str, household, street, worker):
    case = cases.case_submit(programme="dibao", channel=Channel.WINDOW, household_id=household.pk,
                             applicant_id=household.memberships.first().person_id, actor=street).case
    cases.case_accept(case_id=case.pk, actor=street)
    cases.case_transition(case_id=case.pk, to=Status.VERIFICATION, actor=street)
    make_report(household)
    cases.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=street)
    if step == Status.PUBLIC_NOTICE:
        cases.case_record_visit(case_id=case.pk, actor=worker, visited_on=timezone.localdate(),
                                findings=FULL_FINDINGS)
        cases.case_open_notice(case_id=case.pk, actor=street)
    return case


#: How each action is tried: (kind, method, url or url-builder, body). Every request is one the
#: permission check answers first: a role the table refuses gets 403, any other role gets past it
#: (to 200, 201, 404 for an id that does not exist, or a validation answer).
def _probes(world) -> dict[Action, tuple]:
    visit_case, notice_case = world["visit_case"].pk, world["notice_case"].pk
    today = timezone.localdate().isoformat()
    return {
        Action.REGISTRY_BROWSE: ("api", "get", "/api/v1/households", None),
        Action.PERSON_VIEW_FULL: ("api", "post", f"/api/v1/persons/{NOWHERE}/full", {"purpose": "核对低保申请"}),
        Action.HOUSEHOLD_MEMBER_CHANGE: ("api", "post", f"/api/v1/households/{NOWHERE}/members",
                                         {"person_id": NOWHERE, "relationship": "child", "joined_on": today}),
        Action.REGIONS_BROWSE: ("page", "get", "/regions/", None),
        Action.AUTHORISATION_RECORD: ("api", "post", "/api/v1/verification/authorisations",
                                      {"household_id": NOWHERE, "signed_by_id": NOWHERE, "person_ids": [],
                                       "sources": [], "signed_on": today, "valid_until": today}),
        Action.AUTHORISATION_READ: ("api", "get", "/api/v1/verification/authorisations", None),
        Action.VERIFICATION_RUN: ("api", "post", f"/api/v1/verification/households/{NOWHERE}/reports",
                                  {"purpose": "低保审核"}),
        Action.VERIFICATION_REPORT_READ: ("api", "get", "/api/v1/verification/reports", None),
        Action.CROSS_REGION_READ: ("api", "get", "/api/v1/verification/cross-region", None),
        Action.CROSS_REGION_REQUEST: ("api", "post", "/api/v1/verification/cross-region",
                                      {"household_id": NOWHERE, "to_region_code": "990102000000",
                                       "id_number": "x", "name": "x", "items": [], "reason": "协查"}),
        Action.CASE_APPLY: ("page", "get", "/cases/apply/", None),
        Action.CASE_PROXY_APPLY: ("page", "get", "/cases/proxy/", None),
        Action.CASE_QUEUE: ("api", "get", "/api/v1/cases/queue", None),
        Action.CASE_BREACHES: ("api", "get", "/api/v1/cases/breaches", None),
        Action.CASE_VISIT: ("api", "post", f"/api/v1/cases/{visit_case}/visits",
                            {"visited_on": today, "findings": {"housing": "一般"}, "complete": False}),
        Action.CASE_OBJECT: ("api", "post", f"/api/v1/cases/{notice_case}/objections", {"content": "家中有车"}),
        Action.CASE_RESOLVE_OBJECTION: ("api", "post", f"/api/v1/cases/objections/{world['objection'].pk}/resolve",
                                        {"resolution": "经核实，车辆已于去年转让"}),
        Action.CASE_APPEAL: ("api", "post", f"/api/v1/cases/{world['refused_case'].pk}/appeals",
                             {"reason": "材料已补齐"}),
        Action.ALERT_READ: ("api", "get", "/api/v1/monitoring/alerts", None),
        Action.ALERT_HANDLE: ("api", "post", f"/api/v1/monitoring/alerts/{NOWHERE}/visit", {"findings": "已走访"}),
        Action.MONITORING_DASHBOARD: ("page", "get", "/monitoring/dashboard/", None),
        Action.RULES_DECIDE: ("api", "post", "/api/v1/rules/decide",
                              {"on": today, "region_code": "990101000000", "members": [{"birth_date": "1960-01-01"}]}),
        Action.RULES_PARAMETERS_READ: ("api", "get", "/api/v1/rules/parameters", None),
        Action.RULES_PARAMETER_CHANGE: ("page", "post", "/rules/changes/propose/", {}),
        Action.RULES_SIMULATE: ("page", "get", "/rules/simulate/", None),
        Action.SOURCES_READ: ("api", "get", "/api/v1/sources", None),
        Action.SOURCES_SUBMIT: ("upload", "post", "/api/v1/sources/unemployment/batches", None),
        Action.SOURCES_LINK_REVIEW: ("page", "get", "/sources/link-reviews/", None),
        Action.SOURCES_BATCH_DECIDE: ("api", "post", "/api/v1/sources/batches/no-such-batch/reject",
                                      {"note": "抽样核对不一致"}),
        Action.USERS_MANAGE: ("call", None, lambda user: user_create(
            actor=user, username=f"probe-{user.role}", password="Probe-pass-2026!", role=Role.ANALYST,
            region=world["tree"].east), None),
        # monitoring: learning from visits
        Action.VISIT_CAPACITY_SET: ("call", None, lambda user: visit_capacity_set(
            region_id=world["tree"].east_community.pk, weekly_visits=6, actor=user), None),
        Action.RISK_MODEL_TRAIN: ("call", None, lambda user: risk_model_train(actor=user, promote=False), None),
        # payments (资金发放)
        Action.PAYROLL_READ: ("api", "get", "/api/v1/payments/rolls", None),
        Action.PAYROLL_PREPARE: ("api", "post", f"/api/v1/payments/rolls/{NOWHERE}/submit", {}),
        Action.PAYROLL_APPROVE: ("api", "post", f"/api/v1/payments/rolls/{NOWHERE}/approve", {}),
        Action.BANK_ACCOUNT_MANAGE: ("api", "post", f"/api/v1/payments/households/{NOWHERE}/accounts",
                                     {"holder_id": NOWHERE, "bank": "工商银行", "account_number": "6222020200001234567"}),
        # supervision (监督检查)
        Action.SUPERVISION_WORKBENCH: ("api", "get", "/api/v1/supervision/anomalies", None),
        Action.SUPERVISION_SCAN: ("call", None, lambda user: supervise_run_for_user(user=user, on=timezone.localdate()),
                                  None),
        Action.ANOMALY_HANDLE: ("api", "post", f"/api/v1/supervision/anomalies/{NOWHERE}/close",
                                {"outcome": "confirmed", "note": "经核实"}),
        Action.RECOVERY_MANAGE: ("api", "post", f"/api/v1/supervision/recovery-orders/{NOWHERE}/instalments",
                                 {"amount_fen": 100, "paid_on": today}),
        Action.RECOVERY_WRITE_OFF_APPROVE: ("call", None, lambda user: recovery_write_off_decide(
            order_id=NOWHERE, approve=True, actor=user, note="无力偿还"), None),
        # portal (公众服务：接诉即办)
        Action.COMPLAINT_HANDLE: ("api", "get", "/api/v1/public/staff/complaints", None),
        Action.COMPLAINT_STATISTICS: ("api", "get", "/api/v1/public/staff/complaints-statistics", None),
        Action.COMPLAINT_REPORTER_VIEW: ("page", "post", f"/public/staff/complaints/{NOWHERE}/",
                                         {"action": "reveal", "purpose": "联系举报人核实"}),
        # resources (融救联助)
        Action.CATALOGUE_READ: ("api", "get", "/api/v1/resources/catalogue", None),
        Action.CATALOGUE_MAINTAIN: ("page", "get", f"/resources/providers/{NOWHERE}/new/", None),
        Action.CATALOGUE_REVIEW: ("api", "get", "/api/v1/resources/changes", None),
        Action.NEEDS_READ: ("api", "get", f"/api/v1/resources/households/{NOWHERE}/needs", None),
        Action.NEEDS_RECORD: ("api", "post", f"/api/v1/resources/households/{NOWHERE}/needs",
                              {"category": "medical", "severity": 2, "explanation": "走访所见"}),
        Action.PACKAGE_PROPOSE: ("api", "post", f"/api/v1/resources/households/{NOWHERE}/package", None),
        Action.REFERRAL_HANDLE: ("api", "post", f"/api/v1/resources/referrals/{NOWHERE}/accept", None),
        Action.REFERRAL_FOLLOW: ("api", "get", "/api/v1/resources/referrals", None),
        Action.RESOURCES_DASHBOARD: ("api", "get", "/api/v1/resources/dashboard", None),
    }


@pytest.fixture
def world(tree, settings, tmp_path, lake):
    settings.MEDIA_ROOT = tmp_path
    household = make_household(tree.east_community)
    street = make_user(Role.STREET_OFFICER, tree.east_street)
    worker = make_user(Role.COMMUNITY_WORKER, tree.east_community)
    visit_case = _case_at(Status.HOME_VISIT, household, street, worker)
    other = make_household(tree.east_community)
    notice_case = _case_at(Status.PUBLIC_NOTICE, other, street, worker)
    objection = cases.case_record_objection(case_id=notice_case.pk, actor=worker, content="邻居反映")
    refused_case = cases.case_submit(programme="temporary_assistance", channel=Channel.WINDOW,
                                     household_id=household.pk, applicant_id=household.memberships.first().person_id,
                                     actor=street).case
    cases.case_not_accept(case_id=refused_case.pk, actor=street, reason="材料不全")
    return {"tree": tree, "household": household, "visit_case": visit_case, "notice_case": notice_case,
            "objection": objection, "refused_case": refused_case}


def _account(role: str, world):
    tree = world["tree"]
    if role in SELF_SERVICE_ROLES:
        return make_user(role, None, person=world["household"].memberships.first().person)
    # Bound where each role works: the street's officer and worker, the county's approver.
    region = {Role.COMMUNITY_WORKER: tree.east_community, Role.STREET_OFFICER: tree.east_street}.get(role, tree.east)
    return make_user(role, region)


def _refused(kind: str, response) -> bool:
    if response.status_code == 403:
        return True
    assert response.status_code != 500, response.content[:300]
    return False


@pytest.mark.django_db
def test_every_entry_of_the_table_holds_for_every_role(world):
    probes = _probes(world)
    # every action of the table is proved, none is left untried
    assert set(probes) == set(ACTIONS)
    wrong = []
    for role in Role.values:
        user = _account(role, world)
        client = Client()
        client.force_login(user)
        for action, (kind, method, url, body) in probes.items():
            if kind == "call":
                try:
                    url(user)
                    refused = False
                except Exception as e:  # the typed refusal, or a validation answer past it
                    refused = getattr(e, "code", "") == "forbidden"
            elif kind == "upload":
                response = client.post(url, {"file": SimpleUploadedFile("u.csv", b"id_number\n")})
                refused = _refused(kind, response)
            elif kind == "page":
                response = client.get(url) if method == "get" else client.post(url, body or {})
                refused = _refused(kind, response)
            else:
                refused = _refused(kind, _json(client, method, url, body))
            if refused == (role in roles_for(action)):
                wrong.append((action.value, role, "refused" if refused else "allowed"))
    assert wrong == [], "\n".join(map(str, wrong))


def test_navigation_shows_a_link_exactly_when_the_table_allows_its_page():
    for link in navigation.LINKS:
        assert link.action in ACTIONS


#: Files that may name roles together: the vocabulary, the table, and each programme's
#: transitions table (who may make which move is part of the workflow's own configuration).
ROLE_LIST_HOMES = {"core/roles.py", "core/permissions.py", "cases/programmes.py"}
ROLE_LIST = re.compile(
    r"role\s+(?:not\s+)?in\s*[\(\[\{]"          # user.role in (...)
    r"|[\(\[\{][^\)\]\}\n]*Role\.[A-Z_]+\s*,\s*Role\.[A-Z_]+"  # a literal holding several roles
)


def test_no_module_keeps_a_role_list_of_its_own():
    stray = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if "/tests/" in rel or "/migrations/" in rel or rel in ROLE_LIST_HOMES or rel.startswith("core/testing"):
            continue
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ROLE_LIST.search(line):
                stray.append(f"{rel}:{no}: {line.strip()}")
    assert stray == []
