"""What a rule is given besides the snapshot: as-of date, thresholds, catalog and a finding factory."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING

from rules.snapshot import Column, Page, SiteInfo
from rules.thresholds import Thresholds
from zwgk.core.records import Finding

if TYPE_CHECKING:
    from rules.catalog import Catalog
    from rules.registry import Rule


class NotAssessed(Exception):
    """Raised by a rule that cannot judge this site (homepage not fetched, no catalog ...); says why."""


@dataclass(frozen=True)
class CheckContext:
    """Everything a rule may read besides the snapshot. There is no clock: `as_of` is the day judged."""

    as_of: date
    thresholds: Thresholds
    site: SiteInfo
    catalog: "Catalog | None" = None
    catalog_error: str = ""       # why the site's catalog could not be read ('' when it could)
    rule: "Rule | None" = field(default=None, compare=False)
    # per-site memo shared by the rules of one site (e.g. the catalog matching), never across sites
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def for_rule(self, rule: "Rule") -> "CheckContext":
        return replace(self, rule=rule)

    def memo(self, key: str, compute):
        """compute() once per site; the value must depend only on the snapshot and this context."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    def for_page(self, page, key: str, compute):
        """compute() once per page for all rules (pages arrive one at a time, so one slot per key is enough)."""
        slot = self.cache.get(key)
        if slot is not None and slot[0] is page:
            return slot[1]
        value = compute()
        self.cache[key] = (page, value)
        return value

    def finding(self, message: str, *, url: str = "", column: Column | None = None, parent_url: str = "",
                title: str = "", evidence: dict | None = None, confidence: str = "confirmed", count: int = 1,
                office: str = "", indicator: str = "") -> Finding:
        """A finding of the current rule; office falls back to the column's, then the site's.

        indicator overrides the rule's own where the same problem feeds another indicator by where it
        is (a broken image on a 解读 page is 多媒体解读; elsewhere it is a broken link)."""
        rule = self.rule
        if rule is None:
            raise RuntimeError("CheckContext.finding() needs a rule; use ctx.for_rule(rule)")
        evidence = dict(evidence or {})
        if column is not None:
            evidence.setdefault("column_class", column.cls)
        return Finding(
            code=rule.code, indicator=indicator or rule.indicator, severity=rule.severity, site_id=self.site.site_id,
            message=message, office=office or (column.office if column and column.office else "") or self.site.office,
            column_id=column.column_id if column else "", column_name=column.name if column else "",
            url=url, parent_url=parent_url, title=title, evidence=evidence, confidence=confidence, count=count,
        )

    def page_finding(self, page: Page, column: Column | None, message: str, **kw) -> Finding:
        """A finding about a page itself (its metadata): the page's URL, the list page that led to it."""
        kw.setdefault("url", page.url)
        kw.setdefault("parent_url", page.parent_url)
        kw.setdefault("title", page.headline)
        return self.finding(message, column=column, **kw)
