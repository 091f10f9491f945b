from django.shortcuts import render

from accounts.tenancy import organization_required
from home.sections import sections_for


def _coordinate(value, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


@organization_required()
def home(request):
    """Each kind of organization's figures and to-dos; "Use my location" (static/js/visit.js)
    reloads the page with the browser's position to list the nearest shared stores."""
    lat = _coordinate(request.GET.get("lat"), -90, 90)
    lon = _coordinate(request.GET.get("lon"), -180, 180)
    if lat is None or lon is None:
        lat = lon = None
    sections = sections_for(request.membership, lat=lat, lon=lon)
    return render(request, "home.html", {"sections": sections})
