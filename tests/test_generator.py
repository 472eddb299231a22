"""The generated benchmark site: it serves, holds exactly the promised pages, is deterministic and pages both ways."""

from __future__ import annotations

import http.client
import re
from collections import deque
from datetime import date
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from fixtures.generator import COLUMNS, GeneratedSite, GeneratedSiteProcess

AS_OF = date(2025, 6, 1)
PAGES = 200
RESOURCE = re.compile(r"\.(jpg|png|gif|pdf|zip|doc|docx|xls|xlsx|css|js)$")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag == "img" and attrs.get("src"):
            self.srcs.append(attrs["src"])


def _links(body: bytes) -> _Links:
    parser = _Links()
    parser.feed(body.decode("utf-8"))
    return parser


class _Client:
    """One keep-alive connection, as a crawler would use."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def get(self, path: str, method: str = "GET") -> tuple[int, str, bytes]:
        self.conn.request(method, path)
        response = self.conn.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()

    def close(self):
        self.conn.close()


@pytest.fixture(scope="module")
def served():
    with GeneratedSiteProcess(PAGES, seed=7, as_of=AS_OF) as proc:
        client = _Client(proc.base)
        yield proc, client
        client.close()


def test_breadth_first_crawl_finds_exactly_the_promised_pages(served):
    proc, client = served
    host = urlsplit(proc.base).netloc
    seen, queue, html_pages, resources = {"/"}, deque(["/"]), 0, set()
    while queue:
        path = queue.popleft()
        status, ctype, body = client.get(path)
        assert status == 200, path
        assert ctype.startswith("text/html")
        html_pages += 1
        page = _links(body)
        for href in page.hrefs:
            url = urljoin(proc.base.rstrip("/") + path, href)
            parts = urlsplit(url)
            if parts.scheme != "http" or parts.netloc != host:
                continue
            if RESOURCE.search(parts.path):
                resources.add(parts.path)
            elif parts.path not in seen:
                seen.add(parts.path)
                queue.append(parts.path)
        resources.update(src for src in page.srcs if src.startswith("/"))
    assert html_pages == PAGES
    assert seen == set(GeneratedSite(PAGES, 7, AS_OF).html_paths())
    # every image and attachment the pages link to is a small real file
    assert resources
    for path in sorted(resources):
        status, ctype, body = client.get(path)
        assert status == 200 and body, path
        if path.endswith(".pdf"):
            assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
        if path.endswith(".jpg"):
            assert body[:3] == b"\xff\xd8\xff"
        if path.endswith(".png"):
            assert body[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/zwgk/tzgg/209901/t20990101_1.html")[0] == 404


def test_pages_are_deterministic_and_seed_dependent(served):
    proc, client = served
    same = GeneratedSite(PAGES, 7, AS_OF, proc.ext)
    other = GeneratedSite(PAGES, 8, AS_OF, proc.ext)
    article = next(p for p in same.html_paths() if p.endswith(".html"))
    for path in ("/", "/zwdt/yw/index_1.shtml", article):
        assert client.get(path)[2] == same.render(path)[2]
    assert GeneratedSite(PAGES, 7, AS_OF, proc.ext).render(article)[2] == same.render(article)[2]
    assert other.render("/")[2] != same.render("/")[2]
    # dates hang off the as-of date: the newest news entry is at most two days old
    newest = same.article_day(0, 0)
    assert 0 <= (AS_OF - newest).days <= 2


def test_article_shape_is_realistic(served):
    proc, client = served
    site = GeneratedSite(PAGES, 7, AS_OF, proc.ext)
    ci = next(i for i, c in enumerate(COLUMNS) if c.genre == "policy")
    status, ctype, body = client.get(site.article_path(ci, 0))
    assert (status, ctype) == (200, "text/html; charset=utf-8")
    text = body.decode("utf-8")
    assert 15_000 <= len(body) <= 32_000
    for label in ("[ 索引号 ]", "[ 文号 ]", "[ 发布机构 ]", "[ 成文日期 ]", "[ 发布日期 ]", "[ 有效性 ]"):
        assert label in text
    assert re.search(r"〔\d{4}〕\d+号", text)
    assert '<meta name="PubDate"' in text
    assert proc.ext in text     # some links lead to the "external" site on the other port
    assert client.get("/", method="HEAD")[2] == b""


def test_pagination_links_and_trs_script_walk_both_ways(served):
    proc, client = served
    site = GeneratedSite(PAGES, 7, AS_OF, proc.ext)
    for ci, spec in enumerate(COLUMNS):
        total = site.list_pages[ci]
        if total < 2:
            continue
        forward = [site.list_path(ci, 0)]
        entries = 0
        while True:
            status, _, body = client.get(forward[-1])
            assert status == 200
            text = body.decode("utf-8")
            entries += len(re.findall(r'<span class="date">', text))
            if spec.trs:
                k = len(forward) - 1
                assert f'createPageHTML({total}, {k}, "index", "shtml")' in text
            nxt = re.search(r'<a href="([^"]+)">下一页</a>', text)
            if not nxt:
                break
            forward.append(urljoin(forward[-1], nxt.group(1)))
        assert forward == [site.list_path(ci, k) for k in range(total)]
        assert entries == site.counts[ci]
        backward = [forward[-1]]
        while True:
            text = client.get(backward[-1])[2].decode("utf-8")
            prev = re.search(r'<a href="([^"]+)">上一页</a>', text)
            if not prev:
                break
            backward.append(urljoin(backward[-1], prev.group(1)))
        assert backward == forward[::-1]
    assert client.get(site.list_path(0, site.list_pages[0]))[0] == 404


def test_page_count_is_exact_for_many_sizes():
    for pages in (60, 61, 99, 1234, 5000, 20_001):
        site = GeneratedSite(pages, 3, AS_OF)
        paths = list(site.html_paths())
        assert len(paths) == len(set(paths)) == pages
    with pytest.raises(ValueError):
        GeneratedSite(10)


def test_bench_profile_is_a_valid_site_profile(tmp_path):
    from zwgk.bench.crawl import write_profile
    from zwgk.core.config import load_profiles

    (profile,) = load_profiles([write_profile(tmp_path / "bench.yaml", "http://127.0.0.1:8123/", 5000)])
    assert profile.allow_private_hosts == ("127.0.0.1",)
    assert profile.allowed_domains == ("127.0.0.1:8123",)
    assert (profile.limits.max_pages, profile.limits.delay, profile.limits.concurrency_per_host) == (10000, 0, 8)
    assert profile.limits.obey_robots is False and profile.limits.timeout == 10
    # no column of the site may be cut short by the list-page guard
    site = GeneratedSite(5000, 1, AS_OF)
    assert max(site.list_pages) <= profile.limits.max_list_pages
