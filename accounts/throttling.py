from django.conf import settings

from core.throttle import allow


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


def password_reset_allowed(request, email):
    """(client_ok, address_ok) for one password-reset request, each counted.

    Per client (its address, as client_ip reads it), so one visitor cannot mail many
    addresses; per address, so no one can fill a mailbox. The address is counted whether
    or not an account uses it, so the answer never says which addresses have one."""
    window = settings.PASSWORD_RESET_LIMIT_WINDOW_MINUTES * 60
    client_ok = allow(
        "password-reset-client",
        client_ip(request) or "unknown",
        limit=settings.PASSWORD_RESET_LIMIT_PER_CLIENT,
        window=window,
    )
    address_ok = allow(
        "password-reset-address",
        (email or "").strip().lower(),
        limit=settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        window=window,
    )
    return client_ok, address_ok
