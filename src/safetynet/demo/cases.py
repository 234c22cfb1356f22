"""Cases for the demo city (示范案件), so each workbench has something to walk through.

Every case is filed and moved through the real case services (``cases.services``), by the demo
accounts (community worker, street officer, county approver, citizen, proxy), so each step is
checked against the programme's transitions table, timed, put on the timeline and audited.
Only two things are set by hand, both dates, and each place says why.

Deterministic for the seed; idempotent (nothing is done when the demo city already has cases).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from safetynet.accounts.models import User
from safetynet.cases import services as cs
from safetynet.cases.models import Case, Channel, PublicNotice, Status
from safetynet.cases.programmes import PROGRAMMES
from safetynet.core import calendar
from safetynet.core.paths import incoming_dir
from safetynet.demo.population import CITY_CODE, REFERENCE_DATE
from safetynet.registry.models import Household, Membership
from safetynet.sources.catalogue import catalogue
from safetynet.verification.services import authorisation_record

#: Caps that keep the seeding to a few hundred audited steps even for a 20,000-household city.
ACTIVE_MAX = 40
ACTIVE_IN_COMMUNITY_MAX = 15
NEW_APPLICATIONS = 20

#: The steps new applications are left at, in turn (some of each).
_NEW_STEPS = (
    Status.SUBMITTED, Status.ACCEPTED, Status.VERIFICATION, Status.HOME_VISIT, Status.REVIEW, Status.PUBLIC_NOTICE,
)
_NEW_PROGRAMMES = ("dibao",) * 6 + ("low_income_margin", "tekun", "medical_assistance", "disability_subsidies")
_REASONS = (
    "家庭主要劳动力因病丧失劳动能力，收入不足以维持基本生活",
    "独居老人，无固定收入，子女无赡养能力",
    "失业后长期未能再就业，家庭人均收入低于当地低保标准",
    "家中有重度残疾人，护理支出大，生活困难",
    "单亲家庭，抚养未成年子女，收入微薄",
)
#: What the demo's visitors chose, finding by finding (every finding an explicit choice).
_VISIT_FINDINGS = (
    {"met": "申请人本人", "housing": "简陋", "labour": "无", "members_match": "一致", "assets": "无",
     "income_match": "一致"},
    {"met": "其他家庭成员", "housing": "一般", "labour": "部分", "members_match": "一致", "assets": "有",
     "assets_seen": ["电视机"], "income_match": "未核实"},
    {"met": "申请人本人", "housing": "一般", "labour": "无", "members_match": "不一致", "assets": "无",
     "income_match": "一致"},
)



@dataclass
class DemoCases:
    skipped: bool = False
    created: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    overdue: int = 0


@dataclass(frozen=True)
class _Actors:
    worker: User
    street: User
    county: User
    citizen: User
    proxy: User | None
    centre: User | None = None


def _actors() -> _Actors | None:
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-").select_related("region", "person")}
    try:
        return _Actors(
            worker=users["demo-community-worker"],
            street=users["demo-street-officer"],
            county=users["demo-county-approver"],
            citizen=users["demo-citizen"],
            proxy=users.get("demo-proxy"),
            centre=users.get("demo-verification-centre"),
        )
    except KeyError:
        return None


def demo_cases_seed(*, seed: int) -> DemoCases:
    """Seed the demo city's cases: current 低保 recipients as active cases with a periodic review
    date, ~20 new applications at various steps (some overdue), two proxy applications, one
    先行救助 emergency and the demo citizen's own application. Skips if cases already exist."""
    if Case.objects.filter(region__code__startswith=CITY_CODE[:4]).exists():
        return DemoCases(skipped=True)
    actors = _actors()
    if actors is None or actors.street.region is None or actors.worker.region is None:
        return DemoCases(skipped=True)
    rng = random.Random(seed)
    street_region, community = actors.street.region, actors.worker.region
    # Each household's living current members, head first: the applicant is the first of them.
    members: dict[int, list] = defaultdict(list)
    for m in (
        Membership.objects.filter(
            household__region__path__startswith=street_region.path, left_on__isnull=True,
            person__death_date__isnull=True,
        )
        .select_related("person")
        .order_by("household_id", "id")
    ):
        members[m.household_id].append(m)
    households = {
        h.pk: h
        for h in Household.objects.filter(pk__in=list(members)).select_related("region").order_by("number")
    }
    citizen_household = (
        Membership.objects.filter(person_id=actors.citizen.person_id, left_on__isnull=True)
        .values_list("household_id", flat=True)
        .first()
    )
    reserved = {citizen_household}
    recipients = _dibao_recipients()
    made: list[Case] = []

    # (a) Current 低保 recipients: active cases, driven there step by step.
    on_roll = [h for h in households.values() if h.number in recipients and h.pk not in reserved]
    in_comm = [h for h in on_roll if h.region_id == community.pk]
    rng.shuffle(in_comm)
    in_comm = in_comm[:ACTIVE_IN_COMMUNITY_MAX]
    rest = [h for h in on_roll if h.region_id != community.pk]
    rng.shuffle(rest)
    chosen = sorted(in_comm + rest[: max(0, ACTIVE_MAX - len(in_comm))], key=lambda h: h.number)
    for h in chosen:
        amount, start = recipients[h.number]
        made.append(_drive_active(h, _applicant(members[h.pk]), actors, rng, amount=amount, start=start))
        reserved.add(h.pk)

    # The rest of the street's households, the worker's community first: new applicants.
    pool = [h for h in households.values() if h.pk not in reserved and h.number not in recipients]
    pool_comm = [h for h in pool if h.region_id == community.pk]
    pool_rest = [h for h in pool if h.region_id != community.pk]
    rng.shuffle(pool_comm)
    rng.shuffle(pool_rest)
    pool = pool_comm + pool_rest

    # (b) New applications at various steps; about a third past their step's deadline.
    for i, h in enumerate(pool[:NEW_APPLICATIONS]):
        programme = _NEW_PROGRAMMES[rng.randrange(len(_NEW_PROGRAMMES))]
        step = _NEW_STEPS[i % len(_NEW_STEPS)]
        # Every other round of steps has its notice period over: the county approver can decide today.
        case = _drive_new(h, _applicant(members[h.pk]), actors, rng, programme=programme, step=step,
                          notice_over=(i // len(_NEW_STEPS)) % 2 == 0)
        if rng.random() < 0.35 and case.status != Status.PUBLIC_NOTICE:
            # The demo city's data are as of its reference date (2026-10-31), while the services
            # stamp deadlines from the real clock, so a freshly seeded city would have no late work
            # at all. These applications were (notionally) filed weeks before the reference date:
            # move the current step's deadline into the past so the workbench shows 超期 cases first.
            late = timezone.now() - dt.timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 20))
            Case.objects.filter(pk=case.pk).update(due_at=late)
            case.due_at = late
        made.append(case)
    reserved.update(h.pk for h in pool[:NEW_APPLICATIONS])
    left = [h for h in pool[NEW_APPLICATIONS:] if h.region_id == community.pk] + [
        h for h in pool[NEW_APPLICATIONS:] if h.region_id != community.pk
    ]

    # (c) Two proxy applications (委托代办) and one 临时救助 emergency (先行救助).
    # Mandates are recorded, and proxy applications filed, by the community worker: their community.
    proxies = [h for h in left if h.region_id == community.pk][:2]
    for j, h in enumerate(proxies):
        made.append(_proxy_application(h, _applicant(members[h.pk]), actors, by_proxy_account=j == 0))
        reserved.add(h.pk)
    left = [h for h in left if h.pk not in reserved]
    if left:
        h = left[0]
        made.append(_emergency(h, _applicant(members[h.pk]), actors))

    # (d) The demo citizen's own online 低保 application, just submitted.
    citizen = actors.citizen
    if citizen_household is not None:
        made.append(cs.case_submit(
            programme="dibao", channel=Channel.ONLINE, household_id=citizen_household, applicant_id=citizen.person_id,
            actor=citizen, idempotency_key=f"demo-citizen-{seed}", description=_REASONS[0],
        ).case)

    result = DemoCases(created=len(made))
    now = timezone.now()
    counts: dict[str, int] = defaultdict(int)
    for c in Case.objects.filter(pk__in=[c.pk for c in made]).only("status", "due_at"):
        counts[c.status] += 1
        if c.status != Status.ACTIVE and c.due_at is not None and c.due_at < now:
            result.overdue += 1
    result.by_status = dict(sorted(counts.items()))
    return result


