"""Politeness for the whole cluster: each site's concurrency and delay held by a lease book in Redis.

Scrapy's slots and AutoThrottle, and zwgk's own SiteGate (crawler/download.py), count one process: with four
workers a site asking for 2 at once got 8. Here a request of a site's slot starts only when the slot's lease
set (expiring, so a killed worker's leases free themselves) has room and the profile's delay has passed since
the last start and the last answer anywhere in the cluster; the clock is Redis's own (TIME), one for all machines."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import task

from crawler.distributed.keys import RunKeys, connect
from crawler.download import SiteDownloadHandler, reactor_

# KEYS: leases (zset lease -> expiry), book (hash). ARGV: concurrency, delay, lease ttl, lease id.
# Returns '0' when the lease is granted, else the seconds to wait before asking again.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[1]) then return '0.03' end
local mark = tonumber(redis.call('HGET', KEYS[2], 'mark') or '0')
local wait = mark + tonumber(ARGV[2]) - now
if wait > 0 then return string.format('%.4f', wait) end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('HSET', KEYS[2], 'mark', string.format('%.6f', now))
local prev = redis.call('HGET', KEYS[2], 'last')
if prev then
  local gap = math.floor((now - tonumber(prev)) * 1000)
  local low = redis.call('HGET', KEYS[2], 'min_gap_ms')
  if not low or gap < tonumber(low) then redis.call('HSET', KEYS[2], 'min_gap_ms', gap) end
else
  redis.call('HSET', KEYS[2], 'first', string.format('%.6f', now))
end
redis.call('HSET', KEYS[2], 'last', string.format('%.6f', now))
redis.call('HINCRBY', KEYS[2], 'requests', 1)
local most = tonumber(redis.call('HGET', KEYS[2], 'max_concurrency') or '0')
if n + 1 > most then redis.call('HSET', KEYS[2], 'max_concurrency', n + 1) end
return '0'
"""

# the delay also runs from the end of a request (as SiteGate): a start can reach the site late, never after
# its answer came back
RELEASE = """
redis.call('ZREM', KEYS[1], ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mark = tonumber(redis.call('HGET', KEYS[2], 'mark') or '0')
if now > mark then redis.call('HSET', KEYS[2], 'mark', string.format('%.6f', now)) end
return 1
"""

# A request the browser makes during a render (the page itself holds a lease): its start is booked at least the
# delay after the last start or answer, as SiteGate.reserve does in one process. Returns the seconds to wait.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mark = tonumber(redis.call('HGET', KEYS[1], 'mark') or '0')
local start = math.max(now, mark + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'mark', string.format('%.6f', start))
redis.call('HINCRBY', KEYS[1], 'requests', 1)
return string.format('%.4f', start - now)
"""

# the browser's request is over: the next start waits the delay from now
FINISHED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local mark = tonumber(redis.call('HGET', KEYS[1], 'mark') or '0')
if now > mark then redis.call('HSET', KEYS[1], 'mark', string.format('%.6f', now)) end
return 1
"""

LEASE_MARGIN = 10.0   # seconds a lease outlives its request's timeout (a killed worker's lease then frees itself)


class ClusterGate:
    """acquire/release of one request's lease on a slot."""

    def __init__(self, client, keys: RunKeys):
        self.keys = keys
        self._acquire = client.register_script(ACQUIRE)
        self._release = client.register_script(RELEASE)
        self._reserve = client.register_script(RESERVE)
        self._finished = client.register_script(FINISHED)

    def reserve(self, slot: str, delay: float) -> float:
        return float(self._reserve(keys=[self.keys.gate(slot)], args=[delay]))

    def finished(self, slot: str) -> None:
        self._finished(keys=[self.keys.gate(slot)])

    async def acquire(self, slot: str, concurrency: int, delay: float, timeout: float) -> str:
        lease = uuid.uuid4().hex
        book = self.keys.gate(slot)
        while True:
            wait = float(self._acquire(keys=[book + ":leases", book],
                                       args=[max(1, concurrency), delay, timeout + LEASE_MARGIN, lease]))
            if wait <= 0:
                return lease
            await maybe_deferred_to_future(task.deferLater(reactor_(), min(wait, 1.0)))

    def release(self, slot: str, lease: str) -> None:
        book = self.keys.gate(slot)
        self._release(keys=[book + ":leases", book], args=[lease])


def slot_book(client, keys: RunKeys, slot: str) -> dict:
    """What the cluster gate recorded for a slot: requests, first/last start, smallest gap, most at once."""
    raw = client.hgetall(keys.gate(slot))
    return {k.decode(): v.decode() for k, v in raw.items()}


class ClusterDownloadHandler(SiteDownloadHandler):
    """SiteDownloadHandler whose per-site gate is the cluster's (ClusterGate) instead of this process's."""

    def __init__(self, crawler):
        super().__init__(crawler)
        conf = crawler.settings.getdict("ZWGK_CLUSTER")
        self.cluster_gate = ClusterGate(connect(conf["redis_url"]), RunKeys(conf["token"]))

    def _gate(self, key: str):
        return None   # the cluster gate below replaces the per-process one

    def _admit(self, url: str, resource_type: str, site: str | None):
        """A request of the browser during a render: SiteDownloadHandler's checks, then the cluster's booking."""
        verdict = super()._admit(url, resource_type, site)   # no local gate: 0.0 unless refused
        if isinstance(verdict, str):
            return verdict
        owner = self.guard.owner(url, site)
        if owner is None:
            return verdict
        key = self.guard.sites[owner]["slot"]
        return self.cluster_gate.reserve(key, self._delay(key)) if key in self.slot_settings else verdict

    def _finished(self, url: str, site: str | None) -> None:
        owner = self.guard.owner(url, site)
        if owner is not None and self.guard.sites[owner]["slot"] in self.slot_settings:
            self.cluster_gate.finished(self.guard.sites[owner]["slot"])

    async def download_request(self, request):
        key = request.meta.get("download_slot") or urlsplit(request.url).netloc
        conf = self.slot_settings.get(key)
        if conf is None:
            return await super().download_request(request)
        timeout = float(request.meta.get("download_timeout") or 15)
        lease = await self.cluster_gate.acquire(key, int(conf["concurrency"]), self._delay(key), timeout)
        try:
            return await super().download_request(request)
        finally:
            self.cluster_gate.release(key, lease)
