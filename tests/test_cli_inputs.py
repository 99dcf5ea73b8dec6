"""``instransfer weigh`` over CSV dialects, encodings, inf/NaN, IDs, empty files.

Every dialect and encoding of the same table must give the same weights as
the plain comma-separated UTF-8 file; what cannot be read is refused (exit 2)
with the option that fixes it, never read as one text column (uniform
weights, exit 0).
"""

import numpy as np
import pandas as pd
import pytest

from instransfer.__main__ import main


def _frames():
    rng = np.random.RandomState(0)

    def frame(n, shift, prefix):
        return pd.DataFrame(
            {
                "pid": [f"{prefix}{i}" for i in range(n)],
                "age": rng.normal(50 + shift, 10, size=n).round(1),
                "bmi": rng.normal(27, 4, size=n).round(1),
                # accents: the encodings differ on these bytes
                "site": rng.choice(["Orléans", "Zürich", "Łódź"], size=n),
            }
        )

    return frame(40, 0, "s"), frame(30, 10, "t")


def _write(frame, path, sep=",", encoding="utf-8", decimal="."):
    frame.to_csv(path, sep=sep, encoding=encoding, index=False, decimal=decimal)
    return path


def _weigh(tmp_path, src, tgt, *extra):
    out = tmp_path / "w.csv"
    argv = ["weigh", str(src), str(tgt), "--out", str(out), "--quiet", *extra]
    return main(argv), out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ref")
    src, tgt = _frames()
    rc, out = _weigh(
        folder,
        _write(src, folder / "s.csv"),
        _write(tgt, folder / "t.csv"),
        "--index-col",
        "pid",
    )
    assert rc == 0
    return pd.read_csv(out, index_col="pid")["weight"]


