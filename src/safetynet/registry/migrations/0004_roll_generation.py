"""The registry's roll generation: one row that database triggers give a new random value whenever
a column that decides the roll changes (see ``registry.snapshots``), on SQLite and PostgreSQL.

The columns are those ``registry.tables.members_at`` and ``verification.bulk.persons_current``
read; a change elsewhere (a name, a phone, an address) leaves the roll and its snapshots as they
were. The SQL is written out here, not imported, so the migration stays what it was."""

from django.db import migrations

TABLE = "registry_rollgeneration"
ROLL_COLUMNS = {
    "registry_person": ("id", "id_number_index", "birth_date", "disability_grade", "disability_category",
                        "labour_capacity", "health_conditions", "death_date"),
    "registry_membership": ("household_id", "person_id", "relationship", "joined_on", "left_on"),
    "registry_household": ("id", "number", "region_id", "rural"),
    "regions_region": ("id", "code", "path"),
}


def sqlite_forwards() -> list[str]:
    # SQLite has row triggers only: each changed row draws a new generation (about 2 µs a row).
    bump = f"UPDATE {TABLE} SET generation = abs(random() % 9223372036854775807) WHERE id = 1;"
    sql = [f"CREATE TABLE {TABLE} (id integer NOT NULL PRIMARY KEY, generation bigint NOT NULL)",
           f"INSERT INTO {TABLE} (id, generation) VALUES (1, abs(random() % 9223372036854775807))"]
    for table, columns in ROLL_COLUMNS.items():
        for event, on in (("insert", "INSERT"), ("delete", "DELETE"), ("update", f"UPDATE OF {', '.join(columns)}")):
            sql.append(f"CREATE TRIGGER {table}_roll_{event} AFTER {on} ON {table} FOR EACH ROW BEGIN {bump} END")
    return sql


def sqlite_backwards() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_roll_{event}" for table in ROLL_COLUMNS
            for event in ("insert", "delete", "update")] + [f"DROP TABLE IF EXISTS {TABLE}"]


def postgresql_forwards() -> list[str]:
    draw = "floor(random() * 9223372036854775807)::bigint"
    sql = [
        f"CREATE TABLE {TABLE} (id integer NOT NULL PRIMARY KEY, generation bigint NOT NULL)",
        f"INSERT INTO {TABLE} (id, generation) VALUES (1, {draw})",
        # At once, each statement: this transaction has changed the roll (its reads skip the snapshots).
        """CREATE FUNCTION registry_roll_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM set_config('safetynet.roll_changed', 'on', true);
            RETURN NULL;
        END $$""",
        # At commit (deferred), once a transaction: a new generation.
        f"""CREATE FUNCTION registry_roll_bump() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF current_setting('safetynet.roll_bumped', true) IS DISTINCT FROM 'on' THEN
                UPDATE {TABLE} SET generation = {draw} WHERE id = 1;
                PERFORM set_config('safetynet.roll_bumped', 'on', true);
            END IF;
            RETURN NULL;
        END $$""",
    ]
    for table, columns in ROLL_COLUMNS.items():
        events = f"INSERT OR DELETE OR UPDATE OF {', '.join(columns)}"
        sql += [
            f"CREATE TRIGGER {table}_roll_changed AFTER {events} OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION registry_roll_changed()",
            f"CREATE CONSTRAINT TRIGGER {table}_roll_bump AFTER {events} ON {table}"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION registry_roll_bump()",
            # TRUNCATE fires no row trigger: a new generation at once (it locks the table whole anyway).
            f"CREATE TRIGGER {table}_roll_truncate AFTER TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION registry_roll_bump()",
        ]
    return sql


def postgresql_backwards() -> list[str]:
    sql = []
    for table in ROLL_COLUMNS:
        sql += [f"DROP TRIGGER IF EXISTS {table}_roll_{kind} ON {table}" for kind in ("changed", "bump", "truncate")]
    return sql + ["DROP FUNCTION IF EXISTS registry_roll_changed()", "DROP FUNCTION IF EXISTS registry_roll_bump()",
                  f"DROP TABLE IF EXISTS {TABLE}"]


def _run(statements: dict) -> callable:
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements:
            raise NotImplementedError(f"the roll generation's triggers are written for SQLite and PostgreSQL, not {vendor}")
        for sql in statements[vendor]():
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0003_encrypted_at_rest"),
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run({"sqlite": sqlite_forwards, "postgresql": postgresql_forwards}),
                             _run({"sqlite": sqlite_backwards, "postgresql": postgresql_backwards}),
                             elidable=False),
    ]
