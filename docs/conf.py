"""Sphinx configuration of the instransfer documentation.

Build (warnings are errors, as in CI)::

    bash docs/build.sh            # or
    sphinx-build -W --keep-going -b html docs docs/_build/html

Two parts of the site are generated from the repository when this file is
loaded, so they never go stale:

- ``api/index.rst``: one autosummary table per public namespace, listing the
  names in ``instransfer.__all__`` and in each subpackage's ``__all__`` (the
  lazy mappings of ``instransfer/_lazy.py``). A new public name appears in the
  reference without anyone editing the docs.
- ``benchmark_results/*.md``: one page per ``benchmarks/results/<name>.md``
  (falling back to ``<name>.quick.md``), included with MyST.

A public name whose module does not import is a build warning (so an error
under ``-W``). While modules are being written, set
``INSTRANSFER_DOCS_ALLOW_MISSING=1`` to leave such names out instead.
"""

import importlib
import inspect
import os
import re
import sys
import types
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

# Examples and autodoc run in this process: keep BLAS/OpenMP single-threaded
# (2-core CI machines) and never open a window.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import instransfer  # noqa: E402

# -- Project -----------------------------------------------------------------

project = "instransfer"
author = "instransfer developers"
copyright = "instransfer developers"
release = instransfer.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
]
default_role = "literal"

# -- autodoc / autosummary / numpydoc -----------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"
# numpydoc renders the docstrings; the class template lists the members once.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- MyST (only for the benchmark tables, which are markdown) -----------------

myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

# -- sphinx-gallery ------------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("instransfer",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
}

if os.environ.get("INSTRANSFER_DOCS_ALLOW_MISSING", "") not in ("", "0"):
    # while modules are being written, an example using one fails with a
    # warning instead of stopping the build (never in CI)
    sphinx_gallery_conf["only_warn_on_example_error"] = True

# -- HTML ----------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"instransfer {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_show_sourcelink = False
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": {"**": ["page-toc", "sourcelink"]},
}
html_sidebars = {
    "index": [],
    "getting_started": [],
    "data_convention": [],
    "when_weighting_helps": [],
    "benchmark_results/*": [],
}

# -- Generated pages -----------------------------------------------------------

# Namespaces shown first, in this order; any other subpackage follows.
_SECTION_ORDER = [
    "density_ratio",
    "boosting",
    "model_selection",
    "metrics",
    "survival",
    "plotting",
    "datasets",
    "utils",
]
_ALLOW_MISSING = os.environ.get("INSTRANSFER_DOCS_ALLOW_MISSING", "") not in ("", "0")
_missing = []  # (qualified name, error) reported once the app is set up


def _write_if_changed(path, text):
    """Write ``text`` to ``path`` unless identical (keeps Sphinx's cache warm)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _resolve(module, name):
    """``getattr(module, name)``, or None when its module cannot be imported."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(module, name)
    except (ImportError, AttributeError) as exc:
        _missing.append((f"{module.__name__}.{name}", f"{type(exc).__name__}: {exc}"))
        return None


def _public_namespaces():
    """``{namespace: [(name, object)]}`` from the lazy ``__all__`` lists."""
    sections = {}
    subpackages = {}
    for name in instransfer.__all__:
        obj = _resolve(instransfer, name)
        if isinstance(obj, types.ModuleType):
            subpackages[name] = obj
    exported_below = set()
    for sub_name, sub in subpackages.items():
        entries = []
        for name in getattr(sub, "__all__", []):
            obj = _resolve(sub, name)
            if obj is not None and not isinstance(obj, types.ModuleType):
                entries.append((name, obj))
                exported_below.add(name)
        sections[sub_name] = entries
    top = []
    for name in instransfer.__all__:
        if name in subpackages or name in exported_below:
            continue
        obj = _resolve(instransfer, name)
        if obj is not None:
            top.append((name, obj))
    return top, sections, subpackages


