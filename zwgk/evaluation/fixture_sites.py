"""`zwgk eval`: crawl and check every fixture site, compare with its expected_findings.yaml (precision, recall).

expected_findings.yaml (beside each site's expected.yaml) lists the findings a correct crawl + check must
produce and nothing more:

    findings:
      - code: LINK001
        url: /old/zt.html             # path on the site; "{ext}/x.html" on the external site; "" for none
        parent_url: /                 # optional, same form
        evidence: {http_status: 404}  # optional: keys that must agree
        rendering: true               # optional: expected only when this machine can (true) or cannot
                                      # (false) render script-built pages in Chromium

It may use the fixture templates' helpers ({{ d(-3) }} = as-of − 3 days). URLs are compared without the
site's scheme, host and port, and a directory equals its index.html / index.htm.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from rules.registry import FAMILIES, get_rule

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SITES_DIR = ROOT / "fixtures" / "sites"
EXPECTED_FILE = "expected_findings.yaml"
_INDEX = re.compile(r"/index\.html?$")


def normalize_url(url: str, base: str, ext: str = "") -> str:
    """A URL as expected_findings.yaml writes it: a path on the site, or {ext}/path."""
    if not url:
        return ""
    if base and url.startswith(base.rstrip("/")):
        url = url[len(base.rstrip("/")):] or "/"
    elif ext and url.startswith(ext.rstrip("/")):
        url = "{ext}" + (url[len(ext.rstrip("/")):] or "/")
    return _INDEX.sub("/", url)


def load_expected(site_dir: Path, as_of: date) -> list[dict]:
    path = site_dir / EXPECTED_FILE
    text = path.read_text(encoding="utf-8")
    if "{{" in text or "{%" in text:
        import jinja2

        from fixtures.server import template_context

        text = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(text).render(
            **template_context(as_of))
    data = yaml.safe_load(text) or {}
    items = data.get("findings") or []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "code" not in item:
            raise ValueError(f"{path}: findings[{i}]: a mapping with at least 'code' and 'url'")
        if not isinstance(item.get("rendering", True), bool):
            raise ValueError(f"{path}: findings[{i}].rendering: true or false")
        get_rule(item["code"])  # an unknown code is an error in the oracle, not a miss
    from zwgk.core.chromium import chromium_path

    can_render = bool(chromium_path())
    return [{k: v for k, v in item.items() if k != "rendering"} for item in items
            if item.get("rendering", can_render) == can_render]


def _matches(f: dict, want: dict, base: str, ext: str) -> bool:
    if f["code"] != want["code"]:
        return False
    if normalize_url(f["url"], base, ext) != _INDEX.sub("/", want.get("url", "")):
        return False
    if "parent_url" in want and normalize_url(f["parent_url"], base, ext) != _INDEX.sub("/", want["parent_url"]):
        return False
    for key in ("column_name", "confidence", "count"):
        if key in want and f.get(key) != want[key]:
            return False
    return all(f["evidence"].get(k) == v for k, v in (want.get("evidence") or {}).items())


def compare_site(findings: list[dict], expected: list[dict], base: str, ext: str = "") -> dict:
    """Matched, missed and unexpected findings of one site (each expectation matches one finding)."""
    left = list(findings)
    matched, missed = [], []
    for want in expected:
        hit = next((f for f in left if _matches(f, want, base, ext)), None)
        if hit is None:
            missed.append(want)
        else:
            left.remove(hit)
            matched.append(want)
    unexpected = [{"code": f["code"], "url": normalize_url(f["url"], base, ext),
                   "parent_url": normalize_url(f["parent_url"], base, ext), "message": f["message"]} for f in left]
    return {"matched": matched, "missed": missed, "unexpected": unexpected}


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def summarize(per_site: dict[str, dict]) -> dict:
    """Per family and overall: expected, found, matched, missed, unexpected, precision, recall."""
    families: dict[str, dict] = {f: dict(expected=0, found=0, matched=0, missed=0, unexpected=0) for f in FAMILIES}
    for result in per_site.values():
        for want in result["matched"]:
            fam = families[get_rule(want["code"]).family]
            fam["expected"] += 1
            fam["found"] += 1
            fam["matched"] += 1
        for want in result["missed"]:
            fam = families[get_rule(want["code"]).family]
            fam["expected"] += 1
            fam["missed"] += 1
        for f in result["unexpected"]:
            fam = families[get_rule(f["code"]).family]
            fam["found"] += 1
            fam["unexpected"] += 1
    overall = {k: sum(f[k] for f in families.values()) for k in ("expected", "found", "matched", "missed", "unexpected")}
    for row in (*families.values(), overall):
        row["precision"] = _ratio(row["matched"], row["found"])
        row["recall"] = _ratio(row["matched"], row["expected"])
    return {"families": families, "overall": overall}


def evaluate_fixture_sites(sites_dir: Path = DEFAULT_SITES_DIR, workspace: Path = Path("./workspace"),
                           as_of: date | None = None) -> dict:
    """Serve, crawl (a new run in `workspace`) and check every fixture site; compare with the oracles."""
    from crawler.runner import run_crawl
    from fixtures.server import DEFAULT_AS_OF, FixtureServer
    from rules.engine import run_check
    from zwgk.core.config import load_profiles
    from zwgk.core.store import Store

    as_of = as_of or DEFAULT_AS_OF
    sites_dir = Path(sites_dir)
    workspace = Path(workspace)
    with FixtureServer(sites_dir, as_of=as_of) as server:
        bases = {s: server.base_url(s) for s in server.site_ids}
        ext = server.ext_url
        profiles = load_profiles(server.write_profiles(workspace / "fixture-profiles"))
        # a site crawled under its own host name (host_map) records that name, not the server's address
        bases.update({p.id: "{0.scheme}://{0.netloc}".format(urlsplit(p.homepage)) for p in profiles})
        run_id = run_crawl(profiles, workspace, as_of, resume=False, progress=False)
    store = Store(workspace)
    try:
        check_id = run_check(store, run_id, as_of=as_of)
        per_site, skipped = {}, []
        for site_id, base in bases.items():
            if not (sites_dir / site_id / EXPECTED_FILE).exists():
                skipped.append(site_id)
                continue
            expected = load_expected(sites_dir / site_id, as_of)
            per_site[site_id] = compare_site(store.findings(check_id, site_id), expected, base, ext)
    finally:
        store.close()
    report = summarize(per_site)
    report.update(run_id=run_id, check_id=check_id, as_of=as_of.isoformat(), sites=per_site, skipped=skipped)
    return report


def format_report(report: dict) -> str:
    lines = [f"样例网站评测（批次 {report.get('run_id')}，检查 #{report.get('check_id')}，基准日 {report.get('as_of')}）",
             f"{'规则族':<8}{'预期':>6}{'发现':>6}{'命中':>6}{'漏报':>6}{'误报':>6}{'查准率':>9}{'查全率':>9}"]
    rows = [*report["families"].items(), ("合计", report["overall"])]
    for name, r in rows:
        lines.append(f"{name:<8}{r['expected']:>6}{r['found']:>6}{r['matched']:>6}{r['missed']:>6}"
                     f"{r['unexpected']:>6}{r['precision']:>9.3f}{r['recall']:>9.3f}")
    for site_id, result in (report.get("sites") or {}).items():
        for want in result["missed"]:
            lines.append(f"  漏报 {site_id} {want['code']} {want.get('url', '')}")
        for f in result["unexpected"]:
            lines.append(f"  误报 {site_id} {f['code']} {f['url']}：{f['message']}")
    for site_id in report.get("skipped") or []:
        lines.append(f"  跳过 {site_id}：没有 {EXPECTED_FILE}")
    return "\n".join(lines)
