"""extract_entries / extract_pagination / detect_script_list / extract_empty_note over column list pages."""

from pathlib import Path

import lxml.html
import pytest

from crawler.extract.listing import detect_script_list, extract_empty_note, extract_entries, extract_pagination

PAGES = Path(__file__).parent / "data" / "extract"
LIST_URL = "http://www.cqlp.gov.cn/zwgk/tzgg/index.html"


def load(name: str) -> tuple[str, object]:
    html = (PAGES / name).read_text(encoding="utf-8")
    return html, lxml.html.document_fromstring(html)


def test_ul_li_list_with_span_dates_skips_menus_and_footer():
    _, tree = load("list_ul_trs.html")
    entries = extract_entries(tree, LIST_URL)
    assert [e.date for e in entries] == ["2023-12-20", "2023-12-15", "2023-11-30", "2023-11-02", "2023-10-19", None]
    assert entries[0].url == "http://www.cqlp.gov.cn/zwgk/tzgg/202312/t20231220_12345678.html"
    # a cut-short link text gives way to the full title attribute
    assert entries[1].title == "关于开展2024年度政府网站与政务新媒体自查工作的通知"
    assert entries[2].date_text == "2023-11-30"            # printed as [2023-11-30]
    assert entries[3].date_text == "2023年11月02日"
    assert entries[4].date_text == "10-19"                  # the year comes from t20231019 in the URL
    assert entries[5].date_text == "" and entries[5].url.startswith("http://www.cq.gov.cn/")
    titles = {e.title for e in entries}
    assert not titles & {"首页", "政务公开", "通知公告", "网站地图", "联系我们"}


def test_month_day_dates_take_the_year_from_the_url_or_the_page():
    html = """<ul class="list">
    <li><a href="/a/202401/t20240108_1.html">梁平区召开2024年经济工作会议</a><span>01-08</span></li>
    <li><a href="/a/123.html">区领导调研乡村振兴重点项目建设情况</a><span>12-29</span></li>
    <li><a href="/a/124.html">关于元旦期间政务服务大厅办公时间的公告</a><span>2024-01-02</span></li></ul>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.cqlp.gov.cn/")
    assert [(e.date_text, e.date) for e in entries] == [
        ("01-08", "2024-01-08"), ("12-29", "2023-12-29"), ("2024-01-02", "2024-01-02")]


def test_table_rows_list():
    _, tree = load("list_policy_table.html")
    entries = extract_entries(tree, "http://www.example.gov.cn/zcwj/gfxwj/")
    assert len(entries) == 4
    assert entries[0].title == "关于公布2023年度行政规范性文件清理结果的通知"
    assert entries[0].url == "http://www.example.gov.cn/zcwj/gfxwj/202312/t20231205_123.html"
    assert [e.date for e in entries] == ["2023-12-08", "2023-11-20", "2023-10-11", "2023-09-01"]


def test_div_list_layout_keeps_undated_item_and_skips_friend_links():
    _, tree = load("list_div.html")
    entries = extract_entries(tree, "http://sjj.example.gov.cn/xwzx/gzdt/")
    assert [e.date for e in entries] == ["2024-01-05", "2023-12-28", "2023-12-21", None]
    assert entries[0].url == "http://sjj.example.gov.cn/xwzx/gzdt/2024/0105/8841.html"
    assert all("政府" not in e.title for e in entries)


def test_menus_of_columns_are_not_entries():
    html = """<ul class="sub-columns"><li><a href="/xxgk/fdzdgknr/">法定主动公开内容</a></li>
    <li><a href="/xxgk/gkzn/">政府信息公开指南</a></li><li><a href="/xxgk/gkzd/">政府信息公开制度</a></li>
    <li><a href="/xxgk/gknb/">政府信息公开年报</a></li></ul>"""
    assert extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/xxgk/") == []


def test_undated_article_list_is_kept_with_none_dates():
    html = "<ul class='news'>" + "".join(
        f"<li><a href='/xwzx/{n}.html'>示例市召开第{n}次政务公开工作推进会议</a></li>" for n in range(4)) + "</ul>"
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/xwzx/")
    assert len(entries) == 4 and all(e.date is None and e.date_text == "" for e in entries)


def test_short_undated_list_in_a_marked_list_container():
    html = """<ul class="list"><li><a href="./content_2080.htm">《示例市定价目录（修订征求意见稿）》公开征求意见</a></li>
    <li><a href="./content_2081.htm">《示例市政府投资项目管理办法（征求意见稿）》公开征求意见</a></li></ul>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://fgw.example.gov.cn/hdjl/yjzj/")
    assert [(e.url.rsplit("/", 1)[1], e.date) for e in entries] == [("content_2080.htm", None), ("content_2081.htm", None)]


