from django.core.management.base import BaseCommand

from safetynet.cases.outbox import outbox_dispatch


class Command(BaseCommand):
    help = "发送待发通知（短信/App），失败的按退避重试"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args, limit: int, **options):
        result = outbox_dispatch(limit=limit)
        self.stdout.write(f"sent={result.sent} retrying={result.retrying} failed={result.failed}")
