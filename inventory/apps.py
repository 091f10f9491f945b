from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory and sales"

    def ready(self):
        from core.imports.registry import register
        from inventory.imports import ProductImporter, SalesImporter, StockImporter

        for importer in (ProductImporter(), StockImporter(), SalesImporter()):
            register(importer)
