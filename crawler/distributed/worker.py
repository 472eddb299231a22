"""`zwgk worker`: one crawler process of a distributed run; it crawls from the shared queue and sends items on.

Each request's items reach the coordinator in the step that ends the request's flight (queue.FINISH), so a
worker killed at any moment leaves either the request in flight (requeued once its heartbeat expires) or its
items delivered, never neither."""

from __future__ import annotations

import json
import logging
import os
import pickle
import socket
import time
import uuid

from scrapy import signals
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
import redis
from twisted.internet import task

from crawler.distributed.keys import ACTIVE, ClusterError, RunKeys, connect
from crawler.distributed.state import redis_state
from crawler.runner import _quiet_expected_failures
from crawler.settings import crawl_settings
from crawler.spiders.site import GovSiteSpider, stop_after_first_bytes, stop_non_html_pages
from zwgk.core.config import profile_from_json

logger = logging.getLogger(__name__)

# An idle worker looks at the shared queue this often (Scrapy's engine looks every 5 s: fine alone, slow
# when the other workers' pages are what refills the queue).
POLL_SECONDS = 0.25


class ClusterSpider(GovSiteSpider):
    """GovSiteSpider with its state in Redis, no start requests of its own (the coordinator seeds them), and
    each callback's items sent with the end of its request's flight instead of through item pipelines."""

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        conf = crawler.settings.getdict("ZWGK_CLUSTER")
        spider.state = redis_state(connect(conf["redis_url"]), RunKeys(conf["token"]).state)
        return spider

    async def start(self):
        return
        yield  # an async generator with nothing in it: the queue in Redis is already seeded

    # A callback's requests go on at once (queued by SharedQueue.push before the next output is asked for); its
    # items go to the coordinator with the end of the request's flight — also when the callback fails (Scrapy
    # logs the failure; what it produced still counts, and the request is over).
    async def parse(self, response, **kwargs):
        items = []
        try:
            async for out in super().parse(response, **kwargs):
                if isinstance(out, Request):
                    yield out
                elif out is not None:
                    items.append(out)
        finally:
            self._finish(response.request, items)

    def on_error(self, failure):
        items = []
        try:
            for out in super().on_error(failure) or ():
                if isinstance(out, Request):
                    yield out
                elif out is not None:
                    items.append(out)
        finally:
            self._finish(failure.request, items)

    def _finish(self, request, items: list) -> None:
        self.shared_queue.finish(request, pickle.dumps(items, protocol=5) if items else b"")

    def _search_when_idle(self, spider=None):
        # one idle worker does not mean the site is done (another may still read its lists, and the query is
        # taken from them): the coordinator submits each site's search once its queue is empty
        return


class WorkerHeartbeat:
    """Says every second that this worker is alive; keeps an idle worker open while its run is running."""

    def __init__(self, crawler):
        self.crawler = crawler
        conf = crawler.settings.getdict("ZWGK_CLUSTER")
        self.conf = conf
        self.client = connect(conf["redis_url"])
        self.keys = RunKeys(conf["token"])
        self.worker = conf["worker"]
        self.ttl = int(conf["heartbeat_ttl"])
        self.exit_when_idle = bool(conf["exit_when_idle"])
        self.started = time.time()
        self.last_contact = time.monotonic()
        self.loop = None

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def beat(self) -> None:
        try:
            self._beat()
            self.last_contact = time.monotonic()
        except redis.RedisError as exc:
            # Redis gone (the run's server stopped, the network cut): give up after a while, never hang
            if time.monotonic() - self.last_contact > max(60, 3 * self.ttl):
                logger.error("工作进程与 Redis 失去联系超过 %d 秒，退出：%s", int(time.monotonic() - self.last_contact), exc)
                self.crawler.engine.close_spider(self.crawler.spider, "redis_lost")

    def _beat(self) -> None:
        stats = self.crawler.stats
        self.client.set(self.keys.worker(self.worker), json.dumps(dict(
            host=socket.gethostname(), pid=os.getpid(), started=self.started, at=time.time(),
            responses=stats.get_value("response_received_count", 0))), ex=self.ttl)
        self.client.sadd(self.keys.workers, self.worker)

    def spider_opened(self, spider=None):
        self.beat()
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(max(0.2, self.ttl / 4), now=False)

    def run_over(self) -> bool:
        status = self.client.hget(self.keys.meta, "status")
        return status is None or status != b"running"

    def spider_idle(self, spider=None):
        try:
            over = self.run_over()
        except redis.RedisError:
            over = time.monotonic() - self.last_contact > max(60, 3 * self.ttl)
        if self.exit_when_idle and over:
            return
        raise DontCloseSpider

    def spider_closed(self, spider=None, reason=None):
        if self.loop and self.loop.running:
            self.loop.stop()
        queue = getattr(spider or self.crawler.spider, "shared_queue", None)
        try:
            if queue is not None:
                queue.requeue(self.worker)   # a stopped worker's unfinished requests go back at once
            self.client.delete(self.keys.worker(self.worker))
            self.client.srem(self.keys.workers, self.worker)
        except redis.RedisError:
            pass   # Redis is gone: the coordinator requeues them once it is back and the heartbeat has expired


