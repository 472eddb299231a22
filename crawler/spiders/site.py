"""GovSiteSpider: homepage → columns → list pages → detail pages, recording facts and checking every link."""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import asdict
from datetime import date, timedelta
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import (CannotResolveHostError, DontCloseSpider, DownloadCancelledError,
                               DownloadConnectionRefusedError, DownloadTimeoutError, IgnoreRequest,
                               ResponseDataLossError, StopDownload)
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError as TwistedTimeout
from twisted.python.failure import Failure

from crawler.download import RENDER_META
from crawler.extract.attachments import AttachmentText, Limits, attachment_format, read_attachment
from crawler.extract.columns import classify_column
from crawler.extract.encoding import decode_body
from crawler.extract.integrity import markup_text, unreadable_reason
from crawler.extract.search import query_from_title, read_search_results, search_url
from crawler.extract.signals import is_sitemap_link, usable_column_name
from crawler.extract.sitemap import sitemap_columns
from crawler.items import CrawlEvent, ResponseRows, SiteStatus, StoreRows, page_body_rows
from crawler.middlewares import OutOfScopeRefused
from crawler.reading import PageReader, PageReading, column_like, page_key, page_kind, same_page
from crawler.render import render_need
from crawler.scope import SiteScope, TrapGuard, canonical_url, looks_like_page
from crawler.sniff import sniff_type
from zwgk.core.config import CrawlLimits, SiteProfile
from zwgk.core.store import now_iso

# Request priorities: discovery first (so columns are known before ordinary links reach them), checks last.
PRIORITY = {"home": 1000, "sitemap": 950, "gkml": 900, "column": 500, "entry": 100, "page": 50, "check": -100,
            "search": -200}
HTML_TYPES = ("text/html", "application/xhtml")
# Statuses handed to the callbacks (recorded as facts); 3xx stay with the redirect middleware.
ERROR_STATUSES = list(range(400, 600))
MAX_NAV_TEXT = 16          # a menu item longer than this is an article link, not a column
SUB_COLUMN_LEVELS = 4      # discovery through 信息公开目录 trees stops this many levels down
UNDATED_DETAIL_PAGES = 5   # first items of an undated list fetched early (rules read their 发布日期)
MAX_FORWARDS = 3           # a chain of refresh/script stubs longer than this is a loop
SAMPLE_BYTES = 64 * 1024   # of an external page read for its words (外链变异)
SAMPLE_CHARS = 4000        # of its visible text kept
SEARCH_CANDIDATES = 40     # newest dated list items kept per site for the 站内搜索 query
SEARCH_MIN_AGE_DAYS = 7    # the query's page is at least this much older than the site's newest item (indexing lag)


def attachment_limits(limits: CrawlLimits) -> Limits:
    """The profile's attachment reading limits (size, rows, pages, time, zip expansion) for the reader."""
    mb = 1024 * 1024
    return Limits(max_bytes=limits.attachment_max_mb * mb, max_rows=limits.attachment_max_rows,
                  max_pages=limits.attachment_max_pages, max_seconds=limits.attachment_timeout,
                  max_inflated=limits.attachment_max_inflated_mb * mb, max_ratio=limits.attachment_max_ratio)


def digest(text: str) -> bytes:
    """8 bytes that stand for a URL in the spider's state (kept small: the state is saved on every stop)."""
    return hashlib.blake2b(text.encode(), digest_size=8).digest()


def column_id_for(url: str) -> str:
    return "c" + hashlib.sha1(page_key(url).encode()).hexdigest()[:10]


