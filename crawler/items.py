"""The items the spider yields: rows for one store table, or a site's status change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class StoreRows:
    """Rows for one snapshot table; every table is keyed so that writing a row twice is harmless."""

    table: str
    rows: list[dict]


@dataclass(slots=True)
class SiteStatus:
    site_id: str
    status: str          # crawling | done | unreachable | failed
    error: str = ""


@dataclass(slots=True)
class CrawlEvent:
    """Something the evaluator should read about the crawl (a trap avoided, a page too big ...)."""

    site_id: str
    level: str           # info | warning | error
    message: str
    url: str = ""
