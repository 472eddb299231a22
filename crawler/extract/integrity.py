"""Whether a column page could be read at all: not HTML, truncated, or markup the parser lost content in.

A column is *blank* only when its page was read as HTML and its list region is known to be empty; a page
that fails these checks makes the column *not assessed* with the reason instead."""

from __future__ import annotations

import re

from crawler.sniff import sniff_type

_NOT_PAGE_TYPES = {"jpeg", "png", "gif", "bmp", "pdf", "zip", "ole", "rar", "7z", "flv", "swf", "mp3", "ogg",
                   "webm", "rtf", "mp4", "webp", "wav"}
_TYPE_NAMES = {"zip": "zip压缩包或Office文档", "ole": "Office文档", "pdf": "PDF文件", "rar": "rar压缩包",
               "7z": "7z压缩包"}
_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&[#\w]+;")
_ANCHOR = re.compile(r"<a\b[^>]*\bhref\s*=", re.I)
MIN_RAW_TEXT = 100      # characters of markup-stripped text before a loss is measurable
LOST_SHARE = 0.5        # the parser kept less than this share of the text: it could not read the page


def markup_text(html: str) -> str:
    """The text of the markup with tags, scripts and styles stripped (no parser: it must survive any markup)."""
    return " ".join(_ENTITY.sub(" ", _TAG.sub(" ", _DROP.sub(" ", html))).split())


def unreadable_reason(body: bytes, html: str, text_len: int, link_count: int) -> str:
    """'' when the page was read as HTML; else why it could not be (Chinese, for the column's reason)."""
    kind = sniff_type(body[:2048])
    if kind in _NOT_PAGE_TYPES:
        return f"栏目页面不是网页（内容实为{_TYPE_NAMES.get(kind, kind + '文件')}），无法读取栏目列表"
    if body.count(b"\x00") > 16:
        return "栏目页面不是网页（内容为二进制数据），无法读取栏目列表"
    raw = _ENTITY.sub("x", _TAG.sub("", _DROP.sub("", html)))
    raw_len = len("".join(raw.split()))
    anchors = len(_ANCHOR.findall(html))
    lost_text = raw_len >= MIN_RAW_TEXT and text_len < LOST_SHARE * raw_len
    lost_links = anchors >= 3 and link_count < LOST_SHARE * anchors
    # both must be lost: hidden menus or templates alone can hide text, not the page's links too
    if (lost_text and lost_links) or (anchors >= 3 and link_count == 0):
        return (f"栏目页面结构严重错误，解析后内容大量丢失（源码文字约{raw_len}字、链接{anchors}个，"
                f"解析得到{text_len}字、链接{link_count}个），无法读取栏目列表")
    tail = html[-4096:].lower()
    if "</html" not in tail and "</body" not in tail:
        return "栏目页面内容不完整（疑似传输中被截断），无法读取栏目列表"
    return ""
