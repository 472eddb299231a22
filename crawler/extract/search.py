"""站内搜索 facts: the homepage's search form, the query a recent title makes, and what a results page lists."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urljoin, urlsplit

from crawler.extract.page import parse_html
from crawler.extract.signals import load_signals
from crawler.scope import canonical_url

MAX_QUERY = 30          # characters of a title sent as the query (long titles are cut at a word-ish boundary)
MIN_QUERY = 4
EXCERPT = 400           # characters of the results page's text kept as evidence
_ELLIPSIS = re.compile(r"(\.{2,}|…+|。。+)\s*$")
_TEXT_TYPES = ("", "text", "search")


def _named_search(value: str, markers: tuple[str, ...]) -> bool:
    value = value.lower()
    return any(m.lower() in value for m in markers)


def find_search_form(html: str, url: str) -> dict | None:
    """{action, method, field, params, charset} of the page's site-search form, or None.

    A form is the search form when its text input carries a usual name (q, searchword, keyword …) or the
    form's class/id/action names search (search, 搜索, 检索 …); the first such form counts. Hidden inputs
    and a select's chosen option are sent with the query, as a browser would."""
    tree = parse_html(html)
    if tree is None:
        return None
    signals = load_signals()
    fields = {f.lower() for f in signals.search_fields}
    for form in tree.iter("form"):
        inputs = [el for el in form.iter("input", "select", "textarea") if el.get("name")]
        texts = [el for el in inputs if el.tag == "textarea" or
                 (el.tag == "input" and (el.get("type") or "").lower() in _TEXT_TYPES)]
        if not texts:
            continue
        named = [el for el in texts if el.get("name").lower() in fields]
        marked = _named_search(" ".join(form.get(a) or "" for a in ("class", "id", "name", "action")),
                               signals.search_markers)
        if not named and not marked:
            continue
        field = (named or texts)[0].get("name")
        params = []
        for el in inputs:
            name = el.get("name")
            if el is (named or texts)[0]:
                continue
            kind = (el.get("type") or "").lower()
            if el.tag == "select":
                options = list(el.iter("option"))
                chosen = next((o for o in options if o.get("selected") is not None), options[0] if options else None)
                if chosen is not None:
                    params.append([name, chosen.get("value", chosen.text_content().strip())])
            elif kind in ("hidden",) or (kind in ("radio", "checkbox") and el.get("checked") is not None):
                params.append([name, el.get("value") or ""])
        action = (form.get("action") or "").strip()
        if action.lower().startswith(("javascript:", "#")):
            action = ""
        return {"action": urljoin(url, action) if action else url, "method": (form.get("method") or "get").lower(),
                "field": field, "params": params[:20], "charset": (form.get("accept-charset") or "").split(",")[0].strip()}
    return None


def query_from_title(title: str) -> str:
    """The query a person types to find a page: its title without a list's truncation mark, cut to MAX_QUERY."""
    text = " ".join((title or "").split())
    text = _ELLIPSIS.sub("", text).strip()
    if len(text) > MAX_QUERY:
        text = text[:MAX_QUERY]
    return text if len(text) >= MIN_QUERY else ""


def search_url(form: dict, query: str, encoding: str) -> tuple[str, str]:
    """(URL, body) of the form submitted with the query, encoded as the page's charset (GBK sites expect GBK)."""
    pairs = [(form["field"], query)] + [(k, v) for k, v in form.get("params") or []]
    enc = form.get("charset") or encoding or "utf-8"
    try:
        query_string = urlencode(pairs, encoding=enc, errors="strict")
    except (LookupError, UnicodeEncodeError):
        query_string = urlencode(pairs, encoding="utf-8")
    if form.get("method") == "post":
        return form["action"], query_string
    action = form["action"].split("#", 1)[0]
    return action + ("&" if urlsplit(action).query else "?") + query_string, ""


def _squash(text: str) -> str:
    return "".join(text.split())


def read_search_results(html: str, url: str, target_url: str, target_title: str) -> dict:
    """{found, links, excerpt}: whether the results page links to the target page ('link'), prints its title
    ('title', in a link's text) or neither (''), how many links it has, and the start of its text (for no-result phrases)."""
    tree = parse_html(html)
    if tree is None:
        return {"found": "", "links": 0, "excerpt": ""}
    body = tree.find("body")
    root = body if body is not None else tree
    for el in root.iter("script", "style", "noscript"):
        el.drop_tree()
    target = canonical_url(target_url)
    target_path = urlsplit(target).path
    wanted = _squash(query_from_title(target_title))
    links = 0
    found = ""
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:")):
            continue
        links += 1
        full = canonical_url(urljoin(url, href))
        if full == target or (target_path not in ("", "/") and urlsplit(full).path == target_path
                              and urlsplit(full).query == urlsplit(target).query):
            found = "link"
        elif not found and wanted and wanted in _squash(a.text_content()):
            # a result's title links to the page (perhaps through a click-counting address); the query echoed
            # in the page's text ("您搜索的是：…") is no result, so only a link's text counts
            found = "title"
    text = " ".join(root.text_content().split())
    return {"found": found, "links": links, "excerpt": text[:EXCERPT]}