def test_same_article_in_carousel_and_dated_list_is_one_dated_entry():
    html = """<ul class="pics"><li><a href="/a/1.html"><img src="/p1.jpg" alt="x"><p>示例市召开经济运行分析会议</p></a></li>
    <li><a href="/a/2.html"><p>示例市启动政务服务体验官活动</p></a></li><li><a href="/a/3.html"><p>示例市秋季招聘会举行</p></a></li></ul>
    <ul class="list"><li><a href="/a/1.html">示例市召开经济运行分析会议</a><span>2025-01-15</span></li>
    <li><a href="/a/4.html">市领导调研重点项目</a><span>2025-01-13</span></li></ul>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    by_url = {e.url.rsplit("/", 1)[1]: e.date for e in entries}
    assert by_url["1.html"] == "2025-01-15"
    assert len(entries) == 4


def test_pagination_links_and_trs_script():
    html, tree = load("list_ul_trs.html")
    pages = extract_pagination(tree, html, LIST_URL)
    base = "http://www.cqlp.gov.cn/zwgk/tzgg/"
    assert set(pages) == {base + f"index_{n}.html" for n in range(1, 5)}
    assert LIST_URL not in pages


def test_pagination_numbers_and_next():
    html, tree = load("list_div.html")
    url = "http://sjj.example.gov.cn/xwzx/gzdt/index.html"
    assert extract_pagination(tree, html, url) == [url + "?page=2", url + "?page=1", url + "?page=3"]


@pytest.mark.parametrize(("script", "current", "expected"), [
    ('createPageHTML(4, 0, "index", "html");', "index.html", ["index_1.html", "index_2.html", "index_3.html"]),
    ('createPageHTML(3, 0, "index", "html");', "", ["index_1.html", "index_2.html"]),
    ('createPageHTML(3, 2, "index", "shtml");', "index_2.shtml", ["index.shtml", "index_1.shtml"]),
    ("createPageHTML('page_div', 3, 1, 'list', 'htm', 45);", "list.htm", ["list_1.htm", "list_2.htm"]),
    ("var countPage = 3;\nvar currentPage = 0;\ncreatePageHTML(countPage, currentPage, 'index', 'html');",
     "index.html", ["index_1.html", "index_2.html"]),
    ("var countPage = 3//共多少页\nvar currentPage = 1//所在页", "index_1.html", ["index.html", "index_2.html"]),
    ("createPageHTML(1, 0, 'index', 'html');", "index.html", []),
])
def test_trs_script_pagination(script, current, expected):
    html = f"<html><body><ul class='list'></ul><div class='page'><script>{script}</script></div></body></html>"
    tree = lxml.html.document_fromstring(html)
    base = "http://www.example.gov.cn/zwgk/tzgg/"
    assert extract_pagination(tree, html, base + current) == [base + p for p in expected]


def test_lone_number_link_is_not_pagination():
    html = "<div class='calendar'><a href='/rl/15.html'>15</a></div><p>共 1 页</p>"
    assert extract_pagination(lxml.html.document_fromstring(html), html, "http://www.example.gov.cn/") == []


def test_script_rendered_list_is_detected():
    html, tree = load("list_script.html")
    assert detect_script_list(tree, html) is True


@pytest.mark.parametrize("loader", [
    "fetch('/api/list.json').then(r => r.json())",
    "var x = new XMLHttpRequest(); x.open('GET', 'list.json');",
    "$.getJSON('list.json', function(d){})",
    "document.write('<li><a href=\"' + u + '\">' + t + '</a></li>');",
])
def test_script_loaders(loader):
    html = f"<html><body><ul id='list' class='news-list'></ul><script>{loader}</script></body></html>"
    assert detect_script_list(lxml.html.document_fromstring(html), html) is True


def test_script_on_a_page_with_its_list_is_not_a_script_list():
    html, tree = load("list_ul_trs.html")
    html = html.replace("</body>", "<script>$.ajax({url:'/count.jsp'});</script><div id='data'></div></body>")
    tree = lxml.html.document_fromstring(html)
    assert detect_script_list(tree, html) is False


def test_empty_list_without_script_is_not_a_script_list():
    html = "<html><body><ul class='list'></ul></body></html>"
    assert detect_script_list(lxml.html.document_fromstring(html), html) is False


def test_empty_note():
    _, tree = load("empty_column.html")
    assert extract_empty_note(tree) == "说明：本单位不涉及农村危房改造相关工作，故本栏目暂无信息。"


def test_no_empty_note_on_a_list_page():
    _, tree = load("list_ul_trs.html")
    assert extract_empty_note(tree) == ""


def test_empty_note_short_form():
    html = "<div class='list'><p class='nodata'>本栏目暂无信息</p></div>"
    assert extract_empty_note(lxml.html.document_fromstring(html)) == "本栏目暂无信息"


def test_attachment_list_under_an_article_is_not_entries():
    html = """<div class="fj"><p>附件：</p><ul><li><a href="/files/P1.pdf">计划全文.pdf</a></li>
    <li><a href="/files/P2.xlsx">主要指标表.xlsx</a></li><li><a href="/files/P3.zip">附表.zip</a></li></ul></div>"""
    assert extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/zcwj/1.htm") == []


def test_script_writing_items_inside_the_list_container():
    html = """<ul class="list"><script src="data.js"></script><script>
    for (var i = 0; i < listData.length; i++) {
      document.write('<li><a href="' + listData[i][1] + '">' + listData[i][0] + '</a></li>');
    }</script></ul>"""
    assert detect_script_list(lxml.html.document_fromstring(html), html) is True


# ---- the main list, not side blocks -----------------------------------------------------------------

def test_side_blocks_beside_a_paged_list_are_not_entries():
    html, tree = load("list_sidebar_pager.html")
    url = "http://www.example.gov.cn/zwgk/tzgg/"
    entries = extract_entries(tree, url)
    # 最新发布 (newer dates) and 相关链接 sit beside the list the pager belongs to
    assert [e.url.rsplit("_", 1)[1] for e in entries] == [f"{n}.html" for n in range(501, 507)]
    assert max(e.date for e in entries) == "2024-03-05"
    assert extract_pagination(tree, html, url) == [url + "index_1.html", url + "index_2.html"]


def test_a_hot_block_beside_a_single_page_list_is_dropped():
    html = """<div class="main"><ul class="list">
    <li><a href="/zcwj/a1.html">示例县关于加强农村饮水安全管理的意见</a><span>2023-08-14</span></li>
    <li><a href="/zcwj/a2.html">示例县城区停车管理办法</a><span>2023-07-02</span></li>
    <li><a href="/zcwj/a3.html">示例县政府投资项目管理规定</a><span>2023-05-19</span></li></ul></div>
    <aside><h4>热点</h4><ul><li><a href="/xw/h1.html">示例县新建三座口袋公园开放</a><span>2024-06-01</span></li>
    <li><a href="/xw/h2.html">示例县夜市经济持续升温</a><span>2024-05-28</span></li></ul></aside>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/zcwj/")
    assert [e.url.rsplit("/", 1)[1] for e in entries] == ["a1.html", "a2.html", "a3.html"]