class GovSiteSpider(scrapy.Spider):
    """One spider for all sites of a run, so a shared queue (JOBDIR or Redis) holds the whole crawl."""

    name = "zwgk"

    def __init__(self, profiles: list[SiteProfile], run_id: int, skip_sites: frozenset[str] = frozenset(),
                 **kwargs):
        super().__init__(**kwargs)
        self.profiles = {p.id: p for p in profiles}
        self.run_id = run_id
        self.skip_sites = skip_sites
        self.scopes = {p.id: SiteScope(p.allowed_domains) for p in profiles}
        self.configured = {p.id: {page_key(c.url): c for c in p.columns} for p in profiles}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        # 站内搜索 is submitted once the site's crawl is done: the query is a title the crawl read
        crawler.signals.connect(spider._search_when_idle, signal=signals.spider_idle)
        spider.reader = PageReader(crawler.settings.get("ZWGK_READER_AFTER_PAGES"))
        crawler.signals.connect(spider.reader.close, signal=signals.spider_closed)
        return spider

    # ---- persistent state (JOBDIR pickles self.state between a stop and a resume) --------------
    def _state(self) -> dict:
        # SpiderState sets self.state when a JOBDIR is used; without one the spider keeps its own
        if getattr(self, "state", None) is None:
            self.state = {}
        return self.state

    def _site_state(self, site: str) -> dict:
        return self._state().setdefault(site, {"pages": 0, "traps": {}, "columns": {}, "events": 0, "seen": set(),
                                              "column_info": {}})

    def _first_check(self, url: str) -> bool:
        """True the first time a resource comes up in this run: every linked URL is checked once.

        The dupefilter would drop the repeats too, but only after each one was built and sent through
        the middlewares; a page links the same menu, footer and images as every other page."""
        checked = self._state().setdefault("_checked", set())
        key = digest(url)
        if key in checked:
            return False
        checked.add(key)
        return True

    # ---- requests ------------------------------------------------------------------------------------
    async def start(self):
        for profile in self.profiles.values():
            if profile.id in self.skip_sites:
                continue
            yield SiteStatus(profile.id, "crawling")
            yield self._page_request(profile.homepage, profile.id, "home", depth=0, parent="")

    def _page_request(self, url: str, site: str, role: str, depth: int, parent: str,
                      column: dict | None = None, list_index: int = 0, extra: dict | None = None) -> Request:
        profile = self.profiles[site]
        ctx = {"site": site, "role": role, "depth": depth, "parent": parent, "column": column,
               "list_index": list_index, **(extra or {})}
        return Request(
            url, callback=self.parse, errback=self.on_error, priority=PRIORITY[role] - depth,
            meta={
                "zwgk": ctx,
                "handle_httpstatus_list": ERROR_STATUSES,
                "download_timeout": profile.limits.timeout,
                # as received and after decompression (Scrapy's HttpCompressionMiddleware reads the same key)
                "download_maxsize": profile.limits.max_page_mb * 1024 * 1024,
                "download_slot": urlsplit(url).netloc,
                "dont_obey_robotstxt": not profile.limits.obey_robots,
            },
        )

    def _check_request(self, url: str, site: str, kind: str, parent: str, method: str | None = None) -> Request:
        profile = self.profiles[site]
        # Media and attachments are fetched with GET and cut after the first bytes: what they really are
        # (an HTML error page for a .jpg, 0 bytes) shows only in the body. Hyperlinks get a HEAD first.
        # A link to another site is read with a GET, its first bytes only: the words of the page it now shows
        # (外链变异: gambling, 域名出售 …) are judged by the rules from that sample.
        external = kind == "link" and not self.scopes[site].contains(url)
        method = method or ("HEAD" if kind == "link" and not external else "GET")
        # spreadsheets, documents and PDFs are read whole (bounded) for personal information
        read = kind == "attachment" and method == "GET" and bool(attachment_format(url))
        sample = external and method == "GET"
        return Request(
            url, method=method, callback=self.parse, errback=self.on_error, priority=PRIORITY["check"],
            dont_filter=method == "GET" and kind == "link",  # the GET after a refused HEAD
            meta={
                "zwgk": {"site": site, "role": "check", "kind": kind, "parent": parent, "depth": 0, "read": read,
                         "sample": sample},
                "zwgk_read_max": SAMPLE_BYTES if sample else profile.limits.attachment_max_mb * 1024 * 1024,
                "handle_httpstatus_list": ERROR_STATUSES,
                "download_maxsize": 0,  # the body is cut after its first bytes anyway
                # …but a compressed body is inflated whole: bounded (crawler.middlewares.CheckInflateLimitMiddleware)
                "zwgk_inflate_max": (profile.limits.attachment_max_mb if read else profile.limits.max_page_mb) * 1024 * 1024,
                "dont_cache": True,     # --incremental: a cut body must never be reused as the whole one
                "download_slot": urlsplit(url).netloc,  # the site's own politeness applies to its files too
                "download_timeout": profile.limits.timeout,
                # the site's own robots.txt binds us on its pages; a link to another site gets one
                # verification request, as a visitor's click would
                "dont_obey_robotstxt": not (profile.limits.obey_robots and self.scopes[site].contains(url)),
            },
        )

    # ---- responses -----------------------------------------------------------------------------------
    async def parse(self, response: Response, **_):
        ctx = response.meta["zwgk"]
        if ctx["role"] == "check":
            for out in self._handle_check(response, ctx):
                yield out
            return
        if ctx["role"] == "search":
            for out in self._handle_search(response, ctx):
                yield out
            return
        if self._recorded_by_its_column(ctx, ctx_url(response)):
            return   # not worth reading
        reading = None
        if self._readable(response):
            reading = await self.reader.read(response.body, header(response, "Content-Type"), ctx_url(response),
                                             response.url, ctx["role"], (ctx.get("column") or {}).get("cls", ""))
        for out in rows_together(self._handle_page(response, ctx, reading)):
            yield out

    def _recorded_by_its_column(self, ctx: dict, url: str) -> bool:
        """A column's page (or a later list page) reached through an ordinary link as well: its column fetch
        records it, whichever of the two arrives last (else the page's kind would depend on the order of arrival)."""
        state = self._site_state(ctx["site"])
        return ctx["role"] in ("page", "entry") and (page_key(url) in state["columns"]
                                                     or digest("list " + canonical_url(url)) in state["seen"])

    @staticmethod
    def _readable(response: Response) -> bool:
        content_type = header(response, "Content-Type")
        is_html = not content_type or content_type.lower().startswith(HTML_TYPES)
        return response.status < 400 and is_html and bool(response.body)

    def _handle_check(self, response: Response, ctx: dict):
        if response.request.method == "HEAD" and response.status >= 400:
            # many servers refuse or mishandle HEAD; only a GET can confirm a failure
            yield self._check_request(ctx_url(response), ctx["site"], ctx["kind"], ctx["parent"], method="GET")
            return
        rows = self._resource_rows(response, method=response.request.method)
        if ctx.get("sample") and response.status == 200 and response.body:
            content_type = header(response, "Content-Type")
            if not content_type or content_type.lower().startswith(HTML_TYPES):
                text, _encoding = decode_body(response.body[:SAMPLE_BYTES], content_type)
                rows.rows[0]["sample"] = markup_text(text)[:SAMPLE_CHARS]
        yield rows
        if ctx.get("read") and response.status == 200:
            yield self._attachment_rows(response, ctx)

    def _attachment_rows(self, response: Response, ctx: dict) -> StoreRows:
        url = ctx_url(response)
        limits = self.profiles[ctx["site"]].limits
        if response.meta.get("zwgk_cut"):
            got = AttachmentText("not_assessed", attachment_format(url),
                                 note=f"文件超过 {limits.attachment_max_mb} MB（limits.attachment_max_mb），未读取")
        else:
            got = read_attachment(response.body, url, attachment_limits(limits))
        return StoreRows("attachment_texts", [dict(
            run_id=self.run_id, site_id=ctx["site"], url=url, format=got.format, status=got.status, note=got.note,
            text=zlib.compress(got.text.encode("utf-8"), 6))])

    def _resource_rows(self, response: Response, method: str, soft_404: str = "") -> StoreRows:
        status = response.status
        outcome = "ok"
        if status >= 500 or status in (408, 429):
            outcome = "suspected"
        elif status >= 400 or soft_404:
            outcome = "broken"   # a 200 page that says 页面不存在 is a dead link to its visitors (软404)
        length = response.headers.get("Content-Length")
        return StoreRows("resources", [dict(
            run_id=self.run_id, url=ctx_url(response), method=method, status=status,
            content_type=header(response, "Content-Type"),
            content_length=int(length) if length and length.isdigit() else None,
            sniffed_type=sniff_type(response.body[:2048]) if method != "HEAD" else "",
            elapsed_ms=latency_ms(response), final_url=response.url, error=soft_404,
            attempts=response.meta.get("retry_times", 0) + 1, outcome=outcome, checked_at=now_iso(),
        )])

    def _handle_page(self, response: Response, ctx: dict, reading: PageReading | None):
        site, role = ctx["site"], ctx["role"]
        url = ctx_url(response)
        if self._recorded_by_its_column(ctx, url):   # asked again: a column may have been found during the read
            return
        is_list = role in ("column", "gkml")
        if reading is None:
            yield self._resource_rows(response, method="PAGE")
            yield self._page_row(response, ctx, url, kind=page_kind(role), error=http_error(response))
            if role == "home":
                yield SiteStatus(site, "unreachable", f"首页无法访问（HTTP {response.status}）")
            elif role == "sitemap":
                yield from self._discover_nav(site, ctx)
            elif is_list and ctx["list_index"] == 0:
                why = f"HTTP {response.status}" if response.status >= 400 else "不是网页"
                yield self._column_rows(site, ctx["column"], assessable=0, reason=f"栏目页面无法访问（{why}）")
            return
        if ctx.get("rendered"):
            self.crawler.stats.inc_value(f"zwgk/site/{site}/rendered")
        encoding, page, text = reading.encoding, reading.page, reading.text
        yield page_body_rows(self.run_id, site, url, reading.body_z, encoding)
        if page is None:
            yield self._resource_rows(response, method="PAGE")
            yield self._page_row(response, ctx, url, kind=page_kind(role), encoding=encoding,
                                 error=f"解析失败：{reading.error}"[:500])
            yield CrawlEvent(site, "error", f"页面解析失败：{reading.error}"[:500], url)
            if is_list and ctx["list_index"] == 0:
                yield self._column_rows(site, ctx["column"], assessable=0, reason="栏目页面解析失败，无法读取栏目列表")
            return
        # a channel page that only forwards (refresh or script stub) is read where it leads, as the same column
        target = reading.forward
        if target and ctx.get("forwards", 0) < MAX_FORWARDS and self.scopes[site].contains(target):
            yield self._resource_rows(response, method="PAGE")
            request = self._page_request(target, site, role, depth=ctx["depth"], parent=ctx.get("parent", ""),
                                         column=ctx.get("column"), list_index=ctx.get("list_index", 0),
                                         extra={"forwards": ctx.get("forwards", 0) + 1, "as_url": url})
            # the forwarded page stands for the stub's URL (as_url), as after an HTTP redirect
            yield request.replace(dont_filter=True)
            return
        error = f"页面内容为错误提示（{'、'.join(reading.soft_404)}）" if reading.soft_404 else ""
        yield self._resource_rows(response, method="PAGE", soft_404=error)
        kind = "other" if reading.soft_404 else page_kind(role, page)
        row = self._page_row(response, ctx, url, kind, encoding=encoding, page=page, error=error)
        if reading.facts_error:
            yield CrawlEvent(site, "error", f"页面附加信息读取失败：{reading.facts_error}"[:500], url)
        elif reading.facts is not None:
            row.rows[0]["facts"] = reading.facts
            form = reading.facts.get("search_form")
            if role == "home" and form and not ctx.get("rendered"):
                self._site_state(site)["search_form"] = {**form, "encoding": encoding}
        yield row
        if reading.text_z:
            # content rules (personal information, 解读 copies) read the page text from the snapshot
            yield StoreRows("page_texts", [dict(run_id=self.run_id, site_id=site, url=url, text=reading.text_z)])
        if page.metadata:
            yield StoreRows("metadata", [
                dict(run_id=self.run_id, site_id=site, page_url=url, position=i, **asdict(m))
                for i, m in enumerate(page.metadata)])
        if role == "home":
            yield from self._on_home(response, ctx, page)
        elif role == "sitemap":
            yield from self._on_sitemap(response, ctx, text)
        elif is_list:
            if reading.soft_404 and ctx["list_index"] == 0:
                yield self._column_rows(site, ctx["column"], assessable=0, reason=f"栏目页面显示为错误页面（{error}）")
                return
            yield from self._on_column(response, ctx, page, text)
        elif reading.list_name:
            yield from self._column_request(site, url, reading.list_name, None, depth=ctx["depth"],
                                            parent=ctx.get("parent", ""))
        yield from self._follow_links(response, ctx, page)

    def _page_row(self, response: Response, ctx: dict, url: str, kind: str, encoding: str = "",
                  page=None, error: str = "") -> StoreRows:
        column = ctx.get("column") or {}
        row = dict(
            run_id=self.run_id, site_id=ctx["site"], url=url, final_url=response.url, status=response.status,
            content_type=header(response, "Content-Type"), fetched_at=now_iso(),
            elapsed_ms=latency_ms(response), kind=kind, column_id=column.get("id", ""),
            parent_url=ctx.get("parent", ""), depth=ctx.get("depth", 0), encoding=encoding, error=error,
            title="", body_hash="", text_len=0, meta_tags={}, fields={}, dates={}, sources={}, layout="",
        )
        if page is not None:
            row.update(title=page.title, body_hash=page.body_hash, text_len=page.text_len,
                       meta_tags=page.meta_tags, fields=page.fields, dates=page.dates, sources=page.sources,
                       layout=page.layout)
        return StoreRows("pages", [row])

    # ---- discovery -----------------------------------------------------------------------------------
    def _on_home(self, response: Response, ctx: dict, page):
        site = ctx["site"]
        need, key = render_need(page, response.text, "home") if not ctx.get("rendered") else ("", "")
        if need and self._new_nav(site, key):
            render, why = self._render_request(response, ctx, need)
            event = None if render else self._event(site, f"首页导航由脚本生成，未渲染：{why}", ctx_url(response))
            if render or event:
                yield render or event
        home = ctx_url(response)
        if not ctx.get("rendered"):
            self._site_state(site)["home_hash"] = page.body_hash
        yield self._entry_rows(site, "", page.entries, home)
        nav = [(link.url, link.text) for link in page.nav]
        sitemap = next((link.url for link in page.links if link.kind == "link" and is_sitemap_link(link.text)
                        and self.scopes[site].contains(link.url) and not same_page(link.url, home)), None)
        if sitemap and not ctx.get("rendered"):
            # the 网站地图 names every column with its parent: read it before the menus so that a column's
            # parent and level never depend on which page happened to link it first. It is admitted here
            # (never fetched twice) and never filtered: the menus are discovered in its callback or errback.
            self._admit(site, sitemap)
            request = self._page_request(sitemap, site, "sitemap", depth=1, parent=home, extra={"nav": nav})
            yield request.replace(dont_filter=True)
            return
        yield from self._discover_nav(site, {**ctx, "nav": nav, "parent": home}, home=home)

    def _discover_nav(self, site: str, ctx: dict, home: str = ""):
        home = home or ctx.get("parent", "")
        for col in self.profiles[site].columns:
            yield from self._column_request(site, col.url, col.name, None, depth=1, parent=home)
        for url, text in ctx.get("nav") or ():
            yield from self._column_request(site, url, text, None, depth=1, parent=home)

    def _on_sitemap(self, response: Response, ctx: dict, text: str):
        site = ctx["site"]
        url = ctx_url(response)
        # the map first: it tells each column's parent; configured columns keep their configured names anyway
        info = self._site_state(site)["column_info"]
        found = 0
        for entry in sitemap_columns(text, response.url):
            # a heading that is not itself a column (a static page, no link) leaves its columns top-level
            parent = info.get(page_key(entry.parent_url)) if entry.parent_url else None
            before = len(info)
            yield from self._column_request(site, entry.url, entry.name, parent,
                                            depth=2 if parent else 1, parent=url)
            found += len(info) > before
        yield CrawlEvent(site, "info", f"网站地图：列出栏目 {found} 个", url)
        yield from self._discover_nav(site, ctx)

    def _column_request(self, site: str, url: str, name: str, parent_column: dict | None, depth: int,
                        parent: str):
        name = " ".join(name.split())
        if not url or len(name) > MAX_NAV_TEXT or not self.scopes[site].contains(url) or not looks_like_page(url):
            return
        key = page_key(url)
        conf = self.configured[site].get(key)
        if not conf and not column_like(url):
            return
        known = self._site_state(site)["columns"]
        profile = self.profiles[site]
        if key in known or key == page_key(profile.homepage):
            return
        named = bool(conf) or usable_column_name(name)
        # a date, a number or 「更多」 never names a column: the column page's own heading will
        name = conf.name if conf else (name if named else unnamed(url))
        is_gkml = parent_column is None and "信息公开" in name
        # everything below the 政府信息公开 page is a 信息公开目录 item: 基本信息 unless its name says more
        under_gkml = bool(parent_column and (parent_column["under_gkml"] or parent_column["gkml"]))
        cls = conf.cls if conf and conf.cls != "unknown" else classify_column(name, url) if named else "unknown"
        if cls == "unknown" and under_gkml:
            cls = "基本信息"
        column = dict(
            id=column_id_for(url), name=name, url=url, cls=cls,
            office=(conf.office if conf and conf.office else profile.office),
            catalog_path=conf.catalog_path if conf else "",
            level=parent_column["level"] + 1 if parent_column else 1,
            parent_id=parent_column["id"] if parent_column else "",
            source="configured" if conf else "discovered", gkml=is_gkml, under_gkml=under_gkml,
            named=named, configured_cls=bool(conf and conf.cls != "unknown"),
        )
        known[key] = column["id"]
        self._site_state(site)["column_info"][key] = column
        yield self._column_rows(site, column, assessable=None)
        yield self._page_request(url, site, "gkml" if is_gkml else "column", depth=depth, parent=parent,
                                 column=column)

    def _column_rows(self, site: str, column: dict, assessable, reason: str = "", path: str = "",
                     note: str = "", level: int | None = None, hub: bool = False, role: str = "",
                     rendered: bool = False) -> StoreRows:
        row = dict(run_id=self.run_id, site_id=site, column_id=column["id"], name=column["name"],
                   url=column["url"], cls=column["cls"], office=column["office"],
                   catalog_path=column["catalog_path"], path=path, level=level or column["level"],
                   parent_id=column["parent_id"], source=column["source"], assessable=assessable,
                   reason=reason, note=note, hub=int(hub), role=role or ("hub" if hub else ""),
                   rendered=int(rendered))
        return StoreRows("columns", [row])

    def _new_nav(self, site: str, key: str) -> bool:
        """True when a page's menu scripts (their keys) include one this site has not rendered yet."""
        keys = set(key.split())
        seen = self._site_state(site).setdefault("nav_scripts", set())
        if not keys or keys <= seen:
            return not keys
        seen.update(keys)
        return True

    def _render_request(self, response: Response, ctx: dict, need: str) -> tuple[Request | None, str]:
        """The same page again, through headless Chromium, when this site may still render one; else
        (None, why not). The static page's facts stay recorded until the rendered ones replace them."""
        site = ctx["site"]
        limit = self.profiles[site].limits.max_rendered_pages
        if limit == 0:
            return None, "已关闭渲染（max_rendered_pages: 0 或 --no-render）"
        if not self.settings.get("ZWGK_RENDER_BROWSER"):
            return None, "本机没有可用的 Chromium 浏览器"
        state = self._site_state(site)
        if state.get("renders", 0) >= limit:
            return None, f"已达到每站渲染页面上限 {limit}"
        state["renders"] = state.get("renders", 0) + 1
        url = ctx_url(response)
        request = self._page_request(url, site, ctx["role"], depth=ctx["depth"], parent=ctx.get("parent", ""),
                                     column=ctx.get("column"), list_index=ctx.get("list_index", 0))
        request.meta["zwgk"].update(rendered=True, render_need=need)
        request.meta[RENDER_META] = True
        return request.replace(dont_filter=True), "等待渲染"

    def _on_column(self, response: Response, ctx: dict, page, text: str):
        site, column = ctx["site"], ctx["column"]
        url = ctx_url(response)
        limits = self.profiles[site].limits
        if ctx["list_index"] == 0 and page.body_hash == self._site_state(site).get("home_hash") \
                and not same_page(url, self.profiles[site].homepage):
            # a menu item that opens a section of the homepage (index.html?link=news switches a panel by script):
            # the page is the homepage itself, a channel of the homepage's blocks; their items are the
            # homepage's, never this column's list (else whichever section was fetched first owned them)
            yield self._column_rows(site, column, assessable=1, path=">".join(page.breadcrumb), hub=True)
            return
        if ctx["list_index"] == 0:
            if not column.get("named", True):
                self._name_from_page(site, column, page)
            self._class_from_trail(site, column, page)
            reason = ""
            need, key = render_need(page, response.text, ctx["role"]) if not ctx.get("rendered") else ("", "")
            if need == "nav" and not self._new_nav(site, key):
                need = ""  # the same script-written menu was rendered on another page of the site
            if ctx.get("rendered") and page.script_rendered_list and not page.entries:
                reason = "栏目列表由脚本生成，渲染后列表仍为空（脚本未能取得数据），无法评估"
            elif need:
                render, why = self._render_request(response, ctx, need)
                if render is not None:
                    render.meta["zwgk"]["static_path"] = ">".join(page.breadcrumb)
                    yield render
                if need == "list":
                    reason = f"栏目列表由脚本生成，未渲染：{why}"
            elif page.script_rendered_list and not page.entries:
                reason = "栏目列表由JavaScript脚本动态生成，无法直接评估"
            elif not page.entries:
                # blank only when the page was read as HTML and its list is known to be empty
                reason = unreadable_reason(response.body, text, page.text_len, len(page.links))
            # A channel page (频道页) links to sub-columns below its own path (it may also show their latest
            # items in blocks): it is a hub, never itself a blank or stale column.
            prefix = canonical_url(url).rsplit("/", 1)[0] + "/"
            listed = {canonical_url(u) for u in page.pagination} | {canonical_url(e.url) for e in page.entries}
            children = [link for link in page.nav if canonical_url(link.url).startswith(prefix)
                        and canonical_url(link.url) not in listed and not same_page(link.url, url)]
            hub = bool(children) and not reason
            # a column page that shows one document (a guide, a profile, 机构职能) is static content
            static = not reason and not hub and not page.entries and not page.pagination \
                and page.kind_hint == "article"
            role = "unreadable" if reason else "hub" if hub else "static" if static else "list"
            # breadcrumb depth tells the real level (首页 > 政府信息公开 > 规划信息 > 专项规划 is level 3)
            level = max(1, len(page.breadcrumb) - 1) if len(page.breadcrumb) >= 2 else None
            yield self._column_rows(site, column, assessable=0 if reason else 1, reason=reason,
                                    path=">".join(page.breadcrumb), note=page.empty_note, level=level, hub=hub,
                                    role=role, rendered=bool(ctx.get("rendered")))
            if reason.startswith("栏目页面"):
                yield CrawlEvent(site, "warning", f"栏目「{column['name']}」未评估：{reason}", url)
            if column["level"] < SUB_COLUMN_LEVELS:
                # the 信息公开目录 tree may link anywhere on the site; other pages only to their own children
                for link in page.nav if ctx["role"] == "gkml" else children:
                    yield from self._column_request(site, link.url, link.text, column, depth=ctx["depth"] + 1,
                                                    parent=url)
        yield self._entry_rows(site, column["id"], page.entries, url, offset=ctx["list_index"] * 1000)
        # a list that prints no dates is dated by its first items' own pages: fetch those before other pages
        undated = page.undated_list
        for i, entry in enumerate(page.entries):
            if entry.url and self.scopes[site].contains(entry.url) and looks_like_page(entry.url):
                admitted, event = self._admit(site, entry.url)
                if event:
                    yield event
                if admitted == "new":
                    request = self._page_request(entry.url, site, "entry", depth=ctx["depth"] + 1, parent=url,
                                                 column=column)
                    if undated and ctx["list_index"] == 0 and i < UNDATED_DETAIL_PAGES:
                        request = request.replace(priority=PRIORITY["column"] - ctx["depth"])
                    yield request
        # list pages per column, counted as they are queued (a pager links many pages at once)
        queued = self._site_state(site).setdefault("list_pages", {})
        for next_url in page.pagination:
            if not self.scopes[site].contains(next_url):
                continue
            if queued.get(column["id"], 1) >= limits.max_list_pages:
                if digest("list " + canonical_url(next_url)) in self._site_state(site)["seen"]:
                    continue
                capped = self._site_state(site).setdefault("lists_capped", set())
                if column["id"] not in capped:
                    capped.add(column["id"])
                    yield CrawlEvent(site, "limit", f"栏目「{column['name']}」的列表超过 {limits.max_list_pages} 页"
                                                    "（limits.max_list_pages），其余列表页未抓取，该栏目为部分评估", url)
                break
            admitted, event = self._admit(site, next_url, as_list=True)
            if event:
                yield event
            if admitted == "new":
                queued[column["id"]] = queued.get(column["id"], 1) + 1
                yield self._page_request(next_url, site, "column", depth=ctx["depth"], parent=url,
                                         column=column, list_index=ctx["list_index"] + 1)

    def _class_from_trail(self, site: str, column: dict, page) -> None:
        """A column whose own name tells no class (学习宣传贯彻…精神) takes the class of the nearest breadcrumb
        ancestor that tells one (专题专栏 › …: a 专题), before any guess from its URL's folder."""
        if column.get("configured_cls") or classify_column(column["name"]) != "unknown":
            return
        for crumb in reversed(page.breadcrumb[:-1]):
            cls = classify_column(crumb)
            if cls != "unknown":
                if cls != column["cls"]:
                    column["cls"] = cls
                    self._site_state(site)["column_info"].get(page_key(column["url"]), {}).update(cls=cls)
                return

    def _name_from_page(self, site: str, column: dict, page) -> None:
        """Name a column its link did not name: <meta name="ColumnName">, the breadcrumb's last item, the
        page's heading or title — the first that is a usable name."""
        crumbs = [c for c in page.breadcrumb if c not in ("首页", "网站首页")]
        for candidate in (page.meta_tags.get("ColumnName", ""), crumbs[-1] if crumbs else "", page.title):
            candidate = " ".join((candidate or "").split())
            if candidate and len(candidate) <= MAX_NAV_TEXT * 2 and usable_column_name(candidate):
                column.update(name=candidate, named=True)
                if not column.get("configured_cls"):
                    cls = classify_column(candidate, column["url"])
                    column["cls"] = "基本信息" if cls == "unknown" and column["under_gkml"] else cls
                self._site_state(site)["column_info"].get(page_key(column["url"]), {}).update(
                    name=column["name"], cls=column["cls"], named=True)
                return

    def _entry_rows(self, site: str, column_id: str, entries, list_url: str, offset: int = 0) -> StoreRows:
        self._search_candidates(site, entries)
        return StoreRows("entries", [
            dict(run_id=self.run_id, site_id=site, column_id=column_id, url=e.url, title=e.title,
                 date_text=e.date_text, date=e.date, list_url=list_url, position=offset + i, pinned=int(e.pinned))
            for i, e in enumerate(entries) if e.url])

    # ---- 站内搜索 -------------------------------------------------------------------------------------
    def _search_candidates(self, site: str, entries) -> None:
        """Keep the site's newest dated list items on its own hosts: one of them makes the search query."""
        found = [(e.date, e.url, e.title) for e in entries
                 if e.date and e.url and not e.pinned and query_from_title(e.title) and self.scopes[site].contains(e.url)]
        if not found:
            return
        state = self._site_state(site)
        # assigned whole, never changed in place: a distributed crawl keeps the site's state in Redis
        kept = {tuple(k) for k in state.get("search_candidates") or []} | set(found)
        state["search_candidates"] = sorted(kept, reverse=True)[:SEARCH_CANDIDATES]

    def _search_request(self, site: str) -> Request | None:
        """The homepage's search form submitted once with a recent title (None when there is nothing to do)."""
        # read, never created: a distributed run's finished site has no state left, and must get none back
        state = self._state().get(site)
        if state is None:
            return None
        form, kept = state.get("search_form"), state.get("search_candidates") or []
        if state.get("searched") or not form or not kept or site in self.skip_sites:
            return None
        state["searched"] = True
        kept = sorted({tuple(k) for k in kept}, reverse=True)
        newest = kept[0][0]
        try:
            limit = (date.fromisoformat(newest) - timedelta(days=SEARCH_MIN_AGE_DAYS)).isoformat()
        except ValueError:
            limit = newest
        day, target, title = next((k for k in kept if k[0] <= limit), kept[0])
        query = query_from_title(title)
        url, body = search_url(form, query, form.get("encoding", ""))
        profile = self.profiles[site]
        ctx = {"site": site, "role": "search", "depth": 1, "parent": profile.homepage,
               "search": {"query": query, "target_url": target, "target_title": title, "target_date": day,
                          "action": form["action"], "method": form["method"], "field": form["field"]}}
        return Request(url, method="POST" if body else "GET", body=body or None, callback=self.parse,
                       errback=self.on_error, priority=PRIORITY["search"], dont_filter=True,
                       headers={"Content-Type": "application/x-www-form-urlencoded"} if body else None,
                       meta={"zwgk": ctx, "handle_httpstatus_list": ERROR_STATUSES,
                             "download_timeout": profile.limits.timeout, "download_slot": urlsplit(url).netloc,
                             "dont_cache": True, "dont_obey_robotstxt": not profile.limits.obey_robots})

    def _search_when_idle(self, spider=None):
        requests = [r for r in (self._search_request(site) for site in self.profiles) if r is not None]
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def _search_row(self, ctx: dict, url: str, status, final_url: str, facts: dict, error: str = "",
                    elapsed=None, encoding: str = "") -> StoreRows:
        # one row of kind 'search' per site: the results page as a fact for rules/search.py (no links, no text)
        return StoreRows("pages", [dict(
            run_id=self.run_id, site_id=ctx["site"], url=url, final_url=final_url, status=status, content_type="",
            fetched_at=now_iso(), elapsed_ms=elapsed, kind="search", column_id="", parent_url=ctx.get("parent", ""),
            depth=1, title="", encoding=encoding, body_hash="", text_len=0, meta_tags={}, fields={}, dates={},
            error=error, facts={"search": {**ctx["search"], **facts}})])

    def _handle_search(self, response: Response, ctx: dict):
        url = response.request.url
        content_type = header(response, "Content-Type")
        facts = {"results_url": response.url, "status": response.status}
        error = http_error(response) if response.status >= 400 else ""
        encoding = ""
        if not error and response.body:
            text, encoding = decode_body(response.body, content_type)
            facts.update(read_search_results(text, response.url, ctx["search"]["target_url"],
                                             ctx["search"]["target_title"]))
        yield self._search_row(ctx, url, response.status, response.url, facts, error, latency_ms(response), encoding)

    # ---- links ---------------------------------------------------------------------------------------
    def _follow_links(self, response: Response, ctx: dict, page):
        site = ctx["site"]
        url = ctx_url(response)
        scope = self.scopes[site]
        limits = self.profiles[site].limits
        state = self._site_state(site)
        rows = []
        checks = skipped = 0   # new checks this page asked for; those its limits left out
        for link in page.links:
            internal = bool(link.url) and scope.contains(link.url)
            rows.append(dict(run_id=self.run_id, site_id=site, page_url=url, url=link.url, kind=link.kind,
                             text=link.text[:200], tag=link.tag, internal=int(internal)))
            if not link.url or not link.url.startswith(("http://", "https://")):
                continue  # an empty src is rule material, not something to fetch
            if link.kind == "link" and internal and looks_like_page(link.url) \
                    and ctx["depth"] + 1 <= limits.max_depth:
                if page_key(link.url) in self._site_state(site)["columns"]:
                    continue
                admitted, event = self._admit(site, link.url)
                if event:
                    yield event
                if admitted == "new":
                    yield self._page_request(link.url, site, "page", depth=ctx["depth"] + 1, parent=url)
                if admitted != "refused":
                    continue  # a page of the site, fetched (or queued) as a page: that is its check
            if digest(link.url) in self._state().get("_checked", ()):
                continue  # checked once already (a menu, a footer): no new check
            if checks >= limits.max_link_checks_per_page or state.get("checks", 0) >= limits.max_link_checks:
                skipped += 1   # recorded as a link, never checked: the note below says so
                continue
            if self._first_check(link.url):
                checks += 1
                state["checks"] = state.get("checks", 0) + 1
                yield self._check_request(link.url, site, link.kind, url)
        if rows:
            yield StoreRows("links", rows)
        if skipped and checks >= limits.max_link_checks_per_page:
            event = self._event(site, f"页面有 {len(page.links)} 个链接，只检查了其中 {checks} 个新链接"
                                      f"（limits.max_link_checks_per_page），其余 {skipped} 个未检查，链接检查为部分评估",
                                url, level="limit")
            if event:
                yield event
        elif skipped and not state.get("checks_capped"):
            state["checks_capped"] = True   # say it once per site
            yield CrawlEvent(site, "limit", f"已达到每站链接检查上限 {limits.max_link_checks}（limits.max_link_checks），"
                                            "其余链接未检查，链接检查为部分评估", url)

    def _admit(self, site: str, url: str, as_list: bool = False) -> tuple[str, CrawlEvent | None]:
        """'new' when one more page of this site may be queued, 'seen' when it already was, 'refused' (page
        limit, trap) with the event that says why. A column's list page is kept apart from the same URL
        reached as an ordinary page (as in the fingerprints): its entries must be read as the column's."""
        state = self._site_state(site)
        key = digest(("list " if as_list else "") + canonical_url(url))
        if key in state["seen"] or (not as_list and digest("list " + canonical_url(url)) in state["seen"]):
            # an ordinary link to a later page of a column's list (its pager) is that list page: fetched once
            return "seen", None
        limits = self.profiles[site].limits
        why = TrapGuard(state["traps"], limits.max_query_variants).refuse(url)
        if why:
            return "refused", self._event(site, f"未跟进：{why}", url)
        if state["pages"] >= limits.max_pages:
            if state["pages"] == limits.max_pages:
                state["pages"] += 1  # say it once
                return "refused", self._event(site, f"已达到页面上限 {limits.max_pages}，其余页面未抓取", url)
            return "refused", None
        state["pages"] += 1
        state["seen"].add(key)
        return "new", None

    def _event(self, site: str, message: str, url: str, level: str = "warning") -> CrawlEvent | None:
        # a trap can produce thousands of refusals: keep the first few, enough to show the evaluator
        state = self._site_state(site)
        state["events"] += 1
        return CrawlEvent(site, level, message, url) if state["events"] <= 200 else None

    # ---- failures ------------------------------------------------------------------------------------
    def on_error(self, failure: Failure):
        request = failure.request
        ctx = request.meta["zwgk"]
        site, role = ctx["site"], ctx["role"]
        error, outcome = describe_failure(failure)
        url = ctx.get("as_url") or request.meta.get("redirect_urls", [request.url])[0]
        if role == "search":
            yield self._search_row(ctx, request.url, None, request.url, {"outcome": outcome}, error)
            return
        if ctx.get("rendered"):
            # the page itself was fetched and recorded; only what script builds stays unread
            event = self._event(site, f"页面渲染失败：{error}", url)
            if event:
                yield event
            if ctx.get("render_need") == "list" and ctx.get("column"):
                yield self._column_rows(site, ctx["column"], assessable=0, path=ctx.get("static_path", ""),
                                        reason=f"栏目列表由脚本生成，未渲染：渲染失败（{error}）")
            return
        yield StoreRows("resources", [dict(
            run_id=self.run_id, url=url, method="PAGE" if role != "check" else request.method, status=None,
            content_type="", content_length=None, sniffed_type="", elapsed_ms=None, final_url=request.url,
            error=error, attempts=request.meta.get("retry_times", 0) + 1, outcome=outcome,
            checked_at=now_iso())])
        if role == "check":
            return
        yield StoreRows("pages", [dict(
            run_id=self.run_id, site_id=site, url=url, final_url=request.url, status=None, content_type="",
            fetched_at=now_iso(), elapsed_ms=None, kind=page_kind(role), column_id=(ctx.get("column") or {}).get("id", ""),
            parent_url=ctx.get("parent", ""), depth=ctx.get("depth", 0), title="", encoding="", body_hash="",
            text_len=0, meta_tags={}, fields={}, dates={}, error=error)])
        if role == "home":
            yield SiteStatus(site, "unreachable", f"首页无法访问：{error}")
        elif role == "sitemap":
            yield from self._discover_nav(site, ctx)
        elif role in ("column", "gkml") and ctx.get("list_index", 0) == 0:
            yield self._column_rows(site, ctx["column"], assessable=0, reason=f"栏目页面无法访问：{error}")


