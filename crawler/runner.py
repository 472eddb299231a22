"""run_crawl: one crawl run over many sites, resumable, recorded in the workspace store."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import date
from pathlib import Path
from urllib.parse import urljoin

from scrapy import signals
from scrapy.crawler import CrawlerProcess

from crawler.settings import crawl_settings
from crawler.spiders.site import GovSiteSpider, describe_failure, stop_after_first_bytes, stop_non_html_pages
from zwgk import __version__
from zwgk.core.config import SiteProfile, profile_from_json, profiles_hash
from zwgk.core.store import Store, StoreError

FINISHED_SITE_STATES = ("done", "unreachable", "failed")


def run_crawl(profiles: list[SiteProfile] | None, workspace: str | Path, as_of: date | None = None,
              resume: bool = False, progress: bool = False, incremental: bool = False) -> int:
    """Crawl the sites into a new run (or continue the unfinished one) and return its run id.

    Starts the Twisted reactor, so it runs once per process (the CLI commands are separate processes).
    A distributed crawl is crawler/distributed/coordinator.py.
    """
    workspace = Path(workspace)
    store = Store(workspace)
    try:
        run_id, profiles = _open_run(store, profiles, as_of, resume)
        jobdir = workspace / "jobs" / f"run-{run_id}"
        lock = jobdir / "crawl.pid"
        if resume and _previous_died(lock):
            # A killed process leaves the on-disk queue half-written; the stored rows are whole
            # (one transaction per batch) and rewriting them is harmless, so the unfinished sites start over.
            shutil.rmtree(jobdir, ignore_errors=True)
        jobdir.mkdir(parents=True, exist_ok=True)
        lock.write_text(str(os.getpid()))
        finished = start_sites(store, run_id, profiles)
    finally:
        store.close()

    settings = crawl_settings(profiles, str(workspace), run_id, str(jobdir), progress=progress,
                              incremental=incremental)
    process = CrawlerProcess(settings)
    _quiet_expected_failures()
    crawler = process.create_crawler(GovSiteSpider)
    close_reason: list[str] = []

    def on_closed(spider, reason):
        close_reason.append(reason)

    crawler.signals.connect(on_closed, signal=signals.spider_closed, weak=False)
    crawler.signals.connect(stop_after_first_bytes, signal=signals.bytes_received)
    crawler.signals.connect(stop_non_html_pages, signal=signals.headers_received)
    process.crawl(crawler, profiles=profiles, run_id=run_id, skip_sites=frozenset(finished))
    process.start()

    store = Store(workspace)
    try:
        completed = close_reason == ["finished"]
        for row in store.sites(run_id):
            if row["status"] in ("pending", "crawling") and completed:
                store.set_site_status(run_id, row["site_id"], "done")
        store.set_run_status(run_id, "done" if completed else "interrupted")
    finally:
        store.close()
    if completed:
        lock.unlink(missing_ok=True)
    else:
        lock.write_text("stopped")  # a clean stop: the queue on disk is whole and resumable
    return run_id


def _quiet_expected_failures() -> None:
    # Broken links are what we look for: they are recorded in the store, not logged as crawl errors.
    for name in ("scrapy.downloadermiddlewares.retry", "scrapy.core.downloader.handlers.http11",
                 "scrapy.downloadermiddlewares.redirect", "scrapy.downloadermiddlewares.httpcompression"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    robots = logging.getLogger("scrapy.downloadermiddlewares.robotstxt")
    if not any(isinstance(f, RobotsFailureLine) for f in robots.filters):
        robots.addFilter(RobotsFailureLine())


class RobotsFailureLine(logging.Filter):
    """A robots.txt that cannot be fetched is one line naming it and why, not a traceback: the crawl goes on
    as if it allowed everything (Scrapy's rule), and the pages' own failures are recorded in the store."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or not isinstance(record.args, dict) or "request" not in record.args:
            return True
        from twisted.python.failure import Failure

        url = getattr(record.args["request"], "url", "")
        robots = urljoin(url, "/robots.txt") if url else "robots.txt"
        failure = Failure(record.exc_info[1])
        failure.request = record.args["request"]   # robots.txt was asked with the same time limit
        why, _ = describe_failure(failure)
        record.msg, record.args = "robots.txt 无法获取（%s）：%s；按未限制处理，继续抓取", (robots, why)
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.exc_info = record.exc_text = None
        return True


def _open_run(store: Store, profiles: list[SiteProfile] | None, as_of: date | None,
              resume: bool) -> tuple[int, list[SiteProfile]]:
    store.interrupt_dead_runs()
    if not resume:
        if not profiles:
            raise StoreError("没有站点配置：请给出站点配置文件（PROFILE…）")
        run_id = store.create_run((as_of or date.today()).isoformat(), profiles_hash(profiles), __version__)
        return run_id, profiles
    run = store.unfinished_run()
    if run is None:
        raise StoreError(f"{store.path}: 没有可继续的抓取（所有运行均已完成）")
    stored = [profile_from_json(row["profile_json"]) for row in store.sites(run["run_id"])]
    if profiles and profiles_hash(profiles) != run["profiles_hash"]:
        raise StoreError(f"运行 {run['run_id']} 的站点配置与本次给出的不一致；继续抓取请不带配置文件或使用相同配置")
    return int(run["run_id"]), profiles or stored


def start_sites(store: Store, run_id: int, profiles: list[SiteProfile]) -> set[str]:
    """Register the run's sites (kept as they are when resuming), mark the run running; the sites already
    finished, which the crawl skips."""
    for p in profiles:
        store.register_site(run_id, p)
    finished = {row["site_id"] for row in store.sites(run_id) if row["status"] in FINISHED_SITE_STATES}
    store.set_run_status(run_id, "running")
    return finished


def _previous_died(lock: Path) -> bool:
    """True when the last crawl of this run ended without a clean stop (killed, crashed, power loss)."""
    if not lock.exists():
        return False
    text = lock.read_text().strip()
    if text == "stopped":
        return False
    if text.isdigit() and _alive(int(text)):
        raise StoreError(f"另一个抓取进程（PID {text}）正在处理此运行")
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != os.getpid()
