"""一对一 issue lists: one xlsx (and the same CSV) per responsible office, plus an index workbook."""

from __future__ import annotations

import csv
import gc
import os
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from reports.report_data import (CONFIDENCE_LABELS, ROUND_STATUS_LABELS, SEVERITY_LABELS, SEVERITY_ORDER, ReportData,
                                 evidence_details, evidence_sentence, basis_as_of)
from reports.safe_output import atomic_path, confined_path, is_web_url, spreadsheet_cell, unique_filenames
from zwgk.core.store import now_iso

# The columns of an issue list, in order, with their width in Excel character units and their kind:
# text (no wrap), wrap (long text), url (hyperlink), link (relative link to a file beside), number, answer (a
# column the office fills in). One row is one page (or one broken target, or one column) and one problem type.
ISSUE_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("序号", 6, "number"),
    ("单位", 16, "wrap"),
    ("网站", 16, "wrap"),
    ("栏目", 14, "wrap"),
    ("问题类型", 16, "wrap"),
    ("指标", 18, "wrap"),
    ("严重程度", 10, "text"),
    ("状态", 10, "text"),
    ("问题描述", 44, "wrap"),
    ("证据", 40, "wrap"),
    ("页面标题", 28, "wrap"),
    ("页面URL", 36, "url"),
    ("所在页面", 36, "wrap"),
    ("出现页面数", 8, "number"),
    ("问题数（处）", 8, "number"),
    ("扣分（封顶前）", 9, "number"),
    ("计入扣分", 9, "number"),
    ("快照", 10, "link"),
    ("技术细节", 36, "wrap"),
    ("依据", 40, "wrap"),
    ("发现时间", 12, "text"),
    ("整改建议", 40, "wrap"),
    ("整改时限", 18, "wrap"),
    ("整改情况", 14, "answer"),
    ("整改责任人", 12, "answer"),
    ("完成时间", 12, "answer"),
    ("备注", 24, "answer"),
)
ISSUE_HEADERS = tuple(name for name, _, _ in ISSUE_COLUMNS)
# The drop-down of 整改情况 (an Excel list validation on every row).
REMEDY_STATES = ("已整改", "整改中", "未整改", "无需整改（请在备注说明理由）")
REVIEW_SHEET = "待人工复核"
FIXED_SHEET = "已整改"
# The 已整改 sheet (and <单位>-已整改.csv): findings of the previous round this round no longer finds.
FIXED_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("序号", 6, "number"), ("单位", 16, "wrap"), ("网站", 16, "wrap"), ("问题类型", 16, "wrap"),
    ("指标", 18, "wrap"), ("上轮问题描述", 44, "wrap"), ("页面URL", 36, "url"), ("上轮", 12, "text"),
    ("问题标识", 40, "wrap"),
)
SUMMARY_SHEET = "汇总"

INDEX_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("序号", 6, "number"),
    ("单位", 24, "wrap"),
    ("网站", 24, "wrap"),
    ("否决问题数", 8, "number"),
    ("扣分问题数", 8, "number"),
    ("预警问题数", 8, "number"),
    ("问题行数", 8, "number"),
    ("待人工复核", 8, "number"),
    ("计入扣分", 10, "number"),
    ("已整改", 8, "number"),      # last round's findings this round no longer finds (the 已整改 sheet)
    ("文件名", 36, "link"),
)
INDEX_NAME = "index"

# Excel keeps at most 65,530 hyperlinks in a sheet and 2,079 characters in one; beyond that URLs stay text.
MAX_LINKS_PER_SHEET = 65000
MAX_URL_CHARS = 2079
# Rows an Excel sheet holds below its header; a longer list is complete in the CSV only (the 说明 sheet says so).
MAX_SHEET_ROWS = 1_048_575
# Lists this long are written by worker processes, one office each (a cell costs a few µs to write).
PARALLEL_ROWS = 20000


