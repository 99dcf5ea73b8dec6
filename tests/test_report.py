"""The HTML report: its sections, its numbers (the library's), offline, in a browser."""

import base64
import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("matplotlib")

from instransfer import ClassifierWeighter  # noqa: E402
from instransfer.datasets import make_covariate_shift  # noqa: E402
from instransfer.metrics import (  # noqa: E402
    balance_table,
    overlap_report,
    shift_test,
    weight_summary,
)
from instransfer.report import imbalance_reasons, write_report  # noqa: E402

SECTIONS = ("data", "shift", "balance", "weights", "subgroups", "glossary")


class _Page(HTMLParser):
    """Sections, keyed numbers, table cells, images and every src/href."""

    def __init__(self):
        super().__init__()
        self.sections, self.keys, self.rows, self.imgs, self.links = [], {}, {}, [], []
        self.means, self.tags = {}, []
        self._section = self._row = None
        self._in_th = self._in_means = False
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        for name in ("src", "href"):
            if name in a:
                self.links.append(a[name])
        if tag == "section":
            self._section = a["id"]
            self.sections.append(a["id"])
        elif tag == "span" and "data-key" in a:
            self.keys[a["data-key"]] = float(a["data-value"])
        elif tag == "tr":
            self._row = []
        elif tag == "th" and self._row is not None:
            self._in_th, self._text = True, ""
        elif tag == "td" and self._row is not None:
            self._row.append(float(a["data-value"]) if "data-value" in a else None)
        elif tag == "img":
            self.imgs.append(a["src"])
        elif tag == "p" and a.get("class") == "means":
            self._in_means, self._text = True, ""

    def handle_data(self, data):
        if self._in_th or self._in_means:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "th" and self._in_th:
            self._in_th = False
            if not self._row:
                self._name = self._text
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.rows[(self._section, self._name)] = self._row
            self._row = None
        elif tag == "p" and self._in_means:
            self._in_means = False
            self.means[self._section] = self._text


@pytest.fixture(scope="module")
def data():
    d = make_covariate_shift(n_source=300, n_target=200, random_state=0)
    X = pd.DataFrame(d.X, columns=["age", "bmi"])
    rng = np.random.default_rng(0)
    # a smoker level common in the target and rare in the source collapses
    p = np.where(d.domain == 1, 0.4, 0.02)
    X["smoker"] = np.where(rng.random(len(X)) < p, "yes", "no")
    w = ClassifierWeighter(random_state=0).fit(d.X, d.domain).weights_
    return X, d.domain, w, d


@pytest.fixture(scope="module")
def report(data, tmp_path_factory):
    X, domain, w, _ = data
    folder = tmp_path_factory.mktemp("report")
    out = write_report(
        folder, X, domain, w, left_out={"id": "identifies rows"}, random_state=0
    )
    page = _Page()
    page.feed(out.path.read_text(encoding="utf-8"))
    return out, page


def test_sections_and_a_sentence_each(report):
    out, page = report
    assert out.path.name == "report.html"
    assert page.sections == list(SECTIONS)
    for s in SECTIONS[:-1]:
        assert len(page.means[s].split()) > 8, s
    assert "identifies rows" in out.path.read_text()


def test_numbers_are_the_librarys(data, report):
    X, domain, w, _ = data
    _, page = report
    table = balance_table(X[domain == 0], X[domain == 1], w)
    cols = ["mean_target", "mean_source", "mean_weighted", "diff_before", "diff_after"]
    for name, row in table.iterrows():
        shown = page.rows[("balance", name)][: len(cols)]
        np.testing.assert_allclose(shown, row[cols].to_numpy(float), rtol=1e-12)
    summary = weight_summary(w, min_ess_fraction=None)
    assert page.keys["ess"] == pytest.approx(summary["ess"], rel=1e-12)
    assert page.rows[("weights", "design effect (rows / ESS)")][0] == pytest.approx(
        summary["design_effect"], rel=1e-12
    )
    test = shift_test(X, domain, method="classifier", null="split", random_state=0)
    assert page.keys["shift_auc"] == test.statistic
    assert page.keys["shift_pvalue"] == test.pvalue
    rep = overlap_report(X, domain, max_rows=2000, random_state=0)
    assert page.keys["share_unsupported"] == rep.share_unsupported
    assert (page.keys["n_source"], page.keys["n_target"]) == (300, 200)
    # the sentence quotes the most imbalanced covariate's numbers
    worst = table["diff_before"].abs().idxmax()
    assert f"from {abs(table.loc[worst, 'diff_before']):.2f}" in page.means["balance"]


def test_collapsed_subgroup_is_named(data, report):
    X, domain, w, _ = data
    table = balance_table(X[domain == 0], X[domain == 1], w)
    collapsed = table.index[table["collapsed"] | table["target_only"]]
    assert list(collapsed) == ["smoker=yes"]
    _, page = report
    assert "smoker=yes" in page.means["subgroups"]
    assert page.rows[("subgroups", "smoker=yes")][2] == pytest.approx(
        table.loc["smoker=yes", "mean_weighted"], rel=1e-12
    )


