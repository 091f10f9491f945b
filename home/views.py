from django.shortcuts import render

from accounts.tenancy import organization_required
from home.sections import sections_for
from tasks import geo


@organization_required()
def home(request):
    """Each kind of organization's figures and to-dos; "Use my location" (static/js/visit.js)
    reloads the page with the browser's position to list the nearest shared stores."""
    lat, lon = geo.position(request.GET)
    if lat is None or lon is None:
        lat = lon = None
    sections = sections_for(request.membership, lat=lat, lon=lon)
    return render(request, "home.html", {"sections": sections})
