"""The ``instransfer`` command: ``demo`` and ``weigh``, run in-process."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import instransfer as it
from instransfer.__main__ import main


@pytest.fixture(scope="module")
def csv_pair(tmp_path_factory):
    """Small source/target CSVs with a text column, an id and a shift."""
    rng = np.random.RandomState(0)
    folder = tmp_path_factory.mktemp("csv")

    def frame(n, shift, prefix):
        age = rng.normal(50 + shift, 10, size=n).round(1)
        return pd.DataFrame(
            {
                "pid": [f"{prefix}{i}" for i in range(n)],
                "age": age,
                "bmi": rng.normal(27, 4, size=n).round(1),
                "smoker": rng.choice(["yes", "no"], size=n, p=[0.3, 0.7]),
            }
        )

    src, tgt = frame(80, 0, "s"), frame(60, 8, "t")
    src.loc[3, "smoker"] = None  # a missing category
    paths = {
        "src": folder / "source.csv",
        "tgt": folder / "target.csv",
        "src_num": folder / "source_numeric.csv",
        "tgt_num": folder / "target_numeric.csv",
    }
    src.to_csv(paths["src"], index=False)
    tgt.to_csv(paths["tgt"], index=False)
    src[["age", "bmi"]].to_csv(paths["src_num"], index=False)
    tgt[["age", "bmi"]].to_csv(paths["tgt_num"], index=False)
    paths["frames"] = (src, tgt)
    return paths


def _weigh(csv_pair, tmp_path, *extra, source="src", target="tgt"):
    out = tmp_path / "weights.csv"
    argv = ["weigh", str(csv_pair[source]), str(csv_pair[target]), "--out", str(out)]
    return main(argv + list(extra) + ["--quiet"]), out


def test_help_and_usage(capsys):
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["weigh", "--help"]) == 0
    assert "--method" in capsys.readouterr().out
    assert main([]) == 2  # no command: help on stderr
    assert "COMMAND" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert main(["--version"]) == 0
    assert it.__version__ in capsys.readouterr().out


def test_python_dash_m_help():
    proc = subprocess.run(
        [sys.executable, "-m", "instransfer", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "weigh" in proc.stdout and "demo" in proc.stdout


def test_weigh_classifier_with_text_columns_and_index(csv_pair, tmp_path, capsys):
    rc, out = _weigh(csv_pair, tmp_path, "--index-col", "pid", "--seed", "3")
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "ESS" in stdout and "Weights written" in stdout
    w = pd.read_csv(out, index_col="pid")
    src, tgt = csv_pair["frames"]
    assert list(w.index) == list(src["pid"]) and list(w.columns) == ["weight"]
    assert w["weight"].mean() == pytest.approx(1)
    assert (w["weight"] > 0).all()
    # older source rows resemble the (older) target: they weigh more
    assert np.corrcoef(src["age"], w["weight"])[0, 1] > 0.3
    # the ESS printed is that of the weights written
    ess = it.metrics.effective_sample_size(w["weight"])
    assert f"ESS {ess:.1f} of {len(src)}" in stdout
    # deterministic for a seed
    rc2, out2 = _weigh(
        csv_pair, tmp_path / "new_folder", "--index-col", "pid", "--seed", "3"
    )
    assert rc2 == 0  # --out's folder is created
    pd.testing.assert_frame_equal(pd.read_csv(out2, index_col="pid"), w)


def test_weigh_nn_matches_the_library_on_standardised_columns(csv_pair, tmp_path):
    rc, out = _weigh(csv_pair, tmp_path, "--method", "nn", "--columns", "age", "bmi")
    assert rc == 0
    w = pd.read_csv(out, index_col="row")["weight"].to_numpy()
    src, tgt = csv_pair["frames"]
    stacked = pd.concat([src, tgt])[["age", "bmi"]].to_numpy()
    Z = (stacked - stacked.mean(axis=0)) / stacked.std(axis=0)
    domain = np.r_[np.zeros(len(src)), np.ones(len(tgt))]
    expected = it.NearestNeighborWeighter().fit(Z, domain).weights_
    np.testing.assert_allclose(w, expected)


def test_weigh_flatten_and_clip(csv_pair, tmp_path):
    rc, out = _weigh(
        csv_pair,
        tmp_path,
        "--method",
        "nn",
        "--flatten",
        "0",
        source="src_num",
        target="tgt_num",
    )
    assert rc == 0
    np.testing.assert_allclose(pd.read_csv(out)["weight"], 1.0)
    rc, out = _weigh(
        csv_pair,
        tmp_path,
        "--method",
        "nn",
        "--clip",
        "1.5",
        source="src_num",
        target="tgt_num",
    )
    assert rc == 0
    w = pd.read_csv(out)["weight"]
    assert w.max() <= 1.5 + 1e-9 and w.mean() == pytest.approx(1)


def test_weigh_report_writes_balance_and_plots(csv_pair, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    report = tmp_path / "report"
    rc, out = _weigh(
        csv_pair,
        tmp_path,
        "--columns",
        "age",
        "bmi",
        "smoker",
        "--flatten",
        "0.5",
        "--report",
        str(report),
    )
    assert rc == 0
    names = {p.name for p in report.iterdir()}
    assert {
        "balance.csv",
        "weight_summary.csv",
        "love_plot.png",
        "weights.png",
        "overlap.png",
        "ess_flatten.png",
    } <= names
    table = pd.read_csv(report / "balance.csv", index_col="covariate")
    assert {"age", "bmi", "smoker=yes", "smoker=no", "smoker=<NA>"} <= set(table.index)
    # weighting moves the source's age towards the target's
    assert abs(table.loc["age", "diff_after"]) < abs(table.loc["age", "diff_before"])
    assert "Balance" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--columns", "age", "height"], "['height'] not found"),
        (["--index-col", "nope"], "--index-col 'nope'"),
        (["--flatten", "-1"], "must be >= 0"),
        (["--clip", "0.5"], "must be >= 1"),
        (["--method", "magic"], "invalid choice"),
    ],
)
def test_weigh_user_mistakes_exit_2_without_traceback(
    csv_pair, tmp_path, capsys, args, message
):
    rc, _ = _weigh(csv_pair, tmp_path, *args)
    err = capsys.readouterr().err
    assert rc == 2
    assert message in err
    assert "Traceback" not in err


def test_weigh_file_problems(csv_pair, tmp_path, capsys):
    rc = main(
        [
            "weigh",
            str(tmp_path / "missing.csv"),
            str(csv_pair["tgt"]),
            "--out",
            str(tmp_path / "w.csv"),
        ]
    )
    assert rc == 2 and "not found" in capsys.readouterr().err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    rc = main(["weigh", str(empty), str(csv_pair["tgt"]), "--out", "w.csv"])
    assert rc == 2 and "is empty" in capsys.readouterr().err
    rc = main(
        [
            "weigh",
            str(csv_pair["src"]),
            str(csv_pair["tgt_num"]),
            "--out",
            str(tmp_path / "w.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "different columns" in err and "--columns" in err
    afile = tmp_path / "afile"
    afile.write_text("x")
    rc, _ = _weigh(csv_pair, tmp_path, "--report", str(afile))
    assert rc == 2 and "not a directory" in capsys.readouterr().err


def test_weigh_with_missing_numeric_values(csv_pair, tmp_path, capsys):
    src, tgt = csv_pair["frames"]
    holes = src[["age", "bmi"]].copy()
    holes.loc[0, "bmi"] = np.nan
    path = tmp_path / "holes.csv"
    holes.to_csv(path, index=False)
    argv = ["weigh", str(path), str(csv_pair["tgt_num"]), "--quiet"]
    # every method imputes them (median + a 0/1 missingness indicator)
    assert main(argv + ["--method", "nn", "--out", str(tmp_path / "a.csv")]) == 0
    assert main(argv + ["--out", str(tmp_path / "b.csv")]) == 0
    # a column with no value at all: a clear error before any fit
    holes["bmi"] = np.nan
    holes.to_csv(path, index=False)
    capsys.readouterr()
    rc = main(argv + ["--out", str(tmp_path / "c.csv"), "--report", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and "['bmi'] have no value at all" in err and "--columns" in err


def test_weigh_unavailable_method_is_a_clean_error(
    csv_pair, tmp_path, capsys, monkeypatch
):
    from instransfer._cli import _weigh as weigh_module

    monkeypatch.setitem(weigh_module.METHODS, "kmm", ("NoSuchWeighter", True))
    rc, _ = _weigh(
        csv_pair, tmp_path, "--method", "kmm", source="src_num", target="tgt_num"
    )
    err = capsys.readouterr().err
    assert rc == 1 and "NoSuchWeighter" in err and "Traceback" not in err


def test_weigh_shows_progress_on_stderr(csv_pair, tmp_path, capsys):
    out = tmp_path / "w.csv"
    rc = main(
        [
            "weigh",
            str(csv_pair["src_num"]),
            str(csv_pair["tgt_num"]),
            "--method",
            "nn",
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0
    assert "fitting NearestNeighborWeighter" in captured.err and "done (" in (
        captured.err
    )
    assert "fitting" not in captured.out


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    pytest.importorskip("matplotlib")
    pytest.importorskip("lifelines")  # the demo's cohorts ship in its wheel
    out_dir = tmp_path_factory.mktemp("demo")
    from contextlib import redirect_stderr, redirect_stdout
    from io import StringIO

    stdout, stderr = StringIO(), StringIO()
    with redirect_stdout(stdout), redirect_stderr(stderr):
        rc = main(
            [
                "demo",
                "--cohort",
                "rossi",
                "--bootstrap",
                "50",
                "--seed",
                "1",
                "--out",
                str(out_dir),
            ]
        )
    return rc, stdout.getvalue(), stderr.getvalue(), out_dir


def test_demo_tells_the_whole_story(demo_run):
    rc, out, err, out_dir = demo_run
    assert rc == 0, err
    for section in (
        "1. Covariate balance",
        "2. The weights",
        "3. How much to weight",
        "4. Target performance",
        "Verdict",
        "5. Valid on the target",
    ):
        assert section in out
    for model in (
        "unweighted",
        "weighted (flatten 1)",
        "IWCV-flattened (flatten",
        "oracle-weighted",
    ):
        assert model in out
    assert "ESS" in out and "<- chosen" in out
    assert "1/4 weighting" in err and "4/4 scoring" in err
    assert "Traceback" not in err
    names = {p.name for p in out_dir.iterdir()}
    assert {
        "balance.csv",
        "target_scores.csv",
        "love_plot.png",
        "weights.png",
        "overlap.png",
        "ess_flatten.png",
    } <= names
    balance = pd.read_csv(out_dir / "balance.csv", index_col="covariate")
    # the age shift is visible before weighting and mostly removed after
    assert balance.loc["age", "diff_before"] < -0.5
    assert abs(balance.loc["age", "diff_after"]) < 0.5 * abs(
        balance.loc["age", "diff_before"]
    )
    scores = pd.read_csv(out_dir / "target_scores.csv", index_col=[0, 1])
    assert len(scores) == 4 * 3


def test_demo_is_deterministic_for_a_seed(demo_run, capsys):
    rc, out, _, _ = demo_run
    assert (
        main(
            ["demo", "--cohort", "rossi", "--bootstrap", "50", "--seed", "1", "--quiet"]
        )
        == 0
    )
    again = capsys.readouterr()
    assert again.err == ""  # --quiet: no progress, and no warnings
    written = out.index("\nWritten to")
    assert again.out == out[:written]


def test_demo_bad_cohort(capsys):
    assert main(["demo", "--cohort", "titanic", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "unknown cohort 'titanic'" in err and "gbsg2" in err


def test_demo_lists_cohorts(capsys):
    assert main(["demo", "--list-cohorts"]) == 0
    out = capsys.readouterr().out
    names = list(it.datasets.list_cohorts())
    assert [line.split()[0] for line in out.splitlines()] == names


def test_a_rare_missing_value_gets_no_extreme_weight():
    # the same rows as source and target: every weight should be near 1; a
    # standardised missingness indicator (~sqrt(n) for one row) gave 30-50
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    import instransfer as it
    from instransfer._cli._common import encoded_model

    rng = np.random.RandomState(0)
    df = pd.DataFrame({"age": rng.normal(50, 10, 120), "bmi": rng.normal(27, 4, 120)})
    df.loc[5, "bmi"] = np.nan
    X = pd.concat([df, df], ignore_index=True)
    domain = np.r_[np.zeros(120), np.ones(120)]
    model = encoded_model(df, LogisticRegression())
    w = it.ClassifierWeighter(model, random_state=0).fit(X, domain).weights_
    assert w.max() < 2.0


def test_an_id_column_only_in_source_points_to_index_col(csv_pair, tmp_path, capsys):
    src, tgt = csv_pair["frames"]
    path = tmp_path / "target_without_id.csv"
    tgt.drop(columns="pid").to_csv(path, index=False)
    argv = ["weigh", str(csv_pair["src"]), str(path), "--quiet"]
    rc = main(argv + ["--out", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err
    assert rc == 2 and "--columns" in err and "--index-col pid" in err
    # and the advice works
    assert main(argv + ["--index-col", "pid", "--out", str(tmp_path / "b.csv")]) == 0


@pytest.fixture(scope="module")
def far_apart_csvs(tmp_path_factory):
    """A target far in the tail of the source: few effective rows."""
    rng = np.random.RandomState(0)
    folder = tmp_path_factory.mktemp("far")
    src = pd.DataFrame({"x": rng.normal(0, 1, 60), "z": rng.normal(0, 1, 60)})
    tgt = pd.DataFrame({"x": rng.normal(2, 0.5, 40), "z": rng.normal(1.5, 0.5, 40)})
    src.to_csv(folder / "s.csv", index=False)
    tgt.to_csv(folder / "t.csv", index=False)
    return folder / "s.csv", folder / "t.csv"


def test_low_ess_warning_suggests_the_cli_options(far_apart_csvs, tmp_path, capsys):
    s, t = far_apart_csvs
    argv = ["weigh", str(s), str(t), "--quiet", "--out", str(tmp_path / "w.csv")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "LowEffectiveSampleSizeWarning" in err
    assert "--flatten" in err and "--clip" in err
    # no Python remedies on the command line
    assert "ImportanceWeightedClassifierCV" not in err
    assert "truncate_weights" not in err
    # a flattened weighting keeps enough rows: no warning
    assert main(argv + ["--flatten", "0.3"]) == 0
    assert "LowEffectiveSampleSizeWarning" not in capsys.readouterr().err


def test_balance_table_means_share_decimals_within_a_row():
    from instransfer._cli._common import format_balance

    rng = np.random.RandomState(0)
    src = pd.DataFrame({"progrec": rng.normal(98.3, 5, 50), "p": rng.rand(50)})
    tgt = pd.DataFrame({"progrec": rng.normal(110.4, 5, 40), "p": rng.rand(40)})
    table = it.metrics.balance_table(src, tgt, np.ones(50))
    lines = format_balance(table).splitlines()
    row = next(line for line in lines if line.startswith("progrec"))
    target, source, weighted = row.split()[2:5]
    decimals = {len(v.split(".")[1]) if "." in v else 0 for v in (target, source)}
    assert decimals == {1}, row  # 110.4 beside 98.3, not 110 beside 98.275
    assert weighted == source


def _scores(diffs):
    """evaluate()-shaped scores: model -> (diff, ci_low, ci_high) of log loss."""
    rows = {("unweighted", "log_loss"): dict(estimate=0.6)}
    for model, (d, lo, hi) in diffs.items():
        rows[(model, "log_loss")] = dict(
            estimate=0.6 + d, diff=d, diff_ci_low=lo, diff_ci_high=hi
        )
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index)
    return frame


LABELS = {"log_loss": ("log loss", "lower")}


def test_demo_verdict_follows_the_numbers_it_prints():
    from instransfer._cli._demo import _verdict

    # the rossi case: flattened weights better, oracle unclear
    text = _verdict(
        _scores(
            {
                "weighted (flatten 1)": (0.059, -0.08, 0.186),
                "IWCV-flattened (flatten 0.25)": (-0.046, -0.085, -0.015),
                "oracle-weighted": (-0.037, -0.148, 0.058),
            }
        ),
        LABELS,
        0.25,
        36.0,
        220,
    )
    assert "IWCV-flattened (flatten 0.25): better than unweighted" in text
    lesson = " ".join(text.split("\n")[4:])
    assert "IWCV-flattened (flatten 0.25) lowered the target log loss" in lesson
    assert "corrects little bias" not in lesson and "Even the oracle" not in lesson

    # nothing helps: the old lesson, with the oracle's and the full weights' harm
    text = _verdict(
        _scores(
            {
                "weighted (flatten 1)": (0.1, 0.04, 0.17),
                "IWCV-flattened (flatten 0)": (0.0, 0.0, 0.0),
                "oracle-weighted": (0.08, 0.02, 0.14),
            }
        ),
        LABELS,
        0.0,
        74.0,
        273,
    )
    lesson = " ".join(text.split("\n")[4:])
    assert "oracle weights make the target log loss worse" in lesson
    assert "weighted (flatten 1) made it worse" in lesson
    assert "corrects little bias" in lesson and "(no weighting)" in lesson

    # the oracle helps, the estimate does not
    text = _verdict(
        _scores(
            {
                "weighted (flatten 1)": (0.01, -0.02, 0.04),
                "IWCV-flattened (flatten 0.5)": (-0.01, -0.03, 0.01),
                "oracle-weighted": (-0.05, -0.09, -0.01),
            }
        ),
        LABELS,
        0.5,
        100.0,
        300,
    )
    lesson = " ".join(text.split("\n")[4:])
    assert "oracle weights lower the target log loss" in lesson
    assert "do not recover" in lesson and "Even the oracle" not in lesson


def test_demo_explains_a_low_ess_without_python_advice(capsys):
    # the demo's answer to a low ESS is its section 3, not a Python call
    pytest.importorskip("lifelines")  # the demo's cohorts ship in its wheel
    argv = ["demo", "--cohort", "rossi", "--strength", "3", "--bootstrap", "0"]
    assert main(argv + ["--quiet"]) == 0
    captured = capsys.readouterr()
    import re

    pct = float(re.search(r"ESS [\d.]+ of \d+ rows \(([\d.]+) %\)", captured.out)[1])
    assert pct < 10
    assert "Under 10 % effective rows" in captured.out
    assert captured.err == ""


def test_weigh_report_names_levels_only_in_the_target(tmp_path, capsys):
    rng = np.random.RandomState(0)
    src = pd.DataFrame(
        {"age": rng.normal(50, 8, 60), "ward": rng.choice(["A", "B", "C"], 60)}
    )
    tgt = pd.DataFrame(
        {"age": rng.normal(55, 8, 50), "ward": rng.choice(["B", "C", "D"], 50)}
    )
    src.to_csv(tmp_path / "s.csv", index=False)
    tgt.to_csv(tmp_path / "t.csv", index=False)
    share = 100 * (tgt["ward"] == "D").mean()
    argv = ["weigh", str(tmp_path / "s.csv"), str(tmp_path / "t.csv"), "--quiet"]
    argv += ["--out", str(tmp_path / "w.csv"), "--report", str(tmp_path / "rep")]
    assert main(argv) == 0
    captured = capsys.readouterr()
    lines = [ln for ln in captured.out.splitlines() if "Only in the target" in ln]
    assert len(lines) == 1
    assert f"ward=D ({share:.1f} % of target rows)" in lines[0]
    assert "ward=B" not in lines[0] and "no weighting" in lines[0].lower()
    # said once, in the report, not again as a warning on stderr
    assert "occur in the target" not in captured.err
    table = pd.read_csv(tmp_path / "rep" / "balance.csv", index_col="covariate")
    assert table.index[table["target_only"]].tolist() == ["ward=D"]


@pytest.fixture(scope="module")
def subgroup_csvs(tmp_path_factory):
    """Age-shifted files with an integer ID and a 15-row 0/1 subgroup in each."""
    rng = np.random.RandomState(0)
    folder = tmp_path_factory.mktemp("subgroup")

    def frame(n, shift, start):
        f = pd.DataFrame(
            {
                "patient": np.arange(start, start + n),
                "age": rng.normal(50 + shift, 10, n).round(1),
                "bmi": rng.normal(27, 4, n).round(1),
                "flag": np.zeros(n, dtype=int),
            }
        )
        f.loc[:14, "flag"] = 1
        return f

    paths = folder / "s.csv", folder / "t.csv"
    frame(600, 0, 1000).to_csv(paths[0], index=False)
    frame(600, 5, 5000).to_csv(paths[1], index=False)
    return paths


def test_an_id_column_is_left_out_with_a_note_naming_index_col(
    subgroup_csvs, tmp_path, capsys
):
    s, t = subgroup_csvs
    argv = ["weigh", str(s), str(t), "--quiet", "--method", "nn"]
    assert main(argv + ["--out", str(tmp_path / "a.csv")]) == 0
    captured = capsys.readouterr()
    assert "['patient']" in captured.err and "--index-col patient" in captured.err
    assert "on 3 covariates" in captured.out  # age, bmi, flag
    # named in --columns, it is the user's choice
    cols = ["--columns", "patient", "age"]
    assert main(argv + cols + ["--out", str(tmp_path / "b.csv")]) == 0
    captured = capsys.readouterr()
    assert "--index-col" not in captured.err and "on 2 covariates" in captured.out
    # with --index-col it is the index, and no note
    idx = ["--index-col", "patient"]
    assert main(argv + idx + ["--out", str(tmp_path / "c.csv")]) == 0
    assert "note:" not in capsys.readouterr().err


def test_kernel_weights_see_0_1_columns_unscaled(subgroup_csvs, tmp_path, capsys):
    # Standardising the 15-row flag put its rows ~6 SDs from the others and
    # uLSIF gave them a mean weight of 0.04 (the same share in both files);
    # left as 0/1 the subgroup keeps a weight of the order of 1.
    s, t = subgroup_csvs
    report = tmp_path / "report"
    argv = ["weigh", str(s), str(t), "--quiet", "--method", "ulsif"]
    argv += ["--index-col", "patient", "--out", str(tmp_path / "w.csv")]
    assert main(argv + ["--report", str(report)]) == 0
    w = pd.read_csv(tmp_path / "w.csv")["weight"].to_numpy()
    assert w[:15].mean() > 0.3
    # the CLI's weights are the library's on CovariateEncoder's encoding
    from instransfer.preprocessing import CovariateEncoder

    src, tgt = (pd.read_csv(p).drop(columns="patient") for p in subgroup_csvs)
    X, domain = it.stack_domains(src, tgt)
    Z = CovariateEncoder().fit_transform(X)
    np.testing.assert_array_equal(Z[:, 2], X["flag"])  # the flag unscaled
    expected = it.ULSIFCV(random_state=0).fit(Z, domain).weights_
    np.testing.assert_allclose(w, expected, rtol=1e-10)
    # the report shows the subgroup's mean weight
    out = capsys.readouterr().out
    assert f"flag (15 rows) {w[:15].mean():.3g}" in out


def test_an_outcome_only_in_source_is_not_called_an_id(csv_pair, tmp_path, capsys):
    # a 0/1 outcome measured in the source only is not an ID: the hint to pass
    # it as --index-col would write it beside the weights and hide the mistake
    src, tgt = csv_pair["frames"]
    path = tmp_path / "source_with_outcome.csv"
    src.drop(columns="pid").assign(died=np.arange(len(src)) % 2).to_csv(
        path, index=False
    )
    tgt_path = tmp_path / "target.csv"
    tgt.drop(columns="pid").to_csv(tgt_path, index=False)
    argv = ["weigh", str(path), str(tgt_path), "--quiet"]
    assert main(argv + ["--out", str(tmp_path / "a.csv")]) == 2
    err = capsys.readouterr().err
    assert "['died']" in err and "--columns" in err and "--index-col" not in err


def test_the_validity_section_points_to_no_table_it_has_not_printed(
    csv_pair, tmp_path, capsys
):
    rc, _ = _weigh(csv_pair, tmp_path, "--index-col", "pid")
    assert rc == 0
    out = capsys.readouterr().out
    assert "Residual imbalance" in out and "Balance:" not in out
    assert "flags above" not in out
