"""Region isolation, proved endpoint by endpoint.

Every GET route of the API must appear in ``ROUTES`` below, or ``test_every_get_route_is_covered``
fails: a new endpoint cannot ship without saying how it is scoped. For each route a staff
account of the neighbouring county (东区 vs 西区) sees nothing of the other county's records,
and the same role in the records' own county does see them, so a test that passes because
nothing is ever returned is impossible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from safetynet.api import api
from safetynet.cases import services as cases
from safetynet.cases.models import Case, Status
from safetynet.core.permissions import Action, roles_for
from safetynet.core.roles import STAFF_ROLES, Role
from safetynet.core.testing import make_household, make_person, make_region_tree, make_user
from safetynet.regions.models import Level, Region
from safetynet.regions.services import RegionSpec, region_bulk_create
from safetynet.registry.idnumber import make_resident_id
from safetynet.registry.models import Household, Person
from safetynet.rules.models import ParameterChange
from safetynet.rules.parameter_admin import parameter_change_propose
from safetynet.sources.models import SourceBatch
from safetynet.verification.models import Authorisation, CrossRegionRequest, VerificationReport
from safetynet.verification.services import authorisation_record, cross_region_request_create

PREFIX = "/api/v1"
_BATCH_ID = "tax_wages-20261031-000000000000"


@dataclass
class World:
    """Records in the west county; accounts are made per test (the few made here only file
    the records)."""

    tree: object
    north: Region
    west_household: Household
    west_person: Person
    #: Open west cases, one per step a queue role acts on (see ``QUEUE_CASES``).
    cases: dict[str, Case]
    #: The west case past its deadline (超期).
    breach: Case
    authorisation: Authorisation
    report: VerificationReport
    #: From the west county to the north one: the east county is neither end.
    cross_region: CrossRegionRequest
    parameter_change: ParameterChange


#: The staff roles with a move in the programmes' transitions tables, and the west cases each
#: finds in its queue: stated here, not derived from the workflow, so widening a queue fails.
QUEUE_CASES: dict[str, set[str]] = {
    Role.COMMUNITY_WORKER: {"home_visit"},
    Role.STREET_OFFICER: {"home_visit", "verification", "review"},
    Role.VERIFICATION_CENTRE: {"verification"},
    Role.COUNTY_APPROVER: {"review"},
}
#: Reports and cross-region requests hold a family's incomes and assets: read by those who
#: check, decide or supervise, not by a provider, a data provider or an analyst.
REPORT_READERS = frozenset(
    {Role.VERIFICATION_CENTRE, Role.STREET_OFFICER, Role.COUNTY_APPROVER, Role.SUPERVISOR, Role.ADMIN}
)
#: A community worker records authorisations (入户时签署) and may read them back.
AUTHORISATION_READERS = REPORT_READERS | {Role.COMMUNITY_WORKER}
#: Deadline breaches (督办) are for supervision and the approving county.
BREACH_READERS = frozenset({Role.SUPERVISOR, Role.COUNTY_APPROVER, Role.ADMIN})
ALERT_READERS = roles_for(Action.ALERT_READ)
SOURCE_READERS = roles_for(Action.SOURCES_READ)


@dataclass(frozen=True)
class Route:
    """How one GET route is scoped.

    ``kind``: ``list`` (rows, paginated ``items`` or a bare list), ``detail`` (one record by
    id), ``public`` (data of the whole city, the same for every county: see the entry) or
    ``self`` (the caller's own account, covered in ``test_me_*``). ``url`` builds the request
    for a record of the west county; ``west_keys`` are the keys of the west records a list
    must not leak, given the world and the role asking; ``key`` reads a row's key. ``roles``:
    the staff roles allowed at all (others get 403). ``anonymous``: open to everyone without a
    login by design (the public side); every other route refuses an anonymous caller.
    """

    kind: str
    url: Callable[[World], str] | None = None
    key: Callable[[dict], object] | None = None
    west_keys: Callable[[World, str], set] | None = None
    roles: frozenset[str] = STAFF_ROLES
    anonymous: bool = False


def _west_alert(w: World):
    """The west household's alert (made on first use: the monitoring app owns no part of World)."""
    from safetynet.monitoring.models import Alert

    alert, _ = Alert.objects.get_or_create(
        household=w.west_household, condition="points",
        defaults={"kind": "points", "level": "red", "on": dt.date(2026, 10, 31), "due_at": timezone.now()},
    )
    return alert


def _west_roll(w: World):
    """A west roll with one line (made on first use: payments owns no part of World)."""
    from safetynet.payments.models import PaymentLine, PaymentRoll

    maker = make_user(Role.COUNTY_APPROVER, w.tree.west)
    roll, created = PaymentRoll.objects.get_or_create(
        month=dt.date(2026, 11, 1), programme="dibao", region=w.tree.west, sequence=1, defaults={"made_by": maker})
    if created:
        PaymentLine.objects.create(roll=roll, case=w.breach, household=w.breach.household, payee=w.breach.applicant,
                                   kind="regular", period=roll.month, amount_fen=50000)
    return roll


def _west_anomaly(w: World):
    from safetynet.supervision.models import Anomaly, ScanRun

    anomaly = Anomaly.objects.filter(household=w.west_household).first()
    if anomaly is None:
        anomaly = Anomaly.objects.create(
            kind="paid_deceased", view="payment", fingerprint=f"paid_deceased:{w.west_person.id_number}",
            region=w.west_household.region, household=w.west_household, person=w.west_person, summary="死亡后仍在发放名册上",
            run=ScanRun.objects.create(on=dt.date(2026, 11, 1), backend="duckdb"), due_on=dt.date(2026, 12, 1))
    return anomaly


def _west_recovery(w: World):
    from safetynet.supervision.models import RecoveryOrder

    order = RecoveryOrder.objects.filter(household=w.west_household).first()
    if order is None:
        order = RecoveryOrder.objects.create(
            household=w.west_household, event="death", event_date=dt.date(2026, 8, 1), stop_date=dt.date(2026, 11, 30),
            amount_fen=150000, instalment_fen=150000, ordered_by=make_user(Role.SUPERVISOR, w.tree.west))
    return order
RESOURCE_READERS = roles_for(Action.NEEDS_READ)
REFERRAL_FOLLOWERS = roles_for(Action.REFERRAL_FOLLOW) & STAFF_ROLES


def _west_resources(w: World):
    """A west provider with a resource, a pending change, and a package with a referral for the
    west household (made on first use); the west county's provider accounts are its staff."""
    from safetynet.accounts.models import User
    from safetynet.resources.models import Need, Package, Provider, Referral, Resource, ResourceChange

    provider, _ = Provider.objects.get_or_create(code="west-org", defaults={
        "name": "西区助残服务社", "kind": "department", "region": w.tree.west})
    provider.staff.add(*User.objects.filter(role=Role.PROVIDER, region=w.tree.west))
    resource, _ = Resource.objects.get_or_create(code="west-care", defaults={
        "provider": provider, "name": "居家照护", "kind": "care", "capacity": 5, "service_area": w.tree.west,
        "meets": {"disability_care": 100}})
    change, _ = ResourceChange.objects.get_or_create(provider=provider, data={"code": "west-new"})
    package, _ = Package.objects.get_or_create(household=w.west_household, period=dt.date(2026, 11, 1), defaults={
        "need_met": 1, "greedy_need_met": 1, "need_total": 1, "bound": 1, "gap": 0, "method": "exact", "seconds": 0})
    referral, _ = Referral.objects.get_or_create(package=package, resource=resource, defaults={
        "household": w.west_household, "provider": provider, "period": package.period, "accept_due": timezone.now()})
    Need.objects.get_or_create(household=w.west_household, category="disability_care", source="visit", defaults={
        "severity": 3, "explanation": "卧床"})
    return provider, resource, change, package, referral


ROUTES: dict[str, Route] = {
    "/me": Route("self"),
    "/regions": Route(
        "list",
        url=lambda w: f"{PREFIX}/regions?limit=100",
        key=lambda row: row["code"],
        west_keys=lambda w, role: {w.tree.west.code, w.tree.west_street.code, w.tree.west_community.code},
    ),
    "/regions/{code}": Route("detail", url=lambda w: f"{PREFIX}/regions/{w.tree.west_community.code}"),
    "/persons": Route(
        "list",
        url=lambda w: f"{PREFIX}/persons?limit=100",
        key=lambda row: row["id"],
        west_keys=lambda w, role: set(Person.objects.filter(residence_region__path__startswith=w.tree.west.path).values_list("id", flat=True)),
        roles=roles_for(Action.PERSON_VIEW_FULL),
    ),
    "/persons/{person_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/persons/{w.west_person.pk}", roles=roles_for(Action.PERSON_VIEW_FULL)
    ),
    "/households": Route(
        "list",
        url=lambda w: f"{PREFIX}/households?limit=100",
        key=lambda row: row["id"],
        west_keys=lambda w, role: {w.west_household.pk},
        roles=roles_for(Action.PERSON_VIEW_FULL),
    ),
    "/households/{household_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/households/{w.west_household.pk}", roles=roles_for(Action.PERSON_VIEW_FULL)
    ),
    # Cases: any staff account of the case's region may open it (``cases_visible_to`` scopes by
    # region only); the queue is per role, for the roles with a move; breaches are 督办.
    "/cases/queue": Route(
        "list",
        url=lambda w: f"{PREFIX}/cases/queue?limit=100",
        key=lambda row: row["id"],
        west_keys=lambda w, role: {w.cases[step].pk for step in QUEUE_CASES[role]},
        roles=frozenset(QUEUE_CASES),
    ),
    "/cases/breaches": Route(
        "list",
        url=lambda w: f"{PREFIX}/cases/breaches?limit=100",
        key=lambda row: row["id"],
        west_keys=lambda w, role: {w.breach.pk},
        roles=BREACH_READERS,
    ),
    "/cases/{case_id}": Route("detail", url=lambda w: f"{PREFIX}/cases/{w.breach.pk}"),
    "/cases/{case_id}/progress": Route("detail", url=lambda w: f"{PREFIX}/cases/{w.breach.pk}/progress"),
    # Rules: parameter changes are scoped by the region they set a value for (and readable by
    # all staff there: policy, not personal data).
    "/rules/parameter-changes": Route(
        "list",
        url=lambda w: f"{PREFIX}/rules/parameter-changes",
        key=lambda row: row["id"],
        west_keys=lambda w, role: {w.parameter_change.pk},
    ),
    # The parameters in force (低保标准 and the like) are published policy of the whole city,
    # every county's values side by side, and are not region-scoped by design: a county must
    # see its neighbours' standards to apply 就近 rules and to explain differences. Proved
    # here as the same answer in both counties.
    "/rules/parameters": Route("public", url=lambda w: f"{PREFIX}/rules/parameters?on=2024-07-01"),
    # Departmental batches are city-wide extracts, not records placed in a region: who may see
    # them is decided by role (SOURCE_READERS), and both counties get the same answer.
    "/sources": Route("public", url=lambda w: f"{PREFIX}/sources", roles=SOURCE_READERS),
    "/sources/batches": Route("public", url=lambda w: f"{PREFIX}/sources/batches?limit=100", roles=SOURCE_READERS),
    "/sources/batches/{batch_id}": Route(
        "public", url=lambda w: f"{PREFIX}/sources/batches/{_BATCH_ID}", roles=SOURCE_READERS
    ),
    "/verification/authorisations": Route(
        "list",
        url=lambda w: f"{PREFIX}/verification/authorisations?limit=100",
        key=lambda row: row["id"],
        west_keys=lambda w, role: {w.authorisation.pk},
        roles=AUTHORISATION_READERS,
    ),
    "/verification/reports": Route(
        "list",
        url=lambda w: f"{PREFIX}/verification/reports?limit=100",
        key=lambda row: row["id"],
        west_keys=lambda w, role: {w.report.pk},
        roles=REPORT_READERS,
    ),
    "/verification/reports/{report_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/verification/reports/{w.report.pk}", roles=REPORT_READERS
    ),
    "/verification/reports/{report_id}/pdf": Route(
        "detail", url=lambda w: f"{PREFIX}/verification/reports/{w.report.pk}/pdf", roles=REPORT_READERS
    ),
    # A cross-region request is visible from both ends (REGION_FIELD is a tuple); the west one
    # goes to the north county, so the east county is a true outsider.
    "/verification/cross-region": Route(
        "list",
        url=lambda w: f"{PREFIX}/verification/cross-region?limit=100",
        key=lambda row: row["id"],
        west_keys=lambda w, role: {w.cross_region.pk},
        roles=REPORT_READERS,
    ),
    "/verification/cross-region/{request_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/verification/cross-region/{w.cross_region.pk}", roles=REPORT_READERS
    ),
    # Alerts: region-scoped through the household; read by those who follow them up or supervise.
    "/monitoring/alerts": Route(
        "list",
        url=lambda w: (_west_alert(w), f"{PREFIX}/monitoring/alerts?limit=100")[1],
        key=lambda row: row["id"],
        west_keys=lambda w, role: {_west_alert(w).pk},
        roles=ALERT_READERS,
    ),
    "/monitoring/alerts/{alert_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/monitoring/alerts/{_west_alert(w).pk}", roles=ALERT_READERS
    ),
    # portal (公众服务): the public endpoints answer everyone alike (anonymous, the same in every
    # county); a complaint's tracking page shows no identity. The complaint queue and its
    # statistics are scoped by the region that answers the complaint.
    "/public/windows/{region_code}": Route(
        "public", url=lambda w: f"{PREFIX}/public/windows/{w.tree.west_street.code}", anonymous=True
    ),
    "/public/transparency/aggregates": Route(
        "public", url=lambda w: f"{PREFIX}/public/transparency/aggregates", anonymous=True
    ),
    "/public/notices": Route("public", url=lambda w: f"{PREFIX}/public/notices", anonymous=True),
    "/public/complaints/{number}": Route(
        "public", url=lambda w: f"{PREFIX}/public/complaints/{_west_complaint(w).number}", anonymous=True
    ),
    "/public/staff/complaints": Route(
        "list",
        url=lambda w: (_west_complaint(w), f"{PREFIX}/public/staff/complaints")[1],
        key=lambda row: row["id"],
        west_keys=lambda w, role: {_west_complaint(w).pk},
        roles=roles_for(Action.COMPLAINT_HANDLE),
    ),
    "/public/staff/complaints-statistics": Route(
        "list",
        url=lambda w: (_west_complaint(w), f"{PREFIX}/public/staff/complaints-statistics")[1],
        key=lambda row: row["region"],
        west_keys=lambda w, role: {w.tree.west.code},
        roles=roles_for(Action.COMPLAINT_STATISTICS),
    ),
    # Payments: rolls are placed in their county; lines and reconciliation are read through the roll.
    "/payments/rolls": Route(
        "list",
        url=lambda w: (_west_roll(w), f"{PREFIX}/payments/rolls?limit=100")[1],
        key=lambda row: row["id"],
        west_keys=lambda w, role: {_west_roll(w).pk},
        roles=roles_for(Action.PAYROLL_READ),
    ),
    "/payments/rolls/{roll_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/payments/rolls/{_west_roll(w).pk}", roles=roles_for(Action.PAYROLL_READ)
    ),
    "/payments/rolls/{roll_id}/lines": Route(
        "detail", url=lambda w: f"{PREFIX}/payments/rolls/{_west_roll(w).pk}/lines",
        roles=roles_for(Action.PAYROLL_READ),
    ),
    "/payments/rolls/{roll_id}/reconciliation": Route(
        "detail", url=lambda w: f"{PREFIX}/payments/rolls/{_west_roll(w).pk}/reconciliation",
        roles=roles_for(Action.PAYROLL_READ),
    ),
    # Supervision: findings and recovery orders are placed in the household's region.
    "/supervision/anomalies": Route(
        "list",
        url=lambda w: (_west_anomaly(w), f"{PREFIX}/supervision/anomalies?limit=100")[1],
        key=lambda row: row["id"],
        west_keys=lambda w, role: {_west_anomaly(w).pk},
        roles=roles_for(Action.SUPERVISION_WORKBENCH),
    ),
    "/supervision/anomalies/{anomaly_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/supervision/anomalies/{_west_anomaly(w).pk}",
        roles=roles_for(Action.SUPERVISION_WORKBENCH),
    ),
    "/supervision/recovery-orders/{order_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/supervision/recovery-orders/{_west_recovery(w).pk}",
        roles=roles_for(Action.RECOVERY_MANAGE),
    ),
    # Resources (融救联助): the catalogue is the city's; the rest is scoped by household or provider.
    "/resources/catalogue": Route(
        "public", url=lambda w: (_west_resources(w), f"{PREFIX}/resources/catalogue")[1],
        roles=roles_for(Action.CATALOGUE_READ),
    ),
    "/resources/changes": Route(
        "list",
        url=lambda w: (_west_resources(w), f"{PREFIX}/resources/changes")[1],
        key=lambda row: row["id"],
        west_keys=lambda w, role: {_west_resources(w)[2].pk},
        roles=roles_for(Action.CATALOGUE_REVIEW),
    ),
    "/resources/households/{household_id}/needs": Route(
        "detail", url=lambda w: f"{PREFIX}/resources/households/{w.west_household.pk}/needs", roles=RESOURCE_READERS
    ),
    "/resources/households/{household_id}/package": Route(
        "detail", url=lambda w: (_west_resources(w), f"{PREFIX}/resources/households/{w.west_household.pk}/package")[1],
        roles=RESOURCE_READERS,
    ),
    "/resources/referrals": Route(
        "list",
        url=lambda w: (_west_resources(w), f"{PREFIX}/resources/referrals?limit=100")[1],
        key=lambda row: row["id"],
        west_keys=lambda w, role: {_west_resources(w)[4].pk},
        roles=REFERRAL_FOLLOWERS,
    ),
    "/resources/referrals/{referral_id}": Route(
        "detail", url=lambda w: f"{PREFIX}/resources/referrals/{_west_resources(w)[4].pk}", roles=REFERRAL_FOLLOWERS
    ),
    "/resources/dashboard": Route(
        "list",
        url=lambda w: (_west_resources(w), f"{PREFIX}/resources/dashboard")[1],
        key=lambda row: row["district"],
        west_keys=lambda w, role: {w.tree.west.code},
        roles=roles_for(Action.RESOURCES_DASHBOARD),
    ),
}


