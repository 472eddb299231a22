"""`zwgk eval`: the comparison of findings with expected_findings.yaml, and the fixture sites end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fixtures.server import DEFAULT_AS_OF
from zwgk.evaluation.fixture_sites import DEFAULT_SITES_DIR, compare_site, format_report, load_expected, normalize_url, summarize

BASE, EXT = "http://127.0.0.1:4001", "http://127.0.0.1:4002"


def _f(code, url, parent="", **evidence):
    return {"code": code, "url": url, "parent_url": parent, "message": f"{code} {url}", "evidence": evidence,
            "confidence": "confirmed", "count": 1, "column_name": ""}


def test_urls_are_compared_without_host_and_index_pages():
    assert normalize_url(f"{BASE}/a/index.html", BASE, EXT) == "/a/"
    assert normalize_url(f"{BASE}/", BASE, EXT) == "/"
    assert normalize_url(f"{EXT}/gone.html", BASE, EXT) == "{ext}/gone.html"
    assert normalize_url("", BASE, EXT) == ""


def test_compare_and_summarize_count_precision_and_recall_per_family():
    found = [_f("LINK001", f"{EXT}/gone.html", f"{BASE}/", http_status=404),
             _f("LINK001", f"{EXT}/gone.html", f"{BASE}/", http_status=404),    # a duplicate: unexpected
             _f("META001", f"{BASE}/a.html", field="有效性"),
             _f("STALE003", f"{BASE}/tzgg/index.html")]
    expected = [{"code": "LINK001", "url": "{ext}/gone.html", "parent_url": "/", "evidence": {"http_status": 404}},
                {"code": "META001", "url": "/a.html", "evidence": {"field": "文号"}},       # wrong field: missed
                {"code": "STALE003", "url": "/tzgg/"},
                {"code": "CAT001", "url": "/xxgk/"}]
    result = compare_site(found, expected, BASE, EXT)
    assert [m["code"] for m in result["missed"]] == ["META001", "CAT001"]
    assert [u["code"] for u in result["unexpected"]] == ["LINK001", "META001"]
    report = summarize({"s": result})
    assert report["families"]["LINK"] == dict(expected=1, found=2, matched=1, missed=0, unexpected=1,
                                              precision=0.5, recall=1.0)
    assert report["families"]["CAT"]["recall"] == 0.0 and report["families"]["CAT"]["precision"] == 1.0
    assert report["overall"]["expected"] == 4 and report["overall"]["found"] == 4 and report["overall"]["matched"] == 2
    report["sites"] = {"s": result}
    text = format_report(report)
    assert "漏报 s CAT001 /xxgk/" in text and "误报 s LINK001" in text


def test_every_fixture_site_has_a_valid_oracle():
    sites = [p for p in DEFAULT_SITES_DIR.iterdir() if p.is_dir() and (p / "www").is_dir() and not p.name.startswith("_")]
    assert sites
    for site in sites:
        items = load_expected(site, DEFAULT_AS_OF)
        assert items, site
        assert all(i.get("url") is not None for i in items)


@pytest.mark.e2e
def test_eval_on_the_fixture_sites_has_precision_and_recall_one(tmp_path):
    out = subprocess.run([sys.executable, "-m", "zwgk.cli", "eval", "sites", "--json", "--workspace", str(tmp_path)],
                         capture_output=True, text=True, timeout=420)
    assert out.stdout.strip(), out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert not report["skipped"]
    overall = report["overall"]
    assert overall["expected"] > 40
    assert (overall["precision"], overall["recall"]) == (1.0, 1.0), format_report(report)
    assert out.returncode == 0
