from safetynet.core.errors import Conflict, ValidationFailed


class RegistryNotEmpty(Conflict):
    code = "demo.registry_not_empty"


class InvalidDemoOptions(ValidationFailed):
    code = "demo.invalid_options"
