"""Channel pages that only forward the visitor: `<meta http-equiv="refresh">` and `location.href=` stubs."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urldefrag

MAX_STUB_TEXT = 200   # a forwarding page shows at most a line ("正在跳转…"); more is content, not a stub
MAX_DELAY = 10        # seconds: a longer refresh is a page reloading itself, not a forward

_META_REFRESH = re.compile(
    r"<meta\b[^>]*http-equiv\s*=\s*[\"']?refresh[\"']?[^>]*>", re.I)
_CONTENT = re.compile(r"content\s*=\s*([\"'])(.*?)\1|content\s*=\s*([^\s>]+)", re.I | re.S)
_REFRESH_VALUE = re.compile(r"^\s*(\d+(?:\.\d+)?)?\s*[;,]?\s*(?:url\s*=\s*)?[\"']?([^\"']*)[\"']?\s*$", re.I)
_SCRIPT_FORWARD = re.compile(
    r"(?:window\.|self\.|top\.|document\.)?location(?:\.href)?\s*=\s*([\"'])([^\"']+)\1"
    r"|(?:window\.|self\.|top\.|document\.)?location\.(?:replace|assign)\(\s*([\"'])([^\"']+)\3\s*\)", re.I)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.I | re.S)


def forward_target(html: str, url: str, text_len: int) -> str | None:
    """The absolute URL a stub page forwards to, or None when the page is not a stub.

    Only short pages count (a real page may reload itself or redirect old browsers from a script)."""
    if text_len > MAX_STUB_TEXT or not html:
        return None
    head = html[:20000]
    for tag in _META_REFRESH.finditer(head):
        content = _CONTENT.search(tag.group(0))
        if not content:
            continue
        value = _REFRESH_VALUE.match(content.group(2) if content.group(2) is not None else content.group(3))
        if not value or not value.group(2):
            continue
        if value.group(1) and float(value.group(1)) > MAX_DELAY:
            continue
        target = _absolute(url, value.group(2))
        if target:
            return target
    for script in _SCRIPT.finditer(head):
        body = script.group(1)
        if "function" in body:  # a forward inside a handler runs on a click, not on load
            continue
        match = _SCRIPT_FORWARD.search(body)
        if match:
            target = _absolute(url, match.group(2) or match.group(4))
            if target:
                return target
    return None


def _absolute(base: str, value: str) -> str | None:
    value = value.strip()
    if not value or value.lower().startswith(("javascript:", "#", "mailto:", "data:")):
        return None
    target = urldefrag(urljoin(base, value))[0]
    if not target.startswith(("http://", "https://")) or target == urldefrag(base)[0]:
        return None
    return target
