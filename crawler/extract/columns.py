"""Columns (栏目): navigation links of a homepage or 信息公开 page, and the class of a column name."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from itertools import islice
from urllib.parse import urlsplit

import lxml.etree

from crawler.extract.links import page_base, resolve
from zwgk.core.config import ConfigError, read_data_file
from zwgk.core.records import COLUMN_CLASSES, LinkRef

LEXICON_FILE = Path(__file__).resolve().parent.parent / "data" / "column_lexicon.yaml"

# Containers of menus and of the 信息公开目录 tree, by tag or by class/id words Chinese CMSs use
# (daohang/dh = 导航, gkml = 公开目录, lanmu/lm = 栏目, mulu = 目录).
NAV_TAGS = frozenset({"nav", "header", "menu"})
NAV_RE = re.compile(r"nav|menu|daohang|gkml|xxgk|catalog|mulu|lanmu|sidebar|sub-?col|channel|pindao|dhlm|lmdh|"
                    r"(?:^|[\s_-])(?:dh|lm|tree)(?:$|[\s_-])", re.I)
FOOTER_RE = re.compile(r"foot|bottom|copyright|banquan", re.I)
MAX_NAV_TEXT = 16
MAX_LINK_COLUMN_NAME = 10   # a link to a column URL outside menus is a column link when its name is this short
MIN_BAR_LINKS, MAX_BAR_LINKS, MAX_BAR_NAME = 4, 30, 8    # a bare run of short links reads as a menu
_CRUMB_RE = re.compile(r"crumb|position|location|weizhi|dqwz|curpos|(?:^|[\s_-])(?:wz|mbx|pos)(?:$|[\s_-])", re.I)
_COLUMN_FILE = re.compile(r"^(?:index|default|list|more|column|channel)[\w-]*(?:\.(?:s?html?|jsp|aspx?|php))?$", re.I)
_HANWEB_COL = re.compile(r"/col/col\d+/", re.I)
_ARTICLE_URL = re.compile(r"/t\d{8}_\d+|/art/\d{4}/|content_\d+|/\d{4}-\d{2}(?:-\d{2})?/|/post_\d+|/\d{6,}/", re.I)
_SEARCH_URL = re.compile(r"search|query|sousuo|jiansuo|/so/|login|register", re.I)
_SEARCH_QUERY = re.compile(r"(?:^|&)(?:q|wd|kw|key|keyword|keywords|searchword|query)=", re.I)
_COLUMN_QUERY = re.compile(r"(?:^|&)(?:channel_?id|chnl_?id|cat_?id|class_?id|column_?id|col_?id|type_?id|node_?id|"
                           r"lm_?id|cid|tid|link|lm|col|cate(?:gory)?|channel)=", re.I)
_ROW_DATE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}|(?<![\d])\d{1,2}-\d{1,2}(?![\d])")
_SPLIT_URL = re.compile(r"[/_.\-]+")


@dataclass(frozen=True)
class ColumnLexicon:
    names: tuple[tuple[str, str], ...]   # (keyword, class) in file order
    urls: dict[str, str]                 # URL path token -> class
    empty_notes: tuple[str, ...]
    side_always: tuple[str, ...] = ()    # headings of side blocks that never hold a column's list
    side_beside: tuple[str, ...] = ()    # headings of side blocks beside a list (whole heading)
    pinned: tuple[str, ...] = ()         # 置顶 markers
    not_columns: tuple[str, ...] = ()    # words of menu links that are site tools, not columns
    not_columns_exact: frozenset = frozenset()   # short ones, only as the whole name


@functools.lru_cache(maxsize=4)
def load_lexicon(path: str | Path = LEXICON_FILE) -> ColumnLexicon:
    """Read and validate column_lexicon.yaml; errors name the file and key."""
    data = read_data_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("classes"), dict):
        raise ConfigError(f"{path}: classes: expected a mapping of column class -> keywords")
    names: list[tuple[str, str]] = []
    urls: dict[str, str] = {}
    for cls, entry in data["classes"].items():
        where = f"{path}: classes.{cls}"
        if cls not in COLUMN_CLASSES or cls == "unknown":
            raise ConfigError(f"{where}: unknown column class (expected one of {', '.join(COLUMN_CLASSES[:-1])})")
        if not isinstance(entry, dict) or set(entry) - {"names", "url"}:
            raise ConfigError(f"{where}: expected a mapping with 'names' and optional 'url'")
        for key in ("names", "url"):
            words = entry.get(key) or []
            if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
                raise ConfigError(f"{where}.{key}: expected a list of words")
        if not entry.get("names"):
            raise ConfigError(f"{where}.names: expected at least one keyword")
        names.extend((word.strip(), cls) for word in entry["names"])
        for word in entry.get("url") or []:
            urls.setdefault(word.strip().lower(), cls)
    notes = data.get("empty_notes") or []
    if not isinstance(notes, list) or not all(isinstance(n, str) and n.strip() for n in notes):
        raise ConfigError(f"{path}: empty_notes: expected a list of phrases")
    side = data.get("side_blocks") or {}
    if not isinstance(side, dict) or set(side) - {"always", "beside_a_list"}:
        raise ConfigError(f"{path}: side_blocks: expected a mapping with 'always' and 'beside_a_list'")
    for key in ("always", "beside_a_list"):
        words = side.get(key) or []
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ConfigError(f"{path}: side_blocks.{key}: expected a list of headings")
    pinned = data.get("pinned") or []
    if not isinstance(pinned, list) or not all(isinstance(w, str) and w.strip() for w in pinned):
        raise ConfigError(f"{path}: pinned: expected a list of words")
    tools = data.get("not_columns") or {}
    if not isinstance(tools, dict) or set(tools) - {"contains", "exact"}:
        raise ConfigError(f"{path}: not_columns: expected a mapping with 'contains' and 'exact'")
    for key in ("contains", "exact"):
        words = tools.get(key) or []
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ConfigError(f"{path}: not_columns.{key}: expected a list of words")
    return ColumnLexicon(tuple(names), urls, tuple(n.strip() for n in notes),
                         tuple(w.strip() for w in side.get("always") or []),
                         tuple(w.strip() for w in side.get("beside_a_list") or []),
                         tuple(w.strip() for w in pinned),
                         tuple(w.strip().lower() for w in tools.get("contains") or []),
                         frozenset(w.strip().lower() for w in tools.get("exact") or []))


def classify_column(name: str, url: str = "") -> str:
    """The column class of a column name (longest keyword wins), else by URL folder, else 'unknown'."""
    lexicon = load_lexicon()
    compact = "".join((name or "").split())
    best, best_len = "unknown", 0
    for word, cls in lexicon.names:
        if len(word) > best_len and word in compact:
            best, best_len = cls, len(word)
    if best != "unknown" or not url:
        return best
    try:
        path = urlsplit(url).path.lower()
    except ValueError:
        return best
    for token in reversed(_SPLIT_URL.split(path)):  # the deepest folder names the column
        if token in lexicon.urls:
            return lexicon.urls[token]
    return best


def _marked(el, pattern: re.Pattern) -> bool:
    return bool(pattern.search(f"{el.get('class') or ''} {el.get('id') or ''}"))


def _link_name(a) -> str:
    """The printed name of a menu link: its text, else its title attribute; "" for a date, a number, 更多."""
    name = column_name(a.text_content())
    if not name:
        name = column_name(a.get("title") or "")
        if not name:
            img = next(a.iter("img"), None)
            name = column_name(img.get("alt") or "") if img is not None else ""
    return name if len(name) <= MAX_NAV_TEXT else ""


def _in_footer(el, footers: frozenset) -> bool:
    return any(p in footers for p in (el, *el.iterancestors()))


def _column_url(url: str, site: str) -> bool:
    """A URL that names a column: a folder, an index/list page, a Hanweb /col/colNNN/ or a list query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if site and site_key(url) != site:
        return False
    last = parts.path.rsplit("/", 1)[-1]
    if _ARTICLE_URL.search(parts.path) or _SEARCH_URL.search(parts.path):
        return False
    if parts.query:     # a list chosen by a channel id (?catid=12, ?link=ywdt); never a search or a document
        return bool(_COLUMN_QUERY.search(parts.query)) and not _SEARCH_QUERY.search(parts.query)
    return not last or bool(_COLUMN_FILE.match(last)) or bool(_HANWEB_COL.search(parts.path))


