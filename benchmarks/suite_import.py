"""Import time and memory: instransfer vs ``import sklearn.base`` and the peers.

Every measurement is a fresh interpreter (pinned threads), timed around the
import statement alone; rounds are interleaved across statements and one
untimed warm-up round fills the disk cache. Memory is the peak RSS during the
import statement minus the RSS just before it (the kernel's high-water mark,
reset before the statement).
"""

import statistics

from benchmarks._harness import (
    _rss_code,
    fmt_bytes,
    fmt_ratio,
    fmt_time,
    have_peer,
    is_smoke,
    markdown_table,
    run_python,
    spread,
    write_results,
)

NAME = "import"

# Modules a light library must not pull in at import.
HEAVY = (
    "matplotlib",
    "xgboost",
    "tensorflow",
    "torch",
    "lifelines",
    "pandas",
    "scipy.optimize",
    "sklearn.neighbors",
    "sklearn.linear_model",
)

_CHILD = """
import json, sys, time
{pre}
reset_peak_rss()
rss0 = current_rss_bytes()
before = set(sys.modules)
t0 = time.perf_counter()
{stmt}
seconds = time.perf_counter() - t0
rss = max_rss_bytes()
new = set(sys.modules) - before
routing = None
if "sklearn" in sys.modules:
    routing = bool(sys.modules["sklearn"].get_config()["enable_metadata_routing"])
print(json.dumps({{
    "seconds": seconds, "rss": rss - rss0, "n_modules": len(new),
    "heavy": [m for m in {heavy!r} if m in sys.modules], "routing": routing,
    "extra": globals().get("extra"),
}}))
"""

# Touch every public top-level name (classes and functions, not subpackages);
# names whose module has not landed yet are listed, not fatal.
_ALL_NAMES = """
import instransfer
extra = {"missing": []}
for _n in instransfer.__all__:
    if _n in ("boosting", "datasets", "density_ratio", "metrics",
              "model_selection", "plotting", "utils"):
        continue
    try:
        getattr(instransfer, _n)
    except (ImportError, AttributeError):
        extra["missing"].append(_n)
"""

CASES = [
    # key, label, statement, library (None: always run)
    ("python", "bare interpreter (`pass`)", "pass", None),
    ("numpy", "`import numpy`", "import numpy", None),
    ("sklearn", "`import sklearn.base` — baseline", "import sklearn.base", None),
    ("it", "`import instransfer`", "import instransfer", None),
    (
        "it_clf",
        "`from instransfer import ClassifierWeighter`",
        "from instransfer import ClassifierWeighter",
        None,
    ),
    (
        "it_iw",
        "`from instransfer import ImportanceWeightedClassifier, ClassifierWeighter`"
        " + `.fit` ready",
        "from instransfer import ImportanceWeightedClassifier, ClassifierWeighter\n"
        "import sklearn.linear_model",
        None,
    ),
    ("it_all", "every public name of `instransfer`", _ALL_NAMES, None),
    ("adapt", "`import adapt`", "import adapt", "adapt"),
    ("skada", "`import skada`", "import skada", "skada"),
    ("densratio", "`import densratio`", "import densratio", "densratio"),
]


def _codes(cases, increments=True):
    """Child programs: each statement alone, and (ours) after an untimed
    ``import sklearn.base`` — the increment a scikit-learn user pays."""
    probes = _rss_code()  # peak-RSS functions, defined before anything is timed
    codes = {}
    for key, _, stmt, _ in cases:
        codes[key] = probes + _CHILD.format(pre="", stmt=stmt, heavy=HEAVY)
        if increments and key.startswith("it"):
            codes[key + "+"] = probes + _CHILD.format(
                pre="import sklearn.base", stmt=stmt, heavy=HEAVY
            )
    return codes


def _measure(codes, repeat, warmup=True):
    if warmup:  # disk cache, .pyc files
        for code in codes.values():
            run_python(code)
    runs = {key: [] for key in codes}
    for _ in range(repeat):
        for key, code in codes.items():
            runs[key].append(run_python(code))
    return runs


