"""Golden tests of the scorer: hand-made findings -> exact scores (veto, caps, exemption, not assessed, grades)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pytest
import yaml

from scoring.profile import PROFILES_DIR, check_rules, load_profile, parse_profile, profile_hash
from scoring.scorer import NO_RULE, NOT_RUN, load_inputs, load_scores, score, store_scores
from zwgk.core.config import ConfigError
from zwgk.core.records import Finding, RuleOutcome
from zwgk.core.store import Store

GOV = load_profile("gov2019")
PROV = load_profile("province80")


def site(site_id="s1", name="示例市人民政府", office="示例市政府办公室", kind="portal", external_services=True,
         status="done") -> dict:
    return dict(site_id=site_id, name=name, office=office, kind=kind, external_services=external_services,
                status=status)


def finding(code, indicator, severity="deduct", site_id="s1", count=1, office="", confidence="confirmed",
            message="问题", **evidence) -> dict:
    return asdict(Finding(code=code, indicator=indicator, severity=severity, site_id=site_id, message=message,
                          office=office, evidence=evidence, confidence=confidence, count=count))


def every_indicator(profile, skip=()) -> dict[str, str]:
    """One stand-in rule code per indicator, so a test can mark exactly which indicators were assessed."""
    return {f"TST{i:03d}": key for i, key in enumerate(profile.indicators) if key not in skip}


def outcomes_for(rules: dict[str, str], site_ids=("s1",), status="assessed", reason="") -> pd.DataFrame:
    return pd.DataFrame([dict(code=c, site_id=s, status=status, reason=reason) for c in rules for s in site_ids],
                        columns=["code", "site_id", "status", "reason"])


def run(findings, sites=None, profile=GOV, assessed=None, skip=(), extra_outcomes=None):
    rules = every_indicator(profile, skip) if assessed is None else assessed
    sites = pd.DataFrame(sites or [site()])
    outcomes = outcomes_for(rules, tuple(sites["site_id"]))
    if extra_outcomes is not None:
        outcomes = pd.concat([outcomes, extra_outcomes], ignore_index=True)
    frame = pd.DataFrame(findings, columns=list(asdict(Finding("", "", "deduct", "", "")).keys()))
    return score(frame, sites, outcomes, profile, rule_indicators=rules)


def row(result, site_id="s1"):
    return result.sites.set_index("site_id").loc[site_id]


def indicator(result, key, site_id="s1", office=""):
    ind = result.indicators
    return ind[(ind["site_id"] == site_id) & (ind["office"] == office) & (ind["indicator"] == key)].iloc[0]


# ---- caps and per-finding deductions ------------------------------------------------------------------------

def test_no_findings_all_assessed_is_full_marks():
    s = row(run([]))
    assert (s["score"], s["grade"], s["passed"], s["veto"], s["provisional"]) == (100.0, "优秀", True, False, False)
    assert s["not_assessed"] == [] and s["assessed_max"] == 100.0


def test_link_deductions_homepage_and_elsewhere_capped_at_indicator_points():
    r = run([finding("LINK001", "功能设计.链接可用性", count=3),
             finding("LINK002", "功能设计.链接可用性", count=70)])
    ind = indicator(r, "功能设计.链接可用性")
    assert ind["raw_points_lost"] == 10.0          # 3 × 1 + 70 × 0.1
    assert ind["points_lost"] == 6.0 and bool(ind["capped"])
    assert ind["findings_count"] == 73
    assert row(r)["score"] == 94.0 and row(r)["deduction_total"] == 6.0


def test_link002_tenths_add_up_without_float_noise():
    r = run([finding("LINK002", "功能设计.链接可用性", count=1) for _ in range(7)])
    assert indicator(r, "功能设计.链接可用性")["points_lost"] == 0.7
    assert row(r)["score"] == 99.3


def test_stale_columns_deduct_by_column_class_then_cap():
    classes = ["动态要闻", "政策文件", "人事", "unknown"]
    r = run([finding("STALE003", "发布解读.栏目更新", column_class=c) for c in classes])
    ind = indicator(r, "发布解读.栏目更新")
    assert ind["points_lost"] == 3 + 4 + 5 + 3 and not ind["capped"]  # unknown -> default 3
    assert row(r)["score"] == 85.0 and row(r)["grade"] == "良好"
    r = run([finding("STALE003", "发布解读.栏目更新", column_class=c) for c in classes + ["规划计划"]])
    ind = indicator(r, "发布解读.栏目更新")
    assert (ind["raw_points_lost"], ind["points_lost"], bool(ind["capped"])) == (20.0, 15.0, True)


def test_evidence_as_stored_json_text_is_read():
    f = finding("STALE003", "发布解读.栏目更新")
    f["evidence"] = json.dumps({"column_class": "人事"}, ensure_ascii=False)
    assert indicator(run([f]), "发布解读.栏目更新")["points_lost"] == 5.0


def test_indicator_per_finding_applies_to_codes_without_an_entry_and_warn_deducts_nothing():
    r = run([finding("META001", "发布解读.信息公开要素", count=4),
             finding("META009", "发布解读.信息公开要素", severity="warn", count=50)])
    ind = indicator(r, "发布解读.信息公开要素")
    assert ind["points_lost"] == 2.0 and ind["findings_count"] == 54


def test_suspected_findings_do_not_deduct():
    r = run([finding("LINK001", "功能设计.链接可用性", count=2, confidence="suspected")])
    assert indicator(r, "功能设计.链接可用性")["points_lost"] == 0.0
    assert row(r)["score"] == 100.0


def test_review_findings_never_deduct_nor_veto():
    """待人工复核: the evidence was too weak; the finding is shown, not scored."""
    r = run([finding("META001", "发布解读.信息公开要素", count=3, confidence="review"),
             finding("STALE008", "否决.栏目不更新", severity="veto", confidence="review", message="疑似空白栏目")])
    s = row(r)
    assert indicator(r, "发布解读.信息公开要素")["points_lost"] == 0.0
    assert not s["veto"] and s["score"] == 100.0 and s["warnings"] == []


# ---- veto -------------------------------------------------------------------------------------------------------

def test_veto_fails_the_site_whatever_its_score_and_says_why():
    r = run([finding("STALE007", "否决.栏目不更新", severity="veto", message="未按期更新的栏目达12个"),
             finding("LINK002", "功能设计.链接可用性")],
            sites=[site("s1"), site("s2", name="乙网站", office="乙局")])
    s = row(r)
    assert bool(s["veto"]) and s["grade"] == "不合格" and s["passed"] is False
    assert s["score"] == 99.9  # the number is kept for reference; the verdict is the veto
    assert s["veto_reasons"] == ["栏目不更新：未按期更新的栏目达12个"]
    assert bool(indicator(r, "否决.栏目不更新")["veto"])
    assert list(r.sites["site_id"]) == ["s2", "s1"] and list(r.sites["rank"]) == [1, 2]
    assert not s["bonus_eligible"]


def test_suspected_veto_is_an_early_warning_not_a_veto():
    r = run([finding("STALE001", "否决.首页不更新", severity="veto", confidence="suspected", message="首页疑似未更新")])
    s = row(r)
    assert not s["veto"] and s["grade"] == "优秀"
    assert s["warnings"] == ["疑似首页不更新（待复核，暂不否决）：首页疑似未更新"]


# ---- exemption ------------------------------------------------------------------------------------------------

def test_department_without_external_services_is_scored_out_of_75_and_scaled():
    dept = site(kind="department", external_services=False)
    r = run([finding("STALE003", "发布解读.栏目更新", column_class="人事", count=2),
             finding("SVC001", "办事服务.办事指南", count=9)], sites=[dept])
    s = row(r)
    assert s["max_points"] == 75.0 and s["deduction_total"] == 10.0
    assert s["score"] == round((75 - 10) * 4 / 3, 2) == 86.67
    assert s["exempt"] == ["否决.服务不实用", "办事服务.办事指南", "办事服务.办事统计"] and s["not_assessed"] == []
    guide = indicator(r, "办事服务.办事指南")
    assert bool(guide["exempt"]) and not guide["assessed"] and guide["points_lost"] == 0.0
    assert "免评" in guide["not_assessed_reason"]
    assert not s["provisional"]


def test_department_with_external_services_and_portals_are_not_exempt():
    for sites in ([site(kind="department", external_services=True)], [site(kind="portal", external_services=False)]):
        r = run([finding("SVC001", "办事服务.办事指南", count=9)], sites=sites)
        assert row(r)["score"] == 91.0 and row(r)["max_points"] == 100.0


# ---- not assessed -----------------------------------------------------------------------------------------------

def test_not_assessed_indicators_are_left_out_never_full_marks():
    publishing = [k for k, v in GOV.indicators.items() if v.group == "发布解读"]
    rules = {f"TST{i:03d}": k for i, k in enumerate(publishing)}
    r = run([finding("STALE003", "发布解读.栏目更新", column_class="人事", count=2)], assessed=rules)
    s = row(r)
    assert s["assessed_max"] == 40.0 and s["deduction_total"] == 10.0
    assert s["score"] == 75.0                      # (40 − 10) / 40 × 100, not 90 as full marks elsewhere would give
    assert bool(s["provisional"]) and s["grade"] == "合格" and s["coverage"] == 0.4
    assert "互动交流.留言答复" in s["not_assessed"] and "否决.站点无法访问" in s["not_assessed"]
    assert indicator(r, "互动交流.留言答复")["not_assessed_reason"] == NO_RULE


def test_too_little_assessed_is_not_graded():
    rules = {"LINK001": "功能设计.链接可用性", "STALE003": "发布解读.栏目更新"}  # 21 of 100 points < 30 %
    r = run([finding("LINK001", "功能设计.链接可用性")], assessed=rules)
    s = row(r)
    assert s["score"] == round(20 / 21 * 100, 2) and s["grade"] == "待定" and s["passed"] is None
    assert bool(s["provisional"]) and not s["bonus_eligible"]


def test_nothing_assessed_has_no_score():
    r = run([], assessed={}, sites=[site(status="unreachable")])
    s = row(r)
    assert math.isnan(s["score"]) and s["grade"] == "待定" and s["passed"] is None
    assert any("首页无法访问" in w for w in s["warnings"])


def test_not_assessed_reason_comes_from_rule_outcomes():
    rules = every_indicator(GOV)
    code = next(c for c, k in rules.items() if k == "发布解读.多媒体解读")
    sites = pd.DataFrame([site()])
    outcomes = outcomes_for({c: k for c, k in rules.items() if c != code}, ("s1",))
    outcomes = pd.concat([outcomes, pd.DataFrame([dict(code=code, site_id="s1", status="not_assessed",
                                                       reason="列表由脚本生成，无法评估")])])
    r = score(pd.DataFrame(), sites, outcomes, GOV, rule_indicators=rules)
    assert indicator(r, "发布解读.多媒体解读")["not_assessed_reason"] == f"{code}：列表由脚本生成，无法评估"
    # a rule that exists but did not run for the site
    r = score(pd.DataFrame(), sites, outcomes[outcomes["code"] != code], GOV, rule_indicators=rules)
    assert indicator(r, "发布解读.多媒体解读")["not_assessed_reason"] == NOT_RUN
    assert row(r)["assessed_max"] == 95.0


def test_a_finding_marks_its_indicator_assessed_even_without_an_outcome():
    r = run([finding("MEDIA001", "发布解读.多媒体解读", count=2)], skip=("发布解读.多媒体解读",))
    assert indicator(r, "发布解读.多媒体解读")["assessed"]
    assert row(r)["score"] == 98.0
    r = run([finding("MEDIA009", "发布解读.多媒体解读", severity="warn", confidence="suspected")],
            skip=("发布解读.多媒体解读",))
    assert not indicator(r, "发布解读.多媒体解读")["assessed"]  # a warning alone proves nothing
    assert row(r)["assessed_max"] == 95.0


# ---- grades and pass line ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("points, grade, passed", [
    (100, "优秀", True), (90, "优秀", True), (89.99, "良好", True), (80, "良好", True), (79.9, "合格", True),
    (60, "合格", True), (59.9, "不合格", False), (0, "不合格", False),
])
def test_grade_bands_of_gov2019(points, grade, passed):
    assert GOV.grade_for(points) == grade
    assert (points >= GOV.pass_line) is passed


def _linear_profile(tmp_path: Path, **changes) -> Path:
    """gov2019 with one 100-point indicator losing 0.1 per finding: any score is one count away."""
    data = yaml.safe_load((PROFILES_DIR / "gov2019.yaml").read_text(encoding="utf-8"))
    data["groups"] = {"发布解读": {"points": 100, "indicators": {"栏目更新": {"points": 100, "per_finding": 0.1}}}}
    data.pop("exemptions")
    data.pop("deductions")
    data.pop("early_warnings")
    data.update(changes)
    path = tmp_path / "linear.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("count, score_, grade", [(100, 90.0, "优秀"), (101, 89.9, "良好"), (200, 80.0, "良好"),
                                                  (201, 79.9, "合格"), (400, 60.0, "合格"), (401, 59.9, "不合格")])
def test_score_to_grade_at_the_band_edges(tmp_path, count, score_, grade):
    profile = load_profile(_linear_profile(tmp_path))
    s = row(run([finding("TST900", "发布解读.栏目更新", count=count)], profile=profile))
    assert (s["score"], s["grade"], s["passed"]) == (score_, grade, score_ >= 60)
    assert bool(s["bonus_eligible"]) is (score_ > 80)


# ---- early warnings ---------------------------------------------------------------------------------------------

def test_early_warning_findings_are_listed_until_the_veto_is_hit():
    warn = [finding("STALE009", "否决.栏目不更新", severity="warn", count=6, message="预警：不更新栏目已有6个"),
            finding("STALE009", "否决.栏目不更新", severity="warn", count=2, message="预警：空白栏目已有2个"),
            finding("STALE011", "否决.首页不更新", severity="warn", message="预警：首页已11天未更新")]
    s = row(run(warn))
    assert s["warnings"] == ["预警：首页已11天未更新", "预警：不更新栏目已有6个", "预警：空白栏目已有2个"]
    assert s["score"] == 100.0  # warnings cost nothing
    vetoed = row(run(warn + [finding("STALE007", "否决.栏目不更新", severity="veto", message="应更新未更新的栏目共10个")]))
    assert vetoed["warnings"] == ["预警：首页已11天未更新"]  # past the 栏目 line: the veto speaks


def test_early_warning_counted_by_the_profile(tmp_path):
    profile = load_profile(_linear_profile(tmp_path, early_warnings=[dict(
        name="栏目不更新预警", veto="栏目不更新", codes=["TST900"], at_least=6, veto_at=10,
        where={"evidence.column_class": ["动态要闻", "通知公告"]},
        text="已有{n}个栏目未按期更新，接近单项否决线（{veto_at}个）")]))
    stale = [finding("TST900", "发布解读.栏目更新", column_class="动态要闻") for _ in range(5)]
    assert row(run(stale, profile=profile))["warnings"] == []
    other = finding("TST900", "发布解读.栏目更新", column_class="人事", count=3)
    assert row(run(stale + [other], profile=profile))["warnings"] == []  # 人事 is not counted
    more = stale + [finding("TST900", "发布解读.栏目更新", column_class="通知公告")]
    assert row(run(more, profile=profile))["warnings"] == ["已有6个栏目未按期更新，接近单项否决线（10个）"]


# ---- per office -------------------------------------------------------------------------------------------------

def test_offices_get_their_own_findings_and_blank_office_is_the_sites_host():
    r = run([finding("STALE003", "发布解读.栏目更新", office="人社局", column_class="人事", count=4),
             finding("LINK001", "功能设计.链接可用性", count=2),
             finding("META001", "发布解读.信息公开要素", office="人社局", severity="warn")])
    offices = r.offices.set_index("office")
    assert list(r.offices["office"]) == ["人社局", "示例市政府办公室"]
    assert offices.loc["人社局", "points_lost"] == 15.0            # 4 × 5 = 20, capped at 15
    assert offices.loc["人社局", "points_by_indicator"] == {"发布解读.栏目更新": 15.0}
    assert (offices.loc["人社局", "issues"], offices.loc["人社局", "warn_count"]) == (2, 1)
    assert offices.loc["示例市政府办公室", "points_lost"] == 2.0
    assert bool(indicator(r, "发布解读.栏目更新", office="人社局")["capped"])


# ---- the provincial profile -------------------------------------------------------------------------------------

def test_province80_fails_what_gov2019_passes():
    stale = [finding("STALE003", "发布解读.栏目更新", column_class="人事", count=4),   # 20 -> cap 15 / 18
             finding("LINK001", "功能设计.链接可用性", count=4)]
    national, provincial = row(run(stale)), row(run(stale, profile=PROV))
    assert (national["score"], national["grade"], national["passed"]) == (81.0, "良好", True)
    assert (provincial["score"], provincial["grade"], provincial["passed"]) == (78.0, "不合格", False)


def test_a_department_exempt_from_services_is_not_vetoed_for_services_not_practical():
    dept = site(kind="department", external_services=False)
    veto = finding("SERV002", "否决.服务不实用", severity="veto")
    for profile in (GOV, PROV):
        s = row(run([veto], sites=[dept], profile=profile))
        assert not bool(s["veto"]) and s["grade"] != "不合格" and s["veto_reasons"] == []
        ind = indicator(run([veto], sites=[dept], profile=profile), "否决.服务不实用")
        assert bool(ind["exempt"]) and not bool(ind["veto"]) and "免评" in ind["not_assessed_reason"]
    # the same finding on a portal still vetoes
    assert bool(row(run([veto], sites=[site()]))["veto"])


def test_exemption_vetoes_must_name_veto_items():
    data = yaml.safe_load(Path(GOV.source).read_text(encoding="utf-8"))
    data["exemptions"][0]["vetoes"] = ["办事指南"]
    with pytest.raises(ConfigError, match=r"exemptions\[0\]\.vetoes"):
        parse_profile(data, "x.yaml")


def test_province80_exemption_scales_from_80():
    dept = site(kind="department", external_services=False)
    s = row(run([finding("LINK001", "功能设计.链接可用性", count=4)], sites=[dept], profile=PROV))
    assert s["max_points"] == 80.0 and s["score"] == 95.0


# ---- profile validation -----------------------------------------------------------------------------------------

def _broken(tmp_path, mutate) -> Path:
    data = yaml.safe_load((PROFILES_DIR / "gov2019.yaml").read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("mutate, key", [
    (lambda d: d["groups"]["发布解读"]["indicators"].update(栏目更新={"points": -15}),
     "groups.发布解读.indicators.栏目更新.points"),
    (lambda d: d["groups"]["发布解读"]["indicators"].update(栏目更新={"points": 14}), "groups.发布解读.points"),
    (lambda d: d["groups"]["功能设计"].update(points=20), "groups.功能设计.points"),
    (lambda d: d.update(pass_mark=60), "pass_mark"),
    (lambda d: d["groups"]["发布解读"]["indicators"]["首页更新量"].update(weight=5),
     "groups.发布解读.indicators.首页更新量.weight"),
    (lambda d: d["deductions"].update(LINK001=-1), "deductions.LINK001"),
    (lambda d: d["deductions"].update(LINK001={"points": 1, "cap": 3}), "deductions.LINK001.cap"),
    (lambda d: d["deductions"]["STALE003"]["points"].update(人事=-5), "deductions.STALE003.points.人事"),
    (lambda d: d["deductions"]["STALE003"].update(by="column_class"), "deductions.STALE003.by"),
    (lambda d: d["exemptions"][0].update(group="办事"), "exemptions[0].group"),
    (lambda d: d["early_warnings"][0].update(veto="首页不更"), "early_warnings[0].veto"),
    (lambda d: d["grades"].reverse(), "grades[1].min"),
    (lambda d: d.update(veto_grade="合格"), "veto_grade"),
])
def test_invalid_profiles_name_file_and_key(tmp_path, mutate, key):
    path = _broken(tmp_path, mutate)
    with pytest.raises(ConfigError) as err:
        load_profile(path)
    assert str(path) in str(err.value) and f"key '{key}'" in str(err.value)


def test_unknown_profile_name_lists_the_bundled_ones():
    with pytest.raises(ConfigError, match="gov2019, province80"):
        load_profile("gov2020")


class _Rule:
    def __init__(self, code, indicator, severity="deduct"):
        self.code, self.indicator, self.severity = code, indicator, severity


def test_bundled_profiles_fit_the_rule_registry_and_price_every_deducting_rule():
    from rules.registry import RULES

    for profile in (GOV, PROV):
        check_rules(profile, RULES)
        unpriced = [r.code for r in RULES if r.severity == "deduct" and r.code not in profile.deductions]
        assert unpriced == [], f"{profile.name}: map these codes under 'deductions': {unpriced}"


def test_a_rule_whose_indicator_is_not_in_the_profile_is_an_error(tmp_path):
    from rules.registry import RULES

    with pytest.raises(ConfigError, match=r"gov2019\.yaml: rule PRIV001 .*'功能设计.隐私保护'"):
        check_rules(GOV, list(RULES) + [_Rule("PRIV001", "功能设计.隐私保护")])
    with pytest.raises(ConfigError, match=r"key 'deductions.LINK002': no rule"):
        check_rules(GOV, [r for r in RULES if r.code != "LINK002"])
    with pytest.raises(ConfigError, match=r"key 'deductions.LINK003': rule LINK003 has severity 'warn'"):
        check_rules(load_profile(_broken(tmp_path, lambda d: d["deductions"].update(LINK003=1))), RULES)
    with pytest.raises(ConfigError, match="not in profile 'gov2019'"):
        run([finding("PRIV001", "功能设计.隐私保护")])


def test_a_deducting_rule_needs_an_amount(tmp_path):
    profile = load_profile(_linear_profile(tmp_path, groups={
        "发布解读": {"points": 100, "indicators": {"栏目更新": {"points": 100}}}}))
    with pytest.raises(ConfigError, match=r"key 'deductions.TST900'"):
        check_rules(profile, [_Rule("TST900", "发布解读.栏目更新")])
    with pytest.raises(ConfigError, match=r"key 'deductions.TST900'"):
        run([finding("TST900", "发布解读.栏目更新")], profile=profile)


def test_profile_hash_is_of_content_not_layout(tmp_path):
    text = (PROFILES_DIR / "gov2019.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert GOV.hash == profile_hash(data)
    relaid = tmp_path / "relaid.yaml"
    relaid.write_text("# 注释不同\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=True), encoding="utf-8")
    assert load_profile(relaid).hash == GOV.hash
    data["pass_line"] = 61
    data["grades"][2]["min"] = 61
    assert parse_profile(data, relaid).hash != GOV.hash
    assert PROV.hash != GOV.hash


# ---- store round trip ---------------------------------------------------------------------------------------------

def _store_with_check(tmp_path) -> tuple[Store, int]:
    from zwgk.core.config import parse_profile as parse_site

    store = Store(tmp_path / "ws")
    run_id = store.create_run("2024-06-30", "hash", "test")
    for sid, name, kind, ext in (("city", "示例市人民政府", "portal", True), ("hrss", "示例市人社局", "department", False)):
        prof = parse_site(dict(id=sid, name=name, office=f"{name}办公室", site_code="1234567890",
                               homepage=f"http://127.0.0.1/{sid}/", kind=kind, external_services=ext),
                          Path("sites.yaml"), "")
        store.register_site(run_id, prof)
        store.set_site_status(run_id, sid, "done")
    check_id = store.create_check(run_id, "2024-06-30", "test", ["LINK001", "STALE003", "STALE007"])
    store.write_findings(check_id, run_id, "2024-06-30", [
        Finding("LINK001", "功能设计.链接可用性", "deduct", "city", "首页链接无法打开", count=2,
                url="http://127.0.0.1/city/", evidence={"status": 404}),
        Finding("STALE003", "发布解读.栏目更新", "deduct", "city", "人事信息栏目超过1年未更新", office="人社局",
                evidence={"column_class": "人事"}),
        Finding("STALE007", "否决.栏目不更新", "veto", "hrss", "空白栏目6个"),
    ])
    store.write_rule_outcomes(check_id, [RuleOutcome(c, s, "assessed") for c in ("LINK001", "STALE003", "STALE007")
                                         for s in ("city", "hrss")])
    store.finish_check(check_id)
    return store, check_id


RULES = {"LINK001": "功能设计.链接可用性", "STALE003": "发布解读.栏目更新", "STALE007": "否决.栏目不更新"}


def test_store_round_trip_reads_back_identically(tmp_path):
    store, check_id = _store_with_check(tmp_path)
    findings, sites, outcomes, check = load_inputs(store, check_id)
    assert list(sites["external_services"]) == [True, False]
    result = score(findings, sites, outcomes, GOV, rule_indicators=RULES)
    assert (result.run_id, result.check_id, result.as_of) == (check["run_id"], check_id, "2024-06-30")
    city = row(result, "city")
    assert city["deduction_total"] == 7.0 and city["assessed_max"] == 21.0 and city["grade"] == "待定"
    assert row(result, "hrss")["veto_reasons"] == ["栏目不更新：空白栏目6个"]
    written = store_scores(store, check_id, result, GOV)
    again = load_scores(store, check_id)
    for name in ("indicators", "sites", "offices"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(result, name))
    assert (again.profile_name, again.profile_hash, again.run_id, again.check_id, again.as_of) == \
           ("gov2019", GOV.hash, result.run_id, check_id, "2024-06-30")
    # scoring again replaces, never duplicates; another profile is kept beside it
    assert store_scores(store, check_id, result, GOV) == written
    prov = score(findings, sites, outcomes, PROV, rule_indicators=RULES)
    store_scores(store, check_id, prov, PROV)
    counts = dict(store.db.execute("SELECT profile_name, COUNT(*) FROM scores GROUP BY profile_name").fetchall())
    assert counts == {"gov2019": written, "province80": written}
    assert load_scores(store, check_id).profile_name == "province80"
    assert load_scores(store, check_id, "gov2019").profile_hash == GOV.hash
    with pytest.raises(ValueError):
        store_scores(store, check_id, result, PROV)
    store.close()


def test_score_command_prints_a_chinese_summary_and_json(tmp_path):
    from click.testing import CliRunner

    from zwgk.cli import main

    store, check_id = _store_with_check(tmp_path)
    store.close()
    runner = CliRunner()
    out = runner.invoke(main, ["score", "--workspace", str(tmp_path / "ws")])
    assert out.exit_code == 0, out.output
    for text in ("网站", "得分", "是否否决", "等级", "主要扣分", "示例市人民政府", "不合格", "[否决] 示例市人社局：栏目不更新"):
        assert text in out.output
    out = runner.invoke(main, ["score", "--workspace", str(tmp_path / "ws"), "--profile", "province80", "--json",
                               "--check", str(check_id)])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["profile"] == {"name": "province80", "hash": PROV.hash}
    assert {s["site_id"]: s["veto"] for s in data["sites"]} == {"city": False, "hrss": True}
    out = runner.invoke(main, ["score", "--workspace", str(tmp_path / "ws"), "--check", "99"])
    assert out.exit_code != 0 and "no check 99" in out.output


def test_finding_points_are_per_row_before_caps():
    sites = pd.DataFrame([site("s1"), site("s2", kind="department", external_services=False)])
    findings = pd.DataFrame([
        finding("LINK002", "功能设计.链接可用性", count=120),
        finding("STALE003", "发布解读.栏目更新", column_class="通知公告"),
        finding("LINK001", "功能设计.链接可用性", confidence="suspected"),
        finding("STALE009", "否决.栏目不更新", severity="warn"),
        finding("STALE007", "否决.栏目不更新", severity="veto"),
        finding("SVC001", "办事服务.办事指南", site_id="s1"),
        finding("SVC001", "办事服务.办事指南", site_id="s2"),
    ], index=[10, 11, 12, 13, 14, 15, 16])
    from scoring.scorer import finding_points

    points = finding_points(findings, sites, GOV)
    assert list(points.index) == [10, 11, 12, 13, 14, 15, 16]
    assert list(points) == [12.0, 4.0, 0.0, 0.0, 0.0, 1.0, 0.0]