def _dibao_recipients() -> dict[str, tuple[Decimal, dt.date]]:
    """``{household_number: (monthly amount, start date)}`` of 低保 households on the benefits extract."""
    import pyarrow.parquet as pq

    folder = incoming_dir() / "benefits"
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    out: dict[str, tuple[Decimal, dt.date]] = {}
    for path in files:
        table = pq.read_table(path, columns=["household_number", "programme", "monthly_amount", "start_date"])
        for row in table.to_pylist():
            if row["programme"] != "dibao":
                continue
            amount, start = out.get(row["household_number"], (Decimal("0"), row["start_date"]))
            out[row["household_number"]] = (amount + Decimal(str(row["monthly_amount"])), start)
    return {k: (v[0].quantize(Decimal("1")), v[1]) for k, v in out.items()}


def _applicant(ms: list) -> int:
    head = next((m for m in ms if m.relationship == "head"), ms[0])
    return head.person_id


def _visitor(case_household: Household, actors: _Actors) -> User:
    return actors.worker if case_household.region_id == actors.worker.region_id else actors.street


def _submit(h: Household, applicant_id: int, actors: _Actors, rng: random.Random, programme: str, **kw) -> Case:
    filer = actors.worker if h.region_id == actors.worker.region_id else actors.street
    kw.setdefault("channel", Channel.WINDOW)
    return cs.case_submit(
        programme=programme, household_id=h.pk, applicant_id=applicant_id, actor=filer,
        description=kw.pop("description", _REASONS[rng.randrange(len(_REASONS))]), **kw,
    ).case


