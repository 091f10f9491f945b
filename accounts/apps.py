from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import emails
        from accounts.imports import RegionStoreListImporter, StoreImporter
        from core.imports.registry import register
        from core.outbox import register_context

        register(StoreImporter())
        register(RegionStoreListImporter())
        register_context(emails.INVITATION_KIND, emails.invitation_context)
        register_context(emails.RESET_KIND, emails.password_reset_context)
