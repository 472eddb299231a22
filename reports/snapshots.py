"""快照: the pages with findings as they were fetched, written beside the report with every script and link disabled."""

from __future__ import annotations

import hashlib
import zlib
from pathlib import Path

import lxml.html
from lxml import etree
from markupsafe import escape

from reports.safe_output import atomic_path, confined_path
from zwgk.core.store import Store

SNAPSHOT_DIR = "snapshots"
# Nothing in a snapshot may run or load: no script, no frame, no remote style, font or image, no form.
SNAPSHOT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
                "form-action 'none'; frame-src 'none'; script-src 'none'")
# Elements dropped with their content: they run code, load other documents or redirect the page.
_DROPPED = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "link", "noscript",
            "portal", "template"}
# Attributes that fetch or navigate: kept under data-zwgk-* so the page shows what it linked to, but inert.
_NAVIGATING = ("href", "src", "srcset", "action", "formaction", "data", "poster", "background", "xlink:href",
               "ping", "manifest", "codebase", "lowsrc", "dynsrc")


def snapshot_file(site_id: str, url: str) -> str:
    """The snapshot's path relative to the report folder (stable: the same page always gets the same name)."""
    digest = hashlib.sha1(f"{site_id}\n{url}".encode("utf-8")).hexdigest()[:16]
    return f"{SNAPSHOT_DIR}/{digest}.html"


def snapshot_names(store: Store, run_id: int, pages: set[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(site, url) -> snapshot path, for those of `pages` whose body the crawl kept."""
    wanted = {(s, u) for s, u in pages if u}
    if not wanted:
        return {}
    kept = store.db.execute("SELECT site_id, url FROM page_bodies WHERE run_id=?", (run_id,)).fetchall()
    return {(r["site_id"], r["url"]): snapshot_file(r["site_id"], r["url"])
            for r in kept if (r["site_id"], r["url"]) in wanted}


def inert_html(html: str, url: str, fetched_at: str) -> str:
    """The page as a document that cannot run anything nor go anywhere, under a banner saying what it is."""
    try:
        doc = lxml.html.document_fromstring(html or "<p></p>")
    except (etree.ParserError, ValueError):
        doc = lxml.html.document_fromstring(f"<pre>{escape(html)}</pre>")
    for el in list(doc.iter()):
        if not isinstance(el.tag, str):          # comments and processing instructions
            if el.getparent() is not None:
                el.drop_tree() if hasattr(el, "drop_tree") else el.getparent().remove(el)
            continue
        tag = el.tag.lower()
        if tag in _DROPPED or (tag == "meta" and el.get("http-equiv")):
            el.drop_tree()
            continue
        for name in list(el.attrib):
            low = name.lower()
            if low.startswith("on"):
                del el.attrib[name]
            elif low in _NAVIGATING:
                value = el.attrib.pop(name)
                if ":" not in low:
                    el.set(f"data-zwgk-{low}", value)
                if tag == "a" and low == "href":
                    el.set("title", f"原链接（已停用）：{value}")
    head = doc.find("head")
    if head is None:
        head = etree.Element("head")
        doc.insert(0, head)
    for meta in reversed([etree.Element("meta", charset="utf-8"),
                          etree.Element("meta", {"http-equiv": "Content-Security-Policy", "content": SNAPSHOT_CSP})]):
        head.insert(0, meta)
    body = doc.find("body")
    if body is None:
        body = etree.SubElement(doc, "body")
    banner = lxml.html.fragment_fromstring(
        '<div style="all:initial;display:block;font:14px sans-serif;background:#fff7e6;border:2px solid #d97706;'
        'padding:8px 12px;margin:0 0 8px 0;color:#111">'
        f'<b>zwgk 页面快照</b>：抓取时保存的页面原样，仅供核对；脚本已禁用，链接和图片已停用。'
        f'<br>原地址：{escape(url)}<br>抓取时间：{escape(fetched_at)}</div>')
    body.insert(0, banner)
    return lxml.html.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")


def write_snapshots(store: Store, run_id: int, names: dict[tuple[str, str], str], out_dir: str | Path) -> list[Path]:
    """Write each named page's snapshot under out_dir (names from snapshot_names); returns the paths written."""
    written = []
    for (site_id, url), name in names.items():
        row = store.db.execute("SELECT body, encoding, fetched_at FROM page_bodies WHERE run_id=? AND site_id=?"
                               " AND url=?", (run_id, site_id, url)).fetchone()
        if row is None:
            continue
        try:
            raw = zlib.decompress(row["body"])
        except zlib.error:
            continue
        encoding = row["encoding"] or "utf-8"
        try:
            text = raw.decode(encoding, errors="replace")
        except LookupError:
            text = raw.decode("utf-8", errors="replace")
        path = confined_path(out_dir, *name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(inert_html(text, url, row["fetched_at"]), encoding="utf-8")
        written.append(path)
    return written
