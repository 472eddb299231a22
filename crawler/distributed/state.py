"""The spider's crawl state (pages admitted, columns found, trap counts, resources checked) kept in Redis.

GovSiteSpider keeps its state in one nested dict of counters, sets, lists and dicts (self.state); every worker
must see the same one, or two workers would each admit a site's max_pages and list a column twice. RedisState
behaves as that dict: containers are Redis sets, lists and hashes, scalars are pickled fields."""

from __future__ import annotations

import pickle
from collections.abc import Set

import redis

_SCALAR, _SET, _LIST, _DICT = b"v", b"S", b"L", b"D"


def _tag(value) -> bytes:
    if isinstance(value, (set, frozenset, Set)):
        return _SET
    if isinstance(value, list):
        return _LIST
    if isinstance(value, dict) or isinstance(value, RedisDict):
        return _DICT
    return _SCALAR


class RedisDict:
    """A dict in a Redis hash; a container value lives under its own key (path:name) and is returned as a proxy
    whose changes go to Redis, so `state["traps"].setdefault(k, []).append(q)` works as on a plain dict."""

    def __init__(self, client: redis.Redis, path: str, cache: dict | None = None):
        self.client = client
        self.path = path
        self._children = {} if cache is None else cache   # path -> proxy: a container never changes kind

    def _child(self, name: str, tag: bytes):
        path = f"{self.path}:{name}"
        proxy = self._children.get(path)
        if proxy is None:
            cls = {_SET: RedisSet, _LIST: RedisList, _DICT: RedisDict}[tag]
            proxy = self._children[path] = cls(self.client, path, self._children)
        return proxy

    def _decode(self, name: str, raw: bytes):
        tag, body = raw[:1], raw[1:]
        return pickle.loads(body) if tag == _SCALAR else self._child(name, tag)

    @staticmethod
    def _name(key) -> str:
        return key if isinstance(key, str) else "~" + pickle.dumps(key).hex()

    def get(self, key, default=None):
        raw = self.client.hget(self.path, self._name(key))
        return default if raw is None else self._decode(self._name(key), raw)

    def __getitem__(self, key):
        raw = self.client.hget(self.path, self._name(key))
        if raw is None:
            raise KeyError(key)
        return self._decode(self._name(key), raw)

    def __contains__(self, key) -> bool:
        return bool(self.client.hexists(self.path, self._name(key)))

    def __setitem__(self, key, value) -> None:
        name = self._name(key)
        tag = _tag(value)
        if tag == _SCALAR:
            self.client.hset(self.path, name, _SCALAR + pickle.dumps(value))
            return
        child = self._child(name, tag)
        child.clear()
        self.client.hset(self.path, name, tag)
        child._fill(value)

    def setdefault(self, key, default=None):
        """As dict.setdefault; atomic (HSETNX), and it never clears what another worker stored."""
        name = self._name(key)
        tag = _tag(default)
        stored = _SCALAR + pickle.dumps(default) if tag == _SCALAR else tag
        if self.client.hsetnx(self.path, name, stored):
            if tag != _SCALAR:
                self._child(name, tag)._fill(default)
            return default if tag == _SCALAR else self._child(name, tag)
        return self[key]

    def update(self, other=(), **kwargs) -> None:
        for k, v in dict(other, **kwargs).items():
            self[k] = v

    def _fill(self, value) -> None:
        for k, v in dict(value).items():
            if _tag(v) == _SCALAR:
                self[k] = v
            else:
                self.setdefault(k, v)

    def clear(self) -> None:
        for name, raw in self.client.hgetall(self.path).items():
            if raw[:1] != _SCALAR:
                self._child(name.decode(), raw[:1]).clear()
        self.client.delete(self.path)

    def keys(self):
        return [self._key(n) for n in self.client.hkeys(self.path)]

    def items(self):
        return [(self._key(n), self._decode(n.decode(), raw)) for n, raw in self.client.hgetall(self.path).items()]

    @staticmethod
    def _key(name: bytes):
        text = name.decode()
        return pickle.loads(bytes.fromhex(text[1:])) if text.startswith("~") else text

    def __iter__(self):
        return iter(self.keys())

    def __len__(self) -> int:
        return self.client.hlen(self.path)


class RedisSet(Set):
    """A set of picklable members in a Redis set. Members only ever join, so a member seen once is cached."""

    def __init__(self, client: redis.Redis, path: str, _cache=None):
        self.client = client
        self.path = path
        self._known: set = set()

    def __contains__(self, member) -> bool:
        if member in self._known:
            return True
        if self.client.sismember(self.path, pickle.dumps(member)):
            self._known.add(member)
            return True
        return False

    def add(self, member) -> bool:
        """Adds; True when the member is new to the whole cluster."""
        self._known.add(member)
        return bool(self.client.sadd(self.path, pickle.dumps(member)))

    def update(self, members) -> None:
        members = list(members)
        if members:
            self._known.update(members)
            self.client.sadd(self.path, *(pickle.dumps(m) for m in members))

    def _fill(self, value) -> None:
        self.update(value)

    def clear(self) -> None:
        self._known.clear()
        self.client.delete(self.path)

    def __iter__(self):
        return (pickle.loads(m) for m in self.client.smembers(self.path))

    def __len__(self) -> int:
        return self.client.scard(self.path)


class RedisList:
    """A short list (a trap's query variants) in a Redis list."""

    def __init__(self, client: redis.Redis, path: str, _cache=None):
        self.client = client
        self.path = path

    def append(self, value) -> None:
        self.client.rpush(self.path, pickle.dumps(value))

    def _fill(self, value) -> None:
        for v in value:
            self.append(v)

    def clear(self) -> None:
        self.client.delete(self.path)

    def __iter__(self):
        return (pickle.loads(v) for v in self.client.lrange(self.path, 0, -1))

    def __contains__(self, value) -> bool:
        return value in list(self)

    def __len__(self) -> int:
        return self.client.llen(self.path)


def redis_state(client: redis.Redis, key: str) -> RedisDict:
    """The whole spider state of one run (GovSiteSpider.state) under key."""
    return RedisDict(client, key)
