"""一对一 issue lists: one xlsx (and the same CSV) per responsible office, plus an index workbook."""

from __future__ import annotations

import csv
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

import pandas as pd
import xlsxwriter

from reports.report_data import COUNTED, CONFIDENCE_LABELS, SEVERITY_LABELS, ReportData, evidence_text
from reports.safe_output import confined_path, is_web_url, spreadsheet_cell, unique_filenames
from zwgk.core.store import now_iso

# The columns of an issue list, in order, with their width in Excel character units and their kind:
# text (no wrap), wrap (long text), url (hyperlink), number.
ISSUE_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("序号", 6, "number"),
    ("单位", 18, "wrap"),
    ("网站", 18, "wrap"),
    ("栏目", 16, "wrap"),
    ("问题类型", 16, "wrap"),
    ("指标", 20, "wrap"),
    ("严重程度", 10, "text"),
    ("问题描述", 44, "wrap"),
    ("页面标题", 30, "wrap"),
    ("页面URL", 40, "url"),
    ("父页面URL", 32, "url"),
    ("证据", 40, "wrap"),
    ("依据", 40, "wrap"),
    ("扣分", 7, "number"),
    ("发现时间", 12, "text"),
    ("整改建议", 40, "wrap"),
    ("整改时限", 18, "wrap"),
)
ISSUE_HEADERS = tuple(name for name, _, _ in ISSUE_COLUMNS)

INDEX_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("序号", 6, "number"),
    ("单位", 24, "wrap"),
    ("网站", 24, "wrap"),
    ("否决", 8, "number"),
    ("扣分", 8, "number"),
    ("预警", 8, "number"),
    ("问题合计", 10, "number"),
    ("扣分合计", 10, "number"),
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
    counts: dict[str, dict[str, int]] = field(default_factory=dict)   # site -> veto / deduct / warn -> rows


@dataclass
class IssueLists:
    index: Path
    offices: list[OfficeList]


def deadline_text(as_of: str, days: int | None) -> str:
    """整改时限: '15日内（2025-07-16前）' counted from the day the problem was found."""
    if days is None:
        return ""
    try:
        due = date.fromisoformat(str(as_of)[:10]) + timedelta(days=int(days))
    except ValueError:
        return f"{days}日内"
    return f"{days}日内（{due.isoformat()}前）"


def issue_frame(data: ReportData) -> pd.DataFrame:
    """Every finding as an issue-list row (ISSUE_HEADERS) plus `_office`, `_site`, `_severity`; sorted per office
    by severity (否决 > 扣分 > 预警), then site, then the points the scorer gave, then column and order found."""
    f = data.findings
    if not len(f):
        return pd.DataFrame(columns=[*ISSUE_HEADERS, "_office", "_site", "_severity"])
    rules = {code: data.rule(code) for code in f["code"].unique()}
    f = f.sort_values(["office", "severity_rank", "site_name", "points", "column_name", "seq"],
                      ascending=[True, True, True, False, True, True], na_position="last", kind="stable")
    labels = data.labels
    code = f["code"]
    severity = f["severity"].map(SEVERITY_LABELS).fillna(f["severity"])
    suspected = f["confidence"] == "suspected"
    severity = severity.where(~suspected, severity + "（" + CONFIDENCE_LABELS["suspected"] + "）")
    counts = pd.to_numeric(f["count"], errors="coerce").fillna(1).astype(int)
    message = f["message"].fillna("")
    # an aggregated finding says how many instances it stands for, unless its message already counts them
    many = (counts > 1) & ~message.str.contains(COUNTED.pattern, regex=True)
    message = message.where(~many, message + "（共" + counts.astype(str) + "处）")
    deadlines = {(c, a): deadline_text(a, rules[c].fix_days) for c, a in set(zip(code, f["as_of"]))}
    out = pd.DataFrame({
        "序号": 0,
        "单位": f["office"].fillna(""),
        "网站": f["site_name"].fillna(""),
        "栏目": f["column_name"].fillna(""),
        "问题类型": code.map(lambda c: rules[c].problem_type),
        "指标": f["indicator"].fillna(""),
        "严重程度": severity,
        "问题描述": message,
        "页面标题": f["title"].fillna(""),
        "页面URL": f["url"].fillna(""),
        "父页面URL": f["parent_url"].fillna(""),
        "证据": f["evidence"].map(lambda e: evidence_text(e, labels)),
        "依据": code.map(lambda c: rules[c].basis),
        "扣分": f["points"],
        "发现时间": f["as_of"].fillna("").astype(str).str.slice(0, 10),
        "整改建议": code.map(lambda c: rules[c].advice),
        "整改时限": [deadlines[(c, a)] for c, a in zip(code, f["as_of"])],
        "_office": f["office"].fillna(""),
        "_site": f["site_name"].fillna(""),
        "_severity": f["severity"],
    })
    out["序号"] = out.groupby("_office", sort=False).cumcount() + 1
    return out.reset_index(drop=True)