def _autosummary(module, entries):
    names = sorted(entries, key=lambda e: (not inspect.isclass(e[1]), e[0]))
    lines = [
        f".. currentmodule:: {module}",
        "",
        ".. autosummary::",
        "   :toctree: generated/",
        "   :nosignatures:",
        "",
    ]
    lines += [f"   {name}" for name, _ in names]
    return lines + [""]


def _generate_api():
    top, sections, subpackages = _NAMESPACES
    reexported = sorted(
        name
        for name in instransfer.__all__
        if name not in subpackages
        and any(name == n for entries in sections.values() for n, _ in entries)
    )
    out = [
        ".. This file is generated by docs/conf.py from the lazy __all__ lists;",
        "   edit the package, not this file.",
        "",
        ".. _api:",
        "",
        "API reference",
        "=============",
        "",
        "Every public name of the package, generated from the docstrings. The",
        "lists come from ``instransfer.__all__`` and each subpackage's",
        "``__all__``, so they are complete by construction.",
        "",
    ]
    if reexported:
        out += [
            "The most used names are also importable from the top level (e.g.",
            "``instransfer.ULSIF`` is :class:`instransfer.density_ratio.ULSIF`): "
            + ", ".join(f"``{n}``" for n in reexported)
            + ".",
            "",
        ]
    if top:
        out += [
            "``instransfer``",
            "-" * 15,
            "",
            ".. automodule:: instransfer",
            "   :no-members:",
            "   :no-inherited-members:",
            "",
        ]
        out += _autosummary("instransfer", top)
    order = [s for s in _SECTION_ORDER if s in subpackages]
    order += sorted(s for s in subpackages if s not in _SECTION_ORDER)
    for sub_name in order:
        entries = sections[sub_name]
        title = f"``instransfer.{sub_name}``"
        out += [title, "-" * len(title), ""]
        out += [
            f".. automodule:: instransfer.{sub_name}",
            "   :no-members:",
            "   :no-inherited-members:",
            "",
        ]
        if entries:
            out += _autosummary(f"instransfer.{sub_name}", entries)
    _write_if_changed(DOCS / "api" / "index.rst", "\n".join(out))


def _generate_benchmarks():
    results = ROOT / "benchmarks" / "results"
    target = DOCS / "benchmark_results"
    target.mkdir(exist_ok=True)
    found = {}
    for path in sorted(results.glob("*.md")) if results.is_dir() else []:
        stem = (
            path.name[: -len(".quick.md")]
            if path.name.endswith(".quick.md")
            else path.stem
        )
        # a full run beats a quick one of the same suite
        if stem not in found or not path.name.endswith(".quick.md"):
            found[stem] = path
    wanted = set()
    for stem, path in sorted(found.items()):
        page = f"{stem}.md"
        wanted.add(page)
        rel = os.path.relpath(path, target).replace(os.sep, "/")
        _write_if_changed(target / page, f"```{{include}} {rel}\n```\n")
    if not found:
        wanted.add("none.rst")
        _write_if_changed(
            target / "none.rst",
            "No results yet\n==============\n\nRun ``python -m benchmarks.run`` "
            "to write ``benchmarks/results/*.md``.\n",
        )
    for stale in target.iterdir():
        if stale.name not in wanted:
            stale.unlink()
    return sorted(page.rsplit(".", 1)[0] for page in wanted)


_NAMESPACES = _public_namespaces()
_generate_api()
# The benchmark tables are wide: their pages get the whole width (exact page
# names, as the theme warns when two wildcard patterns match one page).
for _page in _generate_benchmarks():
    html_theme_options["secondary_sidebar_items"][f"benchmark_results/{_page}"] = []


def _report_missing(app):
    from sphinx.util import logging

    logger = logging.getLogger("instransfer.docs")
    for qualname, err in _missing:
        message = f"public name {qualname} does not import ({err})"
        if _ALLOW_MISSING:
            logger.info("[docs] left out: " + message)
        else:
            logger.warning(
                message + "; set INSTRANSFER_DOCS_ALLOW_MISSING=1 to build without it"
            )