def _west_complaint(w: World):
    """A report of misuse in the west county, answered there (made on first use)."""
    from safetynet.portal.models import Complaint
    from safetynet.portal.services import complaint_file

    found = Complaint.objects.filter(region=w.tree.west_community).first()
    return found or complaint_file(
        category="misuse", region_code=w.tree.west_community.code, subject="举报", body="邻居家有两辆车还领低保。",
        anonymous=True,
    )


def _get_routes() -> set[str]:
    schema = api.get_openapi_schema()
    return {path.removeprefix(PREFIX) for path, methods in schema["paths"].items() if "get" in methods}


def test_every_get_route_is_covered():
    # given the API as it is built today
    routes = _get_routes()
    # then each GET route has a scoping entry, and no entry names a route that is gone
    assert routes - ROUTES.keys() == set(), "add these routes to ROUTES in test_region_isolation.py"
    assert ROUTES.keys() - routes == set()


def _west_case(household: Household, programme: str, steps: list[str], street) -> Case:
    """A case filed at the window and moved by the west street officer through ``steps``."""
    head = household.memberships.order_by("id").first().person
    case = cases.case_submit(
        programme=programme, channel="window", household_id=household.pk, applicant_id=head.pk, actor=street
    ).case
    for step in steps:
        case = cases.case_transition(case_id=case.pk, to=step, actor=street)
    return case


