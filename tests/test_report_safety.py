"""Safety of the outputs: formula injection in CSV/xlsx, HTML escaping, file names that stay in the output folder."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from report_samples import FORMULA_TITLE, SCRIPT_TITLE, TRAVERSAL_OFFICE, build_workspace
from reports.html import render_report
from reports.issue_lists import ISSUE_HEADERS, write_issue_lists
from reports.report_data import load_report_data
from reports.safe_output import (UnsafeOutputPath, confined_path, is_web_url, neutralise_cell, safe_filename,
                                 spreadsheet_cell, unique_filenames)


@pytest.mark.parametrize("text", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")',
                                  "=cmd|' /C calc'!A0"])
def test_formula_triggers_are_quoted(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["政策文件缺少文号", "a=b", " =1", "", "http://x/?a=1", 3, -2.5, None])
def test_other_values_are_left_alone(value):
    assert neutralise_cell(value) == value


def test_control_characters_cannot_hide_a_formula():
    assert spreadsheet_cell("\x00\x01=1+1") == "'=1+1"
    assert spreadsheet_cell("标题\x0b尾") == "标题尾"
    assert len(spreadsheet_cell("长" * 40000)) <= 32000


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("safety")
    store, check_id = build_workspace(root / "ws")
    try:
        html = render_report(store, check_id, root / "out")
        return html, write_issue_lists(load_report_data(store, check_id), root / "out" / "issues")
    finally:
        store.close()


def test_xlsx_cells_are_text_not_formulas(outputs):
    _, lists = outputs
    office = next(o for o in lists.offices if o.office == TRAVERSAL_OFFICE)
    ws = openpyxl.load_workbook(office.xlsx)["问题清单"]
    header = [c.value for c in ws[1]]
    cells = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)}
    title = cells["'" + FORMULA_TITLE]
    assert title.data_type == "s" and header[title.column - 1] == "页面标题"
    # evidence beginning with '-' is quoted too; nothing anywhere in the sheet is a formula
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    assert not any(v.startswith(("=", "+", "-", "@")) for v in cells)


def test_csv_cells_are_neutralised(outputs):
    _, lists = outputs
    for office in lists.offices:
        with office.csv.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (office.csv.name, cell)
    office = next(o for o in lists.offices if o.office == TRAVERSAL_OFFICE)
    text = office.csv.read_text(encoding="utf-8-sig")
    assert "'" + FORMULA_TITLE.replace('"', '""') in text
    portal = next(o for o in lists.offices if o.office == "某市人民政府办公室")
    with portal.csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    evidence = [r["证据"] for r in rows]
    assert any("链接文字“@领导信箱”" in e for e in evidence)  # inside the cell, not at its start: left alone
    assert list(rows[0]) == list(ISSUE_HEADERS)


def test_html_escapes_crawled_text(outputs):
    html, _ = outputs
    text = html.read_text(encoding="utf-8")
    assert SCRIPT_TITLE not in text
    assert "&lt;script&gt;" in text
    assert "<script" not in text.lower()
    assert 'href="javascript:' not in text


def test_html_escapes_site_names_in_charts(tmp_path):
    from reports.charts import bar_chart
    svg = bar_chart([("<b onload=x>网站", 80.0, "#000")], "图</title><script>")
    assert "<b onload" not in svg and "&lt;b onload=x&gt;" in svg
    assert "</title><script>" not in svg


@pytest.mark.parametrize("name, expected", [
    ("某市教育局", "某市教育局"),
    ("../../etc/passwd", "etc_passwd"),
    ("..", "未命名"),
    ("/", "未命名"),
    ("a\\b", "a_b"),
    ("a\x00b", "a_b"),
    ("CON", "_CON"),
    ("com1.xlsx", "_com1.xlsx"),
    ("某市:发改委?", "某市_发改委"),
    (" .某市教育局. ", "某市教育局"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_safe_filename_is_never_a_path_and_fits_file_systems():
    for name in ["../" * 50, "中" * 500, "\\..\\..\\x", "x/" * 200, "\x00" * 10]:
        cleaned = safe_filename(name)
        assert cleaned and "/" not in cleaned and "\\" not in cleaned and "\x00" not in cleaned
        assert cleaned not in (".", "..") and len(cleaned.encode()) <= 200


def test_unique_filenames_keep_offices_apart():
    names = unique_filenames(["a/b", "a\\b", "A_B", "index"], reserved=("index",))
    assert len(set(n.casefold() for n in names.values())) == 4
    assert names["index"] != "index"


def test_confined_path(tmp_path):
    assert confined_path(tmp_path, "x.xlsx") == (tmp_path / "x.xlsx").resolve()
    for bad in ("../x.xlsx", "/etc/passwd", "a/../../x", ""):
        with pytest.raises(UnsafeOutputPath):
            confined_path(tmp_path, bad)
    outside = tmp_path.parent / "elsewhere"
    outside.mkdir(exist_ok=True)
    (tmp_path / "link").symlink_to(outside)
    with pytest.raises(UnsafeOutputPath):
        confined_path(tmp_path, "link", "x.xlsx")


def test_only_web_urls_are_links():
    assert is_web_url("http://www.gov.cn/a.html") and is_web_url("HTTPS://x.gov.cn/")
    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,x", "file:///etc/passwd",
                " javascript:x", "http://", "", None):
        assert not is_web_url(url)
