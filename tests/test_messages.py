"""Every error and warning message of the package is short.

A message says what is wrong and what to do in one sentence; long recipes
belong in the docs ("What the library refuses and why" in the data
convention guide). This reads the source of every module and measures each
``raise X(...)`` and ``warnings.warn(...)`` message as written: string
literals, f-strings (their fixed text; placeholders count 0), concatenations
and names bound to such strings in the same module.
"""

import ast
from pathlib import Path

import pytest

import instransfer

LIMIT = 300
PACKAGE = Path(instransfer.__file__).resolve().parent


def _text(node, names):
    """Fixed text of a message expression, or None when it is not one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        parts = [_text(node.left, names), _text(node.right, names)]
        if all(p is None for p in parts):
            return None
        return "".join(p or "" for p in parts)
    return None


def _string_names(tree):
    """Longest string bound to each name anywhere in the module."""
    names = {}
    for _ in range(2):  # names built from other names
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    text = _text(node.value, names)
                    if text is not None and len(text) >= len(names.get(target.id, "")):
                        names[target.id] = text
    return names


def _messages():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _string_names(tree)
        for node in ast.walk(tree):
            arg = None
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                arg = node.exc.args[0] if node.exc.args else None
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                name = getattr(func, "attr", getattr(func, "id", None))
                if name == "warn":
                    arg = node.args[0]
            if arg is None:
                continue
            text = _text(arg, names)
            if text is not None:
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                yield where, text


MESSAGES = list(_messages())


def test_the_scan_finds_the_messages():
    # a scan that finds nothing cannot fail: the package has well over 100
    assert len(MESSAGES) > 150
    assert any("sample_weight" in text for _, text in MESSAGES)


def test_every_message_is_short():
    long = [(len(text), where) for where, text in MESSAGES if len(text) > LIMIT]
    assert not long, (
        f"{len(long)} message(s) over {LIMIT} characters; say what is wrong and "
        f"what to do in one sentence, move recipes to the docs: {sorted(long)}"
    )


@pytest.mark.parametrize(
    "call",
    [
        "import instransfer as it; it.ClassifierWeighter().predict_weights([[0.0]])",
    ],
)
def test_runtime_message_is_short(call):
    with pytest.raises(Exception) as info:  # noqa: PT011 (any error: its length)
        exec(call)
    assert len(str(info.value)) <= LIMIT
