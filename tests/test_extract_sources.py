"""Label-driven metadata over the layout families of real sites, and where each value was read (sources)."""

from pathlib import Path

import lxml.html
import pytest

from crawler.extract.metadata import clean_value, read_metadata, script_literal
from crawler.extract.page import extract_page

PAGES = Path(__file__).parent / "data" / "extract"


def read(body: str):
    return read_metadata(lxml.html.document_fromstring(f"<html><body>{body}</body></html>"))


def page(name: str):
    return extract_page((PAGES / name).read_text(encoding="utf-8"), "http://site.test/a/1.html", listing=False)


# --- labels with any padding, brackets and colon; values wherever the layout puts them ------------

@pytest.mark.parametrize(("body", "want"), [
    # label and value in one cell, U+00A0 padding, ASCII colon, three pairs per row
    ('<table><tr><td><b>索\xa0\xa0引\xa0\xa0号:</b> 11440000-01/2024-00012</td><td><b>发文字号:</b> 示府〔2024〕3号</td>'
     '<td><b>发布机构:</b> 示例市人民政府</td></tr></table>',
     {"索引号": "11440000-01/2024-00012", "文号": "示府〔2024〕3号", "发布机构": "示例市人民政府"}),
    # label cell and value cell, no colon, two pairs per row
    ('<table><tr><td>索引号</td><td>A1/2024-1</td><td>文号</td><td>示府〔2024〕3号</td></tr>'
     '<tr><td>发布机构</td><td>示例县政府</td><td>成文日期</td><td>2024-01-02</td></tr></table>',
     {"索引号": "A1/2024-1", "文号": "示府〔2024〕3号", "发布机构": "示例县政府", "成文日期": "2024-01-02"}),
    ('<dl><dt>索引号：</dt><dd>A1/2024-1</dd><dt>发布机构：</dt><dd>示例县政府</dd></dl>',
     {"索引号": "A1/2024-1", "发布机构": "示例县政府"}),
    ('<div><span class="l">索引号</span><span>A1/2024-1</span></div><div><span class="l">文号</span><span>示府〔2024〕3号</span></div>',
     {"索引号": "A1/2024-1", "文号": "示府〔2024〕3号"}),
    ('<ul><li>索\u2002引\u2002号：<font>A1/2024-1</font></li><li>有\u2002效\u2002性：<em>有效</em></li></ul>',
     {"索引号": "A1/2024-1", "有效性": "有效"}),
    ('<p>【索引号】<em>A1/2024-1</em>　【文号】<em>示府〔2024〕3号</em></p>', {"索引号": "A1/2024-1", "文号": "示府〔2024〕3号"}),
    ('<div>索引号：<br>A1/2024-1<br>文号：<br>示府〔2024〕3号</div>', {"索引号": "A1/2024-1", "文号": "示府〔2024〕3号"}),
    ('<p>索\u3000引\u3000号：A1/2024-1　　发布机构：示例县政府　　成文日期：2024年1月2日</p>',
     {"索引号": "A1/2024-1", "发布机构": "示例县政府", "成文日期": "2024年1月2日"}),
    ('<div><p>索&ensp;引&ensp;号：A1/2024-1</p><p>文&ensp;&ensp;号：示府〔2024〕3号</p></div>',
     {"索引号": "A1/2024-1", "文号": "示府〔2024〕3号"}),
    ('<table><tr><td><b>索引号</b> A1/2024-1</td><td><b>发布机构</b> 示例县政府</td></tr></table>',
     {"索引号": "A1/2024-1", "发布机构": "示例县政府"}),
    # layout separators: bars, brackets; a value of separators only is empty
    ('<p>[ 索引号 ] | <span>A1/2024-1</span> | [ 发文字号 ] | <span>青政规〔2026〕1号</span> | '
     '[ 有效性 ] | <span> | </span> |</p>', {"索引号": "A1/2024-1", "文号": "青政规〔2026〕1号", "有效性": ""}),
])
def test_label_value_layouts(body, want):
    got = {m.field: m.value for m in read(body).block if m.field}
    assert got == want


@pytest.mark.parametrize(("raw", "clean"), [
    (" | 青政规〔2026〕1号 | ", "青政规〔2026〕1号"), ("｜ ｜", ""), (": 示例县政府", "示例县政府"),
    ("] A1/2024-1", "A1/2024-1"), ("国发[2018]43号", "国发[2018]43号"), ("[2023]5号", "[2023]5号"),
    ("示例 [", "示例"), ("2024-01-02\xa0\u2002", "2024-01-02"), ("【2026-06-30】", "【2026-06-30】"),
])
def test_clean_value(raw, clean):
    assert clean_value(raw) == clean


def test_column_headers_of_a_list_table_are_no_block():
    body = ('<table><tr><th>序号</th><th>索引号</th><th>文号</th><th>发布日期</th></tr>'
            '<tr><td>1</td><td>A1/2024-1</td><td>示府〔2024〕3号</td><td>2024-01-02</td></tr></table>')
    assert read(body).block == []


# --- the families learnt from real sites (invented pages with the same structure) ------------------

def test_hanweb_label_and_value_in_one_cell():
    p = page("meta_hanweb_cell_pairs.html")
    assert p.layout == "block"
    assert p.fields == {"索引号": "000111222/2024-00417", "发布机构": "示例省人民政府", "文号": "示府令第12号",
                        "主题分类": "综合政务、行政事务", "成文日期": "2024-03-11"}
    # 主题分类 and 组配分类 side by side: the label naming the field wins, the block is not split
    assert [m.label for m in p.metadata][-2:] == ["组配分类", "成文日期"]
    # no 发布日期 is printed: the <meta PubDate> is recorded as a hint, never as printed
    assert p.sources["发布日期"] == "meta" and "发布日期" not in p.fields
    assert p.title == "示例省人民政府关于调整示例事项管理办法的决定"


