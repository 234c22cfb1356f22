from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "safetynet.verification"
    label = "verification"
    verbose_name = "家庭经济状况核对"

    def ready(self) -> None:
        # The rules sit below verification: they simulate over the population verification builds.
        from safetynet.rules.population import population_source_register
        from safetynet.verification.rules_bridge import population_from_registry

        population_source_register(population_from_registry)
