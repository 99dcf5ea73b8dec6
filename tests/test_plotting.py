"""Diagnostic plots, rendered to PNG with the Agg backend."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # in the test only: the package never picks a backend
import matplotlib.pyplot as plt  # noqa: E402

import instransfer as it  # noqa: E402
from instransfer.metrics import balance_table, ess_by_flatten  # noqa: E402
from instransfer.plotting import (  # noqa: E402
    love_plot,
    plot_domain_overlap,
    plot_ess_flatten,
    plot_weight_distribution,
)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def fitted():
    data = it.datasets.make_covariate_shift(300, 200, 3, random_state=0)
    wtr = it.ClassifierWeighter(random_state=0).fit(data.X, data.domain)
    src = data.domain == 0
    cols = ["age", "bmi", "bp"]
    Xs = pd.DataFrame(data.X[src], columns=cols)
    Xt = pd.DataFrame(data.X[~src], columns=cols)
    Xs["sex"] = np.where(Xs["age"] > 0, "f", "m")
    Xt["sex"] = np.where(Xt["age"] > 0.4, "f", "m")
    table = balance_table(Xs, Xt, wtr.weights_)
    return data, wtr, table


def _render(ax, path):
    ax.figure.savefig(path, dpi=60)
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 50 and image.shape[1] > 50
    # not a blank canvas
    assert image[..., :3].std() > 0.01


def _collection(ax, label):
    found = [c for c in ax.collections if c.get_label() == label]
    assert len(found) == 1, [c.get_label() for c in ax.collections]
    return found[0]


def test_love_plot_points_threshold_and_order(fitted, tmp_path):
    _, _, table = fitted
    ax = love_plot(table)
    n = len(table)
    before = _collection(ax, "before weighting").get_offsets()
    after = _collection(ax, "after weighting").get_offsets()
    assert before.shape == (n, 2) and after.shape == (n, 2)
    # the largest imbalance before weighting is drawn on top
    top = np.argmax(before[:, 1])
    assert before[top, 0] == pytest.approx(table["diff_before"].abs().max())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    order = np.argsort(-table["diff_before"].abs().to_numpy(), kind="stable")
    assert labels == list(table.index[order])  # ticks listed top-down
    # each covariate's after-point sits at its |diff_after|
    for x, y in after:
        name = labels[list(ax.get_yticks()).index(y)]
        assert x == pytest.approx(abs(table.loc[name, "diff_after"]))
    lines = [line for line in ax.lines if line.get_label().startswith("threshold")]
    assert len(lines) == 1
    np.testing.assert_allclose(lines[0].get_xdata(), [0.1, 0.1])
    _render(ax, tmp_path / "love.png")


def test_love_plot_signed_and_custom_threshold(fitted):
    _, _, table = fitted
    fig, ax = plt.subplots()
    out = love_plot(table, absolute=False, threshold=0.25, sort=False, ax=ax)
    assert out is ax
    xs = sorted(line.get_xdata()[0] for line in ax.lines)
    assert xs == pytest.approx([-0.25, 0.0, 0.25])
    before = _collection(ax, "before weighting").get_offsets()
    assert (before[:, 0] < 0).any()  # signed differences kept
    with pytest.raises(ValueError, match="balance_table"):
        love_plot(pd.DataFrame({"x": [1]}))


def test_weight_distribution_counts_every_row(fitted, tmp_path):
    _, wtr, _ = fitted
    w = wtr.weights_
    ax = plot_weight_distribution(w)
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == len(w)
    assert ax.get_xscale() == "log"
    assert f"ESS {it.metrics.effective_sample_size(w):.1f} of {len(w)}" in (
        ax.get_title()
    )
    _render(ax, tmp_path / "weights.png")
    w0 = np.r_[0.0, 0.0, w]
    ax = plot_weight_distribution(w0)
    assert sum(p.get_height() for p in ax.patches) == len(w)
    assert "2 zero" in ax.get_title()
    ax = plot_weight_distribution(w, log=False, bins=10)
    assert len(ax.patches) == 10 and ax.get_xscale() == "linear"


def test_domain_overlap_histograms(fitted, tmp_path):
    data, wtr, _ = fitted
    ax = plot_domain_overlap(wtr, data.X, data.domain, weights=wtr.weights_)
    labels = [p.get_label() for p in ax.patches]
    assert labels == ["source", "target", "source, weighted"]
    # target rows score higher than source rows on average
    p = it.metrics.domain_probability(wtr, data.X)
    assert p[data.domain == 1].mean() > p[data.domain == 0].mean() + 0.1
    _render(ax, tmp_path / "overlap.png")
    ax = plot_domain_overlap(wtr, data.X, data.domain, scale="logit")
    assert "log-odds" in ax.get_xlabel()
    with pytest.raises(ValueError, match="source rows"):
        plot_domain_overlap(wtr, data.X, data.domain, weights=np.ones(3))
    with pytest.raises(ValueError, match="scale"):
        plot_domain_overlap(wtr, data.X, data.domain, scale="odds")
    # identical domains: every score equal, the bars must still be drawn
    X_same = np.zeros((40, 2))
    same = it.ULSIF(random_state=0).fit(X_same, np.r_[np.zeros(20), np.ones(20)])
    d_same = np.r_[np.zeros(20), np.ones(20)]
    ax = plot_domain_overlap(same, X_same, d_same, scale="logit")
    assert all(np.isfinite(patch.get_xy()).all() for patch in ax.patches)


def test_ess_flatten_curve(fitted, tmp_path):
    _, wtr, _ = fitted
    w = wtr.weights_
    ax = plot_ess_flatten(w, chosen=0.5)
    curve = ax.lines[0]
    path = ess_by_flatten(w, np.linspace(0, 1, 21))
    np.testing.assert_allclose(curve.get_xdata(), path["flatten"])
    np.testing.assert_allclose(curve.get_ydata(), path["ess"])
    assert curve.get_ydata()[0] == pytest.approx(len(w))
    chosen = [line for line in ax.lines if line.get_label().startswith("chosen")]
    np.testing.assert_allclose(chosen[0].get_xdata(), [0.5, 0.5])
    _render(ax, tmp_path / "ess.png")


def test_missing_matplotlib_names_the_extra(monkeypatch, fitted):
    _, wtr, _ = fitted
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "instransfer\[plot\]"'):
        plot_weight_distribution(wtr.weights_)


def test_importing_the_package_does_not_import_matplotlib():
    code = (
        "import sys, instransfer, instransfer.plotting, instransfer.metrics\n"
        "from instransfer.plotting import love_plot\n"
        "from instransfer.metrics import balance_table\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
