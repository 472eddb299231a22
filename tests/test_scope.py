"""Where the crawler may go: site scope, private addresses, crawler traps, and what first bytes say."""

from __future__ import annotations

from crawler.scope import SiteScope, TrapGuard, is_private_address, looks_like_page
from crawler.sniff import sniff_type


def test_scope_by_host_and_port():
    scope = SiteScope(["www.example.gov.cn", "127.0.0.1:8000"])
    assert scope.contains("https://www.example.gov.cn/a/b.html")
    assert scope.contains("http://sub.www.example.gov.cn/")
    assert not scope.contains("https://example.gov.cn.evil.com/")
    assert scope.contains("http://127.0.0.1:8000/x")
    assert not scope.contains("http://127.0.0.1:8001/x")  # another port is another site


def test_private_and_loopback_addresses_refused():
    for host in ("127.0.0.1", "localhost", "10.1.2.3", "192.168.0.1", "172.16.5.4", "169.254.1.1", "::1", "0.0.0.0"):
        assert is_private_address(host), host
    assert not is_private_address("8.8.8.8")
    assert not is_private_address("no-such-host.invalid")  # unresolvable: the download reports DNS failure


def test_calendar_and_query_traps_are_bounded():
    guard = TrapGuard({}, max_query_variants=30)
    refused = [guard.refuse(f"http://x/calendar?y=2026&m={m}") for m in range(1, 200)]
    assert refused.count("") == 12 and "日历" in refused[-1]
    refused = [guard.refuse(f"http://x/search?page={n}&sort=a") for n in range(100)]
    assert refused.count("") == 30 and "查询参数" in refused[-1]
    assert guard.refuse("http://x/search?page=1&sort=a") == ""  # a URL already admitted stays admitted
    assert "重复" in guard.refuse("http://x/a/a/a/a/b.html")
    assert guard.refuse("http://x/" + "a" * 600)


def test_resource_endings_are_not_pages():
    assert looks_like_page("http://x/news/")
    assert looks_like_page("http://x/content_1.shtml?id=3")
    assert not looks_like_page("http://x/files/a.PDF")
    assert not looks_like_page("http://x/v.mp4")


def test_sniff_types():
    assert sniff_type(b"") == "empty"
    assert sniff_type(b"\xff\xd8\xff\xe0....") == "jpeg"
    assert sniff_type(b"\x89PNG\r\n\x1a\n") == "png"
    assert sniff_type(b"  <!DOCTYPE html><html>") == "html"
    assert sniff_type(b"\x00\x00\x00\x18ftypmp42") == "mp4"
    assert sniff_type(b"FWS\x09") == "swf"
    assert sniff_type(b"%PDF-1.7") == "pdf"
    assert sniff_type(b"\x01\x02") == "unknown"


def test_host_map_moves_only_the_connection():
    from crawler.scope import HostMap

    hosts = HostMap({"www.example.gov.cn": "127.0.0.1:8080", "static.example.gov.cn:8443": "10.0.0.5",
                     "old.example.gov.cn": "[::1]:81"})
    assert hosts.connect_url("http://www.example.gov.cn/a/b.html?x=1#top") == "http://127.0.0.1:8080/a/b.html?x=1"
    assert hosts.connect_url("http://WWW.example.gov.cn:8000/") == "http://127.0.0.1:8080/"
    assert hosts.target("https://static.example.gov.cn:8443/x.js") == "10.0.0.5:8443"  # the URL's port kept
    assert hosts.target("https://static.example.gov.cn/x.js") is None                  # only that port is mapped
    assert hosts.target("http://old.example.gov.cn/") == "[::1]:81"
    assert hosts.target("http://example.gov.cn/") is None
    assert "MAP www.example.gov.cn 127.0.0.1:8080" in hosts.chromium_rules()
