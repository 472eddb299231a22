"""One site's crawl snapshot as plain immutable objects, loaded from the store or built from a dict.

Memory stays bounded per site: columns, column feeds (a bounded summary of each column's entries)
and the homepage are held; pages stream from the store one at a time with their metadata block and
links, each link already joined with its resource check. Indexes that need the whole site (duplicate
索引号, titles marking a 未涉及 explanation) are answered by queries that return only the hits.

Conventions read from the crawl (the crawler writes them, the rules rely on them):
- the homepage is the page of kind 'home' (else the page at the profile's homepage URL);
- homepage items are the `entries` rows with column_id "" (homepage news blocks), or whose list_url is
  the homepage (url or final_url);
- a link without a `resources` row was not checked and is never judged.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
import zlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping

from zwgk.core.records import MetaField

EMPTY: Mapping[str, str] = MappingProxyType({})
HEAD_ENTRIES = 10      # first entries of a column kept in full (explanation pages, evidence)
NEWEST_ENTRIES = 16    # newest dated entries of a column kept (freshness needs only the top)


@dataclass(frozen=True, slots=True)
class Resource:
    """The checked outcome of one URL (HEAD/GET by the crawler); outcome ok|broken|suspected|not_checked."""

    url: str
    outcome: str
    status: int | None = None
    content_type: str = ""
    content_length: int | None = None
    sniffed_type: str = ""
    final_url: str = ""
    error: str = ""
    method: str = ""
    attempts: int = 1
    sample: str = ""            # an external page's visible text, from its first bytes ('' when not read)


@dataclass(frozen=True, slots=True)
class Link:
    """An outgoing reference of a page, with the check of its target (None: never checked)."""

    url: str
    kind: str          # link | image | video | audio | embed | attachment
    text: str = ""
    tag: str = ""
    internal: bool = True
    resource: Resource | None = None


@dataclass(frozen=True, slots=True)
class Page:
    url: str
    kind: str                                  # home | column | article | gkml | other
    status: int | None = 200
    final_url: str = ""
    content_type: str = "text/html"
    column_id: str = ""
    parent_url: str = ""
    depth: int = 0
    title: str = ""
    fields: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # canonical field -> value as printed
    dates: Mapping[str, str] = field(default_factory=lambda: EMPTY)   # canonical date field -> ISO date
    metadata: tuple[MetaField, ...] = ()       # the metadata block in printed order
    # field -> where it was read (block | byline | script | script-unknown | meta | url), as in
    # zwgk.core.records.PageExtract.sources; empty for data written before sources were recorded.
    sources: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    layout: str = ""                           # '' none | block | line | byline | unrecognised
    links: tuple[Link, ...] = ()
    text_len: int = 0
    body_hash: str = ""
    error: str = ""
    # The visible text (a line per block, tabs between cells) when held in memory (fixtures); a stored
    # snapshot reads it on demand through Snapshot.page_text, never with the page.
    text: str = ""
    meta_tags: Mapping[str, str] = field(default_factory=lambda: EMPTY)   # <meta name> hints (SiteIDCode ...)
    # facts for site rules: homepage {footer, footer_found, tail, scripts, attrs} (crawler.extract.identity);
    # 互动/办事 pages {letter: {…}} / {guide: {…}} (crawler.extract.labelled); empty when not recorded
    facts: Mapping = field(default_factory=lambda: EMPTY)

    @property
    def ok(self) -> bool:
        """Fetched with a 2xx answer: only such pages are judged by page rules."""
        return self.status is not None and 200 <= self.status < 300

    @property
    def headline(self) -> str:
        return self.fields.get("标题") or self.title


@dataclass(frozen=True, slots=True)
class Entry:
    """A dated item in a column's list (栏目条目)."""

    column_id: str
    url: str
    title: str
    date: str | None = None        # ISO date; None = undated (counts as not updated)
    date_text: str = ""
    list_url: str = ""
    position: int = 0
    pinned: bool = False           # a 置顶 row: not evidence of freshness


@dataclass(frozen=True, slots=True)
class ColumnFeed:
    """A bounded summary of a column's entries: counts, the first ones, the newest dated ones."""

    count: int = 0
    dated: int = 0
    head: tuple[Entry, ...] = ()       # first HEAD_ENTRIES entries by list position
    newest: tuple[Entry, ...] = ()     # up to NEWEST_ENTRIES dated entries, newest first

    @property
    def undated(self) -> int:
        return self.count - self.dated

    def latest(self, as_of: date) -> Entry | None:
        """The newest entry dated on or before as_of (later dates prove nothing about freshness)."""
        cutoff = as_of.isoformat()
        for e in self.newest:
            if e.date <= cutoff:
                return e
        return None