def test_table_without_colons_and_byline_under_the_title():
    p = page("meta_table_nocolon_byline.html")
    assert p.fields["索引号"] == "113399000011112222/2024-00871" and p.fields["主题分类"] == "市政府文件"
    assert p.sources["索引号"] == "block"
    assert p.sources["发布日期"] == "byline" and p.dates["发布日期"] == "2024-04-09"


def test_dl_label_font_with_synonyms():
    p = page("meta_dl_label_font.html")
    assert p.fields == {"索引号": "0147000000A/2024-0012345", "成文日期": "2024-05-10", "发布机构": "示例县统计局"}
    assert p.sources["发布日期"] == "meta"   # the 关联稿件 date under the title is no byline


def test_li_with_ensp_padding_and_value_in_font_or_em():
    p = page("meta_li_font_ensp.html")
    assert p.fields["索引号"] == "SL00101-0900-2024-00031" and p.fields["有效性"] == "有效"
    assert p.fields["标题"] == "关于同意示例路命名的批复" and p.fields["主题分类"] == "无"
    assert set(p.sources.values()) == {"block"}


def test_weak_label_byline_needs_a_time_and_ignores_body_lines():
    p = page("news_byline_weak_label.html")
    assert p.layout == "byline" and p.sources == {"来源": "byline", "发布日期": "byline", "文号": "body"}
    assert p.dates == {"发布日期": "2024-03-14"}
    # "时间：2024年3月25日" in the body has no time of day and comes after the byline
    body = read('<h1>示例</h1><div class="content"><p>时间：2024年3月25日</p><p>地点：示例县</p></div>')
    assert body.byline == []


def test_unlabelled_dateline_beside_source():
    p = page("news_dateline_source.html")
    assert p.dates == {"发布日期": "2024-05-15"} and p.sources["发布日期"] == "byline"
    assert p.title == "示例视界｜示例县：数字农机服务助力春耕"
    glued = page("news_dateline_glued.html")
    assert glued.fields["发布日期"] == "2024年06月15日08:18" and glued.dates["发布日期"] == "2024-06-15"
    assert glued.title == "示例画家画了几笔兰花当嫁妆"


def test_date_in_a_json_literal_of_an_inline_script():
    p = page("script_config_json.html")
    assert p.sources == {"发布日期": "script"} and p.dates == {"发布日期": "2024-09-09"}
    assert p.title.startswith("示例省发展改革委关于公开征求")


def test_byline_date_written_by_a_script_literal():
    p = page("script_literal_byline.html")
    assert p.sources["发布日期"] == "script" and p.dates["发布日期"] == "2024-03-02"


def test_value_written_by_a_script_is_unknown_not_empty():
    p = page("script_unknown_date.html")
    assert p.sources["发布日期"] == "script-unknown" and p.sources["主题分类"] == "script-unknown"
    assert "发布日期" not in p.fields and "发布日期" not in p.dates and "主题分类" not in p.fields
    assert p.fields["有效性"] == "有效"


def test_bar_separated_block():
    p = page("meta_bar_separators.html")
    assert p.fields["文号"] == "青政规〔2026〕1号" and p.fields["有效性"] == ""
    assert p.dates["废止日期"] == "2026-06-30"


@pytest.mark.parametrize(("script", "date_field", "value"), [
    ('var pubdate = "2023-05-01"; document.write(pubdate);', True, "2023-05-01"),
    ('document.write("2023年5月1日")', True, "2023年5月1日"),
    ("document.write(formatDate(pubTime))", True, None),
    ('document.write("示例县统计局")', False, "示例县统计局"),
    ("document.write(names[code])", False, None),
])
def test_script_literal(script, date_field, value):
    assert script_literal(script, date_field) == value


def test_a_block_whose_values_cannot_be_told_apart_is_unrecognised():
    body = ('<table class="xxgk"><tr><td>索引号：</td><td></td><td>发布机构：</td><td></td></tr>'
            '<tr><td>文号：</td><td></td><td>成文日期：</td><td>2024-01-02</td></tr></table>')
    assert read(body).layout == "unrecognised"
    long_value = "示例" * 150
    assert read(f"<div><p>索引号：A1/2024-1</p><p>文号：{long_value}</p></div>").layout == "unrecognised"
    assert read("<div><p>索引号：A1/2024-1</p><p>文号：示府〔2024〕3号</p></div>").layout == "block"


def test_doc_number_printed_alone_under_the_title_is_read_from_the_body():
    """A 政府文件 without a 要素 block prints its 文号 on the line under the title: printed, source "body";
    a 文号 quoted inside a sentence and the footer's 备案号 are not it."""
    extract = page("doc_number_head_line.html")
    assert extract.fields["文号"] == "示政办〔2026〕7号"
    assert extract.sources["文号"] == "body"
    assert extract.layout == "byline"


def test_a_list_table_of_doc_numbers_gives_no_page_doc_number():
    """A 文号 column shares its row with the title and date: a list page has no 文号 of its own."""
    rows = "".join(f"<tr><td><a href='/d/{i}.html'>关于示例工作的通知{i}</a></td><td>示府〔2026〕{i}号</td>"
                   f"<td>2026-01-0{i}</td></tr>" for i in range(1, 6))
    extract = extract_page(f"<html><body><table>{rows}</table></body></html>", "http://site.test/list/", listing=True)
    assert "文号" not in extract.fields
