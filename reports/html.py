"""The evaluation report (第三方评估报告): one self-contained HTML file, and the same report as PDF."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reports.charts import BAND_COLOURS, SEVERITY_COLOURS, bar_chart, column_chart
from reports.issue_lists import snapshot_link
from reports.report_data import (CONFIDENCE_LABELS, ROUND_STATUS_LABELS, SEVERITY_LABELS, ReportData, ensure_scores, evidence_details,
                                 evidence_sentence, load_report_data, basis_as_of)
from reports.safe_output import atomic_path, confined_path, is_web_url
from reports.trends import trend_context
from scoring.scorer import score_text
from zwgk import __version__
from zwgk.core.config import ConfigError, read_data_file
from zwgk.core.store import Store, now_iso

REPORT_NAME = "report.html"
REPORT_TITLE = "政府网站政务公开第三方评估报告"
SITES_DIR = "sites"        # a split report's per-site files, beside report.html
LAYOUT_FILE = Path(__file__).parent / "data" / "report_layout.yaml"
TOP_PROBLEMS = 10          # problems shown per site; the full lists are in the issue-list workbooks
RANKING_CHART_MAX = 40     # sites drawn in the ranking chart (best and worst halves); the table has all
TYPES_CHART_MAX = 20       # problem types drawn in the chart (the most frequent); the table has all
SITES_NAMED = 8            # sites named per problem type before "等N个网站"
KIND_LABELS = {"portal": "政府门户网站", "department": "部门网站"}
CRAWL_STATUS = {"done": "已完成", "unreachable": "首页无法访问", "failed": "抓取失败", "pending": "未抓取",
                "crawling": "抓取中断"}


@dataclass(frozen=True)
class Layout:
    """How the report is laid out (reports/data/report_layout.yaml)."""

    split_sites_above: int     # more sites than this: each site's chapter in its own file, linked from the overview


def load_layout(path: str | Path | None = None) -> Layout:
    """The layout file's settings (default reports/data/report_layout.yaml), validated."""
    return _load_layout(Path(path or LAYOUT_FILE))


@lru_cache(maxsize=4)
def _load_layout(path: Path) -> Layout:
    data = read_data_file(path, "report layout")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level: expected a mapping with the key split_sites_above")
    unknown = sorted(set(data) - {"split_sites_above"})
    if unknown:
        raise ConfigError(f"{path}: key '{unknown[0]}': unknown key (known: split_sites_above)")
    value = data.get("split_sites_above")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{path}: key 'split_sites_above': expected a whole number of sites ≥ 0, got {value!r}")
    return Layout(split_sites_above=value)