def _end_notice(case: Case) -> None:
    """Let the public notice period run out, as ``cases/tests/conftest.py`` ``end_notice`` does:
    the notice was (notionally) posted before the demo's reference date; seeding runs in seconds,
    so the 7-day period is moved into the past rather than waited for."""
    now = timezone.now()
    PublicNotice.objects.filter(case=case).update(starts_at=now - dt.timedelta(days=8), ends_at=now - dt.timedelta(days=1))


def _drive_active(h: Household, applicant_id: int, actors: _Actors, rng: random.Random, *, amount: Decimal,
                  start: dt.date) -> Case:
    case = _submit(h, applicant_id, actors, rng, "dibao")
    cs.case_accept(case_id=case.pk, actor=actors.street)
    _authorise(h, actors)
    cs.case_start_verification(case_id=case.pk, actor=actors.street)
    cs.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=actors.street)
    cs.case_record_visit(case_id=case.pk, actor=_visitor(h, actors), visited_on=timezone.localdate(),
                         findings=_VISIT_FINDINGS[rng.randrange(len(_VISIT_FINDINGS))])
    cs.case_open_notice(case_id=case.pk, actor=actors.street)
    _end_notice(case)
    stable = rng.random() < 0.3
    cs.case_approve(case_id=case.pk, actor=actors.county, amount_monthly=max(amount, Decimal("100")),
                    stable_household=stable, reason="按原发放名册的核定金额")
    case = cs.case_activate(case_id=case.pk, actor=actors.county)
    # The benefit began on the extract's start date, not today: the next periodic review (动态复核)
    # is the first review anniversary of that date after the reference date, so reviews fall due
    # across the coming months (a few already between the reference date and today) rather than
    # all on one day a year from now.
    prog = PROGRAMMES["dibao"]
    months = prog.review_months_stable if stable else prog.review_months_other
    review, n = start, 0
    while review <= REFERENCE_DATE:
        n += months
        review = calendar.add_months(start, n)
    due = calendar.end_of_day(review)
    Case.objects.filter(pk=case.pk).update(due_at=due)
    case.due_at = due
    return case


