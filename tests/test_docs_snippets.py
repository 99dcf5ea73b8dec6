"""Every Python block of the README and the docs pages runs as pasted.

Blocks of one page run in order in one namespace, as a reader would paste
them into a session; a page's first block sets up its data.
"""

import importlib.util
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.rst"))]
PAGES = [p for p in PAGES if "_build" not in p.parts and "auto_examples" not in p.parts]


def _blocks(path):
    text = path.read_text()
    if path.suffix == ".md":
        return re.findall(r"```python\n(.*?)```", text, flags=re.S)
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == ".. code-block:: python":
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith(" ")):
                body.append(lines[i])
                i += 1
            out.append(textwrap.dedent("\n".join(body)))
        else:
            i += 1
    return out


# Pages whose examples fit on deliberately shifted data, where the fit-time
# diagnostics are right to speak (valid_on_target.rst shows them on purpose);
# every other page's snippets must run without them.
_DIAGNOSTICS_SHOWN = {
    "docs/data_convention.rst": ["ResidualImbalanceWarning"],
    "docs/diagnostics.rst": ["ResidualImbalanceWarning"],
    "docs/methods/entropy.rst": ["ResidualImbalanceWarning"],
    "docs/valid_on_target.rst": [
        "ResidualImbalanceWarning",
        "NoOverlapWarning",
        "WeightConcentrationWarning",
        "UnboundedPredictionWarning",
    ],
}


def _page_param(page):
    name = page.relative_to(ROOT).as_posix()
    marks = [
        pytest.mark.filterwarnings(f"ignore::instransfer.exceptions.{w}")
        for w in _DIAGNOSTICS_SHOWN.get(name, ())
    ]
    return pytest.param(page, marks=marks, id=str(page.relative_to(ROOT)))


@pytest.mark.parametrize("page", [_page_param(p) for p in PAGES if _blocks(p)])
def test_page_snippets_run(page, tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__"}
    for k, code in enumerate(_blocks(page)):
        try:
            exec(compile(code, f"{page.name} block {k + 1}", "exec"), namespace)
        except ImportError as exc:
            # pages built on the packaged cohorts need lifelines' data files
            # (the test extra has it; the oldest-versions job does not)
            if (
                "lifelines" in str(exc)
                and importlib.util.find_spec("lifelines") is None
            ):
                pytest.skip(f"{page.name} needs lifelines: {exc}")
            # the At scale page needs the dask extra (absent in the oldest job)
            for extra in ("dask", "distributed"):
                if extra in str(exc) and importlib.util.find_spec(extra) is None:
                    pytest.skip(f"{page.name} needs {extra}: {exc}")
            raise
