"""Utilities: estimator discovery and the library's own weighter checks."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "all_estimators": ".discovery",
        "check_weighter": ".estimator_checks",
    },
)
