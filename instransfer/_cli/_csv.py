"""Reading the command line's CSV files: delimiter, decimal mark, text encoding.

A semicolon- or tab-separated file read with pandas' default ``,`` is one
text column: the classifier then encodes every row as its own category and
the weights come out uniform, with exit status 0. The delimiter is therefore
taken from the header line (a column name rarely holds a delimiter) unless
``--sep`` gives it, and a file whose header fits several delimiters is refused
with that hint rather than guessed.
"""

import csv
import re

import numpy as np

from ._common import CLIError

_DELIMITERS = (",", ";", "\t", "|")
_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}
# a number written with a decimal comma: 1,5 or -0,25 (no thousands mark)
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


def _header_line(path, encoding):
    """First non-empty line of the file (``None`` for an empty file)."""
    with open(path, encoding=encoding, newline="") as f:
        for line in f:
            if line.strip():
                return line.lstrip("\ufeff").rstrip("\r\n")
    return None


def detect_sep(path, encoding, what):
    """The delimiter of the header line, or a CLIError naming ``--sep``."""
    header = _header_line(path, encoding)
    if header is None:
        return ","  # pandas reports the empty file
    fits = [
        sep for sep in _DELIMITERS if len(next(csv.reader([header], delimiter=sep))) > 1
    ]
    if len(fits) == 1:
        return fits[0]
    if not fits:
        return ","  # a single column
    shown = " or ".join(_NAMES[s] for s in fits)
    raise CLIError(
        f"cannot tell the delimiter of {what} file {path!r}: its header splits on "
        f"{shown}. Pass it with --sep (e.g. --sep ';' or --sep tab)."
    )


def parse_sep(text):
    """``--sep`` value: a single character, or the word ``tab``."""
    return "\t" if text.lower() in ("tab", "\\t") else text


def read_frame(
    path,
    what,
    index_col=None,
    sep=None,
    decimal=".",
    encoding="utf-8",
    na_values=None,
):
    """Read one CSV file for ``instransfer weigh`` with clear errors."""
    import pandas as pd

    try:
        sep = detect_sep(path, encoding, what) if sep is None else sep
        # IDs as text: written back as read (000123 stays 000123, and one
        # missing ID does not turn 1004 into 1004.0)
        dtype = None if index_col is None else {index_col: str}
        frame = pd.read_csv(
            path,
            index_col=index_col,
            sep=sep,
            decimal=decimal,
            encoding=encoding,
            dtype=dtype,
            na_values=na_values,
        )
    except FileNotFoundError:
        raise CLIError(f"{what} file {path!r} not found.") from None
    except IsADirectoryError:
        raise CLIError(
            f"{what} file {path!r} is a directory, not a CSV file."
        ) from None
    except PermissionError:
        raise CLIError(
            f"cannot read {what} file {path!r}: permission denied."
        ) from None
    except pd.errors.EmptyDataError:
        raise CLIError(f"{what} file {path!r} is empty.") from None
    except UnicodeDecodeError:
        raise CLIError(
            f"{what} file {path!r} is not {encoding} text; pass its encoding with "
            "--encoding (e.g. --encoding latin-1)."
        ) from None
    except LookupError:
        raise CLIError(
            f"--encoding {encoding!r} is not a known text encoding."
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        if index_col is not None and "index" in str(exc).lower():
            raise CLIError(
                f"--index-col {index_col!r} is not a column of {what} file {path!r}."
            ) from None
        raise CLIError(f"cannot parse {what} file {path!r} as CSV: {exc}") from None
    if len(frame) == 0:
        raise CLIError(f"{what} file {path!r} has a header but no rows.")
    _refuse_decimal_commas(frame, what, decimal)
    _refuse_number_markers(frame, what, decimal)
    return frame


def _refuse_decimal_commas(frame, what, decimal):
    """Numbers written 1,5 read as text would be encoded as categories."""
    if decimal == ",":
        return
    for col in frame.columns:
        values = frame[col].dropna()
        if values.dtype != object or values.empty:
            continue
        if values.astype(str).str.match(_DECIMAL_COMMA).all():
            raise CLIError(
                f"column {col!r} of the {what} file holds numbers with a decimal "
                f"comma (e.g. {values.iloc[0]!r}); pass --decimal ','."
            )


# a text column is taken for numbers with a marker when this share of its
# values reads as numbers (a real category coded 1/2/3 plus "unknown" is then
# also refused, with the same remedy: "unknown" is a missing value)
NUMBER_SHARE = 0.8


def _refuse_number_markers(frame, what, decimal):
    """Numbers with a text marker (".", "n.a.", "<0.1") would be categories."""
    import pandas as pd

    for col in frame.columns:
        values = frame[col].dropna()
        if values.dtype != object or values.empty:
            continue
        text = values.astype(str).str.strip()
        if decimal != ".":
            text = text.str.replace(decimal, ".", regex=False)
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().mean() < NUMBER_SHARE:
            continue
        odd = list(dict.fromkeys(values[numbers.isna()].astype(str)))
        shown = " ".join(odd[:3])
        raise CLIError(
            f"column {col!r} of the {what} file holds numbers and the text "
            f"value(s) {odd[:3]}, so it would be read as categories; if they mark "
            f"missing values pass --na-values {shown}, otherwise leave those "
            "cells empty or the column out with --columns."
        )


def refuse_infinite(frame, what):
    """Name the columns holding inf: they are not missing values."""
    import pandas as pd

    cols = [
        str(c)
        for c in frame.columns
        if pd.api.types.is_float_dtype(frame[c]) and np.isinf(frame[c]).any()
    ]
    if cols:
        raise CLIError(
            f"{what} column(s) {cols} hold infinite values (inf); replace them by "
            "a number or leave the cell empty (a missing value), or drop those rows."
        )
