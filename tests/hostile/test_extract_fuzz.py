"""The extractor fuzzed with Hypothesis: generated HTML and raw bytes never crash it, and its work grows linearly.

Examples are derandomised (the same ones every run: the suite never flakes) and nothing here is timed: growth
is measured as lines the extractor executes (zwgk bench extract prints the time ratios)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extract.encoding import decode_body
from crawler.extract.page import extract_page
from zwgk.bench.extract import SHAPES, growth

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

TAGS = ["div", "a", "table", "tr", "td", "th", "ul", "li", "span", "p", "font", "b", "h1", "title", "script",
        "style", "iframe", "form", "dl", "dt", "dd", "meta", "img", "br", "html", "body", "head", "frameset"]
WORDS = ["索引号：", "发布日期：", "文号", "成文日期", "发布机构", "2024-01-05", "2024年1月5日", "下一页", "尾页", "共3页",
         "首页", "当前位置：", ">", "更多>>", "页面不存在", "主办单位：", "网站标识码", "&nbsp;", "&#0;", "&#xFFFFFFFF;",
         "<!--", "-->", "]]>", "<![CDATA[", "\x00", "\ufffd", "示例县人民政府", "createPageHTML(5,0,'index','html')",
         "document.write('<a href=/x>')", "location.href='/y/'"]
URLS = ["/a.html", "index_1.html", "http://[::1:bad/", "http://%zz/", "javascript:void(0)", "data:text/html,x",
        "file:///etc/passwd", "//evil.test/x", "http://www.example.gov.cn:99999/", "?page=2", "#top", "", " ",
        "http://a b/", "mailto:x@y", "\\\\server\\share", "http://xn--/"]
ATTRS = st.sampled_from(["href", "src", "class", "id", "name", "content", "charset", "http-equiv", "title", "onclick"])


def element(children):
    attrs = st.lists(st.tuples(ATTRS, st.one_of(st.sampled_from(URLS), st.sampled_from(WORDS), st.text(max_size=8))),
                     max_size=3)
    return st.builds(lambda tag, a, kids, close: (
        f"<{tag}" + "".join(f' {k}="{v}"' for k, v in a) + ">" + "".join(kids) + (f"</{tag}>" if close else "")),
        st.sampled_from(TAGS), attrs, st.lists(children, max_size=5), st.booleans())


HTML = st.recursive(st.one_of(st.sampled_from(WORDS), st.text(max_size=20)), element, max_leaves=60)


@FUZZ
@given(html=HTML, listing=st.booleans())
def test_generated_html_never_crashes_the_extractor(html, listing):
    page = extract_page(html, "http://www.example.gov.cn/col/col1/index.html", listing=listing)
    assert page.text_len >= 0
    for link in page.links:
        assert isinstance(link.url, str)


@FUZZ
@given(body=st.binary(max_size=4000), header=st.sampled_from([None, "text/html", "text/html; charset=utf-8",
                                                              "text/html; charset=gbk", "text/html; charset=bogus"]))
def test_raw_bytes_never_crash_decoding_or_extraction(body, header):
    text, encoding = decode_body(body, header)
    assert isinstance(text, str) and encoding
    extract_page(text, "http://www.example.gov.cn/", listing=True)


@FUZZ
@given(prefix=st.binary(max_size=200), html=HTML)
def test_html_after_binary_garbage_never_crashes(prefix, html):
    text, _ = decode_body(prefix + html.encode("utf-8", "surrogatepass"), "text/html")
    extract_page(text, "http://www.example.gov.cn/", listing=True)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_extraction_work_grows_linearly_with_the_page(shape):
    # four times the page, four times the work (8 leaves room for n log n; a quadratic step gives 16)
    assert growth(shape, 60) < 8
