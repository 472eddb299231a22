"""What the outputs print: evidence in Chinese, registry texts per rule, labels file validation."""

from __future__ import annotations

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