def _environment() -> Environment:
    # autoescape on for every template: titles, messages and URLs come from crawled pages
    env = Environment(loader=PackageLoader("reports", "templates"), undefined=StrictUndefined,
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.tests["web_url"] = is_web_url
    env.filters["points"] = _points
    return env


def _points(value) -> str:
    """Points as printed: '3', '0.5', '12.25'; '—' when the scorer gave none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def _score_text(site) -> str:
    return "否决" if site.veto else score_text(site)


def _passed_text(site) -> str:
    return {True: "合格", False: "不合格"}.get(site.passed, "待定")


def _overview(data: ReportData) -> dict:
    sites = data.scores.sites
    n = len(sites)
    passed = int((sites["passed"] == True).sum())  # noqa: E712 - passed is True/False/None
    ungraded = int(sites["passed"].isna().sum())
    vetoed = int(sites["veto"].sum())
    scored = sites[~sites["veto"] & sites["score"].notna()]
    f = data.findings
    review = int(f["review"].sum()) if len(f) else 0
    f = f[~f["review"]] if len(f) else f
    rows = data.problem_rows()
    by_severity = f.groupby("severity")["count"].agg(["size", "sum"]) if len(f) else pd.DataFrame()
    by_rows = rows.groupby("severity").size() if len(rows) else pd.Series(dtype="int64")
    severity = [dict(key=key, label=label, rows=int(by_rows.get(key, 0)),
                     instances=int(by_severity.loc[key, "sum"]) if key in by_severity.index else 0)
                for key, label in SEVERITY_LABELS.items()]
    return dict(
        sites=n, passed=passed, failed=n - passed - ungraded, ungraded=ungraded, vetoed=vetoed,
        pass_rate=f"{passed / n * 100:.1f}%" if n else "—",
        average=f"{scored['score'].mean():.2f}" if len(scored) else "—",
        provisional=int(sites["provisional"].sum()), severity=severity,
        findings=int(len(rows)), offices=int(f["office"].nunique()) if len(f) else 0,
        warned=int(sites["warnings"].map(bool).sum()), review=review,
        counted=_points(round(float(rows["counted"].sum()), 4)) if len(rows) else "0",
        deduction=_points(round(float(sites["deduction_total"].sum()), 4)) if n else "0",
    )


def _distribution(data: ReportData):
    sites = data.scores.sites
    profile = data.profile
    scored = sites[~sites["veto"] & sites["score"].notna() & sites["passed"].notna()]["score"]
    bars = []
    for low in range(0, 100, 10):
        high = 100.01 if low == 90 else low + 10
        count = int(((scored >= low) & (scored < high)).sum())
        name = "90–100" if low == 90 else f"{low}–{low + 9}"
        bars.append((name, count, BAND_COLOURS.get(profile.grade_for(low), "#6b7280")))
    bars.append(("否决", int(sites["veto"].sum()), BAND_COLOURS["否决"]))
    ungraded = int((~sites["veto"] & sites["passed"].isna()).sum())
    if ungraded:
        bars.append((profile.ungraded_label, ungraded, BAND_COLOURS["未评分"]))
    grades = []
    for grade in profile.grades:
        grades.append(dict(name=grade.name, min=grade.min,
                           count=int(((sites["grade"] == grade.name) & ~sites["veto"]).sum())))
    grades.append(dict(name="单项否决", min=None, count=int(sites["veto"].sum())))
    if ungraded:
        grades.append(dict(name=profile.ungraded_label, min=None, count=ungraded))
    return column_chart(bars, "得分分布（按分数段统计网站数）"), grades


def _ranking(data: ReportData, anchors: dict[str, str]):
    sites = data.scores.sites
    names = dict(zip(data.sites["site_id"], data.sites["name"]))
    rows = []
    for s in sites.itertuples():
        rows.append(dict(rank=s.rank, anchor=anchors.get(s.site_id, ""), name=names.get(s.site_id, s.site_name),
                         office=s.office, kind=KIND_LABELS.get(s.kind, s.kind), score=_score_text(s), grade=s.grade,
                         passed=_passed_text(s), veto=bool(s.veto), findings=int(s.findings_count),
                         provisional=bool(s.provisional), warnings=len(s.warnings)))
    chartable = [s for s in sites.itertuples() if not s.veto and s.score == s.score]
    if len(chartable) > RANKING_CHART_MAX:
        half = RANKING_CHART_MAX // 2
        chartable = chartable[:half] + chartable[-half:]
        note = f"图中为得分最高的{half}个与最低的{half}个网站（单项否决与待定网站不参与排名图），完整排名见下表。"
    else:
        note = "单项否决与待定网站不参与排名图，见下表。"
    bars = [(names.get(s.site_id, s.site_name), float(s.score),
             BAND_COLOURS.get(s.grade, "#6b7280")) for s in chartable]
    chart = bar_chart(bars, "网站得分排名", maximum=data.profile.total_points,
                      marker=(data.profile.pass_line, f"合格线 {data.profile.pass_line:g}")) if bars else None
    return rows, chart, note


def _problem_types(data: ReportData):
    rows = data.problem_rows()
    if not len(rows):
        return [], None
    frame = rows.assign(type=rows["code"].map(lambda c: data.rule(c).problem_type),
                        family=rows["code"].map(lambda c: data.rule(c).family))
    out = []
    for name, g in frame.groupby("type", sort=False):
        per_site = g.groupby("site_name")["count"].sum().sort_values(ascending=False, kind="stable")
        named = [f"{site}（{int(n)}处）" for site, n in per_site.head(SITES_NAMED).items()]
        more = len(per_site) - len(named)
        present = set(g["severity"])
        out.append(dict(
            type=name, family=g["family"].iloc[0], instances=int(g["count"].sum()), rows=len(g), sites=len(per_site),
            named="、".join(named) + (f" 等{len(per_site)}个网站" if more > 0 else ""),
            codes="、".join(sorted(g["code"].unique())),
            # the kinds of problem only: counts and points have their own columns
            severity="、".join(label for key, label in SEVERITY_LABELS.items() if key in present),
            counted=round(float(g["counted"].sum()), 4) if g["counted"].notna().any() else None,
            worst=int(g["severity_rank"].min()),
        ))
    out.sort(key=lambda r: (r["worst"], -r["instances"], r["type"]))
    colour = {0: SEVERITY_COLOURS["veto"], 1: SEVERITY_COLOURS["deduct"], 2: SEVERITY_COLOURS["warn"]}
    charted = sorted(out, key=lambda r: (-r["instances"], r["type"]))[:TYPES_CHART_MAX]
    chart = bar_chart([(r["type"], r["instances"], colour.get(r["worst"], "#6b7280")) for r in charted],
                      "问题分类统计（问题数）", label_w=230)
    return out, chart


def _problem_row(row, data: ReportData, prefix: str = "") -> dict:
    rule = data.rule(row.code)
    sentences, details = [], []
    for ev in row.evidences:
        sentence, used = evidence_sentence(ev, data.labels)
        sentences.append(sentence)
        details.append(evidence_details(ev, data.labels, skip=used))
    return dict(
        code=row.code, type=rule.problem_type, severity=row.severity,
        severity_label=SEVERITY_LABELS.get(row.severity, row.severity),
        suspected=row.confidence == "suspected", explained=row.confidence == "explained",
        round_status=ROUND_STATUS_LABELS.get(row.round_status, "") if row.round_status else "", note=row.note or "",
        confidence=CONFIDENCE_LABELS.get(row.confidence, row.confidence),
        column=row.column_name or "", message=row.message, title=row.title or "",
        url=row.url or "", parent_url=row.parent_url or "",
        evidence="；".join(dict.fromkeys(x for x in sentences if x)),
        details="；".join(dict.fromkeys(x for x in details if x)),
        pages=int(row.pages), count=int(row.count), points=row.points, counted=row.counted, office=row.office,
        indicator=row.indicator, snapshot=snapshot_link(data, row, prefix),
    )


def _indicator_state(r) -> tuple[str, str]:
    """What the indicator table says about one indicator row of the scorer, and its CSS class."""
    if r.exempt:
        return f"免评：{r.not_assessed_reason}", "exempt"
    if not r.assessed:  # never shown as full marks: the scorer leaves it out of the total
        return f"未评估：{r.not_assessed_reason or '无评估结果'}", "not-assessed"
    if r.veto:
        return "触发单项否决", "veto"
    if r.capped:
        return f"扣分达上限（原扣{_points(r.raw_points_lost)}分）", "capped"
    if r.points_lost > 0:
        return "扣分", "deduct"
    return ("未触发", "ok") if r.group == "否决" else ("未发现扣分问题", "ok")


def _indicator_groups(rows: list | None) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in rows or []:
        state, css = _indicator_state(r)
        groups.setdefault(r.group, []).append(dict(
            name=r.name, max=r.max_points, lost=r.points_lost, findings=int(r.findings_count), state=state,
            css=css, assessed=bool(r.assessed), veto_item=r.group == "否决",
            share=min(100.0, r.points_lost / r.max_points * 100) if r.max_points else 0.0,
        ))
    return groups


def _text(value) -> str:
    """A text cell as pandas' fillna("") leaves it."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value


def _records_by_site(frame: pd.DataFrame) -> dict[str, list]:
    """The frame's rows (itertuples records) per site, in order: one pass, where a frame per site would take
    a pandas selection per site (minutes for a province)."""
    out: dict[str, list] = {}
    for record in frame.itertuples():
        out.setdefault(record.site_id, []).append(record)
    return out


def _coverage(entry: dict | None) -> dict:
    """A site's coverage as the report prints it: figures ('—' when unknown), the verdict and its reasons."""
    entry = entry or {}

    def figure(key):
        value = entry.get(key)
        return "—" if value is None else (len(value) if isinstance(value, (list, dict)) else value)

    reasons = entry.get("reasons") or []
    reasons = [reasons] if isinstance(reasons, str) else [str(r) for r in reasons]
    why = entry.get("not_assessed_reasons") or {}
    why = ([f"{k}（{v}）" for k, v in why.items()] if isinstance(why, dict)
           else [str(w) for w in why] if isinstance(why, list) else [str(why)])
    return dict(pages_fetched=figure("pages_fetched"), pages_failed=figure("pages_failed"),
                pages_skipped=figure("pages_skipped"), nav_columns=figure("nav_columns"),
                columns_discovered=figure("columns_discovered"), columns_assessed=figure("columns_assessed"),
                columns_not_assessed=figure("columns_not_assessed"), linked_not_reached=figure("linked_not_reached"),
                sufficient=entry.get("sufficient"), reasons=reasons, not_assessed_reasons=why,
                partial=[str(p) for p in entry.get("partial") or []], recorded=bool(entry.get("recorded")))


def _assessed_points(site, groups: dict[str, list[dict]], total: float) -> dict:
    """How much of the total the check assessed: on the total's own scale (an exempt group is left out of what
    is assessable, as the scorer does), the exempt points, and each unassessed indicator with its points."""
    exempt = sum(float(r["max"]) for rows in groups.values() for r in rows if r["css"] == "exempt")
    return dict(assessed=_points(round(float(site.coverage) * total, 1)), total=_points(total),
                raw=_points(site.assessed_max), applicable=_points(site.max_points),
                exempt=_points(exempt) if exempt else "",
                missing=[dict(group=g, name=r["name"], points=_points(r["max"]), reason=r["state"].removeprefix("未评估："))
                         for g, rows in groups.items() for r in rows if not r["assessed"] and r["css"] != "exempt"])


def _transport_facts(homepage: str) -> str:
    """HTTPS and IPv6 as facts, not assessed: the scheme is seen in the homepage address; whether the host has an
    IPv6 (AAAA) address needs a DNS lookup, which an offline evaluation does not make."""
    scheme = urlsplit(homepage).scheme.lower() if homepage else ""
    https = {"https": "首页使用 HTTPS", "http": "首页使用 HTTP（未启用 HTTPS）"}.get(scheme, "首页协议未知")
    return f"{https}；IPv6 支持：离线评估不查询域名解析（AAAA 记录），未评估（均仅记录，不扣分）"


def _probe_window(entry: dict | None) -> str:
    """The homepage probes behind 首页可用性, as the coverage table names them; compressed windows said so."""
    if not entry:
        return "无监测记录"
    note = "（压缩演示窗口，非真实一周）" if entry.get("compressed") else ""
    return f"首页监测 {entry['probes']} 次，失败 {entry['failed']} 次{note}"


COLUMNS_NAMED = 12   # unassessable columns named per parent column before "等N个"


def _office_rows(rows: list | None) -> list[dict]:
    """The offices of one site with their problem rows by kind and the points their rows count for."""
    if not rows:
        return []
    by_office: dict[str, list] = {}
    for r in rows:
        by_office.setdefault(r.office, []).append(r)
    out = []
    for office, g in by_office.items():
        kinds = [r.severity for r in g]
        counted = np.array([r.counted for r in g], dtype="float64")
        out.append(dict(office=office, issues=len(g), veto=kinds.count("veto"), deduct=kinds.count("deduct"),
                        warn=kinds.count("warn"), lost=round(float(np.where(np.isnan(counted), 0.0, counted).sum()), 4),
                        below=any(bool(r.routed) for r in g)))
    return sorted(out, key=lambda o: (-o["lost"], -o["issues"], o["office"]))


def _column_groups(cols: list | None) -> list[dict]:
    """Unassessable columns grouped under their parent column and reason: one line per group, not per column."""
    if not cols:
        return []
    by_key: dict[tuple[str, str], list] = {}
    for c in cols:
        key = (_text(c.parent), _text(c.reason) or "未说明原因")
        by_key.setdefault(key, []).append(c)
    groups = []
    for (parent, reason), g in by_key.items():
        names = list(dict.fromkeys(c.name for c in g))
        shown = "、".join(names[:COLUMNS_NAMED]) + (f" 等{len(names)}个" if len(names) > COLUMNS_NAMED else "")
        groups.append(dict(parent=parent or "（一级栏目）", names=shown, count=len(names), reason=reason,
                           url=g[0].url if len(g) == 1 else ""))
    return sorted(groups, key=lambda g: (-g["count"], g["parent"]))


def _site_sections(data: ReportData, anchors: dict[str, str], top_n: int, prefix: str = "") -> list[dict]:
    scores = data.scores
    indicators = _records_by_site(scores.indicators[scores.indicators["office"] == ""])
    rows = data.problem_rows()
    doubtful = _records_by_site(data.problem_rows(review=True))
    # the most severe problems of each site first; the full lists are in the issue-list workbooks
    top = _records_by_site(rows.sort_values(["severity_rank", "counted", "points", "count", "seq"],
                                    ascending=[True, False, False, False, True], na_position="last",
                                    kind="stable").groupby("site_id", sort=False).head(top_n)
                   if len(rows) else rows)
    totals = rows.groupby("site_id").size().to_dict() if len(rows) else {}
    site_rows = _records_by_site(rows)
    counted_site = rows.groupby("site_id")["counted"].sum().to_dict() if len(rows) else {}
    columns = _records_by_site(data.unassessable_columns)
    outcomes = data.outcomes
    rules_na = _records_by_site(outcomes[outcomes["status"] == "not_assessed"] if len(outcomes) else outcomes)
    info = data.sites.set_index("site_id").to_dict("index") if len(data.sites) else {}
    sections = []
    for s in scores.sites.itertuples():
        meta = info.get(s.site_id, {})
        groups = _indicator_groups(indicators.get(s.site_id))
        cols = columns.get(s.site_id)
        rules = rules_na.get(s.site_id)
        sections.append(dict(
            anchor=anchors[s.site_id], number=len(sections) + 1, site_id=s.site_id, name=meta.get("name", s.site_name),
            homepage=meta.get("homepage", ""), office=s.office, kind=KIND_LABELS.get(s.kind, s.kind),
            crawl=CRAWL_STATUS.get(s.crawl_status, s.crawl_status), crawl_error=meta.get("error", "") or "",
            rank=s.rank, score=_score_text(s), grade=s.grade, passed=_passed_text(s), veto=bool(s.veto),
            veto_reasons=list(s.veto_reasons), warnings=list(s.warnings), provisional=bool(s.provisional),
            coverage=f"{s.coverage * 100:.0f}%", assessed_max=_points(s.assessed_max),
            deduction=_points(s.deduction_total), groups=groups,
            offices=_office_rows(site_rows.get(s.site_id)),
            counted=_points(round(float(counted_site.get(s.site_id, 0.0)), 4)),
            problems=[_problem_row(r, data, prefix) for r in top.get(s.site_id, [])],
            review=[_problem_row(r, data, prefix) for r in doubtful.get(s.site_id, [])],
            total_problems=int(totals.get(s.site_id, 0)), instances=int(s.findings_count),
            not_assessed_rows=[dict(name=r["name"], group=group, reason=r["state"])
                               for group, rows in groups.items() for r in rows
                               if not r["assessed"] and r["css"] != "exempt"],
            columns=_column_groups(cols), reach=_coverage(data.coverage.get(s.site_id)),
            points=_assessed_points(s, groups, data.profile.total_points),
            probe=_probe_window(data.probe_windows.get(s.site_id)),
            transport=_transport_facts(meta.get("homepage", "")),
            rules_not_assessed=[] if rules is None else [
                dict(code=r.code, type=data.rule(r.code).problem_type, reason=r.reason or "未说明原因")
                for r in rules],
        ))
    return sections


def _not_assessed_groups(rows: list[dict]) -> list[dict]:
    """A split report's 未评估事项: one line per indicator and reason with the sites it concerns, not one per site."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for r in rows:
        groups.setdefault((r["group"], r["name"], r["reason"]), []).append(r["site"])
    out = []
    for (group, name, reason), sites in groups.items():
        named = "、".join(sites[:SITES_NAMED]) + (f" 等{len(sites)}个网站" if len(sites) > SITES_NAMED else "")
        out.append(dict(group=group, name=name, reason=reason, sites=len(sites), named=named))
    return sorted(out, key=lambda r: (-r["sites"], r["group"], r["name"], r["reason"]))


def _method(data: ReportData) -> dict:
    profile = data.profile
    veto = [dict(name=i.name, line=i.note) for i in profile.indicators.values() if i.veto]
    groups = []
    for group, points in profile.groups.items():
        items = [dict(name=i.name, points=i.points, per=i.per_finding, note=i.note)
                 for i in profile.indicators.values() if i.group == group]
        groups.append(dict(name=group, points=points, indicators=items))
    deductions = [dict(code=d.code, text=(f"每处扣{_points(d.points)}分" if not d.by else
                                          "按" + data.labels.evidence.get(d.by.split(".", 1)[1], d.by) + "："
                                          + "，".join(f"{k}{_points(v)}分" for k, v in d.table.items())),
                       max=d.max) for d in profile.deductions.values()]
    rules = [dict(code=r.code, type=r.problem_type, family=r.family, name=r.name,
                  severity=SEVERITY_LABELS.get(r.severity, r.severity or "—"), indicator=r.indicator or "—",
                  basis=basis_as_of(r.basis, data.check.get("as_of")) or "—", fix_days=f"{r.fix_days}日" if r.fix_days is not None else "—",
                  registered=r.registered)
             for r in sorted(data.rules.values(), key=lambda r: r.code)]
    return dict(veto=veto, groups=groups, deductions=deductions, rules=rules,
                grades=[dict(name=g.name, min=g.min) for g in profile.grades],
                exemptions=[dict(group=e.group, reason=e.reason) for e in profile.exemptions],
                warnings=[dict(name=w.name, at_least=w.at_least, veto_at=w.veto_at) for w in profile.early_warnings])


def _lookback(data: ReportData, limit: int = 200) -> dict | None:
    """The 回头看 chapter: counts, 整改率 per office (most persisting first), persisting problems first."""
    lb = data.lookback
    if lb is None:
        return None
    from zwgk.core.lookback import STATUS_LABELS
    names = dict(zip(data.sites["site_id"], data.sites["name"]))
    judged = lb.counts["fixed"] + lb.counts["persisting"]
    offices = [dict(o, site=names.get(o["site_id"], o["site_id"]),
                    rate="—" if o["fix_rate"] is None else f"{o['fix_rate'] * 100:.1f}%") for o in lb.offices]
    rows = [dict(r, site=names.get(r["site_id"], r["site_id"]), type=data.rule(r["code"]).problem_type)
            for r in lb.rows if r["status"] in ("persisting", "fixed", "new")]
    return dict(from_label=lb.from_label, to_label=lb.to_label, counts=lb.counts, labels=STATUS_LABELS,
                rate="—" if not judged else f"{lb.counts['fixed'] / judged * 100:.1f}%", offices=offices,
                rows=rows[:limit], total=len(rows))


def _score_basis(data: ReportData) -> dict:
    """The cover's lines on what the scores rest on besides the findings: explanations and suspected findings."""
    basis = data.score_basis
    e = basis.get("explanations") or {}
    files = "、".join(Path(f).name for f in e.get("files") or [])
    if any(e.get(k) for k in ("accepted", "rejected", "pending")) or files:
        explanations = (f"采纳 {e.get('accepted', 0)} 条（相应问题标为“已说明”，不扣分），驳回 {e.get('rejected', 0)} 条，"
                        f"待复核 {e.get('pending', 0)} 条" + (f"；说明文件：{files}" if files else ""))
    else:
        explanations = "未使用情况说明（无单位说明被采纳或驳回）"
    suspected = []
    if basis.get("confirmed_by_recurrence"):
        suspected.append(f"{basis['confirmed_by_recurrence']} 条疑似问题在本轮复现（上轮 {basis.get('previous') or '—'}），予以确认")
    recheck = basis.get("recheck") or {}
    if recheck.get("confirmed") or recheck.get("dropped"):
        suspected.append(f"复查（zwgk recheck）确认 {recheck.get('confirmed', 0)} 条、不予认定 {recheck.get('dropped', 0)} 条")
    return dict(explanations=explanations, suspected="；".join(suspected))


def report_context(data: ReportData, top_n: int = TOP_PROBLEMS, split: bool | None = None,
                   pdf: bool = False) -> dict:
    """Everything the template prints, computed here so the template only lays it out.

    `split` (default: more sites than the layout file's split_sites_above) puts each site's chapter in its own
    file, sites/<anchor>.html, linked from the overview (and sites/<anchor>.pdf when `pdf`)."""
    if split is None:
        split = len(data.scores.sites) > load_layout().split_sites_above
    anchors = {site_id: f"site-{i}" for i, site_id in enumerate(data.scores.sites["site_id"], start=1)}
    hrefs = {site_id: f"{SITES_DIR}/{anchor}.html" if split else f"#{anchor}" for site_id, anchor in anchors.items()}
    distribution, grades = _distribution(data)
    ranking, ranking_chart, ranking_note = _ranking(data, anchors)
    for r in ranking:
        r["href"] = f"{SITES_DIR}/{r['anchor']}.html" if split else f"#{r['anchor']}"
        r["pdf"] = f"{SITES_DIR}/{r['anchor']}.pdf" if split and pdf else ""
    types, types_chart = _problem_types(data)
    sections = _site_sections(data, anchors, top_n, prefix="../" if split else "")
    for section in sections:
        section["href"] = hrefs[section["site_id"]]
    not_assessed = [dict(anchor=s["anchor"], href=s["href"], site=s["name"], **row)
                    for s in sections for row in s["not_assessed_rows"]]
    coverage = [dict(anchor=s["anchor"], href=s["href"], site=s["name"], passed=s["passed"], points=s["points"],
                     probe=s["probe"], transport=s["transport"],
                     **s["reach"]) for s in sections]
    profile = data.profile
    return dict(
        title=REPORT_TITLE,
        generated_at=now_iso(), version=__version__, run=data.run, check=data.check,
        report_date=data.deadline_start.isoformat(),
        profile=dict(name=data.scores.profile_name, hash=data.scores.profile_hash, title=profile.title,
                     basis=profile.basis, pass_line=profile.pass_line, total=profile.total_points,
                     bonus_threshold=profile.bonus_threshold, bonus_note=profile.bonus_note,
                     suspected_factor=profile.suspected_factor, ungraded=profile.ungraded_label,
                     min_share=profile.min_assessed_share, changed=data.profile_changed, current_hash=profile.hash),
        overview=_overview(data), distribution=distribution, grades=grades,
        ranking=ranking, ranking_chart=ranking_chart, ranking_note=ranking_note,
        types=types, types_chart=types_chart, sites=sections, top_n=top_n,
        not_assessed=not_assessed, not_assessed_groups=_not_assessed_groups(not_assessed) if split else [],
        split=split, method=_method(data), lookback=_lookback(data), severity_colours=SEVERITY_COLOURS, coverage=coverage,
        trends=trend_context(data.trends), score_basis=_score_basis(data),
    )


def render_report(store: Store, check_id: int, out_dir: str | Path, profile: str | None = None,
                  top_n: int = TOP_PROBLEMS) -> Path:
    """Write <out_dir>/report.html for a check from its stored scores (scored first if none) and return its path."""
    from reports.snapshots import write_snapshots
    _, loaded, _ = ensure_scores(store, check_id, profile)
    data = load_report_data(store, check_id, loaded)
    write_snapshots(store, int(data.run["run_id"]), data.snapshots, out_dir)
    return write_report_html(data, out_dir, top_n)


@dataclass
class ReportFiles:
    """The report as written: report.html, and each site's own file when the report is split."""

    overview: Path
    sites: list[Path] = field(default_factory=list)


def write_report_html(data: ReportData, out_dir: str | Path, top_n: int = TOP_PROBLEMS) -> Path:
    """Write <out_dir>/report.html (and sites/*.html for a split report) for the check in `data`; returns
    report.html's path."""
    return write_report(data, out_dir, top_n).overview


def write_report(data: ReportData, out_dir: str | Path, top_n: int = TOP_PROBLEMS, pdf: bool = False,
                 split: bool | None = None) -> ReportFiles:
    """Write report.html and, for a report of many sites (see load_layout), sites/<anchor>.html per site.

    `pdf`: the PDFs will be made too, so the overview links each site's PDF beside its HTML."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = confined_path(out, REPORT_NAME)
    env = _environment()
    context = report_context(data, top_n, split=split, pdf=pdf)
    with atomic_path(path) as tmp:
        tmp.write_text(env.get_template("report.html.j2").render(**context), encoding="utf-8")
    if not context["split"]:
        return ReportFiles(path)
    sites_dir = confined_path(out, SITES_DIR)
    sites_dir.mkdir(exist_ok=True)
    page = env.get_template("site_page.html.j2")
    shared = {k: context[k] for k in ("title", "generated_at", "version", "run", "check", "profile")}
    sections, coverage = context["sites"], context["coverage"]
    files = []
    for i, (section, cover) in enumerate(zip(sections, coverage)):
        site_path = confined_path(sites_dir, f"{section['anchor']}.html")
        with atomic_path(site_path) as tmp:
            tmp.write_text(page.render(
                **shared, s=section, c=cover, overview=REPORT_NAME, total=len(sections),
                previous=sections[i - 1] if i else None, next=sections[i + 1] if i + 1 < len(sections) else None),
                encoding="utf-8")
        files.append(site_path)
    return ReportFiles(path, files)