@dataclass(frozen=True, slots=True)
class Column:
    column_id: str
    name: str
    url: str
    cls: str = "unknown"
    office: str = ""
    catalog_path: str = ""
    path: str = ""                 # breadcrumb joined with '>'
    level: int = 1
    parent_id: str = ""
    source: str = "configured"
    assessable: bool | None = True  # None: the column page was never fetched
    reason: str = ""
    note: str = ""                 # 备注说明 printed on an empty column
    page_kind: str = ""            # kind of the page fetched at the column URL ('' when none)
    page_status: int | None = None
    shows_article: bool = False    # the column page is one article (static content: 指南, 概况), not a list
    role: str = ""                 # list | hub | static | unreadable as the crawler read the column page


@dataclass(frozen=True, slots=True)
class Probe:
    """One availability probe of the homepage (zwgk probe): UTC time, opened or not, and why not."""

    at: str                        # UTC ISO time, e.g. 2024-06-01T08:00:00.000Z
    ok: bool
    status: int | None = None
    elapsed_ms: int | None = None
    error: str = ""
    compressed: bool = False       # taken in a compressed (demo/test) window


@dataclass(frozen=True, slots=True)
class SiteInfo:
    site_id: str
    name: str
    office: str
    homepage: str
    kind: str = "portal"
    site_code: str = ""
    status: str = "done"
    error: str = ""
    profile: Mapping = field(default_factory=lambda: EMPTY)
    # where a crawl limit cut the evaluation short (crawl_events of level 'limit'): assessed only in part
    limits_reached: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PageRef:
    """Just enough of a page to name it in a finding."""

    url: str
    title: str = ""
    final_url: str = ""
    body_hash: str = ""
    column_id: str = ""


class Snapshot:
    """What the rules see of one site; subclasses differ only in where pages come from."""

    def __init__(self, site: SiteInfo, columns: Iterable[Column], feeds: Mapping[str, ColumnFeed],
                 home: Page | None, home_entries: Iterable[Entry], probes: Iterable[Probe] = ()):
        self.site = site
        self.probes: tuple[Probe, ...] = tuple(sorted(probes, key=lambda p: p.at))
        self.columns: tuple[Column, ...] = tuple(columns)
        self.columns_by_id: Mapping[str, Column] = MappingProxyType({c.column_id: c for c in self.columns})
        self.feeds: Mapping[str, ColumnFeed] = MappingProxyType(dict(feeds))
        self.home = home
        self.home_entries: tuple[Entry, ...] = tuple(home_entries)

    def column(self, column_id: str) -> Column | None:
        return self.columns_by_id.get(column_id) if column_id else None

    def feed(self, column_id: str) -> ColumnFeed:
        return self.feeds.get(column_id) or ColumnFeed()

    def office_for(self, column_id: str = "") -> str:
        """The office a finding goes to: the column's office when configured, else the site's."""
        col = self.column(column_id)
        return (col.office if col and col.office else "") or self.site.office

    # implemented by subclasses
    def pages(self) -> Iterator[Page]:
        raise NotImplementedError

    def page_count(self) -> int:
        raise NotImplementedError

    def resource(self, url: str) -> Resource | None:
        raise NotImplementedError

    def index_number_groups(self) -> dict[str, tuple[PageRef, ...]]:
        """索引号 (whitespace removed) -> the pages carrying it, only for values on two or more pages."""
        raise NotImplementedError

    def titled(self, markers: Iterable[str]) -> list[PageRef]:
        """Pages and list entries whose title contains any marker (e.g. 未涉及 explanations)."""
        raise NotImplementedError

    def published_on(self, urls: Iterable[str]) -> dict[str, str]:
        """The 发布日期 (ISO) printed on each of these fetched pages, for the ones that print one."""
        raise NotImplementedError

    def page_text(self, page: Page) -> str | None:
        """The page's visible text (a line per block, tabs between cells); None when the crawl kept none."""
        return page.text or None

    def attachment_text(self, url: str) -> tuple[str, str, str] | None:
        """(status read|not_assessed, note, text) of an attachment the crawl tried to read; None when it did not."""
        raise NotImplementedError

    def has_attachment_texts(self) -> bool:
        """Whether the crawl tried to read any attachment of this site (else no file is looked up)."""
        raise NotImplementedError

    def select_pages(self, kinds: Iterable[str], column_ids: Iterable[str] = (), title_markers: Iterable[str] = (),
                     with_field: str = "") -> Iterator[Page]:
        """Fetched pages of these kinds that sit in one of column_ids, or whose title holds a marker, or that
        print with_field: a subset of the site without streaming all of it (解读 and documents)."""
        kinds, cols = set(kinds), set(column_ids)
        markers = [m for m in title_markers if m]
        for p in self.pages():
            if p.ok and p.kind in kinds and (p.column_id in cols or any(m in p.title for m in markers)
                                            or (with_field and p.fields.get(with_field))):
                yield p

    def pages_of_kind(self, kind: str) -> list[Page]:
        """Every recorded page of one kind, whatever its status (the 站内搜索 results row: kind 'search')."""
        return [p for p in self.pages() if p.kind == kind]

    def duplicate_groups(self, kinds: Iterable[str], min_text: int) -> list[tuple[PageRef, ...]]:
        """Pages of one column with the same title and body hash (two or more), only the hits."""
        kinds = set(kinds)
        groups: dict[tuple, list[PageRef]] = {}
        for p in self.pages():
            if p.ok and p.kind in kinds and p.body_hash and p.column_id and p.text_len >= min_text:
                groups.setdefault((p.column_id, p.title.strip(), p.body_hash), []).append(
                    PageRef(url=p.url, title=p.title, final_url=p.final_url, body_hash=p.body_hash,
                            column_id=p.column_id))
        return [tuple(v) for v in groups.values() if len(v) > 1]


