from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Every operational row says when it was made and last changed."""

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Holiday(models.Model):
    """One day that differs from the Monday–Friday rule: a public holiday, or a weekend day
    made a working day (调休) when ``is_workday_override`` is set."""

    date = models.DateField(_("日期"), unique=True)
    name = models.CharField(_("名称"), max_length=32)
    is_workday_override = models.BooleanField(_("调休上班"), default=False)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日")
        # The table was first made by the cases app; the working-day calendar is shared vocabulary.
        db_table = "cases_holiday"

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
