"""Every Scrapy setting zwgk uses, in one place: component order, politeness, limits and the ZWGK_ keys."""

from __future__ import annotations

from urllib.parse import urlsplit

from zwgk import __version__
from zwgk.core.config import SiteProfile

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
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_MAX_DELAY": 10.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 4.0,
    "HTTPCACHE_ENABLED": False,
    "DOWNLOADER_MIDDLEWARES": {
        "crawler.middlewares.PrivateHostGuardMiddleware": 50,   # before robots.txt is even fetched
        "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
        "crawler.middlewares.LoopAwareRedirectMiddleware": 600,
    },
    "ITEM_PIPELINES": {
        "crawler.pipelines.RecordStorePipeline": 300,
    },
    "EXTENSIONS": {
        "crawler.extensions.CrawlProgressExtension": 500,
    },
    "ZWGK_BATCH_ROWS": 2000,
    "ZWGK_BATCH_SECONDS": 2.0,
    "ZWGK_PROGRESS": False,
    "ZWGK_PRIVATE_GUARD_DISABLED": False,
}

# scrapy-redis: several crawler processes share one queue and one dupefilter in Redis.
REDIS_SETTINGS: dict = {
    "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
    "SCHEDULER_PERSIST": True,
}


def crawl_settings(profiles: list[SiteProfile], workspace: str, run_id: int, jobdir: str | None,
                   progress: bool = False, redis_url: str | None = None) -> dict:
    """Settings for one run over the given sites."""
    settings = dict(BASE_SETTINGS)
    slots = {}
    start_delay = 0.0
    for p in profiles:
        for netloc in {urlsplit(p.homepage).netloc, *[d for d in p.allowed_domains if ":" in d]}:
            slots[netloc] = {"concurrency": p.limits.concurrency_per_host, "delay": p.limits.delay}
        start_delay = max(start_delay, p.limits.delay)
    settings.update(
        DOWNLOAD_SLOTS=slots,
        AUTOTHROTTLE_START_DELAY=start_delay,
        ZWGK_WORKSPACE=str(workspace),
        ZWGK_RUN_ID=run_id,
        ZWGK_PROGRESS=progress,
        ZWGK_PRIVATE_HOSTS_ALLOWED={p.id: [h.lower() for h in p.allow_private_hosts] for p in profiles},
    )
    if jobdir:
        settings["JOBDIR"] = jobdir
    if redis_url:
        settings.update(REDIS_SETTINGS, REDIS_URL=redis_url,
                        SCHEDULER_DUPEFILTER_KEY=f"zwgk:run{run_id}:dupefilter",
                        SCHEDULER_QUEUE_KEY=f"zwgk:run{run_id}:requests")
        settings.pop("JOBDIR", None)  # the queue lives in Redis
    return settings