def _norm_index(value: str | None) -> str:
    return "".join((value or "").split())


# ---- from the store ----------------------------------------------------------------------------

_PAGE_COLS = ("url, final_url, status, content_type, kind, column_id, parent_url, depth, title, body_hash,"
              " text_len, fields, dates, error, sources, layout, meta_tags, facts")
_LINK_SQL = (
    "SELECT l.page_url, l.url, l.kind, l.text, l.tag, l.internal, r.outcome, r.status, r.content_type,"
    " r.content_length, r.sniffed_type, r.final_url, r.error, r.method, r.attempts, r.sample"
    " FROM links l LEFT JOIN resources r ON r.run_id = l.run_id AND r.url = l.url"
    " WHERE l.run_id=? AND l.site_id=?{extra} ORDER BY l.page_url")


def _json_map(text: str | None) -> Mapping[str, str]:
    if not text or text == "{}":
        return EMPTY
    return MappingProxyType(json.loads(text))


def _link_from_row(r) -> Link:
    res = None
    if r[6] is not None:
        res = Resource(url=r[1], outcome=r[6], status=r[7], content_type=r[8] or "", content_length=r[9],
                       sniffed_type=r[10] or "", final_url=r[11] or "", error=r[12] or "", method=r[13] or "",
                       attempts=r[14] or 1, sample=r[15] or "")
    return Link(url=r[1], kind=r[2], text=r[3] or "", tag=r[4] or "", internal=bool(r[5]), resource=res)


def _page_from_row(r, metadata: tuple, links: tuple) -> Page:
    return Page(url=r[0], final_url=r[1] or r[0], status=r[2], content_type=r[3] or "", kind=r[4],
                column_id=r[5] or "", parent_url=r[6] or "", depth=r[7] or 0, title=r[8] or "",
                body_hash=r[9] or "", text_len=r[10] or 0, fields=_json_map(r[11]), dates=_json_map(r[12]),
                error=r[13] or "", metadata=metadata, links=links, sources=_json_map(r[14]), layout=r[15] or "",
                meta_tags=_json_map(r[16]), facts=_json_map(r[17]))