def _documented_names():
    """``{id(object): documented qualified name}`` of the API reference."""
    top, sections, _ = _NAMESPACES
    names = {id(obj): f"instransfer.{name}" for name, obj in top}
    for sub_name, entries in sections.items():
        for name, obj in entries:
            names[id(obj)] = f"instransfer.{sub_name}.{name}"
    return names


_DOCUMENTED = None


def _canonical_target(target):
    """Documented name of ``instransfer.<anything>.Name[.member]``, or None.

    Docstrings may name an object where it is defined
    (``instransfer.base.BaseWeighter``) or by a re-export
    (``instransfer.ULSIF``); the reference documents each object once, under
    the public namespace listed in the lazy ``__all__``.
    """
    global _DOCUMENTED
    if _DOCUMENTED is None:
        _DOCUMENTED = _documented_names()
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        module_name, attrs = parts[:cut], parts[cut:]
        try:
            obj = importlib.import_module(".".join(module_name))
        except ImportError:
            continue
        for depth, attr in enumerate(attrs):
            try:
                obj = getattr(obj, attr)
            except Exception:  # a lazy name whose module does not import
                return None
            if id(obj) in _DOCUMENTED:
                rest = attrs[depth + 1 :]
                return ".".join([_DOCUMENTED[id(obj)], *rest])
        return None
    return None


def _resolve_instransfer_reference(app, env, node, contnode):
    """Resolve references to re-exported names; warn on broken ones.

    Without intersphinx (the build is offline) references to other projects
    stay plain text, silently. A reference to ``instransfer.*`` that resolves
    to nothing is a broken link in our own docs: a warning (an error under
    ``-W``). Private names (``instransfer._weights...``) are not documented
    and stay plain text.
    """
    from sphinx.util import logging

    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    if not target.startswith("instransfer."):
        return None
    canonical = _canonical_target(target)
    if canonical is not None and canonical != target:
        resolved = env.get_domain("py").resolve_xref(
            env,
            node["refdoc"],
            app.builder,
            node["reftype"],
            canonical,
            node,
            contnode,
        )
        if resolved is not None:
            return resolved
    if any(part.startswith("_") for part in target.split(".")):
        return None
    if _ALLOW_MISSING and any(
        target == q or target.startswith(q + ".") for q, _ in _missing
    ):
        return None
    logging.getLogger("instransfer.docs").warning(
        f"reference to {target!r} resolves to no documented object",
        location=node,
    )
    return None


_ROLE = re.compile(r":(?:ref|term|doc):`([^`<]+?)\s*(?:<[^>]*>)?`")
_TYPE_LINE = re.compile(r"^(\*{0,2}\w[\w, *]*) : (.+)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<=\w)_(?=[,)\]\s]|$)")


def _defined_in(obj):
    obj = getattr(obj, "fget", obj)  # properties
    return getattr(obj, "__module__", None) or ""


def _clean_docstring(app, what, name, obj, options, lines):
    """Make docstrings render without links to other projects' pages.

    - Members inherited from scikit-learn (``get_metadata_routing``,
      ``set_fit_request``, ...) refer to labels and glossary terms of
      scikit-learn's own site (``:ref:`metadata_routing```); offline, those are
      kept as plain text.
    - In numpydoc type fields, a shape such as ``(n_source_fit_,)`` ends in
      ``_``, which reStructuredText reads as a link to a target of that name;
      the underscore is escaped.
    """
    from_sklearn = _defined_in(obj).startswith("sklearn")
    for i, line in enumerate(lines):
        if from_sklearn:
            line = _ROLE.sub(lambda m: m.group(1).replace("_", " "), line)
        match = _TYPE_LINE.match(line)
        if match:
            line = f"{match.group(1)} : " + _TRAILING_UNDERSCORE.sub(
                r"\\_", match.group(2)
            )
        lines[i] = line


def setup(app):
    app.connect("builder-inited", _report_missing)
    # before numpydoc (priority 500) parses the sections
    app.connect("autodoc-process-docstring", _clean_docstring, priority=100)
    app.connect("missing-reference", _resolve_instransfer_reference)
