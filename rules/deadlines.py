"""DUE rules: the annual duties with a fixed date — 政府信息公开工作年度报告 and 政府网站工作年度报表."""

from __future__ import annotations

import re
from datetime import date
from typing import Iterator

from rules.context import CheckContext
from rules.snapshot import PageRef, Snapshot
from zwgk.core.records import Finding

_YEAR = re.compile(r"((?:19|20)\d{2})(?!\d)")


def _deadline(year: int, month_day: str) -> date:
    month, day = (int(x) for x in month_day.split("-"))
    return date(year, month, day)


def due_year(as_of: date, month_day: str) -> tuple[int, date]:
    """The latest report year whose deadline has passed on as_of, and that deadline."""
    this = _deadline(as_of.year, month_day)
    year = as_of.year - 1 if as_of > this else as_of.year - 2
    return year, _deadline(year + 1, month_day)


def _reports(snapshot: Snapshot, markers, required, excluded) -> dict[int, list[PageRef]]:
    """Report year -> the pages and list entries titled as such a report (first year in the title)."""
    out: dict[int, list[PageRef]] = {}
    seen = set()
    for ref in snapshot.titled(markers):
        title = ref.title or ""
        if ref.url in seen or (required and not any(w in title for w in required)) \
                or any(w in title for w in excluded):
            continue
        m = _YEAR.search(title)
        if m:
            seen.add(ref.url)
            out.setdefault(int(m[1]), []).append(ref)
    return out


def _entry_dates(snapshot: Snapshot, urls: set[str]) -> dict[str, str]:
    out = {}
    for feed in snapshot.feeds.values():
        for e in (*feed.head, *feed.newest):
            if e.url in urls and e.date:
                out.setdefault(e.url, e.date)
    return out


def _judge_annual(snapshot: Snapshot, ctx: CheckContext, what: str, markers, required, excluded, month_day: str,
                  channel_words) -> Iterator[Finding]:
    t = ctx.thresholds.deadlines
    year, deadline = due_year(ctx.as_of, month_day)
    reports = _reports(snapshot, markers, required, excluded)
    channel = next((c for c in snapshot.columns if any(w in c.name for w in channel_words)), None)
    refs = reports.get(year, [])
    if not refs:
        # seen reports of other years (or the column) show the crawl reached where they are published
        sure = bool(reports) or (channel is not None and channel.assessable)
        older = sorted(reports)
        yield ctx.finding(f"截至{ctx.as_of}未见{year}年{what}（应于{deadline}前发布）"
                          + ("" if sure else "；未找到该类信息的栏目，请人工核实是否在其他位置发布"),
                          url=channel.url if channel else snapshot.site.homepage, column=channel,
                          confidence="confirmed" if sure else "review",
                          evidence={"year": year, "deadline": deadline.isoformat(), "years_found": older[-t.years_listed:]})
        return
    urls = {r.url for r in refs}
    printed = snapshot.published_on(urls)
    listed = _entry_dates(snapshot, urls - set(printed))
    dated = sorted((d, u) for u, d in {**listed, **printed}.items())
    if not dated:
        return
    first, url = dated[0]
    if first <= deadline.isoformat():
        return
    ref = next(r for r in refs if r.url == url)
    column = snapshot.column(ref.column_id)
    yield ctx.finding(f"{year}年{what}发布于{first}，晚于规定的{deadline}", url=url, column=column, title=ref.title,
                      confidence="confirmed" if url in printed else "review",
                      evidence={"year": year, "deadline": deadline.isoformat(), "published": first,
                                "date_from": "页面发布日期" if url in printed else "列表日期"})