def _drive_new(h: Household, applicant_id: int, actors: _Actors, rng: random.Random, *, programme: str, step: str,
               notice_over: bool) -> Case:
    """File an application and move it along the programme's ordinary road up to ``step``."""
    case = _submit(h, applicant_id, actors, rng, programme)
    order = [Status.SUBMITTED, Status.ACCEPTED, Status.VERIFICATION, Status.HOME_VISIT, Status.REVIEW,
             Status.PUBLIC_NOTICE]
    prog = PROGRAMMES[programme]
    # Programmes without a home visit or a public notice stop at the last step they do have.
    has_visit = prog.move(Status.VERIFICATION, Status.HOME_VISIT) is not None
    has_notice = prog.move(Status.REVIEW, Status.PUBLIC_NOTICE) is not None
    target = order.index(step)
    if target >= 1:
        case = cs.case_accept(case_id=case.pk, actor=actors.street)
        # The family signed the 授权书 at acceptance: whoever starts verification can run it today.
        _authorise(h, actors)
    if target >= 2:
        cs.case_start_verification(case_id=case.pk, actor=actors.street)
    if target >= 3:
        if has_visit:
            case = cs.case_transition(case_id=case.pk, to=Status.HOME_VISIT, actor=actors.street)
            if target >= 4:
                cs.case_record_visit(case_id=case.pk, actor=_visitor(h, actors), visited_on=timezone.localdate(),
                                     findings=_VISIT_FINDINGS[rng.randrange(len(_VISIT_FINDINGS))])
        else:
            case = cs.case_transition(case_id=case.pk, to=Status.REVIEW, actor=actors.street)
    if target >= 5 and has_notice:
        cs.case_open_notice(case_id=case.pk, actor=actors.street)
        if notice_over:
            _end_notice(case)  # notice period over: waiting for the county approver
    return Case.objects.get(pk=case.pk)


def _authorise(h: Household, actors: _Actors) -> None:
    """The family's 授权书 for every current member and every catalogued source, recorded by the
    officer who received it (the worker in their community, else the street officer)."""
    recorder = actors.worker if h.region_id == actors.worker.region_id else actors.street
    members = [m.person_id for m in Membership.objects.filter(household=h, left_on__isnull=True).order_by("id")]
    today = timezone.localdate()
    authorisation_record(
        actor=recorder, household_id=h.pk, signed_by_id=members[0], person_ids=members,
        sources=sorted(catalogue()), signed_on=today, valid_until=today + dt.timedelta(days=365),
    )


def _proxy_application(h: Household, applicant_id: int, actors: _Actors, *, by_proxy_account: bool) -> Case:
    """委托代办: the worker records the signed mandate; the proxy (the demo proxy account, or a
    relative without an account through the worker) files for the grantor."""
    proxy_user = actors.proxy if by_proxy_account and actors.proxy is not None else None
    mandate = cs.mandate_record(
        grantor_id=applicant_id,
        proxy_name=(proxy_user.display_name if proxy_user else "李建国"),
        relationship="邻居" if proxy_user else "子女",
        valid_until=timezone.localdate() + dt.timedelta(days=365),
        actor=actors.worker,
        proxy_user_id=proxy_user.pk if proxy_user else None,
        programmes=["dibao", "temporary_assistance"],
    )
    return cs.case_submit(
        programme="dibao", channel=Channel.PROXY, household_id=h.pk, applicant_id=applicant_id,
        actor=proxy_user or actors.worker, proxy_mandate_id=mandate.pk, description="申请人行动不便，委托他人代为申请",
    ).case


def _emergency(h: Household, applicant_id: int, actors: _Actors) -> Case:
    """临时救助 with 先行救助: help granted at once, verification to follow."""
    filer = actors.worker if h.region_id == actors.worker.region_id else actors.street
    case = cs.case_submit(
        programme="temporary_assistance", channel=Channel.WINDOW, household_id=h.pk, applicant_id=applicant_id,
        actor=filer, emergency=True, amount_requested=Decimal("800"), description="家中突发火灾，基本生活陷入困境",
    ).case
    case = cs.case_grant_emergency_aid(case_id=case.pk, actor=actors.street, amount=Decimal("800"),
                                       reason="突发火灾，急难情形，先行救助")
    # Help first, verify after: the family signs the 授权书; the report is due within five working days.
    _authorise(h, actors)
    return case