def join_run(client, version: str, fingerprint: str, wait_seconds: float) -> tuple[str, dict]:
    """The active run's token and meta, once there is one; refuses a run of another version or rule set."""
    deadline = time.monotonic() + wait_seconds
    while True:
        token = client.get(ACTIVE)
        if token is not None:
            token = token.decode()
            meta = {k.decode(): v.decode() for k, v in client.hgetall(RunKeys(token).meta).items()}
            if meta.get("status") == "running":
                break
        if time.monotonic() >= deadline:
            raise ClusterError("Redis 中没有进行中的分布式抓取运行：请先启动协调进程 zwgk crawl … --redis-url")
        time.sleep(0.3)
    if meta.get("version") != version or meta.get("fingerprint") != fingerprint:
        raise ClusterError(
            f"拒绝加入运行 {token}：本工作进程为 zwgk {version}（规则集 {fingerprint}），协调进程为 zwgk "
            f"{meta.get('version')}（规则集 {meta.get('fingerprint')}）。版本或规则集不一致的进程得出的快照不可比，"
            "请在所有机器上安装同一版本后再启动工作进程。")
    return token, meta


def worker_settings(profiles, run_id: int, redis_url: str, token: str, worker: str, heartbeat_ttl: float,
                    exit_when_idle: bool) -> dict:
    settings = crawl_settings(profiles, "", run_id, None)
    settings.update(
        SCHEDULER="crawler.distributed.queue.ClusterScheduler",
        ITEM_PIPELINES={},
        DOWNLOAD_HANDLERS={"http": "crawler.distributed.gate.ClusterDownloadHandler",
                           "https": "crawler.distributed.gate.ClusterDownloadHandler"},
        EXTENSIONS={**settings["EXTENSIONS"], "crawler.distributed.worker.WorkerHeartbeat": 600},
        ZWGK_CLUSTER=dict(redis_url=redis_url, token=token, worker=worker, heartbeat_ttl=heartbeat_ttl,
                          exit_when_idle=exit_when_idle),
    )
    return settings


def run_worker(redis_url: str, version: str, fingerprint: str, exit_when_idle: bool = True,
               join_seconds: float = 60.0) -> str:
    """Join the active run and crawl until it ends (or, without exit_when_idle, until stopped). Returns the
    run's token. Starts the Twisted reactor: once per process."""
    client = connect(redis_url)
    token, meta = join_run(client, version, fingerprint, join_seconds)
    profiles = [profile_from_json(text) for text in json.loads(meta["profiles"])]
    worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"
    settings = worker_settings(profiles, int(meta["run_id"]), redis_url, token, worker,
                               int(meta.get("heartbeat_ttl", 10)), exit_when_idle)
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = POLL_SECONDS
    process = CrawlerProcess(settings)
    _quiet_expected_failures()
    crawler = process.create_crawler(ClusterSpider)
    crawler.signals.connect(stop_after_first_bytes, signal=signals.bytes_received)
    crawler.signals.connect(stop_non_html_pages, signal=signals.headers_received)
    process.crawl(crawler, profiles=profiles, run_id=int(meta["run_id"]))
    process.start()
    return token
