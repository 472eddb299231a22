"""What a homepage shows of the site's identification: its footer text and the scripts it loads (facts, no judgement)."""

from __future__ import annotations

import re
from urllib.parse import urljoin

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
    title_el = tree.find(".//title")
    title = " ".join(title_el.text_content().split())[:MAX_TITLE] if title_el is not None else ""
    return {"footer": footer, "footer_found": bool(footer), "tail": visible[-TAIL_CHARS:], "scripts": scripts,
            "attrs": attrs, "title": title}
