from django.apps import AppConfig


class AggregationConfig(AppConfig):
    # Master and child accounts. Celery functions live in <app>/jobs.py, never here.
    name = "aggregation"
    verbose_name = "Master accounts"

    def ready(self):
        from accounts.tenancy import register_account_tree
        from aggregation import abilities
        from aggregation.signals import refresh_after_import
        from aggregation.tenancy import MasterAccountTree
        from core.imports.signals import import_applied

        register_account_tree(MasterAccountTree())
        abilities.register()

        import_applied.connect(
            refresh_after_import, dispatch_uid="aggregation.refresh_after_import"
        )
