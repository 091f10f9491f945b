def login_username(request, credentials):
    """The account a login attempt is for, as axes counts it: the email, in lower case.

    Without this, `Owner@x` and `owner@x` would be counted as two accounts.
    """
    source = credentials if credentials else request.POST
    return (source.get("username") or "").strip().lower() or None
