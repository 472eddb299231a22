"""暗链 facts: off-site links inside elements hidden by inline style or the page's own class/id rules."""

from __future__ import annotations

from crawler.extract.identity import read_site_facts

HOME = """<html><head><style>.hd{display:none} #x, .y {position:absolute; left:-9999px}</style></head><body>
<div style="display:none"><a href="http://www.bc-example.com/">百家乐</a><a href="/inside.html">站内</a></div>
<div class="a hd"><a href="http://c.example.com/">c</a></div>
<p id="x"><a href="http://d.example.com/">d</a></p>
<span style="font-size:0"><a href="http://e.example.com/">e</a></span>
<span style="font-size:0.8em"><a href="http://f.example.com/">shown</a></span>
<div style="margin-left:-20px"><a href="http://g.example.com/">shown</a></div>
<a href="http://visible.example.com/">visible</a></body></html>"""


def test_hidden_offsite_links_are_recorded_with_how_they_are_hidden():
    found = read_site_facts(HOME, "http://www.shili.gov.cn/")["hidden_links"]
    assert [(h["url"], h["how"]) for h in found] == [
        ("http://www.bc-example.com/", "display:none"), ("http://c.example.com/", "display:none"),
        ("http://d.example.com/", "移出可视区域"), ("http://e.example.com/", "font-size:0")]
    assert found[0]["text"] == "百家乐"


def test_a_page_without_hiding_records_none():
    assert read_site_facts('<p><a href="http://x.example.com/">x</a></p>', "http://a.gov.cn/")["hidden_links"] == []
