from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "safetynet.accounts"
    label = "accounts"
    verbose_name = "账户与角色"

    def ready(self) -> None:
        # Connects the sign-in receiver of the idle-session timeout (see accounts.middleware).
        from safetynet.accounts import middleware  # noqa: F401
