"""Pages built by script, rendered in Debian's headless Chromium over the DevTools pipe, politely and in scope."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import lxml.etree

# Flags that work on this kind of machine (root, no GPU, no network but loopback) and keep the browser quiet:
# no updates, sync, pings or prefetches of its own.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--disable-default-apps", "--disable-domain-reliability",
                  "--disable-client-side-phishing-detection", "--disable-breakpad", "--no-pings",
                  "--no-proxy-server", "--mute-audio", "--metrics-recording-only",
                  # no https:// attempt before the http:// URL we were given (HTTPS-Upgrades), no prefetching
                  "--disable-features=DnsOverHttps,OptimizationHints,MediaRouter,Translate,NetworkPrediction,"
                  "HttpsUpgrades,HttpsFirstBalancedModeAutoEnable,HttpsFirstModeV2ForEngagedSites",
                  "--remote-debugging-pipe", "--window-size=1280,2000")
# What a page needs to build its DOM; images, styles, fonts and media are never fetched.
RENDER_RESOURCE_TYPES = frozenset({"Document", "Script", "XHR", "Fetch"})
RENDER_SECONDS = 30.0      # a whole render: load, scripts, their data requests
MIN_STATIC_NAV = 3         # a page with this many menu links in its HTML does not need a browser for them
QUIET_SECONDS = 0.5        # no request for this long after load: the page is built
REQUEST_SECONDS = 15.0     # one sub-request may take this long before the next one goes


def chromium_path() -> str:
    """Debian's chromium (no browser download works here); '' when the machine has none."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or ""


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


# ---- a minimal DevTools client over --remote-debugging-pipe (fd 3 in, fd 4 out; NUL-separated JSON) --------

class Chromium:
    """Headless Chromium driven over the DevTools pipe: open a page, evaluate, screenshot, read events."""

    def __init__(self, profile_dir: Path | None = None, extra_flags: tuple[str, ...] = (),
                 executable: str | None = None):
        executable = executable or chromium_path()
        if not executable:
            raise FileNotFoundError("本机没有可用的 Chromium 浏览器（/usr/bin/chromium）")
        self._tmp = None
        if profile_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="zwgk-chromium-")
            profile_dir = Path(self._tmp.name)
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_pipes():  # runs in the child: DevTools reads fd 3 and writes fd 4
            # move both ends above 4 first, so placing one cannot overwrite the other
            reader = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            writer = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(reader, 3)
            os.dup2(writer, 4)

        self.proc = subprocess.Popen([executable, *CHROMIUM_FLAGS, *extra_flags, f"--user-data-dir={profile_dir}",
                                      "about:blank"],
                                     pass_fds=(3, 4), preexec_fn=wire_pipes,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session = None

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_child], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None) -> int:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        return self._next_id

    def call(self, method: str, params: dict | None = None, timeout: float = 15) -> dict:
        wanted = self.send(method, params)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == wanted:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def next_event(self, timeout: float) -> dict | None:
        """The next event (queued or read), None when none came within timeout."""
        if self.events:
            return self.events.pop(0)
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                message = self._read_message(deadline)
            except TimeoutError:
                return None
            if "method" in message:
                return message

    def wait_for(self, event: str, timeout: float = 15) -> None:
        """Until the current page's session sends `event` (an earlier page's events do not count)."""
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == event and e.get("sessionId", self.session) == self.session
                      for e in self.events):
            message = self._read_message(deadline)
            if "method" in message:
                self.events.append(message)

    def new_page(self, domains=("Page", "Runtime", "Log")) -> str:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in domains:
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": 1280, "height": 2000, "deviceScaleFactor": 1, "mobile": False})
        return target

    def open(self, url: str) -> None:
        self.new_page()
        self.events.clear()   # the previous page's load event must not end the wait for this one
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def close_page(self, target: str) -> None:
        try:
            self.call("Target.closeTarget", {"targetId": target}, timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        self.session = None
        self.events.clear()

    def evaluate(self, expression: str, timeout: float = 15):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, timeout=timeout)
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, and browser log errors (CSP refusals, failed loads)."""
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                args = params.get("args", [])
                out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in args))
            elif method == "Runtime.exceptionThrown":
                out.append("exception: " + params["exceptionDetails"].get("text", ""))
            elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
                out.append(f"log ({params['entry'].get('source')}): {params['entry'].get('text')}")
        return out

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._tmp is not None:
            self._tmp.cleanup()


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