@pytest.fixture
def world(db, settings) -> World:
    tree = make_region_tree()
    region_bulk_create(specs=[RegionSpec("990103000000", "北区", Level.COUNTY, tree.city.code)])
    north = Region.objects.get(code="990103000000")
    SourceBatch.objects.create(
        batch_id=_BATCH_ID, source="tax_wages", file_name="w.csv", file_format="csv", content_sha256="0" * 64,
        as_of=dt.date(2026, 10, 31), received=2, accepted=1, quarantined=1, lake_path="sources/tax_wages/x.parquet",
    )
    household = make_household(tree.west_community, members=2)
    person = household.memberships.order_by("id").first().person
    street = make_user(Role.STREET_OFFICER, tree.west_street)
    centre = make_user(Role.VERIFICATION_CENTRE, tree.west)
    approver = make_user(Role.COUNTY_APPROVER, tree.west)
    today = timezone.localdate()
    authorisation = authorisation_record(
        actor=street,
        household_id=household.pk,
        signed_by_id=person.pk,
        person_ids=list(household.memberships.values_list("person_id", flat=True)),
        sources=["social_insurance", "tax_wages"],
        signed_on=today - dt.timedelta(days=1),
        valid_until=today + dt.timedelta(days=300),
    )
    # A report as the engine would store it, written by hand: running the engine is not the
    # point here, who may read the row is.
    report = VerificationReport.objects.create(
        household=household,
        authorisation=authorisation,
        on=today,
        requested_by=centre,
        purpose="低保审核",
        income_per_head=Decimal("420.00"),
        result={
            "on": today.isoformat(),
            "household": {"members": 2, "income_total": 840, "income_per_head": 420},
            "household_number": household.number,
            "region_code": tree.west_community.code,
            "rural": False,
            "sources": [],
            "members": [],
            "batches": [],
            "standing": {},
        },
    )
    # one open case at each step a queue role acts on, all in the west county (after the
    # report: review and the home visit need a current one)
    accepted = [Status.ACCEPTED, Status.VERIFICATION]
    west_cases = {
        "verification": _west_case(household, "tekun", accepted, street),
        "home_visit": _west_case(household, "dibao", [*accepted, Status.HOME_VISIT], street),
        "review": _west_case(household, "medical_assistance", [*accepted, Status.REVIEW], street),
    }
    breach = west_cases["home_visit"]
    Case.objects.filter(pk=breach.pk).update(due_at=timezone.now() - dt.timedelta(days=1))  # the clock moved on
    cross_region = cross_region_request_create(
        actor=centre,
        household_id=household.pk,
        to_region_code=north.code,
        id_number=make_resident_id("990103", dt.date(1965, 4, 2), 11, "M"),
        name="外县人",
        items=["social_insurance"],
        reason="申请人之子户籍在北区",
    )
    parameter_change = parameter_change_propose(
        actor=approver,
        path="low_income_margin.multiple",
        region_code=tree.west.code,
        effective_from=today + dt.timedelta(days=30),
        value="1.5",
        reference="西区民政〔2025〕1号",
    )
    return World(tree, north, household, person, west_cases, breach, authorisation, report, cross_region,
                 parameter_change)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