def test_related_links_are_never_entries_even_alone():
    html = """<div class="article"><p>示例县正文内容……</p></div>
    <div class="related"><div class="title">相关文章</div><ul>
    <li><a href="/xw/r1.html">示例县去年同期召开的防汛会议</a><span>2022-06-01</span></li>
    <li><a href="/xw/r2.html">示例县防汛物资储备情况通报</a><span>2022-05-20</span></li></ul></div>"""
    assert extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/xw/1.html") == []


def test_homepage_blocks_are_all_kept_even_a_latest_block():
    html = """<div class="box"><div class="tit">最新发布</div><ul>
      <li><a href="/a/1.html">示例县召开营商环境优化推进会</a><span>2024-05-06</span></li>
      <li><a href="/a/2.html">示例县完成春季造林任务</a><span>2024-05-04</span></li></ul></div>
    <div class="box"><div class="tit">通知公告</div><ul>
      <li><a href="/b/1.html">关于示例县五一假期安排的通知</a><span>2024-04-28</span></li></ul></div>
    <div class="box"><div class="tit">政策文件</div><ul>
      <li><a href="/c/1.html">示例县就业创业扶持办法</a><span>2024-04-20</span></li></ul></div>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert len(entries) == 4


def test_one_list_printed_in_several_containers_is_one_list():
    html, tree = load("list_paged_groups.html")
    url = "http://www.example.gov.cn/zwgk/bmwj/"
    entries = extract_entries(tree, url)
    assert [e.date for e in entries] == ["2024-05-10", "2024-04-22", "2024-03-18", "2024-02-27", "2024-01-19"]


# ---- pinned rows ---------------------------------------------------------------------------------------

def test_pinned_rows_printed_and_held_above_the_order():
    _, tree = load("list_pinned.html")
    entries = extract_entries(tree, "http://www.example.gov.cn/gzdt/")
    assert [e.pinned for e in entries] == [True, True, True, False, False, False, False, False]
    # printed markers are not part of the title
    assert entries[1].title == "示例镇便民服务电话一览"
    assert entries[0].date == "2024-06-01"        # a pinned row keeps its printed date


def test_a_newest_first_list_has_no_pinned_rows():
    html = "<ul class='list'>" + "".join(
        f"<li><a href='/x/{d}.html'>示例县第{d}号工作简报内容摘要</a><span>2024-03-{d:02d}</span></li>"
        for d in (20, 18, 18, 11, 5)) + "</ul>"
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/x/")
    assert not any(e.pinned for e in entries)


def test_a_list_in_no_date_order_marks_nothing_pinned():
    html = "<ul class='list'>" + "".join(
        f"<li><a href='/x/{d}.html'>示例县第{d}号工作简报内容摘要</a><span>2024-{m:02d}-{d:02d}</span></li>"
        for m, d in ((1, 3), (5, 9), (2, 4), (6, 1), (3, 7), (4, 2))) + "</ul>"
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/x/")
    assert not any(e.pinned for e in entries)


# ---- date forms ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "iso"), [
    ("[2024-03-05]", "2024-03-05"),
    ("【2024-03-05】", "2024-03-05"),
    ("2024年3月5日", "2024-03-05"),
    ("2024年03月05日 09:30", "2024-03-05"),
    ("2024-03-05 10:21:09", "2024-03-05"),
    ("2024/03/05", "2024-03-05"),
    ("2024-3-5", "2024-03-05"),
    ("（2024.03.05）", "2024-03-05"),
    ("２０２４－０３－０５", "2024-03-05"),
    ("发布时间：2024-03-05", "2024-03-05"),
])
def test_date_forms(cell, iso):
    html = f"""<ul class="list"><li><a href="/x/1.html">示例县召开春季动物防疫工作会议</a><span>{cell}</span></li>
    <li><a href="/x/2.html">示例县开展春季校园安全检查</a><span>2024-03-01</span></li></ul>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/x/")
    assert entries[0].date == iso


