"""一对一 issue lists read back with openpyxl and csv: columns, order, links, frozen header, filter, index."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from report_samples import AS_OF, DEPT_A, PORTAL, TRAVERSAL_OFFICE, build_workspace
from reports.issue_lists import ISSUE_HEADERS, deadline_text, issue_frame, write_issue_lists
from reports.report_data import load_report_data
from rules.registry import get_rule


@pytest.fixture(scope="module")
def lists(tmp_path_factory):
    root = tmp_path_factory.mktemp("issues")
    store, check_id = build_workspace(root / "ws")
    try:
        data = load_report_data(store, check_id)
        return data, write_issue_lists(data, root / "out" / "issues")
    finally:
        store.close()


def _rows(path: Path) -> tuple[list[str], list[dict], object]:
    wb = openpyxl.load_workbook(path)
    ws = wb["问题清单"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c for c in row))) for row in ws.iter_rows(min_row=2)]
    return header, rows, ws


def test_one_workbook_and_csv_per_office(lists):
    data, result = lists
    offices = {o.office for o in result.offices}
    assert offices == {"某市人民政府办公室", TRAVERSAL_OFFICE, DEPT_A}
    for office in result.offices:
        assert office.xlsx.exists() and office.csv.exists()
        assert office.xlsx.parent == result.index.parent  # nothing escaped the issues folder
    # the office with a path in its name keeps a readable Chinese file name
    odd = next(o for o in result.offices if o.office == TRAVERSAL_OFFICE)
    assert odd.xlsx.name == "越界_某市司法局.xlsx"
    # offices with a veto come first
    assert result.offices[0].office == DEPT_A


def test_workbook_layout(lists):
    _, result = lists
    portal = next(o for o in result.offices if o.office == "某市人民政府办公室")
    header, rows, ws = _rows(portal.xlsx)
    assert tuple(header) == ISSUE_HEADERS
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:Q{len(rows) + 1}"
    assert ws.column_dimensions["H"].width >= 40  # 问题描述 is readable
    assert ws.column_dimensions["A"].width <= 8
    assert rows[0]["问题描述"].alignment.wrap_text
    assert ws["A1"].font.b
    assert [r["序号"].value for r in rows] == list(range(1, len(rows) + 1))


def test_rows_sorted_by_severity_with_registry_texts(lists):
    _, result = lists
    portal = next(o for o in result.offices if o.office == "某市人民政府办公室")
    _, rows, _ = _rows(portal.xlsx)
    severities = [r["严重程度"].value for r in rows]
    rank = {"否决": 0, "扣分": 1, "预警": 2}
    assert severities == sorted(severities, key=lambda s: rank[s[:2]])
    assert severities[-1] == "预警（疑似）"
    link = next(r for r in rows if "HTTP 404" in r["问题描述"].value)
    rule = get_rule("LINK001")
    assert link["问题类型"].value == rule.title
    assert link["依据"].value == rule.basis
    assert link["整改建议"].value == rule.advice
    assert link["整改时限"].value == deadline_text(AS_OF, rule.fix_days) == f"{rule.fix_days}日内（2025-07-03前）"
    assert link["问题描述"].value.endswith("（共3处）")
    assert link["发现时间"].value == AS_OF
    assert link["网站"].value == PORTAL
    assert "HTTP状态码：404" in link["证据"].value
    assert link["指标"].value == "功能设计.链接可用性"


def test_urls_are_clickable_only_when_http(lists):
    _, result = lists
    portal = next(o for o in result.offices if o.office == "某市人民政府办公室")
    _, rows, _ = _rows(portal.xlsx)
    web = next(r for r in rows if r["页面URL"].value == "http://127.0.0.1:9/portal/broken.html")
    assert web["页面URL"].hyperlink.target == "http://127.0.0.1:9/portal/broken.html"
    assert web["父页面URL"].hyperlink.target == "http://127.0.0.1:9/portal/"
    script = next(r for r in rows if r["页面URL"].value == "javascript:alert(1)")
    assert script["页面URL"].hyperlink is None


def test_points_come_from_the_scorer(lists):
    data, result = lists
    frame = issue_frame(data)
    from scoring import scorer
    if hasattr(scorer, "finding_points"):
        link = frame[frame["问题描述"].str.contains("HTTP 404")].iloc[0]
        assert link["扣分"] == pytest.approx(3.0)  # LINK001: 1 point per homepage link, 3 links
        veto = frame[frame["严重程度"] == "否决"].iloc[0]
        assert veto["扣分"] == 0
    else:  # the report never computes points itself: without the scorer's figure the cell stays blank
        assert frame["扣分"].isna().all()


def test_csv_matches_workbook(lists):
    _, result = lists
    for office in result.offices:
        raw = office.csv.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        with office.csv.open(encoding="utf-8-sig", newline="") as fh:
            table = list(csv.reader(fh))
        assert tuple(table[0]) == ISSUE_HEADERS
        _, rows, _ = _rows(office.xlsx)
        assert len(table) - 1 == len(rows)
        for line, row in zip(table[1:], rows):
            assert line[ISSUE_HEADERS.index("问题描述")] == row["问题描述"].value
            assert line[ISSUE_HEADERS.index("页面URL")] == (row["页面URL"].value or "")


def test_index_workbook(lists):
    _, result = lists
    wb = openpyxl.load_workbook(result.index)
    ws = wb["单位清单"]
    header = [c.value for c in ws[1]]
    assert header == ["序号", "单位", "网站", "否决", "扣分", "预警", "问题合计", "扣分合计", "文件名"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    by_office = {r[1]: r for r in rows}
    assert by_office[DEPT_A][3:7] == [1, 1, 0, 2]
    assert by_office["某市人民政府办公室"][3:7] == [0, 3, 1, 4]
    for r, cells in zip(rows, ws.iter_rows(min_row=2)):
        assert (result.index.parent / r[8]).exists()
        assert cells[8].hyperlink.target == r[8]
    assert "说明" in wb.sheetnames


def test_parallel_writers_write_the_same_lists(lists, tmp_path):
    data, serial = lists
    parallel = write_issue_lists(data, tmp_path / "parallel", workers=2)
    assert [o.xlsx.name for o in parallel.offices] == [o.xlsx.name for o in serial.offices]
    for a, b in zip(serial.offices, parallel.offices):
        assert b.csv.read_bytes() == a.csv.read_bytes()
        _, rows_a, _ = _rows(a.xlsx)
        _, rows_b, _ = _rows(b.xlsx)
        assert [[c.value for c in r.values()] for r in rows_a] == [[c.value for c in r.values()] for r in rows_b]


def test_data_dictionary_describes_every_issue_list_column():
    import re
    from pathlib import Path

    from reports.issue_lists import ISSUE_HEADERS

    text = Path(__file__).resolve().parents[1].joinpath("docs", "data-dictionary.md").read_text(encoding="utf-8")
    block = text.split("<!-- BEGIN issues -->", 1)[1].split("<!-- END issues -->", 1)[0]
    documented = re.findall(r"^\| `([^`]+)` \|", block, re.M)
    assert documented == list(ISSUE_HEADERS)
