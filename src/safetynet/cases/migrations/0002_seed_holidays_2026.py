"""Seed the 2026 holiday calendar.

ILLUSTRATIVE: these dates follow the usual pattern of the State Council's notice but are not
copied from it; replace them with the published schedule before real use.
"""

import datetime as dt

from django.db import migrations

HOLIDAYS = [
    ("元旦", [dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)], [dt.date(2026, 1, 4)]),
    ("春节", [dt.date(2026, 2, 15) + dt.timedelta(days=i) for i in range(8)], [dt.date(2026, 2, 14), dt.date(2026, 2, 28)]),
    ("清明节", [dt.date(2026, 4, 4), dt.date(2026, 4, 5), dt.date(2026, 4, 6)], []),
    ("劳动节", [dt.date(2026, 5, 1) + dt.timedelta(days=i) for i in range(5)], [dt.date(2026, 5, 9)]),
    ("端午节", [dt.date(2026, 6, 19), dt.date(2026, 6, 20), dt.date(2026, 6, 21)], []),
    ("国庆节", [dt.date(2026, 10, 1) + dt.timedelta(days=i) for i in range(8)], [dt.date(2026, 9, 27), dt.date(2026, 10, 10)]),
]


def seed(apps, schema_editor):
    Holiday = apps.get_model("cases", "Holiday")
    rows = []
    for name, off, makeup in HOLIDAYS:
        rows += [Holiday(date=d, name=name, is_workday_override=False) for d in off]
        rows += [Holiday(date=d, name=f"{name}调休", is_workday_override=True) for d in makeup]
    Holiday.objects.bulk_create(rows, ignore_conflicts=True)


def unseed(apps, schema_editor):
    Holiday = apps.get_model("cases", "Holiday")
    Holiday.objects.filter(date__year=2026).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
