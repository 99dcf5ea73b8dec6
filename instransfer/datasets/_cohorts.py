"""Real clinical cohorts shipped inside pip packages, and a known age shift.

The tables come from scikit-learn (``diabetes``) and from the CSV files that
the ``lifelines`` package ships (MIT licence; the data were published with the
papers cited in each description and are distributed with R packages). The
files are read from lifelines' install folder *without importing lifelines*,
so only the files must be present (``pip install "instransfer[demo]"``);
nothing is downloaded.

:func:`make_age_shift` turns one table into a covariate-shift problem whose
density ratio is known exactly: each row joins the *target* pool with
probability ``s(x) = sigmoid(strength * z(age))`` (``z`` the standardised age)
and the *source* pool otherwise. By Bayes' rule the pools' covariate densities
are ``p_t(x) = p(x) s(x) / pi_t`` and ``p_s(x) = p(x) (1 - s(x)) / pi_s`` with
``pi_t = E[s(x)]``, ``pi_s = 1 - pi_t``, hence the *oracle* ratio

    ``p_t(x) / p_s(x) = (pi_s / pi_t) * s(x) / (1 - s(x))``,

exact for the table's empirical distribution (``pi_t`` is the mean of ``s``
over the table's rows). The outcome's law given ``x`` is untouched by the
split, which is the covariate-shift assumption (Shimodaira, 2000).
"""

import importlib.util
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["encode_cohort", "list_cohorts", "load_cohort", "make_age_shift"]

_DEMO_HINT = 'pip install "instransfer[demo]"'


def _lifelines_csv(filename):
    """Path of a CSV file shipped in lifelines' ``datasets`` folder."""
    spec = importlib.util.find_spec("lifelines")
    if spec is None or spec.origin is None:
        raise ImportError(
            f"This cohort is read from the data files of the 'lifelines' package, "
            f"which is not installed. Install it with: {_DEMO_HINT} (or pip "
            "install lifelines)."
        )
    path = Path(spec.origin).parent / "datasets" / filename
    if not path.is_file():
        raise ImportError(
            f"lifelines is installed at {Path(spec.origin).parent} but its data "
            f"file datasets/{filename} is missing; reinstall it with: {_DEMO_HINT}."
        )
    return path


# --------------------------------------------------------------------------
# One private loader per table: returns (covariates DataFrame, target Series,
# outcome text). Covariates keep their clinical coding: nominal columns as
# ``category``, ordered grades as ordered ``category``, 0/1 indicators as int,
# missing values as NaN. Rows are dropped only when the outcome is unknown.


def _binary_within(time, event, horizon):
    """Event before ``horizon`` (1), survived past it (0), unknown (NaN).

    A row censored before ``horizon`` has an unknown status and is dropped
    by the callers: the population is then "patients whose status at the
    horizon is known", the same in source and target, so the shift stays a
    pure covariate shift on that population.
    """
    y = np.where(event.astype(bool) & (time < horizon), 1.0, 0.0)
    unknown = ~event.astype(bool) & (time < horizon)
    y[unknown.to_numpy()] = np.nan
    return y


def _load_rossi():
    import pandas as pd

    raw = pd.read_csv(_lifelines_csv("rossi.csv"))
    X = raw[["age", "fin", "race", "wexp", "mar", "paro", "prio"]].copy()
    y = raw["arrest"].astype(int).rename("arrest")
    return X, y


def _load_gbsg2():
    import pandas as pd

    raw = pd.read_csv(_lifelines_csv("gbsg2.csv"))
    y = _binary_within(raw["time"], raw["cens"], 3 * 365)
    keep = ~np.isnan(y)
    X = raw.loc[
        keep,
        ["age", "horTh", "menostat", "tsize", "tgrade", "pnodes", "progrec", "estrec"],
    ].copy()
    X["horTh"] = pd.Categorical(X["horTh"], categories=["no", "yes"])
    X["menostat"] = pd.Categorical(X["menostat"], categories=["Pre", "Post"])
    X["tgrade"] = pd.Categorical(
        X["tgrade"], categories=["I", "II", "III"], ordered=True
    )
    X = X.reset_index(drop=True)
    y = pd.Series(y[keep].astype(int), name="event_3y")
    return X, y


