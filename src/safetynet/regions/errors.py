from safetynet.core.errors import NotFound, ValidationFailed


class InvalidRegion(ValidationFailed):
    code = "region.invalid"


class RegionNotFound(NotFound):
    code = "region.not_found"
