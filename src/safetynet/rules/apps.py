from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "safetynet.rules"
    label = "rules"
