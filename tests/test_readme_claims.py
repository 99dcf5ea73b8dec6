"""The README's measured numbers are the results files' numbers."""

import pytest

from benchmarks import readme


def test_readme_measured_block_matches_results():
    text = readme.README.read_text()
    assert readme.updated_readme(text) == text, (
        "README.md's measured block differs from benchmarks/results/; run "
        "`python -m benchmarks.readme` (and rerun the benchmarks it quotes)"
    )


def test_every_row_reads_its_file():
    # a row that cannot find its numbers says "not measured" instead of
    # keeping an old one; none of the quoted rows may be in that state
    block = readme.render()
    assert "not measured" not in block


def test_a_changed_result_changes_the_readme(tmp_path, monkeypatch):
    # the README follows the file, not the other way round
    src = readme.RESULTS / "kmm.md"
    text = src.read_text()
    line = next(
        x for x in text.splitlines() if x.startswith("| 3000 |") and "cvxopt QP" in x
    )
    ratio = line.split("|")[4].strip()  # the speed-up cell, e.g. "139×"
    assert ratio.endswith("×") and ratio != "17×"
    (tmp_path / "kmm.md").write_text(
        text.replace(line, line.replace(f"| {ratio} |", "| 17× |"))
    )
    for other in readme.RESULTS.glob("*.md"):
        if other.name != "kmm.md":
            (tmp_path / other.name).write_text(other.read_text())
    monkeypatch.setattr(readme, "RESULTS", tmp_path)
    readme.tables.cache_clear()
    try:
        block = readme.render()
    finally:
        readme.tables.cache_clear()
    assert "| 17× faster than the one QP" in block and f"{ratio} faster" not in block


@pytest.mark.parametrize("text", ["0.215 s ±15% (n=5)", "-1 437 862.6217", "3e-11"])
def test_number_parses_result_cells(text):
    assert readme.number(text) == pytest.approx(
        {"0.215 s ±15% (n=5)": 0.215, "-1 437 862.6217": -1437862.6217, "3e-11": 3e-11}[
            text
        ]
    )


def test_rows_of_stale_results_are_marked(monkeypatch):
    # a results file older than its code cannot pass as a current claim
    monkeypatch.setattr(readme, "_stale_files", lambda: {"hardening.md"})
    block = readme.render()
    marked = [line for line in block.splitlines() if " † |" in line]
    assert marked and all("outlying source row" in line for line in marked)
    assert "† Measured on an earlier version of the code (1 results file;" in block
    monkeypatch.setattr(readme, "_stale_files", lambda: set())
    assert "†" not in readme.render()
