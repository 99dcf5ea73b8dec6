import numpy as np
import pandas as pd
import pytest

from instransfer._validation import check_domain, resolve_rows, unlabeled_mask


def test_domain_accepts_ints_bools_floats_series():
    expected = np.array([False, True, False, True])
    for d in ([0, 1, 0, 1], [False, True, False, True], [0.0, 1.0, 0.0, 1.0]):
        np.testing.assert_array_equal(check_domain(d), expected)
    np.testing.assert_array_equal(check_domain(pd.Series([0, 1, 0, 1])), expected)


@pytest.mark.parametrize(
    "domain, match",
    [
        (["s", "t", "s", "t"], "only 0 .source. and 1 .target."),
        ([0, 1, 2, 1], "only 0 .source. and 1 .target."),
        ([0, np.nan, 1, 1], "only 0 .source. and 1 .target."),
        (np.zeros((2, 2)), "must be 1-D"),
        ([0, 0, 0, 1], "Found 1 target row"),
        ([1, 1, 1, 0], "Found 1 source row"),
        (None, "requires y to be passed"),
    ],
)
def test_domain_errors_say_what_to_do(domain, match):
    with pytest.raises(ValueError, match=match):
        check_domain(domain)


def test_domain_length_mismatch():
    with pytest.raises(ValueError, match="domain has 4 entries but X has 5 rows"):
        check_domain([0, 1, 0, 1], n_samples=5)


def test_unlabeled_markers():
    np.testing.assert_array_equal(
        unlabeled_mask(np.array([0, -1, 2]), "classification"), [False, True, False]
    )
    y_obj = np.array(["a", None, "b", np.nan, -1], dtype=object)
    np.testing.assert_array_equal(
        unlabeled_mask(y_obj, "classification"), [False, True, False, True, True]
    )
    # -1 is a valid regression target; only NaN marks unlabeled rows
    np.testing.assert_array_equal(
        unlabeled_mask(np.array([-1.0, np.nan]), "regression"), [False, True]
    )


def test_resolve_rows_errors():
    with pytest.raises(ValueError, match="no labeled rows"):
        resolve_rows(np.array([-1, -1, -1]), None, "classification", 3)
    with pytest.raises(ValueError, match="string labels and no unlabeled rows"):
        resolve_rows(np.array(["a", "b", "a"]), None, "classification", 3)
    with (
        pytest.raises(ValueError, match="No labeled source rows"),
        pytest.warns(UserWarning, match="have y = -1"),
    ):
        resolve_rows(np.array([-1, -1, 1, 1]), [0, 0, 1, 1], "classification", 4)


def test_minus_one_on_source_rows_warns_it_is_read_as_unlabeled():
    # labels {-1, 1} with domain=: the -1 source rows would vanish silently
    y = np.array([-1, 1, -1, 1, 1, 1])
    with pytest.warns(UserWarning, match="2 source rows .* y = -1"):
        _, fit_rows = resolve_rows(y, [0, 0, 0, 0, 1, 1], "classification", 6)
    np.testing.assert_array_equal(fit_rows, [0, 1, 0, 1, 0, 0])
    # target rows marked -1 are the convention: no warning
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve_rows(np.array([0, 1, -1, -1]), [0, 0, 1, 1], "classification", 4)


def test_pandas_na_marks_unlabeled_rows():
    import pandas as pd

    y = pd.Series(["a", "b", None, None], dtype="string")  # <NA>
    is_target, fit_rows = resolve_rows(y, None, "classification", 4)
    np.testing.assert_array_equal(is_target, [0, 0, 1, 1])
    y = pd.Series([0, 1, None, None], dtype="Int64")
    is_target, _ = resolve_rows(y, None, "classification", 4)
    np.testing.assert_array_equal(is_target, [0, 0, 1, 1])


def test_domain_overrides_unlabeled_inference():
    y = np.array([0, 1, 0, 1, 0, 1])
    is_target, fit_rows = resolve_rows(y, [0, 0, 0, 0, 1, 1], "classification", 6)
    np.testing.assert_array_equal(is_target, [0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(fit_rows, [1, 1, 1, 1, 0, 0])