@pytest.mark.parametrize("title", ["2023年10月8日 示例县新闻联播", "2023-10-08示例县新闻", "示例县2023年10月8日防汛会商会"])
def test_a_date_inside_the_title_is_not_the_row_date(title):
    html = f"""<ul class="list"><li><a href="/x/1.html">{title}</a><span class="time"> 2024-01-12 </span></li>
    <li><a href="/x/2.html">示例县开展冬季消防检查工作</a><span class="time">2024-01-10</span></li></ul>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/x/")
    assert entries[0].date == "2024-01-12" and entries[0].title == title


def test_a_date_element_inside_the_link_after_a_dated_title():
    html = """<ul class="list"><li><a href="/x/1.html"><span>2023年12月30日 示例县新闻</span><i>2024-01-02</i></a></li>
    <li><a href="/x/2.html"><span>示例县召开年终总结大会</span><i>2023-12-29</i></a></li></ul>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/x/")
    assert [e.date for e in entries] == ["2024-01-02", "2023-12-29"]


def test_table_with_two_date_columns_takes_the_publication_date():
    html = """<table class="gk-table"><tr><th>标题</th><th>文号</th><th>成文日期</th><th>发布日期</th></tr>
    <tr><td><a href="/gk/1.html">示例县人民政府关于公布行政许可事项目录的通知</a></td><td>示政〔2024〕3号</td>
        <td>2024-02-20</td><td>2024-03-01</td></tr>
    <tr><td><a href="/gk/2.html">示例县人民政府关于调整防汛指挥部成员的通知</a></td><td>示政〔2024〕2号</td>
        <td>2024-01-30</td><td>2024-02-02</td></tr></table>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/gk/")
    assert [(e.date_text, e.date) for e in entries] == [("2024-03-01", "2024-03-01"), ("2024-02-02", "2024-02-02")]


def test_header_row_with_a_more_link_is_not_an_entry():
    html = """<table><tr><td><b>工作动态</b></td><td><a href="/list.asp?classid=3">更多&gt;&gt;</a></td></tr>
    <tr><td><a href="/show.asp?id=12">示例乡召开春耕生产动员会议</a></td><td>2024-03-02</td></tr>
    <tr><td><a href="/show.asp?id=11">示例乡开展人居环境整治活动</a></td><td>2024-02-27</td></tr></table>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert [e.url.rsplit("=", 1)[1] for e in entries] == ["12", "11"]


