"""classify_column (lexicon) and extract_nav (menus and the 信息公开目录 tree)."""

from pathlib import Path

import lxml.html
import pytest

from crawler.extract.columns import classify_column, extract_nav, load_lexicon
from zwgk.core.config import ConfigError
from zwgk.core.records import COLUMN_CLASSES

PAGES = Path(__file__).parent / "data" / "extract"


@pytest.mark.parametrize(("name", "cls"), [
    ("通知公告", "通知公告"), ("公示公告", "通知公告"), ("公告公示", "通知公告"),
    ("政策文件", "政策文件"), ("规范性文件", "政策文件"), ("政策解读", "政策文件"), ("其他文件", "政策文件"),
    ("本地要闻", "动态要闻"), ("部门动态", "动态要闻"), ("区县动态", "动态要闻"), ("工作动态", "动态要闻"),
    ("政务动态", "动态要闻"), ("图片新闻", "动态要闻"),
    ("人事信息", "人事"), ("人事任免", "人事"),
    ("规划计划", "规划计划"), ("专项规划", "规划计划"), ("发展规划", "规划计划"), ("规划信息", "规划计划"),
    ("领导信息", "基本信息"), ("机构职能", "基本信息"), ("统计信息", "基本信息"), ("财政信息", "基本信息"),
    ("信息公开目录", "基本信息"), ("政府信息公开指南", "基本信息"), ("政府信息公开年报", "基本信息"),
    ("领导信箱", "互动"), ("市长信箱", "互动"), ("咨询", "互动"), ("意见征集", "互动"), ("互动交流", "互动"),
    ("在线访谈", "互动"),
    ("办事指南", "办事"), ("办事服务", "办事"), ("政务服务", "办事"),
    ("专题专栏", "专题"), ("历史专题", "专题"),
    ("地区概况", "静态"), ("联系我们", "静态"),
    (" 通知 公告 ", "通知公告"), ("", "unknown"), ("重大建设项目", "unknown"),
])
def test_classify_by_name(name, cls):
    assert classify_column(name) == cls


def test_longest_keyword_wins():
    assert classify_column("政务服务动态") == "办事"          # 政务服务 (4) beats 动态 (2)
    assert classify_column("市领导信箱") == "互动"            # 领导信箱, not 领导信息
    assert classify_column("人事信息公开") == "人事"          # 人事信息 ties 信息公开: the class listed first wins
    assert classify_column("政策文件解读") == "政策文件"


def test_classify_by_url_when_name_says_nothing():
    assert classify_column("栏目一", "http://www.example.gov.cn/zwgk/tzgg/") == "通知公告"
    assert classify_column("列表", "http://www.example.gov.cn/xwzx/gzdt/index_2.html") == "动态要闻"
    assert classify_column("", "http://www.example.gov.cn/abc/") == "unknown"
    assert classify_column("通知公告", "http://www.example.gov.cn/gzdt/") == "通知公告"   # the name wins
    # an item of the 信息公开 tree whose name names no class is a catalog item (基本信息 window)
    assert classify_column("行政处罚", "http://www.example.gov.cn/xxgk/fdzdgknr/xzcf/") == "基本信息"


def test_every_class_in_lexicon_is_a_known_class():
    lexicon = load_lexicon()
    assert {cls for _, cls in lexicon.names} <= set(COLUMN_CLASSES) - {"unknown"}
    assert "本栏目暂无信息" in lexicon.empty_notes


