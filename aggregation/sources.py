"""A shop's API over HTTP, as the store connectors (aggregation/shopify.py, woocommerce.py)
need it. One place for what every connector must get right about the network:

- every request has a timeout (CONNECTOR_TIMEOUT_SECONDS);
- a 429 or a 5xx is tried again after a pause, at most CONNECTOR_RETRIES times: the pause
  the shop asks for (Retry-After), else 1, 2, 4... seconds; the pause is injectable
  (`sleep`), so the tests count the waits instead of waiting;
- an answer only the user can fix (credentials refused, an address that is not the shop)
  is a LoadFailed whose message says what to fix, shown on the connections page;
- https only, to public addresses, and no redirects: the credentials never go anywhere
  but the address the user entered. The name is checked when the connection is saved,
  when a load begins and at each connection, which goes to the very address checked (a
  name can resolve elsewhere a moment later). CONNECTOR_ALLOW_HTTP_LOCALHOST lets the
  tests and development point a connection at a fake shop on 127.0.0.1.
"""

import email.utils
import http
import http.client
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.message import Message

from django.conf import settings
from django.utils import timezone

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
FIRST_BACKOFF_SECONDS = 1.0
# A shop asking for a longer pause than this is not waited for: the worker is needed by the
# other connections, and the next load tries again.
MAX_WAIT_SECONDS = 120.0


class LoadFailed(Exception):
    """str(exc) says what went wrong, for the connections page."""


def other_currency(label: str, shop: str, account) -> LoadFailed:
    """A shop keeping its money in another currency than the account it loads into: its
    amounts would be stored as if they were the account's (Shelfshare does not convert a
    shop's money; a master account converts its children's)."""
    return LoadFailed(
        f"{label} keeps its prices and sales in {shop}, and {account.name} keeps its money "
        f"in {account.currency}: nothing was loaded, as the amounts would be read as "
        f"{account.currency}. Connect the shop to an account kept in {shop}, or, if all of "
        f"{account.name}'s data is in {shop}, set its currency in Settings → Organization."
    )


class AddressRefused(ValueError):
    """str(exc) says why the address cannot be a shop's (for the form and the load)."""


