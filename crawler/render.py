"""Pages built by script, rendered in Debian's headless Chromium over the DevTools pipe, politely and in scope."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable

import lxml.etree

from zwgk.core.chromium import Chromium

# What a page needs to build its DOM; images, styles, fonts and media are never fetched.
RENDER_RESOURCE_TYPES = frozenset({"Document", "Script", "XHR", "Fetch"})
RENDER_SECONDS = 30.0      # a whole render: load, scripts, their data requests
MIN_STATIC_NAV = 3         # a page with this many menu links in its HTML does not need a browser for them
QUIET_SECONDS = 0.5        # no request for this long after load: the page is built
REQUEST_SECONDS = 15.0     # one sub-request may take this long before the next one goes


# ---- which pages need a browser ---------------------------------------------------------------------------

# a script that writes links into the page (document.write / innerHTML / .html() / .append() of <a> or <li>)
_WRITES_LINKS = re.compile(r"(?:document\.write(?:ln)?|\.innerHTML\s*[+]?=|\.(?:html|append|prepend)\s*\()"
                           r"[^;]{0,400}?(?:<a\b|<li\b|href\s*=)", re.I | re.S)
_NAV_CLASS = re.compile(r"nav|menu|daohang|lanmu|column", re.I)


def script_navigation_key(tree) -> str:
    """'' when the page's menus are plain HTML; else space-separated keys of the scripts that write them
    (the same script on every page of a site gives the same key, so its menu is rendered once, not on
    every page).

    A menu is written by script when an inline script writes links into the page, or when a menu
    container is left empty next to external scripts."""
    try:
        scripts = [t for t in tree.xpath("//script/text()") if _WRITES_LINKS.search(t)]
    except (AttributeError, TypeError, lxml.etree.XPathError):
        return ""
    if scripts:  # one key per script: a page adding its own list script still shares the site's menu script
        return " ".join(sorted({"inline:" + hashlib.sha1(t.strip().encode()).hexdigest()[:16] for t in scripts}))
    # by file name: the same script is ../js/menu.js on one page and ../../js/menu.js on another
    sources = sorted({src.rsplit("/", 1)[-1].split("?")[0] for src in tree.xpath("//script/@src")})
    if not sources:
        return ""
    for el in tree.iter("ul", "div", "nav"):
        label = f"{el.get('class') or ''} {el.get('id') or ''}"
        if _NAV_CLASS.search(label) and next(el.iter("a"), None) is None \
                and not "".join(el.xpath(".//text()[not(ancestor::script)]")).strip():
            return "src:" + hashlib.sha1(" ".join(sources).encode()).hexdigest()[:16]
    return ""


def render_need(page, html: str, role: str) -> tuple[str, str]:
    """Why a fetched page should be rendered: ('list', '') when its column list is filled by script,
    ('nav', key) when its menu is written by script, ('', '') when the HTML as served is what a person sees."""
    if role in ("column", "gkml") and page.script_rendered_list and not page.entries:
        return "list", ""
    if role in ("home", "column", "gkml") and "<script" in html:
        from crawler.extract.page import parse_html

        tree = parse_html(html)
        key = script_navigation_key(tree) if tree is not None else ""
        if key.startswith("src:") and len(page.nav) >= MIN_STATIC_NAV:
            key = ""  # the page has its menu in plain HTML; the empty container is decoration (a mobile menu)
        if key:
            return "nav", key
    return "", ""


# ---- one render ---------------------------------------------------------------------------------------------

class RenderError(Exception):
    """The page could not be rendered; the message (Chinese) becomes the column's reason."""


def render_page(browser: Chromium, url: str, admit: Callable[[str, str], str | float],
                finished: Callable[[str], None] = lambda url: None,
                seconds: float = RENDER_SECONDS) -> tuple[int, str, int]:
    """Load url and return (HTTP status of the document, the DOM as HTML, requests sent).

    Every request the page makes is paused first and goes through `admit(url, resource_type)`: a str is
    a refusal (the request fails, nothing is contacted), a number is how long to wait before it may go
    (the site's delay); `finished(url)` is told when it is over. Requests go one at a time, so a render
    is one connection to the site."""
    target = browser.new_page(domains=("Page", "Runtime", "Network"))
    try:
        browser.call("Fetch.enable", {"patterns": [{"urlPattern": "*", "requestStage": "Request"}]})
        browser.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + seconds
        pending: list[dict] = []
        inflight: tuple[str, float, str] | None = None   # (network request id, started, url)
        status, loaded, sent, last_activity = None, False, 0, time.monotonic()
        while time.monotonic() < deadline:
            if inflight and time.monotonic() - inflight[1] > REQUEST_SECONDS:
                finished(inflight[2])
                inflight = None  # never let one hung request hold the page
            if inflight is None and pending:
                paused = pending.pop(0)
                verdict = admit(paused["request"]["url"], paused.get("resourceType", ""))
                if isinstance(verdict, str):
                    browser.send("Fetch.failRequest", {"requestId": paused["requestId"],
                                                       "errorReason": "BlockedByClient"})
                else:
                    if verdict > 0:
                        time.sleep(min(verdict, max(0.0, deadline - time.monotonic())))
                    browser.send("Fetch.continueRequest", {"requestId": paused["requestId"]})
                    inflight = (paused.get("networkId") or paused["requestId"], time.monotonic(),
                                paused["request"]["url"])
                    sent += 1
                last_activity = time.monotonic()
                continue
            if loaded and inflight is None and not pending and time.monotonic() - last_activity >= QUIET_SECONDS:
                break
            event = browser.next_event(0.1)
            if event is None:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Fetch.requestPaused":
                if inflight and params.get("networkId") == inflight[0]:
                    finished(inflight[2])
                    inflight = None  # the same request again (a redirect, a fallback): it is its turn
                pending.append(params)
            elif method in ("Network.loadingFinished", "Network.loadingFailed"):
                if inflight and params.get("requestId") == inflight[0]:
                    finished(inflight[2])
                    inflight = None
                    last_activity = time.monotonic()
            elif method == "Network.responseReceived" and params.get("type") == "Document" and status is None:
                status = int(params.get("response", {}).get("status") or 0) or None
            elif method == "Page.loadEventFired":
                loaded = True
            elif method == "Page.javascriptDialogOpening":
                browser.send("Page.handleJavaScriptDialog", {"accept": True})
        if status is None:
            raise RenderError("页面未能在浏览器中打开")
        html = browser.evaluate("document.documentElement ? document.documentElement.outerHTML : ''")
        if not html:
            raise RenderError("渲染结果为空")
        return status, "<!DOCTYPE html>\n" + html, sent
    except (TimeoutError, RuntimeError, OSError) as exc:
        raise RenderError(f"浏览器无响应：{exc}") from exc
    finally:
        browser.close_page(target)