@pytest.mark.parametrize(("content", "key"), [
    ("classes:\n  新闻类: {names: [新闻]}\n", "classes.新闻类"),
    ("classes:\n  通知公告: [通知]\n", "classes.通知公告"),
    ("classes:\n  通知公告: {names: 通知}\n", "classes.通知公告.names"),
    ("classes:\n  通知公告: {names: [通知], words: [x]}\n", "classes.通知公告"),
    ("classes: []\n", "classes"),
    ("classes:\n  通知公告: {names: [通知]}\nempty_notes: 暂无\n", "empty_notes"),
    ("classes:\n  通知公告: {names: [通知]}\nside_blocks: {always: 相关链接}\n", "side_blocks.always"),
    ("classes:\n  通知公告: {names: [通知]}\nside_blocks: {sometimes: [热点]}\n", "side_blocks"),
    ("classes:\n  通知公告: {names: [通知]}\npinned: 置顶\n", "pinned"),
    ("classes:\n  通知公告: {names: [通知]}\nnot_columns: {exact: [1, 2]}\n", "not_columns.exact"),
])
def test_lexicon_errors_name_file_and_key(tmp_path, content, key):
    path = tmp_path / "column_lexicon.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_lexicon(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_nav_of_homepage():
    html = (PAGES / "homepage.html").read_text(encoding="utf-8")
    nav = extract_nav(lxml.html.document_fromstring(html), "http://www.cqlp.gov.cn/index.html")
    # 首页 is the site itself, not a column; block headings (<h2><a>通知公告</a></h2>) are columns
    assert [n.text for n in nav] == ["政府信息公开", "要闻动态", "办事服务", "互动交流", "专题专栏", "走进梁平", "本地要闻", "通知公告"]
    assert nav[0].url == "http://www.cqlp.gov.cn/zwgk/" and nav[0].kind == "link"


