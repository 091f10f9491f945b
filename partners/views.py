"""Account Settings → 3rd Party Connections and Partner Permissions, the partnership
page with its geography, and the pages emailed links open."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.models import Membership, Organization, User
from accounts.names import MAX_LENGTH, normalize_organization_name
from accounts.services import LOGIN_BACKEND, Taken, organization_create, user_create
from accounts.tenancy import organization_required, switch_organization
from core.imports.reading import ImportRejected
from core.imports.registry import importer_for
from core.imports.service import start_import
from core.links import LinkCheck
from core.sorting import Sorting
from core.versions import StaleVersion, check_version, posted_version
from partners import catalogue, links, services
from partners.forms import (
    InviteRequestForm,
    JoinAndApproveForm,
    JoinAsMemberForm,
    NewRequestForm,
    RegionPickForm,
    StoreListForm,
    VendorInviteForm,
)
from partners.models import Partnership

Status = Partnership.Status
Side = Partnership.Side
NETWORK_DEFAULT = [Organization.Network.MEMBER, Organization.Network.SALES_REP_DIRECT]


def get_partnership_or_404(organization, partnership_id):
    """Either side of a partnership may open it; anyone else gets a 404."""
    partnership = (
        Partnership.objects.for_org(organization)
        .select_related("organization", "partner", "requested_by")
        .filter(pk=partnership_id)
        .first()
    )
    if partnership is None:
        raise Http404("No such partnership.")
    return partnership


def _local(url):
    """`url` if it is a path on this site, else "". Django's own check: it also refuses
    `/\\evil.example`, which browsers read as `//evil.example`, another site."""
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=None) else ""


# -- 3rd Party Connections --------------------------------------------------------------


ENDED = (Status.CANCELLED, Status.DECLINED, Status.UNAPPROVED)
# The status filter of 3rd Party Connections: its value, its label, the statuses it shows.
CONNECTION_FILTERS = {
    "": ("Live: pending and active", Partnership.OPEN),
    "pending": ("Pending", (Status.PENDING,)),
    "active": ("Active", (Status.ACTIVE,)),
    "ended": ("Ended: cancelled, declined, unapproved", ENDED),
    "cancelled": ("Cancelled", (Status.CANCELLED,)),
    "declined": ("Declined", (Status.DECLINED,)),
    "unapproved": ("Unapproved", (Status.UNAPPROVED,)),
    "all": ("All", tuple(Status.values)),
}


@organization_required()
def connections(request):
    """Live partnerships first; ended ones (cancelled, declined, unapproved) fold into a
    history below, or are picked with the status filter."""
    organization = request.organization
    chosen = request.GET.get("status", "")
    if chosen not in CONNECTION_FILTERS:
        chosen = ""
    partnerships = list(
        Partnership.objects.for_org(organization)
        .select_related("organization", "partner")
        .annotate(
            picked=Count("stores", distinct=True), region_count=Count("regions", distinct=True)
        )
    )
    for p in partnerships:
        p.side = p.side_of(organization)
        # After it ends, the partner no longer learns anything of the owner's stores.
        p.store_count = p.effective_stores().count() if p.shows_geography_to(organization) else None
    shown = [p for p in partnerships if p.status in CONNECTION_FILTERS[chosen][1]]
    history = [p for p in partnerships if p.status in ENDED] if not chosen else []
    return render(
        request,
        "partners/connections.html",
        {
            "partnerships": shown,
            "history": history,
            "has_any": bool(partnerships),
            "status": chosen,
            "status_choices": [(value, label) for value, (label, _) in CONNECTION_FILTERS.items()],
            "status_label": CONNECTION_FILTERS[chosen][0],
            "is_manager": request.membership.is_manager,
        },
    )


@organization_required(ability="request_partners")
def new_request(request):
    organization = request.organization
    query = request.GET.get("q", "").strip()
    form = NewRequestForm(request.POST or None, requester=organization)
    invite_form = InviteRequestForm(prefix="invite")
    if request.method == "POST" and form.is_valid():
        return _make_request(
            request,
            lambda: services.partnership_request(
                requester=organization,
                actor=request.user,
                partner=form.cleaned_data["partner"],
                scope=form.cleaned_data["scope"],
            ),
        )
    chosen = form.cleaned_data.get("partner") if form.is_bound and form.is_valid() else None
    if not chosen and request.GET.get("partner", "").isdigit():
        chosen = (
            Organization.objects.exclude(pk=organization.pk)
            .filter(pk=request.GET["partner"])
            .first()
        )
    context = {
        "form": form,
        "invite_form": invite_form,
        "query": query,
        "results": _search(organization, query),
        "chosen": chosen,
    }
    return render(request, "partners/new_request.html", context)


@require_POST
@organization_required(ability="request_partners")
def invite_request(request):
    form = InviteRequestForm(request.POST, prefix="invite")
    if not form.is_valid():
        return render(
            request,
            "partners/new_request.html",
            {"form": NewRequestForm(requester=request.organization), "invite_form": form, "query": "",
             "results": [], "invite_open": True},
        )  # fmt: skip
    return _make_request(
        request,
        lambda: services.partnership_request(
            requester=request.organization,
            actor=request.user,
            company_name=form.cleaned_data["company_name"],
            email=form.cleaned_data["email"],
            scope=form.cleaned_data["scope"],
        ),
    )


def _make_request(request, make):
    try:
        partnership = make()
    except services.PartnershipError as error:
        messages.error(request, str(error))
        return redirect("partners:new_request")
    messages.success(
        request,
        f"Request sent to {partnership.partner_name}. Nothing is shared yet: choose the stores "
        "to share below. Sharing starts once they approve.",
    )
    return redirect("partners:geography", partnership_id=partnership.pk)


def _search(organization, query):
    if len(query) < 2:
        return []
    return list(
        Organization.objects.exclude(pk=organization.pk)
        .filter(name__icontains=query)
        .order_by("name")[:20]
    )


@organization_required(ability="request_partners")
def partner_search(request):
    """Live search as you type: the result list only."""
    # Searched as names are stored (accounts/names.py): a pasted look-alike finds the name.
    query = normalize_organization_name(request.GET.get("q", "")[: MAX_LENGTH * 2])[:MAX_LENGTH]
    return render(
        request,
        "partners/new_request.html#results",
        {"results": _search(request.organization, query), "query": query},
    )


# -- One partnership -----------------------------------------------------------------


@organization_required()
def detail(request, partnership_id):
    partnership = get_partnership_or_404(request.organization, partnership_id)
    side = partnership.side_of(request.organization)
    events = partnership.events.select_related("actor", "organization")
    return render(
        request,
        "partners/detail.html",
        {
            "partnership": partnership,
            "side": side,
            "events": events,
            "store_count": partnership.effective_stores().count()
            if partnership.shows_geography_to(request.organization)
            else None,
            "actions": _actions(partnership, side, request.membership),
        },
    )


def _actions(partnership, side, membership):
    """The buttons this organization's member may press now."""
    if not membership.is_manager:
        return []
    return [
        action
        for action, (from_status, _to, action_side) in Partnership.TRANSITIONS.items()
        if action_side == side and partnership.status == from_status
    ]