@dataclass
class OfficeList:
    """The files of one office and its counts by severity."""

    office: str
    sites: list[str]
    xlsx: Path
    csv: Path
    counts: dict[str, dict[str, int]] = field(default_factory=dict)   # site -> veto / deduct / warn / review / fixed -> rows


@dataclass
class IssueLists:
    index: Path
    offices: list[OfficeList]


def deadline_text(start: str | date, days: int | None) -> str:
    """整改时限: '15日内（2025-07-16前）' counted from `start`, the report date (never the as-of date, which
    may lie years back: a deadline must not be in the past when the office receives the list)."""
    if days is None:
        return ""
    try:
        begin = start if isinstance(start, date) else date.fromisoformat(str(start)[:10])
    except ValueError:
        return f"{days}日内"
    return f"{days}日内（{(begin + timedelta(days=int(days))).isoformat()}前）"


def snapshot_link(data: ReportData, row, prefix: str = "") -> str:
    """The relative path of the 快照 of the page a row is about (its page, else the page it was found on)."""
    for url in (row.url, row.parent_url, *row.examples):
        name = data.snapshots.get((row.site_id, url))
        if name:
            return prefix + name
    return ""


def _where(row) -> str:
    pages = [p for p in row.examples if p]
    if not pages:
        return ""
    text = "；".join(pages)
    return text + (f" 等{row.pages}个页面" if row.pages > len(pages) else "")


def issue_frame(data: ReportData, review: bool = False) -> pd.DataFrame:
    """Every problem row (report_data.problem_rows) as an issue-list row (ISSUE_HEADERS) plus `_office`, `_site`,
    `_severity`, `_snapshot`; sorted per office by severity (否决 > 扣分 > 预警), then site, then points, then
    column and order found. `review=True`: the 待人工复核 rows instead (listed apart, never deducted)."""
    rows = data.problem_rows(review)
    extra = ["_office", "_site", "_severity", "_snapshot"]
    if not len(rows):
        return pd.DataFrame(columns=[*ISSUE_HEADERS, *extra])
    rules = {code: data.rule(code) for code in rows["code"].unique()}
    rows = rows.sort_values(["office", "severity_rank", "site_name", "counted", "points", "column_name", "seq"],
                            ascending=[True, True, True, False, False, True, True], na_position="last", kind="stable")
    labels = data.labels
    code = rows["code"]
    severity = rows["severity"].map(SEVERITY_LABELS).fillna(rows["severity"])
    doubt = rows["confidence"].isin(("suspected", "review", "explained", "dropped"))
    severity = severity.where(~doubt, severity + "（" + rows["confidence"].map(CONFIDENCE_LABELS).fillna("") + "）")
    sentences, details = [], []
    for evidences in rows["evidences"]:
        said, told = [], []
        for ev in evidences:
            sentence, used = evidence_sentence(ev, labels)
            said.append(sentence)
            told.append(evidence_details(ev, labels, skip=used))
        sentences.append("；".join(dict.fromkeys(x for x in said if x)))
        details.append("；".join(dict.fromkeys(x for x in told if x)))
    start = data.deadline_start
    snapshots = [snapshot_link(data, r, "../") for r in rows.itertuples()]
    out = pd.DataFrame({
        "序号": 0,
        "单位": rows["office"].fillna(""),
        "网站": rows["site_name"].fillna(""),
        "栏目": rows["column_name"].fillna(""),
        "问题类型": code.map(lambda c: rules[c].problem_type),
        "指标": rows["indicator"].fillna(""),
        "严重程度": severity,
        "状态": rows["round_status"].fillna("").map(ROUND_STATUS_LABELS),
        "问题描述": [m + (f"（{n}）" if n else "") for m, n in zip(rows["message"], rows["note"].fillna(""))],
        "证据": sentences,
        "页面标题": rows["title"].fillna(""),
        "页面URL": rows["url"].fillna(""),
        "所在页面": [_where(r) for r in rows.itertuples()],
        "出现页面数": rows["pages"],
        "问题数（处）": rows["count"],
        "扣分（封顶前）": rows["points"] if not review else float("nan"),
        "计入扣分": rows["counted"] if not review else float("nan"),
        "快照": ["快照" if s else "" for s in snapshots],
        "技术细节": details,
        "依据": code.map(lambda c: basis_as_of(rules[c].basis, data.check.get("as_of"))),
        "发现时间": rows["as_of"].fillna("").astype(str).str.slice(0, 10),
        "整改建议": code.map(lambda c: rules[c].advice),
        "整改时限": code.map(lambda c: deadline_text(start, rules[c].fix_days)),
        "整改情况": "", "整改责任人": "", "完成时间": "", "备注": "",
        "_office": rows["office"].fillna(""),
        "_site": rows["site_name"].fillna(""),
        "_severity": rows["severity"],
        "_snapshot": snapshots,
    })
    out["序号"] = out.groupby("_office", sort=False).cumcount() + 1
    return out.reset_index(drop=True)


