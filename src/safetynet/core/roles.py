"""The roles of DESIGN.md (角色). Staff roles are bound to a region and see only its subtree.

This is vocabulary only: what each role may do or see is decided by
:mod:`safetynet.core.permissions`, never by a role list at the reader.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CITIZEN = "citizen", _("群众/申请人")
    PROXY = "proxy", _("亲属代办")
    COMMUNITY_WORKER = "community_worker", _("社区专干/网格员")
    STREET_OFFICER = "street_officer", _("乡镇(街道)经办")
    COUNTY_APPROVER = "county_approver", _("县级民政审批")
    VERIFICATION_CENTRE = "verification_centre", _("核对中心")
    PROVIDER = "provider", _("部门/社会组织")
    DATA_PROVIDER = "data_provider", _("数据提供部门")
    SUPERVISOR = "supervisor", _("监督/审计")
    ANALYST = "analyst", _("决策分析")
    ADMIN = "admin", _("系统管理")


#: Roles that act for the state on other people's records; each must be bound to a region.
STAFF_ROLES = frozenset(
    {
        Role.COMMUNITY_WORKER,
        Role.STREET_OFFICER,
        Role.COUNTY_APPROVER,
        Role.VERIFICATION_CENTRE,
        Role.PROVIDER,
        Role.DATA_PROVIDER,
        Role.SUPERVISOR,
        Role.ANALYST,
        Role.ADMIN,
    }
)

#: Accounts that act for themselves (or for the person whose mandate they hold).
SELF_SERVICE_ROLES = frozenset({Role.CITIZEN, Role.PROXY})
