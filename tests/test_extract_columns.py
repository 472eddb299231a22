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
