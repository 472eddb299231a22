"""The coordinator of a distributed run: registers it in Redis, seeds each site, writes the store (the one
writer), requeues the requests of dead workers, marks each site done and ends the run."""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import socket
import sys
import time
import uuid
from datetime import date
from pathlib import Path

from scrapy.http import Request

from crawler.distributed.gate import slot_book
from crawler.distributed.keys import ACTIVE, RUNS, ClusterError, RunKeys, connect, expire_run
from crawler.distributed.queue import SharedQueue
from crawler.distributed.state import redis_state
from crawler.fingerprints import RoleAwareFingerprinter
from crawler.pipelines import RecordStorePipeline
from crawler.runner import _open_run, start_sites
from crawler.settings import BASE_SETTINGS, site_slots
from crawler.spiders.site import GovSiteSpider
from zwgk.core.config import SiteProfile
from zwgk.core.store import Store

TICK = 0.2                 # seconds between two rounds of the coordinator's loop
ITEMS_PER_TICK = 2000      # item batches (one per request) taken from Redis per round at most


def run_coordinator(profiles: list[SiteProfile] | None, workspace: str | Path, redis_url: str, version: str,
                    fingerprint: str, as_of: date | None = None, resume: bool = False, progress: bool = False,
                    heartbeat_ttl: int = 10) -> int:
    """Coordinate one distributed run (or continue the unfinished one) until every site is done; returns the
    run id. Workers (`zwgk worker`) do the crawling; this process needs no reactor."""
    workspace = Path(workspace).resolve()
    client = connect(redis_url)
    store = Store(workspace)
    try:
        run_id, profiles = _open_run(store, profiles, as_of, resume)
        finished = start_sites(store, run_id, profiles)
    finally:
        store.close()
    pipeline = RecordStorePipeline(str(workspace), run_id, BASE_SETTINGS["ZWGK_BATCH_ROWS"],
                                   BASE_SETTINGS["ZWGK_BATCH_SECONDS"])
    coordinator = Coordinator(client, pipeline, profiles, run_id, str(workspace), finished, progress)
    coordinator.open(version, fingerprint, heartbeat_ttl)
    stop = {"asked": False}

    def ask_stop(*_):
        stop["asked"] = True

    previous = signal.signal(signal.SIGTERM, ask_stop)
    try:
        completed = coordinator.run(lambda: stop["asked"])
    except KeyboardInterrupt:
        completed = False
    finally:
        signal.signal(signal.SIGTERM, previous)
    coordinator.close(completed)
    return run_id


