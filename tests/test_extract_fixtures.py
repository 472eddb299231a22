"""The extractor against the fixture sites' oracle (expected.yaml): every metadata block and column list.

Pages are rendered from their templates without a server; the oracle says what a crawl must record, so
this catches layout drift between the fixture generator and the extractor early.
"""

from datetime import date
from pathlib import Path

import jinja2
import pytest

from crawler.extract.columns import classify_column
from crawler.extract.page import extract_page

server = pytest.importorskip("fixtures.server")

AS_OF = date(2026, 11, 21)
BASE = "http://127.0.0.1:8000"
CANONICAL = {"索引号", "主题分类", "体裁分类", "发布机构", "标题", "文号", "成文日期", "发布日期", "主题词", "有效性",
             "废止日期"}
SITES = [s for s in ("cityportal", "fgw") if (server.SITES_ROOT / s / "expected.yaml").exists()]


class RenderedSite:
    def __init__(self, site: str):
        self.expected = server.render_expected(site, AS_OF)
        self.www = server.SITES_ROOT / site / "www"
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(self.www)))
        self.context = server.template_context(AS_OF, base=BASE, ext="http://127.0.0.1:8001", host="127.0.0.1:8000")
        self.pages: dict = {}

    def file(self, path: str) -> Path | None:
        target = self.www / path.lstrip("/")
        if path.endswith("/"):
            return next((target / n for n in ("index.html", "index.htm") if (target / n).exists()), None)
        return target if target.exists() else None

    def page(self, path: str):
        if path not in self.pages:
            found = self.file(path)
            assert found is not None, f"fixture page {path} missing"
            html = self.env.get_template(found.relative_to(self.www).as_posix()).render(**self.context)
            self.pages[path] = extract_page(html, BASE + path)
        return self.pages[path]


@pytest.fixture(scope="module", params=SITES)
def site(request):
    return RenderedSite(request.param)


def test_metadata_blocks_match_the_oracle(site):
    wrong = []
    for item in site.expected["metadata_pages"]:
        page = site.page(item["path"])
        want = {k: str(v) for k, v in (item.get("fields") or {}).items()}
        got = {k: v for k, v in page.fields.items() if k in CANONICAL}
        if got != want:
            wrong.append((item["path"], item.get("layout"), want, got))
        want_dates = {k: str(v) for k, v in (item.get("dates") or {}).items()}
        if {k: v for k, v in page.dates.items() if k in want_dates} != want_dates:
            wrong.append((item["path"], "dates", want_dates, page.dates))
    assert site.expected["metadata_pages"]
    assert wrong == []


def test_columns_match_the_oracle(site):
    wrong = []
    for column in site.expected["columns"]:
        path = column["path"]
        if classify_column(column["name"], path) != column["class"]:
            wrong.append((path, "class", column["class"], classify_column(column["name"], path)))
        pages = column.get("list_pages") or [path]
        extracts = [site.page(p) for p in pages]
        script = any(p.script_rendered_list for p in extracts)
        if column.get("list") in ("js-json", "js-write"):
            if not script:
                wrong.append((path, "script list not detected"))
            continue
        if script:
            wrong.append((path, "script list wrongly detected"))
        if column.get("breadcrumb") and ">".join(extracts[0].breadcrumb) != column["breadcrumb"]:
            wrong.append((path, "breadcrumb", column["breadcrumb"], extracts[0].breadcrumb))
        if column.get("note") and column["note"] not in extracts[0].empty_note:
            wrong.append((path, "note", column["note"], extracts[0].empty_note))
        dated = {e.url: e.date for p in extracts for e in p.entries if e.date}
        undated = {e.url for p in extracts for e in p.entries if not e.date} - set(dated)
        if column.get("entries") is not None:
            if len(dated) + len(undated) != column["entries"] or len(undated) != column.get("undated", 0):
                wrong.append((path, "entries", column["entries"], column.get("undated"), len(dated), len(undated)))
            newest = (date.fromisoformat(max(dated.values())) - AS_OF).days if dated else None
            if newest != column.get("newest"):
                wrong.append((path, "newest", column.get("newest"), newest))
        for n, lp in enumerate(pages):
            others = {BASE + p for i, p in enumerate(pages) if i != n}
            got = {u.removesuffix("index.html").removesuffix("index.htm") for u in extracts[n].pagination}
            if {u.removesuffix("index.html").removesuffix("index.htm") for u in others} - got:
                wrong.append((lp, "pagination", sorted(others), sorted(extracts[n].pagination)))
    assert site.expected["columns"]
    assert wrong == []


def test_hub_pages_have_no_entries(site):
    assert [hub["path"] for hub in site.expected.get("not_columns", []) if site.page(hub["path"]).entries] == []


def test_homepage_updates_match_the_oracle(site):
    want = site.expected.get("homepage_updates")
    if not want:
        pytest.skip("no homepage_updates in this oracle")
    entries = site.page("/").entries
    got = {
        "items": len({e.url for e in entries}),
        "dated_items": sum(1 for e in entries if e.date),
        "items_within_14_days": sum(1 for e in entries if e.date and (AS_OF - date.fromisoformat(e.date)).days <= 14),
    }
    assert {k: v for k, v in want.items() if k in got} == {k: v for k, v in got.items() if k in want}
