from accounts.views import coming_soon


def connections(request):
    return coming_soon(
        request,
        "3rd Party Connections",
        "Partner requests to merchandisers and vendors, with the stores you share",
    )


def permissions(request):
    return coming_soon(
        request, "Partner Permissions", "Sharing sales and inventory at cost with your vendors"
    )
