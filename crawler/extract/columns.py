"""Columns (栏目): navigation links of a homepage or 信息公开 page, and the class of a column name."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import lxml.etree
import yaml

from crawler.extract.links import page_base, resolve
from zwgk.core.config import ConfigError
from zwgk.core.records import COLUMN_CLASSES, LinkRef

LEXICON_FILE = Path(__file__).resolve().parent.parent / "data" / "column_lexicon.yaml"

# Containers of menus and of the 信息公开目录 tree, by tag or by class/id words Chinese CMSs use
# (daohang/dh = 导航, gkml = 公开目录, lanmu/lm = 栏目, mulu = 目录).
NAV_TAGS = frozenset({"nav", "header", "menu"})
NAV_RE = re.compile(r"nav|menu|daohang|gkml|xxgk|catalog|mulu|lanmu|sidebar|sub-?col|channel|pindao|"
                    r"(?:^|[\s_-])(?:dh|lm|tree)(?:$|[\s_-])", re.I)
FOOTER_RE = re.compile(r"foot|bottom|copyright|banquan", re.I)
MAX_NAV_TEXT = 16
_SPLIT_URL = re.compile(r"[/_.\-]+")


@dataclass(frozen=True)
class ColumnLexicon:
    names: tuple[tuple[str, str], ...]   # (keyword, class) in file order
    urls: dict[str, str]                 # URL path token -> class
    empty_notes: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def load_lexicon(path: str | Path = LEXICON_FILE) -> ColumnLexicon:
    """Read and validate column_lexicon.yaml; errors name the file and key."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
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
    return ColumnLexicon(tuple(names), urls, tuple(n.strip() for n in notes))


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


def extract_nav(tree, base_url: str) -> list[LinkRef]:
    """Menu links (nav/ul.nav/div.menu/header, the 信息公开目录 tree) with short texts, deduplicated."""
    base = page_base(tree, base_url)
    found: list[LinkRef] = []
    seen: set[str] = set()
    try:
        # Only elements that could be a container: the class/id test then runs on a few hundred at most.
        elements = tree.xpath("//*[@class or @id or self::nav or self::header or self::menu]")
    except (AttributeError, TypeError, lxml.etree.XPathError):
        return found
    containers, chosen = [], set()
    for el in elements:
        if el.tag in NAV_TAGS or _marked(el, NAV_RE):
            if not any(a in chosen for a in el.iterancestors()):
                containers.append(el)
                chosen.add(el)
    for container in containers:
        if _marked(container, FOOTER_RE) or any(p.tag == "footer" or _marked(p, FOOTER_RE)
                                                 for p in container.iterancestors()):
            continue
        for a in container.iter("a"):
            text = " ".join(a.text_content().split()) or (a.get("title") or "").strip()
            if not text or len(text) > MAX_NAV_TEXT:
                continue
            url = resolve(base, a.get("href"))
            if not url or url in seen:
                continue
            seen.add(url)
            found.append(LinkRef(url=url, text=text, kind="link", tag="a@href"))
    found.extend(_more_links(tree, base, seen))
    return found


MORE_RE = re.compile(r"^(更多|查看更多|more|>>|»|＞＞)", re.I)
HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "span", "em", "div", "p")


def _more_links(tree, base: str, seen: set[str]) -> list[LinkRef]:
    """Homepage blocks end in a 「更多>>」 link to their column; the block's heading names it."""
    found = []
    for a in tree.iter("a"):
        text = " ".join(a.text_content().split())
        if not text or not MORE_RE.match(text):
            continue
        url = resolve(base, a.get("href"))
        name = _block_heading(a)
        if url and name and url not in seen:
            seen.add(url)
            found.append(LinkRef(url=url, text=name, kind="link", tag="a@href"))
    return found


def _block_heading(a) -> str:
    for ancestor in list(a.iterancestors())[:3]:
        for el in ancestor.iter(*HEADING_TAGS):
            if el is a or a in el.iterancestors() or el in a.iterancestors():
                continue
            text = " ".join((el.text or "").split())
            if 2 <= len(text) <= MAX_NAV_TEXT and not MORE_RE.match(text):
                return text
    return ""
