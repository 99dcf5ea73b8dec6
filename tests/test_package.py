import subprocess
import sys

import instransfer as it


def _modules_after(code):
    out = subprocess.run(
        [sys.executable, "-c", code + "; import sys; print('\\n'.join(sys.modules))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_import_is_light():
    mods = _modules_after("import instransfer")
    for heavy in (
        "matplotlib",
        "xgboost",
        "dask",
        "distributed",
        "tensorflow",
        "torch",
        "pandas",
        "sklearn.linear_model",
        "sklearn.neighbors",
        "scipy.optimize",
    ):
        assert heavy not in mods, f"import instransfer pulled in {heavy}"


def test_import_does_not_touch_global_config():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import instransfer, sklearn, numpy as np; s = np.random.get_state()[1][0];"
            "import instransfer.density_ratio, instransfer.model_selection;"
            "print(sklearn.get_config()['enable_metadata_routing'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.strip() == "False"


def test_public_names_resolve():
    for name in (
        "ClassifierWeighter",
        "NearestNeighborWeighter",
        "ImportanceWeightedClassifier",
        "ImportanceWeightedRegressor",
        "importance_weights",
        "datasets",
        "model_selection",
    ):
        assert getattr(it, name) is not None
    assert "ClassifierWeighter" in dir(it)


def _private_sklearn_imports(path):
    """``(line, text)`` of every import of a private scikit-learn name in a file."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] != "sklearn":
                continue
            private_module = any(p.startswith("_") for p in parts)
            names = [a.name for a in node.names if private_module or a.name[0] == "_"]
            if names:
                found.append((node.lineno, f"from {node.module} import {names}"))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "sklearn" and any(p.startswith("_") for p in parts):
                    found.append((node.lineno, f"import {alias.name}"))
    return found


def test_private_sklearn_api_only_through_the_compat_module():
    # scikit-learn moves its private helpers between releases: one file to mend
    from pathlib import Path

    import instransfer

    root = Path(instransfer.__file__).parent
    compat = root / "utils" / "_compat.py"
    assert _private_sklearn_imports(compat), "the scan finds nothing: it is broken"
    offenders = [
        f"{path.relative_to(root)}:{line}: {text}"
        for path in sorted(root.rglob("*.py"))
        if path != compat
        for line, text in _private_sklearn_imports(path)
    ]
    assert not offenders, "import these through instransfer.utils._compat:\n" + (
        "\n".join(offenders)
    )