_ACTG_ARMS = ["ZDV", "ZDV+ddI", "ZDV+ddC", "ddI"]
_ACTG_STRAT = ["naive", "1-52 weeks", ">52 weeks"]
# Baseline covariates only: cd420/cd496/cd820/offtrt are measured after
# randomisation; zprior is constant (1); treat duplicates arms != 0.
_ACTG_COLUMNS = [
    "age",
    "wtkg",
    "hemo",
    "homo",
    "drugs",
    "karnof",
    "oprior",
    "z30",
    "preanti",
    "race",
    "gender",
    "str2",
    "strat",
    "symptom",
    "arms",
    "cd40",
    "cd80",
]


def _actg_frame():
    import pandas as pd

    raw = pd.read_csv(_lifelines_csv("ACTG175.csv"), index_col=0)
    X = raw[_ACTG_COLUMNS].copy()
    X["arms"] = pd.Categorical.from_codes(raw["arms"].astype(int), _ACTG_ARMS)
    X["strat"] = pd.Categorical.from_codes(
        raw["strat"].astype(int) - 1, dtype=pd.CategoricalDtype(_ACTG_STRAT, True)
    )
    return raw, X


def _load_actg175():
    import pandas as pd

    raw, X = _actg_frame()
    y = _binary_within(raw["days"], raw["cens"], 2 * 365)
    keep = ~np.isnan(y)
    X = X.loc[keep].reset_index(drop=True)
    return X, pd.Series(y[keep].astype(int), name="event_2y")


def _load_actg175_cd4():
    raw, X = _actg_frame()
    y = raw["cd420"].astype(float).rename("cd420")
    return X.reset_index(drop=True), y.reset_index(drop=True)


def _load_kidney():
    import pandas as pd

    raw = pd.read_csv(_lifelines_csv("kidney_transplant.csv"))
    y = _binary_within(raw["time"], raw["death"], 2 * 365)
    keep = ~np.isnan(y)
    raw = raw.loc[keep].reset_index(drop=True)
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
    return X, pd.Series(y[keep].astype(int), name="death_2y")


def _load_diabetes():
    from sklearn.datasets import load_diabetes

    d = load_diabetes(scaled=False, as_frame=True)
    return d.data.copy(), d.target.rename("progression")


_COHORTS = {
    "rossi": dict(
        loader=_load_rossi,
        task="classification",
        package="lifelines",
        description=(
            "Recidivism of 432 men released from Maryland state prisons, followed "
            "for one year (Rossi, Berk & Lenihan, 'Money, Work and Crime', 1980; "
            "R: carData::Rossi). Target 'arrest': re-arrested within 52 weeks "
            "(every man was followed 52 weeks, so no row is censored). "
            "Covariates: age at release, fin (financial aid, randomised), race, "
            "wexp (full-time work experience), mar (married), paro (released on "
            "parole), prio (prior convictions); indicators coded 0/1."
        ),
    ),
    "gbsg2": dict(
        loader=_load_gbsg2,
        task="classification",
        package="lifelines",
        description=(
            "German Breast Cancer Study Group 2 trial: 686 women with node-positive "
            "breast cancer (Schumacher et al., JRSS A 157, 1994; R: TH.data::GBSG2). "
            "Target 'event_3y': recurrence or death within 3 years (1095 days); "
            "the 129 women censored earlier (status unknown) are dropped, leaving "
            "557. Covariates: age, horTh (hormonal therapy, no/yes), menostat "
            "(Pre/Post), tsize (mm), tgrade (ordered I < II < III), pnodes "
            "(positive nodes), progrec and estrec (receptors, fmol)."
        ),
    ),
    "actg175": dict(
        loader=_load_actg175,
        task="classification",
        package="lifelines",
        description=(
            "AIDS Clinical Trials Group study 175: 2139 HIV-infected adults "
            "randomised to four antiretroviral regimens (Hammer et al., NEJM 335, "
            "1996; R: speff2trial::ACTG175). Target 'event_2y': CD4 decline of at "
            "least 50 %, AIDS-defining event or death within 2 years (730 days); "
            "the 198 patients censored earlier are dropped, leaving 1941. Baseline "
            "covariates only: age, wtkg, hemo (haemophilia), homo (homosexual "
            "activity), drugs (IV drug use), karnof (Karnofsky score), oprior, "
            "z30, preanti (days of prior antiretroviral therapy), race, gender, "
            "str2, strat (ordered history of therapy), symptom, arms (regimen), "
            "cd40, cd80 (baseline CD4/CD8 counts)."
        ),
    ),
    "actg175_cd4": dict(
        loader=_load_actg175_cd4,
        task="regression",
        package="lifelines",
        description=(
            "ACTG 175 (see 'actg175'), all 2139 patients. Target 'cd420': CD4 "
            "count at 20 +/- 5 weeks (cells/mm3), a continuous outcome; the same "
            "baseline covariates."
        ),
    ),
    "kidney": dict(
        loader=_load_kidney,
        task="classification",
        package="lifelines",
        description=(
            "863 kidney transplant patients, Ohio State University 1982-1992 "
            "(Klein & Moeschberger, 'Survival Analysis', 2003, Sec. 1.7; R: "
            "KMsurv::kidtran). Target 'death_2y': death within 2 years (730 "
            "days); the 216 patients censored earlier are dropped, leaving 647. "
            "Covariates: age, sex, race (black/white)."
        ),
    ),
    "diabetes": dict(
        loader=_load_diabetes,
        task="regression",
        package="scikit-learn",
        description=(
            "442 diabetes patients (Efron, Hastie, Johnstone & Tibshirani, 'Least "
            "Angle Regression', Ann. Statist. 32, 2004), unscaled, as shipped by "
            "scikit-learn. Target 'progression': a quantitative measure of disease "
            "progression one year after baseline. Covariates: age, sex (coded 1/2 "
            "in the source), bmi, bp (mean blood pressure), s1-s6 (blood serum "
            "measurements)."
        ),
    ),
}


