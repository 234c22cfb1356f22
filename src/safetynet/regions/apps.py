from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "safetynet.regions"
    label = "regions"
    verbose_name = "行政区划"
