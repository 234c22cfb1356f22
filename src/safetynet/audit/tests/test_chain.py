import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from safetynet.audit.models import AuditEvent
from safetynet.audit.services import audit_record, audit_verify


@pytest.mark.django_db
def test_untouched_chain_verifies():
    for i in range(5):
        audit_record(actor=None, action="test.event", target_type="x", target_id=i, data={"i": i, "名": "张三"})
    result = audit_verify()
    assert result.ok
    assert result.checked == 5


@pytest.mark.django_db
def test_a_row_edited_behind_the_apps_back_is_named_by_verify():
    # given a chain of five entries
    for i in range(5):
        audit_record(actor=None, action="test.event", target_type="x", target_id=i, data={"i": i})
    # when someone rewrites entry 3's purpose directly in the database
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {AuditEvent._meta.db_table} SET purpose = %s WHERE seq = 3", ["改了"])
    # then verify names entry 3 and the command exits non-zero
    result = audit_verify()
    assert not result.ok
    assert result.first_break.seq == 3
    with pytest.raises(CommandError, match="第 3 条"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_a_deleted_last_row_is_caught():
    for i in range(3):
        audit_record(actor=None, action="test.event", data={"i": i})
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq = 3")
    result = audit_verify()
    assert result.first_break.seq == 3


@pytest.mark.django_db
def test_the_model_refuses_updates():
    event = audit_record(actor=None, action="test.event")
    event.purpose = "x"
    with pytest.raises(RuntimeError):
        event.save()
