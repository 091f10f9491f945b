"""Account Settings → Stores & Regions."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from accounts import services
from accounts.models import Membership, Region, Store
from accounts.stores import (
    STORE_EXPORT_FIELDS,
    RegionForm,
    StoreFilter,
    StoreForm,
    StoreListUploadForm,
    StoreTable,
    regions_with_counts,
)
from accounts.tenancy import organization_required
from core.exports import csv_response
from core.imports.reading import ImportRejected
from core.imports.registry import importer_for
from core.imports.service import start_import
from core.tenancy import get_for_org_or_404
from core.versions import (
    StaleVersion,
    changes_in_words,
    posted_version,
    version_initial,
    with_version,
)

MANAGERS = Membership.MANAGERS


def _filtered_stores(request):
    return StoreFilter(
        request.GET or None, queryset=Store.objects.for_org(request.organization), request=request
    )


@organization_required()
def stores(request):
    store_filter = _filtered_stores(request)
    # "11" is a state of China and of South Korea: say whose, when there are several.
    table = StoreTable(store_filter.qs, exclude=() if store_filter.places.several else ("country",))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    total = Store.objects.for_org(request.organization).count()
    return render(
        request,
        "accounts/stores.html",
        {"filter": store_filter, "table": table, "total": total, "tab": "stores"},
    )


@organization_required()
def store_filter_states(request):
    """The State filter for the country just picked (htmx, on a change of Country). A state
    picked before stays picked if it is in that country; otherwise the list starts over."""
    store_filter = _filtered_stores(request)
    if "state" in store_filter.errors:
        data = request.GET.copy()
        del data["state"]
        store_filter = StoreFilter(
            data, queryset=Store.objects.for_org(request.organization), request=request
        )
    return render(request, "accounts/_store_filter.html#state", {"filter": store_filter})


@organization_required()
def stores_export(request):
    queryset = _filtered_stores(request).qs.by_number()
    fields = [f for f, _ in STORE_EXPORT_FIELDS]
    rows = queryset.values_list(*fields).iterator(chunk_size=2000)
    return csv_response("stores", [label for _, label in STORE_EXPORT_FIELDS], rows)


@organization_required(*MANAGERS)
def store_create(request):
    form = StoreForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        store = form.save()
        messages.success(request, f"Store {store.number} was added.")
        return redirect("accounts:stores")
    return render(request, "accounts/store_form.html", {"form": form, "tab": "stores"})


@organization_required()
def store_edit(request, store_id):
    store = get_for_org_or_404(Store, request.organization, pk=store_id)
    may_edit = request.membership.is_manager
    form = StoreForm(
        request.POST or None, instance=store, organization=request.organization,
        initial=version_initial(store),
    )  # fmt: skip
    if request.method == "POST":
        if not may_edit:
            messages.error(request, "Only owners and admins change stores.")
            return redirect("accounts:store_edit", store_id=store.pk)
        if form.is_valid():
            try:
                services.store_update(
                    store=form.save(commit=False), actor=request.user,
                    version=form.cleaned_data["version"], change=changes_in_words(form),
                )  # fmt: skip
            except StaleVersion as stale:
                store = get_for_org_or_404(Store, request.organization, pk=store_id)
                form = StoreForm(
                    with_version(request.POST, store.version), instance=store,
                    organization=request.organization,
                )  # fmt: skip
                form.is_valid()
                form.add_error(None, str(stale))
            else:
                messages.success(request, f"Store {store.number} was saved.")
                return redirect("accounts:stores")
    regions = [
        r
        for r in Region.objects.for_org(request.organization)
        if r.effective_stores().filter(pk=store.pk).exists()
    ]
    return render(
        request,
        "accounts/store_form.html",
        {"form": form, "store": store, "may_edit": may_edit, "regions": regions, "tab": "stores"},
    )


@require_POST
@organization_required(*MANAGERS)
def store_open_close(request, store_id):
    store = get_for_org_or_404(Store, request.organization, pk=store_id)
    try:
        services.store_set_open(
            store=store, actor=request.user, is_open=not store.is_open,
            version=posted_version(request),
        )  # fmt: skip
    except StaleVersion as stale:
        messages.error(request, str(stale))
    else:
        messages.success(
            request, f"Store {store.number} is now {'open' if store.is_open else 'closed'}."
        )
    return redirect("accounts:store_edit", store_id=store.pk)


# -- Custom regions --------------------------------------------------------------------


@organization_required()
def regions(request):
    return render(
        request,
        "accounts/regions.html",
        {"regions": regions_with_counts(request.organization), "tab": "regions"},
    )


@organization_required()
def regions_export(request):
    def rows():
        for region in Region.objects.for_org(request.organization):
            for store in region.effective_stores().iterator(chunk_size=2000):
                yield [region.name, store.number, store.name, store.city, store.state]

    return csv_response(
        "regions", ["Region", "Store number", "Store name", "City", "State"], rows()
    )


@organization_required(*MANAGERS)
def region_create(request):
    form = RegionForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        region = form.save()
        messages.success(request, f"Region {region.name} was created. Add stores to it below.")
        return redirect(region)
    return render(request, "accounts/region_form.html", {"form": form, "tab": "regions"})


@organization_required()
def region_detail(request, region_id):
    region = get_for_org_or_404(Region, request.organization, pk=region_id)
    store_filter = _filtered_stores(request)
    picked_ids = set(region.stores.values_list("pk", flat=True))
    effective = region.effective_stores()
    context = {
        "region": region,
        "effective": effective[:500],
        "effective_count": effective.count(),
        "picked_ids": picked_ids,
        "filter": store_filter,
        "matching_count": store_filter.qs.count() if request.GET else None,
        "upload_form": StoreListUploadForm(),
        "may_edit": request.membership.is_manager,
        "tab": "regions",
    }
    return render(request, "accounts/region_detail.html", context)


@organization_required(*MANAGERS)
def region_edit(request, region_id):
    region = get_for_org_or_404(Region, request.organization, pk=region_id)
    form = RegionForm(
        request.POST or None, instance=region, organization=request.organization,
        initial=version_initial(region),
    )  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.region_update(
                region=form.save(commit=False), actor=request.user,
                version=form.cleaned_data["version"], change=changes_in_words(form),
            )  # fmt: skip
        except StaleVersion as stale:
            region = get_for_org_or_404(Region, request.organization, pk=region_id)
            form = RegionForm(
                with_version(request.POST, region.version), instance=region,
                organization=request.organization,
            )  # fmt: skip
            form.is_valid()
            form.add_error(None, str(stale))
        else:
            messages.success(request, f"Region {region.name} was saved.")
            return redirect(region)
    return render(
        request, "accounts/region_form.html", {"form": form, "region": region, "tab": "regions"}
    )


@require_POST
@organization_required(*MANAGERS)
def region_add_matching(request, region_id):
    """Add every store matching the filter shown on the region page."""
    region = get_for_org_or_404(Region, request.organization, pk=region_id)
    store_filter = StoreFilter(
        request.POST, queryset=Store.objects.for_org(request.organization), request=request
    )
    if not store_filter.is_valid():
        messages.error(request, "The filter is not valid; nothing was added.")
        return redirect(region)
    stores = list(store_filter.qs.exclude(regions=region))
    try:
        services.region_add_stores(
            region=region, stores=stores, actor=request.user,
            version=posted_version(request, required=False),
        )  # fmt: skip
    except StaleVersion as stale:
        messages.error(request, str(stale))
    else:
        messages.success(request, f"{len(stores)} stores were added to {region.name}.")
    return redirect(region)


@require_POST
@organization_required(*MANAGERS)
def region_remove_store(request, region_id, store_id):
    region = get_for_org_or_404(Region, request.organization, pk=region_id)
    store = get_for_org_or_404(Store, request.organization, pk=store_id)
    try:
        services.region_remove_store(
            region=region, store=store, actor=request.user,
            version=posted_version(request, required=False),
        )  # fmt: skip
    except StaleVersion as stale:
        messages.error(request, str(stale))
        return redirect(region)
    still = region.effective_stores().filter(pk=store.pk).exists()
    messages.success(
        request,
        f"Store {store.number} was removed from {region.name}."
        + (" It still matches the region's rule, so it stays in the region." if still else ""),
    )
    return redirect(region)


@require_POST
@organization_required(*MANAGERS)
def region_upload(request, region_id):
    """A CSV store list for the region, through the import preview: the stores it names
    are added when confirmed, and numbers that match no store are listed there."""
    region = get_for_org_or_404(Region, request.organization, pk=region_id)
    form = StoreListUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CSV file to upload.")
        return redirect(region)
    try:
        # The list only adds stores when confirmed; it is refused here if the page was
        # read before another change, so the user sees that change first.
        posted = posted_version(request, required=False)
        if posted is not None and posted != region.version:
            raise StaleVersion(region.last_change())
    except StaleVersion as stale:
        messages.error(request, str(stale))
        return redirect(region)
    try:
        batch = start_import(
            organization=request.organization,
            user=request.user,
            importer=importer_for("region_stores"),
            uploaded_file=form.cleaned_data["file"],
            options={"region_id": region.pk},
        )
    except ImportRejected as rejected:
        messages.error(request, str(rejected))
        return redirect(region)
    return redirect(batch)


@organization_required(*MANAGERS)
def region_delete(request, region_id):
    region = get_for_org_or_404(Region, request.organization, pk=region_id)
    if request.method == "POST":
        name = region.name
        region.delete()
        messages.success(request, f"Region {name} was deleted. Its stores are unchanged.")
        return redirect("accounts:regions")
    return render(request, "accounts/region_delete.html", {"region": region, "tab": "regions"})