SCOPED = sorted((path, role) for path, route in ROUTES.items() if route.kind != "self" for role in STAFF_ROLES)


@pytest.mark.parametrize(("path", "role"), SCOPED)
def test_a_neighbouring_county_sees_nothing_and_the_own_county_sees_the_record(world, path, role):
    route = ROUTES[path]
    # given the same role in the records' own county (west) and in the neighbouring one (east)
    own = _client_for(make_user(role, world.tree.west))
    neighbour = _client_for(make_user(role, world.tree.east))
    url = route.url(world)
    # when both ask
    own_response, neighbour_response = own.get(url), neighbour.get(url)
    # then a role that may not read here is refused in both counties
    if role not in route.roles:
        assert (own_response.status_code, own_response.json()["code"]) == (403, "forbidden")
        assert (neighbour_response.status_code, neighbour_response.json()["code"]) == (403, "forbidden")
        return
    if route.kind == "public":
        # city-wide data: both counties get the same, non-empty answer
        assert (own_response.status_code, neighbour_response.status_code) == (200, 200)
        assert own_response.json() and own_response.json() == neighbour_response.json()
    elif route.kind == "list":
        # the own county sees every west record, the neighbour none of them
        west = route.west_keys(world, role)
        assert west
        assert west <= {route.key(row) for row in _rows(own_response)}
        assert {route.key(row) for row in _rows(neighbour_response)} & west == set()
        if path != "/regions":  # the neighbour's own regions are listed; registry rows are all in the west
            assert _rows(neighbour_response) == []
    else:
        assert own_response.status_code == 200
        assert neighbour_response.status_code == 404
        assert neighbour_response.json()["code"].endswith("not_found")


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_a_region_filter_naming_the_neighbour_returns_nothing(world, role):
    # given an east account asking explicitly for the west county
    client = _client_for(make_user(role, world.tree.east))
    west = world.tree.west.code
    # when it lists with region=west, then nothing comes back (or the role is refused outright)
    assert _rows(client.get(f"{PREFIX}/regions?parent={west}")) == []
    for path, readers in (("persons", roles_for(Action.PERSON_VIEW_FULL)), ("households", roles_for(Action.PERSON_VIEW_FULL)),
                          ("cases/queue", QUEUE_CASES.keys())):
        response = client.get(f"{PREFIX}/{path}?region={west}")
        if role in readers:
            assert _rows(response) == []
        else:
            assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.STREET_OFFICER, Role.COUNTY_APPROVER, Role.ADMIN])
