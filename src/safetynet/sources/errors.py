from safetynet.core.errors import Conflict, NotFound, ValidationFailed


class UnknownSource(NotFound):
    code = "source.unknown"


class FileRefused(ValidationFailed):
    """The file as a whole cannot be read: nothing of it lands, and the reason says why."""

    code = "source.file_refused"


class LinkReviewNotFound(NotFound):
    code = "source.link_review.not_found"


class LinkReviewAlreadyDecided(Conflict):
    code = "source.link_review.decided"
