"""Account Settings → 3rd Party Connections and Partner Permissions, the partnership
page with its geography, and the pages emailed links open."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.db.models import Count
from django.http import Http404
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
from core.versions import StaleVersion, check_version, posted_version
from partners import links, services
from partners.forms import (
    InviteRequestForm,
    JoinAndApproveForm,
    NewRequestForm,
    RegionPickForm,
    StoreListForm,
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


@organization_required()
def connections(request):
    organization = request.organization
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
    return render(
        request,
        "partners/connections.html",
        {"partnerships": partnerships, "is_manager": request.membership.is_manager},
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
            return _vendor_row(request, partnership.partner, error=str(error))
        messages.error(request, str(error))
    else:
        other = partnership.other_side(request.organization)
        if request.htmx and request.POST.get("row") == "vendor":
            return _vendor_row(request, partnership.partner)
        messages.success(
            request, DONE[action].format(name=other.name if other else partnership.partner_name)
        )
    return redirect(_local(request.POST.get("next", "")) or partnership.get_absolute_url())


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


@organization_required(ability="share_with_vendors")
def permissions(request):
    organization = request.organization
    networks = _networks(request)
    vendors = Organization.objects.filter(is_vendor=True).exclude(pk=organization.pk)
    if networks:
        vendors = vendors.filter(network__in=networks)
    query = request.GET.get("q", "").strip()
    if query:
        vendors = vendors.filter(name__icontains=query)
    vendors = list(vendors.order_by("name"))
    shares = _vendor_shares(organization, vendors)
    rows = [{"vendor": v, "share": shares.get(v.pk)} for v in vendors]
    return render(
        request,
        "partners/permissions.html",
        {
            "rows": rows,
            "networks": networks,
            "network_choices": Organization.Network.choices,
            "query": query,
            "is_manager": request.membership.is_manager,
            "is_default_filter": networks == NETWORK_DEFAULT and not query,
        },
    )


class NoVendorChosen(Exception):
    pass


def _vendor_or_404(request, source):
    vendor_id = source.get("vendor", "")
    if not vendor_id:
        raise NoVendorChosen
    vendor = (
        Organization.objects.filter(is_vendor=True, pk=vendor_id if vendor_id.isdigit() else 0)
        .exclude(pk=request.organization.pk)
        .first()
    )
    if vendor is None:
        raise Http404("No such vendor.")
    return vendor


def _vendor_row(request, vendor, *, confirm=False, error=""):
    share = _vendor_shares(request.organization, [vendor]).get(vendor.pk)
    return render(
        request,
        "partners/permissions.html#vendor_row",
        {
            "row": {"vendor": vendor, "share": share},
            "confirm": confirm,
            "error": error,
            "is_manager": request.membership.is_manager,
        },
    )


def vendor_chosen(view):
    """A Permissions action on one vendor: without a vendor chosen, back to the list with a
    word on what to do, whichever action it was."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NoVendorChosen:
            messages.error(request, "Pick a vendor from the list.")
            return redirect("partners:permissions")

    return wrapped


@organization_required(ability="request_partners")
@vendor_chosen
def permissions_confirm(request):
    """ "Request" asks Yes / No first: in place with htmx, or as a page without JavaScript."""
    vendor = _vendor_or_404(request, request.GET)
    if request.htmx:
        return _vendor_row(request, vendor, confirm=True)
    return render(request, "partners/permissions_confirm.html", {"vendor": vendor})


@organization_required(ability="share_with_vendors")
@vendor_chosen
def permissions_row(request):
    return _vendor_row(request, _vendor_or_404(request, request.GET))


@require_POST
@organization_required(ability="request_partners")
@vendor_chosen
def permissions_request(request):
    vendor = _vendor_or_404(request, request.POST)
    error = ""
    try:
        services.partnership_request(
            requester=request.organization,
            actor=request.user,
            partner=vendor,
            scope=Partnership.Scope.VENDOR,
            all_stores=True,
        )
    except services.PartnershipError as refused:
        error = str(refused)
    if request.htmx:
        return _vendor_row(request, vendor, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Request sent. {vendor.name} is notified and can approve it.")
    return redirect("partners:permissions")


# -- Emailed links ---------------------------------------------------------------------------


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
        check.title = "This link was sent to someone else"
        check.problem = (
            f"It was sent to {check.email}; you are logged in as {request.user.email}. "
            "Log out and open it again, or ask them."
        )
        return _problem(request, check, status=403)
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
    """A partner not on the platform: join, create the organization and approve, in one pass."""
    check = links.check_token(token)
    if check.problem:
        return _problem(request, check, status=400 if check.object is None else 410)
    partnership = check.object
    if partnership.partner_id is not None or check.email != partnership.invited_email:
        check.title = "This invitation has already been taken up"
        check.problem = "Log in to see the partnership under 3rd Party Connections."
        return _problem(request, check, status=410)
    if request.user.is_authenticated or User.objects.filter(email__iexact=check.email).exists():
        check.title = "You already have a Shelfshare account"
        check.problem = (
            f"{check.email} has an account. Log in, then open 3rd Party Connections: "
            f"ask {partnership.organization.name} to request your organization by name."
        )
        return _problem(request, check, status=409)
    initial = {"organization_name": partnership.invited_company_name}
    form = JoinAndApproveForm(request.POST or None, email=check.email, initial=initial)
    if request.method == "POST" and form.is_valid():
        from django.db import transaction

        try:
            with transaction.atomic():
                user = user_create(
                    email=check.email,
                    password=form.cleaned_data["password1"],
                    full_name=form.cleaned_data["full_name"],
                )
                organization = organization_create(owner=user, **form.organization_kwargs())
                services.partner_joins(
                    partnership=partnership, organization=organization, actor=user
                )
        except services.PartnershipError as error:
            check.title = "Nothing was changed"
            check.problem = str(error)
            return _problem(request, check, status=409)
        except Taken as taken:  # the name (or the email) was taken since the form's check
            form.add_error(taken.field if taken.field in form.fields else None, str(taken))
            return render(request, "partners/join.html", {"partnership": partnership, "form": form,
                          "email": check.email, "store_count": partnership.effective_stores().count()})  # fmt: skip
        login(request, user, backend=LOGIN_BACKEND)
        switch_organization(request, organization)
        messages.success(
            request,
            f"Welcome to Shelfshare. {organization.name} now partners with {partnership.organization.name}.",
        )
        return redirect(partnership.get_absolute_url())
    return render(
        request,
        "partners/join.html",
        {"partnership": partnership, "form": form, "email": check.email,
         "store_count": partnership.effective_stores().count()},
    )  # fmt: skip
