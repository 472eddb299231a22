"""All outputs of one scored check: report.html (+ report.pdf, + sites/ for many sites), issues/ per office, scores.csv, scores_wide.csv, history.csv."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from dataclasses import dataclass, field
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from reports.history_csv import write_history_csv
from reports.html import REPORT_TITLE, write_report
from reports.pdf import die_with_parent, render_pdf, render_split_pdfs
from reports.issue_lists import IssueLists, write_issue_lists
from reports.report_data import ReportData, ensure_scores, load_report_data
from reports.scores_csv import write_scores_csv
from reports.safe_output import remove_partials
from reports.snapshots import SNAPSHOT_DIR, write_snapshots
from scoring.profile import ScoringProfile
from zwgk.core.store import Store

ISSUES_DIR = "issues"


@dataclass
class Outputs:
    """Paths of everything written, and seconds spent on each part (for `zwgk bench report`)."""

    out_dir: Path
    html: Path
    pdf: Path | None
    issues: IssueLists
    csv: list[Path]
    pdf_error: str = ""
    pdf_problems: list[str] = field(default_factory=list)   # what the PDF renderer logged, one line per problem
    snapshots: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    site_pages: list[Path] = field(default_factory=list)   # a split report's per-site files (sites/*.html)
    site_pdfs: list[Path] = field(default_factory=list)

    def paths(self) -> list[Path]:
        files = [self.html] + ([self.pdf] if self.pdf else []) + self.site_pages + self.site_pdfs + [self.issues.index]
        for office in self.issues.offices:
            files += [office.xlsx, office.csv]
        return files + list(self.csv)


@dataclass
class _Written:
    """What the data stage wrote (everything but the PDFs)."""

    html: Path
    site_pages: list[Path]
    issues: IssueLists
    csv: list[Path]
    snapshots: list[Path]
    seconds: dict[str, float]


def _write_data_outputs(store: Store, check_id: int, out: Path, profile: str | ScoringProfile | None,
                        top_n: int | None, data: ReportData | None, report_date: date | None, pdf: bool) -> _Written:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    if data is None:
        if profile is None or isinstance(profile, str):
            _, profile, _ = ensure_scores(store, check_id, profile)
        data = load_report_data(store, check_id, profile, report_date=report_date)
    seconds["load"] = time.perf_counter() - started

    started = time.perf_counter()
    snapshots = write_snapshots(store, int(data.run["run_id"]), data.snapshots, out)
    seconds["snapshots"] = time.perf_counter() - started

    started = time.perf_counter()
    report = write_report(data, out, **({"top_n": top_n} if top_n else {}), pdf=pdf)
    seconds["html"] = time.perf_counter() - started

    started = time.perf_counter()
    issues = write_issue_lists(data, out / ISSUES_DIR)
    seconds["issue_lists"] = time.perf_counter() - started

    started = time.perf_counter()
    csv_paths = write_scores_csv(data.scores, out)
    csv_paths.append(write_history_csv(store, out))   # trends: one row per site × round
    seconds["scores_csv"] = time.perf_counter() - started
    return _Written(report.overview, report.sites, issues, csv_paths, snapshots, seconds)


def _write_data_outputs_in_child(workspace: Path, *args) -> _Written:
    store = Store(workspace)   # its own connection: SQLite's must not cross a fork
    try:
        return _write_data_outputs(store, *args)
    finally:
        store.close()


def write_outputs(store: Store, check_id: int, out_dir: str | Path, profile: str | ScoringProfile | None = None,
                  pdf: bool = True, top_n: int | None = None, data: ReportData | None = None,
                  report_date: date | None = None) -> Outputs:
    """Write every output of one check into out_dir; the check's scores must be stored (see ensure_scores).

    `report_date` (default today) is the day the 整改时限 of the issue lists count from."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    remove_partials(out, out / ISSUES_DIR, out / SNAPSHOT_DIR)   # what an earlier, killed report left half-written
    args = (check_id, out, profile, top_n, data, report_date, pdf)
    if pdf and data is None and "fork" in get_all_start_methods():
        # The findings are read and the HTML, lists and CSVs written in a child process: when it ends, its
        # memory (a gigabyte for a province) is the system's again before the browser and WeasyPrint start.
        # Freed in this process instead, most of it stayed (0.7 of 1.2 GB).
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("fork"), initializer=die_with_parent) as pool:
            written = pool.submit(_write_data_outputs_in_child, store.workspace, *args).result()
    else:
        written = _write_data_outputs(store, *args)
    seconds = written.seconds
    pdf_path, pdf_error, pdf_problems, site_pdfs = None, "", [], []
    if pdf:
        started = time.perf_counter()
        try:
            if written.site_pages:   # the overview and each site's file: see render_split_pdfs
                pdf_path, site_pdfs = render_split_pdfs(written.html, written.site_pages, REPORT_TITLE, pdf_problems)
            else:
                pdf_path = render_pdf(written.html, pdf_problems)
        except ImportError as exc:  # a broken install: both are main dependencies of zwgk
            pdf_error = f"未生成 PDF：缺少 WeasyPrint 或中文字体包（重新安装 zwgk：pip install zwgk）：{exc}"
        except OSError as exc:  # WeasyPrint is there but the system's pango/fontconfig libraries are not
            pdf_error = f"缺少 WeasyPrint 所需的系统库，未生成 PDF（Debian：apt-get install libpango-1.0-0 libpangoft2-1.0-0）：{exc}"
        except RuntimeError as exc:  # the WeasyPrint child process failed: its last words name the cause
            pdf_error = f"未生成 PDF：{exc}"
        seconds["pdf"] = time.perf_counter() - started
    return Outputs(out, written.html, pdf_path, written.issues, written.csv, pdf_error, pdf_problems,
                   written.snapshots, seconds, written.site_pages, site_pdfs)
