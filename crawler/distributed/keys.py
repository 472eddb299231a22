"""The Redis keys of a distributed run, in one place, with how long each lives (docs/scale.md lists them)."""

from __future__ import annotations

import redis

ACTIVE = "zwgk:active"      # the token of the run workers join (deleted when the run ends)
RUNS = "zwgk:runs"          # tokens of recent runs (`zwgk status`; pruned once their meta has expired)
# after a run ends its small keys (meta, counts) stay this long for `zwgk status`; the bulky ones
# (queue, dupefilter, spider state, items) are deleted at once
FINISHED_TTL = 24 * 3600
BULKY = ("requests", "dupefilter", "state", "items", "gate", "inflight", "flights")


class RunKeys:
    """Key names of one run: zwgk:run:<token>:<part>."""

    def __init__(self, token: str):
        self.token = token
        self.prefix = f"zwgk:run:{token}"

    def __getattr__(self, part: str) -> str:
        if part.startswith("_"):
            raise AttributeError(part)
        return f"{self.prefix}:{part}"

    def inflight(self, worker: str) -> str:
        return f"{self.prefix}:inflight:{worker}"

    def worker(self, worker: str) -> str:
        return f"{self.prefix}:worker:{worker}"

    def gate(self, slot: str) -> str:
        return f"{self.prefix}:gate:{slot}"


def connect(url: str) -> redis.Redis:
    """A client for URL; a clear message when Redis cannot be reached."""
    client = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=10, health_check_interval=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise ClusterError(f"无法连接 Redis（{url}）：{exc}") from None
    return client


class ClusterError(Exception):
    """A distributed-crawl problem the evaluator must fix (Redis unreachable, a worker of another version ...)."""


def expire_run(client: redis.Redis, keys: RunKeys, ttl: int = FINISHED_TTL) -> int:
    """A finished run: delete its bulky keys, give the rest an expiry. Returns how many keys were touched."""
    touched = 0
    for key in client.scan_iter(match=keys.prefix + ":*", count=1000):
        part = key.decode()[len(keys.prefix) + 1:].split(":", 1)[0]
        if part in BULKY:
            client.delete(key)
        else:
            client.expire(key, ttl)
        touched += 1
    return touched
