from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


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