ACTION_LABELS = {
    "approve": "Approve",
    "decline": "Decline",
    "cancel": "Cancel Request",
    "unapprove": "Unapprove",
}
DONE = {
    "approve": "Approved: {name} now shares its data with you as set out.",
    "decline": "Declined. {name} has been told.",
    "cancel": "Request cancelled. {name} has been told.",
    "unapprove": "Unapproved: sharing with {name} has stopped.",
}


@require_POST
@organization_required()
def transition(request, partnership_id, action):
    partnership = get_partnership_or_404(request.organization, partnership_id)
    if action not in Partnership.TRANSITIONS:
        raise Http404("No such action.")
    try:
        services.partnership_transition(
            partnership=partnership,
            action=action,
            actor=request.user,
            organization=request.organization,
        )
    except services.PartnershipError as error:
        if request.htmx and request.POST.get("row") == "vendor":
            return _row_after(request, partnership, error=str(error))
        messages.error(request, str(error))
    else:
        other = partnership.other_side(request.organization)
        if request.htmx and request.POST.get("row") == "vendor":
            return _row_after(request, partnership)
        messages.success(
            request, DONE[action].format(name=other.name if other else partnership.partner_name)
        )
    return redirect(_local(request.POST.get("next", "")) or partnership.get_absolute_url())


