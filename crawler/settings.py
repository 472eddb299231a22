"""Every Scrapy setting zwgk uses, in one place: component order, politeness, limits and the ZWGK_ keys."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from zwgk.core.chromium import chromium_path
from zwgk import __version__
from zwgk.core.config import SiteProfile
from zwgk.core.retention import HTTPCACHE_DIR

# ASCII only: some servers reject a User-Agent with other bytes. It says who we are and why.
USER_AGENT = f"Mozilla/5.0 (compatible; zwgk/{__version__}; government website compliance check)"

BASE_SETTINGS: dict = {
    "BOT_NAME": "zwgk",
    "USER_AGENT": USER_AGENT,
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": False,
    "ROBOTSTXT_OBEY": True,               # a profile may switch it off for an authorised evaluation
    "COOKIES_ENABLED": False,
    "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,  # external hosts; each site's own slot comes from its profile
    # The spider's items are written synchronously by RecordStorePipeline: more than a few in parallel buy
    # nothing, and Scrapy starts one task per allowed item for every response (100 by default).
    "CONCURRENT_ITEMS": 4,
    "DOWNLOAD_TIMEOUT": 15,
    "DOWNLOAD_MAXSIZE": 16 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 0,
    "RETRY_ENABLED": True,
    "RETRY_TIMES": 2,                     # timeouts and 5xx are retried, then stay "suspected"
    "REDIRECT_MAX_TIMES": 10,
    "DEPTH_LIMIT": 0,                     # depth is limited per site by the spider
    "DEPTH_PRIORITY": 1,                  # breadth first: columns before deep pages
    "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
    "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
    "REQUEST_FINGERPRINTER_CLASS": "crawler.fingerprints.RoleAwareFingerprinter",
    "AUTOTHROTTLE_ENABLED": True,         # as SiteAutoThrottle: it never goes under a profile's delay
    "AUTOTHROTTLE_MAX_DELAY": 10.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0,
    "HTTPCACHE_ENABLED": False,
    "DOWNLOADER_MIDDLEWARES": {
        "crawler.middlewares.OutboundGuardMiddleware": 50,   # before robots.txt is even fetched, before any DNS
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "crawler.middlewares.SharedRobotsTxtMiddleware": 100,
        "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
        "crawler.middlewares.LoopAwareRedirectMiddleware": 600,
        "crawler.middlewares.CheckInflateLimitMiddleware": 595,  # its response before HttpCompression's (590)
    },
    "ITEM_PIPELINES": {
        "crawler.pipelines.RecordStorePipeline": 300,
    },
    "DOWNLOAD_HANDLERS": {
        "http": "crawler.download.SiteDownloadHandler",    # host_map, rendering, request times per site
        "https": "crawler.download.SiteDownloadHandler",
    },
    "EXTENSIONS": {
        "scrapy.extensions.throttle.AutoThrottle": None,
        "crawler.extensions.SiteAutoThrottle": 0,
        "crawler.extensions.CrawlProgressExtension": 500,
        "crawler.extensions.RequestRateExtension": 510,
    },
    "ZWGK_BATCH_ROWS": 2000,
    "ZWGK_BATCH_SECONDS": 2.0,
    "ZWGK_PROGRESS": False,
    "ZWGK_PRIVATE_GUARD_DISABLED": False,
    "ZWGK_READER_AFTER_PAGES": None,   # set by crawl_settings (reader_after_pages)
}

# Pages read in the crawl's own process before a reader process takes over (crawler/reading.py): a small
# site never starts one. The environment's ZWGK_READER_AFTER_PAGES overrides it ("off": never).
READER_AFTER_PAGES = 300

# The site should see at least `delay` between two requests: our timer starts a request when the slot
# allows, but the request reaches the server a little later or earlier (connection set-up, a reused
# keep-alive connection); this margin keeps the server-side gap at or above the profile's delay.
DELAY_MARGIN = 0.02


def site_slots(profiles: list[SiteProfile]) -> dict[str, dict]:
    """Per site: its politeness slot, hosts, no_external and private hosts (the outbound guard's table).

    Sites that share a host (two department sites under one portal, two mirrors on one address) share one
    slot, so the host sees the largest delay and the smallest concurrency of them."""
    group = {p.id: p.id for p in profiles}

    def find(x):
        while group[x] != x:
            x = group[x]
        return x

    owner_of: dict[str, str] = {}
    for p in profiles:
        for netloc in _netlocs(p):
            if netloc in owner_of:
                group[find(p.id)] = find(owner_of[netloc])
            else:
                owner_of[netloc] = p.id
    members: dict[str, list[SiteProfile]] = {}
    for p in profiles:
        members.setdefault(find(p.id), []).append(p)
    out = {}
    for root, ps in members.items():
        slot = "site:" + "+".join(sorted(p.id for p in ps))
        delay = max(p.limits.delay for p in ps)
        concurrency = min(p.limits.concurrency_per_host for p in ps)
        for p in ps:
            out[p.id] = dict(slot=slot, delay=delay, concurrency=concurrency,
                             domains=[*p.allowed_domains, *p.host_map], no_external=p.no_external,
                             timeout=p.limits.timeout,
                             private=[h.lower() for h in p.allow_private_hosts])
    return out


def _netlocs(p: SiteProfile) -> set[str]:
    return {urlsplit(p.homepage).netloc.lower(), *p.allowed_domains, *p.host_map, *p.host_map.values()}


def incremental_settings(workspace: str) -> dict:
    """The HTTP cache of `--incremental`: <workspace>/httpcache, kept across runs (crawler/httpcache.py).

    A stored response is reused only when the site answers 304 to our If-None-Match / If-Modified-Since, so
    every reuse is still a request through the site's politeness gate. Link checks and pages cut after their
    first bytes are never stored (meta dont_cache, crawler/spiders/site.py)."""
    return {
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_POLICY": "crawler.httpcache.RevalidatingPolicy",
        "HTTPCACHE_STORAGE": "scrapy.extensions.httpcache.FilesystemCacheStorage",
        "HTTPCACHE_DIR": str(Path(workspace).resolve() / HTTPCACHE_DIR),
        "HTTPCACHE_EXPIRATION_SECS": 0,
        "HTTPCACHE_GZIP": True,
        "DOWNLOADER_MIDDLEWARES": {
            **BASE_SETTINGS["DOWNLOADER_MIDDLEWARES"],
            "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
            "crawler.httpcache.RevalidatingCacheMiddleware": 900,
        },
    }


def reader_after_pages() -> int | None:
    value = os.environ.get("ZWGK_READER_AFTER_PAGES", "").strip().lower()
    if value == "off":
        return None
    try:
        return max(0, int(value)) if value else READER_AFTER_PAGES
    except ValueError:
        raise ValueError(f"环境变量 ZWGK_READER_AFTER_PAGES 应为页数或 off，收到 {value!r}") from None


def crawl_settings(profiles: list[SiteProfile], workspace: str, run_id: int, jobdir: str | None,
                   progress: bool = False, incremental: bool = False) -> dict:
    """Settings for one run over the given sites; `incremental` keeps an HTTP cache in the workspace."""
    settings = dict(BASE_SETTINGS)
    sites = site_slots(profiles)
    # no jitter: Scrapy's ±50 % would put every other gap under the profile's delay
    slots = {cfg["slot"]: {"concurrency": cfg["concurrency"], "jitter": 0,
                           "delay": cfg["delay"] + DELAY_MARGIN if cfg["delay"] else 0.0}
             for cfg in sites.values()}
    host_map: dict[str, str] = {}
    for p in profiles:
        host_map.update(p.host_map)
    settings.update(
        DOWNLOAD_SLOTS=slots,
        ZWGK_SITES=sites,
        ZWGK_HOST_MAP=host_map,
        ZWGK_RENDER_BROWSER=chromium_path(),
        AUTOTHROTTLE_START_DELAY=max((p.limits.delay for p in profiles), default=0.0),
        ZWGK_WORKSPACE=str(workspace),
        ZWGK_RUN_ID=run_id,
        ZWGK_PROGRESS=progress,
        ZWGK_READER_AFTER_PAGES=reader_after_pages(),
    )
    if jobdir:
        settings["JOBDIR"] = jobdir
    if incremental:
        settings.update(incremental_settings(workspace))
    return settings
