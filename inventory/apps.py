from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory and sales"

    def ready(self):
        from core.imports.registry import register
        from inventory.catalogue import ProductCatalogue
        from inventory.imports import ProductImporter, SalesImporter, StockImporter
        from partners import catalogue

        for importer in (ProductImporter(), StockImporter(), SalesImporter()):
            register(importer)
        catalogue.register(ProductCatalogue())
