"""Typed refusals of the rules app."""

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class InvalidFacts(ValidationFailed):
    code = "rules.invalid_facts"


class UnknownParameter(NotFound):
    code = "rules.unknown_parameter"


class InvalidReform(ValidationFailed):
    code = "rules.invalid_reform"


class InvalidParameterChange(ValidationFailed):
    code = "rules.invalid_parameter_change"


class ParameterChangeNotPending(Conflict):
    code = "rules.parameter_change_not_pending"


class SelfApprovalRefused(PermissionDenied):
    """Maker-checker: whoever proposed a parameter change may not approve it."""

    code = "rules.self_approval"


class ParameterChangeForbidden(PermissionDenied):
    code = "rules.parameter_change_forbidden"
