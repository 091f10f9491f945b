"""The shared-inventory page under load, on PostgreSQL, served by gunicorn.

Data (generated with COPY): one retailer with 500 stores x 4,000 products
(2,000,000 stock rows) and 90 days of sales; a merchandising partner sharing
300 of the stores through a region. wrk drives the page with 10 connections:
unfiltered and filtered, first page and a deep page. Target: p95 <= 150 ms (issue 15);
the pages sorted by a column are printed apart.
"""

import datetime
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import copy_rows, gunicorn, setup_django

STORES, PRODUCTS, DAYS, SHARED = 500, 4000, 90, 300


DURATION = int(os.environ.get("BENCH_SECONDS", "15"))
LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT p50=%.1f p95=%.1f p99=%.1f requests=%d errors=%d\\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def build():
    """Create (once) the benchmark's retailer, partner, data and login; return the cookie and ids."""
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Membership, Organization, Region, Store
    from accounts.tenancy import SESSION_KEY
    from inventory.models import Product, SalesLine, Stock
    from partners.models import Partnership

    retailer = Organization.objects.filter(name="Bench Retailer").first()
    if retailer is None or Stock.objects.filter(organization=retailer).count() < STORES * PRODUCTS:
        if retailer is not None:
            retailer.delete()
        started = time.perf_counter()
        retailer = Organization.objects.create(name="Bench Retailer", is_retailer=True)
        partner = Organization.objects.get_or_create(
            name="Bench Merchandiser", defaults={"is_merchandiser": True}
        )[0]
        now = timezone.now()
        rng = random.Random(5)
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor
            copy_rows(raw, "accounts_store",
                      ["organization_id", "number", "name", "banner", "address", "city", "state", "postal_code",
                       "country", "phone", "is_open", "created_at", "updated_at"],
                      ((retailer.pk, str(i), f"Store {i}", "Bench", "", f"Town {i % 97}", "AR", "72756", "US", "",
                        True, now, now) for i in range(1, STORES + 1)))  # fmt: skip
            copy_rows(raw, "inventory_product",
                      ["organization_id", "sku", "sku_normalized", "name", "vendor_name", "category", "unit_cost",
                       "retail_price", "unit", "created_at", "updated_at"],
                      ((retailer.pk, f"SKU{i:05d}", f"SKU{i:05d}", f"Product {i} {rng.choice(['Vodka', 'Gin', 'Rum', 'Whiskey'])}",
                        f"Vendor {i % 40}", f"Category {i % 25}", 4, 6, "", now, now) for i in range(1, PRODUCTS + 1)))  # fmt: skip
            store_ids = list(
                Store.objects.filter(organization=retailer)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            product_ids = list(
                Product.objects.filter(organization=retailer)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            copy_rows(raw, "inventory_stock",
                      ["organization_id", "store_id", "product_id", "on_hand", "on_order", "updated_at"],
                      ((retailer.pk, s, p, (s * 7 + p) % 50, 0, now) for s in store_ids for p in product_ids))  # fmt: skip
            day0 = now.date()
            copy_rows(raw, "inventory_salesline",
                      ["organization_id", "date", "store_id", "product_id", "quantity", "retail_amount", "cost_amount",
                       "customer_reference", "source_ref"],
                      ((retailer.pk, day0 - datetime.timedelta(days=d), s, product_ids[(s * 31 + d * 7 + k) % PRODUCTS],
                        2, 12, 8, "", f"b{d}-{s}-{k}")
                       for d in range(DAYS) for s in store_ids for k in range(20)))  # fmt: skip
        region = Region.objects.create(organization=retailer, name="Bench shared stores")
        region.stores.set(store_ids[:SHARED])
        share = Partnership.objects.create(
            organization=retailer, partner=partner, scope="merchandising", status="active"
        )
        share.regions.add(region)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"  generated data in {time.perf_counter() - started:.1f} s")
    partner = Organization.objects.get(name="Bench Merchandiser")
    user = get_user_model().objects.filter(
        email="rep@bench.example"
    ).first() or get_user_model().objects.create_user("rep@bench.example", "bench-password-1")
    Membership.objects.get_or_create(user=user, organization=partner)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session[SESSION_KEY] = partner.pk
    session.create()
    counts = {
        "stock": Stock.objects.filter(organization=retailer).count(),
        "sales": SalesLine.objects.filter(organization=retailer).count(),
    }
    return session.session_key, retailer.pk, counts


def main():
    # The login session is made here and read by gunicorn: both sign with the same key.
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
    setup_django()
    if not shutil.which("wrk"):
        print("wrk is missing: apt-get install -y wrk")
        sys.exit(1)
    cookie, owner_id, counts = build()
    print(
        f"  data: {counts['stock']:,} stock rows, {counts['sales']:,} sales lines; {SHARED} stores shared"
    )
    with gunicorn("inventory-page") as server:
        base = f"{server}/inventory/o/{owner_id}/"
        _wait(base, cookie)
        deep = _deep_cursor(base, cookie, pages=40)
        deep_filtered = _deep_cursor(base + "?q=Whiskey", cookie, pages=10)
        # A cursor half-way through the share: row 598,000 of 1,200,000, page ~11,960.
        from accounts.models import Store
        from inventory.models import Product

        middle = "{}.{}".format(
            Store.objects.get(organization_id=owner_id, number="150").pk,
            Product.objects.get(organization_id=owner_id, sku="SKU02000").pk,
        )
        cases = {
            "unfiltered, first page": base,
            f"unfiltered, page 41 ({deep})": f"{base}?after={deep}",
            f"unfiltered, page ~11,960 ({middle})": f"{base}?after={middle}",
            "filtered (q=Whiskey), first page": f"{base}?q=Whiskey",
            f"filtered, page 11 ({deep_filtered})": f"{base}?q=Whiskey&after={deep_filtered}",
            "filtered (store 150), first page": f"{base}?store=150",
        }
        # Sorted by a column: no index serves these orders, so they are reported apart.
        sorted_cases = {
            "sorted by on hand (most first)": f"{base}?sort=-on_hand",
            "store 150, sorted by on hand": f"{base}?store=150&sort=-on_hand",
            "q=Whiskey, sorted by SKU": f"{base}?q=Whiskey&sort=sku",
        }
        script = Path("/tmp/bench-wrk.lua")
        script.write_text(LUA)
        worst = 0.0
        connections = int(os.environ.get("BENCH_CONNECTIONS", "10"))
        print(
            f"  gunicorn 3 workers; wrk 2 threads, {connections} connections, {DURATION} s per case"
        )
        sorted_worst = 0.0
        for label, url in {**cases, **sorted_cases}.items():
            out = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", f"-d{DURATION}s", "-s", str(script), "-H", f"Cookie: sessionid={cookie}", url],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            figures = dict(re.findall(r"(\w+)=([\d.]+)", out.split("RESULT", 1)[1]))
            if label in sorted_cases:
                sorted_worst = max(sorted_worst, float(figures["p95"]))
            else:
                worst = max(worst, float(figures["p95"]))
            print(f"  {label:<40} p50 {float(figures['p50']):7.1f} ms   p95 {float(figures['p95']):7.1f} ms   "
                  f"p99 {float(figures['p99']):7.1f} ms   {int(figures['requests']):>6} requests, "
                  f"{int(figures['errors'])} errors")  # fmt: skip
        print(f"  worst p95 {worst:.1f} ms, target <= 150 ms: {'ok' if worst <= 150 else 'MISSED'}")
        print(f"  worst p95 sorted by a column {sorted_worst:.1f} ms (no target)")


def _wait(url, cookie):
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})
    for _ in range(60):
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                body = response.read().decode()
                assert "stock-" in body, "the page shows no stock rows"
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer")


def _deep_cursor(url, cookie, pages):
    """Follow "Next page" `pages` times; return that page's cursor."""
    cursor = ""
    for _ in range(pages):
        page_url = url + (("&" if "?" in url else "?") + f"after={cursor}" if cursor else "")
        request = urllib.request.Request(page_url, headers={"Cookie": f"sessionid={cookie}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode()
        match = re.search(r'href="\?[^"]*?after=(\d+\.\d+)[^"]*"[^>]*>Next page', body)
        if not match:
            break
        cursor = match.group(1)
    return cursor


if __name__ == "__main__":
    main()
