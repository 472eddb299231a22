"""RoleAwareFingerprinter: when two requests for one URL count as the same (the dupefilter's key)."""

from __future__ import annotations

import hashlib

from scrapy.utils.request import RequestFingerprinter

from crawler.scope import canonical_url


class RoleAwareFingerprinter:
    """Scrapy's fingerprint, except that a column fetch and a link check each have their own key space.

    A column page reached first through an ordinary link must still be read as a column, two sites that
    share pages each crawl them, and a linked resource is checked once per run whether HEAD or GET was
    used on it.
    """

    def __init__(self, crawler=None):
        self._default = RequestFingerprinter(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def fingerprint(self, request) -> bytes:
        ctx = request.meta.get("zwgk") or {}
        role = ctx.get("role")
        if role == "check":
            return hashlib.sha1(b"check " + canonical_url(request.url).encode()).digest()
        # pages are per site: a department site hosted under the portal's domain is crawled for itself
        salt = f"{ctx.get('site', '')} {'column' if role in ('column', 'gkml') else 'page'} ".encode()
        return hashlib.sha1(salt + self._default.fingerprint(request)).digest()