def rows_together(outputs):
    """A callback's outputs with its StoreRows gathered into one ResponseRows, yielded before a site status (a
    status holds once the rows before it are stored) and at the end. Requests wait behind the rows: a row must be
    stored before the response of a later request can update it (a column found on the homepage with its
    assessment unknown, then judged on its own page, must not be overwritten by the first). Events pass at once."""
    rows: list[StoreRows] = []
    held: list[Request] = []

    def flush():
        nonlocal rows, held
        if rows:
            yield ResponseRows(rows) if len(rows) > 1 else rows[0]
        yield from held
        rows, held = [], []

    try:
        for out in outputs:
            if isinstance(out, StoreRows):
                rows.append(out)
            elif isinstance(out, Request) and rows:
                held.append(out)
            elif isinstance(out, SiteStatus):
                yield from flush()
                yield out
            else:
                yield out
    except Exception:
        yield from flush()   # what was read before the failure is kept, as when each went alone
        raise
    yield from flush()


def unnamed(url: str) -> str:
    """A column's name until its page names it (the page could not be fetched): never empty."""
    path = urlsplit(url).path.rstrip("/")
    return f"未命名栏目（{path.rsplit('/', 1)[-1] or '/'}）"


def ctx_url(response: Response) -> str:
    """The URL as it was linked (before redirects and stub forwards): the key links, pages and resources share."""
    forwarded = (response.meta.get("zwgk") or {}).get("as_url")
    return forwarded or response.meta.get("redirect_urls", [response.url])[0]


