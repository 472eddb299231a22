"""`zwgk eval site`: a real site's mirror served on loopback and evaluated end to end, with its figures.

The mirror is unpacked to a temporary folder (never into the project) and served on 127.0.0.1 by a static
server that answers 404 for a folder without index.html (a directory listing would look like a blank
column). The site's host is mapped to that server (host_map) and the crawl stays inside it (no_external);
run the command inside `unshare -n sh -c 'ip link set lo up; …'` so that nothing can leave the machine.
"""

from __future__ import annotations

import json
import mimetypes
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

_INDEXES = ("index.html", "index.htm", "index.shtml", "default.html", "default.htm")


class _MirrorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    timeout = 10

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head: bool):
        root: Path = self.server.root
        path = unquote(urlsplit(self.path).path)
        self.server.requests.append((self.command, self.path))
        target = (root / path.lstrip("/")).resolve()
        if target != root and root not in target.parents:
            return self._send(404, b"<h1>404 Not Found</h1>", "text/html", head)
        if target.is_dir():
            if not path.endswith("/"):
                return self._send(301, b"", "text/html", head, {"Location": self.path.split("?")[0] + "/"})
            target = next((target / n for n in _INDEXES if (target / n).is_file()), None)
        if target is None or not target.is_file():
            return self._send(404, b"<html><body><h1>Not Found</h1></body></html>", "text/html", head)
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(200, target.read_bytes(), ctype, head)

    def _send(self, status: int, body: bytes, ctype: str, head: bool, extra: dict | None = None):
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if not head and body:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


@contextmanager
def serve_mirror(root: Path):
    """A static server for a mirror folder on 127.0.0.1 (random port); yields (address, requests)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MirrorHandler)
    server.daemon_threads = True
    server.root = Path(root).resolve()
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", server.requests
    finally:
        server.shutdown()
        server.server_close()


def outside_interfaces() -> list[str]:
    """Network interfaces other than loopback: none inside `unshare -n sh -c 'ip link set lo up; …'`."""
    import socket

    return sorted(name for _, name in socket.if_nameindex() if name != "lo")


def unpack(archive: Path, dest: Path) -> Path:
    """The mirror's files in dest (a .tar.gz is unpacked; a folder is used as it is)."""
    if archive.is_dir():
        return archive
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return dest


