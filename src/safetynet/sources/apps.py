from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "safetynet.sources"
    label = "sources"
    verbose_name = "部门数据源"
