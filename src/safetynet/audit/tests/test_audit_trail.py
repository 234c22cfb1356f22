"""Every change made through a service leaves an event naming its actor; the chain holds
under concurrent writers."""

import datetime as dt
import threading

import pytest
from django.db import connection

from safetynet.accounts.services import api_token_issue, api_token_revoke, user_create, user_deactivate
from safetynet.audit.models import AuditEvent
from safetynet.audit.services import audit_record, audit_verify
from safetynet.core.roles import Role
from safetynet.core.testing import make_region_tree, make_user
from safetynet.registry.idnumber import make_resident_id
from safetynet.registry.services import (
    household_create,
    household_member_join,
    household_member_leave,
    person_create,
)


@pytest.mark.django_db
def test_each_service_change_writes_one_event_with_its_actor():
    # given an admin of the city
    tree = make_region_tree()
    admin = make_user(Role.ADMIN, tree.city)
    first = AuditEvent.objects.count()
    # when the admin makes one change through each service
    user = user_create(actor=admin, username="u1", password="红旗渠-1960-修渠", role=Role.CITIZEN, region=None)
    issued = api_token_issue(actor=admin, user=user, label="测试")
    api_token_revoke(actor=admin, token=issued.token)
    user_deactivate(actor=admin, user=user, reason="测试")
    person = person_create(
        actor=admin,
        hukou_region=tree.east_community,
        residence_region=tree.east_community,
        id_number=make_resident_id("990101", dt.date(1980, 1, 1), 3, "M"),
        name="赵六",
    )
    household = household_create(actor=admin, number="H-A", region=tree.east_community)
    household_member_join(
        actor=admin, household_id=household.pk, person_id=person.pk, relationship="head", joined_on=dt.date(2010, 1, 1)
    )
    household_member_leave(
        actor=admin, household_id=household.pk, person_id=person.pk, left_on=dt.date(2020, 1, 1), reason="死亡"
    )
    # then one event per change, in order, each naming the admin, and the chain verifies
    events = list(AuditEvent.objects.filter(seq__gt=first).order_by("seq"))
    assert [e.action for e in events] == [
        "user.create",
        "api_token.issue",
        "api_token.revoke",
        "user.deactivate",
        "person.create",
        "household.create",
        "household.member_join",
        "household.member_leave",
    ]
    assert {(e.actor_id, e.actor, e.actor_role) for e in events} == {(admin.pk, admin.username, "admin")}
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_refused_change_writes_no_event():
    tree = make_region_tree()
    officer = make_user(Role.COMMUNITY_WORKER, tree.east_community)
    before = AuditEvent.objects.count()
    with pytest.raises(Exception, match="forbidden"):
        household_member_join(
            actor=officer, household_id=1, person_id=1, relationship="head", joined_on=dt.date(2010, 1, 1)
        )
    assert AuditEvent.objects.count() == before


WRITERS, EACH = 8, 15


@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks and real concurrency")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_the_chain_valid():
    # given several threads, each with its own database connection, released together
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(EACH):
                audit_record(actor=None, action="test.concurrent", target_type="thread", target_id=n, data={"i": i})
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    # when they all append at once
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then every event is there, with gap-free sequence numbers, and the chain verifies
    assert errors == []
    assert AuditEvent.objects.filter(action="test.concurrent").count() == WRITERS * EACH
    result = audit_verify()
    assert result.ok, result.first_break
    assert result.checked == AuditEvent.objects.count()
