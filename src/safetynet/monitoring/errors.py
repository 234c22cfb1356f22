from safetynet.core.errors import Conflict, NotFound, ValidationFailed


class AlertNotFound(NotFound):
    code = "monitoring.alert_not_found"


class AlertClosed(Conflict):
    code = "monitoring.alert_closed"


class InvalidOutcome(ValidationFailed):
    code = "monitoring.invalid_outcome"


class NotEnoughOutcomes(ValidationFailed):
    code = "monitoring.not_enough_outcomes"


class ModelNotFound(NotFound):
    code = "monitoring.model_not_found"


class InvalidVisitOutcome(ValidationFailed):
    code = "monitoring.invalid_visit_outcome"


class InvalidCapacity(ValidationFailed):
    code = "monitoring.invalid_capacity"


class InvalidAttachment(ValidationFailed):
    code = "monitoring.invalid_attachment"
