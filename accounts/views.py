from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import services
from accounts.emails import reset_link_lifetime
from accounts.forms import (
    EmailLoginForm,
    InviteForm,
    JoinForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
    QueuedPasswordResetForm,
    RoleForm,
    SignupForm,
)
from accounts.invitations import InvitationUsed, accept_invitation, check_token
from accounts.models import Invitation, Membership, User
from accounts.services import LOGIN_BACKEND
from accounts.tenancy import inherited_membership, organization_required, switch_organization
from accounts.throttling import password_reset_allowed
from core.links import LinkCheck
from core.tenancy import get_for_org_or_404

MANAGERS = Membership.MANAGERS


@login_not_required
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, organization = services.signup(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                organization=form.organization_kwargs(),
            )
        except services.Taken as taken:  # another sign-up with this name won the race
            form.add_error(taken.field, str(taken))
            return render(request, "accounts/signup.html", {"form": form})
        login(request, user, backend=LOGIN_BACKEND)
        switch_organization(request, organization)
        messages.success(request, f"Welcome to Shelfshare. {organization.name} is ready.")
        return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True


login_view = login_not_required(LoginView.as_view())
logout_view = auth_views.LogoutView.as_view()


class PasswordResetView(auth_views.PasswordResetView):
    """Throttled per client and per address (accounts/throttling.py). A client over its
    limit is told so; an address over its limit gets no more email, and the page says the
    same as for any other address."""

    template_name = "accounts/password_reset.html"
    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        client_ok, address_ok = password_reset_allowed(self.request, form.cleaned_data["email"])
        if not client_ok:
            minutes = settings.PASSWORD_RESET_LIMIT_WINDOW_MINUTES
            form.add_error(
                None,
                "Too many password reset requests from your network. "
                f"Try again in {minutes} minutes.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if not address_ok:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


password_reset = login_not_required(PasswordResetView.as_view())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "link_lifetime": reset_link_lifetime()}


password_reset_done = login_not_required(PasswordResetDoneView.as_view())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "link_lifetime": reset_link_lifetime()}

    def form_valid(self, form):
        response = super().form_valid(form)
        # Whoever proved they own the mailbox may log in again at once.
        axes_reset(username=self.user.email)
        return response


password_reset_confirm = login_not_required(PasswordResetConfirmView.as_view())
password_reset_complete = login_not_required(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_reset_complete.html"
    )
)


def organization_create(request):
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(
                owner=request.user, **form.organization_kwargs()
            )
        except services.Taken as taken:
            form.add_error(taken.field, str(taken))
            return render(request, "accounts/organization_create.html", {"form": form})
        switch_organization(request, organization)
        messages.success(request, f"{organization.name} is ready. You are its owner.")
        return redirect("home")
    return render(request, "accounts/organization_create.html", {"form": form})


@require_POST
def organization_switch(request):
    chosen = request.POST.get("organization", "")
    if not chosen.isdigit():
        messages.error(request, "Pick an account from the list.")
        return redirect("home")
    membership = Membership.objects.select_related("organization").filter(
        user=request.user, organization_id=chosen
    ).first() or inherited_membership(request.user, int(chosen))
    if membership is None:
        raise Http404("No such account.")
    switch_organization(request, membership.organization)
    messages.info(request, f"You are now working in {membership.organization.name}.")
    # Back to the page the user was on when it is ours; otherwise home.
    next_url = request.POST.get("next", "")
    if _is_list_page(next_url):
        return HttpResponseRedirect(next_url)
    return redirect("home")


def _is_list_page(url):
    """Our own page that names no object: it makes sense in the other organization too.
    (An object page would belong to the organization just left: a 404.)"""
    if not url.startswith("/") or url.startswith("//"):
        return False
    try:
        match = resolve(url.split("?")[0])
    except Resolver404:
        return False
    return not match.kwargs


@organization_required()
def organization_settings(request):
    """Everyone in the organization reads its settings; owners and admins change them."""
    organization = request.organization
    # A master account has no sales of its own: its currency is the reporting currency,
    # set with the order plan's settings.
    is_master = hasattr(organization, "master_account")
    is_manager = request.membership.is_manager and not is_master
    if request.method == "POST" and not is_manager:
        raise PermissionDenied("Your role in this organization does not allow this.")
    form = OrganizationSettingsForm(request.POST or None, instance=organization)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_settings_save(organization=form.save(commit=False))
        except services.Taken as taken:
            form.add_error(taken.field, str(taken))
        else:
            messages.success(
                request, f"Saved. {organization.name} sells in {organization.currency}."
            )
            return redirect("accounts:organization_settings")
    return render(
        request,
        "accounts/organization_settings.html",
        {"form": form if is_manager else None, "is_manager": request.membership.is_manager},
    )


