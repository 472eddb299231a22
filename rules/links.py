"""LINK rules: dead hyperlinks on the homepage and other pages, internal and external (RULEBOOK §3, §6)."""

from __future__ import annotations

from typing import Iterator

from rules.context import CheckContext
from rules.resources import UNREACHABLE, link_evidence, page_problems
from rules.snapshot import Page, Snapshot
from zwgk.core.records import Finding


def _dead_links(page: Page, snapshot: Snapshot, ctx: CheckContext, kinds: tuple[str, ...], confidence: str,
                where: str) -> Iterator[Finding]:
    column = snapshot.column(page.column_id)
    for link, problem in page_problems(page, ctx):
        if link.kind not in kinds or not link.url:
            continue
        if problem.reason != UNREACHABLE or problem.confidence != confidence:
            continue
        scope = "" if link.internal else "外部"
        what = "附件" if link.kind == "attachment" else f"{scope}链接"
        text = f"「{link.text.strip()}」" if link.text.strip() else ""
        prefix = "疑似" if confidence == "suspected" else ""
        located = "" if where == "首页" else f"（所在页面：{page.headline or page.url}）"
        message = f"{prefix}{where}{what}无法访问（{problem.detail}）：{text}{link.url}{located}"
        yield ctx.finding(message, url=link.url, column=column, parent_url=page.url, title=page.headline,
                          evidence=link_evidence(link, problem), confidence=confidence)


def check_dead_link_on_homepage(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: every hyperlink on the homepage, internal or external, opens (no 404/403/410,
    DNS failure, refused connection).

    Why: the homepage is what every visitor sees; each dead link there costs a full point.

    Basis: 国办秘函〔2019〕19号 扣分指标 "链接可用性" (首页 −1 per broken link); RULEBOOK §3.

    Not flagged: links the crawler did not check (robots, out of scope, `javascript:`); timeouts and 5xx
    (LINK003, suspected); images and attachments (MEDIA rules).
    """
    if page.kind != "home":
        return
    yield from _dead_links(page, snapshot, ctx, ("link",), "confirmed", "首页")


def check_dead_link_on_page(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: every hyperlink on the other pages of the site opens.

    Why: dead links on inner pages are counted as 链接可用性 deductions (−0.1 each) and lead to the office
    that owns the page.

    Basis: 国办秘函〔2019〕19号 扣分指标 "链接可用性" (other pages −0.1 per broken link); RULEBOOK §3.

    Not flagged: the homepage, and targets that are also linked from the homepage (LINK001 reports them
    once); links not checked; suspected failures (LINK003); images and attachments (MEDIA rules). A
    target dead on many pages (a shared footer) is one finding listing the pages.
    """
    if page.kind == "home":
        return
    on_home = ctx.memo("homepage_link_urls", lambda: frozenset(lk.url for lk in snapshot.home.links)
                       if snapshot.home is not None else frozenset())
    for finding in _dead_links(page, snapshot, ctx, ("link",), "confirmed", "页面"):
        if finding.url not in on_home:     # the same dead target on the homepage is LINK001's
            yield finding


def check_suspected_dead_link(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: hyperlinks and attachments that timed out or answered 5xx after the crawler's
    retries.

    Why: they may be down only for a moment; they are listed for a re-check, not deducted.

    Basis: RULEBOOK §6 ("only 404/403/410 are confirmed failures; timeouts and 5xx are suspected until
    retried").

    Not flagged: confirmed failures (LINK001, LINK002, MEDIA008).
    """
    where = "首页" if page.kind == "home" else "页面"
    yield from _dead_links(page, snapshot, ctx, ("link", "attachment"), "suspected", where)
