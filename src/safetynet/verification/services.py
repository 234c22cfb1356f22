"""Household economic verification (家庭经济状况核对): authorisations, single checks, and
cross-region check requests.

A check runs only under a family's authorisation in force that covers every member and every
source checked; a refusal is itself audited. The computation is the engine's
(:mod:`safetynet.verification.compute`), the same one the nightly bulk run uses; where the
household stands against the local thresholds comes from the rules package.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.core import uploads
from safetynet.core.calendar import add_working_days
from safetynet.core.masking import mask_id_number
from safetynet.core.permissions import Action, require
from safetynet.regions.models import Level, Region
from safetynet.regions.selectors import region_ancestors
from safetynet.registry.idnumber import parse_resident_id
from safetynet.registry.models import Household, Membership
from safetynet.registry.selectors import (
    household_get_for_user,
    household_members_at,
    household_with_members_at_for_user,
)
from safetynet.sources.catalogue import catalogue
from safetynet.verification.compute import VerificationInput, verify_each
from safetynet.verification.errors import (
    AuthorisationMissing,
    CrossRegionRequestClosed,
    CrossRegionRequestInvalid,
    InvalidAuthorisation,
)
from safetynet.verification.models import (
    Authorisation,
    CrossRegionRequest,
    CrossRegionStatus,
    VerificationReport,
)
from safetynet.verification.rules_bridge import decide_from_verification, support_duties, supporter_facts
from safetynet.verification.selectors import cross_region_request_get_for_user

#: Longest validity of one authorisation.
MAX_AUTHORISATION_DAYS = 366
#: Working days the asked county has to answer a cross-region request.
CROSS_REGION_WORKING_DAYS = 10


def _today() -> dt.date:
    return timezone.localdate()


@transaction.atomic
def authorisation_record(
    *,
    actor,
    household_id: int,
    signed_by_id: int,
    person_ids: list[int],
    sources: list[str],
    signed_on: dt.date,
    valid_until: dt.date,
    document_sha256: str = "",
    document: BinaryIO | None = None,
) -> Authorisation:
    """Record a signed 授权书 for members of a household the actor can see. ``document`` is the
    signed scan (PDF/JPG/PNG), checked and kept with the record as case attachments are."""
    require(actor, Action.AUTHORISATION_RECORD)
    household = household_get_for_user(user=actor, household_id=household_id)
    members = {m.person_id: m for m in household_members_at(household=household, on=signed_on)}
    if signed_by_id not in members:
        raise InvalidAuthorisation(_("签署人须为签署当日的家庭成员"), code="authorisation.signer")
    strangers = sorted(set(person_ids) - set(members))
    if not person_ids or strangers:
        raise InvalidAuthorisation(
            _("授权成员须为签署当日的家庭成员，以下人员不是：%(ids)s") % {"ids": strangers or "—"},
            code="authorisation.persons",
            person_ids=strangers,
        )
    unknown = sorted(set(sources) - set(catalogue()))
    if not sources or unknown:
        raise InvalidAuthorisation(
            _("授权的数据源无效：%(s)s") % {"s": "、".join(unknown) or "—"}, code="authorisation.sources"
        )
    if valid_until < signed_on or (valid_until - signed_on).days > MAX_AUTHORISATION_DAYS:
        raise InvalidAuthorisation(
            _("有效期须在签署日之后且不超过一年：%(a)s 至 %(b)s") % {"a": signed_on, "b": valid_until},
            code="authorisation.validity",
        )
    if signed_on > _today():
        raise InvalidAuthorisation(_("签署日期不能在未来"), code="authorisation.validity")
    if valid_until < _today():
        raise InvalidAuthorisation(_("该授权书已过有效期，请家庭重新签署"), code="authorisation.validity")
    staged = None
    if document is not None:
        # Checked before anything is written; staged beside its final place.
        staged = uploads.stage_upload(document, folder="verification", error=InvalidAuthorisation,
                                      code_prefix="authorisation.document", declared_sha256=document_sha256)
        document_sha256 = staged.sha256
    auth = Authorisation.objects.create(
        household=household,
        signed_by_id=signed_by_id,
        sources=sorted(set(sources)),
        signed_on=signed_on,
        valid_until=valid_until,
        document_sha256=document_sha256,
        document_path=staged.relative_path if staged else "",
        document_content_type=staged.content_type if staged else "",
        recorded_by=actor,
    )
    auth.persons.set(person_ids)
    audit_record(
        actor=actor,
        action="authorisation.record",
        target=auth,
        data={"household_id": household.pk, "persons": sorted(person_ids), "sources": auth.sources,
              "document_sha256": document_sha256},
    )
    if staged is not None:
        # Content-addressed: should the record roll back, what stays is an unreferenced copy
        # named by its own hash, never a wrong file under a recorded name.
        staged.keep()
    return auth


def authorisation_in_force(
    *, household: Household, on: dt.date, person_ids: list[int], sources: list[str] | None
) -> Authorisation:
    """The newest authorisation valid on ``on`` covering all ``person_ids`` and ``sources``."""
    candidates = list(
        Authorisation.objects.filter(
            household=household, signed_on__lte=on, valid_until__gte=on, revoked_on__isnull=True
        ).order_by("-signed_on", "-id")
    )
    # The persons covered, by id: no person records to read (and their sealed fields to open).
    covered_by: dict[int, set[int]] = {auth.pk: set() for auth in candidates}
    for auth_id, person_id in Authorisation.persons.through.objects.filter(
        authorisation_id__in=list(covered_by)
    ).values_list("authorisation_id", "person_id"):
        covered_by[auth_id].add(person_id)
    best_gap = None
    for auth in candidates:
        covered = covered_by[auth.pk]
        missing_persons = sorted(set(person_ids) - covered)
        missing_sources = sorted(set(sources or []) - set(auth.sources))
        if not missing_persons and not missing_sources:
            return auth
        best_gap = best_gap or (missing_persons, missing_sources)
    if best_gap is None:
        raise AuthorisationMissing(
            _("该家庭在 %(on)s 没有有效的授权书，不能核对。请先由家庭成员签署授权书。") % {"on": on},
            reason="none",
        )
    persons, srcs = best_gap
    raise AuthorisationMissing(
        _("现有授权书未覆盖：%(what)s。请补签授权书后再核对。")
        % {
            "what": "；".join(
                filter(
                    None,
                    [
                        _("成员 %(p)s") % {"p": persons} if persons else "",
                        _("数据源 %(s)s") % {"s": "、".join(srcs)} if srcs else "",
                    ],
                )
            )
        },
        reason="not_covered",
        person_ids=persons,
        sources=srcs,
    )


def verification_run(
    *, actor, household_id: int, purpose: str, on: dt.date | None = None, sources: list[str] | None = None
) -> VerificationReport:
    """Check every current member against every authorised source and store the report."""
    started = time.perf_counter()
    require(actor, Action.VERIFICATION_RUN)
    on = on or _today()
    purpose = (purpose or "").strip()
    if len(purpose) < 2:
        raise InvalidAuthorisation(_("核对须说明事由"), code="audit.purpose_required")
    household, members = household_with_members_at_for_user(user=actor, household_id=household_id, on=on)
    person_ids = [m.person_id for m in members]
    try:
        auth = authorisation_in_force(household=household, on=on, person_ids=person_ids, sources=sources)
    except AuthorisationMissing as refusal:
        # The refusal is on record even though nothing else happens (拒绝亦留痕).
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="verification.refused",
                target=household,
                purpose=purpose,
                data=refusal.as_dict(),
            )
        raise
    checked_sources = tuple(sorted(sources or auth.sources))
    # The supporters' households are verified in the family's own lookup (one read of the index).
    duties = support_duties(person_ids=np.array(person_ids, dtype=np.int64), on=on)
    family = VerificationInput(
        persons=pa.table(
            {
                "person_id": pa.array(person_ids, pa.int64()),
                "household_id": pa.array([household.pk] * len(person_ids), pa.int64()),
                "id_number": pa.array([m.person.id_number_index for m in members], pa.string()),
            }
        ),
        on=on,
        sources=checked_sources,
    )
    output, *outside = verify_each([family, *filter(None, [duties.to_verify])])
    supporters = supporter_facts(household=household, members=members, on=on, duties=duties,
                                 verified=outside[0] if outside else None)
    result = report_body(household=household, members=members, output=output, on=on, sources=checked_sources,
                         supporters=supporters)
    with transaction.atomic():
        report = VerificationReport.objects.create(
            household=household,
            authorisation=auth,
            on=on,
            requested_by=actor,
            purpose=purpose,
            income_per_head=Decimal(str(round(result["household"].get("income_per_head", 0.0), 2))),
            result=result,
            seconds=time.perf_counter() - started,
        )
        audit_record(
            actor=actor,
            action="verification.run",
            target=report,
            purpose=purpose,
            data={"household_id": household.pk, "on": on.isoformat(), "sources": list(checked_sources)},
        )
    return report


def report_body(
    *, household: Household, members: list[Membership], output, on: dt.date, sources: tuple[str, ...],
    supporters: dict | None = None,
) -> dict[str, Any]:
    """The stored report: members and their cited facts, household totals, and the standing
    (``supporters``: the members' supporters, as ``rules_bridge.supporter_facts`` gives them; read
    here if None)."""
    cat = catalogue()
    facts_by_person: dict[int, list[dict]] = {}
    for fact in output.facts.to_pylist():
        source = cat.get(fact["source"])
        facts_by_person.setdefault(fact["person_id"], []).append(
            {
                "source": fact["source"],
                "source_title": source.title if source else fact["source"],
                "owner": source.owner if source else "",
                "batch_id": fact["batch_id"],
                "row": fact["row"],
                "as_of": _iso(fact["as_of"]),
                "kind": fact["kind"],
                "category": fact["category"],
                "amount": None if fact["amount"] is None else round(float(fact["amount"]), 2),
                "detail": json.loads(fact["detail"]) if fact["detail"] else {},
            }
        )
    rows = output.households.to_pylist()
    totals = {k: _plain(v) for k, v in (rows[0] if rows else {"members": len(members)}).items()}
    body = {
        "on": on.isoformat(),
        "household": totals,
        "household_number": household.number,
        "region_code": household.region.code,
        "rural": household.rural,
        "sources": [{"code": s, "title": cat[s].title, "owner": cat[s].owner} for s in sources if s in cat],
        "members": [
            {
                "person_id": m.person_id,
                "name": m.person.name,
                "id_number": mask_id_number(m.person.id_number),
                "relationship": m.get_relationship_display(),
                "facts": facts_by_person.get(m.person_id, []),
            }
            for m in members
        ],
    }
    body["batches"] = sorted({f["batch_id"] for ms in body["members"] for f in ms["facts"]})
    body["standing"] = standing(household=household, members=members, totals=totals, facts=facts_by_person, on=on,
                                supporters=supporters)
    return body


def standing(*, household: Household, members: list[Membership], totals: dict, facts: dict, on: dt.date,
             supporters: dict | None = None) -> dict:
    """Where the household stands against the local thresholds, decided by the rules package."""

    return decide_from_verification(household=household, members=members, totals=totals, facts=facts, on=on,
                                    supporters=supporters)


def _iso(value) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@transaction.atomic
def cross_region_request_create(
    *, actor, household_id: int, to_region_code: str, id_number: str, name: str, items: list[str], reason: str
) -> CrossRegionRequest:
    """Ask another county's verification centre to check a person not in local sources."""
    require(actor, Action.CROSS_REGION_REQUEST)
    household = household_get_for_user(user=actor, household_id=household_id)
    parse_resident_id(id_number)
    to_region = Region.objects.filter(code=to_region_code, level=Level.COUNTY).first()
    from_region = next((r for r in _ancestors(household.region) if r.level == Level.COUNTY), None)
    if to_region is None:
        raise CrossRegionRequestInvalid(_("协查地须为县级区划：%(c)s") % {"c": to_region_code}, code="cross_region.to")
    if from_region is None or from_region.pk == to_region.pk:
        raise CrossRegionRequestInvalid(_("协查地不能是本县"), code="cross_region.same_county")
    unknown = sorted(set(items) - set(catalogue()))
    if not items or unknown:
        raise CrossRegionRequestInvalid(_("协查事项无效：%(s)s") % {"s": "、".join(unknown) or "—"}, code="cross_region.items")
    if not reason.strip():
        raise CrossRegionRequestInvalid(_("须填写协查事由"), code="cross_region.reason")
    req = CrossRegionRequest.objects.create(
        from_region=from_region,
        to_region=to_region,
        household=household,
        id_number=id_number.upper(),
        name=name.strip(),
        items=sorted(set(items)),
        reason=reason.strip(),
        requested_by=actor,
        due_on=add_working_days(_today(), CROSS_REGION_WORKING_DAYS),
    )
    audit_record(actor=actor, action="cross_region.create", target=req, data={"to": to_region.code, "items": req.items})
    return req