def header(response: Response, name: str) -> str:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else ""


def latency_ms(response: Response) -> int | None:
    latency = response.meta.get("download_latency")
    return int(latency * 1000) if latency is not None else None


def http_error(response: Response) -> str:
    if response.status >= 400:
        return f"HTTP {response.status}"
    if not response.body:
        return "空响应"
    return ""


def describe_failure(failure: Failure) -> tuple[str, str]:
    """A Chinese description of a failed download and its outcome (broken, suspected or not checked)."""
    request = getattr(failure, "request", None)
    meta = request.meta if request is not None else {}
    if failure.check(TwistedTimeout, TCPTimedOutError, DownloadTimeoutError):
        seconds = meta.get("download_timeout")
        return (f"请求超时（超过 {seconds:g} 秒未完成）" if seconds else "请求超时"), "suspected"
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "域名解析失败", "suspected"
    if failure.check(DownloadConnectionRefusedError):
        return "连接被拒绝", "suspected"
    if failure.check(ResponseDataLossError):
        return "响应不完整（实际长度小于声明的长度，连接中断）", "suspected"
    if failure.check(OutOfScopeRefused):
        return str(failure.value), "not_checked"
    if failure.check(HttpError) and 300 <= failure.value.response.status < 400:
        # the redirect middleware follows http(s) only: file:, ftp:, javascript: … stay unfollowed
        location = (failure.value.response.headers.get("Location") or b"").decode("latin-1")[:200]
        return f"重定向到不可访问的地址（{location or '无 Location'}），未跟随", "broken"
    text = str(failure.value)
    limit = meta.get("download_maxsize") or 0
    too_big = f"（上限 {limit / 2**20:g} MB，limits.max_page_mb）" if limit else ""
    if (meta.get("zwgk") or {}).get("read"):
        too_big = too_big.replace("max_page_mb", "attachment_max_mb")
    if "during decompression" in text:
        return f"响应解压后超过大小上限{too_big}，疑似压缩炸弹，已中止读取", "not_checked"
    if failure.check(IgnoreRequest):
        if "robots.txt" in text:
            return "robots.txt 禁止访问，未检查", "not_checked"
        if "redirect" in text.lower():
            return "重定向次数过多（疑似重定向循环）", "broken"
        if "private" in text.lower() or "私有" in text:
            return text, "not_checked"
        return f"请求被忽略：{text}", "not_checked"
    name = type(failure.value).__name__
    if "maxsize" in text.lower() or "max size" in text.lower() or failure.check(DownloadCancelledError) \
            or "Cancelled" in name:
        return f"响应超过大小上限{too_big}，已中止下载", "not_checked"
    if "refused" in text.lower():
        return "连接被拒绝", "suspected"
    return f"{name}: {text}"[:300], "suspected"


def stop_after_first_bytes(data: bytes, request: Request, spider=None, **_) -> None:
    """bytes_received handler: a checked resource needs its status and first bytes, never the whole body."""
    ctx = request.meta.get("zwgk")
    if ctx and ctx["role"] == "check":
        if ctx.get("read") or ctx.get("sample"):   # an attachment read for its text: whole, up to the size limit;
            # an external page: its first SAMPLE_BYTES
            got = request.meta["zwgk_bytes"] = request.meta.get("zwgk_bytes", 0) + len(data)
            if got <= request.meta["zwgk_read_max"]:
                return
            request.meta["zwgk_cut"] = True
        raise StopDownload(fail=False)


def stop_non_html_pages(headers, body_length, request: Request, spider=None, **_) -> None:
    """headers_received handler: a 'page' that is really a large file is recorded, not downloaded."""
    ctx = request.meta.get("zwgk")
    if not ctx or ctx["role"] == "check":
        return
    ctype = (headers.get(b"Content-Type") or b"").decode("latin-1").lower()
    if ctype and not ctype.startswith(HTML_TYPES) and not ctype.startswith("text/"):
        request.meta["dont_cache"] = True  # --incremental: only the headers came, not a body to reuse
        raise StopDownload(fail=False)