def site_profile(path: Path, site_id: str, name: str, site_code: str, host: str, address: str) -> Path:
    data = {"id": site_id, "name": name, "office": name, "site_code": site_code, "homepage": f"http://{host}/",
            "allowed_domains": [host], "host_map": {host: address}, "no_external": True,
            "limits": {"delay": 0, "concurrency_per_host": 8, "timeout": 10}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def evaluate_mirror(archive: Path, host: str, as_of: date, workspace: Path, out: Path, site_id: str = "mirror",
                    name: str = "", site_code: str = "", render: bool = True) -> dict:
    """Serve, run the whole pipeline (`zwgk run --no-external`) and read back the figures."""
    with tempfile.TemporaryDirectory(prefix="zwgk-mirror-") as tmp:
        root = unpack(Path(archive), Path(tmp) / "site")
        with serve_mirror(root) as (address, requests):
            profile = site_profile(Path(tmp) / "profile.yaml", site_id, name or host, site_code or "0000000000",
                                   host, address)
            started = time.monotonic()
            run = subprocess.run([sys.executable, "-m", "zwgk.cli", "run", str(profile), "--workspace", str(workspace),
                                  "--as-of", as_of.isoformat(), "--out", str(out), "--no-pdf", "--no-external",
                                  *([] if render else ["--no-render"])],
                                 capture_output=True, text=True)
            served = len(requests)
            seconds = time.monotonic() - started
        if run.returncode != 0:
            raise RuntimeError(f"zwgk run failed:\n{run.stderr[-3000:]}")
        return dict(figures(workspace, site_id, host, root), requests_served=served, address=address,
                    run_seconds=round(seconds, 1), interfaces_besides_loopback=outside_interfaces())


def in_mirror(url: str, host: str, root: Path) -> bool | None:
    """Whether the mirror holds the file a site URL names (None for other hosts).

    A site URL the mirror does not hold was never saved (the mirroring tool stopped at a depth): its 404
    here says nothing about the real site, so a finding about it is an artefact of the mirror."""
    parts = urlsplit(url)
    if (parts.hostname or "").lower() != host.lower():
        return None
    target = root.joinpath(*[p for p in unquote(parts.path).split("/") if p and p not in (".", "..")])
    if target.is_dir():
        return any((target / name).is_file() for name in _INDEXES)
    return target.is_file()


# the mirroring tool rewrites a file:///C:/… address (a file on an editor's computer) to /file/C_/…: that
# link was broken on the real site too, so it is no artefact of the mirror
_LOCAL_FILE_REWRITE = re.compile(r"^/file/[A-Za-z]_/")


def is_artefact(code: str, url: str, evidence: str, host: str, root: Path) -> bool:
    """A finding about a page or file the mirror never saved: a dead link or medium whose target is not in
    the mirror, or a column not assessed because its page answered 404 here."""
    if in_mirror(url, host, root) is not False or _LOCAL_FILE_REWRITE.match(urlsplit(url).path):
        return False
    if code.startswith(("LINK", "MEDIA")):
        return True
    if code == "STALE010":
        try:
            status = json.loads(evidence or "{}").get("page_status")
        except ValueError:
            return False
        return status == 404
    return False


def figures(workspace: Path, site_id: str, host: str, root: Path | None = None) -> dict:
    db = sqlite3.connect(Path(workspace) / "zwgk.sqlite3")
    db.row_factory = sqlite3.Row
    try:
        run_id = db.execute("SELECT MAX(run_id) FROM runs").fetchone()[0]
        check_id = db.execute("SELECT MAX(check_id) FROM checks WHERE run_id=?", (run_id,)).fetchone()[0]
        columns = [dict(r) for r in db.execute(
            "SELECT name, url, cls, assessable, reason, rendered, hub FROM columns WHERE run_id=? AND site_id=?"
            " ORDER BY url", (run_id, site_id))]
        rows = db.execute("SELECT code, confidence, url, evidence FROM findings WHERE check_id=? AND site_id=?",
                          (check_id, site_id)).fetchall()
        findings = Counter(f"{r['code']}:{r['confidence']}" for r in rows)
        artefacts = Counter(f"{r['code']}:{r['confidence']}" for r in rows
                            if root is not None and is_artefact(r["code"], r["url"], r["evidence"], host, root))
        outcomes = Counter(r[0] for r in db.execute("SELECT outcome FROM resources WHERE run_id=?", (run_id,)))
        contacted = Counter(urlsplit(r[0]).hostname for r in db.execute(
            "SELECT url FROM resources WHERE run_id=? AND outcome!='not_checked'", (run_id,)))
        not_checked = Counter(urlsplit(r[0]).hostname for r in db.execute(
            "SELECT url FROM resources WHERE run_id=? AND outcome='not_checked'", (run_id,)))
        rate = db.execute("SELECT * FROM site_requests WHERE run_id=? AND site_id=?", (run_id, site_id)).fetchone()
        pages = db.execute("SELECT COUNT(*), SUM(status>=400 OR status IS NULL) FROM pages WHERE run_id=?",
                           (run_id,)).fetchone()
    finally:
        db.close()
    return {
        "run_id": run_id, "check_id": check_id, "pages": pages[0], "pages_failed": pages[1] or 0,
        "columns": columns, "columns_assessed": sum(1 for c in columns if c["assessable"] == 1),
        "columns_rendered": sum(1 for c in columns if c["rendered"]),
        "findings": dict(sorted(findings.items())), "artefacts": dict(sorted(artefacts.items())),
        "resources": dict(outcomes),
        "hosts_contacted": dict(contacted), "outside_hosts_contacted": sorted(h for h in contacted if h != host),
        "hosts_not_checked": dict(not_checked.most_common()), "requests": dict(rate) if rate else None,
    }


def format_figures(f: dict) -> str:
    lines = []
    if f["interfaces_besides_loopback"]:
        lines.append("提示：本次未在仅有回环网卡的网络命名空间中运行（还有 " + "、".join(f["interfaces_besides_loopback"])
                     + "）；请用 unshare -n sh -c 'ip link set lo up; …' 运行（make eval-real）")
    lines += [f"运行 {f['run_id']}，检查 {f['check_id']}：页面 {f['pages']}（失败 {f['pages_failed']}），"
             f"镜像服务器应答请求 {f['requests_served']} 次，zwgk run 用时 {f['run_seconds']} 秒",
             f"栏目 {len(f['columns'])}（可评估 {f['columns_assessed']}，渲染 {f['columns_rendered']}）："]
    for c in f["columns"]:
        state = "可评估" if c["assessable"] == 1 else f"未评估（{c['reason']}）" if c["assessable"] == 0 else "未抓取"
        lines.append(f"  {c['name']}  {c['url']}  {c['cls']}  {'频道页 ' if c['hub'] else ''}{state}"
                     + ("  已渲染" if c["rendered"] else ""))
    lines.append("问题（规则:确定性 → 条数）：" + "，".join(f"{k} {v}" for k, v in f["findings"].items()))
    if f.get("artefacts"):
        lines.append("其中所涉页面或文件未被镜像保存（镜像的产物，不说明真实网站）：" + "，".join(
            f"{k} {v}" for k, v in f["artefacts"].items()))
    lines.append("资源结果：" + "，".join(f"{k} {v}" for k, v in f["resources"].items()))
    lines.append("访问过的主机：" + "，".join(f"{k} {v}" for k, v in f["hosts_contacted"].items()))
    lines.append("站外主机（未访问，记为未检查）：" + "，".join(f"{k} {v}" for k, v in f["hosts_not_checked"].items()))
    lines.append("访问过的站外主机：" + ("无" if not f["outside_hosts_contacted"] else "，".join(f["outside_hosts_contacted"])))
    if f["requests"]:
        r = f["requests"]
        lines.append(f"请求 {r['requests']} 次，用时 {r['seconds']:.1f} 秒，最多同时 {r['max_concurrency']} 个")
    return "\n".join(lines)
