from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partnerships"

    def ready(self):
        from core.imports.registry import register
        from core.outbox import register_context
        from partners import abilities, notifications
        from partners.imports import GeographyStoreListImporter

        register_context(notifications.KIND, notifications.event_context)
        register(GeographyStoreListImporter())
        abilities.register()
