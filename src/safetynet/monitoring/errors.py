from safetynet.core.errors import Conflict, NotFound, ValidationFailed


class AlertNotFound(NotFound):
    code = "monitoring.alert_not_found"


class AlertClosed(Conflict):
    code = "monitoring.alert_closed"


class InvalidOutcome(ValidationFailed):
    code = "monitoring.invalid_outcome"
