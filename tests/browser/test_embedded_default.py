"""On the embedded default (SQLite, the filesystem broker, no Redis) long work runs in the
Procfile's worker, not in the request: "Load data from all connections" and a 25,000-row
import answer long before their work is done, and the page then shows their progress to the
end. How long the requests take is a benchmark's business (bench/bench_embedded_requests.py:
under a second); here, a request that did the work itself would take as long as the work.

The web server, the worker and beat are started exactly as `make run` starts them (the
Procfile), on a database and a var/ folder of this test's own; the browser drives them."""

import sqlite3
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.embedded import OWNER, PASSWORD, running_site, stores_file

CHILDREN = 4
PRODUCTS = 3000  # per child: enough that the load takes seconds, not moments
STORES = 25_000


@pytest.fixture
def embedded_site(tmp_path):
    with running_site(tmp_path, children=CHILDREN, products=PRODUCTS) as site:
        yield site


def log_in(new_page, url):
    page = new_page()
    page.goto(f"{url}/account/login/")
    page.get_by_label("Email").fill(OWNER)
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


READ_PROGRESS = """selector => {
    const box = document.querySelector(selector);
    const bar = box && box.querySelector("progress");
    return [box ? box.innerText : "", bar && bar.getAttribute("value"), bar && bar.getAttribute("max")];
}"""


def watch(page, selector, until, timeout=120):
    """Read the progress bar under `selector` until `until(text)`; every (value, max, text)
    seen on the way. Read in one step: htmx swaps the box every second, and reloads the
    whole page when the work is done."""
    seen, text = [], ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            text, value, maximum = page.evaluate(READ_PROGRESS, selector)
        except PlaywrightError:  # the page was navigating (htmx's refresh at the end)
            time.sleep(0.1)
            continue
        if value is not None:
            seen.append((value, maximum, text))
        if until(text):
            return seen, text
        time.sleep(0.1)
    raise AssertionError(f"still {text!r} after {timeout} s; saw {seen[-3:]}")


def test_load_all_answers_at_once_and_shows_its_progress_to_the_end(new_page, embedded_site):
    url, database = embedded_site
    page = log_in(new_page, url)
    page.goto(f"{url}/load-data/connections/")
    started = time.perf_counter()
    answered = press_and_time(
        page, page.get_by_role("button", name="Load data from all connections")
    )
    progress = page.locator("#load-progress")
    expect(progress).to_be_visible()
    snap(page, "embedded-load-all-running")
    seen, text = watch(page, "#load-progress", lambda text: "Done" in text)
    took = time.perf_counter() - started
    snap(page, "embedded-load-all-done")
    print(f"load all: the request took {answered:.2f} s, the load {took:.2f} s")
    assert answered < took / 3, f"the request took {answered:.2f} s of the load's {took:.2f} s"

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
    upload = tmp_path / "stores.csv"
    rows = stores_file(upload, STORES)

    page = log_in(new_page, url)
    page.goto(f"{url}/account/imports/stores/upload/")
    page.locator("input[type=file]").set_input_files(str(upload))
    previewed = press_and_time(page, page.get_by_role("button", name="Upload and preview"))
    confirm = page.get_by_role("button", name=f"Import {STORES} stores")
    expect(confirm).to_be_visible()
    started = time.perf_counter()
    answered = press_and_time(page, confirm)
    expect(page.locator("#import-progress")).to_contain_text("Importing…")
    snap(page, "embedded-import-running")
    seen, _ = watch(page, "#import-progress", lambda text: "Importing" not in text)
    took = time.perf_counter() - started
    print(f"import: the preview took {previewed:.2f} s, the confirm {answered:.2f} s, "
          f"the import {took:.2f} s")  # fmt: skip
    assert answered < took / 3, f"the confirm took {answered:.2f} s of the import's {took:.2f} s"
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
