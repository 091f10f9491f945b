"""Who uses Shelfshare at once, for locust: owners browsing and exporting, merchandiser reps
adjusting stock and updating tasks (several on the same rows), vendors reading, planners
loading all connections. Run by bench/loadtest/run.py, which makes the data and the config
this reads (LOADTEST_CONFIG) and checks what this writes (LOADTEST_OUTCOMES).

Each user logs in through the login form with its CSRF token, as a browser does. Requests
are named by page, so the figures are per page. A save refused because the form was stale
(core/versions.py) is an expected answer under contention: it is counted apart, never as an
adjustment or an update."""

import json
import os
import random
import re
import time
from collections import defaultdict
from pathlib import Path

from locust import HttpUser, between, events, task

CONFIG = json.loads(Path(os.environ["LOADTEST_CONFIG"]).read_text())
STALE = "your change was not saved"

# What the runner checks against the database: every save locust saw accepted, how many
# were refused as stale, and any save whose answer never came.
OUTCOMES = {
    "adjustments": [],
    "stale_adjustments": 0,
    "task_updates": [],
    "stale_task_updates": 0,
    "unanswered_saves": [],
    "load_runs": [],
    "times": defaultdict(list),
    "failures": defaultdict(int),
    # The app's id of each answer (X-Request-ID), so the runner finds gunicorn's own time
    # for it in the access log: the time without the wait for a free worker.
    "request_ids": defaultdict(list),
}


@events.request.add_listener
def _record(name, response_time, exception, response=None, **kwargs):
    OUTCOMES["times"][name].append(response_time)
    if exception is not None:
        OUTCOMES["failures"][name] += 1
    request_id = response.headers.get("X-Request-ID") if response is not None else None
    if request_id:
        OUTCOMES["request_ids"][name].append(request_id)


@events.quitting.add_listener
def _write_outcomes(**kwargs):
    Path(os.environ["LOADTEST_OUTCOMES"]).write_text(json.dumps(OUTCOMES))


def judged_session(session):
    """Every request of `session` is judged as well as by its status: a page that sent the
    user to the login form failed, though that form answers 200.

    And the Secure cookies come back: in production a proxy serves HTTPS, so the app marks
    its session and CSRF cookies Secure (config/settings.py). The load test speaks plain
    HTTP to gunicorn itself, so after each answer its cookies lose the flag and the client
    sends them back, as the browser behind the proxy would. (A cookie policy is no help:
    requests copies the jar into a default one for every request.)"""
    send = session.request

    def request(method, url, *args, catch_response=False, **kwargs):
        response = send(method, url, *args, catch_response=True, **kwargs)
        for cookie in session.cookies:
            cookie.secure = False
        if catch_response:
            return response  # the caller judges it
        with response:
            if response.history and "/account/login/" in (response.url or ""):
                response.failure(f"sent to the login form from {url}")
        return response

    session.request = request