def summary_rows(frame: pd.DataFrame) -> list[tuple]:
    """The 汇总 sheet: per 问题类型 and 严重程度, rows, instances, uncapped and counted points."""
    return summary_rows_by_office(frame.assign(_office=""))[""] if len(frame) else []


def summary_rows_by_office(frame: pd.DataFrame) -> dict[str, list[tuple]]:
    """summary_rows of every office's rows, from one aggregation (one per office costs minutes for a province)."""
    if not len(frame):
        return {}
    g = frame.groupby(["_office", "问题类型", "_severity"], sort=False).agg(
        rows=("序号", "size"), count=("问题数（处）", "sum"), raw=("扣分（封顶前）", "sum"),
        counted=("计入扣分", "sum")).reset_index()
    g["_rank"] = g["_severity"].map(SEVERITY_ORDER).fillna(9)
    # one stable sort for all: within an office, the same order as sorting that office's rows alone
    g = g.sort_values(["_rank", "rows"], ascending=[True, False], kind="stable")
    out: dict[str, list[tuple]] = {}
    for office, t, sev, rows, count, raw, counted in zip(g["_office"], g["问题类型"], g["_severity"], g["rows"],
                                                          g["count"], g["raw"], g["counted"]):
        out.setdefault(office, []).append((t, SEVERITY_LABELS.get(sev, sev), int(rows), int(count),
                                           round(float(raw), 4), round(float(counted), 4)))
    return out


def cap_rows(data: ReportData) -> dict[str, list[tuple]]:
    """How capped indicators' points were shared, per office: a row per site and indicator whose points reached
    the cap and where the office has findings (its findings' 计入扣分 summed)."""
    ind = data.scores.indicators
    capped = ind[(ind["office"] == "") & ind["capped"] & ind["assessed"]]
    names = dict(zip(data.sites["site_id"], data.sites["name"]))
    f = data.findings
    # positions of each office's findings per site and indicator, found in one pass (not one filter per office)
    where: dict[tuple[str, str], dict[str, list[int]]] = {}
    if len(f):
        for i, key in enumerate(zip(f["site_id"], f["indicator"], f["office"])):
            where.setdefault(key[:2], {}).setdefault(key[2], []).append(i)
    counted = f["counted"].to_numpy(dtype="float64") if len(f) else None
    out: dict[str, list[tuple]] = {}
    for r in capped.itertuples():
        factor = r.points_lost / r.raw_points_lost if r.raw_points_lost else 0.0
        for office, positions in where.get((r.site_id, r.indicator), {}).items():
            part = counted[positions]
            total = float(np.where(np.isnan(part), 0.0, part).sum())   # as Series.sum(): NaN skipped
            out.setdefault(office, []).append((names.get(r.site_id, r.site_id), r.name, float(r.max_points),
                                               float(r.raw_points_lost), float(r.points_lost), f"{factor:.4f}",
                                               round(total, 4)))
    return out


