"""Content rules: page text layout, personal numbers never printed in full, working days past the calendar."""

import json
from dataclasses import asdict
from datetime import date

from crawler.extract.page import extract_page
from rules.redaction import redact
from rules.workdays import load_calendar, working_days_after
from zwgk.evaluation.rule_fixtures import FIXTURES_DIR, load_case, run_case


def test_page_text_keeps_table_rows_and_paragraphs_inside_cells():
    html = ("<html><body><p>名单如下：</p><table>\n<tr>\n  <td>序号</td>\n  <td>姓名</td>\n  <td>电话</td>\n</tr>"
            "<tr><td>1</td><td><p>赵某某</p></td><td>\n139****5521\n</td></tr></table><div>示例区民政局</div>"
            "</body></html>")
    text = extract_page(html, "http://site.test/a.html").text
    assert text.split("\n") == ["名单如下：", "序号\t姓名\t电话", "1\t赵某某\t139****5521", "示例区民政局"]


def test_redact_masks_card_numbers_passing_luhn_only():
    assert redact("卡号6217991234567890124。") == "卡号6217***********0124。"
    assert redact("编号6217991234567890129") == "编号6217991234567890129"   # fails Luhn: not a card


def test_no_finding_of_a_priv_fixture_holds_a_full_number():
    for path in sorted(FIXTURES_DIR.glob("PRIV*/*.yaml")):
        case = load_case(path)
        findings, _ = run_case(case)
        printed = json.dumps([asdict(f) for f in findings], ensure_ascii=False)
        for number in ("449900198001011234", "449900199212314563", "13912345678", "13812345678",
                       "13612345678", "6217991234567890124"):
            assert number not in printed, (path.name, number)


def test_working_days_fall_back_to_weekdays_and_the_holiday_file(tmp_path):
    # 2024: the package knows 劳动节 and the 5月11日 make-up Saturday
    assert working_days_after(date(2024, 4, 30), date(2024, 5, 7)) == (2, [])
    n, missing = working_days_after(date(2099, 3, 2), date(2099, 3, 12))
    assert (n, missing) == (8, [2099])
    f = tmp_path / "holidays.yaml"
    f.write_text("holidays: [2099-03-05]\nworkdays: [2099-03-07]\n", encoding="utf-8")
    cal = load_calendar(str(f))
    assert cal.error == ""
    assert working_days_after(date(2099, 3, 2), date(2099, 3, 12), cal) == (8, [2099])   # −1 holiday +1 调休
    bad = tmp_path / "bad.yaml"
    bad.write_text("holidays: [not-a-date]\n", encoding="utf-8")
    cal = load_calendar(str(bad))
    assert "bad.yaml" in cal.error
    assert working_days_after(date(2099, 3, 2), date(2099, 3, 12), cal)[0] == 8