def input_value(html, name):
    """The value of the form input `name` on a page, or None."""
    tag = re.search(rf'<input[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    if tag is None:
        return None
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def page_errors(html):
    """A form's errors, for a failure's message."""
    found = re.findall(r'class="(?:form-errors|field-error)"[^>]*>(.*?)</', html, re.S)
    return " | ".join(re.sub(r"<[^>]+>", "", e).strip() for e in found)[:300] or html[:200]


class ShelfshareUser(HttpUser):
    abstract = True
    logins: tuple = ()
    _next_login = defaultdict(int)

    def on_start(self):
        judged_session(self.client)
        kind = type(self).__name__
        self.email = self.logins[ShelfshareUser._next_login[kind] % len(self.logins)]
        ShelfshareUser._next_login[kind] += 1
        page = self.client.get("/account/login/", name="login (form)")
        with self.client.post(
            "/account/login/",
            data={
                "csrfmiddlewaretoken": input_value(page.text, "csrfmiddlewaretoken"),
                "username": self.email,
                "password": CONFIG["password"],
            },
            name="login (save)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{self.email} could not log in: {response.status_code}")

    def htmx(self, url, name):
        return self.client.get(url, name=name, headers={"HX-Request": "true"})

    def save(self, url, data, name, page):
        """POST a form read from `page`; returns the response, whose answer the caller
        judges. A POST whose answer never comes is written down: it may have been saved."""
        data = {"csrfmiddlewaretoken": input_value(page, "csrfmiddlewaretoken"), **data}
        OUTCOMES["unanswered_saves"].append(url)
        try:
            return self.client.post(
                url, data=data, name=name, allow_redirects=False, catch_response=True
            )
        finally:
            OUTCOMES["unanswered_saves"].remove(url)


class Owner(ShelfshareUser):
    """The retailer's owners and admins: inventory, stores, tasks and partners pages, the
    live feeds their pages poll, and CSV exports."""

    weight = 14
    wait_time = between(1, 5)
    logins = tuple(CONFIG["owners"])
    stock_url = f"/inventory/o/{CONFIG['retailer_id']}/"

    @task(4)
    def inventory_list(self):
        page = self.client.get("/inventory/", name="inventory list")
        nxt = re.search(r'href="\?([^"]*after=[^"]*)"', page.text)
        if nxt:
            self.client.get(
                f"{self.stock_url}?{nxt.group(1).replace('&amp;', '&')}",
                name="inventory list (next page)",
            )
        latest = re.search(r"activity/\?since=(\d+)", page.text)
        since = latest.group(1) if latest else "0"
        for _ in range(2):  # the page polls its activity feed every 3 s while open
            time.sleep(3)
            self.htmx(f"/inventory/activity/?since={since}", "inventory activity (poll)")

    @task(3)
    def inventory_by_store(self):
        store = random.choice(CONFIG["owner_store_numbers"])
        self.client.get(f"{self.stock_url}?store={store}", name="inventory list (store filter)")
        self.htmx(f"{self.stock_url}totals/?store={store}", "inventory totals")

    @task(3)
    def product(self):
        product = random.choice(CONFIG["products"])
        self.client.get(f"{self.stock_url}products/{product}/", name="product")

    @task(1)
    def inventory_export(self):
        if random.random() < 0.5:
            self.client.get(f"{self.stock_url}export.csv", name="inventory export (csv, all)")
        else:
            store = random.choice(CONFIG["owner_store_numbers"])
            self.client.get(
                f"{self.stock_url}export.csv?store={store}", name="inventory export (csv, store)"
            )

    @task(2)
    def stores(self):
        self.client.get("/account/stores/", name="stores list")
        self.client.get("/account/regions/", name="regions list")

    @task(1)
    def stores_export(self):
        self.client.get("/account/stores/export.csv", name="stores export (csv)")

    @task(3)
    def task_pages(self):
        self.client.get("/tasks/", name="tasks list")
        self.htmx("/tasks/activity/", "tasks activity (poll)")
        task_id = random.choice(CONFIG["hot_tasks"] + CONFIG["tasks"])
        page = self.client.get(f"/tasks/{task_id}/", name="task detail")
        version = input_value(page.text, "version") or "0"
        time.sleep(3)
        self.htmx(f"/tasks/{task_id}/timeline/?since=0&version={version}", "task timeline (poll)")

    @task(2)
    def partners(self):
        self.client.get("/partners/connections/", name="partner connections")
        self.client.get("/partners/permissions/", name="partner permissions")

    @task(1)
    def home(self):
        self.client.get("/", name="home")


class Rep(ShelfshareUser):
    """FieldForce's reps in the retailer's stores: adjust stock and update tasks, half the
    time on a few rows and tasks every rep works, so saves meet."""

    weight = 20
    wait_time = between(1, 4)
    logins = tuple(CONFIG["reps"])
    stock_url = f"/inventory/o/{CONFIG['retailer_id']}/"

    def _pick(self, hot, rest):
        return random.choice(CONFIG[hot] if random.random() < 0.5 else CONFIG[rest])

    @task(2)
    def shared_inventory(self):
        self.client.get("/inventory/", name="inventory (shared with us)")
        store = random.choice(CONFIG["rep_store_numbers"])
        self.client.get(f"{self.stock_url}?store={store}", name="inventory list (rep)")

    @task(5)
    def adjust_stock(self):
        stock_id = self._pick("hot_stock", "stock")
        url = f"/inventory/stock/{stock_id}/adjust/"
        page = self.client.get(url, name="adjust stock (form)").text
        version, on_hand = input_value(page, "version"), input_value(page, "on_hand")
        if version is None or not (on_hand or "").isdigit():
            raise RuntimeError(f"The adjust page of stock {stock_id} has no version or on hand.")
        before = int(on_hand)
        retail = CONFIG["retail_prices"].get(str(stock_id))
        time.sleep(random.uniform(0.5, 2.5))  # counting the shelf
        if retail and random.random() < 0.1:
            kind, after, price = "markdown", before, f"{float(retail) * 0.9:.2f}"
        else:
            kind = random.choice(["count", "count", "count", "damage", "transfer"])
            after = max(0, before + random.choice([-3, -2, -1, 1, 2, 3, 4, 5]))
            after = after if after != before else before + 1
            price = ""
        data = {"version": version, "kind": kind, "on_hand": after, "price": price,
                "note": f"Load test {kind} by {self.email}"}  # fmt: skip
        with self.save(url, data, "adjust stock (save)", page) as response:
            if response.status_code == 302:
                OUTCOMES["adjustments"].append(
                    {"stock": stock_id, "before": before, "after": after, "kind": kind}
                )
            elif response.status_code == 200 and STALE in response.text:
                OUTCOMES["stale_adjustments"] += 1
            else:
                response.failure(f"{response.status_code}: {page_errors(response.text)}")

    @task(1)
    def tasks_list(self):
        self.client.get("/tasks/", name="tasks list (rep)")

    @task(3)
    def update_task(self):
        task_id = self._pick("hot_tasks", "tasks")
        url = f"/tasks/{task_id}/"
        page = self.client.get(url, name="task detail (rep)").text
        version, percent = input_value(page, "version"), input_value(page, "percent")
        if version is None or percent is None:
            raise RuntimeError(f"The page of task {task_id} has no update form.")
        time.sleep(random.uniform(1, 3))  # writing the note
        new_percent = random.choice([p for p in range(5, 100, 5) if str(p) != percent])
        data = {"version": version, "status": "in_progress", "percent": new_percent,
                "note": f"Load test: {new_percent}% by {self.email}", "reason": ""}  # fmt: skip
        with self.save(url, data, "task update (save)", page) as response:
            if response.status_code == 302:
                OUTCOMES["task_updates"].append(
                    {"task": task_id, "before": int(percent or 0), "after": new_percent}
                )
            elif response.status_code == 200 and STALE in response.text:
                OUTCOMES["stale_task_updates"] += 1
            else:
                response.failure(f"{response.status_code}: {page_errors(response.text)}")


class Vendor(ShelfshareUser):
    """Diageo's people: the retailer's stock and sales of their products, read only."""

    weight = 12
    wait_time = between(1, 5)
    logins = tuple(CONFIG["vendors"])
    stock_url = f"/inventory/o/{CONFIG['retailer_id']}/"

    @task(2)
    def shared_inventory(self):
        self.client.get("/inventory/", name="inventory (shared with us)")
        self.client.get(self.stock_url, name="inventory list (vendor)")

    @task(2)
    def inventory_by_store(self):
        store = random.choice(CONFIG["owner_store_numbers"])
        self.client.get(f"{self.stock_url}?store={store}", name="inventory list (vendor)")
        self.htmx(f"{self.stock_url}totals/?store={store}", "inventory totals (vendor)")

    @task(4)
    def product_sales(self):
        product = random.choice(CONFIG["vendor_products"])
        self.client.get(f"{self.stock_url}products/{product}/", name="product (vendor)")

    @task(1)
    def export(self):
        self.client.get(f"{self.stock_url}export.csv", name="inventory export (csv, vendor)")


class Planner(ShelfshareUser):
    """Users of the master account: "Load data from all connections" now and then, its
    progress polled as the page does (every second) to the end, and the order plan."""

    fixed_count = 2
    wait_time = between(2, 6)
    logins = tuple(CONFIG["planners"])

    @task(1)
    def load_all(self):
        page = self.client.get("/load-data/connections/", name="connections").text
        with self.save("/load-data/load/", {}, "load all (press)", page) as response:
            if response.status_code != 302:
                response.failure(f"{response.status_code}: {page_errors(response.text)}")
                return
            run_url = response.headers["Location"]
        run_id = int(re.search(r"/loads/(\d+)/", run_url).group(1))
        if run_id not in OUTCOMES["load_runs"]:
            OUTCOMES["load_runs"].append(run_id)
        self.client.get(run_url, name="load progress")
        for _ in range(600):
            time.sleep(1)
            with self.client.get(
                run_url, name="load progress (poll)", headers={"HX-Request": "true"},
                catch_response=True,
            ) as progress:  # fmt: skip
                if 'hx-trigger="every 1s"' in progress.text:
                    continue
                if "This load stopped" in progress.text or '<h2 class="h3">Errors' in progress.text:
                    progress.failure(f"load run {run_id} failed: {page_errors(progress.text)}")
                return

    @task(4)
    def plan(self):
        self.client.get("/load-data/plan/", name="order plan")
        self.client.get("/load-data/plan/?page=2", name="order plan (page 2)")

    @task(3)
    def item(self):
        item = random.choice(CONFIG["plan_items"])
        self.client.get(f"/load-data/items/{item}/", name="plan item")

    @task(1)
    def plan_export(self):
        self.client.get("/load-data/plan/export.csv", name="order plan export (csv)")
