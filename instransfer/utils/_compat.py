"""The one door to scikit-learn's private API.

scikit-learn renames and moves its underscored helpers between releases
(``_safe_tags`` became ``get_tags`` in 1.6; ``_check_sample_weight`` and the
chunking helpers have moved before). Every private name the library uses is
imported here and nowhere else (``tests/test_package.py`` enforces it), so a
new scikit-learn release is mended in one file.
"""

from sklearn.base import _fit_context
from sklearn.utils import _safe_indexing
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_params,
)
from sklearn.utils.metadata_routing import _MetadataRequester, _routing_enabled
from sklearn.utils.validation import _check_sample_weight, _num_samples

__all__ = [
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_MetadataRequester",
    "_check_sample_weight",
    "_fit_context",
    "_num_samples",
    "_routing_enabled",
    "_safe_indexing",
    "get_chunk_n_rows",
    "safe_tags",
    "validate_params",
]


def __getattr__(name):
    # sklearn.metrics costs ~0.5 s to import: loaded only by code that scores
    if name == "_BaseScorer":
        from sklearn.metrics._scorer import _BaseScorer

        return _BaseScorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def safe_tags(estimator):
    """scikit-learn tags of ``estimator``, or None for one without tags.

    Third-party estimators written before scikit-learn 1.6 may lack
    ``__sklearn_tags__``; ``get_tags`` then raises, and the caller falls back
    to its defaults.
    """
    from sklearn.utils import get_tags

    try:
        return get_tags(estimator)
    except Exception:  # third-party estimators without tags
        return None
