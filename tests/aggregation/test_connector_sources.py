"""What every shop connector gets from aggregation/sources.py: a redirect is reported, never
followed with the credentials; a page that is not the API says to check the address;
Retry-After is honoured as seconds or as a date."""

import email.utils

import pytest

from aggregation.sources import LoadFailed, Refusals, Source
from tests.aggregation.fakes import Clock, FakeServer, Response


class Site:
    """A site answering each request with the next of `answers`; it logs the requests."""

    def __init__(self, *answers):
        self.clock = Clock()
        self.answers = list(answers)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        return self.answers.pop(0)


def source_for(url, clock):
    return Source(
        base_url=url, label="The shop", sleep=clock.sleep,
        refusals=Refusals(credentials="Enter a new key.", address="Check the address."),
        headers={"Authorization": "Basic c2VjcmV0"},
    )  # fmt: skip


def test_a_redirect_is_reported_and_the_credentials_never_follow_it():
    elsewhere = Site(Response(200, []))
    with FakeServer(elsewhere) as other:
        site = Site(Response(301, {}, {"Location": f"{other.url}/wp-json/wc/v3/products"}))
        with FakeServer(site) as server, pytest.raises(LoadFailed) as failed:
            source_for(server.url, site.clock).get("/wp-json/wc/v3/products")
    assert "on to http://127.0.0.1" in str(failed.value) and "shop's own address" in str(
        failed.value
    )
    assert elsewhere.requests == []


def test_an_address_that_is_not_the_api_says_to_check_it():
    site = Site(Response(404, b"<html>Not found</html>"), Response(200, b"<html>a blog</html>"))
    with FakeServer(site) as server:
        source = source_for(server.url, site.clock)
        with pytest.raises(LoadFailed, match="Check the address"):
            source.get("/wp-json/wc/v3/products")
        with pytest.raises(LoadFailed, match="not JSON: is the address the shop's"):
            source.get("/wp-json/wc/v3/products").json("The shop")


def test_retry_after_may_be_a_date():
    site = Site(Response(503, {}), Response(200, []))
    with FakeServer(site) as server:
        later = email.utils.format_datetime(
            email.utils.localtime().replace(microsecond=0), usegmt=True
        )
        site.answers[0].headers = {"Retry-After": later}
        clock = Clock()
        source_for(server.url, clock).get("/x")
    assert len(clock.waits) == 1 and 0 <= clock.waits[0] <= 1


def test_credentials_and_queries_never_appear_in_a_message():
    site = Site(*[Response(500, {"message": "boom"})] * 6)
    with FakeServer(site) as server, pytest.raises(LoadFailed) as failed:
        source_for(server.url, site.clock).get("/orders", {"consumer_secret": "cs_hidden"})
    assert "cs_hidden" not in str(failed.value) and "c2VjcmV0" not in str(failed.value)
    assert "500 Internal Server Error 6 times in a row" in str(failed.value)


PUBLIC = "93.184.215.14"  # a public internet address; nothing here connects to it


def resolving(monkeypatch, *answers):
    """The shop's name resolves to each of `answers` in turn (a DNS record with no time to
    live can change between two lookups); returns the addresses connected to."""
    answers = list(answers)
    connected = []

    def getaddrinfo(host, port, *args, **kwargs):
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        return [(2, 1, 6, "", (address, port))]

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("aggregation.sources.socket.getaddrinfo", getaddrinfo)
    monkeypatch.setattr("aggregation.sources.socket.create_connection", create_connection)
    return connected


def test_a_name_checked_public_that_resolves_to_the_servers_network_later_is_not_connected_to(
    monkeypatch, settings,
):  # fmt: skip
    # DNS rebinding: public when the address is checked, the database's host a moment later.
    settings.CONNECTOR_ALLOW_HTTP_LOCALHOST = False
    connected = resolving(monkeypatch, PUBLIC, "127.0.0.1")
    source = source_for("https://shop.example", Clock())
    with pytest.raises(LoadFailed) as failed:
        source.get("/wp-json/wc/v3/products")
    assert connected == []
    assert str(failed.value) == (
        "The shop at shop.example could not be reached (it resolves to 127.0.0.1, which is "
        "not a public internet address). Check the shop address on the connection."
    )


def test_the_connection_goes_to_the_address_just_checked(monkeypatch, settings):
    settings.CONNECTOR_ALLOW_HTTP_LOCALHOST = False
    connected = resolving(monkeypatch, PUBLIC)
    source = source_for("https://shop.example", Clock())
    with pytest.raises(LoadFailed, match="the connection was refused"):
        source.get("/wp-json/wc/v3/products")
    assert connected == [(PUBLIC, 443)]
