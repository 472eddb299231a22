"""Availability probes (站点无法访问, 首页可用性): each homepage fetched on a jittered schedule, every outcome stored."""

from __future__ import annotations

import fcntl
import http.client
import hashlib
import heapq
import math
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit

from zwgk import __version__
from zwgk.core.store import Store, StoreError

DAY = 86400.0
MAX_BODY = 4 * 1024 * 1024     # a homepage larger than this has opened: stop reading
LOCK_FILE = "probe.lock"
USER_AGENT = f"zwgk-probe/{__version__} (availability monitor)"


@dataclass(frozen=True)
class ProbeTarget:
    site_id: str
    url: str
    connect: str = ""       # address[:port] to connect to instead of the URL's host (the profile's host_map)

    @classmethod
    def of(cls, profile) -> "ProbeTarget":
        """A site profile's homepage, connected through its host_map as the crawl is."""
        parts = urlsplit(profile.homepage)
        host_map = profile.host_map or {}
        connect = host_map.get(parts.netloc.lower()) or host_map.get((parts.hostname or "").lower()) or ""
        return cls(profile.id, profile.homepage, connect)

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


@dataclass(frozen=True)
class Campaign:
    """A probing window: slot k of a site is due at started + (k + jitter) × slot length."""

    campaign_id: int
    started: float          # epoch seconds
    days: float
    per_day: int
    day_seconds: float
    timeout_s: float

    @property
    def slot_seconds(self) -> float:
        return self.day_seconds / self.per_day

    @property
    def total_slots(self) -> int:
        return int(round(self.days * self.per_day))

    @property
    def ends(self) -> float:
        return self.started + self.total_slots * self.slot_seconds

    @property
    def compressed(self) -> bool:
        return self.day_seconds < DAY

    def jitter(self, site_id: str, slot: int) -> float:
        # where in its slot a site is probed: stable across restarts, different per site and slot, so
        # probes spread over the day and many sites never start at the same instant
        h = hashlib.sha1(f"{self.campaign_id}:{site_id}:{slot}".encode()).digest()
        return 0.05 + 0.9 * int.from_bytes(h[:4], "big") / 2 ** 32

    def due(self, site_id: str, slot: int) -> float:
        return self.started + (slot + self.jitter(site_id, slot)) * self.slot_seconds

    def slot_at(self, when: float) -> int:
        return max(0, math.floor((when - self.started) / self.slot_seconds))


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    status: int | None
    elapsed_ms: int
    error: str = ""


