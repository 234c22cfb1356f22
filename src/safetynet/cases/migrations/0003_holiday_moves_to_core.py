from django.db import migrations


class Migration(migrations.Migration):
    """The holiday calendar now belongs to core; its table (cases_holiday) stays where it is."""

    dependencies = [("cases", "0002_seed_holidays_2026"), ("core", "0001_holiday")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Holiday")], database_operations=[]),
    ]