def _row_after(request, partnership, error=""):
    """The Partner Permissions row a button was pressed in, as it is now."""
    try:
        row = _chosen_row(request, request.POST)
    except (NoVendorChosen, NotInCatalogue, Http404):
        if partnership.partner is None:
            return HttpResponse(headers={"HX-Redirect": reverse("partners:permissions")})
        row = _org_row(partnership.partner, None)
    return _vendor_row(request, row, error=error)


# -- Geography (only the requester edits it) --------------------------------------------


@organization_required()
def geography(request, partnership_id):
    partnership = get_partnership_or_404(request.organization, partnership_id)
    side = partnership.side_of(request.organization)
    may_edit = side == Side.REQUESTER and request.membership.is_manager
    if not partnership.shows_geography_to(request.organization):
        return render(
            request,
            "partners/geography.html",
            {"partnership": partnership, "side": side, "hidden": True},
        )
    stores = partnership.effective_stores()
    context = {
        "partnership": partnership,
        "side": side,
        "may_edit": may_edit,
        "stores": stores[:500],
        "store_count": stores.count(),
        "picked": partnership.stores.by_number(),
        "regions": partnership.regions.annotate(picked=Count("stores")),
        "region_form": RegionPickForm(organization=request.organization) if may_edit else None,
        "upload_form": StoreListForm() if may_edit else None,
    }
    return render(request, "partners/geography.html", context)


def _geography_change(request, partnership_id, change, *, required=False):
    """Run one change of the geography from its page: each form there carries the
    geography's version, so a change over a newer one is refused and says whose. Those
    that overwrite what is shared (every store, none) must carry it (`required`)."""
    partnership = get_partnership_or_404(request.organization, partnership_id)
    try:
        services.check_requester(partnership, request.organization, request.user)
        text = change(partnership, posted_version(request, required=required))
    except (services.PartnershipError, StaleVersion) as error:
        messages.error(request, str(error))
    else:
        if text:
            messages.success(request, text)
    return redirect("partners:geography", partnership_id=partnership.pk)


@require_POST
@organization_required()
def geography_add_region(request, partnership_id):
    def change(partnership, version):
        form = RegionPickForm(request.POST, organization=request.organization)
        if not form.is_valid():
            raise services.PartnershipError("Pick one of your custom regions.")
        region = form.cleaned_data["region"]
        services.geography_add(
            partnership=partnership,
            organization=request.organization,
            actor=request.user,
            regions=[region],
            version=version,
        )
        return f"Region {region.name} is now shared, with any store it gains later."

    return _geography_change(request, partnership_id, change)


@require_POST
@organization_required()
def geography_upload(request, partnership_id):
    """A CSV store list for the geography, through the import preview: the stores it names
    are shared when confirmed, and numbers that match no store are listed there."""
    partnership = get_partnership_or_404(request.organization, partnership_id)
    back = redirect("partners:geography", partnership_id=partnership.pk)
    form = StoreListForm(request.POST, request.FILES)
    try:
        services.check_requester(partnership, request.organization, request.user)
        # The list only adds stores when confirmed; it is refused here if the page was
        # read before another change, so the user sees that change first.
        posted = posted_version(request, required=False)
        check_version(partnership, posted, lambda p: p.last_change())
        if not form.is_valid():
            raise services.PartnershipError("Choose a CSV store list to upload.")
        batch = start_import(
            organization=request.organization,
            user=request.user,
            importer=importer_for("geography_stores"),
            uploaded_file=form.cleaned_data["file"],
            options={"partnership_id": partnership.pk},
        )
    except (services.PartnershipError, ImportRejected, StaleVersion) as error:
        messages.error(request, str(error))
        return back
    return redirect(batch)