def _meta_rows(data: ReportData, office: str, rows: int, review: int = 0) -> list[tuple[str, str]]:
    return [
        ("单位", office),
        ("问题行数", f"{rows}（另有待人工复核 {review} 行，见“{REVIEW_SHEET}”表，不扣分）" if review else str(rows)),
        ("评估截至（as-of）", f"{data.check.get('as_of', '')}：判断“是否按时更新”等时效问题的基准日，页面内容以此日为准。"),
        ("监测时间", f"{data.run.get('started_at', '')} 至 {data.run.get('finished_at') or '—'}：实际抓取网站的时间。"),
        ("报告日期", f"{data.deadline_start.isoformat()}：整改时限自此日起算。"),
        ("运行编号 / 检查编号", f"{data.run.get('run_id')} / {data.check.get('check_id')}"),
        ("规则版本", str(data.check.get("rules_version", ""))),
        ("指标体系", f"{data.scores.profile_name}（哈希 {data.scores.profile_hash}）"),
        ("生成时间", now_iso()),
        ("一行是什么", "一个页面（或一个失效地址、一个栏目）的一类问题：同一页面缺少的多个要素合为一行；"
                   "同一失效地址出现在多个页面时为一行，“出现页面数”为引用它的页面数，“所在页面”列出示例。"),
        ("严重程度", "否决：触发单项否决，网站判为不合格；扣分：按指标扣分；预警：接近否决线，不扣分。"
                   "标“疑似”的问题（超时、服务器错误等）待复核确认，不扣分。"),
        ("扣分", "“问题数（处）”是数量，不是分数。“扣分（封顶前）”为该行按指标体系的扣分额；同一指标扣分以"
               "该指标分值为上限，“计入扣分”为封顶后分摊到该行的分数（按各行封顶前扣分的比例分摊，精确到0.01分），"
               "全站各行“计入扣分”之和等于评估报告和得分 CSV 中该网站的扣分合计。封顶的指标见“汇总”表。"),
        ("状态", (f"与上一轮（{data.lookback.from_label}）比对：新发现 = 上轮没有；未整改 = 上轮已有、本轮仍在；"
                 f"上轮有、本轮已不存在的问题列在“{FIXED_SHEET}”表。标“已说明”的问题情况说明已被采纳，列出但不扣分。")
         if data.lookback else "首次评估：没有可比对的上一轮，状态均为“首次评估”。"),
        ("快照", "“快照”链接打开抓取时保存的页面原样（脚本已禁用、链接已失效化），用于核对有争议的问题。"),
        ("整改情况", "请在“整改情况”（下拉选择）、“整改责任人”“完成时间”“备注”列填写整改结果后报回。"),
    ]


@dataclass
class _OfficeJob:
    """What one worker needs to write one office's two files (picklable)."""

    office: str
    xlsx: Path
    csv: Path
    rows: list[tuple]
    meta: list[tuple[str, str]]
    review: list[tuple] = field(default_factory=list)
    fixed: list[tuple] = field(default_factory=list)
    summary: list[tuple] = field(default_factory=list)
    caps: list[tuple] = field(default_factory=list)


# Cell formats by name, as XlsxWriter format properties; every written cell takes one of them.
FORMATS: dict[str, dict] = {
    "header": {"bold": True, "bg_color": "#DDE4EE", "align": "center", "valign": "vcenter", "text_wrap": True,
               "border": 1, "border_color": "#B4BFCC"},
    "text": {"valign": "top"},
    "wrap": {"valign": "top", "text_wrap": True},
    "url": {"valign": "top", "text_wrap": True, "font_color": "#0563C1", "underline": 1},
    "number": {"valign": "top"},
    "veto": {"valign": "top", "bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"},
    "deduct": {"valign": "top", "font_color": "#9C5700", "bg_color": "#FFEB9C"},
    "warn": {"valign": "top", "font_color": "#375623"},
    "review": {"valign": "top", "font_color": "#1F4E79", "bg_color": "#DDEBF7"},
    "answer_header": {"bold": True, "bg_color": "#FCE4D6", "align": "center", "valign": "vcenter", "text_wrap": True,
                      "border": 1, "border_color": "#B4BFCC"},
    "answer": {"valign": "top", "text_wrap": True, "bg_color": "#FFF9F3", "border": 1, "border_color": "#E5E7EB"},
}


