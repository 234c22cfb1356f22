from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class InvalidAccount(ValidationFailed):
    """An account that cannot be created as asked: unknown role, missing region, bad username."""

    code = "account.invalid"


class WeakPassword(ValidationFailed):
    """The password fails Django's password validators; ``details.reasons`` lists why."""

    code = "account.password_invalid"


class UsernameTaken(Conflict):
    code = "account.username_taken"


class AccountNotFound(NotFound):
    code = "account.not_found"


class RegionOutsideActor(PermissionDenied):
    """An administrator may manage accounts only inside their own region's subtree."""

    code = "account.region_outside"


class InvalidApiToken(ValidationFailed):
    code = "api_token.invalid"