@require_POST
@organization_required()
def geography_all(request, partnership_id):
    def change(partnership, version):
        share_all = request.POST.get("all_stores") == "on"
        services.geography_add(
            partnership=partnership,
            organization=request.organization,
            actor=request.user,
            all_stores=share_all,
            version=version,
        )
        return "Every store is now shared, new ones included." if share_all else (
            "No longer sharing every store: only the stores and regions listed."
        )  # fmt: skip

    return _geography_change(request, partnership_id, change, required=True)


@require_POST
@organization_required()
def geography_remove(request, partnership_id):
    def change(partnership, version):
        kind, pk = request.POST.get("kind"), request.POST.get("id", "")
        if kind == "everything":
            services.geography_remove(
                partnership=partnership,
                organization=request.organization,
                actor=request.user,
                everything=True,
                version=version,
            )
            return "Every store was removed: nothing is shared now. The partnership itself stays."
        objects = (partnership.stores if kind == "store" else partnership.regions).filter(
            pk=pk if pk.isdigit() else 0
        )
        services.geography_remove(
            partnership=partnership,
            organization=request.organization,
            actor=request.user,
            version=version,
            **{"stores" if kind == "store" else "regions": list(objects)},
        )
        return "Removed from the shared stores." if objects else ""

    # Removing every store overwrites whatever was shared: that needs the page's version.
    everything = request.POST.get("kind") == "everything"
    return _geography_change(request, partnership_id, change, required=everything)


# -- Partner Permissions (vendors) --------------------------------------------------------

PERMISSIONS_PER_PAGE = 50


def _networks(request):
    if request.GET.get("clear") or (
        "filtered" in request.GET and not request.GET.getlist("network")
    ):
        return []
    chosen = [n for n in request.GET.getlist("network") if n in Organization.Network.values]
    return chosen or NETWORK_DEFAULT


def _vendor_shares(organization, vendors):
    """The latest vendor share with each vendor, by vendor id."""
    shares = {}
    for p in Partnership.objects.filter(
        organization=organization, scope=Partnership.Scope.VENDOR, partner__in=vendors
    ).order_by("requested_at", "pk"):
        shares[p.partner_id] = p
    return shares


def _catalogue_shares(organization, keys):
    """The latest vendor share asked for each catalogue vendor, by its key."""
    shares = {}
    for p in (
        Partnership.objects.filter(
            organization=organization, scope=Partnership.Scope.VENDOR, vendor_key__in=keys
        )
        .select_related("partner")
        .order_by("requested_at", "pk")
    ):
        shares[p.vendor_key] = p
    return shares


def _org_row(vendor, products):
    return {"id": f"vendor-{vendor.pk}", "vendor": vendor, "name": vendor.name,
            "products": products, "network": vendor.get_network_display(), "share": None}  # fmt: skip


def _catalogue_row(entry):
    return {"id": f"catalogue-{entry.token}", "catalogue": entry, "name": entry.name,
            "products": entry.products, "network": Organization.Network.NONE.label, "share": None,
            "other_spellings": sorted(set(entry.spellings) - {entry.name})}  # fmt: skip


def _attach_shares(organization, rows):
    vendors = [r["vendor"] for r in rows if r.get("vendor")]
    keys = [r["catalogue"].key for r in rows if r.get("catalogue")]
    by_vendor = _vendor_shares(organization, vendors) if vendors else {}
    by_key = _catalogue_shares(organization, keys) if keys else {}
    for row in rows:
        if row.get("vendor"):
            row["share"] = by_vendor.get(row["vendor"].pk)
        else:
            row["share"] = by_key.get(row["catalogue"].key)
    return rows


def _matches(entry, query):
    query = query.casefold()
    return any(query in spelling.casefold() for spelling in entry.spellings)


# The vendors' columns a header sorts by (by name first; every row is in memory).
VENDOR_SORTS = {
    "vendor": lambda row: row["name"].casefold(),
    "products": lambda row: row["products"],
    "network": lambda row: row["network"].casefold(),
    "service": lambda row: "catalogue" in row,  # on Shelfshare first
}


