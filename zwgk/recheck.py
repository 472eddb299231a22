"""Re-fetch a run's suspected resources (timeouts, 5xx) alone, politely, and record what they answer now."""

from __future__ import annotations

import json
import queue
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from crawler.scope import is_private_address
from crawler.settings import USER_AGENT
from zwgk.core.store import Store, now_iso

READ_BYTES = 1024      # enough to know the server answers; the crawl already judged the content
ATTEMPTS = 2


@dataclass
class Recheck:
    url: str
    status: int | None
    outcome: str           # ok | broken | suspected
    error: str
    elapsed_ms: int


@dataclass(frozen=True)
class Politeness:
    """What a site's profile allows: the timeout, the delay between requests to a host, the private hosts."""

    timeout: float
    delay: float
    private_hosts: frozenset[str]
    host_map: dict


def targets(store: Store, run_id: int) -> list[tuple[str, Politeness]]:
    """The run's suspected resources, each with the politeness of (the first) site that links to it."""
    sites = {row["site_id"]: json.loads(row["profile_json"] or "{}") for row in store.sites(run_id)}
    out = []
    for row in store.db.execute(
            "SELECT r.url, (SELECT site_id FROM links l WHERE l.run_id=r.run_id AND l.url=r.url LIMIT 1) AS site_id"
            " FROM resources r WHERE r.run_id=? AND r.outcome='suspected' ORDER BY r.url", (run_id,)):
        profile = sites.get(row["site_id"]) or next(iter(sites.values()), {})
        limits = profile.get("limits") or {}
        out.append((row["url"], Politeness(
            timeout=float(limits.get("timeout", 15.0)), delay=float(limits.get("delay", 0.25)),
            private_hosts=frozenset(str(h).lower() for h in profile.get("allow_private_hosts") or ()),
            host_map={str(k).lower(): str(v) for k, v in (profile.get("host_map") or {}).items()})))
    return out


class _RefusePrivateRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, politeness: Politeness):
        self.politeness = politeness

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        host = (urlsplit(newurl).hostname or "").lower()
        if host not in self.politeness.private_hosts and is_private_address(host):
            raise urllib.error.URLError(f"重定向到内网地址 {host}，未跟随")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _connect_url(url: str, host_map: dict) -> tuple[str, str]:
    """(URL to connect to, Host header): a host_map entry moves the connection only, as the crawl does."""
    parts = urlsplit(url)
    netloc = parts.netloc.lower()
    host = (parts.hostname or "").lower()
    target = host_map.get(netloc) or host_map.get(host)
    if not target:
        return url, ""
    if ":" not in target and parts.port:
        target = f"{target}:{parts.port}"
    return urlunsplit((parts.scheme, target, parts.path, parts.query, "")), parts.netloc


def fetch(url: str, politeness: Politeness) -> Recheck:
    """One resource fetched again (GET, first bytes only): ok for 2xx/3xx, broken for 4xx, suspected otherwise."""
    host = (urlsplit(url).hostname or "").lower()
    if host not in politeness.private_hosts and host not in politeness.host_map and is_private_address(host):
        return Recheck(url, None, "suspected", f"内网地址 {host}，未复查", 0)
    connect, host_header = _connect_url(url, politeness.host_map)
    opener = urllib.request.build_opener(_RefusePrivateRedirects(politeness))
    last = Recheck(url, None, "suspected", "", 0)
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(politeness.delay)
        request = urllib.request.Request(connect, headers={"User-Agent": USER_AGENT,
                                                           **({"Host": host_header} if host_header else {})})
        started = time.monotonic()
        try:
            with opener.open(request, timeout=politeness.timeout) as response:
                response.read(READ_BYTES)
                status = response.status
            return Recheck(url, status, "ok", "", int((time.monotonic() - started) * 1000))
        except urllib.error.HTTPError as exc:
            elapsed = int((time.monotonic() - started) * 1000)
            if exc.code < 500:
                return Recheck(url, exc.code, "broken", "", elapsed)
            last = Recheck(url, exc.code, "suspected", f"HTTP {exc.code}", elapsed)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            text = "请求超时" if "timed out" in str(reason) else str(reason)
            last = Recheck(url, None, "suspected", text, int((time.monotonic() - started) * 1000))
    return last


HOSTS_AT_ONCE = 16     # hosts rechecked side by side; each host still sees one request at a time


def recheck_run(store: Store, run_id: int, progress=None, hosts_at_once: int = HOSTS_AT_ONCE) -> list[Recheck]:
    """Fetch every suspected resource of a run again and record it: one request at a time per host at the
    profile's delay, several hosts side by side (a province's timeouts, one after another, would take hours).

    Each result is stored as it arrives, so an interrupted recheck keeps what it fetched."""
    by_host: dict[str, list[tuple[str, Politeness]]] = {}
    for url, politeness in targets(store, run_id):
        by_host.setdefault(urlsplit(url).netloc, []).append((url, politeness))
    arrived: queue.Queue[Recheck] = queue.Queue()

    def one_host(items: list[tuple[str, Politeness]]) -> None:
        for i, (url, politeness) in enumerate(items):
            if i:
                time.sleep(politeness.delay)
            try:
                arrived.put(fetch(url, politeness))
            except Exception as exc:  # noqa: BLE001 — e.g. a malformed status line: the count must still complete
                arrived.put(Recheck(url, None, "suspected", f"{type(exc).__name__}: {exc}"[:200], 0))

    results = []
    with ThreadPoolExecutor(max_workers=max(1, min(hosts_at_once, len(by_host)))) as pool:
        for items in by_host.values():
            pool.submit(one_host, items)
        for _ in range(sum(len(items) for items in by_host.values())):
            result = arrived.get()
            store.write_rows("rechecks", [dict(run_id=run_id, url=result.url, checked_at=now_iso(),
                                               status=result.status, outcome=result.outcome, error=result.error,
                                               elapsed_ms=result.elapsed_ms)])
            results.append(result)
            if progress:
                progress(result)
    return sorted(results, key=lambda r: r.url)
