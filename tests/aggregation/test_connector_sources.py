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
