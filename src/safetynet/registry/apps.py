from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "safetynet.registry"
    label = "registry"
    verbose_name = "人员与家庭登记"
