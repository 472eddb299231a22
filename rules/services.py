"""SERV rules: 办事服务 — 办事指南 key elements, the 服务不实用 veto, 办事统计, 表格下载; linked-out 办事 is not assessed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterator
from urllib.parse import urlsplit

from rules.context import CheckContext, NotAssessed
from rules.resources import EMPTY_FILE, UNREACHABLE, WRONG_TYPE, problem_of
from rules.snapshot import Snapshot
from zwgk.core.records import Finding


MAX_LINK_NAME = 15


@dataclass(frozen=True)
class Guide:
    url: str
    title: str
    column_id: str
    missing: tuple[str, ...]      # elements absent or printed empty


def guides(snapshot: Snapshot, ctx: CheckContext) -> list[Guide]:
    """The 办事指南 pages recognised by their labelled elements; NotAssessed (with why) when there are none."""
    def collect():
        t = ctx.thresholds.services
        out = []
        for page in snapshot.pages():
            fields = (page.facts or {}).get("guide") if page.ok else None
            if not fields or sum(e in fields for e in t.elements) < t.min_recognised:
                continue
            missing = tuple(e for e in t.elements
                            if "".join(str(fields.get(e, "")).split()) in t.empty_values)
            out.append(Guide(page.url, page.headline, page.column_id, missing))
        return out
    found = ctx.memo("service_guides", collect)
    if not found:
        raise NotAssessed(_why_no_guides(snapshot, ctx))
    return found


def _why_no_guides(snapshot: Snapshot, ctx: CheckContext) -> str:
    markers = ctx.thresholds.services.linked_out_markers
    home = snapshot.home
    def platform(lk) -> bool:
        # the platform's own address, or a short link name (a menu entry, not a news headline naming it)
        host = urlsplit(lk.url).hostname or ""
        text = lk.text.strip()
        return any(m.lower() in host for m in markers) or (len(text) <= MAX_LINK_NAME and any(m in text for m in markers))
    out = [lk for lk in (home.links if home is not None else ()) if not lk.internal and platform(lk)]
    if out:
        text = out[0].text.strip()
        shown = f"「{text}」{out[0].url}" if text else out[0].url
        return f"办事服务链接至站外政务服务平台（{shown}），办事指南不在本站评估"
    return "未识别出办事指南页面（办事栏目无详情页，或指南以附件、图片提供），无法检查办事指南要素"


def check_guide_missing_elements(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: each 办事指南 page (a page of a 办事 column showing at least min_recognised of the
    ten key elements) prints all ten — 事项名称、设定依据、申请条件、办理材料、办理地点、办理机构、收费标准、
    办理时间、联系电话、办理流程 — with a value.

    Why: a guide missing its conditions, materials or place sends people away with nothing; the ten
    elements are what the national checklist looks for.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》"服务不实用"（办事指南要素：事项名称、设定依据、申请条件、
    办理材料、办理地点、办理机构、收费标准、办理时间、联系电话、办理流程）；《政府网站发展指引》（国办发〔2017〕47号）办事服务.

    Not flagged: pages showing fewer elements (not recognised as guides: attachments, images, links);
    "无" as a value (legal for 收费标准). Not assessed when no guide is recognised, or 办事 is only a link to
    a provincial/city 政务服务 platform (linked out).
    """
    for g in guides(snapshot, ctx):
        if g.missing:
            yield ctx.finding(f"办事指南要素缺失：{'、'.join(g.missing)}（{g.title}）", url=g.url, title=g.title,
                              column=snapshot.column(g.column_id), evidence={"missing": list(g.missing)})


