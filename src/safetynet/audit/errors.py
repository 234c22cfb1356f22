from enum import StrEnum

from safetynet.core.errors import SafetyNetError, ValidationFailed


class ErrorCode(StrEnum):
    KEY = "audit.key"
    CHECKPOINT = "audit.checkpoint"
    PURPOSE_REQUIRED = "audit.purpose_required"


class AuditKeyError(SafetyNetError):
    """The key ring outside the database is missing or unreadable: nothing may be signed."""

    code = ErrorCode.KEY
    status = 503


class CheckpointError(SafetyNetError):
    code = ErrorCode.CHECKPOINT
    status = 503


class PurposeRequired(ValidationFailed):
    code = ErrorCode.PURPOSE_REQUIRED


class BackupError(SafetyNetError):
    code = "backup.invalid"
    status = 400