def _meta_rows(data: ReportData, office: str, rows: int) -> list[tuple[str, str]]:
    return [
        ("单位", office),
        ("问题数", str(rows)),
        ("监测截至日期", str(data.check.get("as_of", ""))),
        ("运行编号 / 检查编号", f"{data.run.get('run_id')} / {data.check.get('check_id')}"),
        ("规则版本", str(data.check.get("rules_version", ""))),
        ("指标体系", f"{data.scores.profile_name}（哈希 {data.scores.profile_hash}）"),
        ("生成时间", now_iso()),
        ("严重程度", "否决：触发单项否决，网站判为不合格；扣分：按指标扣分（同一指标扣分不超过该指标分值）；"
                   "预警：接近否决线或待复核，不扣分。标“疑似”的问题（超时、服务器错误等）待复核确认。"),
        ("扣分", "为该条问题按指标体系的扣分额，由评分程序给出；同一指标合计扣分以该指标分值为上限，"
               "以评估报告中的指标得分为准。"),
    ]


@dataclass
class _OfficeJob:
    """What one worker needs to write one office's two files (picklable)."""

    office: str
    xlsx: Path
    csv: Path
    rows: list[tuple]
    meta: list[tuple[str, str]]


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
}


def _workbook(path: Path):
    """A workbook that streams rows to disk and never turns text into formulas, numbers or links by itself."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
    return wb, {name: wb.add_format(props) for name, props in FORMATS.items()}


def _sheet(wb, formats: dict, title: str, columns: tuple[tuple[str, int, str], ...]):
    ws = wb.add_worksheet(title)
    for i, (name, width, _) in enumerate(columns):
        ws.set_column(i, i, width)
        ws.write_string(0, i, name, formats["header"])
    ws.freeze_panes(1, 0)
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


def _write_office_files(job: _OfficeJob) -> None:
    severity_col = ISSUE_HEADERS.index("严重程度")
    kinds = [kind for _, _, kind in ISSUE_COLUMNS]
    wb, formats = _workbook(job.xlsx)
    ws = _sheet(wb, formats, "问题清单", ISSUE_COLUMNS)
    links = 0
    with open(job.csv, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(ISSUE_HEADERS)
        for r, raw in enumerate(job.rows, start=1):
            cells = _clean_row(raw)
            writer.writerow(["" if v is None else v for v in cells])
            if r > MAX_SHEET_ROWS:
                continue
            for c, (kind, value) in enumerate(zip(kinds, cells)):
                if kind == "number":
                    _write_number(ws, r, c, value, formats["number"])
                elif c == severity_col:
                    ws.write_string(r, c, value, formats.get(raw[-1], formats["text"]))
                elif kind == "url" and links < MAX_LINKS_PER_SHEET and len(value) <= MAX_URL_CHARS \
                        and is_web_url(value):
                    ws.write_url(r, c, value, formats["url"], value)
                    links += 1
                else:
                    ws.write_string(r, c, value, formats[kind])
    ws.autofilter(0, 0, min(len(job.rows), MAX_SHEET_ROWS), len(ISSUE_COLUMNS) - 1)
    meta = job.meta
    if len(job.rows) > MAX_SHEET_ROWS:
        meta = meta + [("注意", f"问题超过 Excel 单表上限，本表只列前 {MAX_SHEET_ROWS} 条；完整清单见同名 CSV 文件。")]
    _write_meta_sheet(wb, formats, meta)
    wb.close()


def _write_index(path: Path, lists: list[OfficeList], points: dict[tuple[str, str], float],
                 meta: list[tuple[str, str]]) -> None:
    wb, formats = _workbook(path)
    ws = _sheet(wb, formats, "单位清单", INDEX_COLUMNS)
    n = 0
    for item in lists:
        for site in item.sites:
            n += 1
            counts = item.counts.get(site, {})
            numbers = [n, counts.get("veto", 0), counts.get("deduct", 0), counts.get("warn", 0),
                       sum(counts.values()), points.get((item.office, site))]
            for c, value in zip((0, 3, 4, 5, 6, 7), numbers):
                _write_number(ws, n, c, value, formats["number"])
            _write_text(ws, n, 1, item.office, formats["wrap"])
            _write_text(ws, n, 2, site, formats["wrap"])
            # a relative link: the index sits beside the office files
            ws.write_url(n, 8, "external:" + item.xlsx.name, formats["url"], spreadsheet_cell(item.xlsx.name))
    ws.autofilter(0, 0, n, len(INDEX_COLUMNS) - 1)
    _write_meta_sheet(wb, formats, meta)
    wb.close()


def write_issue_lists(data: ReportData, out_dir: str | Path, workers: int | None = None) -> IssueLists:
    """Write <out_dir>/<office>.xlsx and .csv for every office with findings, and <out_dir>/index.xlsx.

    Offices are ordered by their most severe problems first. `workers` > 1 writes offices in parallel
    (default: the CPUs, when the lists are long enough for it to pay)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = issue_frame(data)
    rank = frame.groupby("_office", sort=False)["_severity"].agg(
        lambda s: (-(s == "veto").sum(), -(s == "deduct").sum(), -len(s)))
    offices = sorted(rank.index, key=lambda o: (rank[o], o))
    names = unique_filenames(offices, fallback="未署名单位", reserved=(INDEX_NAME,))
    site_names = dict(zip(data.sites["site_id"], data.sites["name"]))
    # 扣分合计 per office and site, as the scorer gave it (each indicator capped at its points).
    points = {(r.office, site_names.get(r.site_id, r.site_id)): float(r.points_lost)
              for r in data.scores.offices.itertuples()}
    lists, jobs = [], []
    columns = [*ISSUE_HEADERS, "_severity"]
    for office, group in frame.groupby("_office", sort=False):
        xlsx = confined_path(out, names[office] + ".xlsx")
        csv_path = confined_path(out, names[office] + ".csv")
        sites = list(dict.fromkeys(group["_site"]))
        counts = {site: g["_severity"].value_counts().to_dict() for site, g in group.groupby("_site", sort=False)}
        rows = list(group[columns].itertuples(index=False, name=None))
        lists.append(OfficeList(office, sites, xlsx, csv_path, counts))
        jobs.append(_OfficeJob(office, xlsx, csv_path, rows, _meta_rows(data, office, len(rows))))
    order = {o: i for i, o in enumerate(offices)}
    lists.sort(key=lambda item: order[item.office])
    if workers is None:
        workers = min(os.cpu_count() or 1, 4) if len(frame) >= PARALLEL_ROWS else 1
    workers = max(1, min(workers, len(jobs)))
    if workers > 1:
        # fork: workers start at once with everything imported, and callers need no `__main__` guard; a worker
        # only writes files from the rows it is given (it never touches the parent's SQLite connection)
        context = get_context("fork") if "fork" in get_all_start_methods() else get_context()
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            # largest first, so one big office does not start last and run alone
            for _ in pool.map(_write_office_files, sorted(jobs, key=lambda j: -len(j.rows))):
                pass
    else:
        for job in jobs:
            _write_office_files(job)
    index = confined_path(out, INDEX_NAME + ".xlsx")
    meta = [(k, v) for k, v in _meta_rows(data, "全部单位", len(frame)) if k not in ("单位",)]
    _write_index(index, lists, points, meta)
    return IssueLists(index=index, offices=lists)
