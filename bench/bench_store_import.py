"""Import a generated 50,000-store file through the import machinery on PostgreSQL.

Target (issue 3): under 5 s, peak memory under 300 MB, on these 2-core machines.
Time covers reading, preview and apply (upload → preview → confirm). Memory is the
process's peak resident size, Django and all.
"""

import random
import sys
import time

from bench.common import peak_rss_mb, report, setup_django, trials

STORES = 50_000
STATES = ["AR", "TX", "MO", "OK", "KS", "LA", "TN", "MS", "AL", "GA"]


def generate(n=STORES, seed=50):
    rng = random.Random(seed)
    lines = ["Store Number,Store Name,Banner,Address,City,State,ZIP,Latitude,Longitude,Phone"]
    for i in range(1, n + 1):
        state = rng.choice(STATES)
        lines.append(
            f'{i},"Store {i}, {state}",{rng.choice(["Supercenter", "Discount", "Market"])},'
            f"{rng.randrange(1, 9999)} Main St,Town {rng.randrange(500)},{state},"
            f"{rng.randrange(10000, 99999)},{rng.uniform(25, 49):.6f},{rng.uniform(-124, -67):.6f},"
            f"(555) {rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}"
        )
    return ("\n".join(lines) + "\n").encode()


def trial():
    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Organization, Store
    from core.imports.registry import importer_for
    from core.imports.service import confirm, start_import
    from core.models import ImportBatch

    data = generate()
    organization = Organization.objects.create(name=f"Bench {time.time_ns()}", is_retailer=True)
    importer = importer_for("stores")

    started = time.perf_counter()
    batch = start_import(
        organization=organization,
        user=None,
        importer=importer,
        uploaded_file=SimpleUploadedFile("stores-50k.csv", data),
    )
    previewed = time.perf_counter()
    confirm(batch=batch, importer=importer, user=None, valid_only=False, inline=True)
    finished = time.perf_counter()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED, batch.message
    assert Store.objects.for_org(organization).count() == STORES

    # The same file again: everything unchanged, nothing written.
    again_started = time.perf_counter()
    again = start_import(
        organization=organization,
        user=None,
        importer=importer,
        uploaded_file=SimpleUploadedFile("stores-50k.csv", data),
    )
    again_finished = time.perf_counter()
    assert again.unchanged == STORES

    organization.delete()
    print(
        f"import_50k_seconds={finished - started:.3f} preview_seconds={previewed - started:.3f} "
        f"apply_seconds={finished - previewed:.3f} reupload_preview_seconds="
        f"{again_finished - again_started:.3f} peak_rss_mb={peak_rss_mb():.1f}"
    )


def main():
    results = trials("bench.bench_store_import", runs=3)
    report(
        "Store import, 50,000 new stores, PostgreSQL",
        results,
        {"import_50k_seconds": 5, "peak_rss_mb": 300},
    )


if __name__ == "__main__":
    if "--trial" in sys.argv:
        trial()
    else:
        main()
