"""一对一 issue lists read back with openpyxl and csv: columns, order, links, frozen header, filter, index."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from report_samples import AS_OF, DEPT_A, FINANCE, PORTAL, TRAVERSAL_OFFICE, build_workspace
from openpyxl.utils import get_column_letter

from reports.issue_lists import (ISSUE_HEADERS, REMEDY_STATES, REVIEW_SHEET, SUMMARY_SHEET, deadline_text,
                                 issue_frame, write_issue_lists)
from reports.report_data import basis_as_of, load_report_data
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


def _rows(path: Path, sheet: str = "问题清单") -> tuple[list[str], list[dict], object]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, (c for c in row))) for row in ws.iter_rows(min_row=2)]
    return header, rows, ws


def test_one_workbook_and_csv_per_office(lists):
    data, result = lists
    offices = {o.office for o in result.offices}
    assert offices == {"某市人民政府办公室", TRAVERSAL_OFFICE, DEPT_A, FINANCE}
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
    assert ws.auto_filter.ref == f"A1:{get_column_letter(len(ISSUE_HEADERS))}{len(rows) + 1}"
    assert ws.column_dimensions[get_column_letter(ISSUE_HEADERS.index("问题描述") + 1)].width >= 40  # readable
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
    link = next(r for r in rows if "首页链接无法访问" in r["问题描述"].value)
    rule = get_rule("LINK001")
    assert link["问题类型"].value == rule.title
    assert link["依据"].value == basis_as_of(rule.basis, AS_OF) and rule.basis in link["依据"].value
    assert link["整改建议"].value == rule.advice
    # 整改时限 count from the report date (today here), never from the as-of date that lies in the past
    assert link["整改时限"].value == deadline_text(date.today(), rule.fix_days)
    due = date.fromisoformat(link["整改时限"].value.split("（")[1][:10])
    assert due > date.today()
    assert link["问题描述"].value.endswith("（共3处）")
    assert link["问题数（处）"].value == 3
    assert link["发现时间"].value == AS_OF
    assert link["网站"].value == PORTAL
    # evidence in a sentence; technical details apart
    assert link["证据"].value == "链接文字“@领导信箱”"
    assert link["技术细节"].value == "HTTP状态码：404"
    assert link["指标"].value == "功能设计.链接可用性"


def test_urls_are_clickable_only_when_http(lists):
    _, result = lists
    portal = next(o for o in result.offices if o.office == "某市人民政府办公室")
    _, rows, _ = _rows(portal.xlsx)
    web = next(r for r in rows if r["页面URL"].value == "http://127.0.0.1:9/portal/broken.html")
    assert web["页面URL"].hyperlink.target == "http://127.0.0.1:9/portal/broken.html"
    assert web["所在页面"].value == "http://127.0.0.1:9/portal/"
    script = next(r for r in rows if r["页面URL"].value == "javascript:alert(1)")
    assert script["页面URL"].hyperlink is None


def test_points_come_from_the_scorer(lists):
    data, result = lists
    frame = issue_frame(data)
    link = frame[frame["问题描述"].str.contains("首页链接无法访问")].iloc[0]
    assert link["扣分（封顶前）"] == pytest.approx(3.0)  # LINK001: 1 point per homepage link, 3 links
    assert link["计入扣分"] == pytest.approx(3.0)     # 链接可用性 is not capped
    veto = frame[frame["严重程度"] == "否决"].iloc[0]
    assert veto["扣分（封顶前）"] == 0 and veto["计入扣分"] == 0
    # 多媒体解读 (5 points) is capped: the banner image counted 10 times brings 10 points before the cap, 5 after
    banner = frame[frame["问题描述"].str.contains("图片无法打开")].iloc[0]
    assert banner["扣分（封顶前）"] == pytest.approx(10.0) and banner["计入扣分"] == pytest.approx(5.0)
    assert banner["出现页面数"] == 10 and "等10个页面" in banner["所在页面"]


def test_one_row_per_page_and_problem_type(lists):
    data, result = lists
    office = next(o for o in result.offices if o.office == TRAVERSAL_OFFICE)
    _, rows, _ = _rows(office.xlsx)
    page = [r for r in rows if r["页面URL"].value == "http://127.0.0.1:9/portal/zcwj/1.html"]
    assert len(page) == 1, "two missing 要素 of one page are one row"
    assert "缺少文号" in page[0]["问题描述"].value and "缺少发布机构" in page[0]["问题描述"].value
    assert page[0]["问题数（处）"].value == 2 and page[0]["扣分（封顶前）"].value == pytest.approx(1.0)
    assert len(data.findings) > sum(len(_rows(o.xlsx)[1]) for o in result.offices)


def test_review_rows_are_listed_apart_and_never_deducted(lists):
    _, result = lists
    office = next(o for o in result.offices if o.office == TRAVERSAL_OFFICE)
    _, rows, _ = _rows(office.xlsx)
    assert not any("疑似缺少索引号" in r["问题描述"].value for r in rows)
    header, review, _ = _rows(office.xlsx, REVIEW_SHEET)
    assert tuple(header) == ISSUE_HEADERS
    assert [r["问题描述"].value for r in review] == ["疑似缺少索引号（要素区格式未能识别）"]
    assert review[0]["严重程度"].value == "扣分（待人工复核）"
    assert review[0]["计入扣分"].value is None and review[0]["扣分（封顶前）"].value is None
    assert office.csv.with_name(office.csv.stem + "-" + REVIEW_SHEET + ".csv").exists()


def test_office_answer_columns_drop_down_and_print_setup(lists):
    _, result = lists
    for office in result.offices:
        header, rows, ws = _rows(office.xlsx)
        for name in ("整改情况", "整改责任人", "完成时间", "备注"):
            assert name in header and all(r[name].value is None for r in rows)
        column = get_column_letter(header.index("整改情况") + 1)
        lists_ = [v for v in ws.data_validations.dataValidation if v.type == "list"]
        assert len(lists_) == 1
        last = max(2, len(rows) + 1)
        assert str(lists_[0].sqref) == (f"{column}2" if last == 2 else f"{column}2:{column}{last}")
        assert lists_[0].formula1 == '"' + ",".join(REMEDY_STATES) + '"'
        assert ws.page_setup.orientation == "landscape"
        assert ws.print_title_rows == "$1:$1"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0
        assert ws.page_setup.paperSize == 9


def test_summary_sheet_by_problem_type(lists):
    _, result = lists
    portal = next(o for o in result.offices if o.office == "某市人民政府办公室")
    _, rows, _ = _rows(portal.xlsx)
    wb = openpyxl.load_workbook(portal.xlsx)
    table = [[c.value for c in r] for r in wb[SUMMARY_SHEET].iter_rows()]
    assert table[0][:6] == ["问题类型", "严重程度", "问题行数", "问题数（处）", "扣分（封顶前）", "计入扣分"]
    total = next(r for r in table if r[0] == "合计")
    assert total[2] == len(rows)
    assert total[5] == pytest.approx(sum(r["计入扣分"].value or 0 for r in rows))
    # the capped indicator and how its points were shared
    cap = next(r for r in table if r[1] == "多媒体解读")
    assert cap[2:6] == [5, 10, 5, "0.5000"]


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
    assert header == ["序号", "单位", "网站", "否决问题数", "扣分问题数", "预警问题数", "问题行数", "待人工复核",
                      "计入扣分", "已整改", "文件名"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    by_office = {r[1]: r for r in rows}
    assert by_office[DEPT_A][3:8] == [1, 1, 0, 2, 0]
    assert by_office["某市人民政府办公室"][3:8] == [0, 4, 1, 5, 0]
    assert by_office[TRAVERSAL_OFFICE][3:8] == [0, 2, 0, 2, 1]
    for r, cells in zip(rows, ws.iter_rows(min_row=2)):
        assert r[9] == 0   # no previous round: nothing 已整改
        assert (result.index.parent / r[10]).exists()
        assert cells[10].hyperlink.target == r[10]
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


def test_a_department_section_of_the_portal_gets_its_own_list(lists):
    # 首页 > 工作机构 > 某市财政局 > 通知公告: the column's finding goes to 某市财政局, not to the portal's office
    data, result = lists
    finance = next(o for o in result.offices if o.office == FINANCE)
    _, rows, _ = _rows(finance.xlsx)
    assert [r["问题描述"].value for r in rows] == ["“通知公告”栏目超过6个月未更新（最新条目 2024-10-08）"]
    assert rows[0]["网站"].value == PORTAL
    portal = next(o for o in result.offices if o.office == "某市人民政府办公室")
    assert not any("2024-10-08" in r["问题描述"].value for r in _rows(portal.xlsx)[1])
    index = openpyxl.load_workbook(result.index)["单位清单"]
    assert FINANCE in [r[1] for r in index.iter_rows(min_row=2, values_only=True)]
    assert int(data.findings["routed"].sum()) == 1


def test_an_office_with_only_fixed_problems_is_in_the_index(lists, tmp_path):
    # 回头看: an office whose only problem of the last round is gone still gets its list and an index row
    from dataclasses import replace

    from reports.report_data import LookBack
    data, _ = lists
    site_id = data.sites["site_id"].iloc[0]
    site_name = data.sites["name"].iloc[0]
    fixed = dict(site_id=site_id, office="某市档案馆", status="fixed", status_label="已整改", rounds=0,
                 code="LINK001", indicator="links", severity="deduct", confidence="confirmed",
                 url="http://example.gov.cn/a.html", message="上轮的失效链接", identity="LINK001|x|/a.html|", note="")
    lookback = LookBack(from_label="2026-11", to_label="2026-12", counts={"fixed": 1}, offices=[], rows=[fixed],
                        status={})
    result = write_issue_lists(replace(data, lookback=lookback), tmp_path / "issues")
    archive = next(o for o in result.offices if o.office == "某市档案馆")
    assert archive.xlsx.exists() and _rows(archive.xlsx, "已整改")[1][0]["上轮问题描述"].value == "上轮的失效链接"
    ws = openpyxl.load_workbook(result.index)["单位清单"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r)) for r in ws.iter_rows(min_row=2, values_only=True)]
    row = next(r for r in rows if r["单位"] == "某市档案馆")
    assert (row["网站"], row["问题行数"], row["计入扣分"], row["已整改"]) == (site_name, 0, 0, 1)
    assert row["文件名"] == archive.xlsx.name
    assert all(r["已整改"] == 0 for r in rows if r["单位"] != "某市档案馆")
