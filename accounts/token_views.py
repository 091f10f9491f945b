"""Account Settings → API tokens: owners and admins create a token for each program that
reads or changes the organization's data through the API, see when each was last used,
and revoke it. The key is shown once, on the page the creation leads to; Shelfshare keeps
only its digest (accounts/api_tokens.py)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.api_tokens import token_create, token_revoke
from accounts.forms import ApiTokenForm
from accounts.models import ApiToken
from accounts.tenancy import organization_required
from core.tenancy import get_for_org_or_404

# The session holds a new key from the creating POST to the one page that shows it, and no
# longer: that page takes it out, so a reload (or the back button) cannot show it again.
# Rendering the key on the POST's own response would make a reload post the form again
# and create a second token.
NEW_KEY_SESSION_KEY = "api_token_new_key:{}"

API_DOCS_PATH = "/api/v1/docs"
# A request that works with any live key: the organization's own stores.
API_EXAMPLE_PATH = "/api/v1/organizations/{organization_id}/stores"


def _token_or_404(request, api_token_id):
    tokens = ApiToken.objects.select_related("created_by", "revoked_by")
    return get_for_org_or_404(tokens, request.organization, pk=api_token_id)


def _how_to_use(request):
    return {
        "api_example_url": request.build_absolute_uri(
            API_EXAMPLE_PATH.format(organization_id=request.organization.pk)
        ),
        "api_docs_path": API_DOCS_PATH,
    }


@organization_required(ability="api_tokens")
def api_tokens(request):
    tokens = ApiToken.objects.for_org(request.organization).select_related("created_by")
    return render(
        request,
        "accounts/api_tokens.html",
        {"tokens": tokens, "now": timezone.now(), **_how_to_use(request)},
    )


@organization_required(ability="api_tokens")
def api_token_create(request):
    form = ApiTokenForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        token, key = token_create(
            organization=request.organization,
            actor=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )
        request.session[NEW_KEY_SESSION_KEY.format(token.pk)] = key
        return redirect("accounts:api_token_key", token.pk)
    return render(request, "accounts/api_token_create.html", {"form": form})


@organization_required(ability="api_tokens")
def api_token_key(request, api_token_id):
    """The new key, once: read out of the session here, so any later visit shows only that
    it was shown."""
    token = _token_or_404(request, api_token_id)
    key = request.session.pop(NEW_KEY_SESSION_KEY.format(token.pk), None)
    return render(
        request,
        "accounts/api_token_key.html",
        {"token": token, "key": key, **_how_to_use(request)},
    )


@organization_required(ability="api_tokens")
def api_token(request, api_token_id):
    """One token: what it is and, while it works, the confirmation to revoke it."""
    token = _token_or_404(request, api_token_id)
    return render(request, "accounts/api_token.html", {"token": token})


@require_POST
@organization_required(ability="api_tokens")
def api_token_revoke(request, api_token_id):
    token = _token_or_404(request, api_token_id)
    if token_revoke(token=token, actor=request.user):
        messages.success(
            request,
            f"“{token.name}” is revoked. A program that still sends its key "
            f"({token.key_start}…) is now refused.",
        )
    else:  # a second click, or a colleague was quicker: nothing more to do
        messages.info(request, f"“{token.name}” was already revoked.")
    return redirect("accounts:api_tokens")
