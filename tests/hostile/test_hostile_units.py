"""Hostile input below the crawl: column URLs a crawl would drop, session-id URLs, lying encodings."""

from __future__ import annotations

import pytest

from crawler.extract.encoding import decode_body
from crawler.scope import canonical_url
from zwgk.core.config import ConfigError, load_profiles

PROFILE = """id: s
name: 示例县人民政府
office: 示例县人民政府办公室
site_code: "0000000001"
homepage: http://www.example.gov.cn/
"""


@pytest.mark.parametrize("url, expected", [
    ("file:///etc/passwd", "an http(s) URL of the site, got 'file:///etc/passwd'"),
    ("ftp://www.example.gov.cn/a/", "an http(s) URL of the site"),
    ("javascript:void(0)", "an http(s) URL of the site"),
    ("http://www.other.gov.cn/a/", "a URL on the site's hosts (allowed_domains: www.example.gov.cn)"),
])
def test_column_urls_the_crawl_could_never_follow_are_refused_at_load(tmp_path, url, expected):
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE + f"columns:\n  - {{name: 通知公告, url: '{url}'}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"p.yaml: field 'columns\[0\].url': ") as err:
        load_profiles([path])
    assert expected in str(err.value)


@pytest.mark.parametrize("host", ["10.1.2.3", "169.254.169.254", "127.0.0.1", "[::1]", "2130706433", "0177.0.0.1",
                                  "localhost"])
def test_private_column_urls_need_allow_private_hosts(tmp_path, host):
    path = tmp_path / "p.yaml"
    text = PROFILE.replace("http://www.example.gov.cn/", f"http://{host}:8080/") \
        + f"columns:\n  - {{name: 通知公告, url: 'http://{host}:8080/tzgg/'}}\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"field 'columns\[0\].url': a private, loopback or link-local address"):
        load_profiles([path])
    path.write_text(text + f"allow_private_hosts: ['{host.strip('[]')}']\n", encoding="utf-8")
    assert load_profiles([path])[0].columns[0].url == f"http://{host}:8080/tzgg/"


def test_a_mapped_host_is_not_private(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(PROFILE + "host_map: {www.example.gov.cn: 127.0.0.1:8080}\n"
                    "columns:\n  - {name: 通知公告, url: 'http://www.example.gov.cn/tzgg/'}\n", encoding="utf-8")
    assert len(load_profiles([path])[0].columns) == 1


def test_session_ids_are_not_part_of_a_urls_key():
    one = canonical_url("http://X.gov.cn/j/a0.jsp;jsessionid=8F3A0B?id=3")
    assert one == canonical_url("http://x.gov.cn/j/a0.jsp;jsessionid=77C1?id=3") == "http://x.gov.cn/j/a0.jsp?id=3"
    assert canonical_url("http://x/list.php?PHPSESSID=abc&page=2") == "http://x/list.php?page=2"
    assert canonical_url("http://x/a.asp?sid=7") == "http://x/a.asp?sid=7"   # often a site's own id: kept


TITLE = "示例县财政局关于预算公开的通知"


def test_a_stale_meta_label_does_not_turn_utf8_into_mojibake():
    body = f'<html><head><meta charset="gb2312"><title>{TITLE}</title></head></html>'.encode("utf-8")
    text, encoding = decode_body(body, "text/html")
    assert TITLE in text and encoding == "utf-8"


def test_a_header_that_lies_about_gbk_bytes():
    body = f"<html><head><title>{TITLE}</title></head></html>".encode("gbk")
    text, _ = decode_body(body, "text/html; charset=utf-8")
    assert TITLE in text


def test_a_utf8_page_with_a_pasted_gbk_block_stays_readable():
    body = f"<html><head><title>{TITLE}</title></head><body><p>{'正文内容。' * 40}</p><p>".encode("utf-8") \
        + "从GBK页面粘贴".encode("gbk") * 3
    text, encoding = decode_body(body, "text/html; charset=utf-8")
    assert TITLE in text and encoding == "utf-8"
