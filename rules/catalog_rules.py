"""CAT rules: catalog items (标准目录 / 任务清单) missing, empty or late on the site (RULEBOOK §7)."""

from __future__ import annotations

from datetime import date
from typing import Iterator

from rules.catalog import ItemMatch, match_catalog, parse_deadline, working_days_between
from rules.context import CheckContext, NotAssessed
from rules.metadata import iso_day
from rules.snapshot import Entry, Page, Snapshot
from zwgk.core.records import Finding


def catalog_matches(snapshot: Snapshot, ctx: CheckContext) -> list[ItemMatch]:
    if ctx.catalog is None:
        raise NotAssessed(ctx.catalog_error or "未配置公开目录")
    if not snapshot.columns:
        raise NotAssessed("未发现任何栏目，无法核对公开目录")
    return ctx.memo("catalog_matches", lambda: match_catalog(snapshot, ctx.catalog, ctx.thresholds))


def _evidence(m: ItemMatch, ctx: CheckContext) -> dict:
    i = m.item
    return {"item": i.name, "path": i.path, "owner": i.owner, "deadline": i.deadline_for(ctx.site.kind),
            "catalog": ctx.catalog.name if ctx.catalog else "", "catalog_item": i.where,
            **({"menu_heading": m.heading, "columns": [c.name for c in m.columns]} if m.heading else {})}


def _newest(m: ItemMatch, snapshot: Snapshot, as_of: date) -> tuple[Entry | None, int]:
    newest, count = None, 0
    for c in m.columns:
        feed = snapshot.feed(c.column_id)
        count += feed.count
        e = feed.latest(as_of)
        if e is not None and (newest is None or e.date > newest.date):
            newest = e
    return newest, count