def probe_url(url: str, timeout: float, connect: str = "") -> ProbeResult:
    """Fetch a homepage once: it opened when a 2xx (after redirects) body was read within `timeout` seconds.

    With `connect`, the request goes to that address with the URL's own host in the Host header (host_map)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    headers = {"User-Agent": USER_AGENT}
    if connect:
        parts = urlsplit(url)
        headers["Host"] = parts.netloc
        url = parts._replace(netloc=connect).geturl()
    start = time.monotonic()
    status: int | None = None

    def elapsed() -> int:
        return int((time.monotonic() - start) * 1000)

    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            status = resp.status
            read = 0
            while read < MAX_BODY:
                if time.monotonic() - start > timeout:
                    return ProbeResult(False, status, elapsed(), f"超过{timeout:g}秒未打开")
                chunk = resp.read(65536)
                if not chunk:
                    break
                read += len(chunk)
    except urllib.error.HTTPError as exc:
        return ProbeResult(False, exc.code, elapsed(), f"HTTP {exc.code}")
    except (socket.timeout, TimeoutError):
        return ProbeResult(False, status, elapsed(), f"超过{timeout:g}秒未打开")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return ProbeResult(False, status, elapsed(), f"超过{timeout:g}秒未打开")
        return ProbeResult(False, status, elapsed(), f"无法连接：{reason}"[:300])
    except (OSError, http.client.HTTPException) as exc:   # reset mid-body, malformed answer
        return ProbeResult(False, status, elapsed(), f"{type(exc).__name__}: {exc}"[:300])
    ms = elapsed()
    if ms > timeout * 1000:
        return ProbeResult(False, status, ms, f"超过{timeout:g}秒未打开")
    if status is None or not 200 <= status < 300:
        return ProbeResult(False, status, ms, f"HTTP {status}")
    return ProbeResult(True, status, ms)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _epoch(iso: str) -> float:
    return datetime.strptime(iso.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()


def open_campaign(store: Store, days: float, per_day: int, day_seconds: float, timeout_s: float,
                  now: float | None = None) -> tuple[Campaign, bool]:
    """The unfinished campaign of the store (resumed, its own settings kept) or a new one; True when resumed."""
    now = time.time() if now is None else now
    row = store.db.execute("SELECT * FROM probe_campaigns WHERE finished_at IS NULL"
                           " ORDER BY campaign_id DESC LIMIT 1").fetchone()
    if row is not None:
        c = Campaign(row["campaign_id"], _epoch(row["started_at"]), row["days"], row["per_day"],
                     row["day_seconds"], row["timeout_s"])
        if c.ends > now:
            return c, True
        close_campaign(store, c)
    if per_day < 1 or days <= 0 or day_seconds <= 0 or timeout_s <= 0:
        raise StoreError("监测参数无效：每天次数、天数、一天的秒数和超时都须大于0")
    with store.transaction() as db:
        cur = db.execute("INSERT INTO probe_campaigns (started_at, days, per_day, day_seconds, timeout_s)"
                         " VALUES (?,?,?,?,?)", (_iso(now), days, per_day, day_seconds, timeout_s))
    # the start as stored, so a resumed campaign schedules exactly the same slots
    return Campaign(int(cur.lastrowid), _epoch(_iso(now)), days, per_day, day_seconds, timeout_s), False


def close_campaign(store: Store, campaign: Campaign) -> None:
    with store.transaction() as db:
        db.execute("UPDATE probe_campaigns SET finished_at=? WHERE campaign_id=? AND finished_at IS NULL",
                   (_iso(time.time()), campaign.campaign_id))


def last_slots(store: Store, campaign: Campaign) -> dict[str, int]:
    return {r[0]: r[1] for r in store.db.execute(
        "SELECT site_id, max(slot) FROM probes WHERE campaign_id=? GROUP BY site_id", (campaign.campaign_id,))}


def record(store: Store, campaign: Campaign, target: ProbeTarget, slot: int, at: float, result: ProbeResult) -> bool:
    """Store one probe at once (a probe is never lost to a later crash); False when its slot was already stored."""
    with store.transaction() as db:
        cur = db.execute(
            "INSERT OR IGNORE INTO probes (campaign_id, site_id, slot, url, at, ok, status, elapsed_ms, error)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (campaign.campaign_id, target.site_id, slot, target.url, _iso(at), int(result.ok), result.status,
             result.elapsed_ms, result.error))
    return cur.rowcount == 1


@dataclass
class ProbeStats:
    probes: int = 0
    failed: int = 0
    skipped_slots: int = 0   # slots that passed while no prober ran (not probed late: that would burst)


class Prober:
    """Runs a campaign for many sites from one thread pool; one probe at a time per host, spaced by host_gap."""

    def __init__(self, store: Store, campaign: Campaign, targets: Iterable[ProbeTarget], concurrency: int = 32,
                 host_gap: float | None = None, fetch: Callable[[str, float], ProbeResult] = probe_url,
                 log: Callable[[str], None] = lambda _m: None):
        self.store, self.campaign, self.fetch, self.log = store, campaign, fetch, log
        self.targets = {t.site_id: t for t in targets}
        self.concurrency = max(1, concurrency)
        # a real day: 2 s between two probes of one host; a compressed day shrinks the gap with it
        self.host_gap = host_gap if host_gap is not None else 2.0 * campaign.day_seconds / DAY
        self.stats = ProbeStats()

    def _first_slots(self, now: float, once: bool) -> list[tuple[float, str, int]]:
        done = last_slots(self.store, self.campaign)
        current = self.campaign.slot_at(now)
        queue = []
        for site_id in sorted(self.targets):
            last = done.get(site_id, -1)
            if once:
                if last >= current or current >= self.campaign.total_slots:
                    continue
                queue.append((now, site_id, current))
                continue
            nxt = max(last + 1, current)
            self.stats.skipped_slots += max(0, nxt - last - 1)
            if nxt < self.campaign.total_slots:
                queue.append((max(self.campaign.due(site_id, nxt), now), site_id, nxt))
        heapq.heapify(queue)
        return queue

    def run(self, once: bool = False, clock: Callable[[], float] = time.time,
            sleep: Callable[[float], None] = time.sleep) -> ProbeStats:
        """Probe until the campaign ends (or, with once, each site's current slot a single time)."""
        queue = self._first_slots(clock(), once)
        host_free: dict[str, float] = {}
        running: dict[Future, tuple[str, int, float]] = {}
        busy_hosts: set[str] = set()
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="zwgk-probe") as pool:
            while queue or running:
                now = clock()
                while queue and queue[0][0] <= now and len(running) < self.concurrency:
                    due, site_id, slot = heapq.heappop(queue)
                    target = self.targets[site_id]
                    host = target.host
                    if host in busy_hosts or host_free.get(host, 0.0) > now:
                        later = max(host_free.get(host, 0.0), now + max(min(self.host_gap, 0.5), 0.01))
                        heapq.heappush(queue, (later, site_id, slot))
                        continue
                    busy_hosts.add(host)
                    extra = {"connect": target.connect} if target.connect else {}
                    running[pool.submit(self.fetch, target.url, self.campaign.timeout_s, **extra)] = (site_id, slot, now)
                if running:
                    full = len(running) >= self.concurrency
                    wake = None if full or not queue else min(max(queue[0][0] - clock(), 0.005), 1.0)
                    finished, _ = wait(list(running), timeout=wake, return_when=FIRST_COMPLETED)
                elif queue:
                    sleep(max(0.0, min(queue[0][0] - clock(), 1.0)))
                    continue
                else:
                    break
                for fut in finished:
                    site_id, slot, started = running.pop(fut)
                    target = self.targets[site_id]
                    busy_hosts.discard(target.host)
                    host_free[target.host] = clock() + self.host_gap
                    try:
                        result = fut.result()
                    except Exception as exc:
                        # our own error, not the site's: storing it as a failed probe could veto the site
                        self.log(f"{site_id} 第{slot + 1}次监测未完成（程序错误，不计入）：{type(exc).__name__}: {exc}")
                        result = None
                    if result is not None and record(self.store, self.campaign, target, slot, started, result):
                        self.stats.probes += 1
                        self.stats.failed += 0 if result.ok else 1
                        if not result.ok:
                            self.log(f"{site_id} 第{slot + 1}次监测失败：{result.error}")
                    nxt = slot + 1
                    if not once and nxt < self.campaign.total_slots:
                        heapq.heappush(queue, (max(self.campaign.due(site_id, nxt), clock()), site_id, nxt))
        if not once:   # every slot of every site is done
            close_campaign(self.store, self.campaign)
        return self.stats


class ProberBusy(StoreError):
    """Another prober holds this workspace."""


def prober_lock(workspace: str | Path):
    """One prober per workspace (crawls and checks may run beside it: they take the writer lock, not this)."""
    folder = Path(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / LOCK_FILE, "a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ProberBusy(f"工作区 {folder} 已有一个 zwgk probe 进程在运行") from None
    return handle
