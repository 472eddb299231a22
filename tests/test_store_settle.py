"""Store.settle_pages (each listed page's column and kind after a crawl) and Store.write_tables (one batch)."""

import json

from zwgk.core.store import Store


def _column(cid: str, url: str, level: int) -> dict:
    return dict(run_id=1, site_id="s", column_id=cid, name=cid, url=url, cls="通知公告", source="discovered",
                level=level, assessable=1)


def _page(url: str, kind: str, error: str = "", column_id: str = "") -> dict:
    return dict(run_id=1, site_id="s", url=url, final_url=url, status=200, fetched_at="t", kind=kind,
                column_id=column_id, error=error, fields={"文号": "示发〔2026〕1号"} if kind == "article" else "{}")


def _entry(cid: str, url: str) -> dict:
    return dict(run_id=1, site_id="s", column_id=cid, url=url, title="标题", list_url="http://s.test/" + cid,
                position=0)


def test_settle_gives_each_listed_page_its_deepest_column(tmp_path):
    store = Store(tmp_path)
    written = store.write_tables([
        ("columns", [_column("top", "http://s.test/a/", 1), _column("deep", "http://s.test/a/b/", 2),
                     _column("other", "http://s.test/c/", 1)]),
        ("pages", [_page("http://s.test/p1.html", "other"), _page("http://s.test/p2.html", "article"),
                   _page("http://s.test/p3.html", "other", error="HTTP 404"), _page("http://s.test/p4.html", "other"),
                   _page("http://s.test/a/", "column", column_id="top")]),
        ("entries", [_entry("top", "http://s.test/p1.html"), _entry("deep", "http://s.test/p1.html"),
                     _entry("other", "http://s.test/p2.html"), _entry("top", "http://s.test/p3.html"),
                     _entry("deep", "http://s.test/a/")]),
    ])
    assert written == 13
    assert store.settle_pages(1) == 3
    got = {r["url"]: (r["column_id"], r["kind"]) for r in store.db.execute("SELECT url, column_id, kind FROM pages")}
    assert got == {
        "http://s.test/p1.html": ("deep", "article"),     # listed twice: the deeper column owns it
        "http://s.test/p2.html": ("other", "article"),
        "http://s.test/p3.html": ("top", "other"),        # an error page keeps its kind
        "http://s.test/p4.html": ("", "other"),           # listed nowhere: unchanged
        "http://s.test/a/": ("top", "column"),            # a column page is never re-assigned
    }
    # JSON only where a row holds a dict; a string in the same column is stored as it is
    fields = dict(store.db.execute("SELECT url, fields FROM pages"))
    assert json.loads(fields["http://s.test/p2.html"]) == {"文号": "示发〔2026〕1号"}
    assert fields["http://s.test/p1.html"] == "{}"
    assert store.write_tables([("pages", [])]) == 0
    store.close()
