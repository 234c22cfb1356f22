"""Typed refusals of the rules app."""

from enum import StrEnum

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class ErrorCode(StrEnum):
    INVALID_FACTS = "rules.invalid_facts"
    UNKNOWN_PARAMETER = "rules.unknown_parameter"
    INVALID_REFORM = "rules.invalid_reform"
    INVALID_PARAMETER_CHANGE = "rules.invalid_parameter_change"
    PARAMETER_CHANGE_NOT_PENDING = "rules.parameter_change_not_pending"
    SELF_APPROVAL = "rules.self_approval"
    PARAMETER_CHANGE_FORBIDDEN = "rules.parameter_change_forbidden"
    EMPTY_REGISTRY = "rules.empty_registry"
    NO_POPULATION_SOURCE = "rules.no_population_source"


class InvalidFacts(ValidationFailed):
    """Facts the rules cannot decide on; ``details["problems"]`` names household, person, field."""

    code = ErrorCode.INVALID_FACTS


class UnknownParameter(NotFound):
    code = ErrorCode.UNKNOWN_PARAMETER


class InvalidReform(ValidationFailed):
    code = ErrorCode.INVALID_REFORM


class InvalidParameterChange(ValidationFailed):
    code = ErrorCode.INVALID_PARAMETER_CHANGE


class ParameterChangeNotPending(Conflict):
    code = ErrorCode.PARAMETER_CHANGE_NOT_PENDING


class SelfApprovalRefused(PermissionDenied):
    """Maker-checker: whoever proposed a parameter change may not approve it."""

    code = ErrorCode.SELF_APPROVAL


class ParameterChangeForbidden(PermissionDenied):
    code = ErrorCode.PARAMETER_CHANGE_FORBIDDEN


class EmptyRegistry(NotFound):
    code = ErrorCode.EMPTY_REGISTRY


class NoPopulationSource(NotFound):
    code = ErrorCode.NO_POPULATION_SOURCE
