"""A site's 网站地图 page: the columns it lists, each with the heading it is listed under (its parent)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extract.links import page_base, resolve
from crawler.extract.page import parse_html

_REGION = re.compile(r"site-?map|wzdt|zddt|(?:^|[\s_-])map(?:$|[\s_-])|ditu", re.I)
_HEADING_CLASS = re.compile(r"(?:^|[\s_-])(?:tit|title|hd|head|heading|name|lm|lanmu)\w*", re.I)
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "strong", "b", "th", "legend"}


@dataclass(frozen=True, slots=True)
class MapColumn:
    url: str
    name: str
    parent_url: str = ""     # "" for a top-level entry of the map


def _text(el) -> str:
    return " ".join(el.text_content().split())


def _is_heading(el) -> bool:
    if el.tag in _HEADING_TAGS:
        return True
    return bool(_HEADING_CLASS.search(f"{el.get('class') or ''} {el.get('id') or ''}"))


def _heading_anchor(a):
    """The heading element an anchor stands in (the anchor itself or an ancestor up to 2 levels), or None."""
    el = a
    for _ in range(3):
        if el is None or not isinstance(el.tag, str):
            return None
        if _is_heading(el) and len(el.findall(".//a")) <= 1:
            return el
        el = el.getparent()
    return None


def sitemap_columns(html: str, url: str) -> list[MapColumn]:
    """Every link of the map region in document order, with the heading link it sits under."""
    tree = parse_html(html)
    if tree is None:
        return []
    body = tree.find("body")
    if body is None:
        return []
    region = next((el for el in body.iter() if isinstance(el.tag, str) and el.tag not in ("a", "img")
                   and _REGION.search(f"{el.get('class') or ''} {el.get('id') or ''}")
                   and len(el.findall(".//a")) >= 3), body)
    base = page_base(tree, url)
    heading_of: dict = {}       # heading element -> its anchor's URL
    for a in region.iter("a"):
        holder = _heading_anchor(a)
        if holder is not None:
            target = resolve(base, a.get("href"))
            if target:
                heading_of[holder] = target
    out: list[MapColumn] = []
    for a in region.iter("a"):
        target = resolve(base, a.get("href"))
        if not target:
            continue
        name = _text(a) or (a.get("title") or "").strip()
        holder = _heading_anchor(a)
        parent = ""
        if holder is None:
            parent = _parent_heading(a, heading_of)
        else:
            parent = _parent_heading(holder, heading_of, nested_only=True)
        out.append(MapColumn(url=target, name=name, parent_url=parent))
    return out


def _parent_heading(el, heading_of: dict, nested_only: bool = False) -> str:
    """The URL of the nearest heading that precedes el inside a common block (its section's title)."""
    node = el
    while node is not None and isinstance(node.tag, str) and node.tag != "body":
        sibling = node.getprevious()
        while sibling is not None:
            if sibling in heading_of:
                return heading_of[sibling]
            if not nested_only:
                inner = [h for h in sibling.iter() if h in heading_of] if isinstance(sibling.tag, str) else []
                if inner and sibling.tag not in ("ul", "ol", "dl", "table", "div", "dd", "li", "tr", "td"):
                    return heading_of[inner[-1]]
            sibling = sibling.getprevious()
        node = node.getparent()
        if node is not None and node in heading_of:
            return heading_of[node]
    return ""
