"""Homepage identification facts and labelled letter/guide fields, read from invented pages."""

from __future__ import annotations

from pathlib import Path

from crawler.extract.identity import read_site_facts
from crawler.extract.labelled import read_guide, read_letter

HOME = """<html><head><title>示例县</title><script src="/js/a.js"></script></head><body>
<div class="nav"><a href="/">首页</a></div>
<div class="main">新闻</div>
<div class="bottom-wrap"><div class="copyright">主办单位：示例县人民政府办公室<script>var s=1;</script> 网站标识码：9999000001
<span id="_span_jiucuo" title="政府网站找错"></span></div></div>
<script>document.write('<script src="https://stat.example/s.js"><\\/script>');</script>
</body></html>"""


def test_footer_scripts_and_attributes_of_a_homepage():
    facts = read_site_facts(HOME, "http://site.test/")
    assert facts["footer_found"]
    assert facts["footer"] == "主办单位：示例县人民政府办公室 网站标识码：9999000001"   # outermost footer once, script body left out
    assert facts["scripts"] == ["http://site.test/js/a.js", "https://stat.example/s.js"]
    assert "_span_jiucuo" in facts["attrs"] and "政府网站找错" in facts["attrs"]


def test_a_footer_written_by_a_script_is_not_found():
    facts = read_site_facts('<html><body><div id="footer"></div><script src="/f.js"></script></body></html>', "http://s/")
    assert not facts["footer_found"] and facts["footer"] == ""


def test_letter_fields_inline_in_one_element_and_in_table_cells():
    assert read_letter("<div><p>来信日期：2024-01-02 办理状态：办理中</p><p>答复内容：</p></div>") == {
        "留言时间": "2024-01-02", "状态": "办理中", "答复内容": ""}
    assert read_letter("<table><tr><th>答 复 单 位</th><td>县水利局</td></tr>"
                       "<tr><td>回复时间</td><td>2024-01-09</td></tr></table>") == {
        "答复单位": "县水利局", "答复时间": "2024-01-09"}
    assert read_letter("<p>本站状态良好</p>") == {}


def test_guide_elements_as_numbered_headings_and_bold_labels():
    found = read_guide("<div><h3>一、申请条件</h3><p>本县户籍居民</p><h3>（二）申请材料</h3><p>身份证</p>"
                       "<p><b>收费标准：</b>不收费</p></div>")
    assert found == {"申请条件": "本县户籍居民", "办理材料": "身份证", "收费标准": "不收费"}


def test_letter_list_table_rows_mapped_by_header():
    from crawler.extract.labelled import read_letter_rows
    html = (Path(__file__).parent / "data" / "extract" / "letters_list_table.html").read_text(encoding="utf-8")
    rows = read_letter_rows(html, "http://site.test/hdjl/xzxx/index.html")
    assert [r["title"] for r in rows] == ["咨询示例县城区公交线路调整", "关于示例镇东街排水管道堵塞长期未修复的问题反映",
                                          "反映示例小区物业收费问题", "建议增设示例公园健身器材"]   # pager and calendar left out
    assert rows[0] == {"url": "http://site.test/hdjl/xzxx/detail.html?id=105", "title": "咨询示例县城区公交线路调整",
                       "row": "1 | 咨询示例县城区公交线路调整 | 2024-05-20 | 示例县交通运输局 | 已回复",
                       "留言时间": "2024-05-20", "答复单位": "示例县交通运输局", "状态": "已回复"}
    assert rows[1]["状态"] == "办理中" and rows[1]["答复单位"] == ""
    assert rows[2]["url"] == "" and rows[2]["留言时间"] == "2024年1月8日"       # a letter not published: no link
    assert rows[3]["留言时间"] == ""


def test_letter_list_needs_letter_headers_and_reads_combined_headers():
    from crawler.extract.labelled import read_letter_rows
    plain = "<table><tr><th>标题</th><th>发布日期</th></tr><tr><td><a href='a.html'>通知</a></td><td>2024-01-01</td></tr></table>"
    assert read_letter_rows(plain, "http://s/") == []
    status_only = "<table><tr><th>标题</th><th>状态</th></tr><tr><td><a href='a.html'>某事</a></td><td>已回复</td></tr></table>"
    assert read_letter_rows(status_only, "http://s/") == []          # one field: not enough to call it a letter list
    combined = ("<table><tr><th>主题</th><th>留言日期</th><th>答复时间/答复单位</th></tr>"
                "<tr><td><a href='/x/1.html'>咨询办证</a></td><td>2024-03-01</td><td>2024-03-05 县公安局</td></tr></table>")
    assert read_letter_rows(combined, "http://s/list/") == [{
        "url": "http://s/x/1.html", "title": "咨询办证", "row": "咨询办证 | 2024-03-01 | 2024-03-05 县公安局",
        "留言时间": "2024-03-01", "答复时间": "2024-03-05 县公安局"}]
