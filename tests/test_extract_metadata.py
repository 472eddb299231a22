"""extract_metadata / normalise_label / extract_meta_tags over the layouts and traps of real 信息公开 pages."""

from pathlib import Path

import lxml.html
import pytest

from crawler.extract.metadata import extract_meta_tags, extract_metadata, load_fields, normalise_label
from zwgk.core.config import ConfigError

PAGES = Path(__file__).parent / "data" / "extract"


def tree_of(html: str):
    return lxml.html.document_fromstring(html)


def meta(html: str) -> list[tuple[str | None, str, str]]:
    return [(m.field, m.label, m.value) for m in extract_metadata(tree_of(html))]


def fields(html: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in extract_metadata(tree_of(html)):
        if m.field:
            out.setdefault(m.field, m.value)
    return out


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


# --- normalise_label -------------------------------------------------------------------------

@pytest.mark.parametrize(("label", "field"), [
    ("索引号", "索引号"), ("索 引 号", "索引号"), ("索\u3000引\u3000号：", "索引号"), ("[ 索引号 ]", "索引号"),
    ("【索引号】", "索引号"), ("［索引号］:", "索引号"), ("索\xa0引\xa0号", "索引号"), ("索\u2002引\u2002号", "索引号"),
    ("标　　题", "标题"), ("名称", "标题"), ("信息名称", "标题"), ("公文名称", "标题"),
    ("发布机构", "发布机构"), ("发文机关", "发布机构"), ("发文机构", "发布机构"), ("发文单位", "发布机构"),
    ("公开责任部门", "发布机构"), ("办文部门", "发布机构"),
    ("文号", "文号"), ("发文字号", "文号"), ("文件编号", "文号"), ("文\u2003\u2003号", "文号"),
    ("成文日期", "成文日期"), ("发文日期", "成文日期"), ("生成日期", "成文日期"), ("产生日期", "成文日期"),
    ("发布日期", "发布日期"), ("公开日期", "发布日期"), ("发布时间:", "发布日期"),
    ("主题分类", "主题分类"), ("分类", "主题分类"), ("组配分类", "主题分类"), ("信息分类", "主题分类"),
    ("公开目录", "主题分类"),
    ("主题词", "主题词"), ("关键词", "主题词"), ("关键字", "主题词"),
    ("有效性", "有效性"), ("时效", "有效性"), ("时效性", "有效性"), ("有 效 性", "有效性"),
    ("体裁分类", "体裁分类"), ("废止日期", "废止日期"), ("失效日期", "失效日期"), ("信息来源", "来源"), ("来源", "来源"),
])
def test_normalise_label(label, field):
    assert normalise_label(label) == field


@pytest.mark.parametrize("label", ["浏览次数", "联系电话", "", "索引", "字体"])
def test_normalise_label_unknown(label):
    assert normalise_label(label) is None


# --- layouts (test pages under tests/data/extract) ---------------------------------------------

def test_table_cells_with_bracketed_labels_seed_003():
    got = meta(page("meta_table_brackets.html"))
    assert got == [
        ("索引号", "[ 索引号 ]", "11500228008652038C/2021-00151"),
        ("文号", "[ 发文字号 ]", "梁平府办发〔2021〕37号"),
        ("主题分类", "[ 主题分类 ]", "电子政务"),
        ("体裁分类", "[ 体裁分类 ]", "其他公文"),
        ("发布机构", "[ 发布机构 ]", "梁平区政府办公室"),
        ("标题", "[标题]", "重庆市梁平区人民政府办公室关于印发贯彻落实市政府办公厅2021年政务公开工作要点任务分工的通知"),
        ("成文日期", "[ 成文日期 ]", "2021-06-02"),
        ("发布日期", "[ 发布日期 ]", "2021-06-02"),
    ]


def test_text_lines_with_several_pairs_and_empty_document_number_seed_004():
    got = meta(page("meta_text_lines.html"))
    assert [f for f, _, _ in got] == ["索引号", "主题分类", "发布机构", "成文日期", "文号", "发布日期", "标题", "来源",
                                      "主题词", None, "有效性"]
    by_field = {f: v for f, _, v in got}
    assert by_field["文号"] == ""                       # printed empty, directly followed by 发布日期
    assert by_field["发布日期"] == "2023-12-20"          # the block's, not the 17:40 line under the title
    assert by_field["索引号"] == "003158495/202312-00416"
    assert by_field["来源"] == "市政务公开办"
    assert ("浏览次数", "834") in [(label, v) for f, label, v in got if f is None]
    labels = [label for _, label, _ in got]
    assert "索 引 号" in labels and "文   号" in labels   # &ensp;/&emsp; print as spaces inside the label
    assert all(label != "发布时间" for label in labels)   # article body text after the title stays out


def test_ul_li_b_layout_with_placeholder_and_bracketed_date():
    got = fields(page("meta_ul_li_b.html"))
    assert got["主题分类"] == "无"
    assert got["文号"] == "国办发明电〔2018〕15号"
    assert got["发布日期"] == "[2018-05-11]"
    assert got["成文日期"] == "2018年05月08日"
    assert got["标题"] == "国务院办公厅关于做好2018年政府网站与政务新媒体检查工作的通知"
    assert got["主题词"] == ""
    labels = [label for _, label, _ in meta(page("meta_ul_li_b.html"))]
    assert "标\u3000\u3000题" in labels                  # full-width spaces kept as printed
    assert len(labels) == 8                               # "发布时间：本通知自…" in the body is not metadata


def test_span_label_value_layout_without_colons():
    got = fields(page("meta_span_label.html"))
    assert got == {
        "索引号": "015125076-202510-102597", "发布机构": "市司法局", "文号": "市司发〔2023〕12号",
        "主题分类": "规范性文件", "成文日期": "2023年12月5日", "发布日期": "2023年12月8日", "有效性": "有效",
        "主题词": "",
    }


def test_dl_dt_dd_layout_with_full_width_brackets():
    got = meta(page("meta_dl.html"))
    assert ("文号", "【文件编号】", "") in got
    assert ("废止日期", "【废止日期】", "2030-12-31") in got
    assert ("主题分类", "【公开目录】", "规划信息") in got
    assert fields(page("meta_dl.html"))["标题"] == "平远县“十四五”交通运输发展专项规划"


def test_p_strong_layout_with_colon_outside_the_label():
    got = meta(page("meta_p_strong.html"))
    by_field = {f: v for f, _, v in got if f}
    assert by_field["文号"] == "内府办函〔 2023〕 36号"      # stray spaces kept: a style rule flags them
    assert by_field["成文日期"] == "２０２３年５月２４日"
    assert by_field["发布机构"] == "市政府办公室"
    assert by_field["发布日期"] == "2023-05-26"
    assert (None, "公开时间", "2023-05-26") in got           # an unknown label in the block is kept


def test_div_grid_with_printed_empty_values():
    got = meta(page("meta_div_grid.html"))
    assert got[-2:] == [("文号", "文号", ""), ("有效性", "有效性", "")]
    assert got[0] == ("索引号", "索引号", "11441500MB2C12345Q/2024-00021")


def test_lone_publication_time_line_is_accepted_when_no_block():
    got = meta(page("meta_lone_pubtime.html"))
    assert got[0] == ("发布日期", "发布时间", "2023-12-20 17:40")


def test_list_page_table_headers_and_search_form_are_not_metadata():
    assert meta(page("list_policy_table.html")) == []


# --- inline traps --------------------------------------------------------------------------

def test_seed_002_li_layout():
    html = """<div class="info"><ul><li>2023-06-30 11:03</li><li>来源:汕尾市政务服务和数据管理局</li>
    <li>发布机构:汕尾市政务服务数据管理局</li><li>【字体:<a href="javascript:;">大</a> <a href="javascript:;">中</a>】</li></ul></div>
    <h1>汕尾市政务服务数据管理局2023年政务公开工作要点分工方案</h1><p>工作要求：具体任务。</p>"""
    got = fields(html)
    assert got == {"来源": "汕尾市政务服务和数据管理局", "发布机构": "汕尾市政务服务数据管理局"}


def test_labels_with_ascii_colon_and_no_space_between_pairs():
    html = "<p>索引号:000014349/2017-00110　发布机构:国务院办公厅　成文日期:2017-05-09</p><p>正文</p>"
    assert fields(html) == {"索引号": "000014349/2017-00110", "发布机构": "国务院办公厅", "成文日期": "2017-05-09"}


def test_labels_without_colon_in_table_cells():
    html = """<table><tr><td>索引号</td><td>PZ00101-1700-2025-00660</td><td>文号</td><td></td></tr>
    <tr><td>发布日期</td><td>(2025-03-18)</td><td>有效性</td><td>废止</td></tr></table><h1>关于废止部分文件的决定</h1>"""
    assert fields(html) == {"索引号": "PZ00101-1700-2025-00660", "文号": "", "发布日期": "(2025-03-18)", "有效性": "废止"}


def test_value_inside_a_link_is_read_but_a_link_is_never_a_label():
    html = """<div class="nav"><a href="/gkml/">公开目录</a></div>
    <ul class="meta"><li>主题分类：<a href="/fl/1">城乡建设</a></li><li>发布机构：市住建局</li></ul>"""
    assert meta(html) == [("主题分类", "主题分类", "城乡建设"), ("发布机构", "发布机构", "市住建局")]


def test_body_sentences_with_label_words_are_not_labels():
    html = """<div class="content"><p>明确标注规范性文件的名称、文号、发布机构、索引号、主题分类、成文及发布日期、有效性等要素。</p>
    <p>本办法发布时间较早，有效性另行公告。</p></div>"""
    assert meta(html) == []


def test_block_wins_over_a_smaller_info_line_elsewhere():
    html = """<div class="info"><span>发布时间：2024-01-02</span> <span>来源：本网</span></div>
    <h2>示例市人民政府关于印发示例办法的通知</h2>
    <table><tr><td>索引号：</td><td>A/2024-1</td><td>文号：</td><td>示府发〔2024〕1号</td></tr>
    <tr><td>发布机构：</td><td>市政府</td><td>成文日期：</td><td>2023-12-29</td></tr></table>
    <div class="content"><p>正文……</p></div>"""
    got = fields(html)
    assert got == {"索引号": "A/2024-1", "文号": "示府发〔2024〕1号", "发布机构": "市政府", "成文日期": "2023-12-29"}


def test_hidden_block_is_not_printed_metadata():
    html = """<div style="display:none"><p>索引号：X/2024-1</p><p>文号：示府发〔2024〕1号</p></div>
    <div class="info">发布时间：2024-01-02</div>"""
    assert meta(html) == [("发布日期", "发布时间", "2024-01-02")]


def test_printed_empty_last_label_does_not_take_the_title():
    html = """<div class="xxgk"><p>索引号：A/2024-1</p><p>发布机构：市政府</p><p>有效性：</p></div>
    <h1>关于印发示例市办法的通知</h1><div class="content"><p>各区县人民政府：……</p></div>"""
    assert fields(html)["有效性"] == ""


@pytest.mark.parametrize("html", [
    "", "<html></html>", "<p>索引号</p>", "<td>文号：", "<table><tr><td>[ 索引号 ]</td>" * 50,
    "<div>" * 3000 + "索引号：1 发布机构：x" + "</div>" * 3000, "\x00\x01\x02<p>成文日期：</p>",
])
def test_broken_html_never_raises(html):
    try:
        tree = lxml.html.document_fromstring(html)
    except Exception:  # lxml refuses empty documents; extract_page handles that case itself
        return
    assert isinstance(extract_metadata(tree), list)


# --- <meta name=...> hints -----------------------------------------------------------------

def test_meta_tags_case_insensitive_names():
    html = """<html><head><meta name="articletitle" content=" 关于印发 通知 "><meta name="PUBDATE" content="2023-05-24 10:00">
    <meta name="ColumnName" content=""><meta name="columnname" content="通知公告">
    <meta name="SiteIDCode" content="5002280001">
    <meta name="keywords" content="政务公开"><meta name="description" content="说明"><meta name="ContentSource" content="市政府">
    <meta name="SiteName" content="示例市人民政府"><meta name="ColumnType" content="通知公告"><meta name="viewport" content="x">
    </head><body></body></html>"""
    assert extract_meta_tags(tree_of(html)) == {
        "ArticleTitle": "关于印发 通知", "PubDate": "2023-05-24 10:00", "ColumnName": "通知公告",
        "SiteIDCode": "5002280001", "Keywords": "政务公开", "Description": "说明", "ContentSource": "市政府",
        "SiteName": "示例市人民政府", "ColumnType": "通知公告",
    }


# --- fields.yaml validation ----------------------------------------------------------------

def test_fields_yaml_loads():
    lexicon = load_fields()
    assert lexicon.synonyms["发文字号"] == "文号"
    assert "发布日期" in lexicon.date_fields


@pytest.mark.parametrize(("content", "key"), [
    ("fields: [a, b]\n", "fields"),
    ("fields:\n  文号: 文号\n", "fields.文号"),
    ("fields:\n  文号: [文号]\n  标题: [文号]\n", "fields.标题"),
    ("fields:\n  文号: [文号]\ndate_fields: [成文日期]\n", "date_fields"),
    ("fields:\n  文号: [文号]\nother_labels: 浏览次数\n", "other_labels"),
])
def test_fields_yaml_errors_name_file_and_key(tmp_path, content, key):
    path = tmp_path / "fields.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_fields(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_list_table_header_with_sequence_column_is_not_metadata():
    html = """<table class="list"><tr><th>序号</th><th>标题</th><th>发布日期</th></tr>
    <tr><td>1</td><td><a href="/tzgg/1.htm">关于开展重点项目申报工作的通知</a></td><td>2024-06-29</td></tr></table>"""
    assert meta(html) == []