class StoreSnapshot(Snapshot):
    """A site of a stored run; pages stream from SQLite on every `pages()` call."""

    def __init__(self, db: sqlite3.Connection, run_id: int, site_id: str):
        self.db, self.run_id, self.site_id = db, run_id, site_id
        args = (run_id, site_id)
        row = db.execute("SELECT * FROM run_sites WHERE run_id=? AND site_id=?", args).fetchone()
        if row is None:
            raise KeyError(f"run {run_id} has no site {site_id!r}")
        row = dict(zip(row.keys(), row)) if hasattr(row, "keys") else row
        profile = json.loads(row["profile_json"] or "{}")
        site = SiteInfo(site_id=site_id, name=row["name"], office=row["office"], homepage=row["homepage"],
                        kind=row["kind"], site_code=row["site_code"], status=row["status"],
                        error=row["error"] or "", profile=MappingProxyType(profile),
                        limits_reached=tuple(r[0] for r in db.execute(
                            "SELECT DISTINCT message FROM crawl_events WHERE run_id=? AND site_id=? AND level='limit'"
                            " ORDER BY message", args)))
        columns = [
            Column(column_id=c[0], name=c[1], url=c[2], cls=c[3], office=c[4] or "", catalog_path=c[5] or "",
                   path=c[6] or "", level=c[7] if c[7] is not None else 1, parent_id=c[8] or "",
                   source=c[9], assessable=None if c[10] is None else bool(c[10]), reason=c[11] or "",
                   note=c[12] or "", page_kind=c[13] or "", page_status=c[14], role=c[16] or "",
                   shows_article=c[13] == "article" or (c[15] or "{}") != "{}" or c[16] == "static")
            for c in db.execute(
                "SELECT c.column_id, c.name, c.url, c.cls, c.office, c.catalog_path, c.path, c.level,"
                " c.parent_id, c.source, c.assessable, c.reason, c.note, p.kind, p.status, p.fields, c.role"
                " FROM columns c LEFT JOIN pages p ON p.run_id=c.run_id AND p.site_id=c.site_id AND p.url=c.url"
                " WHERE c.run_id=? AND c.site_id=? ORDER BY c.rowid", args)
        ]
        home = self._load_home(site)
        home_urls = {site.homepage}
        if home is not None:
            home_urls |= {home.url, home.final_url}
        rows = db.execute("SELECT column_id, url, title, date, date_text, list_url, position, pinned FROM entries"
                          " WHERE run_id=? AND site_id=? ORDER BY column_id, position", args)
        feeds, home_entries = build_feeds(
            (Entry(column_id=r[0], url=r[1], title=r[2], date=r[3], date_text=r[4] or "", list_url=r[5],
                   position=r[6], pinned=bool(r[7])) for r in rows), home_urls)
        super().__init__(site, columns, feeds, home, home_entries, self._load_probes())

    def _load_probes(self) -> list[Probe]:
        """The probes of this site (zwgk probe) up to the run's as-of date; the rules pick their window."""
        row = self.db.execute("SELECT as_of FROM runs WHERE run_id=?", (self.run_id,)).fetchone()
        until = f"{row[0][:10]}T99" if row else "9999"
        since = (date.fromisoformat(row[0][:10]) - timedelta(days=62)).isoformat() if row else ""
        return [Probe(at=r[0], ok=bool(r[1]), status=r[2], elapsed_ms=r[3], error=r[4] or "", compressed=r[5] < 86400)
                for r in self.db.execute(
                    "SELECT p.at, p.ok, p.status, p.elapsed_ms, p.error, c.day_seconds FROM probes p"
                    " JOIN probe_campaigns c ON c.campaign_id = p.campaign_id"
                    " WHERE p.site_id=? AND p.at >= ? AND p.at < ? ORDER BY p.at", (self.site_id, since, until))]

    def _load_home(self, site: SiteInfo) -> Page | None:
        sql = f"SELECT {_PAGE_COLS} FROM pages WHERE run_id=? AND site_id=? AND "
        row = self.db.execute(sql + "kind='home' ORDER BY depth, url LIMIT 1", (self.run_id, self.site_id)).fetchone()
        if row is None:
            row = self.db.execute(sql + "url=?", (self.run_id, self.site_id, site.homepage)).fetchone()
        if row is None:
            return None
        return self._with_details(tuple(row))

    def _with_details(self, row) -> Page:
        url = row[0]
        meta = tuple(MetaField(label=m[0], field=m[1], value=m[2]) for m in self.db.execute(
            "SELECT label, field, value FROM metadata WHERE run_id=? AND site_id=? AND page_url=? ORDER BY position",
            (self.run_id, self.site_id, url)))
        links = tuple(_link_from_row(r) for r in self.db.execute(
            _LINK_SQL.format(extra=" AND l.page_url=?"), (self.run_id, self.site_id, url)))
        return _page_from_row(row, meta, links)

    def pages(self) -> Iterator[Page]:
        # Cursors ordered by page URL are merged, so each page arrives whole without an index of the
        # site in memory (SQLite BINARY order equals Python's str order for UTF-8 text).
        args = (self.run_id, self.site_id)
        pages, metas, links, listed = (self._cursor() for _ in range(4))
        pages.execute(f"SELECT {_PAGE_COLS} FROM pages WHERE run_id=? AND site_id=? ORDER BY url", args)
        metas.execute("SELECT page_url, label, field, value FROM metadata WHERE run_id=? AND site_id=?"
                      " ORDER BY page_url, position", args)
        links.execute(_LINK_SQL.format(extra=""), args)
        # a page reached first from elsewhere (the homepage) still belongs to the column whose list shows it
        listed.execute("SELECT url, column_id FROM entries WHERE run_id=? AND site_id=? AND column_id <> ''"
                       " ORDER BY url, column_id", args)
        meta_row = next(metas, None)
        link_row = next(links, None)
        list_row = next(listed, None)
        for row in pages:
            url = row[0]
            meta: list = []
            while meta_row is not None and meta_row[0] <= url:
                if meta_row[0] == url:
                    meta.append(MetaField(label=meta_row[1], field=meta_row[2], value=meta_row[3]))
                meta_row = next(metas, None)
            found: list = []
            while link_row is not None and link_row[0] <= url:
                if link_row[0] == url:
                    found.append(_link_from_row(link_row))
                link_row = next(links, None)
            column = ""
            while list_row is not None and list_row[0] <= url:
                if list_row[0] == url and not column:
                    column = list_row[1]
                list_row = next(listed, None)
            page = _page_from_row(row, tuple(meta), tuple(found))
            if not page.column_id and column:
                page = replace(page, column_id=column)
            yield page

    def _cursor(self) -> sqlite3.Cursor:
        cur = self.db.cursor()
        cur.row_factory = None   # plain tuples: sqlite3.Row costs time on every one of millions of rows
        return cur

    def page_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM pages WHERE run_id=? AND site_id=?",
                               (self.run_id, self.site_id)).fetchone()[0]

    def resource(self, url: str) -> Resource | None:
        r = self.db.execute("SELECT url, outcome, status, content_type, content_length, sniffed_type, final_url,"
                            " error, method, attempts FROM resources WHERE run_id=? AND url=?",
                            (self.run_id, url)).fetchone()
        return Resource(*[r[0], r[1], r[2], r[3] or "", r[4], r[5] or "", r[6] or "", r[7] or "", r[8] or "",
                          r[9] or 1]) if r else None

    def index_number_groups(self) -> dict[str, tuple[PageRef, ...]]:
        # Only values shared by two or more pages leave SQLite, so the index costs nothing per page.
        rows = self.db.execute(
            "WITH v AS (SELECT url, final_url, title, body_hash, column_id,"
            "  replace(replace(replace(trim(json_extract(fields, '$.\"索引号\"')), ' ', ''), '　', ''),"
            "   char(160), '') AS ix FROM pages WHERE run_id=? AND site_id=? AND status BETWEEN 200 AND 299)"
            " SELECT ix, url, title, final_url, body_hash, column_id FROM v WHERE ix IN"
            "  (SELECT ix FROM v WHERE ix IS NOT NULL AND ix <> '' GROUP BY ix HAVING count(*) > 1)"
            " ORDER BY ix, url", (self.run_id, self.site_id))
        groups: dict[str, list[PageRef]] = {}
        for r in rows:
            groups.setdefault(_norm_index(r[0]), []).append(
                PageRef(url=r[1], title=r[2] or "", final_url=r[3] or r[1], body_hash=r[4] or "",
                        column_id=r[5] or self._listed_in(r[1])))
        return {k: tuple(v) for k, v in groups.items() if len(v) > 1}

    def _listed_in(self, url: str) -> str:
        row = self.db.execute("SELECT column_id FROM entries WHERE run_id=? AND site_id=? AND url=? AND column_id <> ''"
                              " ORDER BY column_id LIMIT 1", (self.run_id, self.site_id, url)).fetchone()
        return row[0] if row else ""

    def select_pages(self, kinds: Iterable[str], column_ids: Iterable[str] = (), title_markers: Iterable[str] = (),
                     with_field: str = "") -> Iterator[Page]:
        kinds, cols = list(kinds), list(column_ids)
        markers = [m for m in title_markers if m]
        where, params = [], []
        if cols:
            marks = ",".join("?" * len(cols))
            # a page reached first from elsewhere still belongs to the column whose list shows it
            where += [f"column_id IN ({marks})", f"url IN (SELECT url FROM entries WHERE run_id=? AND site_id=?"
                                                 f" AND column_id IN ({marks}))"]
            params += [*cols, self.run_id, self.site_id, *cols]
        where += ["title LIKE ?" for _ in markers]
        params += [f"%{m}%" for m in markers]
        if with_field:
            where.append("coalesce(json_extract(fields, ?), '') <> ''")
            params.append(f'$."{with_field}"')
        if not where:
            return
        sql = (f"SELECT {_PAGE_COLS} FROM pages WHERE run_id=? AND site_id=? AND status BETWEEN 200 AND 299"
               f" AND kind IN ({','.join('?' * len(kinds))}) AND ({' OR '.join(where)}) ORDER BY url")
        rows = self._cursor().execute(sql, (self.run_id, self.site_id, *kinds, *params)).fetchall()
        for row in rows:
            page = self._with_details(tuple(row))
            if not page.column_id and (listed := self._listed_in(page.url)):
                page = replace(page, column_id=listed)
            yield page

    def pages_of_kind(self, kind: str) -> list[Page]:
        rows = self._cursor().execute(f"SELECT {_PAGE_COLS} FROM pages WHERE run_id=? AND site_id=? AND kind=?"
                                      " ORDER BY url", (self.run_id, self.site_id, kind)).fetchall()
        return [self._with_details(tuple(r)) for r in rows]

    def duplicate_groups(self, kinds: Iterable[str], min_text: int) -> list[tuple[PageRef, ...]]:
        kinds = list(kinds)
        rows = self.db.execute(
            "WITH v AS (SELECT url, final_url, trim(title) AS t, body_hash, column_id FROM pages"
            f" WHERE run_id=? AND site_id=? AND status BETWEEN 200 AND 299 AND kind IN ({','.join('?' * len(kinds))})"
            "  AND body_hash <> '' AND column_id <> '' AND text_len >= ?)"
            " SELECT v.url, v.t, v.final_url, v.body_hash, v.column_id FROM v JOIN"
            "  (SELECT column_id, t, body_hash FROM v GROUP BY 1, 2, 3 HAVING count(*) > 1) g"
            "  ON g.column_id = v.column_id AND g.t = v.t AND g.body_hash = v.body_hash"
            " ORDER BY v.column_id, v.t, v.body_hash, v.url", (self.run_id, self.site_id, *kinds, min_text))
        groups: dict[tuple, list[PageRef]] = {}
        for r in rows:
            groups.setdefault((r[4], r[1], r[3]), []).append(
                PageRef(url=r[0], title=r[1] or "", final_url=r[2] or r[0], body_hash=r[3], column_id=r[4]))
        return [tuple(v) for v in groups.values()]

    def has_attachment_texts(self) -> bool:
        return self.db.execute("SELECT 1 FROM attachment_texts WHERE run_id=? AND site_id=? LIMIT 1",
                               (self.run_id, self.site_id)).fetchone() is not None

    def attachment_text(self, url: str) -> tuple[str, str, str] | None:
        row = self.db.execute("SELECT status, note, text FROM attachment_texts WHERE run_id=? AND site_id=? AND url=?",
                              (self.run_id, self.site_id, url)).fetchone()
        if row is None:
            return None
        try:
            text = zlib.decompress(row[2]).decode("utf-8", "replace") if row[2] else ""
        except zlib.error:
            return ("not_assessed", "存储的附件文字损坏", "")
        return (row[0], row[1] or "", text)

    def page_text(self, page: Page) -> str | None:
        row = self.db.execute("SELECT text FROM page_texts WHERE run_id=? AND site_id=? AND url=?",
                              (self.run_id, self.site_id, page.url)).fetchone()
        if row is None or row[0] is None:
            return None
        try:
            return zlib.decompress(row[0]).decode("utf-8", "replace")
        except zlib.error:
            return None

    def titled(self, markers: Iterable[str]) -> list[PageRef]:
        markers = [m for m in markers if m]
        if not markers:
            return []
        like = " OR ".join("title LIKE ?" for _ in markers)
        params = [f"%{m}%" for m in markers]
        args = [self.run_id, self.site_id, *params]
        out = [PageRef(url=r[0], title=r[1], column_id=r[2] or "") for r in self.db.execute(
            f"SELECT url, title, column_id FROM pages WHERE run_id=? AND site_id=? AND ({like}) ORDER BY url", args)]
        out += [PageRef(url=r[0], title=r[1], column_id=r[2]) for r in self.db.execute(
            f"SELECT url, title, column_id FROM entries WHERE run_id=? AND site_id=? AND ({like})"
            " ORDER BY column_id, position", args)]
        return out


    def published_on(self, urls: Iterable[str]) -> dict[str, str]:
        urls = list(dict.fromkeys(u for u in urls if u))
        out: dict[str, str] = {}
        for i in range(0, len(urls), 500):
            chunk = urls[i:i + 500]
            rows = self.db.execute(
                "SELECT url, json_extract(dates, '$.\"发布日期\"') FROM pages WHERE run_id=? AND site_id=?"
                f" AND url IN ({','.join('?' * len(chunk))})", (self.run_id, self.site_id, *chunk))
            out.update({r[0]: r[1] for r in rows if r[1]})
        return out