def _workbook(path: Path):
    """A workbook that streams rows to disk and never turns text into formulas, numbers or links by itself."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    return wb, {name: wb.add_format(props) for name, props in FORMATS.items()}


def _sheet(wb, formats: dict, title: str, columns: tuple[tuple[str, int, str], ...]):
    ws = wb.add_worksheet(title)
    for i, (name, width, kind) in enumerate(columns):
        ws.set_column(i, i, width)
        ws.write_string(0, i, name, formats["answer_header" if kind == "answer" else "header"])
    ws.freeze_panes(1, 0)
    # printed as offices print lists: A4 landscape, the header on every page, all columns on one page's width
    ws.set_paper(9)
    ws.set_landscape()
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer("&C第 &P 页，共 &N 页")
    return ws


def _write_text(ws, row: int, col: int, value, fmt) -> None:
    ws.write_string(row, col, spreadsheet_cell("" if value is None else str(value)), fmt)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _write_number(ws, row: int, col: int, value, fmt) -> None:
    if value is None or value != value:  # NaN: the scorer gave no points for this finding
        ws.write_blank(row, col, None, fmt)
    else:
        ws.write_number(row, col, value, fmt)


def _write_meta_sheet(wb, formats: dict, meta: list[tuple[str, str]]) -> None:
    ws = wb.add_worksheet("说明")
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 90)
    for i, (key, value) in enumerate(meta):
        _write_text(ws, i, 0, key, formats["header"])
        _write_text(ws, i, 1, value, formats["wrap"])


def _clean_row(raw: tuple) -> list:
    """The issue-list cells of a row, each cleaned once for both files: numbers stay numbers (NaN -> None)."""
    cells = []
    for (_, _, kind), value in zip(ISSUE_COLUMNS, raw):
        if kind == "number":
            cells.append(value if _is_number(value) and value == value else None)
        else:
            cells.append(spreadsheet_cell("" if value is None else str(value)))
    return cells


def _write_rows(ws, formats: dict, rows: list[tuple], csv_path: Path | None) -> None:
    """Rows (ISSUE_HEADERS + _severity + _snapshot) into a sheet, and into csv_path when given."""
    severity_col = ISSUE_HEADERS.index("严重程度")
    kinds = [kind for _, _, kind in ISSUE_COLUMNS]
    links = 0
    with ExitStack() as files:
        fh = files.enter_context(open(files.enter_context(atomic_path(csv_path)), "w", encoding="utf-8-sig",
                                      newline="")) if csv_path else None
        writer = csv.writer(fh, lineterminator="\r\n") if fh else None
        if writer:
            writer.writerow(ISSUE_HEADERS)
        for r, raw in enumerate(rows, start=1):
            cells = _clean_row(raw)
            severity, snapshot = raw[len(ISSUE_COLUMNS)], raw[len(ISSUE_COLUMNS) + 1]
            if writer:
                writer.writerow(["" if v is None else (snapshot if kind == "link" and v else v)
                                 for kind, v in zip(kinds, cells)])
            if r > MAX_SHEET_ROWS:
                continue
            for c, (kind, value) in enumerate(zip(kinds, cells)):
                if kind == "number":
                    _write_number(ws, r, c, value, formats["number"])
                elif c == severity_col:
                    fmt = formats["review"] if "待人工复核" in value else formats.get(severity, formats["text"])
                    ws.write_string(r, c, value, fmt)
                elif kind == "url" and links < MAX_LINKS_PER_SHEET and len(value) <= MAX_URL_CHARS \
                        and is_web_url(value):
                    ws.write_url(r, c, value, formats["url"], value)
                    links += 1
                elif kind == "link" and snapshot and links < MAX_LINKS_PER_SHEET:
                    # a relative link: the snapshots folder sits beside the issues folder
                    ws.write_url(r, c, "external:" + snapshot, formats["url"], value)
                    links += 1
                elif kind == "answer":  # an empty, styled cell the office fills in
                    (ws.write_string(r, c, value, formats["answer"]) if value
                     else ws.write_blank(r, c, None, formats["answer"]))
                else:
                    ws.write_string(r, c, value, formats["wrap" if kind == "link" else kind])
    last = max(1, min(len(rows), MAX_SHEET_ROWS))
    ws.autofilter(0, 0, last, len(ISSUE_COLUMNS) - 1)
    remedy = ISSUE_HEADERS.index("整改情况")
    ws.data_validation(1, remedy, last, remedy, {
        "validate": "list", "source": list(REMEDY_STATES),
        "input_title": "整改情况", "input_message": "请从下拉列表选择",
        "error_title": "整改情况", "error_message": "请从下拉列表选择：" + "、".join(REMEDY_STATES)})
    done = ISSUE_HEADERS.index("完成时间")
    ws.data_validation(1, done, last, done, {
        "validate": "date", "criteria": ">=", "value": date(2000, 1, 1), "ignore_blank": True,
        "error_type": "warning", "error_message": "请填写日期，如 2025-07-31"})


SUMMARY_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("问题类型", 30, "wrap"), ("严重程度", 10, "text"), ("问题行数", 10, "number"), ("问题数（处）", 12, "number"),
    ("扣分（封顶前）", 14, "number"), ("计入扣分", 12, "number"),
)
CAP_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("网站", 30, "wrap"), ("封顶的指标", 10, "text"), ("指标分值", 10, "number"), ("封顶前扣分", 12, "number"),
    ("计入扣分", 12, "number"), ("分摊系数", 14, "text"), ("本清单所列行的计入扣分", 12, "number"),
)


def _write_summary(wb, formats: dict, summary: list[tuple], caps: list[tuple]) -> None:
    ws = _sheet(wb, formats, SUMMARY_SHEET, SUMMARY_COLUMNS)
    for r, row in enumerate(summary, start=1):
        for c, ((_, _, kind), value) in enumerate(zip(SUMMARY_COLUMNS, row)):
            (_write_number if kind == "number" else _write_text)(ws, r, c, value, formats[kind])
    r = len(summary) + 1
    _write_text(ws, r, 0, "合计", formats["header"])
    for c in (2, 3, 4, 5):
        _write_number(ws, r, c, round(sum(row[c] for row in summary), 4), formats["number"])
    if caps:
        r += 2
        _write_text(ws, r, 0, "封顶的指标：该指标封顶前扣分超过其分值，计入扣分按各行封顶前扣分的比例分摊（分摊系数 = "
                    "计入扣分 ÷ 封顶前扣分）", formats["wrap"])
        r += 1
        for c, (name, _, _) in enumerate(CAP_COLUMNS):
            _write_text(ws, r, c, name, formats["header"])
        for row in caps:
            r += 1
            for c, ((_, _, kind), value) in enumerate(zip(CAP_COLUMNS, row)):
                (_write_number if kind == "number" else _write_text)(ws, r, c, value, formats[kind])


def fixed_rows(data: ReportData) -> dict[str, list[tuple]]:
    """office -> the 已整改 rows (FIXED_COLUMNS): last round's findings this round no longer finds."""
    if data.lookback is None:
        return {}
    names = dict(zip(data.sites["site_id"], data.sites["name"]))
    out: dict[str, list[tuple]] = {}
    for r in data.lookback.rows:
        if r["status"] != "fixed":
            continue
        rows = out.setdefault(r["office"], [])
        rows.append((len(rows) + 1, r["office"], names.get(r["site_id"], r["site_id"]),
                     data.rule(r["code"]).problem_type, r["indicator"], r["message"], r["url"],
                     data.lookback.from_label, r["identity"]))
    return out