@organization_required(ability="share_with_vendors")
def permissions(request):
    """Every vendor of the retailer's catalogue, on Shelfshare or not, and every vendor on
    Shelfshare; the Network Partner filter as seed 002 has it (a vendor not on Shelfshare
    is not in the network)."""
    organization = request.organization
    networks = _networks(request)
    query = request.GET.get("q", "").strip()[:MAX_LENGTH]
    products, loose = catalogue.catalogue_vendors(organization)
    vendors = Organization.objects.filter(Q(is_vendor=True) | Q(pk__in=list(products))).exclude(
        pk=organization.pk
    )
    if networks:
        vendors = vendors.filter(network__in=networks)
    if query:
        vendors = vendors.filter(name__icontains=query)
    rows = [_org_row(v, products.get(v.pk, 0)) for v in vendors]
    if not networks or Organization.Network.NONE in networks:
        rows += [_catalogue_row(e) for e in loose.values() if not query or _matches(e, query)]
    rows.sort(key=lambda row: (row["name"].casefold(), row["id"]))
    sorting = Sorting(request, VENDOR_SORTS, default="vendor")
    rows = sorting.sort_rows(rows)
    page = Paginator(rows, PERMISSIONS_PER_PAGE).get_page(request.GET.get("page"))
    _attach_shares(organization, page.object_list)
    return render(
        request,
        "partners/permissions.html",
        {
            "page": page,
            "rows": page.object_list,
            "sorting": sorting,
            "networks": networks,
            "network_choices": Organization.Network.choices,
            "query": query,
            "is_manager": request.membership.is_manager,
            "is_default_filter": networks == NETWORK_DEFAULT and not query,
            "catalogue_size": len(products) + len(loose),
        },
    )


class NoVendorChosen(Exception):
    pass


class NotInCatalogue(Exception):
    pass


def _vendor_or_404(request, source):
    vendor_id = source.get("vendor", "")
    vendor = (
        Organization.objects.filter(pk=vendor_id if vendor_id.isdigit() else 0)
        .exclude(pk=request.organization.pk)
        .first()
    )
    # A vendor on Shelfshare, or an organization the catalogue's products already name.
    if vendor is None or not (
        vendor.is_vendor or catalogue.catalogue_vendors(request.organization)[0].get(vendor.pk)
    ):
        raise Http404("No such vendor.")
    return vendor


def _chosen_row(request, source):
    """The row a Permissions action is about: `vendor` (an organization's id) or
    `catalogue` (a catalogue vendor not on Shelfshare, by name)."""
    if source.get("vendor", ""):
        return _org_row(_vendor_or_404(request, source), None)
    name = source.get("catalogue", "")[:MAX_LENGTH]
    if not name.strip():
        raise NoVendorChosen
    entry = catalogue.catalogue_vendor(request.organization, name)
    if entry is None:
        raise NotInCatalogue(name)
    return _catalogue_row(entry)


def _vendor_row(request, row, *, confirm=False, error="", form=None):
    _attach_shares(request.organization, [row])
    if confirm and row.get("catalogue") and form is None:
        form = VendorInviteForm()
    return render(
        request,
        "partners/permissions.html#vendor_row",
        {
            "row": row,
            "confirm": confirm,
            "error": error,
            "form": form,
            "is_manager": request.membership.is_manager,
        },
    )


def _back_to_the_list(request, text):
    messages.error(request, text)
    if request.htmx:
        # A fragment cannot say it: the whole page comes back with the message.
        return HttpResponse(headers={"HX-Redirect": reverse("partners:permissions")})
    return redirect("partners:permissions")


