"""STALE rules: homepage and column updates, blank columns and the 栏目不更新 veto counts (RULEBOOK §1, §2, §4)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Iterator

from rules.context import CheckContext, NotAssessed
from rules.snapshot import Column, ColumnFeed, Entry, Snapshot
from rules.thresholds import Window
from zwgk.core.records import Finding

# column states
NOT_ASSESSABLE, NOT_JUDGED, STATIC, BLANK, EMPTY_NOTED, EMPTY_GKML, STALE, FRESH = (
    "not_assessable", "not_judged", "static", "blank", "empty_noted", "empty_gkml", "stale", "fresh")


@dataclass(frozen=True, slots=True)
class ColumnState:
    column: Column
    state: str
    feed: ColumnFeed
    window: Window | None = None
    newest: Entry | None = None
    days: int | None = None          # days since the newest dated item (None: no dated item)
    dated_from: str = "list"         # list | detail_pages (a list printing no dates, dated by its items' pages)

    def evidence(self) -> dict:
        ev = {"column_class": self.column.cls, "entries": self.feed.count, "undated": self.feed.undated}
        if self.dated_from != "list":
            ev["dated_from"] = self.dated_from
        if self.window is not None:
            ev["window"] = str(self.window)
        if self.newest is not None:
            ev.update(newest_date=self.newest.date, newest_title=self.newest.title, newest_url=self.newest.url,
                      days_stale=self.days)
        return ev

    def summary(self) -> dict:
        return {"column_id": self.column.column_id, "name": self.column.name, "url": self.column.url,
                "column_class": self.column.cls, "level": self.column.level,
                "newest_date": self.newest.date if self.newest else None, "days_stale": self.days}


def is_gkml_column(column: Column, ctx: CheckContext) -> bool:
    """A sub-column of 政府信息公开/信息公开目录 (may stay empty when it carries a 备注说明)."""
    where = " ".join((column.path, column.catalog_path))
    return any(m in where for m in ctx.thresholds.freshness.gkml_markers)


def is_single_document(column: Column, feed: ColumnFeed, ctx: CheckContext) -> bool:
    """A column whose only item is a guide, a profile or a duties page (信息公开指南, 依申请公开 申请表, 机构职能)."""
    where = " ".join([column.name, *(e.title for e in feed.head[:1])])
    return any(m in where for m in ctx.thresholds.freshness.single_document_markers)


def column_state(column: Column, feed: ColumnFeed, ctx: CheckContext, container: bool = False,
                 printed: dict[str, str] | None = None) -> ColumnState:
    """What the freshness rules make of one column as of ctx.as_of (container: it has sub-columns).

    printed: for a list that prints no dates, the 发布日期 its first entries' own pages print (url → date)."""
    t = ctx.thresholds.freshness
    if column.assessable is not True:
        return ColumnState(column, NOT_ASSESSABLE, feed)
    if feed.count == 0:
        # a column showing one article is static content; one listing sub-columns holds them, not items
        if column.shows_article or container:
            return ColumnState(column, STATIC, feed)
        if is_gkml_column(column, ctx):
            return ColumnState(column, EMPTY_NOTED if column.note.strip() else EMPTY_GKML, feed)
        if column.cls in t.blank_column_classes:
            return ColumnState(column, BLANK, feed)
        return ColumnState(column, NOT_JUDGED, feed)
    if feed.count == 1 and is_single_document(column, feed, ctx):
        return ColumnState(column, STATIC, feed)
    window = t.column_windows.get(column.cls)
    if window is None:
        return ColumnState(column, NOT_JUDGED, feed)
    # a 置顶 row sits above the list's order whatever its date: it neither refreshes nor ages the column
    cutoff = ctx.as_of.isoformat()
    newest = next((e for e in feed.newest if not e.pinned and e.date <= cutoff), None)
    if newest is None and any(e.pinned for e in feed.newest):
        return ColumnState(column, NOT_JUDGED, feed, window)   # only pinned rows are dated
    dated_from = "list"
    if newest is None and printed:
        # an undated list is dated by its newest entries' own pages (RULEBOOK §4 counts only an item with
        # no visible date anywhere as not updated)
        dated = sorted(((d[:10], e) for e in feed.head
                        if not e.pinned and (d := printed.get(e.url)) and d[:10] <= cutoff),
                       key=lambda pair: pair[0], reverse=True)
        if dated:
            newest = replace(dated[0][1], date=dated[0][0])
            dated_from = "detail_pages"
    if newest is None:   # every item undated (or dated after as_of): counts as not updated
        return ColumnState(column, STALE, feed, window)
    days = (ctx.as_of - date.fromisoformat(newest.date[:10])).days
    state = STALE if newest.date[:10] < window.start(ctx.as_of).isoformat() else FRESH
    return ColumnState(column, state, feed, window, newest, days, dated_from)


