"""`manage.py seed_demo` on PostgreSQL against SQLite, each into a fresh database.

Each run is `manage.py seed_demo` in its own process (as `make seed` runs it), into a
database just made and migrated (the migration is not timed): on SQLite a copy of a
migrated file, on PostgreSQL a database created from a migrated template, so its tables
are empty and have no statistics, as on a new install. seed_demo loads the demo's public
files through the real imports, connects two shops to a master, loads them, refreshes the
rollups and rebuilds the plan: the statistics-sensitive paths run on tables that were
empty a moment before.

Target: the median on PostgreSQL is at most 2x the median on SQLite (medians of
BENCH_TRIALS runs, default 3). The databases are named after DATABASE_URL's with
`_seed` (and `_seed_template`) appended, and dropped after.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import DEFAULT_DATABASE_URL, machine_seconds

TRIALS = int(os.environ.get("BENCH_TRIALS", "3"))
TARGET_RATIO = 2.0
ROOT = Path(__file__).resolve().parent.parent


def _manage(database_url, media, *args):
    """Run manage.py in a fresh process; returns its wall time in seconds."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DATABASE_URL=database_url, DEBUG="on", LOG_LEVEL="WARNING", MEDIA_ROOT=str(media))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(
            f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
        )
    return seconds


def time_sqlite(folder):
    template = folder / "template.sqlite3"
    _manage(f"sqlite:///{template}", folder / "media", "migrate", "--noinput")
    times = []
    for run in range(TRIALS):
        database = folder / f"run{run}.sqlite3"
        shutil.copyfile(template, database)
        times.append(_manage(f"sqlite:///{database}", folder / f"media{run}", "seed_demo"))
        database.unlink()
    return times


def time_postgresql(folder):
    import psycopg

    base, name = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL).rsplit("/", 1)
    template, fresh = f"{name}_seed_template", f"{name}_seed"

    def admin(*statements):
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)

    admin(f'DROP DATABASE IF EXISTS "{fresh}"', f'DROP DATABASE IF EXISTS "{template}"',
          f'CREATE DATABASE "{template}"')  # fmt: skip
    try:
        _manage(f"{base}/{template}", folder / "media", "migrate", "--noinput")
        times = []
        for run in range(TRIALS):
            admin(f'DROP DATABASE IF EXISTS "{fresh}"',
                  f'CREATE DATABASE "{fresh}" TEMPLATE "{template}"')  # fmt: skip
            times.append(_manage(f"{base}/{fresh}", folder / f"pg-media{run}", "seed_demo"))
    finally:
        admin(f'DROP DATABASE IF EXISTS "{fresh}"', f'DROP DATABASE IF EXISTS "{template}"')
    return times


def main():
    with tempfile.TemporaryDirectory(prefix="bench-seed-demo-") as folder:
        folder = Path(folder)
        sqlite = time_sqlite(folder)
        postgresql = time_postgresql(folder)
    print(f"seed_demo into a fresh database ({TRIALS} runs each, fresh process each)")
    print(f"  machine: a fixed Python loop took {machine_seconds():.3f} s (median of 5)")
    lite, pg = statistics.median(sqlite), statistics.median(postgresql)
    ratio = pg / lite
    passed = ratio <= TARGET_RATIO
    print(f"  sqlite_s     median {lite:7.2f}   runs: " + ", ".join(f"{v:.2f}" for v in sqlite))
    print(f"  postgresql_s median {pg:7.2f}   runs: " + ", ".join(f"{v:.2f}" for v in postgresql))
    print(f"  ratio        {ratio:.2f}   target <= {TARGET_RATIO}: {'ok' if passed else 'MISSED'}")
    return passed


if __name__ == "__main__":
    main()