def test_nav_includes_catalog_tree_and_skips_footer_and_long_texts():
    html = """<div class="nav"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>
    <div class="left gkml-tree"><h3>信息公开目录</h3><ul class="tree">
      <li><a href="/xxgk/gkzn/">政府信息公开指南</a></li>
      <li><a href="/xxgk/fdzdgknr/">法定主动公开内容</a><ul><li><a href="/xxgk/fdzdgknr/ghxx/">规划信息</a></li></ul></li>
      <li><a href="/xxgk/x/">这是一个非常非常长的不像栏目名称的链接文字用来测试</a></li>
    </ul></div>
    <div class="list"><ul><li><a href="/a/1.html">示例市召开政务公开工作会议</a><span>2024-01-01</span></li></ul></div>
    <div class="footer"><div class="nav-foot"><a href="/lxwm/">联系我们</a></div></div>"""
    nav = extract_nav(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert [n.text for n in nav] == ["政务公开", "政府信息公开指南", "法定主动公开内容", "规划信息"]


def _nav(name: str, url: str) -> list:
    html = (PAGES / name).read_text(encoding="utf-8")
    return extract_nav(lxml.html.document_fromstring(html), url)


def test_menu_in_a_table_without_menu_classes():
    nav = _nav("nav_table_layout.html", "http://www.example.gov.cn/")
    by_name = {n.text: n.url for n in nav}
    assert list(by_name)[:5] == ["乡镇概况", "政务公开", "通知公告", "办事服务", "互动交流"]
    assert by_name["通知公告"] == "http://www.example.gov.cn/list.asp?classid=7"
    # a block title beside its 更多 link names the column the 更多 link leads to
    assert by_name["工作动态"] == "http://www.example.gov.cn/list.asp?classid=3"
    assert not any("示例乡" in n.text for n in nav)           # article rows are not columns


def test_hanweb_columns_and_more_links():
    nav = _nav("nav_hanweb.html", "http://fgw.example.gov.cn/")
    pairs = [(n.text, n.url.replace("http://fgw.example.gov.cn", "")) for n in nav]
    assert pairs[:4] == [("机构概况", "/col/col2031/index.html"), ("政策文件", "/col/col2032/index.html"),
                         ("通知公告", "/col/col2033/index.html"),
                         ("政府信息公开", "/col/col2034/index.html")]    # named by its title attribute
    assert ("工作动态", "/col/col2040/index.html") in pairs                  # "more" beside the block title
    # a 更多 block whose first row prints [2026-10-31] has no heading: an empty name, never the date
    assert ("", "/col/col2050/index.html") in pairs
    assert not any("/art/" in url for _, url in pairs)


def test_homepage_blocks_tabs_and_site_tools():
    nav = _nav("nav_home_blocks.html", "http://www.example.gov.cn/")
    pairs = [(n.text, n.url.replace("http://www.example.gov.cn", "")) for n in nav]
    assert pairs == [
        ("要闻动态", "/ywdt/"), ("政务公开", "/zwgk/"), ("互动交流", "/hdjl/"),
        ("本县要闻", ""), ("部门动态", ""),          # tabs with href="": printed columns without a link
        ("政府文件", "/zwgk/zfwj/"),                 # an unlinked block title names its 更多 link
        ("领导信息", "/zwgk/ldxx/"),                 # an icon link to a column folder
    ]
    # not columns: 网站首页, 登录/简体/繁体/无障碍, a search link, the homepage banner, other sites, the footer


def test_xxgk_tree_groups_breadcrumb_and_headed_menus():
    nav = _nav("nav_xxgk_tree.html", "http://www.example.gov.cn/xxgk/")
    names = [n.text for n in nav]
    for group in ("法定主动公开内容", "信息公开年报", "乡镇信息公开"):   # groups printed without a link
        assert group in names and next(n.url for n in nav if n.text == group) == ""
    for leaf in ("机构职能", "政策文件", "规划计划", "县政府年报", "部门年报", "信息公开指南", "东镇", "西镇",
                 "财政资金", "社会救助", "安全生产"):
        assert leaf in names
    assert "重点领域信息公开" in names and "信息公开" in names        # the breadcrumb's columns


@pytest.mark.parametrize("text", ["[2026-10-31]", "2026-04-19", "07-06", "更多", "更多>>", "more", ">>", "12", "第2页", ""])
def test_a_column_is_never_named_by_a_date_a_number_or_more(text):
    html = f"""<div class="nav"><a href="/zwgk/tzgg/">{text}</a></div>
    <div class="box"><ul><li><a href="/zwgk/tzgg/">{text}</a><a href="/zwgk/tzgg/1.html">示例县公告一则内容较长的标题</a></li></ul></div>"""
    nav = extract_nav(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert all(n.text == "" for n in nav)


def test_a_title_attribute_names_an_image_link():
    html = """<div class="menu"><a href="/zwgk/" title="政务公开"><img src="/i/zwgk.png"></a>
    <a href="/hdjl/"><img src="/i/hd.png" alt="互动交流"></a></div>"""
    nav = extract_nav(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert [(n.text, n.url) for n in nav] == [("政务公开", "http://www.example.gov.cn/zwgk/"),
                                             ("互动交流", "http://www.example.gov.cn/hdjl/")]


def test_trs_and_nfcms_column_folders_outside_menus():
    html = """<div class="wrap"><div class="quick"><a href="./tzgg/">通知公告</a><a href="./zcjd/">政策解读</a></div>
    <div class="news"><a href="./tzgg/202401/t20240105_88.html">示例市发展改革委关于公布价格认定结果</a></div>
    <p>详见<a href="/gkmlpt/index">信息公开目录</a></p></div>"""
    nav = extract_nav(lxml.html.document_fromstring(html), "http://drc.example.gov.cn/")
    assert [n.text for n in nav] == ["通知公告", "政策解读", "信息公开目录"]


def test_article_links_never_become_columns():
    html = """<div class="content"><ul>
    <li><a href="/xw/2024-03-01/55.html">县长接待日</a><span>2024-03-01</span></li>
    <li><a href="/xw/">新闻中心</a> <span>03-02</span></li>
    <li><a href="/xw/list.html">示例县关于开展二〇二四年度春季农业生产检查工作的通知</a></li></ul></div>"""
    nav = extract_nav(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert nav == []


def test_off_site_links_only_when_a_menu_names_a_column():
    html = """<div class="nav"><a href="http://letters.example.com/box.aspx">县长信箱</a>
    <a href="http://www.neighbour.gov.cn/">邻县人民政府</a><a href="/zwgk/">政务公开</a></div>"""
    nav = extract_nav(lxml.html.document_fromstring(html), "http://www.example.gov.cn/")
    assert [n.text for n in nav] == ["县长信箱", "政务公开"]


def test_a_column_link_opened_by_script_is_kept_by_name():
    html = """<ul class="cols"><li><div><a onclick="openGuide(2)" target="_blank">政府信息公开指南</a></div></li></ul>
    <div class="tools"><a onclick="addFavorite()">加入收藏</a><a onclick="share()">分享到微信朋友圈</a></div>"""
    nav = extract_nav(lxml.html.document_fromstring(html), "http://xxgk.example.gov.cn/")
    assert [(n.text, n.url) for n in nav] == [("政府信息公开指南", "")]
