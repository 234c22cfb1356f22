from safetynet.core.errors import Conflict, ValidationFailed


class RegistryNotEmpty(Conflict):
    code = "demo.registry_not_empty"


class InvalidDemoOptions(ValidationFailed):
    code = "demo.invalid_options"


class DemoCityInUse(Conflict):
    code = "demo.city_in_use"
