"""Building the demo city (示范市) and its demo accounts.

``demo_generate`` draws the population and the departmental extracts from one seeded
generator, writes the registry in bulk (one transaction, one ``demo.generate`` audit event
instead of one per row) and the extracts and ground truth beside the lake (``core.paths``), never in it:

* ``incoming/<source>/<batch>.parquet`` — raw departmental extracts (see ``demo.sources``);
* ``demo_truth/planted.parquet`` — every planted anomaly;
* ``demo_truth/needy_households.parquet`` — every household that truly needs help;
* ``demo_truth/summary.json`` — counts.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError, Q
from django.utils.translation import gettext as _

from safetynet.accounts.models import User
from safetynet.audit.services import audit_record
from safetynet.core.db import planner_statistics_refresh
from safetynet.core.paths import demo_truth_dir, incoming_dir
from safetynet.core.roles import Role
from safetynet.demo import store
from safetynet.demo.errors import DemoCityInUse, InvalidDemoOptions, RegistryNotEmpty
from safetynet.demo.extracts import BATCH, build_extracts
from safetynet.demo.population import CITY_CODE, generate_population
from safetynet.regions.models import Level, Region
from safetynet.regions.services import region_bulk_create
from safetynet.registry.models import Household, Membership, Person, SupportObligation

DEMO_PREFIX = "99"
DEMO_PASSWORD = "safetynet-demo"
MAX_HOUSEHOLDS = 5_000_000


@dataclass
class DemoResult:
    households: int
    persons: int
    memberships: int
    regions: int
    seed: int
    lake_dir: Path
    summary: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def demo_city_present() -> bool:
    return Household.objects.filter(region__code__startswith=CITY_CODE[:4]).exists()


def _registry_has_data() -> bool:
    return (
        Person.objects.exists()
        or Household.objects.exists()
        or Region.objects.filter(code__startswith=DEMO_PREFIX).exists()
    )


def demo_reset(*, actor=None) -> dict[str, int]:
    """Delete the demo city: its regions, households, persons, memberships and the accounts bound
    to them. A city that other apps have already written about (cases, reports, rolls, alerts,
    findings) is refused whole, with nothing deleted: those records and their audit trail are not
    this function's to erase."""
    try:
        return _demo_delete(actor=actor)
    except (IntegrityError, ProtectedError):
        raise DemoCityInUse(
            _("示范市已有案件、核对报告、发放、预警或监督线索等业务记录，不能只删除示范登记数据，未删除任何数据。"
              "如需从头生成，请换用新的数据目录（SAFETYNET_HOME）和新数据库后再运行。")
        ) from None


def _demo_delete(*, actor) -> dict[str, int]:
    in_demo = {"code__startswith": DEMO_PREFIX}
    with transaction.atomic():
        alias = connection.alias
        counts = {
            "memberships": Membership.objects.filter(household__region__code__startswith=DEMO_PREFIX)._raw_delete(alias)
            + Membership.objects.filter(person__residence_region__code__startswith=DEMO_PREFIX)._raw_delete(alias),
        }
        counts["support_obligations"] = SupportObligation.objects.filter(
            Q(person__residence_region__code__startswith=DEMO_PREFIX)
            | Q(supporter__residence_region__code__startswith=DEMO_PREFIX)
        )._raw_delete(alias)
        counts["accounts"] = User.objects.filter(region__code__startswith=DEMO_PREFIX).delete()[0]
        counts["accounts"] += User.objects.filter(person__residence_region__code__startswith=DEMO_PREFIX).delete()[0]
        counts["persons"] = Person.objects.filter(residence_region__code__startswith=DEMO_PREFIX)._raw_delete(alias)
        counts["households"] = Household.objects.filter(region__code__startswith=DEMO_PREFIX)._raw_delete(alias)
        regions = 0
        for level in sorted(Level.values, reverse=True):
            regions += Region.objects.filter(level=level, **in_demo)._raw_delete(alias)
        counts["regions"] = regions
        audit_record(actor=actor, action="demo.reset", target_type="demo", data=counts)
    return counts


