"""Find every public estimator of instransfer (for the common checks)."""

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

# Optional dependencies whose absence may leave a module out of discovery.
_OPTIONAL = {"matplotlib", "xgboost", "lifelines"}


def all_estimators():
    """Every public, concrete estimator class defined in instransfer.

    Walks the package, so a new estimator is checked without anyone listing it.
    Modules whose optional dependencies are missing are skipped.

    Returns
    -------
    estimators : list of (name, class)
        Sorted by name.
    """
    import instransfer

    found = {}
    for info in pkgutil.walk_packages(instransfer.__path__, "instransfer."):
        if any(part.startswith("test") for part in info.name.split(".")):
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError as exc:
            # only a missing optional dependency may hide a module; any other
            # import error would silently drop its estimators from the checks
            if exc.name not in _OPTIONAL:
                raise
            continue
        # vars(), not inspect.getmembers: the latter would trigger the lazy
        # __getattr__ of packages for names whose modules may not import.
        for name, cls in list(vars(module).items()):
            if (
                inspect.isclass(cls)
                and issubclass(cls, BaseEstimator)
                and cls.__module__.startswith("instransfer.")
                and not name.startswith("_")
                and not name.startswith("Base")
                and not inspect.isabstract(cls)
            ):
                found[name] = cls
    return sorted(found.items())
