"""A partnership's geography from a CSV store list, through the import preview."""

from django.urls import reverse

from accounts.imports import StoreListImporter
from accounts.models import Store
from core.imports.reading import ImportRejected
from partners import services
from partners.models import Partnership


class GeographyStoreListImporter(StoreListImporter):
    kind = "geography_stores"
    label = "Partnership store list"
    unchanged_label = "Already shared"

    def target_for(self, organization, options):
        partnership = (
            Partnership.objects.filter(organization=organization, pk=options.get("partnership_id"))
            .select_related("organization", "partner")
            .first()
        )
        if partnership is None:
            raise ImportRejected("The partnership this store list was for no longer exists.")
        return partnership

    def stores_in_target(self):
        return self.target.effective_stores().values_list("pk", flat=True)

    def add(self, organization, store_ids):
        try:
            services.geography_add(
                partnership=self.target,
                organization=organization,
                actor=self.applied_by,
                stores=list(Store.objects.filter(pk__in=store_ids)),
            )
        except services.PartnershipError as error:
            raise ImportRejected(str(error)) from None

    def back_link(self, batch):
        partnership = Partnership.objects.filter(
            organization=batch.organization, pk=batch.options.get("partnership_id")
        ).first()
        if partnership is None:
            return None
        return (
            reverse("partners:geography", args=[partnership.pk]),
            f"Geography shared with {partnership.partner_name}",
        )
