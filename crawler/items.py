"""The items the spider yields: rows for one store table, or a site's status change."""

from __future__ import annotations

from dataclasses import dataclass

from zwgk.core.store import now_iso


@dataclass(slots=True)
class StoreRows:
    """Rows for one snapshot table; every table is keyed so that writing a row twice is harmless."""

    table: str
    rows: list[dict]


@dataclass(slots=True)
class ResponseRows:
    """The rows of several tables that one response gave, as one item: every item costs Scrapy a pass through
    the spider middlewares, the item_scraped signal and a log record, and a page fills six or seven tables."""

    parts: list[StoreRows]


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


def page_body_rows(run_id: int, site_id: str, url: str, body_z: bytes, encoding: str) -> StoreRows:
    """The page as fetched (`body_z`: zlib-compressed by crawler.reading), for the 快照 the reports link (a
    disputed finding shown as it was)."""
    return StoreRows("page_bodies", [dict(run_id=run_id, site_id=site_id, url=url, body=body_z,
                                          encoding=encoding or "", fetched_at=now_iso())])
