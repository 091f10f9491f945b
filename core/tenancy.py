"""The tenant in every query: tenant-owned querysets offer ``for_org(org)``, and views fetch
one object by id through ``get_for_org_or_404``, so another organization's id is a 404, the
same answer as an id that does not exist. Which organization a request acts for is decided
in accounts/tenancy.py."""

from django.db import models
from django.http import Http404


class OrgQuerySet(models.QuerySet):
    def for_org(self, organization):
        return self.filter(organization=organization)


def get_for_org_or_404(queryset, organization, **lookups):
    """The one way a view fetches a tenant-owned object by id."""
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset._default_manager.all()
    try:
        return queryset.filter(organization=organization).get(**lookups)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404("No such object.") from None
