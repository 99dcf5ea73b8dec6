"""Docstring text shared by many estimators, written once.

A docstring line that holds only a marker ``%(name)s`` is replaced by the
paragraph ``PARAMS[name]`` (or one given to :func:`fill_doc`), indented as
the marker is. Only whole-line markers are touched, so ``%`` and braces
elsewhere in a docstring (LaTeX, ``{0, 1}``) stay as written. This is how
scikit-learn-compatible libraries share parameter text (pandas'
``Substitution``, matplotlib's ``interpd``); the docstrings that numpydoc,
Sphinx and ``help()`` read are the filled ones, built at import.

Examples
--------
>>> from instransfer.utils._docstrings import fill_doc
>>> @fill_doc
... def f(X, domain=None):
...     '''Do something.
...
...     Parameters
...     ----------
...     %(fit_domain)s
...     '''
>>> print(f.__doc__.splitlines()[4])
    domain : array-like of shape (n_samples,), default=None
"""

import re
import textwrap

__all__ = ["PARAMS", "fill_doc"]

PARAMS = {
    # fit(X, y, *, domain=None, ...) of the meta-estimators on stacked rows
    "fit_X": """\
X : array-like of shape (n_samples, n_features)
    Source and target rows, stacked. Validated by the wrapped
    estimator and the weighter, so a DataFrame (with categorical
    columns) works when both accept it.""",
    "fit_y": """\
y : array-like of shape (n_samples,)
    Labels of the source rows. Unlabeled rows (``-1`` or
    ``None``/``NaN`` for classes, ``NaN`` for regression) are the
    target rows when ``domain`` is not given.""",
    "fit_domain": """\
domain : array-like of shape (n_samples,), default=None
    0 for source rows, 1 for target rows. Overrides the inference
    from unlabeled ``y``.""",
    "fit_sample_weight": """\
sample_weight : array-like of shape (n_samples,), default=None
    Multiplied with the importance weights of the source rows.""",
    # score(X, y, *, domain=None, sample_weight=None): the score rule
    "score_params": """\
X : array-like of shape (n_samples, n_features)
    Rows to score.
y : array-like of shape (n_samples,)
    Labels; unlabeled rows (``-1``/``None``/``NaN``, ``NaN`` for
    regression) are never scored.
domain : array-like of shape (n_samples,), default=None
    0 for source rows, 1 for target rows.
sample_weight : array-like of shape (n_samples,), default=None
    Multiplies the weights of the scored rows.""",
    # the weight transform of every weighter (instransfer._weights)
    "weight_transform": """\
flatten : float, default=1.0
    Exponent applied to the ratio (0: uniform weights). Inside a weighted
    estimator, its own ``flatten`` multiplies this one (``w ** (a * b)``):
    tune only one.
clip : float or None, default=None
    Largest weight as a multiple of the mean weight.
clip_quantile : float or None, default=None
    Quantile of the weights at which to cap them.""",
}

_MARKER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)


def _fill(doc, params):
    def paragraph(match):
        name = match["name"]
        if name not in params:
            raise KeyError(f"No shared docstring text named {name!r}.")
        return textwrap.indent(params[name], match["indent"])

    # a shared paragraph may hold markers itself (a module's common block)
    for _ in range(3):
        filled = _MARKER.sub(paragraph, doc)
        if filled == doc:
            break
        doc = filled
    return doc


def fill_doc(obj=None, /, **extra):
    """Replace the markers of ``obj``'s docstring (and its methods').

    Parameters
    ----------
    obj : class or function
        A class's own methods (and properties) are filled too.
    **extra : str
        Paragraphs besides :data:`PARAMS`, for text shared within a module.

    Returns
    -------
    obj : class or function
        The same object (usable as a decorator, with or without arguments).
    """
    params = {**PARAMS, **extra}

    def apply(target):
        if target.__doc__:  # None under python -OO
            target.__doc__ = _fill(target.__doc__, params)
        if isinstance(target, type):
            for member in vars(target).values():
                func = getattr(member, "fget", member)
                func = getattr(func, "__func__", func)
                if callable(func) and getattr(func, "__doc__", None):
                    try:
                        func.__doc__ = _fill(func.__doc__, params)
                    except AttributeError:  # builtins' docstrings are fixed
                        pass
        return target

    return apply if obj is None else apply(obj)