def check_services_not_practical(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the share of recognised 办事指南 that miss several key elements (thresholds
    services.veto_missing_elements) reaches services.veto_share_percent, over at least
    services.veto_min_guides guides.

    Why: guides missing their key elements across the board make the site's 办事 unusable: the 服务不实用
    veto.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》单项否决"服务不实用"（办事指南要素类别缺失的事项较多）.

    Not flagged: fewer recognised guides than veto_min_guides; the same not-assessed cases as SERV001.
    """
    t = ctx.thresholds.services
    found = guides(snapshot, ctx)
    poor = [g for g in found if len(g.missing) >= t.veto_missing_elements]
    if len(found) >= t.veto_min_guides and 100 * len(poor) >= t.veto_share_percent * len(found):
        yield ctx.finding(f"服务不实用：{len(found)} 个办事指南中 {len(poor)} 个缺少 {t.veto_missing_elements} 项及以上关键要素",
                          url=snapshot.column(poor[0].column_id).url if snapshot.column(poor[0].column_id) else poor[0].url,
                          evidence={"guides": len(found), "poor": len(poor),
                                    "examples": [{"url": g.url, "missing": list(g.missing)} for g in poor[:10]]})


def check_service_stats_not_updated(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the newest item of each 办事统计 column (names in thresholds services.stats_markers:
    办件统计, 办件公示 …) is not older than services.stats_window (3 months).

    Why: 办件 statistics show the public how the office serves; a column left for months says nothing.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》办事服务（办事统计数据）；2019年自查口径：办事统计数据3个月未更新扣2分.

    Not flagged: columns whose newest date is unknown (undated items whose pages print no date: not
    assessed); sites without such a column (not assessed: it may sit on the 政务服务 platform).
    """
    t = ctx.thresholds.services
    columns = [c for c in snapshot.columns if any(m in c.name for m in t.stats_markers)]
    if not columns:
        raise NotAssessed("未发现办事统计栏目（栏目名含“办件统计”“办件公示”等），无法检查办事统计更新")
    since = t.stats_window.start(ctx.as_of)
    judged = 0
    for col in columns:
        if col.assessable is not True:
            continue
        feed = snapshot.feed(col.column_id)
        newest = feed.latest(ctx.as_of)
        day = newest.date if newest else None
        if day is None:
            dates = snapshot.published_on(e.url for e in feed.head if not e.date).values()
            day = max((d for d in dates if d <= ctx.as_of.isoformat()), default=None)
        if day is None:
            continue
        judged += 1
        if day < since.isoformat():
            days = (ctx.as_of - date.fromisoformat(day)).days
            yield ctx.finding(f"办事统计栏目“{col.name}”超过{t.stats_window.label}未更新（最新 {day}，已 {days} 天）",
                              url=col.url, column=col, evidence={"newest_date": day, "days_stale": days})
    if not judged:
        raise NotAssessed(f"办事统计栏目无法判断更新日期：{'、'.join(c.name for c in columns)}")


def check_form_downloads_broken(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the files a 办事 page offers for download (申请表, 表格 … the attachments of the pages of
    办事 columns: 办事指南, 表格下载 …) open: a 404/410/403, an HTML error page or an empty file is a form that
    cannot be downloaded. One finding per site lists them.

    Why: a guide whose 申请表 cannot be downloaded sends people to the counter for a sheet of paper; the
    national checklist looks at 表格下载 under 办事服务.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》办事服务（办事指南、表格下载可用）；《政府网站发展指引》
    （国办发〔2017〕47号）办事服务.

    Not flagged: attachments of other pages (MEDIA008 counts every broken attachment under 链接可用性; this
    finding is the 办事服务 side, one per site); files that timed out or answered 5xx (suspected); not
    assessed when the crawl read no 办事 page with a downloadable file.
    """
    columns = {c.column_id: c for c in snapshot.columns if c.cls == "办事"}
    if not columns:
        raise NotAssessed("未发现办事栏目，无法检查表格下载")
    offered, broken = 0, []
    for page in snapshot.select_pages(("article", "column", "other"), list(columns)):
        for lk in page.links:
            if lk.kind != "attachment":
                continue
            offered += 1
            problem = problem_of(lk, ctx)   # as MEDIA008 judges an attachment: 404, an error page, an empty file
            if problem is not None and problem.confidence == "confirmed" and problem.reason in (
                    UNREACHABLE, WRONG_TYPE, EMPTY_FILE):
                broken.append({"url": lk.url, "text": lk.text, "page": page.url, "why": problem.detail})
    if not offered:
        raise NotAssessed("办事栏目页面中没有可下载的表格或附件，无法检查表格下载")
    if not broken:
        return
    first = broken[0]
    name = f"「{first['text']}」" if first["text"] else first["url"]
    yield ctx.finding(f"办事栏目中 {len(broken)} 个表格或附件无法下载（共 {offered} 个），如{name}",
                      url=first["page"], count=1,
                      evidence={"broken": broken[:20], "offered": offered, "files": len(broken)})