@transaction.atomic
def cross_region_request_answer(*, actor, request_id: int, status: str, response: dict) -> CrossRegionRequest:
    """The asked county answers (or declines, with the reason) once."""

    require(actor, Action.CROSS_REGION_REQUEST)
    req = cross_region_request_get_for_user(user=actor, request_id=request_id)
    req = CrossRegionRequest.objects.select_for_update().get(pk=req.pk)
    if not actor.region.contains(req.to_region):
        raise CrossRegionRequestInvalid(_("只有被请求的县可以回复协查"), code="cross_region.not_addressee")
    if req.status != CrossRegionStatus.OPEN:
        raise CrossRegionRequestClosed(_("该协查已于 %(t)s 回复") % {"t": req.responded_at})
    if status not in (CrossRegionStatus.ANSWERED, CrossRegionStatus.DECLINED):
        raise CrossRegionRequestInvalid(_("回复状态无效：%(s)s") % {"s": status}, code="cross_region.status")
    if status == CrossRegionStatus.DECLINED and not str(response.get("reason", "")).strip():
        raise CrossRegionRequestInvalid(_("无法协查时须说明原因"), code="cross_region.reason")
    req.status, req.response, req.responded_by, req.responded_at = status, response, actor, timezone.now()
    req.save(update_fields=["status", "response", "responded_by", "responded_at", "updated_at"])
    audit_record(actor=actor, action="cross_region.answer", target=req, data={"status": status})
    return req


def _ancestors(region):

    return region_ancestors(region=region)
