"""站内搜索 facts: the search form found on a homepage, the query a title makes, what a results page lists."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from crawler.extract.search import find_search_form, query_from_title, read_search_results, search_url

HOME = """<html><head><meta charset="gbk"><title>示例县人民政府</title></head><body>
<form id="login" action="/login" method="post"><input type="text" name="username"><input type="password" name="pwd"></form>
<form name="f1" action="http://www.shili.gov.cn/search/s.jsp" method="get">
<input type="hidden" name="siteid" value="3"><select name="scope"><option value="1">标题</option><option value="2" selected>全文</option></select>
<input type="checkbox" name="x" value="on"><input name="searchword" placeholder="请输入"><button>搜索</button></form></body></html>"""


def test_the_search_form_is_told_from_a_login_form_with_hidden_and_selected_values():
    form = find_search_form(HOME, "http://www.shili.gov.cn/")
    assert form == {"action": "http://www.shili.gov.cn/search/s.jsp", "method": "get", "field": "searchword",
                    "params": [["siteid", "3"], ["scope", "2"]], "charset": ""}


def test_a_form_named_search_with_an_unusual_field_name_and_no_form_at_all():
    html = '<form class="sousuo" action="/s"><input type="text" name="zz"></form>'
    assert find_search_form(html, "http://a.gov.cn/")["field"] == "zz"
    assert find_search_form('<form action="/x"><input type="text" name="name"></form>', "http://a.gov.cn/") is None
    assert find_search_form("<p>无表单</p>", "http://a.gov.cn/") is None


def test_the_query_drops_a_lists_ellipsis_and_is_cut():
    assert query_from_title("示例县召开春季农业生产工作推进会...") == "示例县召开春季农业生产工作推进会"
    assert len(query_from_title("关于" + "示例" * 40)) == 30
    assert query_from_title("通知") == ""


def test_the_query_is_sent_in_the_pages_encoding():
    form = find_search_form(HOME, "http://www.shili.gov.cn/")
    url, body = search_url(form, "示例", "gbk")
    assert body == "" and "searchword=%CA%BE%C0%FD" in url and url.endswith("siteid=3&scope=2")
    form["method"] = "post"
    url, body = search_url(form, "示例", "utf-8")
    assert url == "http://www.shili.gov.cn/search/s.jsp" and parse_qs(body)["searchword"] == ["示例"]


def test_an_echoed_query_is_no_result_but_a_highlighted_title_link_is():
    target, title = "http://a.gov.cn/art/1.html", "示例县召开春季农业生产工作推进会议"
    echoed = f"<p>您搜索的是：{title}</p><p>没有找到相关结果</p>"
    got = read_search_results(echoed, "http://a.gov.cn/s?q=1", target, title)
    assert got["found"] == "" and "没有找到" in got["excerpt"]
    hit = '<ul><li><a href="/click?id=1"><em>示例县召开</em>春季农业生产工作推进会议</a></li></ul>'
    assert read_search_results(hit, "http://a.gov.cn/s?q=1", target, title)["found"] == "title"
    link = '<a href="../art/1.html#top">结果</a>'
    assert read_search_results(link, "http://a.gov.cn/s/index.html", target, title)["found"] == "link"
    assert urlsplit(target).path == "/art/1.html"
