from django.db import migrations, models


class Migration(migrations.Migration):
    """The holiday calendar moves from cases to core (shared vocabulary); the table stays."""

    initial = True

    dependencies = [("cases", "0002_seed_holidays_2026")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Holiday",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(unique=True, verbose_name="日期")),
                        ("name", models.CharField(max_length=32, verbose_name="名称")),
                        ("is_workday_override", models.BooleanField(default=False, verbose_name="调休上班")),
                    ],
                    options={"verbose_name": "节假日", "ordering": ["date"], "db_table": "cases_holiday"},
                ),
            ],
            database_operations=[],
        ),
    ]
