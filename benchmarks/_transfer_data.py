"""Transfer problems with a few labeled target rows, for the TrAdaBoost suite.

Every generator returns ``X, y, domain`` (stacked source rows and the labeled
target rows) and ``X_test, y_test`` (fresh target rows). The source's
conditional law ``P(y | x)`` partly disagrees with the target's:

- real data split by a feature that is then *hidden* (dropped from ``X``):
  the domains differ in that feature, so ``P(y | x)`` differs between them
  wherever it matters (Dai et al. 2007 split 20 Newsgroups by subcategory in
  the same spirit);
- a synthetic twin of that construction with a known logistic model, where
  the hidden variable moves the log-odds of *every* source row smoothly (so
  the source labels mislead no more than the few target labels: nothing for
  TrAdaBoost to single out);
- a synthetic source of which one sub-population follows another labelling
  rule (``partial_disagreement_classification``): the setting TrAdaBoost was
  built for, source rows that the target agrees with and rows it does not;
- Friedman #1 with perturbed coefficients for the source, as in Pardoe &
  Stone (2010, Sec. 5) for regression.
"""

import numpy as np


def _split(X_all, y_all, in_target, ratio, seed):
    rng = np.random.RandomState(seed)
    s = np.flatnonzero(~in_target)
    t = rng.permutation(np.flatnonzero(in_target))
    n_lab = max(2, int(round(ratio * s.size)))
    lab, test = t[:n_lab], t[n_lab:]
    X = np.vstack([X_all[s], X_all[lab]])
    y = np.r_[y_all[s], y_all[lab]]
    domain = np.r_[np.zeros(s.size, int), np.ones(lab.size, int)]
    return X, y, domain, X_all[test], y_all[test]


def _stack(Xs, ys, Xt, yt, n_lab):
    """Source rows and the first ``n_lab`` target rows, stacked; the rest test."""
    X = np.vstack([Xs, Xt[:n_lab]])
    y = np.r_[ys, yt[:n_lab]]
    domain = np.r_[np.zeros(Xs.shape[0], int), np.ones(n_lab, int)]
    return X, y, domain, Xt[n_lab:], yt[n_lab:]


def breast_cancer_split(feature="worst texture", ratio=0.05, random_state=0):
    """Source: ``feature`` at or below its median; target: above; feature hidden."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    X_all = StandardScaler().fit_transform(data.data)
    f = list(data.feature_names).index(feature)
    in_target = X_all[:, f] > np.median(X_all[:, f])
    return _split(
        np.delete(X_all, f, axis=1), data.target, in_target, ratio, random_state
    )


def diabetes_split(ratio=0.05, random_state=0):
    """Source: one sex, target: the other; sex hidden (sklearn's diabetes)."""
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    sex = data.data[:, 1]
    in_target = sex > np.median(sex)
    y = (data.target - data.target.mean()) / data.target.std()
    return _split(np.delete(data.data, 1, axis=1), y, in_target, ratio, random_state)


def hidden_shift_classification(
    n_source=2000,
    n_target_labeled=100,
    n_test=2000,
    n_features=10,
    gamma=1.0,
    random_state=0,
):
    """A logistic model with a hidden variable ``z``: source z < 0, target z > 0.

    ``z`` also moves the first three features (covariate shift) and adds
    ``gamma * z`` to the log-odds (the conditional shift the source misleads
    with); a ``sin`` term makes a linear model misspecified.
    """
    rng = np.random.RandomState(random_state)

    def draw(n, sign):
        z = np.abs(rng.normal(size=n)) * sign
        X = rng.normal(size=(n, n_features))
        X[:, :3] += 0.4 * z[:, None]
        logit = (
            2.5 * (X[:, 0] + 0.6 * X[:, 1] - 0.6 * X[:, 2] + np.sin(2 * X[:, 3]))
            + gamma * z
        )
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
        return X, y

    Xs, ys = draw(n_source, -1.0)
    Xt, yt = draw(n_target_labeled + n_test, 1.0)
    return _stack(Xs, ys, Xt, yt, n_target_labeled)


def partial_disagreement_classification(
    n_source=2000,
    n_target_labeled=100,
    n_test=2000,
    n_features=10,
    disagree=0.3,
    scale=4.0,
    random_state=0,
):
    """A source of which a fraction ``disagree`` follows another concept.

    Every domain draws ``X`` from the same standard normal law, and the target
    labels follow a logistic model ``P(y=1 | x) = sigmoid(scale * f(x))`` with
    ``f(x) = x0 + x1 - x2 + sin(2 x3) / 2``. The source rows with ``x4`` above
    its ``1 - disagree`` quantile (a sub-population the learners are not told
    about) are labelled by the mirrored rule ``x0 - x1 + x2 - sin(2 x3) / 2``
    instead; the other source rows by the target's. It models Dai et al.'s
    (2007) 20 Newsgroups splits, where part of the source's documents share
    the target's concept and part do not: the source is still useful, but a
    learner fit on all of it tilts its boundary towards the wrong rule, and
    the few target labels are what tells the two sub-populations apart.
    With the defaults, a logistic regression fit on the source alone has a
    target error about 0.18, on the agreeing source rows alone about 0.10.
    """
    from scipy.special import expit, ndtri

    rng = np.random.RandomState(random_state)
    cut = ndtri(1.0 - disagree)

    def logit(X, sign):
        return scale * (
            X[:, 0] + sign * (X[:, 1] - X[:, 2] + 0.5 * np.sin(2 * X[:, 3]))
        )

    def labels(lo):
        return (rng.uniform(size=lo.size) < expit(lo)).astype(int)

    Xs = rng.normal(size=(n_source, n_features))
    other = Xs[:, 4] > cut
    ys = labels(np.where(other, logit(Xs, -1.0), logit(Xs, 1.0)))
    Xt = rng.normal(size=(n_target_labeled + n_test, n_features))
    yt = labels(logit(Xt, 1.0))
    return _stack(Xs, ys, Xt, yt, n_target_labeled)


def _friedman(X, a):
    return (
        a[0] * 10 * np.sin(np.pi * X[:, 0] * X[:, 1])
        + a[1] * 20 * (X[:, 2] - 0.5) ** 2
        + a[2] * 10 * X[:, 3]
        + a[3] * 5 * X[:, 4]
    )


def friedman_drift_regression(
    n_source=2000,
    n_target_labeled=100,
    n_test=2000,
    drift=0.5,
    noise=1.0,
    random_state=0,
):
    """Friedman #1; the source's four coefficients are ``1 + drift * N(0, 1)``."""
    rng = np.random.RandomState(random_state)
    a_s = 1.0 + drift * rng.normal(size=4)
    n_t = n_target_labeled + n_test
    Xs = rng.uniform(size=(n_source, 10))
    Xt = rng.uniform(size=(n_t, 10))
    ys = _friedman(Xs, a_s) + noise * rng.normal(size=n_source)
    yt = _friedman(Xt, np.ones(4)) + noise * rng.normal(size=n_t)
    return _stack(Xs, ys, Xt, yt, n_target_labeled)