def demo_generate(
    *, households: int = 20_000, seed: int = 1, reset: bool = False, progress: bool = False, actor=None
) -> DemoResult:
    """Build 示范市 with ``households`` households from ``seed``; same seed, same city and files."""
    if not 10 <= households <= MAX_HOUSEHOLDS:
        raise InvalidDemoOptions(
            _("家庭数须在 %(lo)d 至 %(hi)d 之间：%(n)s") % {"lo": 10, "hi": MAX_HOUSEHOLDS, "n": households},
            households=households,
        )
    if seed < 0:
        raise InvalidDemoOptions(_("随机种子须为非负整数：%(s)s") % {"s": seed}, seed=seed)
    if _registry_has_data():
        if not reset:
            raise RegistryNotEmpty(
                _("登记库中已有人员、家庭或示范区划数据，拒绝生成示范数据。如需删除示范数据后重新生成，请加 --reset。")
            )
        demo_reset(actor=actor)
        if _registry_has_data():
            raise RegistryNotEmpty(_("删除示范数据后登记库中仍有其他数据，拒绝生成示范数据。"))

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    rng = np.random.Generator(np.random.PCG64(seed))
    pop = generate_population(households=households, rng=rng)
    extracts = build_extracts(pop=pop, rng=rng)
    timings["generate"] = time.perf_counter() - t0

    lake = Path(settings.LAKE_DIR)
    with transaction.atomic():
        t = time.perf_counter()
        region_bulk_create(specs=pop.city.specs, actor=actor)
        by_code = dict(Region.objects.filter(code__startswith=DEMO_PREFIX).values_list("code", "id"))
        community_ids = np.array([by_code[c] for c in pop.city.community_codes.tolist()], dtype=np.int64)
        counts = store.write_registry(pop=pop, community_ids=community_ids, progress=progress)
        timings["database"] = time.perf_counter() - t

        t = time.perf_counter()
        for name, table in extracts.tables.items():
            if table.num_rows == 0:  # a catalogued source the city leaves no rows in: no file (ingestion refuses empty ones)
                continue
            store.write_parquet(table, incoming_dir() / name / f"{BATCH}.parquet")
        truth = demo_truth_dir()
        store.write_parquet(extracts.planted, truth / "planted.parquet")
        store.write_parquet(extracts.needy, truth / "needy_households.parquet")
        summary = {"seed": seed, **extracts.summary}
        (truth / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        timings["parquet"] = time.perf_counter() - t

        audit_record(
            actor=actor,
            action="demo.generate",
            target_type="demo",
            data={
                "seed": seed,
                "regions": len(pop.city.specs),
                **counts,
                "source_rows": extracts.summary["source_rows"],
                "planted": extracts.summary["planted"],
                "needy_households": extracts.summary["needy_households"],
            },
        )
    planner_statistics_refresh(Region, Household, Person, Membership, SupportObligation)
    return DemoResult(
        households=counts["households"],
        persons=counts["persons"],
        memberships=counts["memberships"],
        regions=len(pop.city.specs),
        seed=seed,
        lake_dir=lake,
        summary=summary,
        timings=timings,
    )


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    region_name: str
    password: str


def demo_accounts_ensure(*, password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    """One account per role, ``demo-<role>``, bound to regions of the demo city. Existing
    accounts are left as they are, so running it again changes nothing."""
    city = Region.objects.get(code=CITY_CODE)
    household = (
        Household.objects.filter(region__code__startswith=CITY_CODE[:4], memberships__left_on__isnull=True)
        .select_related("region__parent__parent")
        .order_by("id")
        .first()
    )
    if household is None:
        raise RegistryNotEmpty(_("示范市中还没有家庭，请先运行 demo-data。"), code="demo.no_city")
    community = household.region
    street = community.parent
    district = street.parent
    members = list(
        Membership.objects.filter(household__region=community, left_on__isnull=True, person__death_date__isnull=True)
        .select_related("person")
        .order_by("household_id", "id")[:10]
    )
    citizen = members[0].person
    proxy = next((m.person for m in members if m.household_id != household.pk and m.person.birth_date.year < 2000), None)
    bindings: list[tuple[str, Region | None, Person | None]] = [
        (Role.CITIZEN, community, citizen),
        (Role.PROXY, community, proxy),
        (Role.COMMUNITY_WORKER, community, None),
        (Role.STREET_OFFICER, street, None),
        (Role.COUNTY_APPROVER, district, None),
        (Role.VERIFICATION_CENTRE, district, None),
        (Role.PROVIDER, city, None),
        (Role.DATA_PROVIDER, city, None),
        (Role.SUPERVISOR, city, None),
        (Role.ANALYST, city, None),
        (Role.ADMIN, city, None),
    ]
    accounts: list[DemoAccount] = []
    created: list[str] = []
    with transaction.atomic():
        for role, region, person in bindings:
            username = f"demo-{role}".replace("_", "-")
            user = User.objects.filter(username=username).select_related("region").first()
            if user is None:
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    role=role,
                    region=region,
                    person=person,
                    display_name=person.name if person else f"{Role(role).label}（示范）",
                    is_staff=role == Role.ADMIN,
                    is_superuser=role == Role.ADMIN,
                )
                created.append(username)
            accounts.append(
                DemoAccount(username, role, user.region.name if user.region else "", password)
            )
        if created:
            audit_record(actor=None, action="demo.accounts", target_type="accounts.user", data={"created": created})
    return accounts