def list_cohorts():
    """Names of the packaged cohorts, with their task and size.

    Returns
    -------
    cohorts : dict of str to str
        Cohort name -> a one-line summary (task, package that ships it).

    Examples
    --------
    >>> from instransfer.datasets import list_cohorts
    >>> sorted(list_cohorts())
    ['actg175', 'actg175_cd4', 'diabetes', 'gbsg2', 'kidney', 'rossi']
    """
    return {
        name: f"{info['task']}; shipped with {info['package']}"
        for name, info in _COHORTS.items()
    }


def encode_cohort(data):
    """Numeric encoding of a cohort's raw covariates (the documented recipe).

    Ordered categories become their integer codes starting at 1 (e.g. tumour
    grade I/II/III -> 1/2/3); other categories are one-hot encoded without
    their first level (``sex_male``, ``arms_ZDV+ddI`` ...); numeric columns
    are kept; missing values stay NaN.

    Parameters
    ----------
    data : DataFrame
        Raw covariates, e.g. ``load_cohort(name).data``.

    Returns
    -------
    encoded : DataFrame of float64
        Same rows and index.
    """
    import pandas as pd

    parts = []
    for col in data.columns:
        s = data[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            if s.cat.ordered:
                codes = s.cat.codes.astype(float).where(s.notna()) + 1.0
                parts.append(codes.rename(col))
            else:
                dummies = pd.get_dummies(s, prefix=col, prefix_sep="_", dtype=float)
                dummies.loc[s.isna()] = np.nan
                parts.append(dummies.iloc[:, 1:])
        else:
            parts.append(s.astype(float))
    return pd.concat(parts, axis=1)


def load_cohort(name, *, as_frame=True):
    """Load a packaged clinical cohort with an age covariate.

    Nothing is downloaded: the tables ship with scikit-learn (``diabetes``)
    or with the ``lifelines`` package (the others; ``pip install
    "instransfer[demo]"``). Survival tables are turned into a binary outcome
    "event before a horizon"; rows censored before the horizon (status
    unknown) are dropped, as each description says.

    ============ ============== ===== =========================================
    name         task           rows  target
    ============ ============== ===== =========================================
    rossi        classification  432  re-arrest within 1 year (26 %)
    gbsg2        classification  557  breast cancer recurrence/death, 3 years
    actg175      classification 1941  HIV progression/death within 2 years
    actg175_cd4  regression     2139  CD4 count at week 20
    kidney       classification  647  death within 2 years of transplant
    diabetes     regression      442  disease progression after 1 year
    ============ ============== ===== =========================================

    Parameters
    ----------
    name : str
        One of :func:`list_cohorts`.
    as_frame : bool, default=True
        If True, ``data`` is the raw clinical DataFrame (nominal columns as
        ``category``, ordered grades as ordered ``category``, missing values
        kept) and ``target`` a Series. If False, ``data`` is the numeric
        encoding of :func:`encode_cohort` as a float ndarray and ``target`` an
        ndarray.

    Returns
    -------
    cohort : :class:`~sklearn.utils.Bunch`
        - ``data``: covariates (DataFrame or ndarray, see ``as_frame``);
        - ``target``: outcome (0/1 for classification, float for regression);
        - ``frame``: ``data`` with the target as last column (``as_frame``
          only, else None);
        - ``data_numeric``: the numeric encoding as a DataFrame (``as_frame``
          only, else None);
        - ``feature_names``: columns of ``data``;
        - ``categorical``: raw columns that are categorical;
        - ``age``: name of the age column (``"age"``);
        - ``target_name``, ``task`` ("classification" or "regression"),
          ``name``, ``description``.

    Examples
    --------
    >>> from instransfer.datasets import load_cohort
    >>> rossi = load_cohort("rossi")  # doctest: +SKIP
    >>> rossi.data.shape, rossi.task, rossi.age  # doctest: +SKIP
    ((432, 7), 'classification', 'age')
    >>> load_cohort("diabetes", as_frame=False).data.shape
    (442, 10)
    """
    if name not in _COHORTS:
        raise ValueError(
            f"Unknown cohort {name!r}; available: {sorted(_COHORTS)} "
            "(see instransfer.datasets.list_cohorts())."
        )
    import pandas as pd

    info = _COHORTS[name]
    X, y = info["loader"]()
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    numeric = encode_cohort(X)
    if info["task"] == "classification":
        y = y.astype(int)
    else:
        y = y.astype(float)
    common = dict(
        categorical=categorical,
        age="age",
        target_name=str(y.name),
        task=info["task"],
        name=name,
        description=info["description"],
    )
    if as_frame:
        return Bunch(
            data=X,
            target=y,
            frame=pd.concat([X, y], axis=1),
            data_numeric=numeric,
            feature_names=list(X.columns),
            **common,
        )
    return Bunch(
        data=numeric.to_numpy(dtype=float),
        target=y.to_numpy(),
        frame=None,
        data_numeric=None,
        feature_names=list(numeric.columns),
        **common,
    )


def _age_values(cohort):
    import pandas as pd

    data = cohort.data
    if isinstance(data, pd.DataFrame):
        return data[cohort.age].to_numpy(dtype=float)
    names = list(cohort.feature_names)
    return np.asarray(data, dtype=float)[:, names.index(cohort.age)]


def make_age_shift(
    data,
    *,
    strength=1.0,
    n_source=None,
    n_target=None,
    random_state=None,
):
    """Split a cohort into a younger source and an older target with a known ratio.

    Each row joins the target pool with probability
    ``s(x) = sigmoid(strength * z)``, ``z = (age - mean(age)) / sd(age)``
    over the table, and the source pool otherwise; ``n_source`` and
    ``n_target`` rows are then drawn without replacement from the pools
    (uniform subsampling keeps each pool's distribution). By Bayes' rule the
    exact density ratio of the covariates is

    ``w(x) = p_t(x) / p_s(x) = (pi_s / pi_t) * s(x) / (1 - s(x))``,

    ``pi_t = mean(s)`` over the table's rows, ``pi_s = 1 - pi_t`` (Shimodaira,
    2000, Sec. 2; Sugiyama & Kawanabe, "Machine Learning in Non-Stationary
    Environments", 2012, Sec. 1.3). It depends on age only, and
    ``E_source[w(x) f(x)] = E_target[f(x)]`` holds exactly for every ``f``
    (over random splits of the table), so ``true_ratio`` is an oracle for any
    weighter and for the target risk of any model.

    Parameters
    ----------
    data : str or Bunch
        A cohort name (loaded with :func:`load_cohort`) or a Bunch returned by
        it (raw DataFrame or numeric array; ``X`` keeps that form).
    strength : float, default=1.0
        Slope of the selection on standardised age; positive makes the target
        older. 0 is no shift (the oracle ratio is then 1).
    n_source, n_target : int or None, default=None
        Rows drawn from each pool; None keeps the whole pool. Larger than the
        pool raises a ValueError.
    random_state : int, RandomState instance or None, default=None
        Seed of the split and of the subsampling.

    Returns
    -------
    shifted : :class:`~sklearn.utils.Bunch`
        - ``X``: stacked source rows then target rows (DataFrame with a fresh
          index, or ndarray);
        - ``y``: the outcome of every row; the target rows' labels are kept
          for evaluation, mask them (``-1`` / ``NaN``) before fitting;
        - ``domain``: 0 source, 1 target;
        - ``true_ratio`` and ``log_ratio``: the oracle ratio at every row
          (mean 1 over the source *population*);
        - ``selection_proba``: ``s(x)`` at every row;
        - ``row``: the rows' positions in the cohort table;
        - ``X_numeric``: the numeric encoding of ``X`` (DataFrame input
          only);
        - ``age``, ``task``, ``name``, ``feature_names``, ``strength``.

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer.datasets import load_cohort, make_age_shift
    >>> cohort = load_cohort("diabetes")
    >>> shifted = make_age_shift(cohort, strength=1.5, random_state=0)
    >>> age = shifted.X["age"].to_numpy()
    >>> src, tgt = shifted.domain == 0, shifted.domain == 1
    >>> bool(age[tgt].mean() > age[src].mean())
    True
    >>> w = shifted.true_ratio[src]  # the oracle weights balance age
    >>> means = age[src].mean(), np.average(age[src], weights=w)
    >>> [round(float(m - age[tgt].mean())) for m in means]
    [-13, 1]
    """
    import pandas as pd

    if isinstance(data, str):
        data = load_cohort(data)
    if not isinstance(data, Bunch) or not {"data", "target", "age"} <= set(data):
        raise TypeError(
            "data must be a cohort name or the Bunch returned by load_cohort; "
            f"got {type(data).__name__}."
        )
    if not isinstance(strength, Real) or not np.isfinite(strength):
        raise ValueError(f"strength must be a finite number, got {strength!r}.")
    strength = float(strength)
    rng = check_random_state(random_state)
    age = _age_values(data)
    if np.isnan(age).any():
        raise ValueError("The age column has missing values; drop those rows first.")
    z = (age - age.mean()) / age.std()
    logit = strength * z
    s = 1.0 / (1.0 + np.exp(-logit))
    pi_t = s.mean()
    # log w = log(pi_s / pi_t) + logit(s): the log-odds is strength * z itself,
    # so no 1 - s rounding near s = 1.
    log_ratio_all = np.log1p(-pi_t) - np.log(pi_t) + logit

    in_target = rng.random_sample(age.shape[0]) < s
    pools = [np.flatnonzero(~in_target), np.flatnonzero(in_target)]
    rows = []
    for pool, n, label in zip(
        pools, (n_source, n_target), ("source", "target"), strict=True
    ):
        if n is None:
            rows.append(pool)
            continue
        if not isinstance(n, Integral) or isinstance(n, bool) or n < 1:
            raise ValueError(f"n_{label} must be a positive integer or None; got {n}.")
        if n > pool.shape[0]:
            raise ValueError(
                f"n_{label}={n} but this split put only {pool.shape[0]} of the "
                f"{age.shape[0]} rows in the {label} pool; ask for fewer rows or a "
                "smaller strength."
            )
        rows.append(np.sort(rng.choice(pool, size=int(n), replace=False)))
    if min(r.shape[0] for r in rows) < 2:
        raise ValueError(
            "The split left fewer than 2 rows in one domain; use a smaller strength."
        )
    idx = np.concatenate(rows)
    domain = np.r_[np.zeros(rows[0].shape[0], int), np.ones(rows[1].shape[0], int)]
    X, y = data.data, data.target
    out = Bunch(
        domain=domain,
        log_ratio=log_ratio_all[idx],
        true_ratio=np.exp(log_ratio_all[idx]),
        selection_proba=s[idx],
        row=idx,
        age=data.age,
        task=data.get("task"),
        name=data.get("name"),
        feature_names=list(data.feature_names),
        strength=strength,
    )
    if isinstance(X, pd.DataFrame):
        out.X = X.iloc[idx].reset_index(drop=True)
        numeric = data.get("data_numeric")
        out.X_numeric = (
            numeric.iloc[idx].reset_index(drop=True) if numeric is not None else None
        )
    else:
        out.X = np.asarray(X)[idx]
    out.y = np.asarray(y)[idx]
    return out