def check_address(url: str, *, resolve: bool = True) -> str:
    """The address as stored (no trailing slash), or AddressRefused. https to a public
    address; http or a local address only to a local test shop when allowed."""
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise AddressRefused("Enter the full address, starting with https://.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise AddressRefused("Enter the address alone, without a user, password or ?query.")
    local = host in LOCAL_HOSTS
    if local and settings.CONNECTOR_ALLOW_HTTP_LOCALHOST:
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
    if parts.scheme != "https":
        raise AddressRefused(
            "The address must start with https://: credentials are never sent unencrypted."
        )
    if local or (resolve and not _public(host)):
        raise AddressRefused(f"{host} is not a public internet address.")
    return urllib.parse.urlunsplit(("https", parts.netloc, parts.path.rstrip("/"), "", ""))


def _public(host: str) -> bool:
    """Whether every address the name resolves to is public: a shop's address must never
    reach the servers' own network (cloud metadata, the database)."""
    try:
        infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return True  # it does not resolve: the load says the address could not be reached
    addresses = {info[4][0].split("%")[0] for info in infos}
    return all(ipaddress.ip_address(address).is_global for address in addresses)


class NotPublic(OSError):
    """The name resolved, at the moment of connecting, to an address that is not public."""


def _connect_public(address, timeout, source_address=None):
    """socket.create_connection() to an address the name resolves to now, each of them
    checked public first. The address was checked when the connection was saved and when
    the load began, but a name with no time to live can resolve elsewhere a moment later
    (DNS rebinding): only an address checked here is connected to."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for found in addresses:
        if not ipaddress.ip_address(found.split("%")[0]).is_global:
            raise NotPublic(f"it resolves to {found}, which is not a public internet address")
    refused = None
    for found in addresses:
        try:
            return socket.create_connection((found, port), timeout, source_address)
        except OSError as error:
            refused = error
    raise refused or OSError(f"{host} has no address")


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a shop, connecting only to public addresses checked at that moment (the
    certificate is still checked against the shop's name). Through the operator's proxy
    (HTTPS_PROXY), the proxy connects, and its own rules apply."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = self._connect

    def _connect(self, address, *args):
        local = address[0] in LOCAL_HOSTS and settings.CONNECTOR_ALLOW_HTTP_LOCALHOST
        if self._tunnel_host or local:
            return socket.create_connection(address, *args)
        return _connect_public(address, *args)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PublicHTTPSConnection, req, context=self._context)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes
    url: str

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default)

    def json(self, label: str):
        try:
            return json.loads(self.body)
        except ValueError:
            raise LoadFailed(
                f"{label} answered {self.url} with something that is not JSON: is the address "
                "the shop's?"
            ) from None

    def server_time(self) -> datetime:
        """The shop's clock (its Date header), else ours: an incremental load asks for what
        changed since the shop's time, so clock drift between us and it loses nothing."""
        try:
            return email.utils.parsedate_to_datetime(self.header("Date"))
        except (TypeError, ValueError):
            return timezone.now()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx comes back as an answer: credentials never follow a redirect


@dataclass
class Refusals:
    """What to tell the user when the shop refuses: the credentials (401/403) or the
    address (404)."""

    credentials: str
    address: str


class Source:
    """One shop's API: `base_url` (checked), the headers every request carries, and what
    to say when the shop refuses. `sleep` waits between tries."""

    def __init__(self, *, base_url, label, refusals, headers=None, sleep=time.sleep):
        try:
            self.base_url = check_address(base_url)
        except AddressRefused as refused:
            raise LoadFailed(f"The shop address {base_url!r} cannot be used: {refused}") from None
        self.label = label
        self.refusals = refusals
        self.headers = {"Accept": "application/json", "User-Agent": "Shelfshare connector"}
        self.headers.update(headers or {})
        self.sleep = sleep
        self.retries = settings.CONNECTOR_RETRIES
        self.timeout = settings.CONNECTOR_TIMEOUT_SECONDS
        handlers = [_NoRedirects(), _PublicHTTPSHandler()]
        if urllib.parse.urlsplit(self.base_url).hostname in LOCAL_HOSTS:
            handlers.append(urllib.request.ProxyHandler({}))  # a local fake is never proxied
        self._opener = urllib.request.build_opener(*handlers)

    def get(self, path: str, params=None, *, accept=()) -> Answer:
        """`accept`: refusals (401, say) the caller reads itself instead of a LoadFailed."""
        query = f"?{urllib.parse.urlencode(params, doseq=True)}" if params else ""
        return self.send("GET", f"{self.base_url}{path}{query}", accept=accept)

    def post(self, path: str, payload) -> Answer:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        return self.send("POST", f"{self.base_url}{path}", body=body, headers=headers)

    def send(self, method, url, *, body=None, headers=None, accept=()) -> Answer:
        """The answer to one request, tried again on 429 and 5xx; 2xx (or a status in
        `accept`) only, else LoadFailed."""
        for attempt in range(self.retries + 1):
            answer = self._once(method, url, body, {**self.headers, **(headers or {})})
            if answer.status in accept:
                return answer
            if not (answer.status == 429 or answer.status >= 500):
                return self._checked(answer)
            if attempt < self.retries:
                self.sleep(self._pause(answer, attempt))
        raise LoadFailed(
            f"{self.label} answered {_status(answer)} {self.retries + 1} times in a row; "
            "the next load will try again."
        )

    def _once(self, method, url, body, headers) -> Answer:
        request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310 (check_address allows https, or http to a local test shop only)
        shown = url.split("?", 1)[0]  # messages never carry the query (it may hold a key)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return Answer(response.status, response.headers, response.read(), shown)
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read(), shown)
        except (TimeoutError, ConnectionResetError, http.client.HTTPException):
            # A shop that is slow or drops the connection mid-answer: counted as a gateway
            # error, so it is tried again and then reported like one.
            return Answer(504, Message(), b"", shown)
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError | ConnectionResetError):
                return Answer(504, Message(), b"", shown)
            raise LoadFailed(self._unreachable(error.reason)) from None
        except OSError as error:
            raise LoadFailed(self._unreachable(error)) from None

    def _unreachable(self, reason) -> str:
        host = urllib.parse.urlsplit(self.base_url).netloc
        if isinstance(reason, socket.gaierror):
            why = "that name does not exist"
        elif isinstance(reason, NotPublic):
            why = str(reason)
        elif isinstance(reason, ConnectionRefusedError):
            why = "the connection was refused"
        else:
            why = str(getattr(reason, "strerror", None) or reason)
        return (
            f"{self.label} at {host} could not be reached ({why}). Check the shop address on "
            "the connection."
        )

    def _pause(self, answer: Answer, attempt: int) -> float:
        asked = _retry_after(answer.header("Retry-After"))
        if asked is None:
            return min(FIRST_BACKOFF_SECONDS * 2**attempt, MAX_WAIT_SECONDS)
        if asked > MAX_WAIT_SECONDS:
            raise LoadFailed(
                f"{self.label} asked us to wait {round(asked)} seconds before asking again; the "
                "next load will try again."
            )
        return asked

    def _checked(self, answer: Answer) -> Answer:
        if 200 <= answer.status < 300:
            return answer
        if answer.status in (401, 403):
            raise LoadFailed(self.refusals.credentials)
        if answer.status == 404:
            raise LoadFailed(self.refusals.address)
        if 300 <= answer.status < 400:
            raise LoadFailed(
                f"{self.label} sends {answer.url} on to {answer.header('Location') or 'another address'}: "
                "enter the shop's own address on the connection."
            )
        raise LoadFailed(f"{self.label} refused the request: {_status(answer)}{_said(answer)}.")


def _status(answer: Answer) -> str:
    try:
        return f"{answer.status} {http.HTTPStatus(answer.status).phrase}"
    except ValueError:
        return str(answer.status)


def _said(answer: Answer) -> str:
    """The shop's own words for a refusal, when it gives them as JSON (never its HTML)."""
    try:
        data = json.loads(answer.body)
    except ValueError:
        return ""
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str) and isinstance(data, dict):
        errors = data.get("errors")
        message = errors if isinstance(errors, str) else None
    return f' ("{message[:200]}")' if message else ""


def _retry_after(value: str) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - timezone.now()).total_seconds())
