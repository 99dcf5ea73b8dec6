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