def site_key(url: str) -> str:
    """The registrable part of a URL's host (www.example.gov.cn -> example.gov.cn): one site's hosts share it."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    parts = host.split(".")
    return ".".join(parts[-3:] if host.endswith((".gov.cn", ".com.cn", ".org.cn", ".edu.cn")) else parts[-2:])


class _NavList:
    """Navigation links found so far, one per URL (a link with no usable href is kept by its name)."""

    def __init__(self):
        self.links: list[LinkRef] = []
        self.by_url: dict[str, int] = {}
        self.names: set[str] = set()

    def add(self, url: str | None, name: str, tag: str = "a@href") -> None:
        if name and _not_a_column(name):
            return
        if url:
            at = self.by_url.get(url)
            if at is not None:
                if name and not self.links[at].text:    # a 更多 link first, its heading later
                    self.links[at] = LinkRef(url=url, text=name, kind="link", tag=tag)
                    self.names.add(name)
                elif name and name not in self.names:   # one column printed under two names
                    self.links.append(LinkRef(url=url, text=name, kind="link", tag=tag))
                    self.names.add(name)
                return
            self.by_url[url] = len(self.links)
        elif not name or name in self.names:
            return
        self.links.append(LinkRef(url=url or "", text=name, kind="link", tag=tag if url else "a"))
        if name:
            self.names.add(name)


def extract_nav(tree, base_url: str) -> list[LinkRef]:
    """The columns a person sees: menus (nav/ul.nav/div.menu/header, menus in tables), the 信息公开目录
    tree and its groups, the breadcrumb, block headings and their 「更多」 links, and short links to
    column URLs (folders, index pages, Hanweb /col/colNNN/) anywhere but in the footer.

    A name is the printed one (link text, else title/alt), never a date, a number or 「更多」: a 更多 link
    takes its block's heading, or an empty name (the crawler names the column from its own page).
    A printed column without a usable link (a tree group, a tab with href="") is kept by name, url "".
    """
    base = page_base(tree, base_url)
    nav = _NavList()
    body = tree.find("body") if hasattr(tree, "find") else None
    root = body if body is not None else tree
    try:
        # Only elements that could be a container: the class/id test then runs on a few hundred at most.
        elements = root.xpath(".//*[@class or @id or self::nav or self::header or self::menu or self::footer]")
    except (AttributeError, TypeError, lxml.etree.XPathError):
        return []
    footers = frozenset(el for el in elements if el.tag == "footer" or _marked(el, FOOTER_RE))
    containers, chosen = [], set()
    for el in elements:
        if el.tag in NAV_TAGS or _marked(el, NAV_RE) or _marked(el, _CRUMB_RE):
            if not any(a in chosen for a in el.iterancestors()):
                containers.append(el)
                chosen.add(el)
    menu_urls: set[str] = set()            # links printed in menus (the homepage counts there)
    marked_menu_urls: set[str] = set()     # ... in menus the page marks as such (nav, menu, daohang …)
    home = {resolve(base_url, base_url), resolve(base_url, "/"), resolve(base_url, "index.html")}
    for container in containers:
        if _in_footer(container, footers):
            continue
        for a in container.iter("a"):
            name = _link_name(a)
            url = resolve(base, a.get("href"))
            if url in home and (a.get("href") or "").strip().endswith("#"):
                url = None      # href="http://site/#": a menu group printed without a page of its own
                if name:
                    nav.add(None, name)
                continue
            if url and not name and MORE_RE.match(" ".join(a.text_content().split())):
                nav.add(url, block_heading(a))
            elif name and url:
                nav.add(url, name)
                menu_urls.add(url)
                marked_menu_urls.add(url)
            elif name and not url and _is_group_head(a):
                nav.add(None, name)
    site = site_key(base_url)
    for bar in _link_bars(root, footers):
        for a in bar.iter("a"):
            url = resolve(base, a.get("href"))
            path = urlsplit(url).path if url else ""
            if url and url not in home and not _SEARCH_URL.search(path) and not _ARTICLE_URL.search(path):
                nav.add(url, _link_name(a))
                menu_urls.add(url)
    for a in root.iter("a"):
        if _in_footer(a, footers):
            continue
        text = " ".join(a.text_content().split())
        url = resolve(base, a.get("href"))
        if url in home and url not in menu_urls:
            continue    # the homepage itself is a column only where a menu prints it
        if text and MORE_RE.match(text):
            if url and site_key(url) == site and not _ARTICLE_URL.search(url):
                nav.add(url, _more_name(a, url, base))
            continue
        name = _link_name(a)
        if not name:
            continue
        if not url and (_is_group_head(a) or (a.get("onclick") and classify_column(name) != "unknown")):
            # a tree group, or a link with a column's name that opens by script (onclick="guide(2)")
            nav.add(None, name)
        elif _in_heading(a):
            if url and site_key(url) == site and not _ARTICLE_URL.search(url):
                nav.add(url, name)
            elif not url and _is_tab(a):
                nav.add(None, name)
        elif url and len(name) <= MAX_LINK_COLUMN_NAME and _column_url(url, site) and not _in_dated_row(a):
            nav.add(url, name)
    for h in root.iter(*HEADING_TAGS, "dt"):
        # an unlinked heading over a menu of sub-columns names their group (重点领域信息公开)
        if next(h.iter("a"), None) is None and _heads_a_menu(h):
            name = column_name(h.text_content())
            if name and len(name) <= MAX_NAV_TEXT:
                nav.add(None, name)
    # a link to another organisation's site (友情链接, 人大网) is not a column of this site; a menu item
    # with a column's name hosted elsewhere (县长信箱 on a letter system) is one the site shows
    return [link for link in nav.links if not link.url or not site or site_key(link.url) == site
            or (link.url in marked_menu_urls and classify_column(link.text) != "unknown")]


_BAR_SEPARATORS = re.compile(r"[\s|｜·•/、\-]+")


def _link_bars(root, footers: frozenset) -> list:
    """Menus printed without a menu class: a table row or cell (or a plain block) holding nothing but a
    run of short links and separators (首页 | 政务公开 | 互动交流 …), outside the footer."""
    bars = []
    for el in root.iter("tr", "td", "p", "div"):
        links = list(islice(el.iter("a"), MAX_BAR_LINKS + 1))
        if not (MIN_BAR_LINKS <= len(links) <= MAX_BAR_LINKS) or any(b in el.iterancestors() for b in bars):
            continue
        names = [_link_name(a) for a in links]
        if not all(names) or any(len(n) > MAX_BAR_NAME for n in names):
            continue
        text = "".join(el.text_content().split())
        rest = text
        for a in links:
            rest = rest.replace("".join(a.text_content().split()), "", 1)
        if _BAR_SEPARATORS.sub("", rest) or _in_footer(el, footers):
            continue
        bars.append(el)
    return bars


def _is_group_head(a) -> bool:
    """An unlinked item of a menu tree whose own item holds a sub-menu (li.li1 > a + ul of links)."""
    if a.get("onclick") or a.get("href") not in (None, "", "#") and not _is_tab(a):
        return False
    item = next((x for x in islice(a.iterancestors(), 3) if x.tag in ("li", "dt", "dl")), None)
    if item is None:
        return False
    for sub in item.iter("ul", "ol", "dl", "dd"):
        if sub is item or a in sub.iterancestors() or sub in a.iterancestors():
            continue
        if sum(1 for x in islice(sub.iter("a"), 3) if x.get("href")) >= 2:
            return True
    return False


def _not_a_column(name: str) -> bool:
    """Site tools printed in menus (登录, 简体/繁体, 无障碍, 搜索 …): never columns."""
    lexicon = load_lexicon()
    compact = "".join(name.split()).lower()
    return compact in lexicon.not_columns_exact or any(w in compact for w in lexicon.not_columns)


def _in_heading(a) -> bool:
    """Whether a link is (or sits in) a block's heading: <h3>, a box title, a tab strip."""
    for el in (a, *islice(a.iterancestors(), 4)):
        if el.tag in HEADING_TAGS:
            return True
        if el.tag in ("body", "html"):
            return False
        if _HEADING_CLASS.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            text = " ".join(el.text_content().split())
            return len(text) <= 60
    return False


