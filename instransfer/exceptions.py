"""Every public warning and exception of instransfer, in one module.

As :mod:`sklearn.exceptions`: import them from here
(``from instransfer.exceptions import FeatureScaleWarning``). The old import
paths (``instransfer.FeatureScaleWarning``, ``instransfer.metrics.…``,
``instransfer.density_ratio.…``) keep working.

A warning here means the answer may be *invalid on the target population*;
each message says what is wrong and what to do.
"""

__all__ = [
    "NoTargetRowsWarning",
    "NoDomainWarning",
    "FeatureScaleWarning",
    "SaturatedProbabilityWarning",
    "LowEffectiveSampleSizeWarning",
    "UnboundedPredictionWarning",
    "UnreachableClipWarning",
    "WeightConcentrationWarning",
    "NoOverlapWarning",
    "ResidualImbalanceWarning",
]


class NoTargetRowsWarning(UserWarning):
    """A weighted estimator was fit without target rows, hence unweighted."""


class NoDomainWarning(UserWarning):
    """A transfer-boosting estimator was fit without ``domain``.

    Every labeled row is then a target row and there are no source rows to
    transfer from: TrAdaBoost reduces to plain AdaBoost on those rows.
    """


class FeatureScaleWarning(UserWarning):
    """The columns of ``X`` have spreads too different for one kernel width.

    Kernel and nearest-neighbour weighters measure distances with one
    isotropic width; a column whose spread is orders of magnitude larger than
    the others' then decides every distance alone.
    """


class SaturatedProbabilityWarning(UserWarning):
    """A domain classifier predicted a target probability of exactly 1.

    Step-function classifiers (isotonic calibration, k-nearest neighbours,
    trees with pure leaves) do this; the log-odds of those rows are then
    bounded at the classifier's resolution (see
    :class:`~instransfer.ClassifierWeighter`).
    """


class LowEffectiveSampleSizeWarning(UserWarning):
    """The weights leave fewer effective samples than the fraction asked for.

    Raised by :func:`~instransfer.metrics.weight_summary` when
    ``ESS / n < min_ess_fraction``. A few source rows then dominate any
    weighted fit; flatten the weights
    (``flatten < 1``, chosen e.g. by
    :class:`~instransfer.ImportanceWeightedClassifierCV`) or truncate them
    (:func:`~instransfer.metrics.truncate_weights`).
    """


class UnboundedPredictionWarning(UserWarning):
    """Some weighted conformal intervals are infinite (sets hold every class).

    In weighted split conformal prediction (Tibshirani et al., NeurIPS 2019)
    the test point's own weight ``w`` sits at ``+inf``; when
    ``w > alpha / (1 - alpha)`` times the calibration weights' sum, the
    calibration rows cannot vouch for that point and its interval is
    ``(-inf, inf)``. Such rows lie where the source has (almost) no data.
    """


class UnreachableClipWarning(UserWarning):
    """``clip`` (or ``max_weight``) cannot be met with weights of mean 1.

    When many weights are 0, the mean-1 normalisation forces the positive
    ones above the requested largest weight: the closest reachable weights
    (every positive weight equal) are returned instead.
    """


class WeightConcentrationWarning(UserWarning):
    """A few source rows hold most of the weight after ``fit``.

    Raised by every weighter's ``fit`` (see ``diagnostics_``) when Kish's
    effective sample size falls below 5 % of the source rows or one row holds
    more than 20 % of the total weight: any weighted fit then rests on those
    rows. Flatten (``flatten < 1``), clip (``clip=``) or check the overlap
    (:func:`~instransfer.metrics.overlap_report`).
    """


class NoOverlapWarning(UserWarning):
    """A material share of the target rows has no comparable source rows.

    Raised by every weighter's ``fit`` when at least 10 % of the target rows
    (and at least 5 rows) lie outside the source's support (positivity fails:
    Petersen et al., 2012). No weighting can reach those rows: restrict the
    target to the common support (:func:`~instransfer.metrics.overlap_report`,
    its ``keep`` mask), which changes the population the answer is about.
    """


class ResidualImbalanceWarning(UserWarning):
    """Covariates imbalanced before weighting are still imbalanced after it.

    Raised by every weighter's ``fit`` when a column's standardised mean
    difference exceeds 0.1 both before and after weighting, beyond its
    sampling noise, or when weighting makes a category's share collapse far
    below its target share. Try another weighter, another kernel width, or
    another encoding of the columns.
    """