def build_feeds(entries: Iterable[Entry], home_urls: set[str]) -> tuple[dict[str, ColumnFeed], list[Entry]]:
    """Summaries of every column's entries and the homepage items, in one pass over the entries."""
    acc: dict[str, list] = {}   # column_id -> [count, dated, head, heap]
    home: list[Entry] = []
    seq = 0
    for e in entries:
        if e.column_id == "" or (e.list_url and e.list_url in home_urls):
            home.append(e)
        a = acc.get(e.column_id)
        if a is None:
            a = acc[e.column_id] = [0, 0, [], []]
        a[0] += 1
        if len(a[2]) < HEAD_ENTRIES:
            a[2].append(e)
        if e.date:
            a[1] += 1
            seq += 1
            item = (e.date, -seq, e)   # on equal dates the earlier list position ranks higher
            if len(a[3]) < NEWEST_ENTRIES:
                heapq.heappush(a[3], item)
            elif item > a[3][0]:
                heapq.heapreplace(a[3], item)
    feeds = {
        cid: ColumnFeed(count=a[0], dated=a[1], head=tuple(sorted(a[2], key=lambda x: x.position)),
                        newest=tuple(x[2] for x in sorted(a[3], reverse=True)))
        for cid, a in acc.items()
    }
    return feeds, home


