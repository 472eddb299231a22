"""A fetched page read in full by one pure function (decode, parse, extract, the rules' facts): in the crawl's process, or in a reader process beside it."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import re
import signal
import threading
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.extract.encoding import decode_body
from crawler.extract.identity import read_site_facts
from crawler.extract.integrity import markup_text
from crawler.extract.labelled import read_guide, read_letter, read_letter_rows
from crawler.extract.listing import extract_entries, extract_pagination
from crawler.extract.page import PageExtract, extract_page, parse_html
from crawler.extract.search import find_search_form
from crawler.extract.signals import load_signals, soft_404_words, usable_column_name
from crawler.extract.stubs import forward_target
from crawler.scope import canonical_url

logger = logging.getLogger(__name__)

LISTING_ROLES = ("home", "column", "gkml", "sitemap")   # pages whose lists, menus and pagination are read
_COLUMN_PATH = re.compile(r"/col/col\d+(?:/|$)|/(?:channel|channels|col|column|lm)/\d+(?:/|$)", re.I)
_COLUMN_FILE = re.compile(r"^(index|default|list|more)\w*\.[a-z]+$", re.I)
# a later page of a list: index_2.html, list-3.htm
_PAGE_NUMBER = re.compile(r"[_-]\d+\.[a-z]+$", re.I)


def page_key(url: str) -> str:
    """/news/ and /news/index.html are one page."""
    return re.sub(r"/(index|default)\.[a-z]+$", "/", canonical_url(url))


def same_page(a: str, b: str) -> bool:
    return page_key(a) == page_key(b)


def column_like(url: str) -> bool:
    """Column URLs are folders, index/list pages or dynamic lists (Hanweb /col/col123/, NFCMS /channel/12/,
    TRS folders); a plain .html in a menu is a static page."""
    parts = urlsplit(url)
    last = parts.path.rsplit("/", 1)[-1]
    return not last or bool(parts.query) or bool(_COLUMN_FILE.match(last)) or bool(_COLUMN_PATH.search(parts.path))


def page_kind(role: str, page=None) -> str:
    """The page's kind from how it was reached and what it shows; a detail page's kind is settled after the
    crawl (Store.settle_pages) so that it never depends on which link reached it first."""
    if role in ("home", "gkml", "column"):
        return role
    if page is not None and (page.metadata or page.kind_hint == "article"):
        return "article"
    return "article" if role == "entry" else "other"


@dataclass
class PageReading:
    """What the crawl keeps of an HTML page it fetched, read without any crawl state."""

    encoding: str
    body_z: bytes                 # the page as fetched, compressed (page_bodies: the 快照 of the reports)
    text: str = ""                # the decoded page, kept for the listing roles only (their menus are read again)
    page: PageExtract | None = None   # None when the extractor failed: error says why
    error: str = ""
    forward: str | None = None    # a refresh or script stub's target
    soft_404: list[str] = field(default_factory=list)   # the error words of a page that says 页面不存在
    facts: dict | None = None     # for the site rules: the homepage's footer and search form, a letter, a guide
    facts_error: str = ""
    text_z: bytes = b""           # the page text, compressed (page_texts); page.text is emptied to travel light
    list_name: str = ""           # a list at a column's address reached through an ordinary link: its name


def read_page(body: bytes, content_type: str, url: str, fetched_url: str, role: str,
              column_cls: str = "") -> PageReading:
    """Decode, parse once, extract, and read the facts the role and the column's class call for.

    `url` is the page as it was linked, `fetched_url` where it was read (after redirects)."""
    text, encoding = decode_body(body, content_type)
    reading = PageReading(encoding=encoding, body_z=zlib.compress(body, 6),
                          text=text if role in LISTING_ROLES else "")
    try:
        tree = parse_html(text)  # one parse for every reader of the page below
        page = extract_page(text, fetched_url, listing=role in LISTING_ROLES, tree=tree)
    except Exception as exc:  # a page the extractor cannot read must not stop the site
        reading.error = f"{exc!r}"
        return reading
    reading.page = page
    reading.forward = forward_target(text, fetched_url, page.text_len) if not page.entries else None
    if role != "home" and page.text_len <= load_signals().soft_404_max_text:
        reading.soft_404 = soft_404_words(page.title, markup_text(text))
    kind = "other" if reading.soft_404 else page_kind(role, page)
    try:   # facts for the site rules: the homepage's footer (rules/identity.py), a letter's fields (rules/interaction.py)
        if role == "home":
            reading.facts = {**read_site_facts(text, fetched_url), "search_form": find_search_form(text, fetched_url)}
        elif kind == "article" and column_cls in ("互动", "办事"):
            found = read_letter(text, tree) if column_cls == "互动" else read_guide(text, tree)
            if found:
                reading.facts = {"letter" if column_cls == "互动" else "guide": found}
        elif role in ("column", "gkml") and column_cls == "互动":
            letter_rows = read_letter_rows(text, fetched_url, tree)   # a letter list table (标题 | 留言时间 | 状态 …)
            if letter_rows:
                reading.facts = {"letter_rows": letter_rows}
    except Exception as exc:  # the facts are extra: their failure must not lose the page
        reading.facts_error = f"{exc!r}"
    if page.text:
        # content rules (personal information, 解读 copies) read the page text from the snapshot
        reading.text_z = zlib.compress(page.text.encode("utf-8"), 6)
        page.text = ""
    if role == "page" and column_like(url) and len(page.breadcrumb) >= 2:
        reading.list_name = _list_name(url, page, text, tree, fetched_url)
    return reading


def _list_name(url: str, page: PageExtract, text: str, tree, fetched_url: str) -> str:
    """A paginated list at a column's address reached through an ordinary link (a breadcrumb, where its menu
    tab has href=""): the column a person sees there, named by the breadcrumb's last item; "" when it is not one."""
    name = page.breadcrumb[-1]
    if name in ("首页", "网站首页") or not usable_column_name(name):
        return ""
    if _PAGE_NUMBER.search(urlsplit(url).path.rsplit("/", 1)[-1]):
        return ""
    # the list parts of the page (what extract_page reads with listing=True), from the page's one parse
    pagination = extract_pagination(tree, text, fetched_url)
    # a later page of a list links back to its first page (the folder or its index page): not a column
    folder = canonical_url(url).rsplit("/", 1)[0] + "/"
    if not pagination or any(not same_page(u, url) and (canonical_url(u) == folder or (
            canonical_url(u).startswith(folder) and _COLUMN_FILE.match(canonical_url(u)[len(folder):])
            and not _PAGE_NUMBER.search(canonical_url(u)[len(folder):]))) for u in pagination):
        return ""
    return name if extract_entries(tree, fetched_url) else ""


