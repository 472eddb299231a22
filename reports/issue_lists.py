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
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reports.report_data import CONFIDENCE_LABELS, SEVERITY_LABELS, ReportData, evidence_text
from reports.safe_output import confined_path, is_web_url, spreadsheet_cell, unique_filenames
from zwgk.store import now_iso

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

# Excel refuses a sheet with more hyperlinks than this (it reports the file as damaged); further URLs stay text.
MAX_LINKS_PER_SHEET = 65000
# Lists this long are written by worker processes, one office each: openpyxl spends ~8 µs a cell.
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
    many = (counts > 1) & ~message.str.contains("共", regex=False)
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


def _styles(ws) -> dict[str, WriteOnlyCell]:
    """Template cells whose style each written cell copies: assigning style objects cell by cell costs
    a hash lookup each, copying the style array of a template does not."""
    top = Alignment(vertical="top")
    wrap = Alignment(vertical="top", wrap_text=True)
    templates = {}
    for name, font, align, fill in (
        ("header", Font(bold=True), Alignment(vertical="center", horizontal="center", wrap_text=True),
         PatternFill("solid", fgColor="DDE4EE")),
        ("text", None, top, None),
        ("wrap", None, wrap, None),
        ("url", Font(color="0563C1", underline="single"), wrap, None),
        ("number", None, top, None),
        ("veto", Font(bold=True, color="9C0006"), top, PatternFill("solid", fgColor="FFC7CE")),
        ("deduct", Font(color="9C5700"), top, PatternFill("solid", fgColor="FFEB9C")),
        ("warn", Font(color="375623"), top, None),
    ):
        cell = WriteOnlyCell(ws)
        if font is not None:
            cell.font = font
        cell.alignment = align
        if fill is not None:
            cell.fill = fill
        templates[name] = cell
    return templates


def _cell(ws, value, template: WriteOnlyCell) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=value)
    # Share the template's style array (see _styles): a write-only cell is serialised as soon as its row is
    # appended and never changed afterwards, so the shared array is never mutated through it.
    cell._style = template._style
    return cell


def _sheet(wb: Workbook, title: str, columns: tuple[tuple[str, int, str], ...]):
    ws = wb.create_sheet(title)
    for i, (_, width, _) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    return ws


def _write_meta_sheet(wb: Workbook, meta: list[tuple[str, str]]) -> None:
    ws = wb.create_sheet("说明")
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 90
    style = _styles(ws)
    for key, value in meta:
        ws.append([_cell(ws, key, style["header"]), _cell(ws, spreadsheet_cell(value), style["wrap"])])


def _write_office_files(job: _OfficeJob) -> None:
    severity_col = ISSUE_HEADERS.index("严重程度")
    wb = Workbook(write_only=True)
    ws = _sheet(wb, "问题清单", ISSUE_COLUMNS)
    style = _styles(ws)
    ws.append([_cell(ws, name, style["header"]) for name in ISSUE_HEADERS])
    links = 0
    for raw in job.rows:
        values = raw[:len(ISSUE_COLUMNS)]
        severity = raw[-1]
        row = []
        for i, ((_, _, kind), value) in enumerate(zip(ISSUE_COLUMNS, values)):
            if kind == "number":
                value = None if value is None or value != value else value  # NaN (no points given) -> blank
                row.append(_cell(ws, value, style["number"]))
                continue
            value = spreadsheet_cell("" if value is None else str(value))
            if i == severity_col:
                row.append(_cell(ws, value, style.get(severity, style["text"])))
            elif kind == "url" and is_web_url(value) and len(value) < 2000 and links < MAX_LINKS_PER_SHEET:
                cell = _cell(ws, value, style["url"])
                cell.hyperlink = value
                links += 1
                row.append(cell)
            else:
                row.append(_cell(ws, value, style[kind]))
        ws.append(row)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(ISSUE_COLUMNS))}{len(job.rows) + 1}"
    _write_meta_sheet(wb, job.meta)
    wb.save(job.xlsx)
    with open(job.csv, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(ISSUE_HEADERS)
        for raw in job.rows:
            writer.writerow(["" if v is None or v != v else spreadsheet_cell(v if isinstance(v, (int, float))
                                                                             else str(v))
                             for v in raw[:len(ISSUE_COLUMNS)]])


def _write_index(path: Path, lists: list[OfficeList], points: dict[tuple[str, str], float],
                 meta: list[tuple[str, str]]) -> None:
    wb = Workbook(write_only=True)
    ws = _sheet(wb, "单位清单", INDEX_COLUMNS)
    style = _styles(ws)
    ws.append([_cell(ws, name, style["header"]) for name, _, _ in INDEX_COLUMNS])
    n = 0
    for item in lists:
        for site in item.sites:
            n += 1
            counts = item.counts.get(site, {})
            total = sum(counts.values())
            lost = points.get((item.office, site))
            link = _cell(ws, spreadsheet_cell(item.xlsx.name), style["url"])
            link.hyperlink = item.xlsx.name  # relative: the index sits beside the office files
            ws.append([_cell(ws, n, style["number"]), _cell(ws, spreadsheet_cell(item.office), style["wrap"]),
                       _cell(ws, spreadsheet_cell(site), style["wrap"]),
                       *(_cell(ws, counts.get(s, 0), style["number"]) for s in ("veto", "deduct", "warn")),
                       _cell(ws, total, style["number"]), _cell(ws, lost, style["number"]), link])
    ws.auto_filter.ref = f"A1:{get_column_letter(len(INDEX_COLUMNS))}{n + 1}"
    _write_meta_sheet(wb, meta)
    wb.save(path)


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