def load_sites(db: sqlite3.Connection, run_id: int) -> list[str]:
    return [r[0] for r in db.execute("SELECT site_id FROM run_sites WHERE run_id=? ORDER BY site_id", (run_id,))]


def load_snapshot(store, run_id: int, site_id: str) -> StoreSnapshot:
    """The snapshot of one site of a run in a `zwgk.core.store.Store` (or a bare sqlite3 connection)."""
    db = getattr(store, "db", store)
    return StoreSnapshot(db, run_id, site_id)


# ---- from a dict (rule fixtures, tests) ------------------------------------------------------

class MemorySnapshot(Snapshot):
    """A snapshot held in memory, built from plain data; the same objects as StoreSnapshot."""

    def __init__(self, site: SiteInfo, columns: list[Column], pages: list[Page], entries: list[Entry],
                 resources: dict[str, Resource], probes: Iterable[Probe] = ()):
        listed: dict[str, str] = {}
        for e in sorted(entries, key=lambda e: (e.url, e.column_id)):
            if e.column_id:
                listed.setdefault(e.url, e.column_id)
        # as in the store: a page without a column belongs to the column whose list shows it
        pages = [replace(p, column_id=listed[p.url]) if not p.column_id and p.url in listed else p for p in pages]
        self._pages = sorted(pages, key=lambda p: p.url)
        self._entries = entries
        self._resources = resources
        self.attachments: dict[str, tuple[str, str, str]] = {}   # url -> (status, note, text)
        home = next((p for p in self._pages if p.kind == "home"), None) or next(
            (p for p in self._pages if p.url == site.homepage), None)
        home_urls = {site.homepage} | ({home.url, home.final_url} if home else set())
        ordered = sorted(entries, key=lambda e: (e.column_id, e.position))
        feeds, home_entries = build_feeds(ordered, home_urls)
        super().__init__(site, columns, feeds, home, home_entries, probes)

    def pages(self) -> Iterator[Page]:
        return iter(self._pages)

    def page_count(self) -> int:
        return len(self._pages)

    def attachment_text(self, url: str) -> tuple[str, str, str] | None:
        return self.attachments.get(url)

    def has_attachment_texts(self) -> bool:
        return bool(self.attachments)

    def resource(self, url: str) -> Resource | None:
        return self._resources.get(url)

    def index_number_groups(self) -> dict[str, tuple[PageRef, ...]]:
        groups: dict[str, list[PageRef]] = {}
        for p in self._pages:
            ix = _norm_index(p.fields.get("索引号"))
            if ix and p.ok:
                groups.setdefault(ix, []).append(PageRef(url=p.url, title=p.title, final_url=p.final_url,
                                                         body_hash=p.body_hash, column_id=p.column_id))
        return {k: tuple(v) for k, v in sorted(groups.items()) if len(v) > 1}

    def titled(self, markers: Iterable[str]) -> list[PageRef]:
        markers = [m for m in markers if m]
        hit = lambda t: any(m in (t or "") for m in markers)  # noqa: E731
        out = [PageRef(url=p.url, title=p.title, column_id=p.column_id) for p in self._pages if hit(p.title)]
        out += [PageRef(url=e.url, title=e.title, column_id=e.column_id)
                for e in sorted(self._entries, key=lambda e: (e.column_id, e.position)) if hit(e.title)]
        return out


    def published_on(self, urls: Iterable[str]) -> dict[str, str]:
        wanted = set(urls)
        return {p.url: p.dates["发布日期"] for p in self._pages if p.url in wanted and p.dates.get("发布日期")}


