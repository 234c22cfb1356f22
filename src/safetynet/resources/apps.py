from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "safetynet.resources"
    label = "resources"
    verbose_name = "融救联助"
