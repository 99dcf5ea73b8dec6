"""Classifier-based and nearest-neighbour weighting vs adapt and skada.

Same data, same process, pinned threads, several repetitions; see
:data:`COMPARED` for what is run.
"""

import statistics

import numpy as np

from benchmarks._harness import (
    fmt_bytes,
    fmt_mean_se,
    fmt_ratio,
    fmt_times,
    have_peer,
    import_peer,
    is_smoke,
    markdown_table,
    mean_se,
    nmse,
    pinned,
    repeat_times,
    skada_domain,
    subprocess_peak_rss,
    write_results,
)

NAME = "weighting"
N_FEATURES = 10

COMPARED = """\
Data: `make_covariate_shift` (source N(0, I), target N(0.5, 0.8² I), so the
true ratio is known exactly), one draw per size, every library on the same
arrays in the same process, thread pools pinned. Peers are called as their
docs show, with their defaults:

- adapt 0.4.5: `IWC` (LogisticRegression domain classifier) and
  `NearestNeighborsWeighting` (k=5, no smoothing), through `fit_weights`;
- skada 0.6.0: `DiscriminatorReweightAdapter` (LogisticRegression) and
  `NearestNeighborReweightAdapter` (k=1, no smoothing), through `fit` +
  `compute_weights`.

*time / ours*: the peer's median fit time over that of the configuration of
ours doing the same work, named in brackets (one classifier fit; the same k)
— above 1, ours is faster. Ours' defaults (5-fold cross-fitted classifier;
Laplace-smoothed k=1) are rows of their own.

Ratio NMSE (project convention): both scaled to mean 1 over the source rows,
mean((ŵ−w)²)/mean(w²). The generator's true log-ratio is quadratic in x, so a
linear logistic domain classifier is misspecified in every library; the
quality tables also run each library with a degree-2 logistic classifier.
"""


def _data(n, d, seed):
    from instransfer.datasets import make_covariate_shift

    data = make_covariate_shift(n, n, d, random_state=seed)
    src = data.domain == 0
    data.Xs, data.Xt = data.X[src], data.X[~src]
    data.sd = skada_domain(data.domain)
    data.ratio_s = data.true_ratio[src]
    return data


