"""extract_links: hyperlinks, attachments, images, audio/video sources, players and frames."""

from pathlib import Path

import lxml.html
import pytest

from crawler.extract.links import extract_links, resolve
from zwgk.core.records import LinkRef

PAGES = Path(__file__).parent / "data" / "extract"


def links(html: str, url: str = "http://www.example.gov.cn/zwgk/tzgg/index.html") -> list[LinkRef]:
    return extract_links(lxml.html.document_fromstring(html), url)


def test_homepage_media_and_attachments():
    html = (PAGES / "homepage.html").read_text(encoding="utf-8")
    got = {(ref.tag, ref.url): ref for ref in extract_links(lxml.html.document_fromstring(html), "http://x.invalid/")}
    base = "http://www.cqlp.gov.cn/"     # <base href> wins over the page URL
    expected = {
        ("video@src", base + "media/lp2024.mp4"): "video",
        ("video@poster", base + "media/lp2024.jpg"): "image",
        ("video/source@src", base + "media/jiedu.mp4"): "video",
        ("audio@src", base + "media/broadcast.mp3"): "audio",
        ("video@src", ""): "video",                              # empty src kept as rule material
        ("img@src", ""): "image",                                # banner with src=""
        ("embed@src", base + "flash/old_banner.swf"): "embed",
        ("object@data", base + "flash/map.swf"): "embed",
        ("param[name=movie]@value", base + "flash/map.swf"): "embed",
        ("iframe@src", "https://player.example.com/v/123"): "embed",
        ("img@data-src", base + "images/lazy.jpg"): "image",
        ("a@href", base + "uploads/2023年部门预算.pdf"): "attachment",
        ("a@href", base + "uploads/名单.XLSX"): "attachment",     # fragment stripped, extension case-insensitive
        ("a@href", base + "uploads/old/notice.doc"): "attachment",  # back-slashes read as slashes
        ("a@href", base + "media/talk.flv"): "video",
        ("a@href", base + "media/radio.mp3"): "audio",
        ("a@href", base + "search.jsp?q=政务公开&page=1"): "link",  # query kept
    }
    for key, kind in expected.items():
        assert key in got, key
        assert got[key].kind == kind
    assert got[("a@href", base)].text == "重庆市梁平区人民政府"   # logo link named by its image's alt
    assert got[("iframe@src", "https://player.example.com/v/123")].text == "在线访谈视频"
    # hrefs that lead nowhere are recorded as what they are (never fetched: they are not http URLs)
    unfetchable = {ref.url for ref in got.values() if not ref.url.startswith(("http://", "https://"))}
    assert {"mailto:lpzf@cqlp.gov.cn", "tel:023-53222222", "javascript:void(0);", "#top"} <= unfetchable
    assert not [u for u in got.values() if u.url.startswith("http") and "#" in u.url]


def test_empty_anchor_javascript_and_data_hrefs_are_recorded():
    html = ('<html><body><a href="">空链接</a><a href="#">井号</a><a href="javascript:;">脚本</a>'
            '<a href="data:text/html;base64,PGgxPg==">数据</a><a href="/ok.html">正常</a></body></html>')
    refs = extract_links(lxml.html.document_fromstring(html), "http://example.gov.cn/")
    got = {r.text: r.url for r in refs}
    assert got == {"空链接": "", "井号": "#", "脚本": "javascript:;", "数据": "data:text/html;base64,PGgxPg==",
                   "正常": "http://example.gov.cn/ok.html"}
    assert all(r.kind == "link" and r.tag == "a@href" for r in refs)


@pytest.mark.parametrize("ext", ["pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "zip", "rar", "7z", "ppt",
                                 "pptx", "txt", "ofd", "csv"])
def test_attachment_extensions(ext):
    (ref,) = links(f'<a href="/P0202301.{ext}">附件</a>')
    assert ref.kind == "attachment" and ref.url.endswith(f".{ext}")


def test_relative_resolution_and_fragment():
    refs = links('<a href="../zcwj/a.html#top">a</a><a href="./b.html?id=3#x">b</a>'
                 '<a href="//cdn.example.com/c.js">c</a>')
    assert [r.url for r in refs] == ["http://www.example.gov.cn/zwgk/zcwj/a.html",
                                     "http://www.example.gov.cn/zwgk/tzgg/b.html?id=3",
                                     "http://cdn.example.com/c.js"]


def test_unfetchable_hrefs_are_recorded_never_resolved():
    html = ('<a href="javascript:void(0)">x</a><a href="JavaScript:;">x</a><a href="mailto:a@b.cn">x</a>'
            '<a href="tel:12345">x</a><a href="#">x</a><a href="#anchor">x</a><a href="">x</a><a>no href</a>')
    assert [r.url for r in links(html)] == ["javascript:void(0)", "JavaScript:;", "mailto:a@b.cn", "tel:12345",
                                            "#", "#anchor", ""]


def test_duplicates_are_listed_once_per_tag():
    refs = links('<a href="/a.html">a</a><a href="/a.html">again</a><img src="/a.html">')
    assert [(r.tag, r.text) for r in refs] == [("a@href", "a"), ("img@src", "")]


def test_image_alt_and_empty_src():
    refs = links('<img src="/i/1.jpg" alt="图解：政策要点"><img src="  "><img data-src="/i/2.jpg" src="">')
    assert [(r.url, r.text, r.tag) for r in refs] == [
        ("http://www.example.gov.cn/i/1.jpg", "图解：政策要点", "img@src"),
        ("", "", "img@src"),
        ("http://www.example.gov.cn/i/2.jpg", "", "img@data-src"),
    ]


def test_audio_source_and_embedded_video_file():
    refs = links('<audio controls><source src="/m/jd.mp3" type="audio/mpeg"></audio><embed src="/m/v.mp4">')
    assert [(r.kind, r.tag) for r in refs] == [("audio", "audio/source@src"), ("video", "embed@src")]


def test_resolve_bad_values():
    assert resolve("http://www.example.gov.cn/", "http://[::1") is None
    assert resolve("http://www.example.gov.cn/", None) is None
    assert resolve("http://www.example.gov.cn/", "  /a.html  ") == "http://www.example.gov.cn/a.html"
