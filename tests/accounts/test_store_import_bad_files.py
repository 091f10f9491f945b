"""A corpus of bad store files: each gives a clear message, and the stores are unchanged
afterwards unless the user chose to import the valid rows only."""

import codecs
import html
import random
import re
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Store
from core.models import ImportBatch
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

HEADER = b"Store Number,Name,City,State,Latitude,Longitude\n"
GOOD = b"501,Fresh Store,Rogers,AR,36.34,-94.07\n"


@dataclass
class Bad:
    name: str
    content: bytes
    stage: str  # "rejected" at upload, "rows" with row errors, "mapping" needs a column chosen
    message: str
    valid_rows: int = 0  # how many rows "valid rows only" would import


def junk():
    rng = random.Random(7)
    return bytes(rng.randrange(256) for _ in range(4096)) + b"\x00\x01"


CORPUS = [
    Bad("binary-junk.csv", junk(), "rejected", "This file is not text"),
    Bad("empty.csv", b"", "rejected", "The file is empty."),
    Bad("only-whitespace.csv", b"\n\n   \r\n\t\n", "rejected", "The file is empty."),
    Bad("header-only.csv", HEADER, "rejected", "has a header but no rows"),
    Bad(
        "header-and-blank-lines.csv",
        HEADER + b"\n,,,,,\n\n",
        "rejected",
        "has a header but no rows",
    ),
    Bad("workbook.xlsx.csv", b"PK\x03\x04" + b"\x14\x00" * 200, "rejected", "Excel workbook"),
    Bad(
        "old-excel.xls.csv",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
        "rejected",
        "old Excel",
    ),
    Bad("report.pdf.csv", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "rejected", "a PDF document"),
    Bad("picture.png.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "rejected", "a PNG image"),
    Bad(
        "one-5mb-line.csv",
        b"Store Number,Name\n1," + b"x" * 5_000_000 + b"\n",
        "rejected",
        "Line 2 is 5,000,002 characters long",
    ),
    Bad(
        "unterminated-quote.csv",
        HEADER + b'502,"Never closed,Rogers,AR,1,1\n' + b"503,B,C,AR,1,1\n" * 30000,
        "rejected",
        'a closing quote (") is probably missing',
    ),
    Bad(
        "no-store-number-column.csv",
        b"Name,City\nOne,Rogers\nTwo,Bentonville\n",
        "mapping",
        "could not tell which column holds the store number",
    ),
    Bad(
        "duplicate-numbers.csv",
        HEADER + GOOD + b"777,A,X,AR,1,1\n777,B,Y,AR,1,1\n",
        "rows",
        "store number 777 is also on line 3 with other values: Name is 'A' there and 'B' here; "
        "City is 'X' there and 'Y' here",
        valid_rows=2,
    ),
    Bad(
        "missing-number.csv",
        HEADER + GOOD + b",No Number,Rogers,AR,1,1\n",
        "rows",
        "the store number is missing",
        valid_rows=1,
    ),
    Bad(
        "latitude-999.csv",
        HEADER + GOOD + b"504,Far,Rogers,AR,999,-94\n",
        "rows",
        "999 is out of range (-90 to 90)",
        valid_rows=1,
    ),
    Bad(
        "latitude-not-a-number.csv",
        HEADER + b"505,Odd,Rogers,AR,north,-94\n" + GOOD,
        "rows",
        "'north' is not a number",
        valid_rows=1,
    ),
    Bad(
        "latitude-without-longitude.csv",
        HEADER + b"506,Half,Rogers,AR,36.1,\n",
        "rows",
        "give both latitude and longitude",
    ),
    Bad(
        "formula-injection.csv",
        HEADER
        + GOOD
        + b'507,"=HYPERLINK(""http://evil"",""x"")",Rogers,AR,1,1\n'
        + b"508,\"+cmd|' /C calc'!A0\",Rogers,AR,1,1\n"
        + b"509,@SUM(1+1),Rogers,AR,1,1\n",
        "rows",
        "which spreadsheets run as a formula",
        valid_rows=1,
    ),
    Bad(
        "mixed-delimiters.csv",
        HEADER + GOOD + b"510;Semi;Rogers;AR;1;1\n" * 3,
        "rows",
        "has characters a store number cannot have (;)",
        valid_rows=1,
    ),
    Bad(
        "too-many-columns.csv",
        HEADER + GOOD + b"511,Wide,Rogers,AR,1,1,extra,more\n",
        "rows",
        "has 8 columns but the header has 6",
        valid_rows=1,
    ),
    Bad(
        "unknown-country.csv",
        b"Store #,Country\n512,Narnia\n513,USA\n",
        "rows",
        "'Narnia' is not a country name or two-letter code we know",
        valid_rows=1,
    ),
    Bad(
        "number-too-long.csv",
        b"storenum,name\n" + b"9" * 60 + b",Long\n514,Short\n",
        "rows",
        "longer than 50 characters",
        valid_rows=1,
    ),
    Bad(
        "name-too-long.csv",
        b"ID,Name\n515," + b"n" * 300 + b"\n516,Fine\n",
        "rows",
        "is longer than 200 characters",
        valid_rows=1,
    ),
]

# Oddities that are not errors: they import cleanly.
FINE = [
    (
        "quoted-newlines.csv",
        HEADER + b'601,"Store\nwith a newline","Rogers, AR",AR,36.3,-94.1\n',
        1,
    ),
    ("utf16.csv", codecs.BOM_UTF16_LE + "Store Number\tName\n602\tCafé\n".encode("utf-16-le"), 1),
    (
        "utf8-bom-semicolons-crlf.csv",
        codecs.BOM_UTF8 + b"store #;name\r\n603;Caf\xc3\xa9\r\n604;B\r\n",
        2,
    ),
    (
        "latin1-title-row-no-final-newline.csv",
        b"Our stores,,,\nStore No,Store Name,,\n605,Caf\xe9 Central,,\n606,Plain,,",
        2,
    ),
]


@pytest.fixture
def existing(org):
    StoreFactory(organization=org, number="1", name="Existing One")
    StoreFactory(organization=org, number="2", name="Existing Two")


def snapshot(org):
    return list(Store.objects.for_org(org).order_by("number").values())


def messages_on(response):
    """The messages and field errors a user sees, for a readable failure."""
    return re.findall(r'class="(?:message[^"]*|field-error)"[^>]*>([^<]*)<', response.text)


def upload(client, name, content):
    return client.post(
        reverse("accounts:import_upload", args=["stores"]),
        {"file": SimpleUploadedFile(name, content, content_type="text/csv")},
        follow=True,
    )


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 20


@pytest.mark.parametrize("bad", CORPUS, ids=[b.name for b in CORPUS])
def test_a_bad_file_says_why_and_changes_nothing(
    bad, owner_client, org, existing, django_capture_on_commit_callbacks
):
    before = snapshot(org)
    response = upload(owner_client, bad.name, bad.content)
    assert response.status_code == 200
    assert bad.message in html.unescape(response.text), messages_on(response)

    if bad.stage == "rejected":
        assert not ImportBatch.objects.exists()
    else:
        batch = ImportBatch.objects.get()
        assert batch.status == ("needs_mapping" if bad.stage == "mapping" else "ready")
        with django_capture_on_commit_callbacks(execute=True):
            refused = owner_client.post(
                reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"}, follow=True
            )
        assert (
            "nothing was imported" in refused.text
            or "cannot start without them" in html.unescape(refused.text)
        )
    assert snapshot(org) == before


@pytest.mark.parametrize("bad", [b for b in CORPUS if b.valid_rows], ids=lambda b: b.name)
def test_valid_rows_only_imports_exactly_the_valid_rows(
    bad, owner_client, org, existing, django_capture_on_commit_callbacks
):
    upload(owner_client, bad.name, bad.content)
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        done = owner_client.post(
            reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "valid_only"}, follow=True
        )
    assert re.search(r"\d+ rows? with errors (was|were) left out", done.text)
    batch.refresh_from_db()
    assert batch.status == "applied"
    assert batch.created_count + batch.updated_count == bad.valid_rows
    assert Store.objects.for_org(org).count() == 2 + batch.created_count


