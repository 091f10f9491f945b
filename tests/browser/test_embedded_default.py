"""On the embedded default (SQLite, the filesystem broker, no Redis) long work runs in the
Procfile's worker, not in the request: "Load data from all connections" and a 25,000-row
import answer in under a second, and the page then shows their progress to the end.

The web server, the worker and beat are started exactly as `make run` starts them (the
Procfile), on a database and a var/ folder of this test's own; the browser drives them."""

import csv
import io
import socket
import sqlite3
import textwrap
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.embedded import embedded_env, manage, procfile, start, stop

PASSWORD = "embedded-passphrase-1"
CHILDREN = 4
PRODUCTS = 3000  # per child: enough that the load takes seconds, not moments
STORES = 25_000

SEED = textwrap.dedent(
    f"""
    from django.core.files.base import ContentFile
    from accounts.models import Membership, Organization, User
    from aggregation.models import Connection, MasterAccount, SourceFile

    owner = User.objects.create_user(email="owner@embedded.test", password="{PASSWORD}")
    group = Organization.objects.create(name="Embedded Group", is_retailer=True)
    Membership.objects.create(user=owner, organization=group, role=Membership.Role.OWNER)
    master = MasterAccount.objects.create(organization=group)
    files = {{
        "stores": b"Store number,Name\\n1,Online shop\\n",
        "products": b"sku,name\\n" + b"".join(
            b"K%05d,Item %d\\n" % (i, i) for i in range({PRODUCTS})
        ),
        "stock": b"store,sku,on_hand,on_order\\n" + b"".join(
            b"1,K%05d,%d,0\\n" % (i, i % 40) for i in range({PRODUCTS})
        ),
    }}
    for n in range({CHILDREN}):
        child = Organization.objects.create(name=f"Shop {{n}}", is_retailer=True)
        connection = Connection.objects.create(master=master, child=child, kind="csv")
        for kind, content in files.items():
            SourceFile.objects.create(
                connection=connection, kind=kind, original_name=f"{{kind}}.csv",
                file=ContentFile(content, name=f"{{kind}}.csv"),
            )
    """
)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url, web, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert web.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (http://127.0.0.1)
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the web server did not answer within {timeout} s")


@pytest.fixture
def embedded_site(tmp_path):
    """The Procfile's three processes on this test's own files; yields the site's URL and
    its database file."""
    port = free_port()
    env = embedded_env(tmp_path, WEB_PORT=str(port))
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "shell", "-c", SEED)
    processes, logs = [], []
    try:
        for name, command in procfile().items():
            log = tmp_path / f"{name}.log"
            logs.append(log.open("w"))
            processes.append(start(command, env, logs[-1]))
        url = f"http://127.0.0.1:{port}"
        wait_until_up(f"{url}/healthz", processes[0], tmp_path / "web.log")
        yield url, tmp_path / "db.sqlite3"
    finally:
        for process in processes:
            stop(process)
        for log in logs:
            log.close()


def log_in(new_page, url):
    page = new_page()
    page.goto(f"{url}/account/login/")
    page.get_by_label("Email").fill("owner@embedded.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()
    return page


def press_and_time(page, button):
    """Press a button that posts a form; the seconds until the server answered the POST."""
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        started = time.perf_counter()
        button.click()
    answered = time.perf_counter() - started
    assert posted.value.status in (200, 302, 303), posted.value.status
    return answered


def watch(page, selector, until, timeout=120):
    """Read the progress bar under `selector` until `until(text)`; every (value, max, text)
    seen on the way."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        box = page.locator(selector)
        text = box.inner_text() if box.count() else ""
        bar = box.locator("progress")
        if bar.count():
            seen.append((bar.get_attribute("value"), bar.get_attribute("max"), text))
        if until(text):
            return seen, text
        time.sleep(0.1)
    raise AssertionError(f"still {text!r} after {timeout} s; saw {seen[-3:]}")


def test_load_all_answers_at_once_and_shows_its_progress_to_the_end(new_page, embedded_site):
    url, database = embedded_site
    page = log_in(new_page, url)
    page.goto(f"{url}/load-data/connections/")
    answered = press_and_time(
        page, page.get_by_role("button", name="Load data from all connections")
    )
    assert answered < 1.0, f"the request took {answered:.2f} s"
    progress = page.locator("#load-progress")
    expect(progress).to_be_visible()
    snap(page, "embedded-load-all-running")
    seen, text = watch(page, "#load-progress", lambda text: "Done" in text)
    snap(page, "embedded-load-all-done")

    steps = CHILDREN + 1  # each child, then the rollups
    assert all(maximum == str(steps) for _, maximum, _ in seen)
    values = [int(value) for value, _, _ in seen]
    assert values == sorted(values) and values[-1] == steps
    assert values[0] < steps, "the page showed no progress before the end"
    assert f"{steps} of {steps} steps" in text
    with sqlite3.connect(database) as db:
        status, done = db.execute("SELECT status, done FROM aggregation_loadrun").fetchone()
        on_hand = dict(
            db.execute("SELECT sku, sum(on_hand) FROM aggregation_rollupstock GROUP BY sku")
        )
    assert (status, done) == ("done", steps)
    # Each child holds K00000..K02999 with i % 40 on hand: the rollup adds the children.
    assert on_hand == {f"K{i:05d}": CHILDREN * (i % 40) for i in range(PRODUCTS)}


def test_a_25000_row_import_answers_at_once_and_shows_its_progress_to_the_end(
    new_page, embedded_site, tmp_path
):
    url, database = embedded_site
    rows = [(str(n), f"Store {n}", f"Town {n % 97}") for n in range(1, STORES + 1)]
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([("Store Number", "Name", "City"), *rows])
    upload = tmp_path / "stores.csv"
    upload.write_text(text.getvalue())

    page = log_in(new_page, url)
    page.goto(f"{url}/account/imports/stores/upload/")
    page.locator("input[type=file]").set_input_files(str(upload))
    previewed = press_and_time(page, page.get_by_role("button", name="Upload and preview"))
    assert previewed < 1.0, f"the upload took {previewed:.2f} s"
    confirm = page.get_by_role("button", name=f"Import {STORES} stores")
    expect(confirm).to_be_visible()
    answered = press_and_time(page, confirm)
    assert answered < 1.0, f"the confirm took {answered:.2f} s"
    expect(page.locator("#import-progress")).to_contain_text("Importing…")
    snap(page, "embedded-import-running")
    seen, _ = watch(page, "#import-progress", lambda text: "Importing" not in text)
    expect(page.get_by_role("heading", name="Result")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Imported", exact=True)).to_be_visible()
    snap(page, "embedded-import-done")

    assert seen and all(maximum == str(STORES) for _, maximum, _ in seen)
    written = [int(value) for value, _, _ in seen]
    assert written == sorted(written) and written[0] < STORES
    assert any(0 < value < STORES for value in written), f"no progress shown: {written}"
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT number, name, city FROM accounts_store ORDER BY id").fetchall()
        status, created = db.execute(
            "SELECT status, created_count FROM core_importbatch"
        ).fetchone()
    assert (status, created) == ("applied", STORES)
    assert sorted(stored) == sorted(rows)
