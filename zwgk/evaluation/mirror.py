"""A static server for a saved site mirror: files as saved, 404 for a folder without an index page, no listings."""

from __future__ import annotations

import http.server
import mimetypes
import posixpath
import tarfile
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

INDEX_FILES = ("index.html", "index.htm")
# Mirrors are saved as UTF-8 pages without a charset header; the server says what the files are.
TYPES = {".html": "text/html", ".htm": "text/html", ".shtml": "text/html", ".css": "text/css",
         ".js": "application/javascript"}


def unpack(archive: Path, into: Path) -> Path:
    """Unpack a mirror archive (tar/tar.gz) refusing members that would land outside `into`."""
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")  # the 'data' filter refuses absolute paths, .. and device files
    return into


class MirrorHandler(http.server.BaseHTTPRequestHandler):
    """GET/HEAD of the mirror's files; anything else is 404 or 405, never a directory listing."""

    root: Path = Path(".")
    server_version = "zwgk-mirror"
    protocol_version = "HTTP/1.0"

    def log_message(self, *args) -> None:  # the crawl records every request itself
        pass

    def _file(self) -> Path | None:
        path = posixpath.normpath(unquote(urlsplit(self.path).path))
        parts = [p for p in path.split("/") if p and p not in (".", "..")]
        target = self.root.joinpath(*parts)
        try:
            target.resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        if target.is_dir():
            return next((target / name for name in INDEX_FILES if (target / name).is_file()), None)
        return target if target.is_file() else None

    def _answer(self, with_body: bool) -> None:
        target = self._file()
        if target is None:
            body = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)
            return
        data = target.read_bytes()
        ctype = TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(with_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(with_body=False)


class MirrorServer:
    """Serves a mirror folder on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self, root: Path, port: int = 0, host: str = "127.0.0.1"):
        handler = type("BoundMirrorHandler", (MirrorHandler,), {"root": Path(root)})
        self.httpd = http.server.ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{host}:{port}"

    def __enter__(self) -> "MirrorServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