def check_annual_report(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 政府信息公开工作年度报告 of the latest year whose deadline has passed is on the site
    (a page or list item titled with that year and 年度报告/年报) and was published by the deadline:
    31 March for a people's government's portal, 31 January for a department (thresholds).

    Why: 条例第五十条 makes the annual report a legal duty with a date; inspections check the latest year first.

    Basis: 《中华人民共和国政府信息公开条例》第五十条; 国办公开办函〔2021〕30号（年度报告格式）.

    Not flagged: before the deadline the previous year is not yet due (the year before it is checked). A
    missing report goes to 待人工复核 when the crawl found neither a 年报 column nor any other year's report;
    a date read only from a list goes to 待人工复核.
    """
    t = ctx.thresholds.deadlines
    month_day = t.annual_report_deadline.get(snapshot.site.kind, t.annual_report_deadline["portal"])
    yield from _judge_annual(snapshot, ctx, "政府信息公开工作年度报告", t.annual_report_markers,
                             t.annual_report_required, t.annual_report_excluded, month_day, t.annual_report_columns)


def check_website_annual_statement(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 政府网站工作年度报表 of the previous year is published by 31 January (threshold).

    Why: 国办发〔2017〕47号 requires every government website to publish its annual work statement, prominently.

    Basis: 《国务院办公厅关于印发政府网站发展指引的通知》（国办发〔2017〕47号）（每年1月31日前发布上一年度网站工作年度报表）.

    Not flagged: before the deadline. A missing statement goes to 待人工复核 when the crawl saw no statement
    of any year (it may sit where the crawl did not reach).
    """
    t = ctx.thresholds.deadlines
    yield from _judge_annual(snapshot, ctx, "政府网站工作年度报表", t.statement_markers, (), (),
                             t.statement_deadline, t.statement_columns)


_DAY = r"((?:19|20)\d{2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?"
_CLOSES = (re.compile(r"截[止至](?:时间|日期)?(?:为|是|：|:)?\s*" + _DAY),
           re.compile(r"至\s*" + _DAY + r"\s*(?:止|结束|[（(]|，|。|$)"),
           re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:—|-|–|至|到)\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"))
_QUOTED = re.compile(r"《([^《》]{4,60})》")


def closing_date(text: str, published: date | None) -> date | None:
    """The day a consultation closes, as its text prints it (`截止时间：2024年5月1日`, `…至2024年5月1日`,
    `4月1日至5月1日` in the publication year); None when the text names none."""
    for rx in _CLOSES[:2]:
        m = rx.search(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    m = _CLOSES[2].search(text)
    if m and published:
        try:
            day = date(published.year, int(m[1]), int(m[2]))
        except ValueError:
            return None
        return day if day >= published else date(published.year + 1, day.month, day.day)
    return None


def _subject(title: str, noise) -> str:
    q = _QUOTED.search(title)
    if q:
        return q[1]
    core = title
    for w in sorted(noise, key=len, reverse=True):
        core = core.replace(w, "")
    return core.strip("《》“”\"（）() ")


def check_consultation_without_result(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: a 征求意见 (意见征集) or 调查征集 (问卷调查, 网上调查 …) item whose consultation closed, by
    the date its own text prints, more than the threshold (default 1 month) before the as-of day has a
    published result: a page or list item titled as a 反馈/采纳情况/征集结果/调查结果 naming the same subject
    (its 《》 title or its title's core).

    Why: publishing what was received and adopted closes the loop of a public consultation.

    Basis: 《重大行政决策程序暂行条例》第十五条（公开征求意见…反馈意见采纳情况和理由）; 国办秘函〔2019〕19号
    互动交流“调查征集”.

    Not flagged: items whose text prints no closing date; results titled by the same subject anywhere on the
    site. Without any result item for any consultation on the site (the crawl may not reach where results
    are kept) the finding goes to 待人工复核.
    """
    t = ctx.thresholds.deadlines
    consultations = [r for r in snapshot.titled(t.consultation_markers)
                     if not any(w in (r.title or "") for w in t.result_markers)]
    if not consultations:
        return
    results = [r.title or "" for r in snapshot.titled(t.result_markers)]
    seen = set()
    pages = {p.url: p for p in snapshot.select_pages(("article",), (), t.consultation_markers)}
    for ref in consultations:
        page = pages.get(ref.url)
        if page is None or ref.url in seen:
            continue
        seen.add(ref.url)
        try:
            published = date.fromisoformat(page.dates.get("发布日期", "")[:10])
        except ValueError:
            published = None
        closes = closing_date(snapshot.page_text(page) or "", published)
        if closes is None:
            continue
        due = t.result_window.start(ctx.as_of)   # the latest closing day whose result must be out by now
        if closes >= due:
            continue
        subject = _subject(page.headline, t.consultation_noise)
        if len(subject) >= 4 and any(subject in r for r in results):
            continue
        column = snapshot.column(page.column_id)
        yield ctx.page_finding(page, column, f"征求意见已于{closes}截止，超过{t.result_window.label}未见意见征集结果或采纳情况反馈（“{subject}”）",
                               confidence="confirmed" if results else "review",
                               evidence={"closes": closes.isoformat(), "subject": subject,
                                         "results_on_site": len(results)})
