"""Downloader middlewares: the outbound guard (politeness slot, no_external, private addresses) and redirect loops."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.scope import HostMap, SiteScope, is_private_address


class OutOfScopeRefused(IgnoreRequest):
    """A request the profile forbids (no_external, private address): recorded as not checked, never sent."""


class OutboundGuardMiddleware:
    """Every request, before any DNS lookup or connection: which site's politeness slot it counts against,
    whether it may leave the hosts the profile names (no_external), and never into the evaluator's network.

    The slot is the site's, not the host's: a site's pages, its files on other hosts of the site, its
    robots.txt and the links other sites make to it all share the profile's delay and concurrency."""

    def __init__(self, sites: dict[str, dict], host_map: HostMap, guard_private: bool):
        self.sites = sites
        self.scopes = {sid: SiteScope(cfg["domains"]) for sid, cfg in sites.items()}
        self.host_map = host_map
        self.guard_private = guard_private
        allow = [frozenset(cfg["private"]) for cfg in sites.values()]
        self.any_site = frozenset().union(*allow) if allow else frozenset()

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.getdict("ZWGK_SITES"), HostMap(s.getdict("ZWGK_HOST_MAP")),
                   not s.getbool("ZWGK_PRIVATE_GUARD_DISABLED"))

    def owner(self, url: str, site: str | None) -> str | None:
        """The site whose hosts the URL is on (the requesting site first)."""
        if site in self.scopes and self.scopes[site].contains(url):
            return site
        return next((sid for sid, scope in self.scopes.items() if scope.contains(url)), None)

    def process_request(self, request, spider=None):
        site = (request.meta.get("zwgk") or {}).get("site")
        owner = self.owner(request.url, site)
        if owner is not None:
            request.meta["download_slot"] = self.sites[owner]["slot"]
            # robots.txt is requested by Scrapy, without the site's meta: it gets the site's time limit too
            if self.sites[owner].get("timeout"):
                request.meta.setdefault("download_timeout", self.sites[owner]["timeout"])
        why = self.refusal(request.url, site, owner)
        if why:
            raise OutOfScopeRefused(why)
        return None

    def refusal(self, url: str, site: str | None, owner: str | None = "?") -> str:
        """Why this URL must not be contacted for `site` ('' when it may). Decided on the URL alone,
        before anything is resolved or connected."""
        host = (urlsplit(url).hostname or "").lower()
        if owner == "?":
            owner = self.owner(url, site)
        cfg = self.sites.get(site)
        if cfg and cfg["no_external"] and owner != site:
            return f"未检查：站外地址 {host}（本次评估仅访问站点配置的主机，no_external）"
        if self.host_map.target(url) is not None:
            return ""  # the evaluator named this address: no lookup of the real host
        if not self.guard_private:
            return ""
        # robots.txt requests carry no site: any profile that allows the host allows its robots.txt
        allowed = frozenset(cfg["private"]) if cfg else self.any_site
        if host in allowed:
            return ""
        if is_private_address(host):
            return f"私有或本机地址 {host} 未在站点配置 allow_private_hosts 中，拒绝访问"
        return ""


class CheckInflateLimitMiddleware:
    """A checked resource is downloaded with no size limit (it is cut after its first bytes, or read up to
    attachment_max_mb), and Scrapy's HttpCompressionMiddleware inflates with the request's download_maxsize:
    without this, a few hundred bytes of brotli would inflate to gigabytes. Sits after it in the response
    order (a higher number), so the bound is set once the body is in and before it is inflated."""

    def process_request(self, request, spider=None):
        if request.meta.get("zwgk_inflate_max"):
            request.meta["download_maxsize"] = 0  # a retry of this request downloads as the first did
        return None

    def process_response(self, request, response, spider=None):
        limit = request.meta.get("zwgk_inflate_max")
        if limit:
            request.meta["download_maxsize"] = limit
        return response


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Redirects bypass the dupefilter, so a redirect loop ends in 'max redirections' instead of vanishing.

    Scrapy hands a redirected request back to the scheduler, whose dupefilter silently drops the
    second visit of /a → /b → /a; the link would then be neither fetched nor reported.
    """

    def _redirect(self, redirected, request, reason):
        redirected = super()._redirect(redirected, request, reason)
        redirected.dont_filter = True
        return redirected


class SharedRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Every request waiting for a host's robots.txt gets the parser.

    Scrapy 2.19 lets all of them await the one Deferred: the first gets the parser, the next ones get None
    (the first waiter's callback result) and are let through, so a page robots.txt forbids was fetched
    whenever several requests for a host came before its robots.txt did (the shared queue of a distributed
    crawl, an external host linked from many pages)."""

    async def robot_parser(self, request):
        pending = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(pending, Deferred):
            mine: Deferred = Deferred()

            def pass_on(parser):
                mine.callback(parser)
                return parser

            pending.addCallback(pass_on)
            return await maybe_deferred_to_future(mine)
        return await super().robot_parser(request)
