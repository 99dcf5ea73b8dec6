"""Run every benchmark suite: ``python -m benchmarks.run [--quick] [suite ...]``.

Each ``benchmarks/suite_<name>.py`` defines ``run(quick: bool) -> Path`` and
writes ``benchmarks/results/<name>.md`` (``<name>.quick.md`` with ``--quick``).
Peers (adapt, skada, densratio) are measured when installed
(``pip install -e ".[bench]"``) and skipped otherwise.

``--smoke`` runs tiny sizes of ours only (the test suite uses it so the suites
cannot rot); ``--results-dir`` redirects the tables (or set
``INSTRANSFER_BENCH_RESULTS``).
"""

import argparse
import importlib
import os
import pkgutil
import sys
import time
import traceback
from pathlib import Path

from benchmarks._harness import pin_threads_env


def available_suites():
    here = Path(__file__).resolve().parent
    return sorted(
        m.name[len("suite_") :]
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("suite_")
    )


def check_results():
    """Print every full results file whose code changed since it was written."""
    from benchmarks._harness import RESULTS, stale_reason
    from benchmarks.readme import quoted_files

    quoted = set(quoted_files())
    bad = 0
    for path in sorted(RESULTS.glob("*.md")):
        reason = stale_reason(path)
        if reason is None:
            continue
        mark = "README quotes it" if path.name in quoted else "not quoted"
        print(f"{path.name}: {reason} ({mark})")
        bad += path.name in quoted
    print(f"{bad} results file(s) quoted by the README are stale")
    return 1 if bad else 0


def main(argv=None):
    pin_threads_env()  # before numpy and the peers are imported
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("suites", nargs="*", help=f"any of {available_suites()}")
    parser.add_argument("--quick", action="store_true", help="small sizes (minutes)")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, ours only, one repetition: checks that suites run",
    )
    parser.add_argument(
        "--no-peers", action="store_true", help="skip adapt/skada/densratio"
    )
    parser.add_argument(
        "--results-dir", help="write tables here instead of benchmarks/results"
    )
    parser.add_argument(
        "--part",
        action="append",
        help="run only this part of a suite that has parts (repeatable), "
        "e.g. --part cohorts for the quality suite",
    )
    parser.add_argument("--list", action="store_true", help="list suites and exit")
    parser.add_argument(
        "--check",
        action="store_true",
        help="list results files older than the code they measured; exit 1 if "
        "a file the README quotes is among them",
    )
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(available_suites()))
        return 0
    if args.check:
        return check_results()
    if args.smoke:
        os.environ["INSTRANSFER_BENCH_SMOKE"] = "1"
    if args.no_peers:
        os.environ["INSTRANSFER_BENCH_PEERS"] = "0"
    if args.results_dir:
        os.environ["INSTRANSFER_BENCH_RESULTS"] = str(Path(args.results_dir).resolve())
    if args.part:
        os.environ["INSTRANSFER_BENCH_PARTS"] = ",".join(args.part)
    quick = args.quick or args.smoke
    names = args.suites or available_suites()
    unknown = sorted(set(names) - set(available_suites()))
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; available: {available_suites()}")
    failed = []
    mode = "smoke" if args.smoke else "quick" if quick else "full"
    for name in names:
        t0 = time.perf_counter()
        print(f"== {name} ({mode})", flush=True)
        try:
            importlib.import_module(f"benchmarks.suite_{name}").run(quick=quick)
        except Exception as exc:  # keep going: one broken suite must not hide others
            failed.append(name)
            traceback.print_exc()
            print(f"!! suite {name} failed: {exc!r}", file=sys.stderr)
        print(f"   {name} took {time.perf_counter() - t0:.1f} s", flush=True)
    if failed:
        print(f"!! failed suites: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
