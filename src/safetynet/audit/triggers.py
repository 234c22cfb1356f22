"""Database triggers that refuse UPDATE and DELETE on the audit tables (SQLite and PostgreSQL).

The head row may only move forward. The statements are kept here, not only in the migration,
because ``flush`` (which empties every table, as the test runner does between tests) has to lift
them for the moment it runs; see ``management/commands/flush.py``.
"""

from __future__ import annotations

EVENT = "audit_auditevent"
HEAD = "audit_audithead"
MESSAGE = "audit log is append-only"

SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {EVENT} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON {EVENT} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS audit_head_no_delete BEFORE DELETE ON {HEAD} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
    f"CREATE TRIGGER IF NOT EXISTS audit_head_forward_only BEFORE UPDATE ON {HEAD} "
    f"WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_head_no_delete",
    "DROP TRIGGER IF EXISTS audit_head_forward_only",
]

POSTGRES_CREATE = [
    f"""CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Nested: PL/pgSQL does not promise to stop at the first false AND, and NEW.seq does
        -- not exist on the events table.
        IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = '{HEAD}' THEN
            IF NEW.seq >= OLD.seq AND NEW.id = OLD.id THEN
                RETURN NEW;
            END IF;
        END IF;
        RAISE EXCEPTION '{MESSAGE}: % on %', TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$""",
    f"CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON {EVENT} "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    f"CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {EVENT} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
    f"CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON {HEAD} "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()",
    f"CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON {HEAD} "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()",
]
POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS audit_event_append_only ON {EVENT}",
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {EVENT}",
    f"DROP TRIGGER IF EXISTS audit_head_forward_only ON {HEAD}",
    f"DROP TRIGGER IF EXISTS audit_head_no_truncate ON {HEAD}",
]


def _statements(vendor: str, create: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    if vendor == "postgresql":
        return POSTGRES_CREATE if create else POSTGRES_DROP
    return []


def triggers_create(connection) -> None:
    with connection.cursor() as cur:
        for sql in _statements(connection.vendor, create=True):
            cur.execute(sql)


def triggers_drop(connection) -> None:
    with connection.cursor() as cur:
        for sql in _statements(connection.vendor, create=False):
            cur.execute(sql)
