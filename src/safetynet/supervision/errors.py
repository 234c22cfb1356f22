"""Typed refusals of the supervision app (监督检查), each with a code from :class:`ErrorCode`."""

from enum import StrEnum

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class ErrorCode(StrEnum):
    ANOMALY_NOT_FOUND = "supervision.anomaly_not_found"
    ANOMALY_CLOSED = "supervision.anomaly_closed"
    INVALID_OUTCOME = "supervision.invalid_outcome"
    INVALID_ASSIGNEE = "supervision.invalid_assignee"
    RECOVERY_NOT_FOUND = "supervision.recovery_not_found"
    RECOVERY_INVALID = "supervision.recovery_invalid"
    RECOVERY_STATE = "supervision.recovery_state"
    NOTHING_TO_RECOVER = "supervision.nothing_to_recover"
    SAME_PROPOSER_APPROVER = "supervision.same_proposer_approver"
    NO_GROUND_TRUTH = "supervision.no_ground_truth"


class SupervisionNotFound(NotFound):
    code = ErrorCode.ANOMALY_NOT_FOUND


class SupervisionInvalid(ValidationFailed):
    code = ErrorCode.INVALID_OUTCOME


class SupervisionConflict(Conflict):
    code = ErrorCode.ANOMALY_CLOSED


class FourEyesViolation(PermissionDenied):
    code = ErrorCode.SAME_PROPOSER_APPROVER


class RecoveryNotFound(NotFound):
    code = ErrorCode.RECOVERY_NOT_FOUND
