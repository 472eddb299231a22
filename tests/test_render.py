"""Which pages need a browser (pure, on invented pages), and one render in real headless Chromium."""

from __future__ import annotations

import pytest

from crawler.extract.page import extract_page
from crawler.render import render_need, render_page
from zwgk.core.chromium import Chromium, chromium_path

MENU = '<div class="nav">{}</div>'
STATIC_MENU = "<ul>" + "".join(f'<li><a href="/c{i}/">栏目{i}</a></li>' for i in range(5)) + "</ul>"
WRITTEN_MENU = "<script>document.write('<ul><li><a href=\"/gzdt/\">工作动态</a></li></ul>');</script>"
EMPTY_LIST = ('<ul class="list" id="list"></ul><script>var x = new XMLHttpRequest(); x.open("GET", "/api/l.json");'
              'x.onload = function () { document.getElementById("list").innerHTML = "<li>" + x.responseText; };'
              'x.send();</script>')


def need(body: str, role: str = "column", head: str = "") -> tuple[str, str]:
    html = f"<html><head><meta charset='utf-8'>{head}<title>示例</title></head><body>{body}</body></html>"
    return render_need(extract_page(html, "http://www.example.gov.cn/a/b/"), html, role)


def test_pages_that_need_a_browser():
    assert need(MENU.format(WRITTEN_MENU), "home")[0] == "nav"
    assert need(MENU.format(STATIC_MENU) + EMPTY_LIST) == ("list", "")
    assert need(MENU.format(STATIC_MENU), "home") == ("", "")
    assert need(MENU.format(WRITTEN_MENU), "entry") == ("", "")  # detail pages are never rendered
    # an empty menu container beside external scripts: the menu comes from them ...
    empty = '<div class="menu"></div>'
    first = need(empty, "home", '<script src="../js/menu.js"></script>')
    again = need(empty, "column", '<script src="../../js/menu.js"></script>')
    assert first[0] == "nav" and first == again  # ... and the same script is one menu, rendered once
    # ... unless the page has its menu in plain HTML (the empty container is a mobile menu)
    assert need(empty + MENU.format(STATIC_MENU), "home", '<script src="../js/menu.js"></script>') == ("", "")


@pytest.mark.skipif(not chromium_path(), reason="Debian chromium is not installed")
def test_render_reads_the_dom_a_script_built_and_asks_before_each_request(fixture_server):
    base = fixture_server.base_url("nyj")
    asked = []

    def admit(url: str, kind: str):
        asked.append((url[len(base):], kind))
        return 0.0 if kind in ("Document", "Script", "XHR") else "不需要"

    done = []
    browser = Chromium()
    try:
        status, html, sent = render_page(browser, base + "/tzgg/", admit, done.append)
    finally:
        browser.close()
    assert status == 200 and "/tzgg/t1.html" in html and "/zcwj/" in html  # the list and the written menu
    assert ("/tzgg/", "Document") in asked and ("/api/tzgg.json", "XHR") in asked
    assert ("/css/style.css", "Stylesheet") in asked  # asked, refused: never fetched
    assert sent == 2 and len(done) == 2
