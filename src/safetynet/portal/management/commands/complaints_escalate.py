"""``safetynet complaints-escalate``: escalate every overdue complaint one region level up (督办);
meant to run on a schedule (e.g. hourly). Prints how many were escalated."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from safetynet.portal.services import complaint_escalate_overdue


class Command(BaseCommand):
    help = "Escalate overdue complaints and reports one region level up."

    def handle(self, *args, **options):
        n = complaint_escalate_overdue()
        self.stdout.write(f"escalated {n}")