def _write_fixed(wb, formats: dict, rows: list[tuple], csv_path: Path) -> None:
    ws = _sheet(wb, formats, FIXED_SHEET, FIXED_COLUMNS)
    with atomic_path(csv_path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([name for name, _, _ in FIXED_COLUMNS])
        for r, row in enumerate(rows, start=1):
            cells = [v if kind == "number" else spreadsheet_cell(str(v)) for (_, _, kind), v in zip(FIXED_COLUMNS, row)]
            writer.writerow(cells)
            for c, ((_, _, kind), value) in enumerate(zip(FIXED_COLUMNS, cells)):
                if kind == "number":
                    _write_number(ws, r, c, value, formats["number"])
                else:
                    ws.write_string(r, c, value, formats["wrap" if kind == "url" else kind])


def _write_office_files(job: _OfficeJob) -> None:
    with atomic_path(job.xlsx) as tmp:
        _write_office_book(job, tmp)


def _write_office_book(job: _OfficeJob, path: Path) -> None:
    wb, formats = _workbook(path)
    ws = _sheet(wb, formats, "问题清单", ISSUE_COLUMNS)
    _write_rows(ws, formats, job.rows, job.csv)
    if job.review:
        review = _sheet(wb, formats, REVIEW_SHEET, ISSUE_COLUMNS)
        _write_rows(review, formats, job.review, job.csv.with_name(job.csv.stem + "-" + REVIEW_SHEET + ".csv"))
    if job.fixed:
        _write_fixed(wb, formats, job.fixed, job.csv.with_name(job.csv.stem + "-" + FIXED_SHEET + ".csv"))
    _write_summary(wb, formats, job.summary, job.caps)
    meta = job.meta
    if len(job.rows) > MAX_SHEET_ROWS:
        meta = meta + [("注意", f"问题超过 Excel 单表上限，本表只列前 {MAX_SHEET_ROWS} 条；完整清单见同名 CSV 文件。")]
    _write_meta_sheet(wb, formats, meta)
    wb.close()


def _write_index(path: Path, lists: list[OfficeList], points: dict[tuple[str, str], float],
                 meta: list[tuple[str, str]]) -> None:
    with atomic_path(path) as tmp:
        _write_index_book(tmp, lists, points, meta)


def _write_index_book(path: Path, lists: list[OfficeList], points: dict[tuple[str, str], float],
                      meta: list[tuple[str, str]]) -> None:
    wb, formats = _workbook(path)
    ws = _sheet(wb, formats, "单位清单", INDEX_COLUMNS)
    n = 0
    for item in lists:
        for site in item.sites:
            n += 1
            counts = item.counts.get(site, {})
            shown = {k: v for k, v in counts.items() if k not in ("review", "fixed")}
            numbers = [n, counts.get("veto", 0), counts.get("deduct", 0), counts.get("warn", 0),
                       sum(shown.values()), counts.get("review", 0), points.get((item.office, site), 0.0),
                       counts.get("fixed", 0)]
            for c, value in zip((0, 3, 4, 5, 6, 7, 8, 9), numbers):
                _write_number(ws, n, c, value, formats["number"])
            _write_text(ws, n, 1, item.office, formats["wrap"])
            _write_text(ws, n, 2, site, formats["wrap"])
            # a relative link: the index sits beside the office files
            ws.write_url(n, 10, "external:" + item.xlsx.name, formats["url"], spreadsheet_cell(item.xlsx.name))
    ws.autofilter(0, 0, n, len(INDEX_COLUMNS) - 1)
    _write_meta_sheet(wb, formats, meta)
    wb.close()


def _rows_by_office(frame: pd.DataFrame, columns: list[str]) -> dict[str, tuple[list[tuple], list[str]]]:
    """office -> (its rows as tuples of `columns`, each row's site), rows in the frame's order."""
    out: dict[str, tuple[list[tuple], list[str]]] = {}
    if not len(frame):
        return out
    for office, site, row in zip(frame["_office"], frame["_site"],
                                 zip(*(frame[c].tolist() for c in columns))):
        rows, sites = out.setdefault(office, ([], []))
        rows.append(row)
        sites.append(site)
    return out


def write_issue_lists(data: ReportData, out_dir: str | Path, workers: int | None = None) -> IssueLists:
    """Write <out_dir>/<office>.xlsx and .csv for every office with findings, and <out_dir>/index.xlsx.

    Offices are ordered by their most severe problems first. `workers` > 1 writes offices in parallel
    (default: the CPUs, when the lists are long enough for it to pay)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = issue_frame(data)
    review = issue_frame(data, review=True)
    both = pd.concat([frame, review]) if len(review) else frame
    rank = both.groupby("_office", sort=False)["_severity"].agg(
        lambda s: (-(s == "veto").sum(), -(s == "deduct").sum(), -len(s)))
    fixed = fixed_rows(data)
    offices = sorted(rank.index, key=lambda o: (rank[o], o))
    offices += sorted(set(fixed) - set(offices))   # an office that fixed everything still gets its 已整改 list
    names = unique_filenames(offices, fallback="未署名单位", reserved=(INDEX_NAME,))
    # 计入扣分 per office and site: the rows' shares of the capped points, so offices add up to the site's total
    points = {k: round(float(v), 4) for k, v in frame.groupby(["_office", "_site"])["计入扣分"].sum().items()}
    lists, jobs = [], []
    caps, summaries = cap_rows(data), summary_rows_by_office(frame)
    columns = [*ISSUE_HEADERS, "_severity", "_snapshot"]
    # every row as a tuple once, then split by office in order (a selection per office costs minutes)
    main_by_office, review_by_office = _rows_by_office(frame, columns), _rows_by_office(review, columns)
    # rows per office, site and severity (and review rows per office and site), counted once for all offices
    severities: dict[tuple[str, str], dict[str, int]] = {}
    for (office, site, severity), n in frame.groupby(["_office", "_site", "_severity"]).size().items():
        severities.setdefault((office, site), {})[severity] = int(n)
    reviews = {k: int(n) for k, n in review.groupby(["_office", "_site"]).size().items()} if len(review) else {}
    for office in offices:
        rows, site_of = main_by_office.get(office, ([], []))
        review_rows, review_site_of = review_by_office.get(office, ([], []))
        xlsx = confined_path(out, names[office] + ".xlsx")
        csv_path = confined_path(out, names[office] + ".csv")
        fixed_sites = [row[2] for row in fixed.get(office, [])]   # FIXED_COLUMNS: 网站 is the third
        sites = list(dict.fromkeys([*site_of, *review_site_of, *fixed_sites]))
        counts = {site: {**severities.get((office, site), {}), "review": reviews.get((office, site), 0),
                         "fixed": fixed_sites.count(site)}
                  for site in sites}
        lists.append(OfficeList(office, sites, xlsx, csv_path, counts))
        jobs.append(_OfficeJob(office, xlsx, csv_path, rows, _meta_rows(data, office, len(rows), len(review_rows)),
                               review_rows, fixed.get(office, []), summaries.get(office, []), caps.get(office, [])))
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(frame) >= PARALLEL_ROWS else 1
    workers = max(1, min(workers, len(jobs)))
    if workers > 1:
        # fork: workers start at once with everything imported, and callers need no `__main__` guard; a worker
        # only writes files from the rows it is given (it never touches the parent's SQLite connection)
        context = get_context("fork") if "fork" in get_all_start_methods() else get_context()
        gc.freeze()   # the workers' garbage collector then leaves the parent's objects (and their shared pages) alone
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                # largest first, so one big office does not start last and run alone
                for _ in pool.map(_write_office_files, sorted(jobs, key=lambda j: -len(j.rows))):
                    pass
        finally:
            gc.unfreeze()
    else:
        for job in jobs:
            _write_office_files(job)
    index = confined_path(out, INDEX_NAME + ".xlsx")
    meta = [(k, v) for k, v in _meta_rows(data, "全部单位", len(frame), len(review)) if k not in ("单位",)]
    _write_index(index, lists, points, meta)
    return IssueLists(index=index, offices=lists)
