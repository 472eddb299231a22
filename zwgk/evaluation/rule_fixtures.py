"""Rule fixtures (fixtures/rules/<CODE>/bad_*.yaml, good_*.yaml): loading, running, comparing.

A fixture is a snapshot as plain data plus, for `bad_*`, the findings it must produce:

    as_of: 2024-06-01
    thresholds: {...}            # optional overrides of rules/thresholds.yaml
    catalog: {items: [...], with_defaults: false}   # optional; default: the built-in catalog
    site: {...}; columns: [...]; pages: [...]; entries: [...]; resources: [...]
    expect:
      - {code: META001, url: http://site.test/a.html, evidence: {field: 有效性}}

A page may carry `html: file.html` (beside the fixture): it is then read by the crawler's extractor
(`crawler.extract.page.extract_page`) so real HTML traps are covered end to end.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

import yaml

from rules.catalog import Catalog, _item_from_mapping, default_catalog
from rules.context import CheckContext
from rules.engine import check_snapshot, parse_as_of
from rules.registry import Rule, get_rule
from rules.snapshot import Link, Page, Snapshot, expand_probes, snapshot_from_dict
from rules.thresholds import load_thresholds
from zwgk.core.records import Finding

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "rules"


@dataclass
class Case:
    path: Path
    code: str
    snapshot: Snapshot
    ctx: CheckContext
    expect: list[dict] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        return self.path.name.startswith("bad_")


class ExtractorMissing(RuntimeError):
    """An HTML fixture needs crawler.extract.page.extract_page, which is not importable."""


def _html_page_builder(base: Path):
    def build(p: dict) -> Page | None:
        if "html" not in p:
            return None
        try:
            from crawler.extract.page import extract_page
        except ImportError as exc:
            raise ExtractorMissing(str(exc)) from exc
        html = (base / p["html"]).read_text(encoding="utf-8")
        ex = extract_page(html, p["url"])
        links = tuple(Link(url=lk.url, kind=lk.kind, text=lk.text, tag=lk.tag) for lk in ex.links)
        facts = dict(p.get("facts") or {})
        if p.get("kind") == "home":   # as the spider records them for the homepage
            from crawler.extract.identity import read_site_facts
            from crawler.extract.search import find_search_form
            facts = read_site_facts(html, p["url"])
            facts["search_form"] = find_search_form(html, p["url"])
        elif p.get("kind") == "search" and facts.get("search"):   # a results page, as the spider reads it
            from crawler.extract.search import read_search_results
            s = facts["search"]
            facts["search"] = {**s, "results_url": p["url"], "status": p.get("status", 200),
                               **read_search_results(html, p["url"], s["target_url"], s["target_title"])}
        return Page(url=p["url"], kind=p.get("kind", "article"), status=p.get("status", 200),
                    final_url=p.get("final_url", p["url"]), column_id=p.get("column_id", ""),
                    parent_url=p.get("parent_url", ""), title=ex.title, fields=MappingProxyType(dict(ex.fields)),
                    dates=MappingProxyType(dict(ex.dates)), metadata=tuple(ex.metadata), links=links,
                    text_len=ex.text_len, body_hash=ex.body_hash, sources=MappingProxyType(dict(ex.sources)),
                    layout=ex.layout, text=ex.text, meta_tags=MappingProxyType(dict(ex.meta_tags)),
                    facts=MappingProxyType(facts))
    return build


def load_case(path: str | Path) -> Case:
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    code = path.parent.name
    snapshot = snapshot_from_dict(data, page_builder=_html_page_builder(path.parent))
    thresholds = load_thresholds(overrides=data.get("thresholds")) if data.get("thresholds") else load_thresholds()
    catalog = default_catalog()
    if data.get("catalog"):
        spec = data["catalog"]
        items = tuple(_item_from_mapping(row, f"{path}: catalog.items[{i}]") for i, row in enumerate(spec["items"]))
        own = Catalog(name=spec.get("name", path.stem), source=str(path), items=items)
        catalog = catalog.merged_with(own) if spec.get("with_defaults", True) else own
    as_of = parse_as_of(data.get("as_of") or date(2024, 6, 1))
    ctx = CheckContext(as_of=as_of, thresholds=thresholds, site=snapshot.site, catalog=catalog)
    return Case(path=path, code=code, snapshot=snapshot, ctx=ctx, expect=list(data.get("expect") or []))


def run_case(case: Case, rule: Rule | None = None) -> tuple[list[Finding], list]:
    rule = rule or get_rule(case.code)
    return check_snapshot(case.snapshot, case.ctx, [rule])


def matches(finding: Finding, want: dict) -> bool:
    """A finding fits an expectation when code and url agree and every expected evidence key does."""
    if finding.code != want.get("code") or finding.url != want.get("url", finding.url):
        return False
    for key in ("column_id", "confidence", "count", "severity", "parent_url", "office"):
        if key in want and getattr(finding, key) != want[key]:
            return False
    if "message" in want and want["message"] not in finding.message:
        return False
    for key, value in (want.get("evidence") or {}).items():
        if finding.evidence.get(key) != value:
            return False
    return True


def compare(findings: list[Finding], expect: list[dict]) -> tuple[list[dict], list[Finding]]:
    """(expectations not met, findings not expected); both empty when the fixture passes."""
    left = list(findings)
    missed = []
    for want in expect:
        hit = next((f for f in left if matches(f, want)), None)
        if hit is None:
            missed.append(want)
        else:
            left.remove(hit)
    return missed, left


def all_case_files(root: Path = FIXTURES_DIR) -> list[Path]:
    return sorted(p for p in root.glob("*/*.yaml") if p.name.startswith(("bad_", "good_")))


def store_case(store, data: dict, as_of: str = "2024-06-01", run_id: int | None = None) -> int:
    """Write a fixture's snapshot dict into a Store as one crawl run (tests of the store-backed path)."""
    import json

    s = dict(data.get("site") or {})
    site_id = str(s.get("id", "site"))
    if run_id is None:
        run_id = store.create_run(str(data.get("as_of", as_of)), "fixture", "test")
    profile = dict(s.get("profile") or {})
    profile.setdefault("catalog", "")
    store.write_rows("run_sites", [dict(
        run_id=run_id, site_id=site_id, name=str(s.get("name", site_id)), office=str(s.get("office", "")),
        site_code=str(s.get("site_code", "")), kind=str(s.get("kind", "portal")),
        homepage=str(s.get("homepage", "http://site.test/")), profile_json=json.dumps(profile, ensure_ascii=False),
        profile_hash="fixture", status=str(s.get("status", "done")), error=str(s.get("error", "")))])
    store.write_rows("columns", [dict(
        run_id=run_id, site_id=site_id, column_id=str(c.get("id", "")), name=str(c.get("name", "")),
        url=str(c.get("url", "")), cls=str(c.get("class", "unknown")), office=str(c.get("office", "")),
        catalog_path=str(c.get("catalog_path", "")), path=str(c.get("path", "")), level=int(c.get("level", 1)),
        parent_id=str(c.get("parent_id", "")), source=str(c.get("source", "configured")),
        assessable=None if c.get("assessable", True) is None else int(bool(c.get("assessable", True))),
        reason=str(c.get("reason", "")), note=str(c.get("note", "")), role=str(c.get("role", "")),
        hub=int(c.get("role") == "hub")) for c in data.get("columns") or []])
    pages, metadata, links, texts = [], [], [], []
    for p in data.get("pages") or []:
        if p.get("text"):
            texts.append(dict(run_id=run_id, site_id=site_id, url=p["url"],
                              text=zlib.compress(str(p["text"]).encode("utf-8"))))
        fields, meta = dict(p.get("fields") or {}), []
        for pos, m in enumerate(p.get("metadata") or []):
            label, fld, value = (m["label"], m.get("field"), m.get("value", "")) if isinstance(m, dict) else m
            meta.append(dict(run_id=run_id, site_id=site_id, page_url=p["url"], position=pos, label=label,
                             field=fld, value=value))
            if fld and fld not in fields:
                fields[fld] = value
        metadata += meta
        pages.append(dict(
            run_id=run_id, site_id=site_id, url=p["url"], final_url=p.get("final_url", p["url"]),
            status=p.get("status", 200), content_type="text/html", fetched_at=as_of, kind=p.get("kind", "article"),
            column_id=p.get("column_id", ""), parent_url=p.get("parent_url", ""), depth=p.get("depth", 1),
            title=p.get("title", ""), body_hash=p.get("body_hash", ""), text_len=p.get("text_len", 1000),
            fields=fields, dates=dict(p.get("dates") or {}), error=p.get("error", ""),
            sources=dict(p.get("sources") or {}), layout=p.get("layout", ""),
            meta_tags=dict(p.get("meta_tags") or {}), facts=dict(p.get("facts") or {})))
        for lk in p.get("links") or []:
            links.append(dict(run_id=run_id, site_id=site_id, page_url=p["url"], url=lk.get("url", ""),
                              kind=lk.get("kind", "link"), text=lk.get("text", ""), tag=lk.get("tag", ""),
                              internal=int(bool(lk.get("internal", True)))))
    # a column's own page, as a crawl records it, unless the data lists it
    listed = {p["url"] for p in pages}
    for c in data.get("columns") or []:
        if c.get("assessable", True) is not None and c.get("url") not in listed:
            pages.append(dict(
                run_id=run_id, site_id=site_id, url=c["url"], final_url=c["url"], status=c.get("page_status", 200),
                content_type="text/html", fetched_at=as_of,
                kind="article" if c.get("shows_article") else "column", column_id=c.get("id", ""),
                parent_url="", depth=1, title=c.get("name", ""), body_hash="", text_len=1000, fields={}, dates={},
                error="", sources={}, layout=""))
    store.write_rows("pages", pages)
    store.write_rows("metadata", metadata)
    store.write_rows("page_texts", texts)
    store.write_rows("attachment_texts", [dict(
        run_id=run_id, site_id=site_id, url=a["url"], format=a.get("format", ""), status=a.get("status", "read"),
        note=a.get("note", ""), text=zlib.compress(str(a.get("text", "")).encode("utf-8")))
        for a in data.get("attachments") or []])
    store.write_rows("links", links)
    store.write_rows("resources", [dict(
        run_id=run_id, url=r["url"], method=r.get("method", "GET"), status=r.get("status"),
        content_type=r.get("content_type", ""), content_length=r.get("content_length"),
        sniffed_type=r.get("sniffed_type", ""), final_url=r.get("final_url", ""), error=r.get("error", ""),
        attempts=r.get("attempts", 1), outcome=r.get("outcome", "ok"), checked_at=as_of, sample=r.get("sample", ""))
        for r in data.get("resources") or []], replace=True)
    store.write_rows("entries", [dict(
        run_id=run_id, site_id=site_id, column_id=e.get("column_id", ""), url=e["url"], title=e.get("title", ""),
        date_text=e.get("date") or "", date=e.get("date"), list_url=e.get("list_url", ""),
        position=e.get("position", i), pinned=int(bool(e.get("pinned", False))))
        for i, e in enumerate(data.get("entries") or [])])
    probes = expand_probes(data.get("probes") or [])
    if probes:
        with store.transaction() as db:
            campaign = db.execute(
                "INSERT INTO probe_campaigns (started_at, days, per_day, day_seconds, timeout_s) VALUES (?,?,?,?,?)",
                (probes[0]["at"], 7, 20, 60 if probes[0].get("compressed") else 86400, 15)).lastrowid
            db.executemany(
                "INSERT INTO probes (campaign_id, site_id, slot, url, at, ok, status, elapsed_ms, error)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                [(campaign, site_id, i, str(s.get("homepage", "http://site.test/")), p["at"], int(bool(p.get("ok", True))),
                  p.get("status"), p.get("elapsed_ms"), p.get("error", "")) for i, p in enumerate(probes)])
    return run_id
