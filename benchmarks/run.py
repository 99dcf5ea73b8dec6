"""Run every benchmark suite: ``python -m benchmarks.run [--quick] [suite ...]``.

Each ``benchmarks/suite_<name>.py`` defines ``run(quick: bool) -> Path`` and
writes ``benchmarks/results/<name>.md``. Peers (adapt, skada, densratio) are
measured when installed (``pip install -e ".[bench]"``) and skipped otherwise.
"""

import argparse
import importlib
import pkgutil
import sys
import time
from pathlib import Path

from benchmarks._harness import pin_threads_env


def available_suites():
    here = Path(__file__).resolve().parent
    return sorted(
        m.name[len("suite_"):]
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("suite_")
    )


def main(argv=None):
    pin_threads_env()  # before numpy and the peers are imported
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suites", nargs="*", help=f"any of {available_suites()}")
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes)")
    args = parser.parse_args(argv)
    names = args.suites or available_suites()
    unknown = sorted(set(names) - set(available_suites()))
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; available: {available_suites()}")
    failed = []
    for name in names:
        t0 = time.perf_counter()
        print(f"== {name} ({'quick' if args.quick else 'full'})", flush=True)
        try:
            importlib.import_module(f"benchmarks.suite_{name}").run(quick=args.quick)
        except Exception as exc:  # keep going: one broken suite must not hide others
            failed.append(name)
            print(f"!! suite {name} failed: {exc!r}", file=sys.stderr)
        print(f"   {name} took {time.perf_counter() - t0:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
