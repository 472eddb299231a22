"""--incremental's HTTP cache: Scrapy's RFC 2616 cache that reuses a stored response only on a 304, never to hide a failure."""

from __future__ import annotations

from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware
from scrapy.extensions.httpcache import RFC2616Policy


class RevalidatingPolicy(RFC2616Policy):
    """RFC 2616 caching where every stored response is revalidated with the site (If-None-Match /
    If-Modified-Since) and reused only when it answers 304 Not Modified.

    Never fresh without asking: a page removed or broken since the last round must still be seen, and each
    request still passes the site's politeness gate. Never reused on a 5xx (RFC 2616 allows it): a server
    error is what a compliance check records."""

    def is_cached_response_fresh(self, cachedresponse, request) -> bool:
        self._set_conditional_validators(request, cachedresponse)   # the stale path of RFC2616Policy
        return False

    def is_cached_response_valid(self, cachedresponse, response, request) -> bool:
        return response.status == 304


class RevalidatingCacheMiddleware(HttpCacheMiddleware):
    """Scrapy's cache middleware without its error recovery: a timeout or refused connection stays a failure
    instead of being answered from the previous round's copy."""

    def process_exception(self, request, exception, spider=None):
        request.meta.pop("cached_response", None)
        return None
