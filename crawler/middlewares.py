"""Downloader middlewares: the private-address guard and redirect-loop detection."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.scope import is_private_address


class PrivateHostGuardMiddleware:
    """A crawled page can link anywhere; following such a link must not reach into the evaluator's network."""

    def __init__(self, allow_by_site: dict[str, frozenset[str]]):
        self.allow_by_site = allow_by_site
        self.any_site = frozenset().union(*allow_by_site.values()) if allow_by_site else frozenset()

    @classmethod
    def from_crawler(cls, crawler):
        allow = crawler.settings.getdict("ZWGK_PRIVATE_HOSTS_ALLOWED")
        if crawler.settings.getbool("ZWGK_PRIVATE_GUARD_DISABLED"):
            raise NotConfigured
        return cls({site: frozenset(hosts) for site, hosts in allow.items()})

    def process_request(self, request, spider=None):
        host = (urlsplit(request.url).hostname or "").lower()
        site = (request.meta.get("zwgk") or {}).get("site")
        # robots.txt requests carry no site: any profile that allows the host allows its robots.txt
        allowed = self.allow_by_site.get(site, ()) if site else self.any_site
        if host in allowed:
            return None
        if is_private_address(host):
            raise IgnoreRequest(f"私有或本机地址 {host} 未在站点配置 allow_private_hosts 中，拒绝访问")
        return None


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Redirects bypass the dupefilter, so a redirect loop ends in 'max redirections' instead of vanishing.

    Scrapy hands a redirected request back to the scheduler, whose dupefilter silently drops the
    second visit of /a → /b → /a; the link would then be neither fetched nor reported.
    """

    def _redirect(self, redirected, request, reason):
        redirected = super()._redirect(redirected, request, reason)
        redirected.dont_filter = True
        return redirected
