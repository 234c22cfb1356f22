"""Typed refusals of the case workflow. Each has a stable code the API and tests rely on."""

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError, ValidationFailed


class CaseNotFound(NotFound):
    code = "case.not_found"


class IllegalTransition(Conflict):
    """No move from the case's current step to the requested one in its programme's table."""

    code = "case.illegal_transition"


class NotAllowed(PermissionDenied):
    """The actor's role may not make this move, or the case is outside their region or mandate."""

    code = "case.not_allowed"


class ReasonRequired(ValidationFailed):
    code = "case.reason_required"


class GuardFailed(Conflict):
    """The move exists and the actor may make it, but a condition of the step does not hold yet
    (notice period still running, amount above the street-level limit, objections unanswered…)."""

    code = "case.guard_failed"


class DuplicateSubmission(Conflict):
    """An idempotency key reused for a different application, or a second open case for the same
    household and programme."""

    code = "case.duplicate_submission"


class InvalidApplication(ValidationFailed):
    code = "case.invalid_application"


class MandateInvalid(PermissionDenied):
    code = "case.mandate_invalid"


class InvalidAttachment(ValidationFailed):
    code = "case.attachment_invalid"


class DecisionUnavailable(SafetyNetError):
    """The rules engine cannot be reached (not installed yet, or it refused the household).
    Never replaced by a made-up decision: the case simply waits for a person or for rules."""

    code = "case.decision_unavailable"
    status = 503
