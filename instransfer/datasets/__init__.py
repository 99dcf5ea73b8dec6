"""Data sets: covariate-shift problems with known ratios, and real cohorts."""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "make_covariate_shift": "._synthetic",
        "gaussian_log_ratio": "._synthetic",
        "make_ratio_problem": "._synthetic",
        "list_cohorts": "._cohorts",
        "load_cohort": "._cohorts",
        "encode_cohort": "._cohorts",
        "make_age_shift": "._cohorts",
        "load_survival_cohort": "._survival",
    },
)
