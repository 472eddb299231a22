"""What a homepage shows of the site's identification: its footer, the scripts it loads, links it hides (facts, no judgement)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from crawler.extract.page import parse_html

FOOTER_NAME = re.compile(r"foot|bottom|copyright|banquan|bqxx", re.I)
FOOTER_CHARS = 3000     # bounded: a footer wrapping the whole 友情链接 block is still only its text
TAIL_CHARS = 600        # the page's last visible text: where a footer without a named element sits
MAX_SCRIPTS = 80
MAX_TITLE = 300         # a <title> longer than this is not a title
MAX_ATTRS = 400         # id/title/alt values: placeholders a script fills (<span id="_span_jiucuo" title="…">)
_ATTRS = ("id", "title", "alt")
_SCRIPT_URL = re.compile(r"""https?://[^\s'"<>()]+""")
_SKIP = ("script", "style", "noscript", "template")
MAX_HIDDEN = 50         # hidden off-site links kept (暗链 are injected by the dozen; a few show the problem)
# How a page hides what it holds from a visitor while a search engine still reads the links (暗链).
_HIDING = ((re.compile(r"display\s*:\s*none", re.I), "display:none"),
           (re.compile(r"visibility\s*:\s*hidden", re.I), "visibility:hidden"),
           (re.compile(r"(?:^|[;\s{])(?:left|top|right|bottom|margin-left|margin-top|text-indent)\s*:\s*-\s*\d{3,}",
                       re.I), "移出可视区域"),
           (re.compile(r"(?:^|[;\s{])font-size\s*:\s*0(?:px|pt|em)?\s*(?:;|$|})", re.I), "font-size:0"))
# display:none and visibility:hidden also hide drop-down menus until hovered (a 网站导航 side menu, a 友情链接
# list): a hidden list, or an element named menu/nav/sub/drop, is a menu; off-screen and font-size:0 never are
_TOGGLED = ("display:none", "visibility:hidden")
_MENU_TAGS = ("ul", "ol", "li", "dl", "dd", "nav", "select", "option")
_MENU_NAME = re.compile(r"menu|nav|sub|drop|xl|xiala|tab|list", re.I)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^\s*([.#])([\w-]+)\s*$")


def _text(el) -> str:
    """Visible text of an element: script/style bodies left out, the text after them kept."""
    parts = [el.text or ""] if el.tag not in _SKIP else []
    for node in el.iterdescendants():
        if isinstance(node.tag, str) and node.tag not in _SKIP and node.text:
            parts.append(node.text)
        if node.tail:
            parts.append(node.tail)
    return " ".join(" ".join(parts).split())


def read_site_facts(html: str, url: str) -> dict:
    """{footer, footer_found, tail, scripts, attrs, title}: the homepage's footer text (from elements named
    foot/bottom/copyright, or <footer>), its last lines, the URLs of the scripts it loads or names inline,
    the id/title/alt values of its elements and its <title> as printed."""
    tree = parse_html(html)
    if tree is None:
        return {}
    body = tree.find("body")
    root = body if body is not None else tree
    taken = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP:
            continue
        named = el.tag == "footer" or FOOTER_NAME.search(f"{el.get('class', '')} {el.get('id', '')}")
        if named and not any(t in el.iterancestors() for t in taken):
            taken.append(el)
    footer = " ".join(t for t in (_text(el) for el in taken) if t)[-FOOTER_CHARS:]   # identification sits last
    visible = _text(root)
    scripts: list[str] = []
    for el in tree.iter("script"):
        found = [urljoin(url, el.get("src").strip())] if el.get("src") else _SCRIPT_URL.findall(el.text or "")
        for s in found:
            if s not in scripts and len(scripts) < MAX_SCRIPTS:
                scripts.append(s[:500])
    attrs: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in _ATTRS:
            value = " ".join((el.get(name) or "").split())[:80]
            if value and value not in attrs and len(attrs) < MAX_ATTRS:
                attrs.append(value)
    hidden = hidden_links(tree, root, url)
    title_el = tree.find(".//title")
    title = " ".join(title_el.text_content().split())[:MAX_TITLE] if title_el is not None else ""
    return {"footer": footer, "footer_found": bool(footer), "tail": visible[-TAIL_CHARS:], "scripts": scripts,
            "attrs": attrs, "title": title, "hidden_links": hidden}


def _hiding(style: str) -> str:
    return next((how for pattern, how in _HIDING if pattern.search(style or "")), "")


def _menu(el) -> bool:
    return el.tag in _MENU_TAGS or bool(_MENU_NAME.search(f"{el.get('class', '')} {el.get('id', '')}"))


def hidden_links(tree, root, url: str) -> list[dict]:
    """[{url, text, how}]: links to other hosts inside elements hidden by their inline style or by a class/id
    rule of the page's own <style> (display:none, visibility:hidden, off-screen offsets, font-size:0); a
    drop-down menu hidden until hovered is not such an element."""
    by_selector: dict[tuple[str, str], str] = {}
    for style in tree.iter("style"):
        for selectors, body in _CSS_RULE.findall(style.text or ""):
            how = _hiding(body)
            if not how:
                continue
            for sel in selectors.split(","):
                m = _SIMPLE_SELECTOR.match(sel)
                if m:
                    by_selector[(m.group(1), m.group(2))] = how
    own = (urlsplit(url).hostname or "").lower()
    out: list[dict] = []
    seen: set = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in _SKIP:
            continue
        how = _hiding(el.get("style", ""))
        if not how and by_selector:
            how = by_selector.get(("#", el.get("id", "")), "") or next(
                (by_selector[(".", c)] for c in (el.get("class") or "").split() if (".", c) in by_selector), "")
        if not how or (how in _TOGGLED and _menu(el)):
            continue
        for a in el.iter("a"):
            href = urljoin(url, (a.get("href") or "").strip())
            host = (urlsplit(href).hostname or "").lower() if href.startswith(("http://", "https://")) else ""
            if not host or host == own or a in seen or len(out) >= MAX_HIDDEN:
                continue
            seen.add(a)   # the element itself, held: an id() of a freed lxml proxy may be reused
            out.append({"url": href[:500], "text": " ".join(a.text_content().split())[:80], "how": how})
    return out
