"""The HTML report: self-contained, CSP-locked, and user text never becomes markup (checked in chromium too)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from core.export.privacy import PrivacySettings
from core.export.report import html_report
from core.export.writer import build_view
from tests.core.analysis_factory import (
    HTML_PAYLOADS,
    PII_REVIEW,
    TINY_KEYWORD,
    TINY_NAME,
    TINY_USERS,
    make_analysis,
    make_large_analysis,
    recommendations_for,
)

CHROMIUM = Path("/usr/bin/chromium")
URL_ATTRS = {"src", "href", "action", "formaction", "data", "poster", "srcset", "background", "xlink:href"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def analysis():
    return make_analysis()


@pytest.fixture(scope="module")
def report_html(analysis) -> str:
    view = build_view(
        analysis, recommendations=recommendations_for(analysis), evaluation={"hr@10": 0.3, "x": "<b>"}
    )
    return html_report(view)


@pytest.fixture(scope="module")
def parsed(report_html: str) -> _Collector:
    collector = _Collector()
    collector.feed(report_html)
    collector.close()
    return collector


def test_only_our_two_inline_scripts(parsed: _Collector) -> None:
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert len(scripts) == 2 and all(attrs == {} for attrs in scripts)  # no src, no type tricks
    assert "Plotly" in parsed.scripts[0] and "newPlot" in parsed.scripts[1]


def test_no_event_handler_or_external_url_in_any_attribute(parsed: _Collector) -> None:
    assert {tag for tag, _ in parsed.tags} <= {
        "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "ul", "li", "section", "div",
        "table", "tr", "th", "td", "span", "script",
    }  # fmt: skip
    for tag, attrs in parsed.tags:
        for name, value in attrs.items():
            assert not name.lower().startswith("on"), (tag, name)
            if name.lower() in URL_ATTRS:
                pytest.fail(f"{tag} has a URL attribute {name}={value!r}")
            assert not re.search(r"(https?:)?//", value or "") or tag == "meta", (tag, name, value)


def test_csp_meta_forbids_every_fetch(parsed: _Collector) -> None:
    csp = [
        a["content"]
        for t, a in parsed.tags
        if t == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert len(csp) == 1
    assert "default-src 'none'" in csp[0] and "connect-src" not in csp[0] and "http" not in csp[0]


def test_csp_meta_comes_before_any_script_or_style(report_html: str) -> None:
    csp_at = report_html.index("Content-Security-Policy")
    assert csp_at < report_html.index("<style>") and csp_at < report_html.index("<script>")


def test_payloads_are_visible_as_text(parsed: _Collector) -> None:
    text = "".join(parsed.text)
    for payload in HTML_PAYLOADS:
        assert payload.strip() in text, payload


def test_figure_json_cannot_close_its_script(parsed: _Collector) -> None:
    figure = parsed.scripts[1]
    assert "</" not in figure and "<!--" not in figure and "<script" not in figure.lower()
    # The hostile segment name is in the map: HTML-escaped for plotly's labels, then JSON-escaped.
    assert "\\u0026lt;/script\\u0026gt;" in figure


def test_report_sections_and_privacy_statement(parsed: _Collector, analysis) -> None:
    text = "".join(parsed.text)
    for heading in ("Executive summary", "Privacy guards", "Map of users", "Segments", "K advice", "Evaluation",
                    "Data quality", "Settings used"):  # fmt: skip
        assert heading in text
    assert "Minimum segment size" in text and "merged into Other" in text
    assert "运动鞋爱好者" in text and "Stability".lower() in text.lower()
    assert PII_REVIEW not in text and "[email]" in text


def test_small_segment_never_appears(report_html: str) -> None:
    assert TINY_NAME not in report_html and TINY_KEYWORD not in report_html
    assert not any(u in report_html for u in TINY_USERS)
    assert "Segment 3" not in report_html


def test_pseudonymised_report_has_no_raw_representative_ids(analysis) -> None:
    html = html_report(build_view(analysis, privacy=PrivacySettings(pseudonymize=True, key=b"k")))
    assert "f-9" not in html and "u_" in html


def test_report_of_4400_users_is_under_10_mb() -> None:
    html = html_report(build_view(make_large_analysis(4400)))
    assert len(html.encode("utf-8")) < 10 * 1024 * 1024


def test_map_is_sampled_above_the_limit() -> None:
    html = html_report(build_view(make_large_analysis(600)), max_points=200)
    assert "seeded sample of 200 of 600 users" in html
    figure = html[html.rindex("var figure") :]
    assert figure.count(",") < 200 * 3  # 200 points, x and y, plus a little layout


@pytest.mark.browser
def test_report_renders_offline_in_chromium(report_html: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (make browser-deps installs it)")
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(report_html, encoding="utf-8")
    url = path.as_uri()
    requests: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

            def route(r) -> None:
                requests.append(r.request.url)
                if r.request.url == url:
                    r.continue_()
                else:
                    r.abort()

            page.route("**/*", route)
            page.goto(url, wait_until="load")
            page.wait_for_selector("#map .main-svg", timeout=15_000)
            n_points = page.evaluate("document.querySelectorAll('#map .scatterlayer .point').length")
            page.hover("#map .scatterlayer .point >> nth=0", force=True)
            page.wait_for_timeout(300)
        finally:
            browser.close()
    assert requests == [url], requests  # the page itself and nothing else
    assert errors == []
    assert dialogs == []  # no payload ran
    assert n_points == 42
