"""Debian's headless Chromium driven over the DevTools pipe: the crawler renders pages with it, the reports print PDFs."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

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


def chromium_path() -> str:
    """Debian's chromium (no browser download works here); '' when the machine has none."""
    return shutil.which("chromium") or shutil.which("chromium-browser") or ""


# ---- a minimal DevTools client over --remote-debugging-pipe (fd 3 in, fd 4 out; NUL-separated JSON) --------

class Chromium:
    """Headless Chromium driven over the DevTools pipe: open a page, evaluate, screenshot, read events."""

    def __init__(self, profile_dir: Path | None = None, extra_flags: tuple[str, ...] = (),
                 executable: str | None = None, env: dict[str, str] | None = None):
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
                                     pass_fds=(3, 4), preexec_fn=wire_pipes, env=env,
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