def _reader_start(crawl_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the crawl stops its reader itself, after what it has read is kept
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def leave_with_the_crawl() -> None:
        # a crawl killed outright (kill -9) cannot stop its reader, which would wait for work forever
        while os.getppid() == crawl_pid:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=leave_with_the_crawl, name="zwgk-reader-watch", daemon=True).start()


class PageReader:
    """read_page for a crawl: in its own process until `offload_after` pages have been read, then in one reader
    process beside it, so that the crawl uses a second core (reading is about a third of a crawl's CPU).

    Small crawls never start the process (its start costs more than it saves); one core never does. Pages
    are read in the order they arrive (one process, first in first out). If the process dies, reading goes
    on in the crawl's own process."""

    def __init__(self, offload_after: int | None):
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.offload_after = offload_after if cores > 1 else None
        self.read_count = 0
        self.offloaded = 0
        self._pool: ProcessPoolExecutor | None = None
        self.failure = ""

    async def read(self, *args, **kwargs) -> PageReading:
        self.read_count += 1
        if self.offload_after is None or self.read_count <= self.offload_after:
            return read_page(*args, **kwargs)
        if self._pool is None:
            # spawn: a fresh interpreter that imports the readers only, never a copy of the reactor and its threads
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_reader_start, initargs=(os.getpid(),))
        try:
            reading = await asyncio.wrap_future(self._pool.submit(read_page, *args, **kwargs))
        except BrokenProcessPool as exc:
            self.failure = f"页面读取进程意外退出（{exc}），其余页面在抓取进程内读取"
            logger.warning(self.failure)
            self.offload_after = None
            self.close()
            return read_page(*args, **kwargs)
        self.offloaded += 1
        return reading

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