def _is_tab(a) -> bool:
    href = (a.get("href") or "").strip().lower()
    return a.get("href") is not None and (href in ("", "#") or href.startswith("javascript"))


def _in_dated_row(a) -> bool:
    item = next((x for x in islice(a.iterancestors(), 3) if x.tag in ("li", "tr", "dd", "p")), None)
    if item is None:
        return False
    text = " ".join(item.text_content().split())
    return bool(_ROW_DATE.search(text))


def _heads_a_menu(h) -> bool:
    """A heading followed by a list of short links (the sub-columns of its column)."""
    if h.tag == "dt":   # <dl><dt>group</dt><dd><a>…</a></dd>…</dl>
        dds = [d for d in h.itersiblings() if d.tag == "dd"]
        links = [x for d in dds for x in d.iter("a")]
        text = " ".join(d.text_content() for d in dds)
    else:
        sib = next((s for s in h.itersiblings() if isinstance(s.tag, str)), None)
        if sib is None or sib.tag not in ("ul", "ol", "dl", "div", "table"):
            return False
        links, text = list(islice(sib.iter("a"), 40)), sib.text_content()
    return 2 <= len(links) <= 40 and all(_link_name(x) for x in links) and not _ROW_DATE.search(text)


def _more_name(a, url: str, base: str) -> str:
    """A 更多 link's column name: the heading link of its block to the same URL, else the block's heading."""
    for ancestor in islice(a.iterancestors(), 4):
        for other in ancestor.iter("a"):
            if other is not a and resolve(base, other.get("href")) == url:
                name = _link_name(other)
                if name:
                    return name
    return block_heading(a)


