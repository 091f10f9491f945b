"""Staff work in Django admin: every model is registered, with search and filters that work."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.factories import TENANT_FACTORIES, OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"core", "accounts", "partners", "inventory", "tasks", "aggregation"}
PROJECT_MODELS = [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_every_project_model_is_in_admin_with_search_and_filters():
    for model in PROJECT_MODELS:
        model_admin = admin.site._registry.get(model)
        assert model_admin is not None, f"{model.__name__} is not in admin"
        assert model_admin.search_fields, f"{model.__name__} admin has no search"
        assert model_admin.list_filter, f"{model.__name__} admin has no filters"
        assert len(model_admin.list_display) >= 3, f"{model.__name__} admin shows too few columns"


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m.__name__)
def test_admin_pages_load_and_search(staff_client, model):
    org = OrganizationFactory(name="Searchable Org")
    obj = TENANT_FACTORIES[model](org) if model in TENANT_FACTORIES else None
    info = model._meta.app_label, model._meta.model_name
    changelist = reverse("admin:{}_{}_changelist".format(*info))
    assert staff_client.get(changelist).status_code == 200
    assert staff_client.get(changelist, {"q": "Searchable"}).status_code == 200
    if obj is not None:
        assert (
            staff_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code
            == 200
        )


def test_people_who_are_not_staff_are_sent_to_the_admin_login(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:accounts_organization_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
