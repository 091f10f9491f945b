from accounts.views import coming_soon


def index(request):
    return coming_soon(request, "Tasks", "Merchandising tasks by store or region, and store visits")
