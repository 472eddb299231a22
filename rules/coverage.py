"""What a crawl covered of one site, and whether that is enough to grade it: a pure function of the snapshot.

The figures are stored per check in the `coverage` table; their keys are a contract the reports read:
nav_columns, columns_discovered, columns_assessed, columns_not_assessed, not_assessed_reasons {reason: count},
linked_not_reached {limits, robots, errors, offsite}, pages_fetched, pages_failed, pages_skipped,
sufficient (bool), reasons [Chinese sentences saying why the coverage is not sufficient], partial [Chinese
sentences: crawl limits that left part of the site unassessed (部分评估), e.g. link checks per page].
"""

from __future__ import annotations

import re
from collections import Counter

from rules.snapshot import Snapshot
from rules.thresholds import Thresholds

NEVER_FETCHED = "栏目页面未抓取（页面上限、抓取中断或链接未到达）"
_DETAIL = re.compile(r"（[^）]*）|：.*$")


def _reason_kind(reason: str) -> str:
    """A reason without its particulars ("栏目页面无法访问（HTTP 404）" → "栏目页面无法访问"), to count alike ones."""
    return _DETAIL.sub("", reason).strip() or reason


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def site_coverage(snapshot: Snapshot, thresholds: Thresholds) -> dict:
    """The coverage figures of one site (see the module docstring for the keys)."""
    t = thresholds.coverage
    columns = snapshot.columns
    nav = [c for c in columns if not c.parent_id]
    assessed = [c for c in columns if c.assessable is True]
    not_assessed = [c for c in columns if c.assessable is not True]
    reasons = Counter(_reason_kind(c.reason) if c.assessable is False and c.reason else NEVER_FETCHED
                      for c in not_assessed)

    fetched = failed = 0
    fetched_urls: set[str] = set()
    internal: dict[str, object] = {}     # internal hyperlink -> its check (None: never checked)
    unreached = {"limits": set(), "robots": set(), "errors": set(), "offsite": set()}
    for page in snapshot.pages():
        fetched_urls.add(page.url)
        if page.status is not None:
            fetched += 1
        if not page.ok:
            failed += 1
            unreached["errors"].add(page.url)
        for link in page.links:
            if link.kind != "link" or not link.url.startswith(("http://", "https://")):
                continue
            if link.internal:
                internal.setdefault(link.url, link.resource)
            else:
                unreached["offsite"].add(link.url)
    # an internal page linked but never fetched as a page: refused by robots.txt, failed, or left out by the
    # crawl's limits (page limit, depth, trap guard; such a link gets at most a HEAD check)
    for url, res in internal.items():
        if url in fetched_urls:
            continue
        if res is not None and res.outcome == "not_checked" and "robots" in (res.error or ""):
            unreached["robots"].add(url)
        elif res is not None and res.outcome in ("broken", "suspected"):
            unreached["errors"].add(url)
        else:
            unreached["limits"].add(url)
    linked_not_reached = {k: len(v) for k, v in unreached.items()}

    why = []
    home = snapshot.home
    if home is None or not home.ok:
        why.append("首页未能打开，无法评估网站")
    nav_assessed = sum(1 for c in nav if c.assessable is True)
    if nav and _percent(nav_assessed, len(nav)) < t.min_nav_assessed_percent:
        why.append(f"导航栏目 {len(nav)} 个，仅评估 {nav_assessed} 个（{_percent(nav_assessed, len(nav))}%，"
                   f"低于 {t.min_nav_assessed_percent}%）")
    if columns and _percent(len(assessed), len(columns)) < t.min_columns_assessed_percent:
        why.append(f"发现栏目 {len(columns)} 个，仅评估 {len(assessed)} 个（{_percent(len(assessed), len(columns))}%，"
                   f"低于 {t.min_columns_assessed_percent}%）")
    if len(assessed) < t.min_columns_assessed:
        why.append(f"可评估的栏目仅 {len(assessed)} 个（至少需要 {t.min_columns_assessed} 个）")
    if fetched and _percent(failed, fetched) > t.max_pages_failed_percent:
        why.append(f"抓取页面 {fetched} 个，其中 {failed} 个无法打开（{_percent(failed, fetched)}%，"
                   f"超过 {t.max_pages_failed_percent}%）")
    if why:
        top = "；".join(f"{k}{n}个" for k, n in reasons.most_common(3))
        if top:
            why.append(f"未评估栏目的主要原因：{top}")
    return dict(
        nav_columns=len(nav), columns_discovered=len(columns), columns_assessed=len(assessed),
        columns_not_assessed=len(not_assessed), not_assessed_reasons=dict(reasons.most_common()),
        linked_not_reached=linked_not_reached, pages_fetched=fetched, pages_failed=failed,
        pages_skipped=linked_not_reached["limits"] + linked_not_reached["robots"],
        sufficient=not why, reasons=why, partial=_partial(snapshot.site.limits_reached),
    )


def _partial(notes: tuple[str, ...], shown: int = 5) -> list[str]:
    """The crawl limits that left a part unassessed, as sentences (a page of 50,000 links says it once per page)."""
    out = list(notes[:shown])
    if len(notes) > shown:
        out.append(f"另有 {len(notes) - shown} 处同类情况（见 crawl_events）")
    return out