def snapshot_from_dict(data: Mapping, page_builder=None) -> MemorySnapshot:
    """A snapshot from plain data (the rule-fixture format, see docs/rules.md § Fixtures).

    `page_builder(page_dict) -> Page` may turn special page entries (e.g. ones carrying `html`) into
    pages; it returns None to fall back to the plain form.
    """
    s = dict(data.get("site") or {})
    site_id = str(s.get("id", "site"))
    homepage = str(s.get("homepage", "http://site.test/"))
    site = SiteInfo(site_id=site_id, name=str(s.get("name", site_id)), office=str(s.get("office", "")),
                    homepage=homepage, kind=str(s.get("kind", "portal")), site_code=str(s.get("site_code", "")),
                    status=str(s.get("status", "done")), error=str(s.get("error", "")),
                    profile=MappingProxyType(dict(s.get("profile") or {})))
    columns = []
    for c in data.get("columns") or []:
        c = dict(c)
        fetched = c.get("assessable", True) is not None
        columns.append(Column(
            column_id=str(c.get("id", c.get("column_id", ""))), name=str(c.get("name", "")),
            url=str(c.get("url", "")), cls=str(c.get("class", c.get("cls", "unknown"))),
            office=str(c.get("office", "")), catalog_path=str(c.get("catalog_path", "")),
            path=str(c.get("path", "")), level=int(c.get("level", 1)), parent_id=str(c.get("parent_id", "")),
            source=str(c.get("source", "configured")), assessable=c.get("assessable", True),
            reason=str(c.get("reason", "")), note=str(c.get("note", "")),
            page_kind=str(c.get("page_kind", "column" if fetched else "")),
            page_status=c.get("page_status", 200 if fetched else None),
            role=str(c.get("role", "")),
            shows_article=bool(c.get("shows_article", c.get("page_kind") == "article" or c.get("role") == "static"))))
    resources = {}
    for r in data.get("resources") or []:
        r = dict(r)
        resources[r["url"]] = Resource(
            url=r["url"], outcome=r.get("outcome", "ok"), status=r.get("status"),
            content_type=r.get("content_type", ""), content_length=r.get("content_length"),
            sniffed_type=r.get("sniffed_type", ""), final_url=r.get("final_url", ""), error=r.get("error", ""),
            method=r.get("method", "GET"), attempts=int(r.get("attempts", 1)), sample=str(r.get("sample", "")))
    pages = []
    for p in data.get("pages") or []:
        built = page_builder(p) if page_builder else None
        if built is None:
            built = page_from_dict(p, resources)
        elif built.links:
            built = _attach_resources(built, resources)
        pages.append(built)
    entries = []
    for i, e in enumerate(data.get("entries") or []):
        e = dict(e)
        d = e.get("date")
        entries.append(Entry(column_id=str(e.get("column_id", "")), url=str(e.get("url", "")),
                             title=str(e.get("title", "")), date=None if d in (None, "") else str(d),
                             date_text=str(e.get("date_text", d or "")), list_url=str(e.get("list_url", "")),
                             position=int(e.get("position", i)), pinned=bool(e.get("pinned", False))))
    probes = [Probe(at=str(p["at"]), ok=bool(p.get("ok", True)), status=p.get("status"),
                    elapsed_ms=p.get("elapsed_ms"), error=str(p.get("error", "")), compressed=bool(p.get("compressed")))
              for p in expand_probes(data.get("probes") or [])]
    snap = MemorySnapshot(site, columns, pages, entries, resources, probes)
    snap.attachments = {str(a["url"]): (str(a.get("status", "read")), str(a.get("note", "")), str(a.get("text", "")))
                         for a in data.get("attachments") or []}
    return snap