def check_catalog_item_missing(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: every item of the site's catalog (the 政府信息公开 four sub-columns by default, plus the
    profile's 标准目录/任务清单) has a column on the site, found by its 公开路径 or by name with synonyms.

    Why: a catalog item without a column is information the office promised to publish and did not —
    the "两张皮" that inspections name.

    Basis: 国办公开办函〔2019〕61号 (政府信息公开 专栏: 指南、制度、法定主动公开内容、年报); seed 003 (任务清单 公开路径);
    seed 000 (标准目录 content must match the site); RULEBOOK §7.

    Not flagged: items with a published 未涉及 explanation page naming the item; items whose name is a menu
    group heading without a page of its own, over sub-columns (「信息公开年报」 over 政府年报、部门年报: the
    heading is in the sub-columns' breadcrumbs, and the group is the item's column); items matched under a
    different intermediate path (sites name their sections differently; only the item's own name and its
    synonyms must match). Not assessed when the catalog cannot be read or the site has no columns.
    """
    for m in catalog_matches(snapshot, ctx):
        if m.column is not None or m.explanation:
            continue
        i = m.item
        owner = f"，责任单位：{i.owner}" if i.owner else ""
        near = m.nearest
        yield ctx.finding(f'未找到公开事项"{i.name}"对应的栏目（公开路径：{i.path}{owner}）',
                          url=near.url if near else snapshot.site.homepage, column=near,
                          title=i.name, office=i.owner,
                          evidence={**_evidence(m, ctx), "nearest_column": near.name if near else ""})


def check_catalog_item_empty(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the column of a catalog item (with its sub-columns) holds at least one item, a static
    page, a 备注说明 or a 未涉及 explanation.

    Why: an empty catalog column is the same "两张皮" as a missing one: the path exists, the content not.

    Basis: seed 000 ("两张皮"); seed 003 (任务清单); RULEBOOK §7 ("a domain that does not apply is fine only
    with a published 未涉及 explanation").

    Not flagged: columns with a 备注说明 or an explanation page; columns that are a single page (指南、制度
    are often one article); columns that could not be assessed (STALE010 says why).
    """
    for m in catalog_matches(snapshot, ctx):
        if m.column is None or m.explanation:
            continue
        if not any(c.assessable is True for c in m.columns):
            continue
        _, count = _newest(m, snapshot, ctx.as_of)
        if count or any(c.shows_article for c in m.columns):
            continue
        i, c = m.item, m.column
        yield ctx.finding(f'公开事项"{i.name}"对应栏目"{m.heading or c.name}"无内容，且未发布"未涉及"说明', url=c.url,
                          column=c, title=m.heading or c.name, office=i.owner, evidence=_evidence(m, ctx))


def check_catalog_item_overdue(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: a catalog item with a periodic 公开时限 (每年X月X日前, 年度, 半年, 季度, 每月, N个月) has
    content dated within its period: for 每年1月31日前, after 31 January an item dated this year.

    Why: annual reports, budgets and periodic statistics are due on fixed dates; the column existing
    does not show they were published on time.

    Basis: 《政府信息公开条例》第五十条 (年度报告 by 1月31日 / 3月31日); RULEBOOK §7, §10; the catalog's own
    公开时限.

    Not flagged: items whose 公开时限 is 常态/动态 or event-driven (N个工作日: CAT004 judges each page);
    one-off dates (2021年6月底前) and unrecognised 时限; empty columns (CAT002); static pages.
    """
    lex = ctx.thresholds.catalog
    for m in catalog_matches(snapshot, ctx):
        if m.column is None:
            continue
        deadline = parse_deadline(m.item.deadline_for(ctx.site.kind), lex)
        since = deadline.required_since(ctx.as_of)
        if since is None:
            continue
        newest, count = _newest(m, snapshot, ctx.as_of)
        if count == 0 or (newest is not None and newest.date[:10] >= since.isoformat()):
            continue
        i, c = m.item, m.column
        shown = f"最新信息日期：{newest.date[:10]}" if newest else "信息均未标注日期"
        yield ctx.finding(f'公开事项"{i.name}"未按公开时限更新（公开时限：{deadline.text}，{shown}）', url=c.url,
                          column=c, title=m.heading or c.name, office=i.owner,
                          evidence={**_evidence(m, ctx), "required_since": since.isoformat(),
                                    "newest_date": newest.date[:10] if newest else None,
                                    "newest_title": newest.title if newest else "", "entries": count})


def _event_columns(snapshot: Snapshot, ctx: CheckContext) -> dict:
    """column_id -> (match, deadline) for items with an event-driven 时限 (N个工作日 / N日)."""
    out: dict = {}
    for m in catalog_matches(snapshot, ctx):
        deadline = parse_deadline(m.item.deadline_for(ctx.site.kind), ctx.thresholds.catalog)
        if deadline.kind != "event" or m.column is None:
            continue
        for c in m.columns:
            out.setdefault(c.column_id, (m, deadline))   # the first (most specific listed) item wins
    return out


def check_catalog_item_published_late(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: a page in the column of a catalog item with an event-driven 公开时限 (default: 法定主动
    公开内容, 20个工作日) was published within that many (working) days of its 成文日期.

    Why: 主动公开 information must be published within 20 working days of being made; late publication
    is what "及时公开" inspections look for.

    Basis: 《政府信息公开条例》第二十六条 (20个工作日); RULEBOOK §5 (publication deadline), §8 (working days
    follow the official calendar with 调休).

    Not flagged: pages without both dates; documents published decades later are reported, but only as a
    warning (old documents may legitimately be published late). Working days follow `chinesecalendar`
    (holidays and 调休 make-up days), Monday–Friday outside its years.
    """
    if not page.column_id:
        return
    found = ctx.memo("catalog_event_columns", lambda: _event_columns(snapshot, ctx)).get(page.column_id)
    if found is None:
        return
    written, published = iso_day(page.dates.get("成文日期")), iso_day(page.dates.get("发布日期"))
    if written is None or published is None or published <= written or published > ctx.as_of:
        return   # a 发布日期 after the check day is itself wrong (META006), not a late publication
    m, deadline = found
    if (published - written).days <= deadline.days:   # working days never outnumber calendar days
        return
    elapsed = working_days_between(written, published) if deadline.working else (published - written).days
    if elapsed <= deadline.days:
        return
    unit = "个工作日" if deadline.working else "天"
    column = snapshot.column(page.column_id)
    yield ctx.page_finding(page, column, f"成文日期{written}，发布日期{published}，相隔{elapsed}{unit}，"
                           f'超过公开事项"{m.item.name}"的公开时限（{deadline.text}）', office=m.item.owner,
                           evidence={**_evidence(m, ctx), "成文日期": written.isoformat(),
                                     "发布日期": published.isoformat(), "elapsed": elapsed,
                                     "working_days": deadline.working})
