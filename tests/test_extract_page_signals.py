"""Stubs that forward, soft 404s, unusable column names, site maps and column pages no parser can read."""

from __future__ import annotations

import io
import zipfile

import pytest

from crawler.extract.integrity import markup_text, unreadable_reason
from crawler.extract.page import extract_page
from crawler.extract.signals import is_sitemap_link, soft_404_words, usable_column_name
from crawler.extract.sitemap import sitemap_columns
from crawler.extract.stubs import forward_target
from crawler.spiders.site import column_like

BASE = "http://example.gov.cn/zwgk/"


@pytest.mark.parametrize("html, target", [
    ('<html><head><meta http-equiv="refresh" content="0;url=/col/col12/index.html"></head><body></body></html>',
     "http://example.gov.cn/col/col12/index.html"),
    ("<META HTTP-EQUIV=Refresh CONTENT='1; URL=list.html'>", "http://example.gov.cn/zwgk/list.html"),
    ('<body><script>window.location.href = "../xxgk/";</script></body>', "http://example.gov.cn/xxgk/"),
    ("<script>location.replace('/col/col3/')</script>", "http://example.gov.cn/col/col3/"),
    ('<script>top.location="/a/"</script>', "http://example.gov.cn/a/"),
])
def test_forwarding_stubs(html, target):
    assert forward_target(html, BASE, text_len=0) == target


@pytest.mark.parametrize("html, text_len", [
    ('<meta http-equiv="refresh" content="300">', 0),                           # reloads itself
    ('<meta http-equiv="refresh" content="600;url=/other/">', 0),               # too slow to be a forward
    ('<meta http-equiv="refresh" content="0;url=/col/col1/">', 5000),           # a real page with content
    ('<script>function go(){ window.location.href="/x/"; }</script>', 0),      # runs on a click only
    ('<script>location.href="javascript:void(0)"</script>', 0),
    ('<meta http-equiv="refresh" content="0;url=/zwgk/">', 0),                  # to itself
])
def test_not_stubs(html, text_len):
    assert forward_target(html, BASE, text_len=text_len) is None


def test_soft_404_phrases_on_short_pages_only():
    assert soft_404_words("提示信息", "对不起，您访问的页面不存在或已被删除！ 返回首页") == ["页面不存在", "您访问的页面不存在",
                                                                               "访问的页面不存在"]
    assert soft_404_words("404 Not Found", "nginx") == ["404", "Not Found"]
    # a long article that mentions 404 and 页面不存在 is content, not an error page
    article = "关于网站整改的通报：检查发现部分页面返回404，显示页面不存在。" + "各单位要认真整改。" * 60
    assert soft_404_words("关于网站整改情况的通报", article) == []
    assert soft_404_words("通知公告", "关于第14045号建议的答复") == []


@pytest.mark.parametrize("name, usable", [
    ("通知公告", True), ("政府信息公开", True), ("", False), ("  ", False), ("[2026-10-31]", False),
    ("2026-04-19", False), ("07-06", False), ("2026年4月19日", False), ("12", False), ("更多", False),
    ("更多>>", False), ("MORE", False), (">>", False), ("首页", False),
])
def test_usable_column_names(name, usable):
    assert usable_column_name(name) is usable


def test_sitemap_link_texts():
    assert is_sitemap_link("网站地图") and is_sitemap_link(" 站点地图 ") and not is_sitemap_link("地图服务")


def test_sitemap_columns_with_their_parents():
    html = ('<html><body><div class="top"><a href="/">首页</a></div><div class="sitemap">'
            '<div><h3><a href="/col/col1/">政务公开</a></h3><ul><li><a href="/col/col2/">通知公告</a></li>'
            '<li><a href="/col/col3/index.html">政策文件</a></li></ul></div>'
            '<dl><dt><a href="/xxgk/">信息公开</a></dt><dd><a href="/xxgk/jgzn/">机构职能</a></dd></dl>'
            '<dl><dt>其他栏目</dt><dd><a href="/gzdt/">工作动态</a></dd></dl></div></body></html>')
    got = [(c.url.removeprefix("http://example.gov.cn"), c.name, c.parent_url.removeprefix("http://example.gov.cn"))
           for c in sitemap_columns(html, "http://example.gov.cn/sitemap.html")]
    assert got == [("/col/col1/", "政务公开", ""), ("/col/col2/", "通知公告", "/col/col1/"),
                   ("/col/col3/index.html", "政策文件", "/col/col1/"), ("/xxgk/", "信息公开", ""),
                   ("/xxgk/jgzn/", "机构职能", "/xxgk/"), ("/gzdt/", "工作动态", "")]


@pytest.mark.parametrize("url, like", [
    ("http://a.gov.cn/col/col2031/", True), ("http://a.gov.cn/col/col2031/index.html", True),
    ("http://a.gov.cn/col/col2031/index.html?uid=1&pageNum=2", True), ("http://a.gov.cn/channel/12/", True),
    ("http://a.gov.cn/xxgk/zcwj/", True), ("http://a.gov.cn/art/2026/1/5/art_2031_9.html", False),
    ("http://a.gov.cn/about/jgzn.html", False),
])
def test_column_like(url, like):
    assert column_like(url) is like


LIST = "".join(f'<li><a href="/a/{i}.html">示例县开展工作情况通报第{i}期</a><span>2026-11-{i + 1:02d}</span></li>'
               for i in range(10))


def _reason(html: str, body: bytes | None = None) -> str:
    page = extract_page(html, "http://example.gov.cn/tzgg/")
    return unreadable_reason(body if body is not None else html.encode(), html, page.text_len, len(page.links))


def test_readable_and_truly_empty_pages_have_no_reason():
    assert _reason(f'<html><head><title>通知公告</title></head><body><ul class="list">{LIST}</ul></body></html>') == ""
    assert _reason('<html><head><title>通知公告</title></head><body><ul class="list"></ul></body></html>') == ""


def test_markup_beyond_repair_is_unreadable():
    nested = "<html><body>" + "<div>" * 10000 + f'<ul class="list">{LIST}</ul>' + "</div>" * 10000 + "</body></html>"
    assert extract_page(nested, "http://example.gov.cn/tzgg/").entries == []
    assert "结构严重错误" in _reason(nested)


def test_markup_browsers_repair_is_read():
    """256 unclosed <font> tags: the parser reads past libxml2's default depth, as a browser would."""
    fonts = "<html><body>" + "<font color=red>" * 256 + f'<ul class="list">{LIST}</ul></body></html>'
    assert len(extract_page(fonts, "http://example.gov.cn/tzgg/").entries) == 10
    assert _reason(fonts) == ""


def test_not_html_and_truncated_pages_are_unreadable():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("a.txt", "示例" * 50)
    assert "不是网页" in _reason("", buf.getvalue())
    truncated = f'<html><head><title>通知公告</title></head><body><div class="x">{"栏目说明。" * 5}</div><ul class="list">'
    assert "截断" in _reason(truncated)


def test_markup_text_strips_scripts_and_tags():
    assert markup_text("<p>甲<script>var a='乙';</script><b>丙</b></p>") == "甲 丙"
