from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partnerships"

    def ready(self):
        from core.outbox import register_context
        from partners import notifications

        register_context(notifications.KIND, notifications.event_context)
