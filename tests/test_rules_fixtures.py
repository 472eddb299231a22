"""Every rule fixture: bad_* produce exactly their expected findings, good_* produce none.

The same fixtures are also written into a real store and checked through the store-backed snapshot,
so the SQLite loader and the in-memory builder are held to the same findings.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
import yaml

from rules.context import CheckContext
from rules.engine import check_snapshot
from zwgk.evaluation.rule_fixtures import all_case_files, compare, load_case, run_case, store_case
from rules.registry import get_rule
from rules.snapshot import load_snapshot
from zwgk.core.store import Store

CASES = all_case_files()
HTML_TRAPS = {"bad_label_spacing", "bad_printed_empty", "bad_dates_in_brackets", "good_mingdian",
              "good_work_summary_seed004",
              "bad_meta_only_pubdate", "bad_script_unknown_date", "good_script_unknown_date"}


def _id(path):
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", CASES, ids=[_id(p) for p in CASES])
def test_fixture(path):
    case = load_case(path)
    findings, outcomes = run_case(case)
    assert [o.status for o in outcomes] == ["assessed"], outcomes
    if case.bad:
        assert case.expect, f"{path}: a bad_ fixture must list its expected findings"
        missed, extra = compare(findings, case.expect)
        assert not missed, f"expected but not found: {missed}\nfound: {[(f.url, f.message, f.evidence) for f in findings]}"
        assert not extra, f"found but not expected: {[(f.url, f.message, f.evidence) for f in extra]}"
    else:
        assert findings == [], [(f.url, f.message) for f in findings]
    for f in findings:
        assert f.code == case.code and f.site_id == case.snapshot.site.site_id
        assert f.message and f.office and f.severity == get_rule(f.code).severity


def test_the_real_world_html_traps_are_covered():
    names = {p.stem for p in CASES}
    assert HTML_TRAPS <= names
    for p in CASES:
        if p.stem in HTML_TRAPS:
            data = yaml.safe_load(p.read_text(encoding="utf-8"))
            assert any("html" in page for page in data["pages"]), p


def _has_html(path) -> bool:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return any("html" in page for page in data.get("pages") or [])


# the store-backed comparison needs plain pages: html pages are read by the crawler's extractor
PLAIN = [p for p in CASES if p.stem not in HTML_TRAPS and not _has_html(p)]


@pytest.mark.parametrize("path", PLAIN, ids=[_id(p) for p in PLAIN])
def test_store_backed_snapshot_gives_the_same_findings(path, tmp_path):
    case = load_case(path)
    expected, _ = run_case(case)
    store = Store(tmp_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        run_id = store_case(store, data)
        snapshot = load_snapshot(store, run_id, case.snapshot.site.site_id)
        ctx = CheckContext(as_of=case.ctx.as_of, thresholds=case.ctx.thresholds, site=snapshot.site,
                           catalog=case.ctx.catalog)
        found, outcomes = check_snapshot(snapshot, ctx, [get_rule(case.code)])
    finally:
        store.close()
    assert [o.status for o in outcomes] == ["assessed"], outcomes
    assert sorted(map(_key, found)) == sorted(map(_key, expected))


def _key(f):
    d = asdict(f)
    return repr(sorted((k, repr(v)) for k, v in d.items()))
