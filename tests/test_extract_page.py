"""extract_page as the spider calls it, its speed, and the `zwgk page` command run as a subprocess."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.extract.page import extract_page

PAGES = Path(__file__).parent / "data" / "extract"


def read(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def test_article_page_with_table_block():
    page = extract_page(read("meta_table_brackets.html"), "http://www.cqlp.gov.cn/zwgk/zfxxgkml/qtwj/t1.html")
    assert page.kind_hint == "article"
    assert page.title == "重庆市梁平区人民政府办公室关于印发贯彻落实市政府办公厅2021年政务公开工作要点任务分工的通知"
    assert page.fields["文号"] == "梁平府办发〔2021〕37号"
    assert page.dates == {"成文日期": "2021-06-02", "发布日期": "2021-06-02"}
    assert page.meta_tags["SiteIDCode"] == "5002280001"
    assert page.breadcrumb == ["首页", "政务公开", "政府信息公开目录", "其他文件"]
    assert [n.text for n in page.nav][:1] == ["政务公开"]      # 首页 is the site, not a column
    assert any(link.kind == "attachment" and link.url.endswith(".xlsx") for link in page.links)
    assert page.entries == [] and page.pagination == []
    assert page.text_len > 200 and len(page.body_hash) == 40


def test_dates_parse_printed_forms_and_brackets():
    page = extract_page(read("meta_ul_li_b.html"), "http://www.gov.cn/zhengce/content/a.htm")
    assert page.dates == {"成文日期": "2018-05-08", "发布日期": "2018-05-11"}
    page = extract_page(read("meta_p_strong.html"), "http://www.neijiang.gov.cn/a.html")
    assert page.dates["成文日期"] == "2023-05-24"               # full-width digits


def test_pubdate_meta_is_the_fallback_for_an_unprinted_publication_date():
    html = """<html><head><meta name="PubDate" content="2024-03-02 09:00"><title>a</title></head>
    <body><ul class="meta"><li>索引号：A/2024-1</li><li>发布机构：市政府</li></ul><p>正文</p></body></html>"""
    assert extract_page(html, "http://x.gov.cn/a.html").dates == {"发布日期": "2024-03-02"}
    printed = html.replace("<li>发布机构：市政府</li>", "<li>发布机构：市政府</li><li>发布日期：2024-03-01</li>")
    assert extract_page(printed, "http://x.gov.cn/a.html").dates == {"发布日期": "2024-03-01"}


def test_lone_publication_time_page():
    page = extract_page(read("meta_lone_pubtime.html"), "http://www.example.gov.cn/zwdt/gzdt/1.html")
    assert page.fields == {"发布日期": "2023-12-20 17:40"}
    assert page.dates == {"发布日期": "2023-12-20"}
    assert page.kind_hint == "article"
    assert page.title == "我区召开2023年政务公开工作推进会"
    assert page.breadcrumb == ["首页", "政务动态", "工作动态"]


def test_list_page():
    page = extract_page(read("list_ul_trs.html"), "http://www.cqlp.gov.cn/zwgk/tzgg/index.html")
    assert page.kind_hint == "list"
    assert page.title == "通知公告"                                # <title> without the site suffix
    assert len(page.entries) == 6 and len(page.pagination) == 4
    assert page.metadata == [] and page.fields == {} and page.dates == {}
    assert page.breadcrumb == ["首页", "政务公开", "通知公告"]
    assert not page.script_rendered_list and page.empty_note == ""


def test_script_list_and_empty_column_pages():
    page = extract_page(read("list_script.html"), "http://www.example.gov.cn/zcjd/")
    assert page.script_rendered_list is True and page.entries == []
    page = extract_page(read("empty_column.html"), "http://www.example.gov.cn/zwgk/fdzdgknr/ncwfgz/")
    assert page.empty_note.startswith("说明：本单位不涉及农村危房改造")
    assert page.script_rendered_list is False


def test_body_hash_ignores_markup_whitespace_and_scripts():
    a = "<html><body><p>政务公开  工作</p><script>var t = 1;</script></body></html>"
    b = "<html><head><style>p{}</style></head><body>\n<p>政务公开\n工作</p><script>var t = 2;</script></body></html>"
    c = "<html><body><p>政务公开 工作（更正）</p></body></html>"
    ha, hb, hc = (extract_page(h, "http://x.gov.cn/").body_hash for h in (a, b, c))
    assert ha == hb != hc
    assert extract_page(a, "http://x.gov.cn/").text_len == len("政务公开 工作")


@pytest.mark.parametrize("odd", ["", "\x1e", "\x1f"])
def test_page_text_keeps_blocks_and_cells_whatever_characters_the_page_prints(odd):
    """A line per block, a tab between cells, source line breaks as spaces — also on a page that prints the
    control characters the layout uses while it is built."""
    html = (f"<html><body><p>通知\n公告{odd}正文</p><table><tr><td>姓名</td><td>赵某\r\n某</td></tr>"
            f"<tr><td><p>电话</p></td><td>139****5521</td></tr></table><div>第二段\t结束</div></body></html>")
    sep = " " if odd else ""   # str.split() reads \x1e and \x1f as white space, as a visitor sees nothing there
    assert extract_page(html, "http://x.gov.cn/").text == \
        f"通知 公告{sep}正文\n姓名\t赵某 某\n电话\t139****5521\n第二段 结束"


@pytest.mark.parametrize("html", [
    "", "   ", "<html>", "<?xml version='1.0' encoding='gbk'?><html><body>x</body></html>",
    "\x00<p>\udcff</p>", "<frameset><frame src='a.html'></frameset>",
])
def test_never_raises(html):
    page = extract_page(html, "http://x.gov.cn/")
    assert isinstance(page.title, str) and page.metadata == []


def test_a_30kb_page_reads_the_same_every_time():
    """Extraction is a pure function of (html, url); its speed is measured by `zwgk bench`, never asserted here."""
    html = read("bench_article_30k.html")
    assert len(html.encode("utf-8")) >= 30_000
    url = "http://www.cqlp.gov.cn/zwgk/zfxxgkml/qtwj/t1.html"
    first, again = extract_page(html, url), extract_page(html, url)
    assert first.fields["文号"] == "梁平府办发〔2021〕37号"
    assert first == again


# --- `zwgk page` ---------------------------------------------------------------------------

def zwgk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zwgk.cli", "page", *args], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parent.parent)


def test_page_command_json_on_a_gbk_file_without_charset(tmp_path):
    charset = '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    html = read("meta_text_lines.html").replace(charset, "")
    saved = tmp_path / "t20231220.html"
    saved.write_bytes(html.encode("gbk"))
    done = zwgk(str(saved), "--url", "https://www.fy.gov.cn/openness/detail/123.html", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["url"] == "https://www.fy.gov.cn/openness/detail/123.html"
    assert data["encoding"] == "gb18030"
    assert data["kind_hint"] == "article"
    assert data["fields"]["索引号"] == "003158495/202312-00416"
    assert data["fields"]["文号"] == ""
    assert data["dates"] == {"成文日期": "2023-12-20", "发布日期": "2023-12-20"}
    assert {"label": "浏览次数", "field": None, "value": "834"} in data["metadata"]
    assert "索引号" in done.stdout                                   # ensure_ascii=False


def test_page_command_human_readable_default(tmp_path):
    done = zwgk(str(PAGES / "homepage.html"))
    assert done.returncode == 0, done.stderr
    assert "列表条目（5 条）" in done.stdout
    assert "[视频]" in done.stdout and "[附件]" in done.stdout
    assert "file://" in done.stdout


def test_page_command_missing_file():
    done = zwgk("/nonexistent/page.html")
    assert done.returncode == 2
    assert "找不到文件" in done.stderr and "Traceback" not in done.stderr


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/gbk.html":
            body = read("meta_ul_li_b.html").replace('<meta charset="utf-8">', "").encode("gbk")
            self.send_response(200)
            self.send_header("Content-Type", "text/html")          # no charset, as many GBK sites serve
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            agent = self.headers.get("User-Agent", "")
            self.server.agents.append(agent.encode("latin-1").decode("utf-8"))
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.agents = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_page_command_fetches_a_url(server):
    url = f"http://127.0.0.1:{server.server_port}/gbk.html"
    done = zwgk(url, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["url"] == url and data["encoding"] == "gb18030"
    assert data["fields"]["文号"] == "国办发明电〔2018〕15号"
    assert server.agents == ["zwgk/0.1 (+政务公开合规检查)"]


def test_page_command_http_error(server):
    done = zwgk(f"http://127.0.0.1:{server.server_port}/missing.html")
    assert done.returncode == 2
    assert "HTTP 404" in done.stderr and "Traceback" not in done.stderr


def test_title_skips_a_site_name_logo_heading():
    html = """<html><head><title>通知公告_示例市人民政府</title><meta name="SiteName" content="示例市人民政府"></head>
    <body><div class="header"><h1 class="logo">示例市人民政府门户网站</h1></div><h1>示例市人民政府</h1>
    <ul class="list"><li><a href="/a/1.html">关于开展自查工作的通知</a><span>2024-01-02</span></li></ul></body></html>"""
    assert extract_page(html, "http://www.example.gov.cn/tzgg/").title == "通知公告"