MORE_RE = re.compile(r"^(?:查看|点击查看|进入)?(?:更多|more)|^(?:>>|»|＞＞|>|＞|›|\+)+$", re.I)
_MORE_TAIL = re.compile(r"\s*(?:(?:查看|点击查看)?(?:更多|more)\s*)?(?:>>|»|＞＞|>|＞|›|\+)*\s*$", re.I)
_NUMERIC = re.compile(r"[\d０-９\s\-/.:：年月日号期第页\[\]()（）【】<>《》,，、|｜_~]*")
_HEADING_CLASS = re.compile(r"tit|head|(?:^|[\s_-])(?:hd|bt|lm|lmmc|name|biaoti|lanmu)(?:$|[\s_-])", re.I)
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def column_name(text: str) -> str:
    """A printed text as a column name: "" when it is a date, a number, 「更多」 or nothing."""
    text = " ".join((text or "").split())
    text = _MORE_TAIL.sub("", text).strip(" :：|｜·•-")
    if not text or MORE_RE.match(text) or _NUMERIC.fullmatch(text) or len(text) < 2:
        return ""
    return text


def block_heading(el, levels: int = 3) -> str:
    """The heading printed above el in its block (a box title, a tab, an <h3>): "" when none is found.

    Walks up to `levels` ancestors; at each, the nearest preceding siblings with a short text name
    the block (a long sibling is searched for a heading element inside it). Dates, numbers and
    「更多」 are never a heading.
    """
    node = el
    for _ in range(levels):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        for sib in islice(node.itersiblings(preceding=True), 4):
            if not isinstance(sib.tag, str) or sib.tag in ("script", "style"):
                continue
            text = " ".join(sib.text_content().split())
            if not text:
                continue
            if len(text) <= MAX_NAV_TEXT + 6:
                # a tab strip (several links) names several blocks, not this one
                name = column_name(text) if len(list(islice(sib.iter("a"), 2))) < 2 else ""
                if name and len(name) <= MAX_NAV_TEXT:
                    return name
                continue
            if sib.tag in ("ul", "ol", "dl", "table") or next(sib.iter("li", "tr"), None) is not None:
                continue    # another list of the block (a tab panel), not its heading
            for h in reversed(list(sib.iter(*HEADING_TAGS, "div", "span", "strong", "b", "p"))):
                if h.tag in HEADING_TAGS or _HEADING_CLASS.search(f"{h.get('class') or ''} {h.get('id') or ''}"):
                    name = column_name(h.text_content())
                    if name and len(name) <= MAX_NAV_TEXT:
                        return name
            break
        node = parent
    return ""
