from safetynet.core.errors import Conflict, NotFound, ValidationFailed


class InvalidIdNumber(ValidationFailed):
    code = "id.invalid"


class InvalidPerson(ValidationFailed):
    code = "person.invalid"


class PersonNotFound(NotFound):
    code = "person.not_found"


class HouseholdNotFound(NotFound):
    code = "household.not_found"


class MembershipConflict(Conflict):
    """A person may belong to one household at a time (户籍/共同生活家庭唯一)."""

    code = "membership.conflict"


class InvalidMembership(ValidationFailed):
    code = "membership.invalid"
