from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from safetynet.audit.services import audit_record
from safetynet.regions.errors import InvalidRegion
from safetynet.regions.models import Level, Region


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    level: int
    parent_code: str | None
    urban: bool = True


def _validate(spec: RegionSpec, parent: Region | None) -> None:
    if len(spec.code) != 12 or not spec.code.isdigit():
        raise InvalidRegion(_("区划代码须为12位数字：%(c)s") % {"c": spec.code}, code="region.code", value=spec.code)
    if spec.level not in Level.values:
        raise InvalidRegion(_("区划层级须为1至5：%(l)s") % {"l": spec.level}, code="region.level")
    if spec.level == Level.PROVINCE and parent is not None:
        raise InvalidRegion(_("省级区划不能有上级"), code="region.parent")
    if spec.level != Level.PROVINCE:
        if parent is None:
            raise InvalidRegion(_("区划 %(c)s 缺少上级") % {"c": spec.code}, code="region.parent")
        if parent.level != spec.level - 1:
            raise InvalidRegion(
                _("区划 %(c)s 的上级 %(p)s 层级不符") % {"c": spec.code, "p": parent.code}, code="region.parent"
            )


@transaction.atomic
def region_bulk_create(*, specs: Iterable[RegionSpec], actor=None) -> int:
    """Create regions top-down (parents before children), validating each; all or nothing."""
    by_level = sorted(specs, key=lambda s: s.level)
    known: dict[str, Region] = {r.code: r for r in Region.objects.all()}
    created = 0
    for level in Level.values:
        batch = []
        for spec in (s for s in by_level if s.level == level):
            parent = known.get(spec.parent_code) if spec.parent_code else None
            if spec.parent_code and parent is None:
                raise InvalidRegion(_("上级区划 %(p)s 不存在") % {"p": spec.parent_code}, code="region.parent")
            _validate(spec, parent)
            if spec.code in known:
                raise InvalidRegion(_("区划代码重复：%(c)s") % {"c": spec.code}, code="region.duplicate")
            region = Region(
                code=spec.code,
                name=spec.name,
                level=spec.level,
                parent=parent,
                path=(parent.path if parent else "") + spec.code + "/",
                urban=spec.urban,
            )
            known[spec.code] = region
            batch.append(region)
        Region.objects.bulk_create(batch, batch_size=2000)
        created += len(batch)
        # bulk_create sets primary keys on SQLite 3.35+ and PostgreSQL; refetch defensively.
        if batch and batch[0].pk is None:
            for r in Region.objects.filter(code__in=[b.code for b in batch]):
                known[r.code] = r
    audit_record(actor=actor, action="region.bulk_create", target_type="regions.region", data={"created": created})
    return created


def region_create(*, spec: RegionSpec, actor=None) -> Region:
    region_bulk_create(specs=[spec], actor=actor)
    return Region.objects.get(code=spec.code)