class Coordinator:
    def __init__(self, client, pipeline: RecordStorePipeline, profiles: list[SiteProfile], run_id: int,
                 workspace: str, finished: set[str], progress: bool):
        self.client = client
        self.pipeline = pipeline
        self.profiles = profiles
        self.run_id = run_id
        self.workspace = workspace
        self.active = [p.id for p in profiles if p.id not in finished]
        self.finished = set(finished)
        self.progress = progress
        self.slots = site_slots(profiles)
        self.keys: RunKeys | None = None
        self.queue: SharedQueue | None = None
        self.spider: GovSiteSpider | None = None
        self.heartbeat_ttl = 10
        self.last_report = time.monotonic()

    # ---- registration -------------------------------------------------------------------------------
    def open(self, version: str, fingerprint: str, heartbeat_ttl: int) -> None:
        """Join the run this workspace left unfinished in Redis, or register a new one and seed it."""
        self.heartbeat_ttl = heartbeat_ttl
        spider = GovSiteSpider(self.profiles, self.run_id, skip_sites=frozenset(self.finished))
        token = self.client.get(ACTIVE)
        if token is not None:
            token = token.decode()
            keys = RunKeys(token)
            meta = {k.decode(): v.decode() for k, v in self.client.hgetall(keys.meta).items()}
            if meta.get("workspace") == self.workspace and meta.get("run_id") == str(self.run_id):
                self._attach(keys, spider)
                self.client.hset(keys.meta, "coordinator", _me())
                print(f"继续分布式运行 {token}（工作区运行 {self.run_id}）", file=sys.stderr)
                return
            if self.client.exists(keys.coordinator):
                raise ClusterError(f"Redis 中已有进行中的分布式运行 {token}（工作区 {meta.get('workspace')}，"
                                   f"运行 {meta.get('run_id')}，协调进程 {meta.get('coordinator')}）：等它结束，"
                                   "或使用另一个 Redis 数据库")
            # its coordinator is gone and nobody resumed it: its keys only take room now
            expire_run(self.client, keys)
            self.client.delete(ACTIVE)
        token = f"{self.run_id}-{uuid.uuid4().hex[:10]}"
        keys = RunKeys(token)
        sites = [dict(id=p.id, slot=self.slots[p.id]["slot"], delay=self.slots[p.id]["delay"],
                      concurrency=self.slots[p.id]["concurrency"]) for p in self.profiles]
        self.client.hset(keys.meta, mapping=dict(
            token=token, workspace=self.workspace, run_id=self.run_id, version=version, fingerprint=fingerprint,
            status="running", started=time.time(), coordinator=_me(), heartbeat_ttl=heartbeat_ttl,
            sites=json.dumps(sites, ensure_ascii=False), profiles=json.dumps([p.to_json() for p in self.profiles])))
        self.client.sadd(RUNS, token)
        self._attach(keys, spider)
        self._seed(spider)
        self.client.set(ACTIVE, token)
        print(f"分布式运行 {token} 已登记：{len(self.active)} 个站点待抓取；启动工作进程：zwgk worker --redis-url …",
              file=sys.stderr)

    def _attach(self, keys: RunKeys, spider) -> None:
        self.keys = keys
        spider.state = redis_state(self.client, keys.state)   # the workers' state: the search reads its candidates
        self.spider = spider
        self.queue = SharedQueue(self.client, keys, spider, RoleAwareFingerprinter(None), worker="coordinator")
        self.beat()

    def _seed(self, spider) -> None:
        """Each site's start (its status, its homepage request) as a single-process crawl starts it."""
        async def collect():
            return [out async for out in spider.start()]

        for out in asyncio.run(collect()):
            if isinstance(out, Request):
                self.queue.push(out)
            else:
                self.pipeline.process_item(out)
        self.pipeline.flush()

    def beat(self) -> None:
        self.client.set(self.keys.coordinator, _me(), ex=self.heartbeat_ttl)

    # ---- the loop -----------------------------------------------------------------------------------
    def run(self, stop_asked) -> bool:
        """Until every site is done (True) or a stop is asked (False)."""
        self._take_items(self.keys.items + ":taken")   # what a killed coordinator had taken but not stored
        while self.active:
            if stop_asked():
                return False
            self.beat()
            pending = {k.decode(): int(v) for k, v in self.client.hgetall(self.keys.pending).items()}
            drained = self._take_items(self.keys.items)
            self._requeue_dead()
            # a site's items are sent in the step that ends its last request: all are stored once drained
            for site in [s for s in self.active if pending.get(s, 0) <= 0 and drained]:
                search = self.spider._search_request(site)
                if search is not None:
                    # the site's lists are all read: its search goes last, as in a single-process crawl
                    self.queue.push(search)
                    continue
                self._site_done(site)
            self._report()
            if self.active:
                time.sleep(TICK)
        return True

    def _take_items(self, source: str) -> bool:
        """Store the items workers sent; True when none are left. Batches move to a 'taken' list first and
        leave it only once stored, so a coordinator killed meanwhile stores them on restart (rows are keyed:
        storing one twice adds nothing)."""
        taken_key = self.keys.items + ":taken"
        if source == taken_key:
            blobs = self.client.lrange(taken_key, 0, -1)
        else:
            blobs = []
            while len(blobs) < ITEMS_PER_TICK:
                blob = self.client.lmove(source, taken_key, "LEFT", "RIGHT")
                if blob is None:
                    break
                blobs.append(blob)
        for blob in blobs:
            for item in pickle.loads(blob):
                self.pipeline.process_item(item)
        if blobs:
            self.pipeline.flush()
            self.client.delete(taken_key)
        return len(blobs) < ITEMS_PER_TICK

    def _requeue_dead(self) -> None:
        for raw in self.client.smembers(self.keys.workers):
            worker = raw.decode()
            if not self.client.exists(self.keys.worker(worker)):
                n = self.queue.requeue(worker)
                self.client.srem(self.keys.workers, worker)
                print(f"工作进程 {worker} 已失联（心跳超时）：{n} 个进行中的请求已放回队列", file=sys.stderr)

    def _site_done(self, site: str) -> None:
        """Queue empty and nothing in flight: the site is done. Its status and request figures are stored."""
        store = self.pipeline.store
        row = next(r for r in store.sites(self.run_id) if r["site_id"] == site)
        if row["status"] in ("pending", "crawling"):
            store.set_site_status(self.run_id, site, "done")
        cfg = self.slots[site]
        book = slot_book(self.client, self.keys, cfg["slot"])
        if book.get("requests") and site == min(s for s, c in self.slots.items() if c["slot"] == cfg["slot"]):
            store.add_request_stats([dict(
                run_id=self.run_id, site_id=site, slot=cfg["slot"], requests=int(book["requests"]),
                seconds=round(float(book["last"]) - float(book["first"]), 3),
                min_gap_ms=int(book["min_gap_ms"]) if "min_gap_ms" in book else None,
                max_concurrency=int(book.get("max_concurrency", 0)), rendered=0, delay=cfg["delay"],
                concurrency=cfg["concurrency"], reused=0, bytes_fetched=0, bytes_reused=0)])
        self.client.sadd(self.keys.done, site)
        self.active.remove(site)
        self.finished.add(site)
        pages = store.db.execute("SELECT COUNT(*) FROM pages WHERE run_id=? AND site_id=?",
                                 (self.run_id, site)).fetchone()[0]
        requests = self.client.hget(self.keys.finished, site)
        print(f"站点 {site} 完成：请求 {int(requests or 0)} 个，页面 {pages} 个（剩余 {len(self.active)} 个站点）",
              file=sys.stderr)

    def _report(self) -> None:
        if not self.progress or time.monotonic() - self.last_report < 10:
            return
        self.last_report = time.monotonic()
        pending = self.client.hgetall(self.keys.pending)
        finished = self.client.hgetall(self.keys.finished)
        workers = self.client.scard(self.keys.workers)
        for site in self.active:
            print(f"{site}：已完成请求 {int(finished.get(site.encode(), 0))}，排队或进行中 "
                  f"{int(pending.get(site.encode(), 0))}；工作进程 {workers} 个", file=sys.stderr)

    # ---- the end ------------------------------------------------------------------------------------
    def close(self, completed: bool) -> None:
        self.pipeline.close_spider()   # flush, settle page kinds and columns (as a local crawl ends), close
        store = Store(self.workspace)
        try:
            store.set_run_status(self.run_id, "done" if completed else "interrupted")
        finally:
            store.close()
        if not completed:
            print("协调进程已停止；工作进程继续抓取，用 zwgk crawl --resume --redis-url … 继续协调", file=sys.stderr)
            self.client.delete(self.keys.coordinator)
            return
        self.client.hset(self.keys.meta, mapping=dict(status="done", finished=time.time()))
        if self.client.get(ACTIVE) == self.keys.token.encode():
            self.client.delete(ACTIVE)
        expire_run(self.client, self.keys)


def _me() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