def _quadratic_classifier():
    """Logistic regression on degree-2 features: the true log-ratio of the
    Gaussian generator is quadratic, so this classifier is well specified."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    return make_pipeline(
        PolynomialFeatures(2, include_bias=False),
        StandardScaler(),
        LogisticRegression(max_iter=1000),
    )


def methods(peers=True, quadratic=False):
    """``{key: (label, family, reference key, fn(data) -> raw source weights)}``.

    Raw weights are on each library's own scale (adapt's are not mean 1).
    """
    import instransfer as it

    clf = _quadratic_classifier if quadratic else (lambda: None)
    q = " (quadratic LR)" if quadratic else ""
    out = {
        "ours_clf1": (
            f"ours ClassifierWeighter(cv=None) — one fit{q}",
            "classifier",
            None,
            lambda D: it.ClassifierWeighter(clf(), cv=None)
            .fit(D.X, D.domain)
            .weights_,
        ),
        "ours_clf": (
            f"ours ClassifierWeighter() — default, 5-fold cross-fitted{q}",
            "classifier",
            "ours_clf1",
            lambda D: it.ClassifierWeighter(clf(), random_state=0)
            .fit(D.X, D.domain)
            .weights_,
        ),
    }
    if not quadratic:
        out["ours_nn"] = (
            "ours NearestNeighborWeighter() — default, k=1, smoothing=1",
            "nearest neighbours",
            None,
            lambda D: it.NearestNeighborWeighter().fit(D.X, D.domain).weights_,
        )
        out["ours_nn5"] = (
            "ours NearestNeighborWeighter(5, smoothing=0)",
            "nearest neighbours",
            None,
            lambda D: it.NearestNeighborWeighter(5, smoothing=0)
            .fit(D.X, D.domain)
            .weights_,
        )
    if peers and have_peer("adapt"):
        ai = import_peer("adapt.instance_based")
        out["adapt_iwc"] = (
            f"adapt IWC{q}",
            "classifier",
            "ours_clf1",
            lambda D: ai.IWC(classifier=clf(), verbose=0, random_state=0).fit_weights(
                D.Xs, D.Xt
            ),
        )
        if not quadratic:
            out["adapt_nnw"] = (
                "adapt NearestNeighborsWeighting() — k=5",
                "nearest neighbours",
                "ours_nn5",
                lambda D: ai.NearestNeighborsWeighting(
                    verbose=0, random_state=0
                ).fit_weights(D.Xs, D.Xt),
            )
    if peers and have_peer("skada"):
        skada = import_peer("skada")

        def sk(adapter):
            def fn(D):
                a = adapter().fit(D.X, None, sample_domain=D.sd)
                w = a.compute_weights(D.X, None, sample_domain=D.sd)
                return w[D.domain == 0]

            return fn

        out["skada_disc"] = (
            f"skada DiscriminatorReweightAdapter{q}",
            "classifier",
            "ours_clf1",
            sk(lambda: skada.DiscriminatorReweightAdapter(clf())),
        )
        if not quadratic:
            out["skada_nn"] = (
                "skada NearestNeighborReweightAdapter() — k=1",
                "nearest neighbours",
                "ours_nn",
                sk(skada.NearestNeighborReweightAdapter),
            )
    return out


def _quality(w, ratio):
    w = np.asarray(w, dtype=float)
    return {
        "nmse": nmse(w, ratio),
        "corr": float(np.corrcoef(w, ratio)[0, 1]) if w.std() > 0 else np.nan,
        "zeros": float(np.mean(w == 0)),
        "scale": float(w.mean()),
    }


# --------------------------------------------------------------------------
# speed


def _speed(sizes, family, repeat, peers):
    meths = {k: v for k, v in methods(peers).items() if v[1] == family}
    rows = []
    for n in sizes:
        data = _data(n, N_FEATURES, seed=0)
        med = {}
        for key, (label, _, ref, fn) in meths.items():
            reps = repeat(n)
            with pinned():
                times, w = repeat_times(lambda fn=fn: fn(data), repeat=reps)
            med[key] = statistics.median(times)
            qual = _quality(w, data.ratio_s)
            vs = "–"
            if ref is not None and ref in med:
                vs = f"{fmt_ratio(med[key] / med[ref])} ({ref})"
            rows.append(
                [
                    f"{n:,}",
                    label,
                    fmt_times(times),
                    vs,
                    f"{qual['nmse']:.3g}",
                    f"{qual['corr']:.2f}",
                    f"{100 * qual['zeros']:.0f} %",
                    f"{qual['scale']:.3g}",
                ]
            )
            print(f"  {family} n={n} {key}: {fmt_times(times)}", flush=True)
    header = [
        "n_source = n_target",
        "method",
        "fit time (median ±half-range)",
        "time / ours (same work)",
        "ratio NMSE",
        "corr. with true ratio",
        "zero weights",
        "mean weight as returned",
    ]
    return markdown_table(header, rows)


def rss_case(key, n, d=N_FEATURES, peers=True):
    """Subprocess setup for :func:`subprocess_peak_rss`: data and imports
    first, then the fit alone is measured."""
    data = _data(n, d, seed=0)
    fn = methods(peers)[key][3]

    def run():
        w = fn(data)
        return float(np.mean(w))

    return run


def _memory(cases, peers):
    rows = []
    labels = methods(peers)
    for key, n in cases:
        if key not in labels:
            continue
        out = subprocess_peak_rss(
            "benchmarks.suite_weighting:rss_case",
            {"key": key, "n": n, "peers": peers},
        )
        if "error" in out:
            rows.append([f"{n:,}", labels[key][0], "failed", out["error"], ""])
            continue
        rows.append(
            [
                f"{n:,}",
                labels[key][0],
                fmt_bytes(out["rss_delta"]),
                fmt_bytes(out["rss_peak"]),
                f"{out['seconds']:.3g} s",
            ]
        )
        print(f"  memory {key} n={n}: +{fmt_bytes(out['rss_delta'])}", flush=True)
    header = [
        "n_source = n_target",
        "method",
        "peak RSS added by the fit",
        "peak RSS of the process (imports included)",
        "fit time (one run)",
    ]
    return markdown_table(header, rows)


# --------------------------------------------------------------------------
# quality over seeds


def _quality_table(n, d, seeds, peers, quadratic=False):
    meths = methods(peers, quadratic=quadratic)
    acc = {k: [] for k in meths}
    for seed in seeds:
        data = _data(n, d, seed)
        for key, (_, _, _, fn) in meths.items():
            with pinned():
                acc[key].append(_quality(fn(data), data.ratio_s))
    rows = []
    for key, (label, family, _, _) in meths.items():
        vals = acc[key]
        rows.append(
            [
                label,
                fmt_mean_se([v["nmse"] for v in vals], 3),
                fmt_mean_se([v["corr"] for v in vals], 2),
                f"{100 * mean_se([v['zeros'] for v in vals])[0]:.0f} %",
                fmt_mean_se([v["scale"] for v in vals], 2),
            ]
        )
    header = [
        "method",
        "ratio NMSE (mean ± s.e.)",
        "corr. with true ratio",
        "zero weights",
        "mean weight as returned",
    ]
    return markdown_table(header, rows)


def run(quick):
    smoke = is_smoke()
    peers = have_peer("adapt") or have_peer("skada")
    if smoke:
        clf_sizes, nn_sizes, seeds, qn = [300], [300], range(2), 200
        repeat = lambda n: 1  # noqa: E731
        dims, mem = (1,), [("ours_clf1", 300), ("ours_nn", 300)]
    elif quick:
        clf_sizes, nn_sizes, seeds, qn = [1_000, 10_000], [1_000, 5_000], range(5), 1000
        repeat = lambda n: 3  # noqa: E731
        dims = (1, 10)
        mem = [(k, 10_000) for k in ("ours_clf1", "adapt_iwc", "skada_disc")]
    else:
        clf_sizes, nn_sizes = [1_000, 10_000, 100_000], [1_000, 10_000, 30_000]
        seeds, qn, dims = range(10), 1000, (1, 10)
        repeat = lambda n: 7 if n <= 10_000 else 3  # noqa: E731
        mem = [
            (k, 100_000)
            for k in ("ours_clf", "ours_clf1", "adapt_iwc", "skada_disc")
        ] + [(k, 30_000) for k in ("ours_nn", "ours_nn5", "adapt_nnw", "skada_nn")]

    sections = [
("What is compared", COMPARED)
    ]
    sections.append(
        (
            f"Classifier weighting: speed and quality (d={N_FEATURES})",
            _speed(clf_sizes, "classifier", repeat, peers),
        )
    )
    sections.append(
        (
            f"Nearest-neighbour weighting: speed and quality (d={N_FEATURES})",
            _speed(nn_sizes, "nearest neighbours", repeat, peers),
        )
    )
    sections.append(
        (
            "Peak memory of the largest cases (fresh subprocess each)",
            _memory(mem, peers)
            + "\n\nThe subprocess imports the library and draws the data before "
            "the fit; *added by the fit* is the rise of the peak RSS during the "
            "fit alone.",
        )
    )
    for d in dims:
        sections.append(
            (
                f"Quality over {len(seeds)} seeds (n_source = n_target = {qn}, "
                f"d={d})",
                _quality_table(qn, d, seeds, peers),
            )
        )
        sections.append(
            (
                f"Quality with a well-specified (degree-2 logistic) domain "
                f"classifier, d={d}",
                _quality_table(qn, d, seeds, peers, quadratic=True),
            )
        )
    sections.append(("Peer behaviour these tables show", _facts(peers)))
    return write_results(
        NAME, "Classifier and nearest-neighbour weighting", sections, quick
    )


def _facts(peers):
    if not peers:
        return "Peers not run."
    return "\n".join(
        [
            "- **skada's discriminator weights are the inverse ratio.** "
            "`DiscriminatorReweightAdapter` labels target rows 1 and returns "
            "(1−p)/p, an estimate of p_s/p_t: its correlation with the true "
            "ratio is negative or near zero in every table above, while "
            "adapt's and ours, with the same classifier, agree with each other "
            "and with the truth.",
            "- **adapt's nearest-neighbour weights leave many rows at exactly "
            "0** (no smoothing; the *zero weights* column), and skada's "
            "(k=1, `laplace_smoothing=False` by default) leave even more. "
            "Ours smooths by default (no zero); `smoothing=0` reproduces "
            "Loog's unsmoothed estimate, and with k=5 it equals adapt's "
            "weights up to their scale.",
            "- **Scales differ by library** (*mean weight as returned*): adapt's "
            "NN weights have mean k·n_t/n_s (5 here), adapt's classifier "
            "weights P(t|x)/P(s|x) have a data-dependent mean (no n_s/n_t prior "
            "and no normalisation); ours are always mean 1 over the source "
            "rows. With a regularised downstream model the scale changes the "
            "fit, so the peers' weights are not interchangeable.",
        ]
    )
