"""The rule registry: unique codes, names, indicators, docstrings, fixtures and generated docs in sync."""

from __future__ import annotations

import re

import pytest

from zwgk import rule_docs as docs
from zwgk.evaluation.rule_fixtures import FIXTURES_DIR
from rules.registry import (DOC_HEADINGS, FAMILIES, RETIRED, RULES, RULES_VERSION, SCOPES, SEVERITIES, get_rule,
                            rules_version, select_rules)
from rules.thresholds import load_thresholds

# The indicator keys of the national profile, as fixed by the lead in notes/common.md.
INDICATORS = {
    "否决.站点无法访问", "否决.首页不更新", "否决.栏目不更新", "否决.互动回应差", "否决.服务不实用", "否决.严重错误",
    "发布解读.首页更新量", "发布解读.栏目更新", "发布解读.信息公开要素", "发布解读.多媒体解读", "发布解读.政策解读",
    "发布解读.目录完整性", "办事服务.办事指南", "办事服务.办事统计", "互动交流.留言答复", "互动交流.调查征集",
    "功能设计.链接可用性", "功能设计.首页可用性", "功能设计.网站标识", "功能设计.个人信息保护", "功能设计.站内搜索",
}


def test_codes_are_unique_well_formed_and_never_reused():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch("(" + "|".join(FAMILIES) + r")\d{3}", code), code
        assert code not in RETIRED
    # within a family, codes are numbered without gaps in registry order (a retired code stays in RETIRED)
    for fam in FAMILIES:
        nums = [int(r.code[len(fam):]) for r in RULES if r.family == fam]
        assert nums == list(range(1, len(nums) + 1)), fam


def test_names_and_fields():
    names = [r.name for r in RULES]
    assert len(names) == len(set(names))
    for r in RULES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", r.name), r.name
        assert r.severity in SEVERITIES and r.scope in SCOPES
        assert r.indicator in INDICATORS, f"{r.code}: {r.indicator}"
        assert r.basis and r.advice and r.title and r.fix_days > 0
        # veto rules feed veto indicators and nothing else does
        assert (r.severity == "veto") <= r.indicator.startswith("否决.")
        assert r.indicator.startswith("否决.") <= (r.severity in ("veto", "warn"))


def test_every_check_has_the_fixed_docstring_headings_in_order():
    for r in RULES:
        doc = r.doc
        positions = [doc.find(h) for h in DOC_HEADINGS]
        assert -1 not in positions and positions == sorted(positions), f"{r.code}: {positions}"


def test_every_rule_has_bad_and_good_fixtures_and_no_fixture_is_orphaned():
    for r in RULES:
        folder = FIXTURES_DIR / r.code
        assert list(folder.glob("bad_*.yaml")), f"{r.code}: no bad_*.yaml in {folder}"
        assert list(folder.glob("good_*.yaml")), f"{r.code}: no good_*.yaml in {folder}"
    known = {r.code for r in RULES}
    assert {p.name for p in FIXTURES_DIR.iterdir() if p.is_dir()} <= known


def test_get_rule_and_selection():
    assert get_rule("LINK001").indicator == "功能设计.链接可用性"
    with pytest.raises(KeyError):
        get_rule("NOPE001")
    assert [r.code for r in select_rules("LINK002,meta001")] == ["META001", "LINK002"]
    assert {r.family for r in select_rules("STALE")} == {"STALE"}
    assert select_rules(None) == RULES
    with pytest.raises(KeyError, match="XYZ"):
        select_rules("XYZ")


def test_rules_version_follows_thresholds():
    assert RULES_VERSION == rules_version(load_thresholds())
    changed = load_thresholds(overrides={"freshness": {"homepage_min_items": 8}})
    assert rules_version(changed) != RULES_VERSION


def test_generated_docs_are_up_to_date():
    assert docs.DOC_PATH.read_text(encoding="utf-8") == docs.render(), "run `python -m zwgk.rule_docs`"
    text = docs.render()
    for r in RULES:
        assert f"### {r.code}" in text and r.name in text
