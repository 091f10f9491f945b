"""`make bench`: run every benchmark module in this folder and print its figures.

Benchmarks measure speed and memory; they are never part of the test suite.
Each module has a `main()` that prints its own figures.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main():
    folder = Path(__file__).parent
    names = [m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_")]
    if not names:
        print("No benchmarks yet.")
        return 0
    for name in sorted(names):
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
