"""Tokens for the shop's organizations, and a client that sends one."""

import pytest
from django.test import Client

from accounts.api_tokens import token_create
from accounts.models import ApiToken
from tasks.models import Task


def bearer(key):
    return {"Authorization": f"Bearer {key}"} if key else {}


class ApiClient:
    """The Django test client with a token on every request, JSON in and out."""

    def __init__(self, key=None):
        self.client = Client()
        self.key = key

    def get(self, path, params=None, **headers):
        return self.client.get(path, params or {}, headers={**bearer(self.key), **headers})

    def post(self, path, body, **headers):
        return self.client.post(
            path, body, content_type="application/json", headers={**bearer(self.key), **headers}
        )

    def post_form(self, path, data, **headers):
        """multipart/form-data, files and all (the task photos endpoint)."""
        return self.client.post(path, data, headers={**bearer(self.key), **headers})


def make_token(organization, user=None, scope=ApiToken.Scope.WRITE, **kwargs):
    _token, key = token_create(
        organization=organization, actor=user, name=f"{scope} token", scope=scope, **kwargs
    )
    return key


@pytest.fixture
def api(shop):
    """Clients for the shop: anonymous, an outsider's, the retailer's (read and write),
    the merchandiser's and the vendor's."""
    outsider_org = shop["outsider"].memberships.get().organization
    Task.objects.create(
        organization=shop["retailer"], store=shop["stores"][0], title="Face the whiskey shelf"
    )
    return {
        "anonymous": ApiClient(),
        "outsider": ApiClient(make_token(outsider_org, shop["outsider"])),
        "read": ApiClient(make_token(shop["retailer"], shop["owner"], ApiToken.Scope.READ)),
        "write": ApiClient(make_token(shop["retailer"], shop["owner"])),
        "merchandiser": ApiClient(make_token(shop["merchandiser"], shop["rep"])),
        "vendor": ApiClient(make_token(shop["vendor"], shop["vendor_user"])),
    }
