from accounts.views import coming_soon


def add_account(request):
    return coming_soon(
        request,
        "Add Account",
        "Master and child accounts, rolled up with a forecast and order plan",
    )
