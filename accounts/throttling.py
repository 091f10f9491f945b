from django.conf import settings


def login_username(request, credentials):
    """The account a login attempt is for, as axes counts it: the email, in lower case.

    Without this, `Owner@x` and `owner@x` would be counted as two accounts.
    """
    source = credentials if credentials else request.POST
    return (source.get("username") or "").strip().lower() or None


def client_ip(request):
    """The address a login attempt comes from, trusting only our own proxies."""
    count = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if not count:
        return remote
    forwarded = [
        a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
    ]
    # Each trusted proxy appended the address it saw; the last `count` entries are theirs.
    return forwarded[-count] if len(forwarded) >= count else remote
