"""SiteDownloadHandler: HTTP(S) with host_map, headless rendering of script-built pages, request times per site."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, task, threads

from crawler.middlewares import OutboundGuardMiddleware
from crawler.render import RENDER_RESOURCE_TYPES, RenderError, render_page
from zwgk.core.chromium import Chromium, chromium_path
from crawler.scope import HostMap

RENDER_META = "zwgk_render"   # request.meta key: fetch this page through the browser


class RequestClock:
    """Per politeness slot: requests started, first/last start, the smallest gap and the most in flight.

    Kept in the crawl's stats (zwgk/slot/<slot>/...) so the summary shows the rate each site saw."""

    def __init__(self, stats):
        self.stats = stats
        self.last: dict[str, float] = {}
        self.inflight: dict[str, int] = {}

    def started(self, slot: str, at: float | None = None) -> None:
        at = time.monotonic() if at is None else at
        prefix = f"zwgk/slot/{slot}/"
        if slot in self.last:
            self.stats.min_value(prefix + "min_gap_ms", int((at - self.last[slot]) * 1000))
        else:
            self.stats.set_value(prefix + "first", at)
        self.last[slot] = max(at, self.last.get(slot, at))
        self.stats.set_value(prefix + "last", self.last[slot])
        self.stats.inc_value(prefix + "requests")

    def enter(self, slot: str) -> None:
        self.inflight[slot] = self.inflight.get(slot, 0) + 1
        self.stats.max_value(f"zwgk/slot/{slot}/max_concurrency", self.inflight[slot])

    def leave(self, slot: str) -> None:
        self.inflight[slot] -= 1


class SiteGate:
    """A site's floor and ceiling, kept where the request really starts.

    Scrapy's slot is not enough: with no delay it starts a burst of queued requests before counting any
    as transferring (so more than `concurrency` run at once), and AutoThrottle and jitter move its delay.
    Here at most `concurrency` requests are in flight, and a request starts at least the delay after the
    previous start and after the previous answer; the browser's requests during a render take their
    turn here too."""

    def __init__(self, concurrency: int):
        self.slots = defer.DeferredSemaphore(max(1, concurrency))
        self.last = float("-inf")

    def wait(self, delay: float) -> float:
        """Seconds until a request may start (≤ 0: now)."""
        return self.last + delay - time.monotonic()

    def reserve(self, delay: float) -> float:
        """Seconds to wait before the next request may start; that start is booked now."""
        now = time.monotonic()
        start = max(now, self.last + delay)
        self.last = start
        return start - now


def reactor_():
    from twisted.internet import reactor
    return reactor


class SiteDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, plus: a mapped host is connected at its mapped address (the URL and the
    Host header stay the site's), and a request marked for rendering is loaded in headless Chromium."""

    lazy = False

    def __init__(self, crawler):
        super().__init__(crawler)
        settings = crawler.settings
        self.host_map = HostMap(settings.getdict("ZWGK_HOST_MAP"))
        self.clock = RequestClock(crawler.stats)
        self.guard = OutboundGuardMiddleware.from_crawler(crawler)
        self.browser_path = settings.get("ZWGK_RENDER_BROWSER", "")
        self.all_inside = bool(self.guard.sites) and all(c["no_external"] for c in self.guard.sites.values())
        self.browser: Chromium | None = None
        self.render_lock = defer.DeferredLock()
        self.slot_settings = settings.getdict("DOWNLOAD_SLOTS")
        self.gates: dict[str, SiteGate] = {}

    async def download_request(self, request):
        key = request.meta.get("download_slot") or urlsplit(request.url).netloc
        gate = self._gate(key)
        if gate is not None:
            await maybe_deferred_to_future(gate.slots.acquire())
        render = bool(request.meta.get(RENDER_META))
        try:
            # a render books no start of its own: each request the browser makes takes its turn (_admit)
            while gate is not None and not render:
                wait = gate.wait(self._delay(key))
                if wait <= 0:
                    gate.last = time.monotonic()
                    break
                await maybe_deferred_to_future(task.deferLater(reactor_(), wait))
            self.clock.enter(key)
            try:
                if render:
                    return await self._render(request, key)
                self.clock.started(key)
                target = self.host_map.connect_url(request.url)
                if target is None:
                    return await super().download_request(request)
                mapped = request.replace(url=target)  # meta is shared: latency and flags land on the original
                mapped.headers[b"Host"] = _host_header(request.url)
                response = await super().download_request(mapped)
                return response.replace(url=request.url)
            finally:
                self.clock.leave(key)
        finally:
            if gate is not None:
                # the delay also runs from the end of this request: a start we allowed can reach the
                # site late (a busy machine), but never after its answer came back
                gate.last = max(gate.last, time.monotonic())
                gate.slots.release()

    def _gate(self, key: str) -> "SiteGate | None":
        """The gate of a site's slot (None for other hosts: Scrapy's own slot is enough there)."""
        if key not in self.gates:
            conf = self.slot_settings.get(key)
            if conf is None:
                return None
            self.gates[key] = SiteGate(int(conf["concurrency"]))
        return self.gates[key]

    def _delay(self, key: str) -> float:
        """The profile's delay, or more when AutoThrottle has raised the slot's (never less)."""
        floor = float(self.slot_settings.get(key, {}).get("delay", 0.0))
        state = self.crawler.engine.downloader.slots.get(key)
        return max(floor, state.delay if state is not None else 0.0)

    # ---- rendering ---------------------------------------------------------------------------------------
    async def _render(self, request, slot: str):
        from twisted.internet import reactor

        site = (request.meta.get("zwgk") or {}).get("site")

        def admit(url: str, resource_type: str):
            """Runs in the render thread; the gate is read and booked in the reactor thread."""
            return threads.blockingCallFromThread(reactor, self._admit, url, resource_type, site)

        def finished(url: str):
            threads.blockingCallFromThread(reactor, self._finished, url, site)

        def work():
            if self.browser is None or not self.browser.alive():
                self.browser = Chromium(extra_flags=self._browser_flags(), executable=self.browser_path or None)
            return render_page(self.browser, request.url, admit, finished)

        try:
            status, html, _ = await maybe_deferred_to_future(self.render_lock.run(threads.deferToThread, work))
        except FileNotFoundError as exc:
            raise RenderError(str(exc)) from None
        return HtmlResponse(url=request.url, status=status, body=html.encode("utf-8"), encoding="utf-8",
                            headers={"Content-Type": "text/html; charset=utf-8"}, request=request,
                            flags=["rendered"])

    def _admit(self, url: str, resource_type: str, site: str | None):
        """'' → refused (the reason); a number → seconds to wait before this request may go."""
        if not url.startswith(("http://", "https://")):
            return 0.0 if url.startswith(("data:", "blob:", "about:")) else "不是网页地址"
        if resource_type not in RENDER_RESOURCE_TYPES:
            return "渲染不需要的资源（图片、样式等）"
        why = self.guard.refusal(url, site)
        if why:
            return why
        owner = self.guard.owner(url, site)
        if owner is None:
            return 0.0  # another organisation's script: not this site's politeness to keep
        key = self.guard.sites[owner]["slot"]
        gate = self._gate(key)
        wait = gate.reserve(self._delay(key)) if gate is not None else 0.0
        self.clock.started(key, time.monotonic() + wait)
        return wait

    def _finished(self, url: str, site: str | None) -> None:
        """A browser request to a site is over: the site's next request waits the delay from now. The
        browser sends a little after it is allowed to, so counting from its start could fall short."""
        owner = self.guard.owner(url, site)
        gate = self._gate(self.guard.sites[owner]["slot"]) if owner is not None else None
        if gate is not None:
            gate.last = max(gate.last, time.monotonic())

    def _browser_flags(self) -> tuple[str, ...]:
        rules = self.host_map.chromium_rules()
        if self.all_inside:
            # no name outside the profiles is ever resolved, not even by a prefetch; the sites' own
            # unmapped names still are
            mapped = self.host_map.hosts()
            for cfg in self.guard.sites.values():
                for host in {d.rsplit(":", 1)[0] if d.count(":") == 1 else d for d in cfg["domains"]} - mapped:
                    rules += [f"EXCLUDE {host}", f"EXCLUDE *.{host}"]
            rules.append("MAP * ~NOTFOUND")
        return (f"--host-resolver-rules={', '.join(rules)}",) if rules else ()

    async def close(self) -> None:
        if self.browser is not None:
            browser, self.browser = self.browser, None
            await maybe_deferred_to_future(threads.deferToThread(browser.close))
        await super().close()


def _host_header(url: str) -> bytes:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    default = {"http": ":80", "https": ":443"}.get(parts.scheme)
    if default and netloc.endswith(default):
        netloc = netloc[: -len(default)]
    return netloc.encode("ascii", "ignore")


def browser_available() -> str:
    """The browser a crawl may render with ('' when none)."""
    return chromium_path()
