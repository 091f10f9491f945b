"""The API under /api/v1/: each app's endpoints (<app>/api.py) behind one token check, with
every error in one JSON shape (core/api.py) and the OpenAPI schema at /api/v1/openapi.json,
its interactive docs at /api/v1/docs (Swagger UI, served from our own static files)."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from accounts.api import TokenAuth
from accounts.api import router as accounts_router
from core.api import ApiError, JsonParser, error_location, error_response
from inventory.api import router as inventory_router
from partners.api import router as partners_router
from tasks.api import router as tasks_router

ERRORS = {
    "400": "A query parameter this endpoint cannot use (a cursor, a filter), or a body that "
    "is not JSON text",
    "401": "No token, or one that is unknown, revoked or expired",
    "403": "The token may not do this (a read-only token writing, a partner writing a batch)",
    "404": "No such organization or object, or not one the token's organization may see",
    "409": "Changed since you read it (send the version you read), or a retry still running",
    "413": "The body is larger than a batch of 10,000 rows needs",
    "422": "Refused input: each problem names its field, and a batch's row by index",
    "429": "Too many requests for this token: wait Retry-After seconds",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "errors"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string", "description": "Stable: rows_refused, not_found, …"},
                "message": {"type": "string", "description": "For people: what to do next"},
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "row": {"type": "integer", "description": "0 is a batch's first row"},
                            "field": {"type": "string"},
                            "value": {"description": "The value as sent"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


class ShelfshareApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Ninja's schema, with the one error shape every operation may answer."""
        schema = super().get_openapi_schema(*args, **kwargs)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, words in ERRORS.items():
                    operation["responses"].setdefault(
                        status, {"description": words, "content": reference}
                    )
        return schema


api = ShelfshareApi(
    title="Shelfshare API",
    version="1",
    description=(
        "Read and write an organization's stores, products, stock and sales, and what other "
        "organizations share with it, with the same access rules as the pages. Send an API "
        "token (Account Settings → API tokens) as `Authorization: Bearer ss_…`. Lists are "
        "read a page at a time: pass the `next_cursor` of a page as `cursor` for the next. "
        "Batches write all or nothing; send an `Idempotency-Key` header to make a retry safe."
    ),
    auth=TokenAuth(),
    parser=JsonParser(),
    urls_namespace="api",
    docs_url="/docs",
)
api.add_router("", accounts_router)
api.add_router("", partners_router)
api.add_router("", inventory_router)
api.add_router("", tasks_router)


def urls():
    """The API's URL patterns. A program has no session: the token is its login, so the
    site's LoginRequiredMiddleware lets these views through (the token check is theirs)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        login_not_required(pattern.callback)
    return patterns, app_name, namespace


@api.exception_handler(ApiError)
def _api_error(request, exc):
    return error_response(exc.status, exc.code, exc.message, exc.errors, exc.headers)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return error_response(
        401, "unauthenticated",
        "Send a live API token as `Authorization: Bearer ss_…`. Tokens are created under "
        "Account Settings → API tokens; a revoked or expired one no longer works.",
        headers={"WWW-Authenticate": 'Bearer realm="shelfshare"'},
    )  # fmt: skip


@api.exception_handler(ValidationError)
def _invalid(request, exc):
    return error_response(
        422, "invalid", "The request does not have the shape this endpoint takes.",
        [_validation_error(error) for error in exc.errors[:1000]],
    )  # fmt: skip


def _validation_error(error):
    """pydantic's location as the API's words: a batch row's index and field."""
    return {**error_location(error.get("loc", ())), "message": error.get("msg", "invalid")}


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(404, "not_found", "No such object.")


@api.exception_handler(HttpError)
def _http_error(request, exc):
    if isinstance(exc.__cause__, ApiError):  # raised reading the body (core.api.JsonParser)
        return _api_error(request, exc.__cause__)
    return error_response(exc.status_code, "error", str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return error_response(
        413, "too_large",
        "The request body is larger than this API takes. Send at most 10,000 rows a batch.",
    )  # fmt: skip
