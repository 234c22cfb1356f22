from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "safetynet.portal"
    label = "portal"
    verbose_name = "公众服务"
