"""Crawl coverage per site (rules/coverage.py), the 待定 verdict it leads to, and lists dated from their pages."""

from __future__ import annotations

from datetime import date

import pandas as pd

from rules.context import CheckContext
from rules.coverage import site_coverage
from rules.freshness import check_column_not_updated, column_states
from rules.registry import get_rule
from rules.snapshot import snapshot_from_dict
from rules.thresholds import load_thresholds
from scoring.profile import load_profile
from scoring.scorer import score
from tests.test_scoring import every_indicator, outcomes_for, site

T = load_thresholds()
AS_OF = date(2026, 11, 21)
HOME = "http://s.gov.cn/"
KEYS = {"nav_columns", "columns_discovered", "columns_assessed", "columns_not_assessed", "not_assessed_reasons",
        "linked_not_reached", "pages_fetched", "pages_failed", "pages_skipped", "sufficient", "reasons", "partial"}

def snap(columns, pages=(), entries=(), resources=()):
    home = {"url": HOME, "kind": "home", "links": [
        {"url": HOME + "a/", "internal": True}, {"url": HOME + "robots/", "internal": True},
        {"url": "http://other.gov.cn/", "internal": False}, {"url": "javascript:void(0)", "internal": False},
        {"url": HOME + "gone/", "internal": True}]}
    return snapshot_from_dict({"site": {"id": "s", "homepage": HOME}, "columns": list(columns),
                               "pages": [home, *pages], "entries": list(entries), "resources": [
                                   {"url": HOME + "robots/", "outcome": "not_checked",
                                    "error": "robots.txt 禁止访问，未检查"},
                                   {"url": HOME + "gone/", "outcome": "broken", "status": 404, "method": "HEAD"},
                                   *resources]})

def col(i, parent="", assessable=True, reason=""):
    return {"id": f"c{i}", "name": f"栏目{i}", "url": f"{HOME}c{i}/", "class": "通知公告", "parent_id": parent,
            "assessable": assessable, "reason": reason}

def test_coverage_figures_and_a_sufficient_site():
    cov = site_coverage(snap([col(1), col(2), col(3, parent="c1", assessable=False,
                                                    reason="栏目页面无法访问（HTTP 404）")]), T)
    assert set(cov) == KEYS
    assert (cov["nav_columns"], cov["columns_discovered"], cov["columns_assessed"], cov["columns_not_assessed"]) \
        == (2, 3, 2, 1)
    assert cov["not_assessed_reasons"] == {"栏目页面无法访问": 1}
    assert cov["linked_not_reached"] == {"limits": 1, "robots": 1, "errors": 1, "offsite": 1}
    assert cov["pages_fetched"] == 1 and cov["pages_failed"] == 0 and cov["pages_skipped"] == 2
    assert cov["sufficient"] is True and cov["reasons"] == []

def test_too_few_navigation_columns_assessed_is_not_sufficient():
    cols = [col(1), col(2, assessable=False, reason="栏目页面不是网页（内容实为zip压缩包或Office文档），无法读取栏目列表"),
            col(3, assessable=None), col(4, assessable=False, reason="栏目列表由JavaScript脚本动态生成，无法直接评估")]
    cov = site_coverage(snap(cols), T)
    assert cov["sufficient"] is False
    assert any("导航栏目 4 个，仅评估 1 个" in r for r in cov["reasons"])
    assert cov["not_assessed_reasons"]["栏目页面未抓取（页面上限、抓取中断或链接未到达）"] == 1

def test_a_site_without_enough_coverage_is_待定_with_the_reasons():
    profile = load_profile("gov2019")
    rules = every_indicator(profile)
    sites = pd.DataFrame([dict(site(), coverage_reasons=["导航栏目 10 个，仅评估 2 个（20.0%，低于 60%）"]),
                          dict(site("s2"), coverage_reasons=[])])
    findings = pd.DataFrame(columns=["code", "indicator", "severity", "site_id"])
    result = score(findings, sites, outcomes_for(rules, ("s1", "s2")), profile, rule_indicators=rules)
    rows = result.sites.set_index("site_id")
    assert rows.loc["s1", "grade"] == profile.ungraded_label and rows.loc["s1", "passed"] is None
    assert rows.loc["s1", "ungraded_reasons"] == ["导航栏目 10 个，仅评估 2 个（20.0%，低于 60%）"]
    assert rows.loc["s2", "passed"] is True and rows.loc["s2", "ungraded_reasons"] == []

def ctx_for(snapshot):
    return CheckContext(as_of=AS_OF, thresholds=T, site=snapshot.site).for_rule(get_rule("STALE003"))

def test_an_undated_list_is_dated_by_its_items_pages():
    column = {"id": "c1", "name": "通知公告", "url": HOME + "tzgg/", "class": "通知公告"}
    entries = [{"column_id": "c1", "url": f"{HOME}tzgg/{i}.html", "title": f"通知{i}", "position": i}
               for i in range(3)]
    fresh = [{"url": f"{HOME}tzgg/{i}.html", "dates": {"发布日期": d}}
             for i, d in enumerate(["2026-10-01", "2026-09-01", "2026-12-30"])]
    s = snap([column], pages=fresh, entries=entries)
    state = column_states(s, ctx_for(s))[0]
    assert state.state == "fresh" and state.newest.date == "2026-10-01" and state.dated_from == "detail_pages"
    assert list(check_column_not_updated(s, ctx_for(s))) == []
    old = [{"url": f"{HOME}tzgg/{i}.html", "dates": {"发布日期": "2025-01-0%d" % (i + 1)}} for i in range(3)]
    s = snap([column], pages=old, entries=entries)
    found = list(check_column_not_updated(s, ctx_for(s)))
    assert len(found) == 1 and found[0].evidence["dated_from"] == "detail_pages"
    # no page prints a date either: the list counts as not updated (RULEBOOK §4)
    s = snap([column], entries=entries)
    assert len(list(check_column_not_updated(s, ctx_for(s)))) == 1

def test_a_static_column_is_not_judged_for_updates():
    s = snap([{"id": "c1", "name": "机构职能", "url": HOME + "jgzn/", "class": "基本信息", "role": "static"}])
    assert column_states(s, ctx_for(s))[0].state == "static"


def test_a_column_whose_only_item_is_a_guide_is_static():
    column = {"id": "c1", "name": "依申请公开", "url": HOME + "ysqgk/", "class": "基本信息"}
    guide = [{"column_id": "c1", "url": HOME + "ysqgk/1.html", "title": "政府信息公开申请表", "date": "2015-06-26"}]
    s = snap([column], entries=guide)
    assert column_states(s, ctx_for(s))[0].state == "static"
    # a single stale notice is still a stale column
    notice = {"id": "c1", "name": "通知公告", "url": HOME + "tzgg/", "class": "通知公告"}
    s = snap([notice], entries=[{**guide[0], "title": "关于开展安全检查的通知"}])
    assert column_states(s, ctx_for(s))[0].state == "stale"