def containers(snapshot: Snapshot) -> frozenset[str]:
    """Columns that hold sub-columns: named as a parent, whose breadcrumb prefixes another's, or that the
    crawler read as a channel page (role hub: a 频道页, or a menu item opening a section of the homepage)."""
    ids = {c.parent_id for c in snapshot.columns if c.parent_id}
    ids |= {c.column_id for c in snapshot.columns if c.role == "hub"}
    paths = {c.path for c in snapshot.columns if c.path}
    prefixes = {p.rsplit(">", 1)[0] for p in paths if ">" in p}
    ids |= {c.column_id for c in snapshot.columns if c.path and c.path in prefixes}
    return frozenset(ids)


def column_states(snapshot: Snapshot, ctx: CheckContext) -> list[ColumnState]:
    return ctx.memo("column_states", lambda: _column_states(snapshot, ctx))


def _column_states(snapshot: Snapshot, ctx: CheckContext) -> list[ColumnState]:
    held = containers(snapshot)
    # lists that print no dates: the first few entries' own pages tell when the column was last updated
    n = ctx.thresholds.freshness.undated_list_detail_pages
    undated = {c.column_id: [e.url for e in snapshot.feed(c.column_id).head[:n]] for c in snapshot.columns
               if snapshot.feed(c.column_id).count and not snapshot.feed(c.column_id).dated}
    wanted = [u for urls in undated.values() for u in urls]
    printed = snapshot.published_on(wanted) if wanted and n else {}
    states = [column_state(c, snapshot.feed(c.column_id), ctx, c.column_id in held,
                           printed if c.column_id in undated else None)
              for c in snapshot.columns]
    if not any(s.state != NOT_ASSESSABLE for s in states):
        raise NotAssessed("未发现可评估的栏目（栏目均未抓取或无法评估）")
    return states


def _names(states: list[ColumnState], limit: int = 20) -> str:
    names = [f'"{s.column.name}"' for s in states[:limit]]
    more = f"等{len(states)}个" if len(states) > limit else ""
    return "、".join(names) + more


# ---- homepage --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class HomeUpdates:
    newest: str | None         # ISO date of the newest item on or before as_of
    in_window: int             # distinct items dated inside the homepage window
    items: int                 # items looked at
    basis: str                 # 首页 | 二级页面 (navigation-only homepage)


def home_updates(snapshot: Snapshot, ctx: CheckContext) -> HomeUpdates:
    home = snapshot.home
    if home is None:
        raise NotAssessed("首页未抓取")
    if not home.ok:
        raise NotAssessed(f"首页无法打开（HTTP {home.status or '无响应'}）")
    start = ctx.thresholds.freshness.homepage_window.start(ctx.as_of).isoformat()
    today = ctx.as_of.isoformat()
    entries = list(snapshot.home_entries)
    basis = "首页"
    if entries:
        # an undated homepage item is dated by the 发布日期 its own page prints, when the crawl fetched it
        undated = [e.url for e in entries if not e.date]
        printed = snapshot.published_on(undated) if undated else {}
        dated = {e.url: (e.date or printed.get(e.url) or "")[:10] for e in entries}
    else:
        # a navigation-only homepage is judged by the second-level pages (RULEBOOK §2)
        basis = "二级页面"
        dated = {}
        for c in snapshot.columns:
            if c.assessable is True and c.level <= 2:
                for e in snapshot.feed(c.column_id).newest:
                    dated.setdefault(e.url, e.date[:10])
        if not dated:
            raise NotAssessed("首页及二级页面均未发现带日期的信息，无法判断首页更新情况")
    valid = [d for d in dated.values() if d and d <= today]
    return HomeUpdates(newest=max(valid) if valid else None, in_window=sum(1 for d in valid if d >= start),
                       items=len(dated), basis=basis)


