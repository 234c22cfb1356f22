"""Typed refusals of the public side (公众服务). Each carries a code from :class:`ErrorCode`."""

from enum import StrEnum

from safetynet.core.errors import Conflict, NotFound, SafetyNetError, ValidationFailed


class ErrorCode(StrEnum):
    RATE_LIMITED = "portal.rate_limited"
    INVALID_SELF_CHECK = "portal.invalid_self_check"
    REGION_UNKNOWN = "portal.region_unknown"
    INVALID_QUESTION = "portal.invalid_question"
    INVALID_COMPLAINT = "portal.invalid_complaint"
    ATTACHMENT_TOO_LARGE = "portal.attachment_too_large"
    ATTACHMENT_TYPE = "portal.attachment_type"
    ATTACHMENT_EMPTY = "portal.attachment_empty"
    COMPLAINT_NOT_FOUND = "portal.complaint_not_found"
    COMPLAINT_ILLEGAL_TRANSITION = "portal.complaint_illegal_transition"
    OUTCOME_REQUIRED = "portal.outcome_required"
    INVALID_TRANSPARENCY_QUERY = "portal.invalid_transparency_query"


class RateLimited(SafetyNetError):
    """Too many requests from one client in the window: answered 429, never silently dropped."""

    code = ErrorCode.RATE_LIMITED
    status = 429


class InvalidSelfCheck(ValidationFailed):
    code = ErrorCode.INVALID_SELF_CHECK


class RegionUnknown(ValidationFailed):
    code = ErrorCode.REGION_UNKNOWN


class InvalidQuestion(ValidationFailed):
    code = ErrorCode.INVALID_QUESTION


class InvalidComplaint(ValidationFailed):
    code = ErrorCode.INVALID_COMPLAINT


class InvalidAttachment(ValidationFailed):
    code = ErrorCode.ATTACHMENT_TYPE


class ComplaintNotFound(NotFound):
    """Unknown tracking number, or (for staff) a complaint outside their region."""

    code = ErrorCode.COMPLAINT_NOT_FOUND


class ComplaintIllegalTransition(Conflict):
    code = ErrorCode.COMPLAINT_ILLEGAL_TRANSITION


class OutcomeRequired(ValidationFailed):
    code = ErrorCode.OUTCOME_REQUIRED


class InvalidTransparencyQuery(ValidationFailed):
    code = ErrorCode.INVALID_TRANSPARENCY_QUERY
