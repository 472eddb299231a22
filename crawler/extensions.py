"""Crawl extensions: live progress per site, AutoThrottle held to each profile's delay, request rates stored."""

from __future__ import annotations

import sys
import time
from collections import Counter

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle
from twisted.internet import task

from zwgk.core.store import Store


class SiteAutoThrottle(AutoThrottle):
    """AutoThrottle slows down for a struggling site, but never under the delay its profile asks for.

    Scrapy's own lowers a slot's delay to latency / target concurrency, floored only by the global
    DOWNLOAD_DELAY: a profile asking for 1 s between requests got ten requests a second."""

    def __init__(self, crawler):
        super().__init__(crawler)
        self.floors = {key: float(cfg.get("delay", 0)) for key, cfg in crawler.settings.getdict("DOWNLOAD_SLOTS").items()}

    def _response_downloaded(self, response, request, spider=None):
        if response.status == 304:
            # a 304 to our conditional request (--incremental) is a success: Scrapy's only lets a 200 lower the
            # delay, so a round of 304s would stay at its slowest
            response = response.replace(status=200)
        super()._response_downloaded(response, request, spider)
        key, slot = self._get_slot(request, spider)
        if slot is not None and key in self.floors:
            slot.delay = max(slot.delay, self.floors[key])


class RequestRateExtension:
    """At the end of a crawl, stores per site how many requests it received, over how long, the smallest
    gap between two of them and the most at once (table site_requests; the crawl summary shows it)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.reused: Counter = Counter()         # responses reused from the HTTP cache after a 304 (--incremental)
        self.bytes_fetched: Counter = Counter()  # body bytes downloaded
        self.bytes_reused: Counter = Counter()   # body bytes taken from the cache instead

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("ZWGK_WORKSPACE"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        return ext

    def response_received(self, response, request, spider=None):
        site = (request.meta.get("zwgk") or {}).get("site")
        if not site:
            return
        if "cached" in response.flags:
            self.reused[site] += 1
            self.bytes_reused[site] += len(response.body)
        else:
            self.bytes_fetched[site] += len(response.body)

    def spider_closed(self, spider=None, reason=None):
        settings = self.crawler.settings
        stats = self.crawler.stats
        rows = []
        for site_id, cfg in settings.getdict("ZWGK_SITES").items():
            prefix = f"zwgk/slot/{cfg['slot']}/"
            count = stats.get_value(prefix + "requests", 0)
            if not count:
                continue
            rows.append(dict(run_id=settings.getint("ZWGK_RUN_ID"), site_id=site_id, slot=cfg["slot"],
                             requests=count, seconds=round(stats.get_value(prefix + "last", 0)
                                                           - stats.get_value(prefix + "first", 0), 3),
                             min_gap_ms=stats.get_value(prefix + "min_gap_ms"),
                             max_concurrency=stats.get_value(prefix + "max_concurrency", 0),
                             rendered=stats.get_value(f"zwgk/site/{site_id}/rendered", 0),
                             delay=cfg["delay"], concurrency=cfg["concurrency"], reused=self.reused[site_id],
                             bytes_fetched=self.bytes_fetched[site_id], bytes_reused=self.bytes_reused[site_id]))
        if not rows:
            return
        store = Store(settings["ZWGK_WORKSPACE"])
        try:
            store.add_request_stats(rows)
        finally:
            store.close()


class CrawlProgressExtension:
    """Counts from signals; draws a table with rich on a terminal, or a line per site every 10 s otherwise."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.scheduled: Counter = Counter()
        self.pages: Counter = Counter()
        self.checks: Counter = Counter()
        self.errors: Counter = Counter()
        self.started = time.monotonic()
        self.live = None
        self.loop = None
        self.tty = sys.stderr.isatty()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ZWGK_PROGRESS"):
            raise NotConfigured
        ext = cls(crawler)
        crawler.signals.connect(ext.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    @staticmethod
    def _ctx(request) -> dict:
        return request.meta.get("zwgk") or {}

    def request_scheduled(self, request, spider=None):
        site = self._ctx(request).get("site")
        if site:
            self.scheduled[site] += 1

    def response_received(self, response, request, spider=None):
        ctx = self._ctx(request)
        site = ctx.get("site")
        if not site:
            return
        (self.checks if ctx.get("role") == "check" else self.pages)[site] += 1
        if response.status >= 400:
            self.errors[site] += 1

    def spider_opened(self, spider=None):
        if self.tty:
            from rich.live import Live
            self.live = Live(self._table(), refresh_per_second=4, transient=False)
            self.live.start()
        self.loop = task.LoopingCall(self._tick)
        self.loop.start(0.5 if self.tty else 10.0, now=False)

    def spider_closed(self, spider=None, reason=None):
        if self.loop and self.loop.running:
            self.loop.stop()
        if self.live:
            self.live.update(self._table())
            self.live.stop()

    def _tick(self):
        if self.live:
            self.live.update(self._table())
            return
        for site in sorted(self.scheduled):
            print(f"[{int(time.monotonic() - self.started)}s] {site}: 页面 {self.pages[site]}，"
                  f"链接检查 {self.checks[site]}，排队 {self._queued(site)}，错误 {self.errors[site]}",
                  file=sys.stderr, flush=True)

    def _queued(self, site: str) -> int:
        return max(0, self.scheduled[site] - self.pages[site] - self.checks[site])

    def _table(self):
        from rich.table import Table
        table = Table(title=f"抓取进度（{int(time.monotonic() - self.started)} 秒）")
        for col in ("网站", "页面", "链接检查", "排队", "错误"):
            table.add_column(col, justify="right" if col != "网站" else "left")
        for site in sorted(self.scheduled):
            table.add_row(site, str(self.pages[site]), str(self.checks[site]), str(self._queued(site)),
                          str(self.errors[site]))
        return table
