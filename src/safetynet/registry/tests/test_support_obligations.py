"""Duties of support between registry persons (法定赡养、抚养、扶养义务): one per pair, never to
oneself, read by date for the rules."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from safetynet.core.testing import make_person, make_region_tree
from safetynet.registry.models import SupportObligation
from safetynet.registry.tables import support_obligations_at


@pytest.mark.django_db
def test_obligations_are_read_by_date_and_refused_when_malformed():
    tree = make_region_tree()
    parent, child, other = (make_person(tree.east_community) for _ in range(3))
    SupportObligation.objects.create(person=parent, supporter=child, relation="child")
    SupportObligation.objects.create(
        person=parent,
        supporter=other,
        relation="sibling",
        started_on=dt.date(2020, 1, 1),
        ended_on=dt.date(2024, 12, 31),
    )
    current = support_obligations_at(on=dt.date(2025, 3, 1))
    assert current.to_pylist() == [{"person_id": parent.pk, "supporter_id": child.pk, "relation": "child"}]
    earlier = support_obligations_at(on=dt.date(2024, 6, 1), person_ids=[parent.pk])
    assert sorted(earlier.column("supporter_id").to_pylist()) == sorted([child.pk, other.pk])
    assert support_obligations_at(on=dt.date(2024, 6, 1), person_ids=[child.pk]).num_rows == 0
    for bad in (
        {"person": parent, "supporter": parent, "relation": "child"},  # oneself
        {"person": parent, "supporter": child, "relation": "spouse"},  # a second duty for the same pair
        {
            "person": child,
            "supporter": parent,
            "relation": "parent",
            "started_on": dt.date(2025, 1, 1),
            "ended_on": dt.date(2024, 1, 1),
        },
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            SupportObligation.objects.create(**bad)


@pytest.mark.django_db
def test_obligations_in_force_include_their_first_and_last_day_and_come_by_person_then_supporter():
    tree = make_region_tree()
    a, b, c, d = (make_person(tree.east_community) for _ in range(4))
    day = dt.date(2025, 3, 1)
    SupportObligation.objects.create(person=b, supporter=d, relation="child", started_on=day)
    SupportObligation.objects.create(person=b, supporter=a, relation="parent", ended_on=day)
    SupportObligation.objects.create(person=a, supporter=c, relation="sibling")
    SupportObligation.objects.create(person=a, supporter=d, relation="spouse", started_on=day + dt.timedelta(days=1))
    expected = sorted([(b.pk, d.pk, "child"), (b.pk, a.pk, "parent"), (a.pk, c.pk, "sibling")])
    read = support_obligations_at(on=day)
    assert [tuple(r.values()) for r in read.to_pylist()] == expected
    # more ids than one query binds are matched after the read, to the same rows
    many = support_obligations_at(on=day, person_ids=[b.pk, *range(10**9, 10**9 + 20_000)])
    assert [tuple(r.values()) for r in many.to_pylist()] == [e for e in expected if e[0] == b.pk]
    assert support_obligations_at(on=day, person_ids=[]).num_rows == 0