@pytest.mark.parametrize(("name", "content", "rows"), FINE, ids=[f[0] for f in FINE])
def test_odd_but_valid_files_import(
    name, content, rows, owner_client, org, django_capture_on_commit_callbacks
):
    upload(owner_client, name, content)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.error_count, batch.to_create) == ("ready", 0, rows), batch.errors
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"})
    assert Store.objects.for_org(org).count() == rows


def test_accented_names_survive_every_encoding(
    owner_client, org, django_capture_on_commit_callbacks
):
    for name, content, _ in FINE[1:]:
        upload(owner_client, name, content)
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(
                reverse("accounts:import_confirm", args=[ImportBatch.objects.latest("pk").pk]),
                {"mode": "all"},
            )
    names = set(Store.objects.for_org(org).values_list("name", flat=True))
    assert {"Café", "Café Central"} <= names


def test_a_file_over_the_size_limit_is_refused(owner_client, org, existing, settings):
    settings.IMPORT_MAX_BYTES = 1000
    response = upload(owner_client, "big.csv", HEADER + GOOD * 40)
    text = html.unescape(response.text).replace("\xa0", " ")
    assert "The file is 1.6 KB; the limit is 1000 bytes. Split it into smaller files." in text
    assert not ImportBatch.objects.exists()


@pytest.fixture
def bytes_kept(monkeypatch):
    """How many bytes of uploaded files Django's own handlers (memory, temporary file) kept."""
    from django.core.files import uploadhandler

    kept = {"bytes": 0}
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        real = handler.receive_data_chunk

        def counting(self, raw_data, start, real=real):
            kept["bytes"] += len(raw_data)
            return real(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", counting)
    return kept


def test_an_oversized_upload_is_refused_as_it_arrives(
    owner_client, org, existing, settings, bytes_kept
):
    settings.IMPORT_MAX_BYTES = 100_000
    content = HEADER + GOOD * 30_000
    response = upload(owner_client, "big.csv", content)
    text = html.unescape(response.text).replace("\xa0", " ")
    assert "The file is 1.1 MB; the limit is 97.7 KB. Split it into smaller files." in text
    assert not ImportBatch.objects.exists()
    assert bytes_kept["bytes"] <= settings.IMPORT_MAX_BYTES  # never the whole file


def test_a_file_of_exactly_the_limit_is_accepted(owner_client, org, settings, bytes_kept):
    content = HEADER + GOOD * 40
    settings.IMPORT_MAX_BYTES = len(content)
    upload(owner_client, "just-fits.csv", content)
    batch = ImportBatch.objects.get()
    assert (batch.file_size, batch.total_rows) == (len(content), 40)
    assert bytes_kept["bytes"] == len(content)


def test_an_oversized_store_list_for_a_region_is_refused_too(owner_client, org, settings):
    from tests.factories import RegionFactory

    settings.IMPORT_MAX_BYTES = 1000
    region = RegionFactory(organization=org)
    response = owner_client.post(
        reverse("accounts:region_upload", args=[region.pk]),
        {"file": SimpleUploadedFile("list.csv", b"Store #\n" + b"1\n" * 2000)},
        follow=True,
    )
    assert "The file is 3.9 KB; the limit is 1000 bytes." in html.unescape(response.text).replace(
        "\xa0", " "
    )
    assert not region.stores.exists()


def test_a_file_over_the_row_limit_is_refused(owner_client, org, existing, settings):
    settings.IMPORT_MAX_ROWS = 10
    response = upload(
        owner_client, "many.csv", HEADER + b"".join(b"%d,S,C,AR,1,1\n" % i for i in range(900, 920))
    )
    assert "more than 10 rows" in response.text
    assert not ImportBatch.objects.exists()


def test_choosing_the_store_number_column_by_hand(owner_client, org):
    upload(owner_client, "odd-header.csv", b"Shop Ref,Name\nA-1,One\nA-2,Two\n")
    batch = ImportBatch.objects.get()
    assert batch.status == "needs_mapping"
    page = owner_client.get(batch.get_absolute_url())
    assert "Choose the file's columns" in page.text
    owner_client.post(
        reverse("accounts:import_mapping", args=[batch.pk]), {"map_number": "0", "map_name": "1"}
    )
    batch.refresh_from_db()
    assert (batch.status, batch.to_create) == ("ready", 2)


def test_one_column_cannot_serve_two_fields(owner_client, org):
    upload(owner_client, "odd-header.csv", b"Shop Ref,Name\nA-1,One\n")
    batch = ImportBatch.objects.get()
    response = owner_client.post(
        reverse("accounts:import_mapping", args=[batch.pk]),
        {"map_number": "0", "map_name": "0"},
        follow=True,
    )
    assert "is chosen for both" in response.text
    batch.refresh_from_db()
    assert batch.status == "needs_mapping"
