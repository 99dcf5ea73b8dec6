"""Survival analysis on the target population with importance weights.

A weighted Kaplan-Meier curve (:func:`kaplan_meier`) estimates the target's
survival from source rows weighted by ``p_target(x) / p_source(x)``, with
variances suited to weights; :func:`concordance_index` and
:func:`brier_score` evaluate a survival model on the target from labeled
source rows. Weighted Cox models and forests come from lifelines and
scikit-survival directly (``CoxPHFitter().fit(df, weights_col=..., robust=True)``,
``RandomSurvivalForest().fit(X, y, sample_weight=...)``): see the survival
page of the documentation. Nothing here imports them.
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "kaplan_meier": "._kaplan_meier",
        "concordance_index": "._metrics",
        "brier_score": "._metrics",
        "integrated_brier_score": "._metrics",
    },
)