@organization_required()
def members(request):
    organization = request.organization
    memberships = Membership.objects.for_org(organization).select_related("user")
    invitations = Invitation.objects.for_org(organization).filter(
        accepted_at=None,
        revoked_at=None,
        created_at__gte=timezone.now() - settings.INVITATION_MAX_AGE,
    )
    is_manager = request.membership.is_manager
    form = InviteForm(organization=organization, inviter_role=request.membership.role)
    return render(
        request,
        "accounts/members.html",
        {
            "memberships": memberships,
            "invitations": invitations,
            "invite_form": form if is_manager else None,
            "role_choices": RoleForm.base_fields["role"].choices,
            "owner_count": memberships.filter(role=Membership.Role.OWNER).count(),
            "is_manager": is_manager,
            "invitation_days": settings.INVITATION_MAX_AGE.days,
        },
    )


@require_POST
@organization_required(*MANAGERS)
def invite(request):
    form = InviteForm(
        request.POST, organization=request.organization, inviter_role=request.membership.role
    )
    if form.is_valid():
        services.invite(
            organization=request.organization,
            actor=request.user,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
        )
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("accounts:members")
    for error in form.errors.values():
        messages.error(request, " ".join(error))
    return redirect("accounts:members")


@require_POST
@organization_required(*MANAGERS)
def invitation_revoke(request, invitation_id):
    invitation = get_for_org_or_404(Invitation, request.organization, pk=invitation_id)
    services.invitation_revoke(invitation=invitation, actor=request.user)
    messages.success(request, f"The invitation of {invitation.email} was withdrawn.")
    return redirect("accounts:members")


@require_POST
@organization_required(*MANAGERS)
def member_role(request, membership_id):
    membership = get_for_org_or_404(
        Membership.objects.select_related("user"), request.organization, pk=membership_id
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick one of the listed roles.")
        return redirect("accounts:members")
    try:
        services.membership_change_role(
            membership=membership,
            role=form.cleaned_data["role"],
            actor_membership=request.membership,
        )
    except services.MembershipError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, f"{membership.user} is now {membership.get_role_display().lower()}."
        )
    return redirect("accounts:members")


@organization_required(*MANAGERS)
def member_remove(request, membership_id):
    """GET asks for confirmation; POST removes."""
    membership = get_for_org_or_404(
        Membership.objects.select_related("user"), request.organization, pk=membership_id
    )
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, actor_membership=request.membership)
        except services.MembershipError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{membership.user} was removed from the organization.")
        return redirect("accounts:members")
    return render(request, "accounts/member_remove.html", {"membership": membership})


def _link_problem(request, context, status):
    context = {**context, "back_url": reverse("home"), "back_label": "Go to Home"}
    return render(request, "link_problem.html", context, status=status)


@login_not_required
def invitation_accept(request, token):
    """Opening the link changes nothing; joining takes a POST (mail scanners open links)."""
    check = check_token(token)
    invitation = check.object
    if check.problem:
        status = 410 if invitation or "expired" in check.title.lower() else 400
        return _link_problem(request, {"check": check}, status=status)

    user = request.user
    existing = User.objects.filter(email__iexact=invitation.email).first()
    context = {"invitation": invitation, "token": token}

    if user.is_authenticated and user.email.lower() != invitation.email.lower():
        context["check"] = LinkCheck(
            invitation,
            invitation.email,
            title="This invitation is for someone else",
            problem=f"This invitation is for {invitation.email}, but you are logged in as "
            f"{user.email}. Log out, then open the link again.",
        )
        return _link_problem(request, context, status=403)

    if not user.is_authenticated and existing is not None:
        if request.method == "POST":
            # The account appeared since the page was shown: a double submit whose first
            # half just joined. Back to the link, which now says what happened.
            return redirect(request.path)
        # An account exists: log in first, then come back to this page.
        context["login_url"] = f"{reverse('accounts:login')}?next={request.path}"
        return render(request, "accounts/invitation_login.html", context)

    form = None if user.is_authenticated else JoinForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and (form is None or form.is_valid()):
        new_user = None
        if form is not None:
            new_user = {
                "password": form.cleaned_data["password1"],
                "full_name": form.cleaned_data["full_name"],
            }
        try:
            membership = accept_invitation(
                invitation=invitation,
                user=user if user.is_authenticated else None,
                new_user=new_user,
            )
        except (InvitationUsed, IntegrityError):
            return redirect(request.path)  # now shows "already used"
        if form is not None:
            login(request, membership.user, backend=LOGIN_BACKEND)
        switch_organization(request, membership.organization)
        messages.success(request, f"You have joined {membership.organization.name}.")
        return redirect("home")
    context["form"] = form
    return render(request, "accounts/invitation_accept.html", context)