def run(quick):
    smoke = is_smoke()
    repeat = 1 if smoke else 3 if quick else 7
    cases = [c for c in CASES if c[3] is None or have_peer(c[3])]
    if smoke:
        cases = [c for c in cases if c[0] in ("it", "it_all")]
    runs = _measure(_codes(cases, increments=not smoke), repeat, warmup=not smoke)
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    best = {k: min(r["seconds"] for r in v) for k, v in runs.items()}
    mem = {k: statistics.median(r["rss"] for r in v) for k, v in runs.items()}
    rows = []
    for key, label, _, _ in cases:
        last = runs[key][-1]
        times = [r["seconds"] for r in runs[key]]
        inc = inc_mem = ""
        if key + "+" in runs:
            inc = f"{fmt_time(med[key + '+'])} (min {fmt_time(best[key + '+'])})"
            inc_mem = fmt_bytes(mem[key + "+"])
        heavy = ", ".join(last["heavy"]) or "none"
        rows.append(
            [
                label,
                f"{fmt_time(med[key])} ±{100 * spread(times):.0f}% "
                f"(min {fmt_time(best[key])})",
                inc,
                fmt_bytes(mem[key]),
                inc_mem,
                last["n_modules"],
                heavy,
                {True: "**on**", False: "off", None: "–"}[last["routing"]],
            ]
        )
    header = [
        "statement (fresh interpreter)",
        f"time alone (median of {repeat} ±half-range)",
        "time after an untimed `import sklearn.base`",
        "peak RSS added",
        "peak RSS added after `import sklearn.base`",
        "modules loaded (alone)",
        "heavy modules loaded",
        "sklearn metadata routing after",
    ]
    table = markdown_table(header, rows)

    checks = []
    for key in ("it", "it_clf", "it_iw", "it_all"):
        if key not in runs:
            continue
        bad = [m for m in runs[key][-1]["heavy"] if m in ("matplotlib", "xgboost")]
        label = next(c[1] for c in cases if c[0] == key)
        verdict = (
            "neither matplotlib nor xgboost" if not bad else f"**{', '.join(bad)}**"
        )
        checks.append(f"- {label}: {verdict} in `sys.modules`.")
    if "it_all" in runs:
        missing = (runs["it_all"][-1]["extra"] or {}).get("missing") or []
        if missing:
            checks.append(
                "- Public names not importable yet (their modules have not landed): "
                + ", ".join(f"`{m}`" for m in missing)
                + "."
            )
    if "it_clf+" in med:
        checks.append(
            f"- With scikit-learn already imported, the first weighter costs "
            f"{fmt_time(med['it_clf+'])} and every public name "
            f"{fmt_time(med.get('it_all+', float('nan')))} (the package's own "
            "target: < 0.3 s over `import sklearn.base`)."
        )
    if "skada" in runs and runs["skada"][-1]["routing"]:
        checks.append(
            "- `import skada` switches scikit-learn's metadata routing **on** for "
            "the whole process (PEERS.md), which changes how every other "
            "estimator in it routes `sample_weight`; the suites restore the "
            "setting after importing skada (`_harness.import_peer`)."
        )
    why = {
        "adapt": "PEERS.md: 5.6 s, 709 MB; TensorFlow",
        "skada": "POT's `ot.backend`, imported by skada, loads TensorFlow when it "
        "is installed, as it is next to adapt",
    }
    for peer in ("adapt", "skada"):
        if peer in med and "it_clf" in med:
            checks.append(
                f"- `import {peer}`: {fmt_time(med[peer])}, {fmt_bytes(mem[peer])} "
                f"— {fmt_ratio(med[peer] / med['it_clf'])} the time and "
                f"{fmt_ratio(mem[peer] / mem['it_clf'])} the memory of `from "
                f"instransfer import ClassifierWeighter` ({why[peer]})."
            )
    sections = [
        ("Method", __doc__.split("\n\n", 1)[1].strip()),
        ("Import cost", table),
        ("Checks", "\n".join(checks)),
    ]
    # the statements ran in fresh interpreters: load every public name here
    # too, so that the file's provenance hashes the modules they imported
    import instransfer

    for name in instransfer.__all__:
        getattr(instransfer, name)
    return write_results(NAME, "Import time and memory", sections, quick)
