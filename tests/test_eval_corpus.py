"""`zwgk eval pages`: a labelled corpus scored field by field, list by list, column by column."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from zwgk.evaluation.corpus import evaluate_corpus, field_outcome

CORPUS = Path(__file__).parent / "data" / "corpus"


def test_field_outcomes():
    assert field_outcome("文号", "示县政办〔2025〕3号", "示县政办〔2025〕3号") == "right"
    assert field_outcome("文号", None, "示县政办〔2025〕3号") == "missing"
    assert field_outcome("文号", "| 示县政办〔2025〕3号 |", "示县政办〔2025〕3号") == "wrong"
    assert field_outcome("发布日期", "2025-03-02", None) == "spurious"
    assert field_outcome("成文日期", "2025年2月27日", "2025-02-27") == "right"
    assert field_outcome("文号", "", "") == "right"
    assert field_outcome("文号", None, "") == "missing"


def test_corpus_figures():
    report = evaluate_corpus(CORPUS / "pages", CORPUS / "pages.yaml")
    o = report["overall"]
    assert o["pages"] == 3 and o["errors"] == 1          # the unreadable file is reported, not fatal
    assert o["fields"]["labelled"] == 5                    # 标题, 索引号, 文号, 发布机构, 成文日期
    assert o["fields"]["right"] == 5 and o["fields"]["wrong"] == 0
    # 发布日期 exists only in <meta name=PubDate>: reading it as printed would be spurious
    assert o["fields"]["spurious"] == 0
    assert o["lists"] == {**o["lists"], "pages": 1, "newest_right": 1, "entries_right": 1}
    assert o["nav"]["columns"] == 3 and o["nav"]["found"] == 2   # 办事服务 is not on the page
    page = next(p for p in report["pages"] if p["file"] == "002_list.html")
    assert page["nav_missed"] == ["办事服务"]
    assert set(report["by_cms"]) == {"invented_table", "invented_list"}


def test_command_json():
    result = subprocess.run([sys.executable, "-m", "zwgk.cli", "eval", "pages", str(CORPUS / "pages"), "--json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["overall"]["nav"]["found"] == 2
