"""Where the crawler may go: site scope, private-address refusal, and crawler-trap detection."""

from __future__ import annotations

import ipaddress
import re
import socket
from functools import lru_cache
from posixpath import splitext
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from zwgk.core.config import split_netloc

# File endings fetched as linked resources (checked), never parsed as pages.
RESOURCE_EXTENSIONS = frozenset(
    ".pdf .doc .docx .xls .xlsx .wps .et .dps .ppt .pptx .zip .rar .7z .txt .ofd .csv .xml .json"
    " .jpg .jpeg .png .gif .bmp .webp .svg .ico .tif .tiff .mp4 .flv .avi .wmv .mov .m4v .webm .mkv .swf"
    " .mp3 .wav .wma .m4a .ogg .css .js .exe .apk .iso".split()
)

# Query parameter names that page through dates: a calendar link leads to the next month forever.
_CALENDAR_PARAM = re.compile(r"^(y|m|d|year|month|day|date|yyyy|mm|dd|ym|week|riqi|time|t)$", re.I)


# Session identifiers a server writes into every link when it gets no cookie (we send none): each answer
# links the same pages under a new id, so without dropping them one list of six pages is endless.
_SESSION_PATH_PARAM = re.compile(r";(?:jsessionid|phpsessid|aspsessionid\w*|sessionid|session_id)=[^/?#;]*", re.I)
_SESSION_QUERY = re.compile(r"^(?:jsessionid|phpsessid|aspsessionid\w*|sessionid|session_id)$", re.I)


def canonical_url(url: str) -> str:
    """The key a URL is known by: no fragment, no session id; nothing sorted (servers may care about order)."""
    parts = urlsplit(url)
    path = _SESSION_PATH_PARAM.sub("", parts.path) if ";" in parts.path else parts.path
    query = parts.query
    if query and "sess" in query.lower():
        query = "&".join(p for p in query.split("&") if not _SESSION_QUERY.match(p.split("=", 1)[0]))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path or "/", query, ""))


def url_extension(url: str) -> str:
    return splitext(urlsplit(url).path)[1].lower()


def looks_like_page(url: str) -> bool:
    """True when the URL probably answers HTML (no resource file ending)."""
    return url_extension(url) not in RESOURCE_EXTENSIONS


class SiteScope:
    """The hosts of one site: a request is internal when its host (and port, if the profile names one) match."""

    def __init__(self, allowed_domains: tuple[str, ...] | list[str]):
        self.netlocs = {d for d in allowed_domains if ":" in d}
        self.hosts = {d for d in allowed_domains if ":" not in d}

    def contains(self, url: str) -> bool:
        parts = urlsplit(url)
        netloc = parts.netloc.lower()
        if netloc in self.netlocs:
            return True
        host = (parts.hostname or "").lower()
        # a bare domain also admits its subdomains (www.example.gov.cn under example.gov.cn)
        return any(host == h or host.endswith("." + h) for h in self.hosts)


_DEFAULT_PORTS = {"http": 80, "https": 443}


class HostMap:
    """Where a connection really goes: a profile's host_map sends a site's host to a staging copy or mirror.

    Only the connection moves; the URL (and so every recorded page, link and finding, and the Host header)
    stays the site's own."""

    def __init__(self, mapping: dict[str, str]):
        self.mapping = {k.lower(): v.lower() for k, v in mapping.items()}

    def __bool__(self) -> bool:
        return bool(self.mapping)

    def target(self, url: str) -> str | None:
        """host:port to connect to for this URL, None when its host is not mapped."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        try:
            port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 80)
        except ValueError:
            return None
        mapped = self.mapping.get(f"{host}:{port}") or self.mapping.get(host)
        if mapped is None:
            return None
        target_host, target_port = split_netloc(mapped)
        return f"{target_host}:{target_port or port}"

    def connect_url(self, url: str) -> str | None:
        """The URL with its host replaced by the mapped address (None when not mapped)."""
        target = self.target(url)
        if target is None:
            return None
        parts = urlsplit(url)
        return urlunsplit((parts.scheme, target, parts.path, parts.query, ""))

    def hosts(self) -> set[str]:
        return {split_netloc(k)[0] for k in self.mapping}

    def chromium_rules(self) -> list[str]:
        """The same mapping as Chromium --host-resolver-rules entries (MAP host address:port)."""
        return [f"MAP {split_netloc(k)[0]} {v}" for k, v in sorted(self.mapping.items())]


def is_private_address(host: str) -> bool:
    """True for loopback, private, link-local and other non-public targets (literal or resolved)."""
    for address in _addresses(host):
        ip = ipaddress.ip_address(address)
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast \
                or ip.is_unspecified:
            return True
    return False


@lru_cache(maxsize=4096)
def _addresses(host: str) -> tuple[str, ...]:
    try:
        return (str(ipaddress.ip_address(host.strip("[]"))),)
    except ValueError:
        pass
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return ("127.0.0.1",)
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return ()  # unresolvable: the download itself will report the DNS failure
    return tuple(sorted({info[4][0].split("%")[0] for info in infos}))


class TrapGuard:
    """Counts what a site's URLs look like so that endless calendars and query-string traps stop.

    The counts live in a plain dict that the spider keeps in its persistent state, so a resumed crawl
    keeps its limits.
    """

    MAX_URL_LENGTH = 512
    MAX_PATH_REPEAT = 3

    def __init__(self, counts: dict, max_query_variants: int):
        self.counts = counts
        self.max_query_variants = max_query_variants

    def refuse(self, url: str) -> str:
        """Why the URL is a trap ('' when it is fine to follow)."""
        if len(url) > self.MAX_URL_LENGTH:
            return "URL过长"
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if segments and max(segments.count(s) for s in segments) > self.MAX_PATH_REPEAT:
            return "路径重复（疑似无限链接）"
        if not parts.query:
            return ""
        params = parse_qsl(parts.query, keep_blank_values=True)
        calendar = any(_CALENDAR_PARAM.match(k) and re.fullmatch(r"\d{1,8}", v) for k, v in params)
        key = f"{parts.netloc}{parts.path}"
        seen = self.counts.setdefault(key, [])
        if parts.query in seen:
            return ""
        limit = min(self.max_query_variants, 12) if calendar else self.max_query_variants
        if len(seen) >= limit:
            return "日历或查询参数无限翻页（疑似爬虫陷阱）" if calendar else "查询参数变体过多（疑似爬虫陷阱）"
        seen.append(parts.query)  # bounded by the limit, so the state stays small
        return ""
