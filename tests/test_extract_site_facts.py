"""Homepage identification facts and labelled letter/guide fields, read from invented pages."""

from __future__ import annotations

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
