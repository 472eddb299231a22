"""The shared request queue: scrapy-redis's priority queue, with every request popped recorded as in flight.

scrapy-redis 0.9.1 pops a request and forgets it (a worker killed mid-request loses it), keys its dupefilter on
URL+method+body (our RoleAwareFingerprinter is ignored, so a column reached first as a page is never read as a
column) and counts nothing per site. Here one Lua script per step keeps, atomically: the dupefilter (our
fingerprints), the queue, each worker's in-flight hash, and per site the requests queued or in flight
('pending': 0 means the site is done) and finished."""

from __future__ import annotations

import logging
import pickle
import zlib

from scrapy import signals
from scrapy.core.scheduler import BaseScheduler
from scrapy_redis.queue import PriorityQueue

from crawler.distributed.keys import RunKeys, connect

logger = logging.getLogger(__name__)

FLIGHT_META = "zwgk_flight"   # request.meta: the in-flight id of the popped request this one came from

# member = 12-digit sequence (FIFO among equal priorities, and two equal requests stay two) + site + "\n" + data
ENQUEUE = """
local queued = 0
if ARGV[2] == '1' or redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  local seq = redis.call('INCR', KEYS[6])
  redis.call('ZADD', KEYS[2], ARGV[3], string.format('%012d', seq) .. ARGV[5] .. '\\n' .. ARGV[4])
  redis.call('HINCRBY', KEYS[3], ARGV[5], 1)
  queued = 1
end
if ARGV[6] ~= '' and redis.call('HDEL', KEYS[4], ARGV[6]) == 1 then
  redis.call('HINCRBY', KEYS[3], ARGV[7], -1)
  redis.call('HINCRBY', KEYS[5], ARGV[7], 1)
end
return queued
"""

POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, r[2] .. '\\n' .. r[1])
return {id, r[1]}
"""

# the request's output (items) reaches the coordinator's list in the same step that ends the flight
FINISH = """
if ARGV[3] ~= '' then redis.call('RPUSH', KEYS[4], ARGV[3]) end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
  redis.call('HINCRBY', KEYS[3], ARGV[2], 1)
  return 1
end
return 0
"""

REQUEUE = """
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local v = all[i + 1]
  local nl = string.find(v, '\\n', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(v, 1, nl - 1), string.sub(v, nl + 1))
end
redis.call('DEL', KEYS[1])
return #all / 2
"""


class CompressedPickle:
    """scrapy-redis serializer: a request's dict pickled and deflated (a zwgk request carries its column and
    context in meta: about a third of the bytes once compressed, and the queue of a province is long)."""

    @staticmethod
    def dumps(obj) -> bytes:
        return zlib.compress(pickle.dumps(obj, protocol=5), 1)

    @staticmethod
    def loads(data: bytes):
        return pickle.loads(zlib.decompress(data))


class SharedQueue:
    """The run's queue, dupefilter and flight book, for the coordinator (seeding, requeueing) and the workers."""

    def __init__(self, client, keys: RunKeys, spider, fingerprinter, worker: str = ""):
        self.client = client
        self.keys = keys
        self.worker = worker
        self.fingerprinter = fingerprinter
        self.codec = PriorityQueue(client, spider, keys.requests, CompressedPickle)  # scrapy-redis's request codec
        self._enqueue = client.register_script(ENQUEUE)
        self._pop = client.register_script(POP)
        self._finish = client.register_script(FINISH)
        self._requeue = client.register_script(REQUEUE)

    def push(self, request) -> bool:
        """Queue a request unless the dupefilter has seen it; a request a middleware made from a popped one
        (retry, redirect) ends that one's flight in the same step. True when queued."""
        k = self.keys
        old = request.meta.pop(FLIGHT_META, None)
        old_site = old[1] if old else ""
        site = (request.meta.get("zwgk") or {}).get("site", "")
        fp = self.fingerprinter.fingerprint(request).hex()
        data = self.codec._encode_request(request)
        return bool(self._enqueue(
            keys=[k.dupefilter, k.requests, k.pending, k.inflight(self.worker), k.finished, k.sequence],
            args=[fp, "1" if request.dont_filter else "0", -request.priority, data, site,
                  old[0] if old else "", old_site]))

    def pop(self):
        got = self._pop(keys=[self.keys.requests, self.keys.inflight(self.worker), self.keys.flights])
        if not got:
            return None
        flight, member = got
        site, data = member[12:].split(b"\n", 1)
        request = self.codec._decode_request(data)
        request.meta[FLIGHT_META] = (flight.decode() if isinstance(flight, bytes) else str(flight), site.decode())
        return request

    def finish(self, request, items_blob: bytes = b"") -> bool:
        """The request's callback is over: its items go to the coordinator and its flight ends, in one step."""
        flight = request.meta.get(FLIGHT_META)
        if flight is None:
            if items_blob:
                self.client.rpush(self.keys.items, items_blob)
            return False
        k = self.keys
        return bool(self._finish(keys=[k.inflight(self.worker), k.pending, k.finished, k.items],
                                 args=[flight[0], flight[1], items_blob]))

    def requeue(self, worker: str) -> int:
        """Every request in flight at `worker` back to the queue (it died, or it is closing)."""
        return int(self._requeue(keys=[self.keys.inflight(worker), self.keys.requests]))

    def __len__(self) -> int:
        return self.client.zcard(self.keys.requests)


class ClusterScheduler(BaseScheduler):
    """Scrapy's scheduler interface over the SharedQueue (settings ZWGK_CLUSTER: redis_url, token, worker)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.conf = crawler.settings.getdict("ZWGK_CLUSTER")
        self.queue: SharedQueue | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open(self, spider):
        client = connect(self.conf["redis_url"])
        self.queue = SharedQueue(client, RunKeys(self.conf["token"]), spider, self.crawler.request_fingerprinter,
                                 worker=self.conf["worker"])
        spider.shared_queue = self.queue

    def close(self, reason):
        pass

    def has_pending_requests(self) -> bool:
        return len(self.queue) > 0

    def enqueue_request(self, request) -> bool:
        queued = self.queue.push(request)
        stats = self.crawler.stats
        if queued:
            stats.inc_value("scheduler/enqueued/redis")
        else:
            self.crawler.signals.send_catch_log(signals.request_dropped, request=request, spider=self.crawler.spider)
        return queued

    def next_request(self):
        request = self.queue.pop()
        if request is not None:
            self.crawler.stats.inc_value("scheduler/dequeued/redis")
        return request

    def __len__(self) -> int:
        return len(self.queue)
