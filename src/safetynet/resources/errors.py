"""Typed refusals of the resource network (融救联助), each with a code from :class:`ErrorCode`."""

from enum import StrEnum

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class ErrorCode(StrEnum):
    PROVIDER_NOT_FOUND = "resources.provider_not_found"
    RESOURCE_NOT_FOUND = "resources.resource_not_found"
    CHANGE_NOT_FOUND = "resources.change_not_found"
    PACKAGE_NOT_FOUND = "resources.package_not_found"
    REFERRAL_NOT_FOUND = "resources.referral_not_found"
    NEED_NOT_FOUND = "resources.need_not_found"
    INVALID_RESOURCE = "resources.invalid_resource"
    INVALID_CONDITION = "resources.invalid_condition"
    CHANGE_DECIDED = "resources.change_decided"
    OWN_CHANGE = "resources.own_change"
    NOT_PROVIDER_STAFF = "resources.not_provider_staff"
    PACKAGE_NOT_PROPOSED = "resources.package_not_proposed"
    PACKAGE_EMPTY = "resources.package_empty"
    RESOURCE_NOT_ELIGIBLE = "resources.not_eligible"
    OVER_CAPACITY = "resources.over_capacity"
    OVER_BUDGET = "resources.over_budget"
    STACKING = "resources.stacking"
    ILLEGAL_TRANSITION = "resources.illegal_transition"
    REASON_REQUIRED = "resources.reason_required"
    INVALID_OUTCOME = "resources.invalid_outcome"
    INVALID_NEED = "resources.invalid_need"
    INVALID_BATCH = "resources.invalid_batch"


class ProviderNotFound(NotFound):
    code = ErrorCode.PROVIDER_NOT_FOUND


class ResourceNotFound(NotFound):
    code = ErrorCode.RESOURCE_NOT_FOUND


class ChangeNotFound(NotFound):
    code = ErrorCode.CHANGE_NOT_FOUND


class PackageNotFound(NotFound):
    code = ErrorCode.PACKAGE_NOT_FOUND


class ReferralNotFound(NotFound):
    code = ErrorCode.REFERRAL_NOT_FOUND


class NeedNotFound(NotFound):
    code = ErrorCode.NEED_NOT_FOUND


class InvalidResource(ValidationFailed):
    code = ErrorCode.INVALID_RESOURCE


class InvalidCondition(ValidationFailed):
    code = ErrorCode.INVALID_CONDITION


class ChangeDecided(Conflict):
    code = ErrorCode.CHANGE_DECIDED


class OwnChange(PermissionDenied):
    """Maker-checker: whoever proposed a change to a public department's entry does not approve it."""

    code = ErrorCode.OWN_CHANGE


class NotProviderStaff(PermissionDenied):
    code = ErrorCode.NOT_PROVIDER_STAFF


class PackageNotProposed(Conflict):
    code = ErrorCode.PACKAGE_NOT_PROPOSED


class PackageEmpty(ValidationFailed):
    code = ErrorCode.PACKAGE_EMPTY


class ResourceNotEligible(ValidationFailed):
    code = ErrorCode.RESOURCE_NOT_ELIGIBLE


class OverCapacity(Conflict):
    code = ErrorCode.OVER_CAPACITY


class OverBudget(Conflict):
    code = ErrorCode.OVER_BUDGET


class StackingViolated(ValidationFailed):
    code = ErrorCode.STACKING


class IllegalTransition(Conflict):
    code = ErrorCode.ILLEGAL_TRANSITION


class ReasonRequired(ValidationFailed):
    code = ErrorCode.REASON_REQUIRED


class InvalidOutcome(ValidationFailed):
    code = ErrorCode.INVALID_OUTCOME


class InvalidNeed(ValidationFailed):
    code = ErrorCode.INVALID_NEED


class InvalidBatch(ValidationFailed):
    code = ErrorCode.INVALID_BATCH