# ---- pagination styles ---------------------------------------------------------------------------------

def test_last_page_pager_of_numbers_only():
    html = """<ul class="list"><li><a href="/gsgg/9.html">示例县二〇一二年低保名单公示</a><span>2012-05-04</span></li>
    <div class="pager"><a title="Total record">&nbsp;<b>63</b></a> <a href="index.html">首页</a>
    <a href="index_5.html">上一页</a> <a href="index_5.html">5</a> <a href="index_6.html">6</a> <b>7</b></div></ul>"""
    tree = lxml.html.document_fromstring(html)
    base = "http://www.example.gov.cn/gsgg/"
    assert extract_pagination(tree, html, base + "index_7.html") == [base + "index_5.html", base + "index_6.html"]
    assert len(extract_entries(tree, base + "index_7.html")) == 1


def test_record_count_pagination_follows_static_pages_only():
    html, tree = load("list_paged_groups.html")
    url = "http://www.example.gov.cn/zwgk/bmwj/"
    # 47 records at 5 a page are 10 pages, of which 3 are static files (index, index_1, index_2); the .htm
    # ending is the one the list's own links use
    assert extract_pagination(tree, html, url) == [url + "index_1.htm", url + "index_2.htm"]


@pytest.mark.parametrize(("script", "pages"), [
    ("var info = {recordCount:'23', prepage:10};", 3),
    ("var info = {recordCount: 9, pageSize: 10};", 1),
    ("var totalCount = 120; var pageSize = 20; var maxStaticIndex = 0;", 6),
])
def test_record_count_and_page_size(script, pages):
    html = f"<html><body><ul class='list'></ul><script>{script}</script></body></html>"
    url = "http://www.example.gov.cn/zwgk/tzgg/"
    found = extract_pagination(lxml.html.document_fromstring(html), html, url)
    assert len(found) == pages - 1


# ---- a list that prints no dates -----------------------------------------------------------------------

def test_undated_list_is_flagged_for_dating_from_its_pages():
    from crawler.extract.page import extract_page
    undated = "<html><body><ul class='news'>" + "".join(
        f"<li><a href='/xwzx/{n}.html'>示例市召开第{n}次政务公开工作推进会议</a></li>" for n in range(4)) + "</ul></body></html>"
    assert extract_page(undated, "http://www.example.gov.cn/xwzx/").undated_list is True
    html, _ = load("list_pinned.html")
    assert extract_page(html, "http://www.example.gov.cn/gzdt/").undated_list is False
    assert extract_page("<html><body><p>本栏目暂无信息</p></body></html>", "http://www.example.gov.cn/x/").undated_list is False


def test_homepage_arrows_and_a_calendar_are_not_a_pager():
    days = "".join(f"<a href='/rl/{d}.html'>{d}</a>" for d in range(1, 31))
    html = f"""<div class="box"><div class="tit">工作动态<a href="/gzdt/">&gt;&gt;</a></div><ul>
      <li><a href="/gzdt/1.html">示例县召开营商环境优化推进会</a><span>2024-05-06</span></li></ul></div>
    <div class="box"><div class="tit">通知公告<a href="/tzgg/">&gt;&gt;</a></div><ul>
      <li><a href="/tzgg/1.html">关于示例县五一假期安排的通知</a><span>2024-04-28</span></li></ul></div>
    <div class="calendar">{days}</div>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert len(entries) == 2


def test_a_carousel_or_a_far_pager_does_not_pick_one_homepage_block():
    html = """<div class="slides"><a href="javascript:prev()">上一页</a><a href="javascript:next()">下一页</a></div>
    <div class="row"><div class="col"><div class="box"><div class="tit">工作动态</div><ul>
      <li><a href="/gzdt/1.html">示例县召开营商环境优化推进会</a><span>2024-05-06</span></li></ul></div></div>
    <div class="col"><div class="box"><div class="tit">通知公告</div><ul>
      <li><a href="/tzgg/1.html">关于示例县五一假期安排的通知</a><span>2024-04-28</span></li></ul></div></div></div>
    <div class="wrap"><div class="inner"><div class="part"><div class="zone"><div class="cell">
      <a href="/zt/index_2.html">下一页</a></div></div></div></div></div>"""
    entries = extract_entries(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert len(entries) == 2