def expand_probes(items) -> list[dict]:
    """Fixture probes: plain rows, or {every: {start, hours, count, failed}} blocks that expand to rows."""
    out = []
    for item in items:
        block = item.get("every") if isinstance(item, Mapping) else None
        if not block:
            out.append(dict(item))
            continue
        start = datetime.fromisoformat(str(block["start"]))
        failed = set(block.get("failed") or [])
        for i in range(int(block["count"])):
            at = start + timedelta(hours=float(block["hours"]) * i)
            out.append({"at": at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "ok": i not in failed,
                        "status": None if i in failed else 200, "error": "超过15秒未打开" if i in failed else "",
                        "compressed": bool(block.get("compressed"))})
    return out


def page_from_dict(p: Mapping, resources: Mapping[str, Resource]) -> Page:
    meta = []
    for m in p.get("metadata") or []:
        if isinstance(m, Mapping):
            meta.append(MetaField(label=str(m.get("label", m.get("field", ""))), field=m.get("field"),
                                  value=str(m.get("value", ""))))
        else:
            label, fld, value = m
            meta.append(MetaField(label=str(label), field=fld, value=str(value)))
    fields = dict(p.get("fields") or {})
    for m in meta:  # as the crawler does: the first occurrence of a canonical field wins
        if m.field and m.field not in fields:
            fields[m.field] = m.value
    dates = {k: str(v) for k, v in (p.get("dates") or {}).items()}
    links = tuple(
        Link(url=str(lk.get("url", "")), kind=str(lk.get("kind", "link")), text=str(lk.get("text", "")),
             tag=str(lk.get("tag", "")), internal=bool(lk.get("internal", True)),
             resource=resources.get(str(lk.get("url", ""))) if lk.get("url") else None)
        for lk in (p.get("links") or []))
    return Page(url=str(p["url"]), kind=str(p.get("kind", "article")), status=p.get("status", 200),
                final_url=str(p.get("final_url", p["url"])), content_type=str(p.get("content_type", "text/html")),
                column_id=str(p.get("column_id", "")), parent_url=str(p.get("parent_url", "")),
                depth=int(p.get("depth", 1)), title=str(p.get("title", "")),
                fields=MappingProxyType(fields), dates=MappingProxyType(dates), metadata=tuple(meta), links=links,
                text_len=int(p.get("text_len", 1000)), body_hash=str(p.get("body_hash", "")),
                error=str(p.get("error", "")), sources=MappingProxyType(dict(p.get("sources") or {})),
                layout=str(p.get("layout", "")), text=str(p.get("text") or ""),
                meta_tags=MappingProxyType(dict(p.get("meta_tags") or {})),
                facts=MappingProxyType(dict(p.get("facts") or {})))


def _attach_resources(page: Page, resources: Mapping[str, Resource]) -> Page:
    links = tuple(replace(lk, resource=resources.get(lk.url)) if lk.url else lk for lk in page.links)
    return replace(page, links=links)


__all__ = [
    "Column", "ColumnFeed", "Entry", "Link", "MemorySnapshot", "Page", "PageRef", "Probe", "Resource", "SiteInfo",
    "Snapshot", "StoreSnapshot", "build_feeds", "load_sites", "load_snapshot", "page_from_dict",
    "snapshot_from_dict", "expand_probes",
]
