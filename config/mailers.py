"""Turn an ``EMAIL_URL`` into Django 6.1's ``MAILERS`` form.

django-environ still emits the deprecated ``EMAIL_*`` settings, so we parse the
URL with it and map the values onto the backend's keyword options ourselves.
"""

from urllib.parse import parse_qs, unquote, urlsplit

import environ

# Names shorter than the full dotted paths; also accepts environ's own schemes.
SCHEMES = {
    **environ.Env.EMAIL_SCHEMES,
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}


def mailer_from_url(url: str) -> dict:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ValueError(f"EMAIL_URL scheme {scheme!r} is not one of {sorted(SCHEMES)}")
    backend = SCHEMES[scheme]
    options: dict = {}
    if backend.endswith("filebased.EmailBackend"):
        # file:///var/mail/shelfshare: everything after the scheme is the folder.
        options["file_path"] = unquote(parts.netloc + parts.path) or "sent-mail"
    elif backend.endswith("smtp.EmailBackend"):
        options["host"] = parts.hostname or "localhost"
        options["port"] = parts.port or (465 if scheme in ("smtps", "smtp+ssl") else 25)
        if parts.username:
            options["username"] = unquote(parts.username)
            options["password"] = unquote(parts.password or "")
        options["use_tls"] = scheme == "smtp+tls"
        options["use_ssl"] = scheme in ("smtps", "smtp+ssl")
        query = parse_qs(parts.query)
        if "timeout" in query:
            options["timeout"] = int(query["timeout"][0])
    return {"BACKEND": backend, "OPTIONS": options}
