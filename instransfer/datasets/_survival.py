"""Packaged time-to-event cohorts, with follow-up time and event indicator.

The same tables as :func:`~instransfer.datasets.load_cohort`, read from the
``lifelines`` wheel without importing lifelines, but with the censored
survival outcome kept whole: every row, its follow-up time and whether the
event was observed. :func:`~instransfer.datasets.make_age_shift` splits them
by age like the other cohorts; its ``y`` is then the structured
``(event, time)`` array of each row.
"""

import numpy as np
from sklearn.utils import Bunch

from ._cohorts import _lifelines_csv, encode_cohort

__all__ = ["load_survival_cohort"]


def _gbsg2():
    import pandas as pd

    raw = pd.read_csv(_lifelines_csv("gbsg2.csv"))
    X = raw[
        ["age", "horTh", "menostat", "tsize", "tgrade", "pnodes", "progrec", "estrec"]
    ].copy()
    X["horTh"] = pd.Categorical(X["horTh"], categories=["no", "yes"])
    X["menostat"] = pd.Categorical(X["menostat"], categories=["Pre", "Post"])
    X["tgrade"] = pd.Categorical(
        X["tgrade"], categories=["I", "II", "III"], ordered=True
    )
    return X, raw["time"], raw["cens"], "days"


def _rossi():
    import pandas as pd

    raw = pd.read_csv(_lifelines_csv("rossi.csv"))
    X = raw[["age", "fin", "race", "wexp", "mar", "paro", "prio"]].copy()
    return X, raw["week"], raw["arrest"], "weeks"


def _kidney():
    import pandas as pd

    raw = pd.read_csv(_lifelines_csv("kidney_transplant.csv"))
    male = (raw["black_male"] + raw["white_male"]).astype(bool)
    black = (raw["black_male"] + raw["black_female"]).astype(bool)
    X = pd.DataFrame(
        {
            "age": raw["age"],
            "sex": pd.Categorical(
                np.where(male, "male", "female"), categories=["female", "male"]
            ),
            "race": pd.Categorical(
                np.where(black, "black", "white"), categories=["white", "black"]
            ),
        }
    )
    return X, raw["time"], raw["death"], "days"


_SURVIVAL_COHORTS = {
    "gbsg2": (
        _gbsg2,
        "German Breast Cancer Study Group 2 trial, all 686 women (Schumacher et "
        "al., JRSS A 157, 1994): recurrence-free survival in days (event: "
        "recurrence or death).",
    ),
    "rossi": (
        _rossi,
        "432 men released from Maryland prisons (Rossi, Berk & Lenihan, 1980): "
        "weeks to re-arrest, censored at 52 weeks.",
    ),
    "kidney": (
        _kidney,
        "863 kidney transplant patients (Klein & Moeschberger, 2003, Sec. 1.7): "
        "days to death after transplant.",
    ),
}


def load_survival_cohort(name):
    """Load a packaged cohort with its censored time-to-event outcome.

    ======= ===== ===================================================
    name    rows  outcome
    ======= ===== ===================================================
    gbsg2    686  recurrence-free survival (days), 299 events
    rossi    432  time to re-arrest (weeks, censored at 52), 114 events
    kidney   863  survival after kidney transplant (days), 140 events
    ======= ===== ===================================================

    Parameters
    ----------
    name : {"gbsg2", "rossi", "kidney"}
        The cohort.

    Returns
    -------
    cohort : :class:`~sklearn.utils.Bunch`
        - ``data``: raw covariates (DataFrame, categories as ``category``);
        - ``data_numeric``: their numeric encoding
          (:func:`~instransfer.datasets.encode_cohort`);
        - ``target``: structured array with fields ``event`` (bool) and
          ``time`` (float), one per row -- scikit-survival's format;
          lifelines takes ``target["time"]`` and ``target["event"]``;
        - ``time``, ``event``: the same as plain arrays;
        - ``feature_names``, ``categorical``, ``age`` (``"age"``),
          ``time_unit``, ``task`` (``"survival"``), ``name``,
          ``description``.

    Works with :func:`~instransfer.datasets.make_age_shift`, whose ``y`` is
    then the structured array of the rows drawn.

    Examples
    --------
    >>> from instransfer.datasets import load_survival_cohort
    >>> gbsg2 = load_survival_cohort("gbsg2")  # doctest: +SKIP
    >>> gbsg2.data.shape, int(gbsg2.event.sum())  # doctest: +SKIP
    ((686, 8), 299)
    """
    import pandas as pd

    if name not in _SURVIVAL_COHORTS:
        raise ValueError(
            f"Unknown survival cohort {name!r}; available: {sorted(_SURVIVAL_COHORTS)}."
        )
    loader, description = _SURVIVAL_COHORTS[name]
    X, time, event, unit = loader()
    X = X.reset_index(drop=True)
    target = np.empty(X.shape[0], dtype=[("event", bool), ("time", float)])
    target["event"] = np.asarray(event, dtype=bool)
    target["time"] = np.asarray(time, dtype=float)
    return Bunch(
        data=X,
        data_numeric=encode_cohort(X),
        target=target,
        time=target["time"].copy(),
        event=target["event"].copy(),
        feature_names=list(X.columns),
        categorical=[
            c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)
        ],
        age="age",
        time_unit=unit,
        task="survival",
        name=name,
        description=description,
    )
