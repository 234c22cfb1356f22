from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safetynet.core.fields import BlindIndexField, EncryptedCharField, SealedQuerySet
from safetynet.core.models import TimeStampedModel


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class DisabilityCategory(models.TextChoices):
    NONE = "", _("无")
    VISUAL = "visual", _("视力残疾")
    HEARING = "hearing", _("听力残疾")
    SPEECH = "speech", _("言语残疾")
    PHYSICAL = "physical", _("肢体残疾")
    INTELLECTUAL = "intellectual", _("智力残疾")
    MENTAL = "mental", _("精神残疾")
    MULTIPLE = "multiple", _("多重残疾")


class LabourCapacity(models.TextChoices):
    FULL = "full", _("有劳动能力")
    PARTIAL = "partial", _("部分丧失劳动能力")
    NONE = "none", _("完全丧失劳动能力")


class HealthCondition(models.TextChoices):
    CHRONIC = "chronic", _("慢性病")
    SERIOUS = "serious", _("重特大疾病")
    SEVERE_DISABILITY_CARE = "needs_care", _("生活不能自理")


class Person(TimeStampedModel):
    """A resident as the registry knows them. Identity facts are checked against the ID number."""

    # Encrypted at rest; exact lookups and uniqueness go through the keyed blind index.
    id_number = EncryptedCharField(_("身份证号码"), max_length=18, purpose="registry.person.id_number",
                                   index="id_number_index")
    id_number_index = BlindIndexField(source="id_number", kind="id", unique=True)
    name = models.CharField(_("姓名"), max_length=64)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    phone = EncryptedCharField(_("手机号"), max_length=20, blank=True, purpose="registry.person.phone",
                               index="phone_index")
    phone_index = BlindIndexField(source="phone", kind="phone", db_index=True)

    objects = SealedQuerySet.as_manager()
    hukou_region = models.ForeignKey(
        "regions.Region", verbose_name=_("户籍地"), on_delete=models.PROTECT, related_name="hukou_persons"
    )
    residence_region = models.ForeignKey(
        "regions.Region", verbose_name=_("居住地"), on_delete=models.PROTECT, related_name="resident_persons"
    )
    disability_category = models.CharField(
        _("残疾类别"), max_length=16, choices=DisabilityCategory.choices, blank=True, default=""
    )
    disability_grade = models.PositiveSmallIntegerField(
        _("残疾等级"), null=True, blank=True, help_text=_("1级最重，4级最轻")
    )
    labour_capacity = models.CharField(
        _("劳动能力"), max_length=8, choices=LabourCapacity.choices, default=LabourCapacity.FULL
    )
    health_conditions = models.JSONField(_("健康状况"), default=list, blank=True)
    death_date = models.DateField(_("死亡日期"), null=True, blank=True)

    REGION_FIELD = "residence_region"

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["residence_region", "id"], name="person_residence")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(disability_category="") & Q(disability_grade__isnull=True))
                | (~Q(disability_category="") & Q(disability_grade__gte=1, disability_grade__lte=4)),
                name="person_disability_grade_matches_category",
            ),
            models.CheckConstraint(
                condition=Q(death_date__isnull=True) | Q(death_date__gte=F("birth_date")),
                name="person_death_after_birth",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Household(TimeStampedModel):
    """A family that lives together and is assessed together (共同生活家庭)."""

    number = models.CharField(_("家庭编号"), max_length=24, unique=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所在社区"), on_delete=models.PROTECT, related_name="households"
    )
    address = EncryptedCharField(_("住址"), max_length=200, blank=True, purpose="registry.household.address")
    rural = models.BooleanField(_("农村家庭"), default=False)

    REGION_FIELD = "region"

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["region", "id"], name="household_region")]

    def __str__(self) -> str:
        return self.number


class Relationship(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class Membership(TimeStampedModel):
    """Who belonged to which household when. Joins and leaves are dated; a row is never rewritten
    except to record the leave date once."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="memberships"
    )
    person = models.ForeignKey(Person, verbose_name=_("成员"), on_delete=models.PROTECT, related_name="memberships")
    relationship = models.CharField(_("与户主关系"), max_length=16, choices=Relationship.choices)
    joined_on = models.DateField(_("加入日期"))
    left_on = models.DateField(_("离开日期"), null=True, blank=True)
    leave_reason = models.CharField(_("离开原因"), max_length=200, blank=True)

    class Meta:
        ordering = ["household_id", "joined_on", "id"]
        indexes = [models.Index(fields=["person", "joined_on"], name="membership_person")]
        constraints = [
            # The database itself refuses a second current household for one person.
            models.UniqueConstraint(
                fields=["person"], condition=Q(left_on__isnull=True), name="one_current_household_per_person"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")), name="membership_leave_after_join"
            ),
        ]

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class SupportRelation(models.TextChoices):
    """What the supporter is to the supported person."""

    CHILD = "child", _("子女")  # 赡养 a parent
    SPOUSE = "spouse", _("配偶")  # 扶养
    PARENT = "parent", _("父母")  # 抚养 a child
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")


class SupportObligation(TimeStampedModel):
    """A legal duty of support (法定赡养、抚养、扶养义务) of ``supporter`` towards ``person``: two
    persons of the registry, usually in different households. The rules weigh the supporter's
    own household (its income and size, from the registry and its verified facts) to decide
    whether they are able to support (特困) and what support to count as income (低保 赡养费)."""

    person = models.ForeignKey(
        Person, verbose_name=_("被赡养（抚养、扶养）人"), on_delete=models.PROTECT, related_name="supporter_links"
    )
    supporter = models.ForeignKey(
        Person, verbose_name=_("法定义务人"), on_delete=models.PROTECT, related_name="supported_links"
    )
    relation = models.CharField(_("义务人与本人关系"), max_length=16, choices=SupportRelation.choices)
    started_on = models.DateField(_("义务起始日期"), null=True, blank=True)
    ended_on = models.DateField(_("义务终止日期"), null=True, blank=True)

    class Meta:
        ordering = ["person_id", "id"]
        indexes = [models.Index(fields=["supporter"], name="support_supporter")]
        constraints = [
            models.CheckConstraint(condition=~Q(person=F("supporter")), name="support_not_self"),
            models.UniqueConstraint(fields=["person", "supporter"], name="support_one_per_pair"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(started_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="support_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supporter_id} → {self.person_id}"
