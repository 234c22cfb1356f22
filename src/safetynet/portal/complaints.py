"""Complaints and reports (接诉即办) as configuration: each category's kind, deadline in working
days and the level of the region that answers it. Reports of misuse and of staff misconduct go to
the county, where the supervisors' queue reads them; service complaints go to the street.

The deadlines are plausible configuration for the demo city, not a quotation of any one rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from safetynet.portal.models import Category, ComplaintStatus, Kind
from safetynet.regions.models import Level


@dataclass(frozen=True)
class CategoryRule:
    kind: str
    days: int
    level: int


CATEGORIES: dict[str, CategoryRule] = {
    Category.SERVICE_ATTITUDE: CategoryRule(Kind.COMPLAINT, 5, Level.STREET),
    Category.DELAY: CategoryRule(Kind.COMPLAINT, 5, Level.STREET),
    Category.DECISION: CategoryRule(Kind.COMPLAINT, 10, Level.COUNTY),
    Category.PAYMENT: CategoryRule(Kind.COMPLAINT, 5, Level.COUNTY),
    Category.MISUSE: CategoryRule(Kind.REPORT, 15, Level.COUNTY),
    Category.STAFF_MISCONDUCT: CategoryRule(Kind.REPORT, 15, Level.COUNTY),
    Category.OTHER: CategoryRule(Kind.COMPLAINT, 10, Level.STREET),
}

#: Working days added to the deadline each time an overdue complaint is escalated one level up.
ESCALATION_DAYS = 3

#: Allowed moves: status → statuses it may go to.
TRANSITIONS: dict[str, frozenset[str]] = {
    ComplaintStatus.RECEIVED: frozenset({ComplaintStatus.IN_PROGRESS, ComplaintStatus.ANSWERED}),
    ComplaintStatus.IN_PROGRESS: frozenset({ComplaintStatus.ANSWERED}),
    ComplaintStatus.ANSWERED: frozenset(),
}
