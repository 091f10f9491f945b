"""Every URL pattern of the project, discovered from the URLconf, as every kind of visitor.

No hand-kept list: a page added by a later issue is walked here automatically.
Object ids come from TENANT_FACTORIES (tests/factories.py): a URL kwarg named
`<model>_id` gets the id of a fresh object of that model owned by the page
owner's organization.
"""

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import Membership
from tests.factories import TENANT_FACTORIES, MembershipFactory, OrganizationFactory

# Django admin: staff only, see test_admin.py. The API: walked from its own OpenAPI
# schema with tokens, not sessions (tests/api/test_every_endpoint.py).
SKIPPED_NAMESPACES = {"admin", "api"}

# Values for URL kwargs that are not object ids. Tokens are deliberately not valid:
# their pages must say so (tested in their own files), never fail.
SAMPLE_VALUES = {
    "kind": "stores",  # an import kind
    "action": "cancel",  # a partnership transition
    "token": "not-a-real-token",
    "uidb64": "MQ",
    "sku": "NOSUCHSKU",  # a SKU of a master's order plan
    "item": "NOSUCHITEM",  # an item of a master's order plan
}
TOKEN_KWARGS = {"token", "uidb64", "sku", "item"}  # samples that name nothing: a 404 is right
# Views that set their own Cache-Control (a task photo is cached privately for an hour).
OWN_CACHE_CONTROL = {"tasks:photo"}


def discover(patterns=None, namespace=""):
    patterns = get_resolver().url_patterns if patterns is None else patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns in SKIPPED_NAMESPACES:
                continue
            yield from discover(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}" if entry.name else None, entry


PATTERNS = list(discover())


def model_for_kwarg(kwarg):
    """`membership_id` -> Membership."""
    if not kwarg.endswith("_id"):
        return None
    wanted = kwarg[: -len("_id")].replace("_", "")
    for model in apps.get_models():
        if model._meta.model_name == wanted:
            return model
    raise AssertionError(f"URL kwarg {kwarg!r} names no model")


def object_kwargs(pattern):
    return [k for k in pattern.pattern.converters if model_for_kwarg(k)]


def build_url(name, pattern, organization):
    kwargs = {}
    for kwarg in pattern.pattern.converters:
        model = model_for_kwarg(kwarg)
        if model is None:
            assert kwarg in SAMPLE_VALUES, (
                f"{name} takes {kwarg}: give it a sample value in SAMPLE_VALUES"
            )
            kwargs[kwarg] = SAMPLE_VALUES[kwarg]
            continue
        assert model in TENANT_FACTORIES, (
            f"{name} takes {kwarg}: add {model.__name__} to TENANT_FACTORIES in tests/factories.py"
        )
        kwargs[kwarg] = TENANT_FACTORIES[model](organization).pk
    return reverse(name, kwargs=kwargs)


def is_public(pattern):
    return getattr(pattern.callback, "login_required", True) is False


def request(client, url):
    """GET, or POST with an empty form for views that only take POST."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


@pytest.fixture
def world(db):
    organization = OrganizationFactory(name="Owning Org")
    owner = MembershipFactory(organization=organization, role=Membership.Role.OWNER).user
    member = MembershipFactory(organization=organization, role=Membership.Role.MEMBER).user
    outsider = MembershipFactory(
        organization=OrganizationFactory(name="Other Org"), role=Membership.Role.OWNER
    ).user
    return organization, owner, member, outsider


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_walk_finds_the_pages():
    names = {name for name, _ in PATTERNS}
    assert None not in names, "every URL pattern needs a name"
    assert {"home", "accounts:members", "accounts:member_remove", "partners:connections"} <= names


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
def test_anonymous_is_sent_to_log_in(name, pattern, world):
    organization = world[0]
    url = build_url(name, pattern, organization)
    response = request(Client(), url)
    assert response.status_code < 500
    if is_public(pattern):
        return
    assert response.status_code == 302, f"{url} answered {response.status_code} to anonymous"
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
@pytest.mark.parametrize("who", ["owner", "member"])
def test_members_of_the_owning_organization_never_get_a_server_error(name, pattern, who, world):
    organization, owner, member, _ = world
    user = {"owner": owner, "member": member}[who]
    url = build_url(name, pattern, organization)
    response = request(logged_in(user), url)
    assert response.status_code < 500
    if who == "owner" and not TOKEN_KWARGS & set(pattern.pattern.converters):
        assert response.status_code != 404, f"{url} answered 404 to the owner"
    if response.status_code == 200 and name not in OWN_CACHE_CONTROL:
        # An organization's data is never kept by a browser or proxy cache.
        assert "no-store" in response.get("Cache-Control", ""), f"{url} may be cached"
    if response.get("Content-Type", "").startswith("text/html"):
        # A filter field with no label of its own shows django-filter's placeholder.
        assert b"[invalid name]" not in response.content, (
            f"{url} shows a field named [invalid name]"
        )


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
def test_another_organization_gets_404_for_any_object_id(name, pattern, world):
    organization, _, _, outsider = world
    url = build_url(name, pattern, organization)
    client = logged_in(outsider)
    response = request(client, url)
    assert response.status_code < 500
    if object_kwargs(pattern):
        assert response.status_code == 404, f"{url} answered {response.status_code} to an outsider"
        # And a POST never changes anything either.
        assert client.post(url, {}).status_code in (404, 405)


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[n for n, _ in PATTERNS])
def test_a_user_without_an_organization_never_gets_a_server_error(name, pattern, world):
    from tests.factories import UserFactory

    organization = world[0]
    url = build_url(name, pattern, organization)
    response = request(logged_in(UserFactory()), url)
    assert response.status_code < 500
    if object_kwargs(pattern):
        assert response.status_code in (302, 404)
