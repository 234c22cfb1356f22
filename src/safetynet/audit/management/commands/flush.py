"""Django's ``flush``, which also lifts the audit tables' append-only triggers while it runs.

Emptying the whole database is an operator's deliberate act (and the test runner's between
tests); the checkpoints outside the database still show that the chain was cut.
"""

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from safetynet.audit.triggers import triggers_create, triggers_drop


class Command(FlushCommand):
    def handle(self, **options):
        connection = connections[options["database"]]
        triggers_drop(connection)
        try:
            return super().handle(**options)
        finally:
            triggers_create(connection)
