from accounts.views import coming_soon


def index(request):
    return coming_soon(
        request, "Inventory", "Stock and sales by store and product, and what partners share"
    )
