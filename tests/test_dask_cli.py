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
