"""``instransfer weigh`` on parquet files, read and written through Dask."""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

import instransfer as it  # noqa: E402
from instransfer.__main__ import main  # noqa: E402
from instransfer.datasets import make_covariate_shift  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::instransfer.exceptions.ResidualImbalanceWarning"
)


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture
def files(tmp_path):
    d = make_covariate_shift(600, 200, 2, shift=0.7, random_state=0)
    X = pd.DataFrame(np.asarray(d.X), columns=["age", "bmi"])
    src, tgt = X[d.domain == 0].reset_index(drop=True), X[d.domain == 1]
    src = src.assign(pid=np.arange(1000, 1600))
    (tmp_path / "source").mkdir()
    for k in range(3):  # a directory of three files: three partitions
        src.iloc[200 * k : 200 * (k + 1)].to_parquet(tmp_path / f"source/p{k}.parquet")
    tgt.to_parquet(tmp_path / "target.parquet")
    return tmp_path, src, tgt


def test_weigh_parquet_writes_partitions_with_the_index(files, capsys):
    tmp, src, tgt = files
    out = tmp / "weights"
    status = main(
        [
            "weigh",
            str(tmp / "source"),
            str(tmp / "target.parquet"),
            "--method",
            "ulsif",
            "--index-col",
            "pid",
            "--out",
            str(out),
        ]
    )
    assert status == 0, capsys.readouterr()
    assert len(list(out.glob("*.parquet"))) == 3
    got = pd.read_parquet(out)
    assert list(got.columns) == ["pid", "weight"]
    np.testing.assert_array_equal(got["pid"], src["pid"])
    X = pd.concat([src[["age", "bmi"]], tgt])
    domain = np.r_[np.zeros(len(src)), np.ones(len(tgt))]
    ref = it.ULSIFCV(random_state=0).fit(X.to_numpy(), domain).weights_
    np.testing.assert_allclose(got["weight"], ref, rtol=1e-10)
    assert "through Dask" in capsys.readouterr().out


def test_weigh_parquet_glob_without_index_numbers_rows(files):
    tmp, src, _ = files
    out = tmp / "w2"
    argv = ["weigh", str(tmp / "source/p*.parquet"), str(tmp / "target.parquet")]
    assert main([*argv, "--columns", "age", "bmi", "--out", str(out)]) == 0
    got = pd.read_parquet(out)
    np.testing.assert_array_equal(got["row"], np.arange(len(src)))
    assert got["weight"].mean() == pytest.approx(1.0)


def test_weigh_parquet_column_only_in_source(files, capsys):
    tmp, _, _ = files
    argv = ["weigh", str(tmp / "source"), str(tmp / "target.parquet")]
    assert main([*argv, "--out", str(tmp / "w3")]) == 2
    assert "source data only" in capsys.readouterr().err


def test_weigh_parquet_leaves_out_an_id_and_a_domain_label(files, capsys):
    # an ID in both files, and a 1/2 label of the file, are not covariates
    tmp, src, tgt = files
    tgt = tgt.assign(pid=np.arange(5000, 5000 + len(tgt)), group=2)
    tgt.to_parquet(tmp / "target.parquet")
    for p in (tmp / "source").glob("*.parquet"):
        pd.read_parquet(p).assign(group=1).to_parquet(p)
    argv = ["weigh", str(tmp / "source"), str(tmp / "target.parquet"), "--quiet"]
    assert main([*argv, "--method", "ulsif", "--out", str(tmp / "w4")]) == 0
    captured = capsys.readouterr()
    assert "--index-col pid" in captured.err and "'group'" in captured.err
    assert "on 2 covariates" in captured.out
    X = pd.concat([src[["age", "bmi"]], tgt[["age", "bmi"]]])
    domain = np.r_[np.zeros(len(src)), np.ones(len(tgt))]
    ref = it.ULSIFCV(random_state=0).fit(X.to_numpy(), domain).weights_
    got = pd.read_parquet(tmp / "w4")
    np.testing.assert_allclose(got["weight"], ref, rtol=1e-10)


def test_weigh_parquet_refuses_report_instead_of_ignoring_it(files, capsys):
    tmp, _, _ = files
    argv = ["weigh", str(tmp / "source"), str(tmp / "target.parquet")]
    argv += ["--index-col", "pid", "--out", str(tmp / "w5"), "--report", "r"]
    assert main(argv) == 2
    assert "--report" in capsys.readouterr().err
    assert not (tmp / "w5").exists()


def test_weigh_parquet_prints_no_developer_warning(files, capsys):
    # scikit-learn's feature-name check fires on every partition the
    # classifier predicts (fitted on a frame, predicting arrays): not the
    # command user's concern
    tmp, _, _ = files
    argv = ["weigh", str(tmp / "source"), str(tmp / "target.parquet")]
    assert main([*argv, "--index-col", "pid", "--out", str(tmp / "w6")]) == 0
    assert "warning:" not in capsys.readouterr().err