def test_a_neighbouring_editor_cannot_change_or_unmask_another_countys_records(world, role):
    # given an editor of the east county
    client = _client_for(make_user(role, world.tree.east))
    hh, person = world.west_household, world.west_person
    newcomer = make_person(world.tree.west_community)
    # when they try every write and the unmasked view on west records
    join = client.post(
        f"{PREFIX}/households/{hh.pk}/members",
        {"person_id": newcomer.pk, "relationship": "other", "joined_on": "2020-01-01"},
        content_type="application/json",
    )
    leave = client.post(
        f"{PREFIX}/households/{hh.pk}/members/{person.pk}/leave",
        {"left_on": "2021-01-01", "reason": "迁出"},
        content_type="application/json",
    )
    full = client.post(f"{PREFIX}/persons/{person.pk}/full", {"purpose": "核查"}, content_type="application/json")
    # then each is "not found" and nothing changed
    assert [join.status_code, leave.status_code, full.status_code] == [404, 404, 404]
    assert join.json()["code"] == "household.not_found"
    assert full.json()["code"] == "person.not_found"
    assert hh.memberships.filter(left_on__isnull=False).count() == 0
    assert not newcomer.memberships.exists()


@pytest.fixture
def citizen_world(db):
    tree = make_region_tree()
    mine = make_household(tree.east_community, members=2)
    neighbours = make_household(tree.east_community, members=2)  # same community, another family
    me = mine.memberships.first().person
    return tree, mine, neighbours, me


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.PROXY])
def test_a_citizen_sees_only_their_own_person_and_household(citizen_world, role):
    tree, mine, neighbours, me = citizen_world
    # given a citizen account linked to one member of ``mine``
    client = _client_for(make_user(role, None, person=me))
    # when they list and open
    persons = _rows(client.get(f"{PREFIX}/persons"))
    households = _rows(client.get(f"{PREFIX}/households"))
    # then only their own person and household appear
    assert [p["id"] for p in persons] == [me.pk]
    assert [h["id"] for h in households] == [mine.pk]
    assert client.get(f"{PREFIX}/households/{mine.pk}").status_code == 200
    assert client.get(f"{PREFIX}/persons/{me.pk}").status_code == 200
    other_member = mine.memberships.exclude(person=me).first().person
    assert client.get(f"{PREFIX}/persons/{other_member.pk}").status_code == 404
    assert client.get(f"{PREFIX}/households/{neighbours.pk}").status_code == 404
    # the region browser is staff's: the permission table refuses it to citizens and proxies
    regions = client.get(f"{PREFIX}/regions")
    assert regions.status_code == 403 and regions.json()["code"] == "forbidden"


