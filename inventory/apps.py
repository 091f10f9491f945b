from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory and sales"

    def ready(self):
        from accounts.abilities import register_ability
        from core.imports.registry import register
        from inventory.catalogue import ProductCatalogue
        from inventory.imports import ProductImporter, SalesImporter, StockImporter
        from partners import catalogue

        for importer in (ProductImporter(), StockImporter(), SalesImporter()):
            register(importer)
        catalogue.register(ProductCatalogue())
        # Sell-through and aging (inventory.analytics) are a vendor's figures.
        register_ability("vendor_analytics", lambda membership: membership.organization.is_vendor)
