"""SiteDownloadHandler: HTTP(S) with host_map, headless rendering of script-built pages, request times per site."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.http import HtmlResponse
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import defer, threads

from crawler.middlewares import OutboundGuardMiddleware
from crawler.render import RENDER_RESOURCE_TYPES, Chromium, RenderError, chromium_path, render_page
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

    async def download_request(self, request):
        slot = request.meta.get("download_slot") or urlsplit(request.url).netloc
        self.clock.enter(slot)
        try:
            self.clock.started(slot)
            if request.meta.get(RENDER_META):
                return await self._render(request, slot)
            target = self.host_map.connect_url(request.url)
            if target is None:
                return await super().download_request(request)
            mapped = request.replace(url=target)  # meta is shared: latency and flags land on the original
            mapped.headers[b"Host"] = _host_header(request.url)
            response = await super().download_request(mapped)
            return response.replace(url=request.url)
        finally:
            self.clock.leave(slot)

    # ---- rendering ---------------------------------------------------------------------------------------
    async def _render(self, request, slot: str):
        from twisted.internet import reactor

        site = (request.meta.get("zwgk") or {}).get("site")

        def admit(url: str, resource_type: str, first: bool):
            """Runs in the render thread; the slot is read and reserved in the reactor thread."""
            return threads.blockingCallFromThread(reactor, self._admit, url, resource_type, first, site, slot)

        def work():
            if self.browser is None or not self.browser.alive():
                self.browser = Chromium(extra_flags=self._browser_flags(), executable=self.browser_path or None)
            return render_page(self.browser, request.url, admit)

        try:
            status, html, _ = await maybe_deferred_to_future(self.render_lock.run(threads.deferToThread, work))
        except FileNotFoundError as exc:
            raise RenderError(str(exc)) from None
        return HtmlResponse(url=request.url, status=status, body=html.encode("utf-8"), encoding="utf-8",
                            headers={"Content-Type": "text/html; charset=utf-8"}, request=request,
                            flags=["rendered"])

    def _admit(self, url: str, resource_type: str, first: bool, site: str | None, slot: str):
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
        if first and key == slot:
            return 0.0  # the page itself: the slot just let the render request go
        downloader = self.crawler.engine.downloader
        state = downloader.slots.get(key)
        now = time.monotonic()
        if state is None:
            self.clock.started(key, now)
            return 0.0
        start = max(now, state.lastseen + state.delay)
        state.lastseen = start  # Scrapy's own requests to the site now wait for this one too
        self.clock.started(key, start)
        return start - now

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
