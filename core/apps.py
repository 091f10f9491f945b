from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The machinery every feature app shares: the import engine, the email outbox, signed
    links, CSV exports, admin mixins and tenant-scoped querysets. It sits below every
    feature app and imports none of them."""

    name = "core"
    verbose_name = "Shared machinery"

    def ready(self):
        from core import lookups  # noqa: F401 (registers the __any lookups)
