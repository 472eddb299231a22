"""What the outputs print: evidence in Chinese, registry texts per rule, labels file validation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reports.report_data import evidence_text, load_labels, rule_text
from rules.registry import get_rule
from zwgk.core.config import ConfigError


def test_evidence_reads_as_chinese():
    text = evidence_text({"field": "文号", "value": "[2023]5号", "column_id": "c1", "kind": "image",
                          "outcome": "broken", "internal": True, "window": "6m", "note": "", "count": 0,
                          "columns": [{"name": "统计信息", "column_id": "x"}, {"name": "在线访谈"}]})
    assert text == ("要素：文号；页面取值：[2023]5号；资源类别：图片；检测结果：不可用；站内链接：是；更新周期：6个月；"
                    "数量：0；栏目：统计信息、在线访谈")
    assert evidence_text('{"status": 404}') == "HTTP状态码：404"
    assert evidence_text({"snippet": "长" * 500}, limit=50).endswith("…")
    assert len(evidence_text({"snippet": "长" * 500}, limit=50)) == 50


def test_rule_text_comes_from_the_registry():
    rule = get_rule("META001")
    text = rule_text("META001")
    assert (text.problem_type, text.basis, text.advice, text.fix_days) == (rule.title, rule.basis, rule.advice,
                                                                         rule.fix_days)
    assert text.family == "信息公开要素" and text.registered


def test_unknown_rule_is_marked_not_invented():
    text = rule_text("META999")
    assert not text.registered and text.basis == "（规则未登记）" and text.fix_days is None
    assert "META999" in text.problem_type


@pytest.mark.parametrize("content, key", [
    ("evidence: [a]\n", "evidence"),
    ("evidence: {field: 要素}\nvalues: {kind: [x]}\n", "values.kind"),
    ("evidence: {field: 要素}\nhidden: column_id\n", "hidden"),
    ("evidence: {field: 要素}\ncolours: {}\n", "colours"),
])
def test_labels_file_errors_name_file_and_key(tmp_path, content, key):
    path = tmp_path / "labels.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"{path}: key '{key}'"):
        load_labels(path)


def test_aggregated_messages_say_how_many():
    from reports.report_data import counted_message
    assert counted_message("首页链接无法访问", 3) == "首页链接无法访问（共3处）"
    assert counted_message("「示例市公共资源交易中心」无法访问", 2).endswith("（共2处）")  # 公共 is not a count
    assert counted_message("首页链接无法访问，共 3 处", 3) == "首页链接无法访问，共 3 处"
    assert counted_message("首页链接无法访问", 1) == "首页链接无法访问"


def test_local_basis_from_the_profile_follows_the_national_norm(tmp_path):
    from report_samples import build_workspace
    from reports.report_data import load_report_data
    from scoring.profile import load_profile
    from scoring.scorer import score_check

    source = Path(load_profile("gov2019").source).read_text(encoding="utf-8")
    profile = tmp_path / "local.yaml"
    profile.write_text(source.replace("name: gov2019", "name: local") +
                       "\nlocal_basis:\n  META001: 示例省政务公开工作要点（示例办发〔2031〕2号）第三条\n", encoding="utf-8")
    store, check_id = build_workspace(tmp_path / "ws", score=False)
    try:
        score_check(store, check_id, str(profile))
        data = load_report_data(store, check_id, str(profile))
    finally:
        store.close()
    basis = data.rule("META001").basis
    assert basis.startswith(rule_text("META001").basis)
    assert basis.endswith("本地依据：示例省政务公开工作要点（示例办发〔2031〕2号）第三条")
    from reports.report_data import basis_as_of
    assert "晚于评估截至日期" in basis_as_of(basis, "2025-06-30")  # a document from after the as-of date is marked


def test_basis_never_cites_internal_or_local_documents():
    from rules.registry import RULES

    for rule in RULES:
        for banned in ("RULEBOOK", "seed", "梁平", "内江", "汕尾", "§"):
            assert banned not in rule.basis, (rule.code, banned)
        assert re.search(r"条例|国办|GB/T|不扣分", rule.basis), rule.code


def test_evidence_as_a_sentence_with_technical_details_apart():
    from reports.report_data import evidence_details, evidence_sentence

    sentence, used = evidence_sentence({"label": "发文字号", "value": "-", "field": "文号", "column_id": "c1"})
    assert sentence == "页面“发文字号”一栏填写为“-”，涉及要素“文号”"
    ev = {"link_text": "附件1.docx", "http_status": 404, "content_type": "text/html", "attempts": 1, "kind": "attachment"}
    sentence, used = evidence_sentence(ev)
    assert sentence == "链接文字“附件1.docx”，目标地址返回 HTTP 404"
    details = evidence_details(ev, skip=used)
    assert "内容类型：text/html" in details and "尝试次数：1" in details and "附件1.docx" not in details


def test_labels_sentences_are_validated(tmp_path):
    bad = tmp_path / "labels.yaml"
    bad.write_text("evidence: {field: 要素}\nsentences: [没有键的句子]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="sentences\\[0\\]"):
        load_labels(bad)


def test_unit_of_a_column_path():
    from reports.report_data import load_units

    units = load_units()
    assert units.unit_in(["首页", "工作机构", "示例县财政局", "通知公告"]) == "示例县财政局"
    assert units.unit_in(["首页", "乡镇街道", "示例镇", "政务公开"]) == "示例镇"
    assert units.unit_in(["首页", "部门信息公开", "通知公告"]) == ""      # a sub-column, not a unit
    assert units.unit_in(["首页", "政府信息公开", "示例县财政局"]) == ""  # not under a unit tree
    assert units.unit_in(["首页", "工作机构"]) == ""


def test_column_notices_are_one_row_per_parent_column():
    import pandas as pd

    from reports.report_data import problem_rows

    def finding(seq, name, parent, reason="栏目页面无法访问（HTTP 404）"):
        return dict(seq=seq, site_id="s", site_name="示例县人民政府", office="示例县人民政府办公室", code="STALE010",
                    indicator="发布解读.栏目更新", severity="warn", severity_rank=2, confidence="confirmed", review=False,
                    column_name=name, column_parent=parent, url=f"http://127.0.0.1:9/{seq}/", parent_url="", title=name,
                    message=f"栏目\"{name}\"无法评估更新情况：{reason}", evidence={"reason": reason}, count=1,
                    points=0.0, counted=0.0, as_of="2018-07-27")

    rows = problem_rows(pd.DataFrame([finding(1, "空气质量", "环境保护"), finding(2, "水质信息", "环境保护"),
                                      finding(3, "安全信息", "食品药品安全")]))
    assert len(rows) == 2
    env = rows[rows["column_name"] == "环境保护"].iloc[0]
    assert env["findings"] == 2 and env["message"].startswith("“环境保护”下2个栏目：“空气质量”、“水质信息”。例：")
