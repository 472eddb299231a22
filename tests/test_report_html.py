"""The evaluation report: self-contained HTML opened in real headless Chromium, and its PDF with Chinese text."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from report_samples import DEPT_A, DEPT_B, FORMULA_TITLE, PORTAL, SCRIPT_TITLE, build_workspace
from reports.html import render_report
from reports.pdf import render_pdf
from scoring.profile import load_profile


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report")
    store, check_id = build_workspace(root / "ws")
    try:
        return render_report(store, check_id, root / "out")
    finally:
        store.close()




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
    # how much of each site was crawled and assessed, in the overview and in the site's chapter
    assert "抓取与评估覆盖情况" in text
    row = chromium.evaluate("[...document.querySelectorAll('table.coverage tbody tr')]"
                            ".find(r => r.innerText.includes(%s)).innerText" % json.dumps(PORTAL))
    assert re.split(r"\s+", row.strip())[5:12] == ["3", "1", "—", "—", "4", "3", "1"]
    # the points assessed out of 100, and every unassessed indicator with its reason, in the coverage table
    points = chromium.evaluate("[...document.querySelectorAll('table.coverage tbody tr')]"
                               ".find(r => r.innerText.includes(%s)).querySelector('.assessed-points').innerText"
                               % json.dumps(PORTAL))
    detail = chromium.evaluate("[...document.querySelectorAll('table.coverage tbody tr')]"
                               ".find(r => r.innerText.includes(%s)).nextElementSibling.innerText" % json.dumps(PORTAL))
    assert re.fullmatch(r"[\d.]+ / 100", points.strip()) and float(points.split("/")[0]) < 100, points
    assert "未评估指标" in detail and "无监测记录" in detail
    # HTTPS recorded from the homepage address, IPv6 said to be not assessed (no DNS lookup offline)
    assert re.search(r"首页使用 HTTPS?", detail) and "IPv6 支持：离线评估不查询域名解析（AAAA 记录），未评估" in detail
    assert re.search(r"（\d+(\.\d+)? 分）：\S+", detail), detail
    assert "抓取页面 3 个，失败 1 个" in text
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
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|https?://127\.0\.0\.1:9/|snapshots/[0-9a-f]{16}\.html")""", html), \
        "only in-page anchors, links to the crawled pages and to the snapshots beside the report"
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


def test_review_items_are_listed_apart_and_the_snapshot_runs_nothing(report, chromium):
    html = report.read_text(encoding="utf-8")
    section = next(a for a in html.split('<article class="site"')[1:] if PORTAL in a.split("</h3>")[0])
    review = section.split("待人工复核事项")[1].split("</table>")[0]
    assert "疑似缺少索引号" in review
    problems = section.split("主要问题")[1].split("</table>")[0]
    assert "疑似缺少索引号" not in problems  # never mixed with the deductions
    # the page as fetched, linked from the report: shown as text, nothing runs, nothing loads
    link = re.search(r'href="(snapshots/[0-9a-f]{16}\.html)"', section).group(1)
    snapshot = report.parent / link
    chromium.open(snapshot.resolve().as_uri())
    text = chromium.evaluate("document.body.innerText")
    assert "关于印发某某办法的通知" in text and "zwgk 页面快照" in text
    assert chromium.evaluate("document.title") == "某某办法"  # neither the script nor onload ran
    assert chromium.evaluate("document.scripts.length") == 0
    assert chromium.evaluate("document.querySelectorAll('[href],[src],iframe,base').length") == 0
    assert chromium.problems() == []


EMPTY_FONTCONFIG = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{cache}</cachedir></fontconfig>
"""


def test_pdf_chinese_is_real_text_without_any_system_font(report, tmp_path):
    # a fresh machine: fontconfig sees no font at all, the PDF must still carry its Chinese as text
    from pypdf import PdfReader

    (tmp_path / "fonts").mkdir()
    config = tmp_path / "fonts.conf"
    config.write_text(EMPTY_FONTCONFIG.format(fonts=tmp_path / "fonts", cache=tmp_path / "cache"), encoding="utf-8")
    copy = tmp_path / "report.html"
    shutil.copy(report, copy)
    env = {**os.environ, "FONTCONFIG_FILE": str(config), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(["python", "-c", "import sys; from reports.pdf import render_pdf; p = [];"
                           " render_pdf(sys.argv[1], p); print('\\n'.join(p))", str(copy)],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "" and done.stdout.strip() == "", "the renderer printed warnings"
    text = re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in PdfReader(copy.with_suffix(".pdf")).pages))
    for expected in ("政府网站政务公开第三方评估报告", "评估概述", PORTAL, "单项否决原因"):
        assert expected in text, f"{expected!r} missing from the PDF text"


def test_recorded_coverage_and_its_verdict_are_printed(tmp_path):
    # the check's coverage rows, as the crawl-coverage stage records them: the figures and why a site is 待定
    store, check_id = build_workspace(tmp_path / "ws")
    try:
        store.db.execute("CREATE TABLE IF NOT EXISTS coverage (check_id INTEGER, site_id TEXT, data TEXT)")
        store.db.execute("INSERT INTO coverage (check_id, site_id, data) VALUES (?, ?, ?)", (check_id, "portal", json.dumps(
            dict(nav_columns=41, columns_discovered=41, columns_assessed=4, columns_not_assessed=37,
                 not_assessed_reasons={"列表由脚本生成": 37}, linked_not_reached=2, pages_fetched=120, pages_failed=3,
                 pages_skipped=0, sufficient=False, reasons=["41个导航栏目中只评估了4个（不足50%）"]), ensure_ascii=False)))
        html = render_report(store, check_id, tmp_path / "out").read_text(encoding="utf-8")
    finally:
        store.close()
    section = next(a for a in html.split('<article class="site"')[1:] if PORTAL in a.split("</h3>")[0])
    assert "抓取页面 120 个，失败 3 个，未抓取 0 个；发现栏目 41 个（导航栏目 41 个），已评估 4 个，未评估 37 个" in section
    assert "覆盖不足，不作合格判定：41个导航栏目中只评估了4个（不足50%）" in section
    overview = html.split("抓取与评估覆盖情况")[1].split("</table>")[0]
    assert "不足：41个导航栏目中只评估了4个（不足50%）" in overview
