from safetynet.core.errors import Conflict, NotFound, PermissionDenied, SafetyNetError, ValidationFailed


class AuthorisationMissing(PermissionDenied):
    """No valid 授权书 covers this household, member or source: the check may not run."""

    code = "verification.no_authorisation"


class InvalidAuthorisation(ValidationFailed):
    code = "verification.invalid_authorisation"


class ReportNotFound(NotFound):
    code = "verification.report_not_found"


class CrossRegionRequestNotFound(NotFound):
    code = "verification.request_not_found"


class CrossRegionRequestInvalid(ValidationFailed):
    code = "verification.request_invalid"


class CrossRegionRequestClosed(Conflict):
    code = "verification.request_closed"


class AuthorisationNotFound(NotFound):
    code = "verification.authorisation_not_found"


class PdfFontMissing(SafetyNetError):
    """The server lacks the Chinese font the printable report embeds."""

    code = "verification.pdf_font_missing"
    status = 503
