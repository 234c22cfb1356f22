"""``safetynet service-window REGION_CODE NAME ADDRESS PHONE [--hours TEXT]``: set the social
assistance window of a street, county or city (shown by the self-check as the nearest window)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from safetynet.core.errors import SafetyNetError
from safetynet.portal.services import service_window_set


class Command(BaseCommand):
    help = "Create or replace the service window of a region."

    def add_arguments(self, parser):
        parser.add_argument("region_code")
        parser.add_argument("name")
        parser.add_argument("address")
        parser.add_argument("phone")
        parser.add_argument("--hours", default="")

    def handle(self, *args, **o):
        try:
            w = service_window_set(region_code=o["region_code"], name=o["name"], address=o["address"],
                                   phone=o["phone"], hours=o["hours"])
        except SafetyNetError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{w.region.code} {w.name}")
