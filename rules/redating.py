"""DATE rules: content re-published under a new date (伪造发稿日期) and the same item published twice in a column."""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Iterator
from urllib.parse import urlsplit

from rules.context import CheckContext
from rules.snapshot import Page, Snapshot
from zwgk.core.records import Finding

# Dates a CMS stamps into a page's URL when the page is created: t20181011_123.html, /2018-10/11/,
# /art/2018/10/11/, /201810/ (a month folder).
_URL_DAY = (re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_"),
            re.compile(r"/((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})/"),
            re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
            re.compile(r"/((?:19|20)\d{2})-(\d{1,2})/(\d{1,2})/"))
_ANY_YEAR = re.compile(r"(?:19|20)\d{2}")
_URL_MONTH = (re.compile(r"/((?:19|20)\d{2})-?(\d{2})/"),)
# TRS and similar CMSs name uploaded files by their upload day: P020181011xxxx.pdf
_UPLOAD = re.compile(r"/P0((?:19|20)\d{2})(\d{2})(\d{2})\d+\.[A-Za-z0-9]+$")


def _mk(y: str, m: str, d: str | None) -> date | None:
    try:
        if d is None:   # a month folder: the latest day it can mean (conservative)
            return date(int(y), int(m), calendar.monthrange(int(y), int(m))[1])
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def url_date(url: str) -> date | None:
    """The creation day a CMS wrote into the URL path, or None."""
    if not _ANY_YEAR.search(url):
        return None
    path = urlsplit(url).path
    for rx in _URL_DAY:
        m = rx.search(path)
        if m and (day := _mk(m[1], m[2], m[3])):
            return day
    for rx in _URL_MONTH:
        m = rx.search(path)
        if m and (day := _mk(m[1], m[2], None)):
            return day
    return None


def upload_date(url: str) -> date | None:
    if "/P0" not in url:   # most links: no upload stamp, no parsing
        return None
    m = _UPLOAD.search(urlsplit(url).path)
    return _mk(m[1], m[2], m[3]) if m else None


def check_redated_content(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: a page whose printed 发布日期 is later, by at least the threshold (default 365 days),
    than the dates the page's own system stamped when it was made: the date in its URL path
    (`t20181011_…`, `/2018-10/11/`, `/201810/`) and the upload dates in its attachments' names
    (`P020181011…`). Both stamps older → 伪造发稿日期 (veto); one of them → 待人工复核.

    Why: re-dating old content makes a stale column look updated; 国办秘函〔2019〕19号 lists 伪造发稿日期 among
    the 严重错误 that fail a site.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》单项否决“严重错误”（伪造发稿日期）.

    Not flagged: an old document published late with its old 成文日期 or 落款 (legal: 成文日期 alone proves
    nothing); a page whose text says it is re-published (转发、重新发布 …); 发布日期 read only from a <meta> tag
    or the URL; a month folder counts as that month's last day.
    """
    t = ctx.thresholds.redating
    if page.kind != "article":
        return
    value = page.dates.get("发布日期")
    if not value or page.sources.get("发布日期", "block") in ("meta", "url", "script-unknown"):
        return
    try:
        published = date.fromisoformat(value[:10])
    except ValueError:
        return
    stamps: dict[str, str] = {}
    u = url_date(page.url)
    if u and (published - u).days >= t.min_days:
        stamps["URL日期"] = u.isoformat()
    uploads = sorted(d for lk in page.links if (d := upload_date(lk.url)) and (published - d).days >= t.min_days)
    if uploads:
        stamps["附件上传日期"] = uploads[0].isoformat()
    if not stamps:
        return
    text = snapshot.page_text(page) or ""
    note = next((w for w in t.republication_markers if w in text or w in page.headline), None)
    if note:
        return
    written = page.dates.get("成文日期", "")
    sure = len(stamps) >= 2
    column = snapshot.column(page.column_id)
    shown = "，".join(f"{k}{v}" for k, v in stamps.items())
    message = (f"发布日期{published}晚于页面自身的生成日期（{shown}）" + (f"，成文日期{written}" if written else "")
               + ("，疑似旧文新发、伪造发稿日期" if sure else "；仅一项证据，请人工复核是否旧文新发"))
    yield ctx.page_finding(page, column, message, confidence="confirmed" if sure else "review",
                           evidence={"发布日期": published.isoformat(), **stamps, "成文日期": written,
                                     "limit_days": t.min_days})


def check_duplicate_publication(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: two pages of one column with the same title and the same visible text (the crawl's
    body hash) under different URLs; one finding per pair naming both URLs.

    Why: publishing an item twice pads a column's update count and confuses readers.

    Basis: 国办发〔2017〕47号《政府网站发展指引》（信息内容建设：准确、规范）; 国办秘函〔2019〕19号 栏目更新.

    Not flagged: reposts of one document in different columns; one page reached under two addresses
    (a redirect: its final URL is the other's); pages too short to compare (threshold).
    """
    t = ctx.thresholds.redating
    for pages in snapshot.duplicate_groups(("article",), t.duplicate_min_text):
        first = pages[0]
        seen = {first.url, first.final_url}
        for other in pages[1:]:
            if other.url in seen or other.final_url in seen:
                continue
            seen |= {other.url, other.final_url}
            column = snapshot.column(other.column_id)
            name = column.name if column else other.column_id
            yield ctx.finding(f"栏目“{name}”中“{other.title}”重复发布（另见 {first.url}）", url=other.url,
                              column=column, title=other.title, evidence={"duplicate_of": first.url})