def vendor_chosen(view):
    """A Permissions action on one vendor: without a vendor chosen, or with a name that is
    not a vendor of the catalogue, back to the list with a word on what to do, whichever
    action it was; nothing is written."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NoVendorChosen:
            return _back_to_the_list(request, "Pick a vendor from the list.")
        except NotInCatalogue as missing:
            return _back_to_the_list(
                request,
                f"“{missing}” is not a vendor of your catalogue that is not on Shelfshare. "
                "Nothing was sent: pick a vendor from the list.",
            )

    return wrapped


@organization_required(ability="request_partners")
@vendor_chosen
def permissions_confirm(request):
    """ "Request" asks Yes / No first (for a vendor not on Shelfshare: its rep's email):
    in place with htmx, or as a page without JavaScript."""
    row = _chosen_row(request, request.GET)
    if request.htmx:
        return _vendor_row(request, row, confirm=True)
    return _confirm_page(request, row)


def _confirm_page(request, row, form=None, status=200):
    context = {"row": row, "vendor": row.get("vendor"), "entry": row.get("catalogue"),
               "form": form or VendorInviteForm()}  # fmt: skip
    return render(request, "partners/permissions_confirm.html", context, status=status)


@organization_required(ability="share_with_vendors")
@vendor_chosen
def permissions_row(request):
    return _vendor_row(request, _chosen_row(request, request.GET))


@require_POST
@organization_required(ability="request_partners")
@vendor_chosen
def permissions_request(request):
    row = _chosen_row(request, request.POST)
    entry = row.get("catalogue")
    form = None
    if entry is not None:
        form = VendorInviteForm(request.POST)
        if not form.is_valid():
            if request.htmx:
                return _vendor_row(request, row, confirm=True, form=form)
            return _confirm_page(request, row, form, status=400)
    error = ""
    try:
        if entry is None:
            services.partnership_request(
                requester=request.organization,
                actor=request.user,
                partner=row["vendor"],
                scope=Partnership.Scope.VENDOR,
                all_stores=True,
            )
        else:
            services.partnership_request(
                requester=request.organization,
                actor=request.user,
                company_name=entry.name,
                email=form.cleaned_data["email"],
                scope=Partnership.Scope.VENDOR,
                all_stores=True,
                vendor_key=entry.key,
            )
    except services.PartnershipError as refused:
        error = str(refused)
    if request.htmx:
        return _vendor_row(request, row, confirm=bool(error and entry), error=error, form=form)
    if error:
        messages.error(request, error)
    elif entry is None:
        messages.success(request, f"Request sent. {row['name']} is notified and can approve it.")
    else:
        messages.success(
            request,
            f"Request sent. {form.cleaned_data['email']} is invited to join Shelfshare for "
            f"{entry.name} and approve it.",
        )
    return redirect("partners:permissions")


# -- Emailed links ---------------------------------------------------------------------------


def _sent_to_someone_else(request, check):
    check.title = "This link was sent to someone else"
    check.problem = (
        f"It was sent to {check.email}; you are logged in as {request.user.email}. "
        "Log out and open it again, or ask them."
    )
    return _problem(request, check, status=403)


def _problem(request, check, status=400):
    context = {
        "check": check,
        "back_url": reverse("partners:connections"),
        "back_label": "3rd Party Connections",
    }
    return render(request, "link_problem.html", context, status=status)


@login_not_required
def respond(request, token):
    """The partner admin's link: GET shows the request; only a POST decides."""
    check = links.check_token(token)
    if check.problem:
        return _problem(request, check, status=400 if check.object is None else 410)
    partnership = check.object
    if not request.user.is_authenticated:
        return render(
            request,
            "partners/respond_login.html",
            {
                "partnership": partnership,
                "login_url": f"{reverse('accounts:login')}?next={request.path}",
            },
        )
    if request.user.email.lower() != check.email:
        return _sent_to_someone_else(request, check)
    membership = Membership.objects.filter(
        user=request.user, organization=partnership.partner
    ).first()
    if membership is None:
        raise Http404("No such request.")
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("approve", "decline"):
            messages.error(request, "Choose Approve or Decline.")
            return redirect(request.path)
        try:
            services.partnership_transition(
                partnership=partnership,
                action=action,
                actor=request.user,
                organization=partnership.partner,
            )
        except services.PartnershipError as error:
            check.title = "Nothing was changed"
            check.problem = str(error)
            return _problem(request, check, status=409)
        switch_organization(request, partnership.partner)
        messages.success(request, DONE[action].format(name=partnership.organization.name))
        return redirect(partnership.get_absolute_url())
    return render(
        request,
        "partners/respond.html",
        {
            "partnership": partnership,
            "store_count": partnership.effective_stores().count(),
            "stores": partnership.effective_stores()[:20],
            "may_decide": membership.is_manager,
        },
    )


@login_not_required
def join(request, token):
    """A partner not on the platform: join (a new organization, or, logged in, one you
    manage already), then approve or decline the request on its page."""
    check = links.check_token(token)
    if check.problem:
        return _problem(request, check, status=400 if check.object is None else 410)
    partnership = check.object
    if partnership.partner_id is not None or check.email != partnership.invited_email:
        check.title = "This invitation has already been taken up"
        check.problem = "Log in to see the partnership under 3rd Party Connections."
        return _problem(request, check, status=410)
    if request.user.is_authenticated:
        if request.user.email.lower() != check.email:
            return _sent_to_someone_else(request, check)
        return _join_as_member(request, partnership)
    if User.objects.filter(email__iexact=check.email).exists():
        return render(
            request,
            "partners/respond_login.html",
            {
                "partnership": partnership,
                "login_url": f"{reverse('accounts:login')}?next={request.path}",
                "joining": True,
            },
        )
    return _join_new(request, partnership, check.email)


def _join_initial(partnership):
    kind = "vendor" if partnership.scope == Partnership.Scope.VENDOR else "merchandiser"
    return {"organization_name": partnership.invited_company_name, "kinds": [kind]}


def _joined(request, partnership, organization):
    switch_organization(request, partnership.partner)
    messages.success(
        request,
        f"{organization.name} has joined. {partnership.organization.name}'s request is below: "
        "approve it to start sharing, or decline it.",
    )
    return redirect(partnership.get_absolute_url())


def _join_page(request, partnership, form, **context):
    context = {"partnership": partnership, "form": form,
               "store_count": partnership.effective_stores().count(), **context}  # fmt: skip
    return render(request, "partners/join.html", context)


def _join_new(request, partnership, email):
    form = JoinAndApproveForm(request.POST or None, email=email, initial=_join_initial(partnership))
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = user_create(
                    email=email,
                    password=form.cleaned_data["password1"],
                    full_name=form.cleaned_data["full_name"],
                )
                organization = organization_create(owner=user, **form.organization_kwargs())
                services.partner_joins(
                    partnership=partnership, organization=organization, actor=user
                )
        except services.PartnershipError as error:
            return _problem(request, _nothing_changed(error), status=409)
        except Taken as taken:  # the name (or the email) was taken since the form's check
            form.add_error(taken.field if taken.field in form.fields else None, str(taken))
            return _join_page(request, partnership, form, email=email)
        login(request, user, backend=LOGIN_BACKEND)
        return _joined(request, partnership, organization)
    return _join_page(request, partnership, form, email=email)


def _join_as_member(request, partnership):
    managed = (
        Organization.objects.filter(
            memberships__user=request.user, memberships__role__in=Membership.MANAGERS
        )
        .exclude(pk=partnership.organization_id)
        .order_by("name")
    )
    form = JoinAsMemberForm(
        request.POST or None, organizations=managed, initial=_join_initial(partnership)
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                if form.is_new():
                    organization = organization_create(
                        owner=request.user, **form.organization_kwargs()
                    )
                else:
                    organization = form.chosen()
                services.partner_joins(
                    partnership=partnership, organization=organization, actor=request.user
                )
        except services.PartnershipError as error:
            form.add_error(None, str(error))
        except Taken as taken:
            form.add_error(taken.field if taken.field in form.fields else None, str(taken))
        else:
            return _joined(request, partnership, organization)
    return _join_page(request, partnership, form, member=True)


def _nothing_changed(error):
    return LinkCheck(title="Nothing was changed", problem=str(error))
