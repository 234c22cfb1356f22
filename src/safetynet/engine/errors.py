from safetynet.core.errors import SafetyNetError


class UnknownBackend(SafetyNetError):
    code = "engine.unknown_backend"
