"""Middleware every app relies on."""

from django.utils.cache import add_never_cache_headers


class NoStoreWhenSignedInMiddleware:
    """Pages shown to a signed-in user hold an organization's data: no browser or proxy
    may keep a copy (a shared computer's back button, a disk cache after logout). A view
    that chose its own Cache-Control keeps it (a task photo, cached privately for an hour,
    so a timeline does not load it again)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