def test_a_citizen_without_a_linked_person_sees_nothing(citizen_world):
    client = _client_for(make_user(Role.CITIZEN, None))
    assert _rows(client.get(f"{PREFIX}/persons")) == []
    assert _rows(client.get(f"{PREFIX}/households")) == []


def test_a_citizen_who_left_a_household_no_longer_sees_it(citizen_world):
    from safetynet.registry.services import household_remove_member

    tree, mine, neighbours, me = citizen_world
    client = _client_for(make_user(Role.CITIZEN, None, person=me))
    # given the citizen has left their household
    household_remove_member(actor=None, household=mine, person=me, left_on=dt.date(2020, 1, 1), reason="分户")
    # then it is no longer theirs to see
    assert _rows(client.get(f"{PREFIX}/households")) == []
    assert client.get(f"{PREFIX}/households/{mine.pk}").status_code == 404


@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_me_names_the_callers_role_and_region(db, role):
    tree = make_region_tree()
    user = make_user(role, tree.east_street, username=f"me-{role}")
    body = _client_for(user).get(f"{PREFIX}/me").json()
    assert (body["username"], body["role"], body["region"]) == (f"me-{role}", role, tree.east_street.code)


def test_every_route_refuses_an_anonymous_caller(world):
    client = Client()
    for path, route in ROUTES.items():
        url = route.url(world) if route.url else f"{PREFIX}{path}"
        response = client.get(url)
        if route.anonymous:
            assert response.status_code == 200, url
            continue
        assert response.status_code == 401, url
        assert response.json()["code"] == "unauthenticated"
