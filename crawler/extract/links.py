"""Outgoing references of a page: hyperlinks, attachments, images, audio/video sources and players."""

from __future__ import annotations

import functools
import posixpath
from urllib.parse import urldefrag, urljoin, urlsplit

from zwgk.core.records import LinkRef

ATTACHMENT_EXTS = frozenset({".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et", ".zip", ".rar", ".7z",
                             ".ppt", ".pptx", ".txt", ".ofd", ".csv"})
VIDEO_EXTS = frozenset({".mp4", ".flv", ".webm", ".m4v", ".mov", ".avi", ".wmv", ".m3u8"})
AUDIO_EXTS = frozenset({".mp3", ".wav", ".m4a", ".aac", ".ogg", ".wma"})
_DROP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:")
_PLAYER_PARAMS = ("movie", "src", "url", "filename")


def page_base(tree, base_url: str) -> str:
    """The URL relative links resolve against: <base href> (itself resolved against base_url) or base_url."""
    try:
        for base in tree.iter("base"):
            href = (base.get("href") or "").strip()
            if href:
                return urljoin(base_url, href)
    except (AttributeError, TypeError, ValueError):
        pass
    return base_url


def resolve(base: str, value: str | None) -> str | None:
    """Absolute URL without fragment; None for javascript:/mailto:/tel:, bare #anchors and unusable values."""
    if value is None:
        return None
    value = value.strip()
    if not value or value[0] == "#":
        return None
    return _resolve(base, value)


@functools.lru_cache(maxsize=8192)
def _resolve(base: str, value: str) -> str | None:
    # Cached: every page of a site repeats the same menus, so most joins have been done before.
    lowered = value[:12].lower()
    if lowered.startswith(_DROP_SCHEMES):
        return None
    # Browsers read back-slashes in http(s) URLs (..\files\a.pdf from Windows editors) as slashes.
    if "\\" in value:
        value = value.replace("\\", "/")
    try:
        url = urldefrag(urljoin(base, value))[0]
        if "[" in url:
            urlsplit(url)  # rejects e.g. an unbalanced IPv6 bracket
    except ValueError:
        return None
    return url


def unfetchable_href(href: str) -> str:
    """How an href that leads nowhere is recorded: "" (empty), "#…" (an anchor), or its scheme and a short
    head of the value ("javascript:void(0)", "data:image/png…")."""
    value = href.strip()
    if not value:
        return ""
    if value.startswith("#"):
        return value[:100]
    return value[:60] + ("…" if len(value) > 60 else "")


def _ext(url: str) -> str:
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    return posixpath.splitext(path)[1].lower()


@functools.lru_cache(maxsize=8192)
def media_kind(url: str, default: str) -> str:
    """video / audio / attachment by the URL's extension, else default."""
    ext = _ext(url)
    if ext in VIDEO_EXTS:
        return "video"
    if ext in AUDIO_EXTS:
        return "audio"
    if ext in ATTACHMENT_EXTS:
        return "attachment"
    return default


def _text(el) -> str:
    return " ".join(el.text_content().split())


def _src(base: str, value: str | None) -> str | None:
    """A media source; an empty src="" is kept as "" because an empty player is itself a finding."""
    if value is None:
        return None
    if not value.strip():
        return ""
    return resolve(base, value)


def extract_links(tree, base_url: str) -> list[LinkRef]:
    """Every reference in document order, deduplicated by (url, tag)."""
    base = page_base(tree, base_url)
    refs: list[LinkRef] = []
    seen: set[tuple[str, str]] = set()

    def add(url: str | None, text: str, kind: str, tag: str) -> None:
        if url is None or (url, tag) in seen:
            return
        seen.add((url, tag))
        refs.append(LinkRef(url=url, text=text, kind=kind, tag=tag))

    try:
        elements = tree.iter("a", "area", "img", "video", "audio", "source", "embed", "object", "param", "iframe")
    except (AttributeError, TypeError):
        return refs
    for el in elements:
        tag = el.tag
        if tag in ("a", "area"):
            href = el.get("href")
            url = resolve(base, href)
            if url is None and href is not None:
                # an empty or "#" href, javascript:, data:, mailto: — recorded as what it is, never fetched
                what = unfetchable_href(href)
                add(what, _text(el) if tag == "a" else "", "link", f"{tag}@href")
            elif url:
                text = _text(el) if tag == "a" else ""
                if not text and tag == "a":
                    # An image link (logo, banner) is named by its picture's alt text.
                    img = next(el.iter("img"), None)
                    text = (img.get("alt") or "").strip() if img is not None else ""
                add(url, text or (el.get("title") or el.get("alt") or "").strip(), media_kind(url, "link"),
                    f"{tag}@href")
        elif tag == "img":
            alt = (el.get("alt") or el.get("title") or "").strip()
            src = _src(base, el.get("src"))
            lazy = _src(base, el.get("data-src") or el.get("data-original"))
            if src is not None and not (src == "" and lazy):
                add(src, alt, "image", "img@src")
            if lazy:
                add(lazy, alt, "image", "img@data-src")
        elif tag in ("video", "audio"):
            add(_src(base, el.get("src")), (el.get("title") or "").strip(), tag, f"{tag}@src")
            poster = _src(base, el.get("poster")) if tag == "video" else None
            if poster:
                add(poster, "", "image", "video@poster")
        elif tag == "source":
            parent = el.getparent()
            if parent is not None and parent.tag in ("video", "audio"):
                add(_src(base, el.get("src")), (parent.get("title") or "").strip(), parent.tag,
                    f"{parent.tag}/source@src")
        elif tag == "embed":
            url = _src(base, el.get("src"))
            add(url, "", media_kind(url, "embed") if url else "embed", "embed@src")
        elif tag == "object":
            url = _src(base, el.get("data"))
            add(url, "", media_kind(url, "embed") if url else "embed", "object@data")
        elif tag == "param":
            name = (el.get("name") or "").strip().lower()
            if name in _PLAYER_PARAMS:
                url = _src(base, el.get("value"))
                add(url, "", media_kind(url, "embed") if url else "embed", f"param[name={name}]@value")
        elif tag == "iframe":
            add(_src(base, el.get("src")), (el.get("title") or "").strip(), "embed", "iframe@src")
    return refs