def test_offline_and_images_inline(report):
    out, page = report
    text = out.path.read_text()
    assert not [u for u in page.links if u.startswith(("http:", "https:", "//"))]
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert len(page.imgs) == 2
    for src in page.imgs:
        head, data = src.split(",", 1)
        assert head == "data:image/svg+xml;base64"
        root = ET.fromstring(base64.b64decode(data))
        assert root.tag.endswith("svg")
        # matplotlib draws the glyphs as paths: no font is needed
        assert b"font-face" not in base64.b64decode(data)


def test_performance_section_with_a_model(data, tmp_path):
    from sklearn.linear_model import LinearRegression

    from instransfer.metrics import target_performance

    X, domain, w, d = data
    Xn = X[["age", "bmi"]]
    fit = (domain == 0) & (np.arange(len(X)) % 2 == 0)
    model = LinearRegression().fit(Xn[fit], d.y[fit])
    held = ~fit
    y = np.where(domain[held] == 0, d.y[held], np.nan)
    out = write_report(
        tmp_path, Xn[held], domain[held], w[held[domain == 0]], model=model, y=y
    )
    page = _Page()
    page.feed(out.path.read_text())
    assert "performance" in page.sections
    ratio = np.ones(held.sum())
    ratio[domain[held] == 0] = w[held[domain == 0]]
    expected = target_performance(
        model, Xn[held], y, domain=domain[held], weights=ratio, random_state=0
    )
    row = page.rows[("performance", expected.index[0])]
    np.testing.assert_allclose(
        row[:3], expected.iloc[0][["estimate", "ci_low", "ci_high"]].to_numpy(float)
    )


def test_bad_weights_say_what_to_pass(data, tmp_path):
    X, domain, w, _ = data
    with pytest.raises(ValueError, match="one value per source row"):
        write_report(tmp_path, X, domain, w[:10])


def test_imbalance_reasons_name_each_statistic():
    row = {
        "type": "continuous",
        "diff_after": 0.05,
        "var_ratio_after": 2.5,
        "ks_after": 0.2,
    }
    assert imbalance_reasons(row) == ["VR", "KS"]
    row = {
        "type": "categorical",
        "diff_after": -0.3,
        "var_ratio_after": np.nan,
        "ks_after": 0.05,
    }
    assert imbalance_reasons(row) == ["diff"]
    assert (
        imbalance_reasons(
            {
                "type": "continuous",
                "diff_after": 0.02,
                "var_ratio_after": 0.6,
                "ks_after": 0.1,
            }
        )
        == []
    )


def test_weigh_cli_writes_the_page(tmp_path):
    from instransfer.__main__ import main

    d = make_covariate_shift(n_source=150, n_target=100, random_state=1)
    src = pd.DataFrame(d.X[d.domain == 0], columns=["a", "b"])
    src["id"] = np.arange(len(src))
    pd.DataFrame(d.X[d.domain == 1], columns=["a", "b"]).to_csv(
        tmp_path / "t.csv", index=False
    )
    src.to_csv(tmp_path / "s.csv", index=False)
    rc = main(
        [
            "weigh",
            str(tmp_path / "s.csv"),
            str(tmp_path / "t.csv"),
            "--index-col",
            "id",
            "--out",
            str(tmp_path / "w.csv"),
            "--report",
            str(tmp_path / "rep"),
            "--quiet",
        ]
    )
    assert rc == 0
    page = _Page()
    page.feed((tmp_path / "rep" / "report.html").read_text())
    assert page.sections[:5] == list(SECTIONS[:5])
    w = pd.read_csv(tmp_path / "w.csv")["weight"].to_numpy()
    assert page.keys["ess"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)


_PROBE = """<pre id="probe"></pre><script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var res = performance.getEntriesByType("resource").map(function (e) {
    return e.name; });
  document.getElementById("probe").textContent = JSON.stringify({
    text: document.body.innerText.length,
    images: imgs.length,
    decoded: imgs.filter(function (i) {
      return i.complete && i.naturalWidth > 0; }).length,
    requests: res});
});
</script></body>"""


def test_opens_in_a_headless_browser(report, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not on PATH")
    out, _ = report
    # the probe goes into a copy: the report itself holds no script
    probed = tmp_path / "probed.html"
    probed.write_text(out.path.read_text().replace("</body>", _PROBE))
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-proxy-server",
        # any host name resolves to nothing: a request cannot leave the machine
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probed.as_uri(),
    ]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout
    start = dom.index('<pre id="probe">') + len('<pre id="probe">')
    probe = json.loads(dom[start : dom.index("</pre>", start)].replace("&quot;", '"'))
    assert probe["text"] > 500
    assert probe["images"] == 2 and probe["decoded"] == 2
    assert probe["requests"] == []


def test_report_numbers_keep_their_decimals_in_a_column():
    # "57" beside "56.9" read as a different precision, and "1.23e+03" as a
    # different kind of number: fixed decimals for three significant figures
    from instransfer.report._html import _num

    assert [_num(v) for v in (56.95, 56.94, 1234.5, -12.345, 0.1234)] == [
        "57.0",
        "56.9",
        "1234",
        "-12.3",
        "0.123",
    ]
