from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts.imports.registry import register
        from accounts.imports.stores import StoreImporter

        register(StoreImporter())
