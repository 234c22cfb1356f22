from safetynet.core.errors import NotFound, ValidationFailed


class UnknownSource(NotFound):
    code = "source.unknown"


class FileRefused(ValidationFailed):
    """The file as a whole cannot be read: nothing of it lands, and the reason says why."""

    code = "source.file_refused"
