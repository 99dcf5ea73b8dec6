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
    "enclosing_cv_fold",
    "get_chunk_n_rows",
    "label_reading_scorers",
    "safe_tags",
    "validate_params",
]


def __getattr__(name):
    # sklearn.metrics costs ~0.5 s to import: loaded only by code that scores
    if name == "_BaseScorer":
        from sklearn.metrics._scorer import _BaseScorer

        return _BaseScorer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def enclosing_cv_fold(max_depth=40):
    """The scikit-learn cross-validation fold being fit, if any.

    scikit-learn's ``_fit_and_score`` (behind ``cross_val_score``,
    ``cross_validate``, ``GridSearchCV``, ...) fits an estimator, then hands
    the held-out ``y`` to the scorer: nothing public tells the estimator
    which scorer will read those labels. Its frame's arguments ``scorer``,
    ``y`` and ``test`` (so named since scikit-learn 0.22) are read here,
    walking up at most ``max_depth`` frames from the caller.

    Returns
    -------
    fold : tuple of (scorer, y, test) or None
        None outside such a fit, or if a release renames them (the check that
        uses this is then off; ``tests/test_scorer_guard.py`` says so).
    """
    import sys

    frame = sys._getframe(1)
    for _ in range(max_depth):
        if frame is None:
            return None
        if frame.f_code.co_name == "_fit_and_score" and frame.f_globals.get(
            "__name__", ""
        ).startswith("sklearn.model_selection"):
            args = frame.f_locals
            if {"scorer", "y", "test"} <= args.keys():
                return args["scorer"], args["y"], args["test"]
            return None
        frame = frame.f_back
    return None


def label_reading_scorers(scorer):
    """The scikit-learn scorers in ``scorer`` that compare ``y`` as given.

    Scorers from :func:`~sklearn.metrics.get_scorer` or
    :func:`~sklearn.metrics.make_scorer` (``_BaseScorer``), alone or in a
    multi-metric dict; ``scoring=None`` (the estimator's ``score``), the
    importance-weighted scorers and a user's own callables are not among them.
    """
    from sklearn.metrics._scorer import _BaseScorer, _MultimetricScorer

    if isinstance(scorer, _MultimetricScorer):
        scorers = list(getattr(scorer, "_scorers", {}).values())
    elif isinstance(scorer, dict):
        scorers = list(scorer.values())
    else:
        scorers = [scorer]
    return [s for s in scorers if isinstance(s, _BaseScorer)]


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