@pytest.mark.parametrize("sep", [",", ";", "\t"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1"])
def test_dialects_and_encodings_give_the_same_weights(
    reference, tmp_path, sep, encoding
):
    src, tgt = _frames()
    if encoding == "latin-1":  # Łódź has no latin-1 bytes
        src["site"] = src["site"].str.replace("Łódź", "Bâle")
        tgt["site"] = tgt["site"].str.replace("Łódź", "Bâle")
    s = _write(src, tmp_path / "s.csv", sep, encoding)
    t = _write(tgt, tmp_path / "t.csv", sep, encoding)
    extra = ["--index-col", "pid"]
    if encoding == "latin-1":
        rc, _ = _weigh(tmp_path, s, t, *extra)
        assert rc == 2  # not UTF-8: refused with the option that reads it
        extra += ["--encoding", "latin-1"]
    rc, out = _weigh(tmp_path, s, t, *extra)
    assert rc == 0
    w = pd.read_csv(out, index_col="pid")["weight"]
    if encoding == "latin-1":  # another level name, the same rows
        assert w.shape == reference.shape and np.isclose(w.mean(), 1.0)
    else:
        pd.testing.assert_series_equal(w, reference)
    assert w.std() > 0.05  # a real shift, not one text column's uniform weights


def test_explicit_sep_tab_and_decimal_comma(reference, tmp_path, capsys):
    src, tgt = _frames()
    s = _write(src, tmp_path / "s.csv", ";", decimal=",")
    t = _write(tgt, tmp_path / "t.csv", ";", decimal=",")
    rc, _ = _weigh(tmp_path, s, t, "--index-col", "pid")
    assert rc == 2
    assert "--decimal" in capsys.readouterr().err
    rc, out = _weigh(tmp_path, s, t, "--index-col", "pid", "--decimal", ",")
    assert rc == 0
    pd.testing.assert_series_equal(
        pd.read_csv(out, index_col="pid")["weight"], reference
    )
    s = _write(src, tmp_path / "s.tsv", "\t")
    t = _write(tgt, tmp_path / "t.tsv", "\t")
    rc, out = _weigh(tmp_path, s, t, "--index-col", "pid", "--sep", "tab")
    assert rc == 0


def test_ambiguous_header_asks_for_sep(tmp_path, capsys):
    src, tgt = _frames()
    src = src.rename(columns={"bmi": "bmi;kg/m2"})
    tgt = tgt.rename(columns={"bmi": "bmi;kg/m2"})
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    rc, _ = _weigh(tmp_path, s, t, "--index-col", "pid")
    assert rc == 2
    assert "--sep" in capsys.readouterr().err
    rc, _ = _weigh(tmp_path, s, t, "--index-col", "pid", "--sep", ",")
    assert rc == 0


def test_infinite_values_are_not_called_missing(tmp_path, capsys):
    src, tgt = _frames()
    src.loc[2, "age"] = np.inf
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    for method in ("classifier", "nn"):
        extra = ["--index-col", "pid", "--method", method]
        if method == "nn":
            extra += ["--columns", "age", "bmi"]
        rc, _ = _weigh(tmp_path, s, t, *extra)
        assert rc == 2
        err = capsys.readouterr().err
        assert "infinite" in err and "age" in err and "missing" not in err.split(";")[0]


def test_missing_values_are_imputed_by_the_classifier(tmp_path):
    src, tgt = _frames()
    src.loc[[1, 5], "bmi"] = np.nan
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    rc, out = _weigh(tmp_path, s, t, "--index-col", "pid")
    assert rc == 0
    w = pd.read_csv(out, index_col="pid")["weight"]
    assert np.isfinite(w).all() and np.isclose(w.mean(), 1.0)


def test_id_column_written_beside_the_weights(reference, tmp_path):
    src, tgt = _frames()
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    # the target's ID column is dropped too (not a covariate)
    rc, out = _weigh(tmp_path, s, t, "--index-col", "pid")
    assert rc == 0
    assert list(pd.read_csv(out)["pid"]) == list(src["pid"])


def test_id_column_is_never_a_covariate(reference, tmp_path, capsys):
    # the ID detection comes with the library's covariate encoder
    pytest.importorskip("instransfer.preprocessing")
    src, tgt = _frames()
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    rc, out = _weigh(tmp_path, s, t)
    # an ID taken as a covariate separates the files perfectly: refused with
    # the hint, or left out (the same weights as with --index-col)
    if rc == 2:
        assert "--index-col pid" in capsys.readouterr().err
    else:
        assert rc == 0
        w = pd.read_csv(out)["weight"].to_numpy()
        np.testing.assert_allclose(w, reference.to_numpy())


@pytest.mark.parametrize(
    "content, message",
    [("", "is empty"), ("\n\n", "is empty"), ("age,bmi\n", "no rows")],
)
def test_empty_files_are_refused(tmp_path, capsys, content, message):
    src, tgt = _frames()
    s = tmp_path / "s.csv"
    s.write_text(content)
    t = _write(tgt[["age", "bmi"]], tmp_path / "t.csv")
    rc, _ = _weigh(tmp_path, s, t)
    assert rc == 2
    assert message in capsys.readouterr().err


def _cohort_pair():
    """The test frames with the columns an analyst's export often carries."""
    src, tgt = _frames()
    src, tgt = src.drop(columns="pid"), tgt.drop(columns="pid")
    n = len(src) + len(tgt)
    # a few visits share a day: not an ID, but a new level on most rows
    days = pd.to_timedelta(np.minimum(np.arange(n), n - 5) * 3, unit="D")
    dates = (pd.Timestamp("2020-01-01") + days).strftime("%Y-%m-%d")
    return (
        src.assign(domain="source", visit=dates[: len(src)], country="FR"),
        tgt.assign(domain="target", visit=dates[len(src) :], country="FR"),
    )


def test_columns_that_cannot_be_covariates_are_left_out_with_a_note(
    reference, tmp_path, capsys
):
    # a domain label left in both files separates them by construction; a
    # constant and a date column (a new level on every row) carry nothing
    src, tgt = _cohort_pair()
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    rc, out = _weigh(tmp_path, s, t)
    assert rc == 0
    err = capsys.readouterr().err
    for col in ("'domain'", "'visit'", "'country'"):
        assert f"note: column {col} is left out" in err
    # the same weights as on the covariates alone
    w = pd.read_csv(out)["weight"].to_numpy()
    np.testing.assert_allclose(w, reference.to_numpy())


@pytest.mark.parametrize("labels", [("source", "target"), (1, 2)])
def test_a_domain_label_named_in_columns_is_refused(tmp_path, capsys, labels):
    src, tgt = _frames()
    src, tgt = src.assign(group=labels[0]), tgt.assign(group=labels[1])
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    rc, _ = _weigh(tmp_path, s, t, "--columns", "age", "group")
    assert rc == 2
    err = capsys.readouterr().err
    assert "'group'" in err and "leave it out of --columns" in err


def test_index_col_is_written_back_verbatim(tmp_path):
    # record numbers with leading zeros are text: read as integers they lost
    # the zeros and no longer matched the analyst's table
    src, tgt = _frames()
    src = src.assign(pid=[f"{i:06d}" for i in range(len(src))])
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    rc, out = _weigh(tmp_path, s, t, "--index-col", "pid")
    assert rc == 0
    ids = pd.read_csv(out, dtype=str)["pid"]
    assert list(ids) == list(src["pid"])


@pytest.mark.parametrize("problem", ["repeated", "missing"])
def test_an_index_col_that_cannot_identify_rows_is_refused(tmp_path, capsys, problem):
    src, tgt = _frames()
    src.loc[5, "pid"] = src.loc[4, "pid"] if problem == "repeated" else None
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    rc, _ = _weigh(tmp_path, s, t, "--index-col", "pid")
    assert rc == 2
    err = capsys.readouterr().err
    assert "--index-col 'pid'" in err and problem in err


def test_a_missing_value_marker_in_a_number_column(reference, tmp_path, capsys):
    # "." (a SAS export's missing value) made the column text: every number a
    # category of its own, silently; refused with the option that reads it
    src, tgt = _frames()
    src = src.astype({"bmi": object})
    src.loc[::7, "bmi"] = "."
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    rc, _ = _weigh(tmp_path, s, t, "--index-col", "pid")
    assert rc == 2
    err = capsys.readouterr().err
    assert "'bmi'" in err and "--na-values ." in err
    rc, out = _weigh(tmp_path, s, t, "--index-col", "pid", "--na-values", ".")
    assert rc == 0
    # the same weights as with the cells left empty
    src.loc[::7, "bmi"] = None
    s = _write(src, tmp_path / "s_empty.csv")
    expected = pd.read_csv(out)["weight"].to_numpy()
    rc, out = _weigh(tmp_path, s, t, "--index-col", "pid")
    assert rc == 0
    np.testing.assert_allclose(pd.read_csv(out)["weight"], expected)


def test_out_never_overwrites_an_input_file(tmp_path, capsys):
    src, tgt = _frames()
    s, t = _write(src, tmp_path / "s.csv"), _write(tgt, tmp_path / "t.csv")
    before = s.read_bytes()
    argv = ["weigh", str(s), str(t), "--quiet", "--index-col", "pid"]
    assert main([*argv, "--out", str(tmp_path / "." / "s.csv")]) == 2
    assert "--out" in capsys.readouterr().err
    assert s.read_bytes() == before
