"""The evaluation report: self-contained HTML opened in real headless Chromium, and its PDF with Chinese text."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from report_samples import DEPT_A, DEPT_B, FORMULA_TITLE, PORTAL, SCRIPT_TITLE, build_workspace
from crawler.render import Chromium, chromium_path
from reports.html import render_pdf, render_report
from scoring.profile import load_profile

CHROMIUM = chromium_path() or None


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    store, check_id = build_workspace(root / "ws")
    try:
        return render_report(store, check_id, root / "out")
    finally:
        store.close()


# Chromium is driven over the DevTools pipe by the crawler's own client (crawler/render.py).


@pytest.fixture
def chromium(tmp_path):
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    browser = Chromium(tmp_path / "chromium-profile")
    yield browser
    browser.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


# ---- tests ---------------------------------------------------------------------------------------------------

def test_report_in_chromium_shows_key_content_without_console_errors(report, chromium, tmp_path):
    chromium.open(report.resolve().as_uri())
    text = chromium.evaluate("document.body.innerText")
    for expected in ("政府网站政务公开第三方评估报告", "一、评估概述", "评估网站数", "合格率", "单项否决网站数",
                     "二、得分分布与排名", "三、问题分类统计", "四、分站点评估情况", "五、未评估事项", "六、评估方法与依据",
                     PORTAL, DEPT_A, DEPT_B, "单项否决原因", "空白栏目达5个", "信息公开要素缺失", "未评估",
                     "gov2019", "rules-test-1"):
        assert expected in text, f"{expected!r} is not visible in the report"
    # crawled text shows as text, it does not run
    assert SCRIPT_TITLE in text
    assert FORMULA_TITLE in text
    assert chromium.evaluate("document.scripts.length") == 0
    assert chromium.evaluate("document.querySelectorAll('a[href^=\"javascript:\"]').length") == 0
    # the three charts are drawn inline
    assert chromium.evaluate("document.querySelectorAll('svg.chart').length") == 3
    assert chromium.evaluate("document.querySelector('svg.chart').getBoundingClientRect().width") > 300
    assert chromium.problems() == []

    png = chromium.screenshot()
    shot = tmp_path / "report.png"
    shot.write_bytes(png)
    assert _png_size(png) == (1280, 2000)
    assert len(png) > 40_000, "the screenshot is nearly blank"
    if os.environ.get("ZWGK_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["ZWGK_KEEP_SCREENSHOT"])


def test_console_check_catches_errors(chromium, tmp_path):
    # the harness itself: a page that logs an error and loads a remote image is caught
    page = tmp_path / "bad.html"
    page.write_text('<meta http-equiv="Content-Security-Policy" content="img-src data:">'
                    '<img src="http://127.0.0.1:9/x.png"><script>console.error("出错了")</script>', encoding="utf-8")
    chromium.open(page.as_uri())
    problems = chromium.problems()
    assert any("出错了" in p for p in problems)
    assert any("127.0.0.1:9/x.png" in p for p in problems)


def test_report_is_one_offline_file(report):
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|https?://127\.0\.0\.1:9/)""", html), \
        "only in-page anchors and links to the crawled pages"
    assert not re.search(r"""\bsrc\s*=""", html), "nothing is loaded from a URL"
    assert "url(" not in html, "no external CSS resources"
    assert "default-src 'none'" in html
    assert html.count("<svg") == 3


def test_crawled_text_is_escaped(report):
    html = report.read_text(encoding="utf-8")
    assert '<script>alert("xss")' not in html
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "javascript:alert(1)" in html  # shown as text


def test_not_assessed_is_never_full_marks(report):
    html = report.read_text(encoding="utf-8")
    section = next(a for a in html.split('<article class="site"')[1:] if DEPT_B in a.split("</h3>")[0])
    # dept-b was unreachable: no score, grade 待定, every indicator shown as 未评估
    assert "— · 待定" in section
    indicators = section.split("指标得分明细")[1].split("</table>")[0]
    rows = re.findall(r'<tr class="ind-([a-z-]+)">', indicators)
    assert rows and set(rows) == {"not-assessed"}
    assert indicators.count("<td class=\"num\">未评估</td>") == len(rows) == len(load_profile("gov2019").indicators)


def test_pdf_has_the_chinese_text(report, tmp_path):
    pytest.importorskip("weasyprint")
    from pypdf import PdfReader

    pdf = render_pdf(report)
    assert pdf == report.with_suffix(".pdf") and pdf.stat().st_size > 20_000
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 6  # cover + a page per chapter
    text = "".join(page.extract_text() or "" for page in reader.pages)
    squashed = re.sub(r"\s+", "", text)
    for expected in ("政府网站政务公开第三方评估报告", "评估概述", PORTAL, DEPT_A, "单项否决原因", "评估方法与依据"):
        assert expected in squashed, f"{expected!r} missing from the PDF text"
    fonts = set()
    for page in reader.pages[:3]:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any(re.search(r"Noto.?Sans.?CJK.?SC", f) for f in fonts), fonts
    if shutil.which("pdftoppm"):  # the cover page rasterises to a non-blank image
        subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(pdf), str(tmp_path / "page")],
                       check=True, timeout=60)
        page_png = next(tmp_path.glob("page*.png")).read_bytes()
        assert len(page_png) > 5_000
