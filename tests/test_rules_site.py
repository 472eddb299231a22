"""Site rules (AVAIL, IDENT) say *not assessed*, with the reason, when the crawl or the probes lack what they need."""

from __future__ import annotations

from pathlib import Path

from zwgk.evaluation.rule_fixtures import load_case, run_case

DATA = Path(__file__).parent / "data" / "not_assessed"


def test_too_few_probes_is_not_assessed_with_the_count():
    findings, outcomes = run_case(load_case(DATA / "AVAIL001" / "too_few_probes.yaml"))
    assert findings == []
    assert [o.status for o in outcomes] == ["not_assessed"]
    assert "共 40 次，至少需要 140 次" in outcomes[0].reason


def test_a_footer_written_by_a_script_is_not_assessed():
    findings, outcomes = run_case(load_case(DATA / "IDENT004" / "script_footer.yaml"))
    assert findings == []
    assert [o.status for o in outcomes] == ["not_assessed"]
    assert "页脚未能识别" in outcomes[0].reason


def test_services_only_linked_to_the_provincial_platform_are_linked_out_not_missing():
    findings, outcomes = run_case(load_case(DATA / "SERV001" / "linked_out.yaml"))
    assert findings == []
    assert [o.status for o in outcomes] == ["not_assessed"]
    assert "链接至站外政务服务平台（「示例省政务服务网」http://zwfw.province.test/county/）" in outcomes[0].reason


def test_an_external_search_service_not_contacted_is_not_assessed_with_the_reason():
    findings, outcomes = run_case(load_case(DATA / "SRCH001" / "external_search.yaml"))
    assert findings == []
    assert [o.status for o in outcomes] == ["not_assessed"]
    assert "站外搜索服务（search.example-sousuo.com）未访问" in outcomes[0].reason
