"""Transfer problems with a few labeled target rows, for the TrAdaBoost suite.

Every generator returns ``X, y, domain`` (stacked source rows and the labeled
target rows) and ``X_test, y_test`` (fresh target rows). The source's
conditional law ``P(y | x)`` partly disagrees with the target's:

- real data split by a feature that is then *hidden* (dropped from ``X``):
  the domains differ in that feature, so ``P(y | x)`` differs between them
  wherever it matters (Dai et al. 2007 split 20 Newsgroups by subcategory in
  the same spirit);
- a synthetic twin of that construction with a known logistic model;
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
    X = np.vstack([Xs, Xt[:n_target_labeled]])
    y = np.r_[ys, yt[:n_target_labeled]]
    domain = np.r_[np.zeros(n_source, int), np.ones(n_target_labeled, int)]
    return X, y, domain, Xt[n_target_labeled:], yt[n_target_labeled:]


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
    X = np.vstack([Xs, Xt[:n_target_labeled]])
    y = np.r_[ys, yt[:n_target_labeled]]
    domain = np.r_[np.zeros(n_source, int), np.ones(n_target_labeled, int)]
    return X, y, domain, Xt[n_target_labeled:], yt[n_target_labeled:]
