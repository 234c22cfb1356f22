from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from safetynet.core.models import TimeStampedModel


class Level(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县(区)")
    STREET = 4, _("乡镇(街道)")
    COMMUNITY = 5, _("村(社区)")


class Region(TimeStampedModel):
    """One administrative division with its 12-digit code (统计用区划代码).

    ``path`` is the materialised path of codes from the root (``440000000000/440300000000/``),
    so a subtree is one indexed prefix scan: the region scoping of every staff query rests on it.
    """

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("层级"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(_("路径"), max_length=13 * 5, unique=True, editable=False)
    urban = models.BooleanField(_("城镇"), default=True, help_text=_("城镇或农村，决定适用的城乡标准"))

    # A region is visible to a user when it lies in the user's own subtree.
    REGION_FIELD = "pk"

    class Meta:
        ordering = ["code"]
        indexes = [
            models.Index(fields=["parent", "code"], name="region_parent_code"),
            # LIKE 'prefix%' uses this index on PostgreSQL whatever the collation (ignored on SQLite,
            # where the unique index on path serves).
            models.Index(fields=["path"], name="region_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="region_level_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"

    def contains(self, other: "Region") -> bool:
        return other.path.startswith(self.path)

    def subtree(self) -> "models.QuerySet[Region]":
        """This region and every region below it (the scope of an account bound here)."""
        return Region.objects.filter(subtree_q(self.path))


def subtree_q(path: str, field: str = "path") -> models.Q:
    """Rows whose materialised path ``field`` lies in the subtree rooted at ``path`` (itself included).

    PostgreSQL answers ``LIKE 'prefix%'`` from the ``varchar_pattern_ops`` index. SQLite's LIKE is
    case-insensitive and cannot use an index, so there the same set is asked as a range: every
    path under ``…/`` sorts between it and ``…0`` (``'/'`` is the byte just before ``'0'``).
    """
    if connection.vendor == "sqlite":
        return models.Q(**{f"{field}__gte": path, f"{field}__lt": path[:-1] + "0"})
    return models.Q(**{f"{field}__startswith": path})
