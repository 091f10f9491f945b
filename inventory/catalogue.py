"""The catalogue's vendors for Partner Permissions (registered in partners.catalogue)."""

from django.db.models import Count

from inventory.models import Product


class ProductCatalogue:
    def vendor_names(self, owner):
        rows = (
            Product.objects.for_org(owner)
            .order_by()
            .values_list("vendor_name", "vendor_organization_id")
            .annotate(products=Count("pk"))
        )
        return list(rows)

    def link_vendor(self, owner, names, vendor):
        # Only products no organization has yet: another vendor's products stay its own.
        return (
            Product.objects.for_org(owner)
            .filter(vendor_organization__isnull=True, vendor_name__in=names)
            .update(vendor_organization=vendor)
        )
