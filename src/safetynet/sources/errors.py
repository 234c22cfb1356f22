from enum import StrEnum

from safetynet.core.errors import Conflict, NotFound, SafetyNetError, ValidationFailed


class UnknownSource(NotFound):
    code = "source.unknown"


class FileRefused(ValidationFailed):
    """The file as a whole cannot be read: nothing of it lands, and the reason says why."""

    code = "source.file_refused"


class LinkReviewNotFound(NotFound):
    code = "source.link_review.not_found"


class LinkReviewAlreadyDecided(Conflict):
    code = "source.link_review.decided"


class ErrorCode(StrEnum):
    BATCH_NOT_HELD = "source.batch.not_held"
    FILE_TOO_LARGE = "source.too_large"


class BatchNotHeld(Conflict):
    """A confirm or reject on a batch that is not waiting for one."""

    code = ErrorCode.BATCH_NOT_HELD


class FileTooLarge(SafetyNetError):
    """A pushed file over the size cap (HTTP 413); nothing of it is kept."""

    code = ErrorCode.FILE_TOO_LARGE
    status = 413