def check_homepage_not_updated(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage shows at least one item dated within the last 2 weeks.

    Why: an unchanged homepage is the first sign of an unattended site; it is a 单项否决 item.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》单项否决 "首页不更新" (2 weeks); RULEBOOK §2.

    Not flagged: an undated homepage item whose own page prints a recent 发布日期; a homepage that is only
    a navigation portal is judged by its second-level pages instead. Not assessed when the homepage was
    not fetched or carries no dated item anywhere.
    """
    u = home_updates(snapshot, ctx)
    window = ctx.thresholds.freshness.homepage_window
    if u.newest is not None and u.newest >= window.start(ctx.as_of).isoformat():
        return
    days = (ctx.as_of - date.fromisoformat(u.newest)).days if u.newest else None
    where = "首页" if u.basis == "首页" else "首页（导航型首页，按二级页面判断）"
    detail = f"最新信息日期：{u.newest}，已{days}天" if u.newest else "首页信息均未标注日期"
    yield ctx.finding(f"{where}超过{window.label}未更新（{detail}）", url=snapshot.site.homepage,
                      title=snapshot.home.title if snapshot.home else "",
                      evidence={"newest_date": u.newest, "days_stale": days, "window": str(window),
                                "items": u.items, "basis": u.basis})


def check_homepage_few_updates(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage shows at least 10 new items dated within the last 2 weeks.

    Why: the 首页栏目更新量 indicator measures whether the homepage is kept current, not just alive.

    Basis: 国办秘函〔2019〕19号 扣分指标 "首页栏目信息更新量" (fewer than 10 in 2 weeks); RULEBOOK §3.

    Not flagged: zero new items (that is the veto STALE001); the same item shown in several homepage
    blocks counts once.
    """
    u = home_updates(snapshot, ctx)
    t = ctx.thresholds.freshness
    if u.in_window == 0 or u.in_window >= t.homepage_min_items:
        return
    yield ctx.finding(f"首页近{t.homepage_window.label}新增信息仅{u.in_window}条（少于{t.homepage_min_items}条）",
                      url=snapshot.site.homepage, title=snapshot.home.title if snapshot.home else "",
                      evidence={"new_items": u.in_window, "min_items": t.homepage_min_items,
                                "window": str(t.homepage_window), "newest_date": u.newest, "basis": u.basis},
                      count=1)


# ---- columns --------------------------------------------------------------------------------

def check_column_not_updated(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: each column's newest dated item is within its class window: 动态要闻 2 weeks,
    通知公告/政策文件 6 months, 人事/规划计划/基本信息 1 year. A column whose items carry no date counts as
    not updated.

    Why: stale columns are the most common 扣分 item; each one is deducted by class (−3/−4/−5).

    Basis: 国办秘函〔2019〕19号 扣分指标 "栏目更新"; RULEBOOK §3, §4 ("an item with no visible date counts as
    not updated").

    Not flagged: 互动、办事、专题、静态 and unknown-class columns (their own rules or none); columns that could
    not be assessed (STALE010); empty columns (STALE004/STALE005); an item dated exactly at the window's
    edge; a column holding one document (its page is the document, or its only item is a guide, profile or
    duties page: `freshness.single_document_markers`). Items dated after the check day prove nothing and are
    ignored. A list that prints no dates is dated by the 发布日期 its first items' own pages print.
    """
    for s in column_states(snapshot, ctx):
        if s.state != STALE:
            continue
        c = s.column
        if s.newest is None:
            message = f'栏目"{c.name}"的{s.feed.count}条信息均未标注日期，视为未更新'
        else:
            message = f'栏目"{c.name}"超过{s.window.label}未更新（最新信息日期：{s.newest.date[:10]}，已{s.days}天）'
        yield ctx.finding(message, url=c.url, column=c, title=c.name, evidence=s.evidence())


def check_blank_column(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: a column that should carry a list (动态、通知、政策、人事、规划、基本信息、专题、互动) has no
    item.

    Why: a 空白栏目 promises information that is not there; five of them are a 单项否决.

    Basis: 国办秘函〔2019〕19号 单项否决 "栏目不更新 (3) 空白栏目"; RULEBOOK §2, §4.

    Not flagged: empty 信息公开目录 sub-columns (STALE005 judges them with their 备注说明); a column whose
    page is a single article (static content) or that lists sub-columns; classes 静态/办事/unknown;
    lists rendered by JavaScript (the crawler marks them not assessable, STALE010).
    """
    for s in column_states(snapshot, ctx):
        if s.state == BLANK:
            c = s.column
            yield ctx.finding(f'栏目"{c.name}"为空白栏目，无任何信息', url=c.url, column=c, title=c.name,
                              evidence={**s.evidence(), "note": c.note})


def check_empty_catalog_column_without_note(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: an empty 政府信息公开目录 sub-column explains itself with a 备注说明 (`本栏目暂无信息，原因…`).

    Why: the 信息公开目录 is fixed by the catalog; a sub-column may legitimately be empty (the office has no
    such information), but only if it says so — otherwise it is a blank column.

    Basis: RULEBOOK §4 ("an empty 信息公开目录 sub-column is acceptable only if it carries a 备注说明") [C];
    国办秘函〔2019〕19号 空白栏目.

    Not flagged: sub-columns with a 备注说明; columns outside the 信息公开 tree (STALE004).
    """
    for s in column_states(snapshot, ctx):
        if s.state == EMPTY_GKML:
            c = s.column
            yield ctx.finding(f'信息公开目录栏目"{c.name}"无内容且无备注说明', url=c.url, column=c, title=c.name,
                              evidence={**s.evidence(), "path": c.path or c.catalog_path})


def _stale_news_and_notices(states: list[ColumnState], ctx: CheckContext) -> list[ColumnState]:
    t = ctx.thresholds.freshness
    return [s for s in states if s.state == STALE and (
        s.column.cls in t.veto_news_classes or (s.column.cls in t.veto_notice_classes and s.column.level == 1))]


def _veto_finding(ctx: CheckContext, snapshot: Snapshot, message: str, hits: list[ColumnState],
                  line: int) -> Finding:
    return ctx.finding(f"{message}共{len(hits)}个（单项否决线{line}个）：{_names(hits)}",
                       url=snapshot.site.homepage, count=len(hits),
                       evidence={"columns": [s.summary() for s in hits], "threshold": line})


def check_veto_stale_news_and_notices(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: 动态要闻 columns not updated in 2 weeks plus 一级 通知公告/政策文件 columns not updated
    in 6 months number 5 or more.

    Why: this is the first of the three 栏目不更新 veto lines.

    Basis: 国办秘函〔2019〕19号 单项否决 "栏目不更新 (1)"; RULEBOOK §2.

    Not flagged: below the line (STALE009 warns from the 预警 line); 通知公告/政策文件 columns below the
    first level (they count for STALE007); columns that could not be assessed.
    """
    t = ctx.thresholds.freshness
    hits = _stale_news_and_notices(column_states(snapshot, ctx), ctx)
    if len(hits) >= t.veto_news_and_notices:
        yield _veto_finding(ctx, snapshot, "动态要闻类栏目超过2周未更新、通知公告/政策文件类一级栏目超过6个月未更新的",
                            hits, t.veto_news_and_notices)


def check_veto_stale_columns(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: 10 or more columns that should be updated are not (STALE003 columns).

    Why: the second 栏目不更新 veto line.

    Basis: 国办秘函〔2019〕19号 单项否决 "栏目不更新 (2)"; RULEBOOK §2.

    Not flagged: fewer stale columns (STALE009 warns from 6); blank columns (STALE008).
    """
    t = ctx.thresholds.freshness
    hits = [s for s in column_states(snapshot, ctx) if s.state == STALE]
    if len(hits) >= t.veto_stale_columns:
        yield _veto_finding(ctx, snapshot, "应更新未更新的栏目", hits, t.veto_stale_columns)


def _blank(states: list[ColumnState]) -> list[ColumnState]:
    return [s for s in states if s.state in (BLANK, EMPTY_GKML)]


def check_veto_blank_columns(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: 5 or more 空白栏目 (STALE004 columns and STALE005 信息公开目录 sub-columns without a note).

    Why: the third 栏目不更新 veto line.

    Basis: 国办秘函〔2019〕19号 单项否决 "栏目不更新 (3)"; RULEBOOK §2.

    Not flagged: fewer blank columns (STALE009 warns from 2); empty sub-columns with a 备注说明.
    """
    t = ctx.thresholds.freshness
    hits = _blank(column_states(snapshot, ctx))
    if len(hits) >= t.veto_blank_columns:
        yield _veto_finding(ctx, snapshot, "空白栏目", hits, t.veto_blank_columns)


def check_early_warning(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 预警 tier just below the 栏目不更新 veto lines: 2 or more blank columns, 6 or more
    stale columns (each still below its veto line).

    Why: evaluators and vendors warn offices before a veto is hit so they can act in time.

    Basis: RULEBOOK §1 (vendor 预警 practice: 空白栏目 2–3 个、不更新栏目 6 个) [C, vendor practice].

    Not flagged: counts at or over a veto line (STALE007, STALE008 say it); the homepage tier (STALE011).
    """
    t = ctx.thresholds.freshness
    states = column_states(snapshot, ctx)
    blank = _blank(states)
    if t.warn_blank_columns <= len(blank) < t.veto_blank_columns:
        yield ctx.finding(f"预警：空白栏目已有{len(blank)}个（达到{t.veto_blank_columns}个将触发单项否决）："
                          f"{_names(blank)}", url=snapshot.site.homepage, count=len(blank),
                          evidence={"tier": "blank_columns", "columns": [s.summary() for s in blank],
                                    "threshold": t.veto_blank_columns})
    stale = [s for s in states if s.state == STALE]
    if t.warn_stale_columns <= len(stale) < t.veto_stale_columns:
        yield ctx.finding(f"预警：不更新栏目已有{len(stale)}个（达到{t.veto_stale_columns}个将触发单项否决）："
                          f"{_names(stale)}", url=snapshot.site.homepage, count=len(stale),
                          evidence={"tier": "stale_columns", "columns": [s.summary() for s in stale],
                                    "threshold": t.veto_stale_columns})


def check_homepage_early_warning(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the homepage's newest item is more than 10 days old but still inside the 2-week
    veto window.

    Why: the 预警 before 首页不更新 gives the office a few days to act.

    Basis: RULEBOOK §1 (vendor 预警 practice: 首页 10 天未更新) [C, vendor practice].

    Not flagged: homepages over the veto line (STALE001); homepages without any dated item. Not assessed
    when the homepage was not fetched.
    """
    t = ctx.thresholds.freshness
    u = home_updates(snapshot, ctx)
    if u.newest is None or u.newest < t.homepage_window.start(ctx.as_of).isoformat():
        return
    days = (ctx.as_of - date.fromisoformat(u.newest)).days
    if days > t.warn_homepage_days:
        yield ctx.finding(f"预警：首页已{days}天未更新（超过{t.homepage_window.label}将触发单项否决）",
                          url=snapshot.site.homepage, title=snapshot.home.title if snapshot.home else "",
                          evidence={"tier": "homepage", "days_stale": days, "newest_date": u.newest,
                                    "warn_days": t.warn_homepage_days, "basis": u.basis})


def check_column_not_assessable(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: columns whose freshness could not be judged, with the reason (list rendered by
    JavaScript, column page 403 or timeout, page never fetched within the crawl limits).

    Why: such a column is neither fresh nor stale; the evaluator must look at it by hand rather than
    read silence as a pass.

    Basis: RULEBOOK §4 ("a list rendered only by JavaScript is not empty: say the column could not be
    assessed"); ARCHITECTURE (a failure is a status, never a pass).

    Not flagged: columns of classes no freshness rule judges (办事、静态、unknown) outside 信息公开.
    """
    t = ctx.thresholds.freshness
    for c in snapshot.columns:
        if c.assessable is True:
            continue
        judged = c.cls in t.column_windows or c.cls in t.blank_column_classes or is_gkml_column(c, ctx)
        if not judged:
            continue
        reason = c.reason or ("栏目页未抓取" if c.assessable is None else "原因未记录")
        yield ctx.finding(f'栏目"{c.name}"无法评估更新情况：{reason}', url=c.url, column=c, title=c.name,
                          evidence={"column_class": c.cls, "reason": reason,
                                    "fetched": c.assessable is not None, "page_status": c.page_status})
