"""parse_date / find_date over the date forms Chinese government pages print."""

import datetime as dt

import pytest

from crawler.extract.dates import find_date, parse_date

D = dt.date(2023, 5, 24)


@pytest.mark.parametrize("text", [
    "2023-05-24", "2023/5/24", "2023.05.24", "2023年5月24日", "2023年05月24日", "[2023-05-24]",
    "(2023-05-24)", "【2023-05-24】", "2023-05-24 17:40", "2023-05-24 17:40:11", "2023年5月24日 10:30",
    "２０２３－０５－２４", "２０２３年５月２４日", "2023年 5 月 24 日", "发布时间：2023-05-24 来源：市政府",
    "2023-5-24", "2023-05-24T08:00",
])
def test_accepted_forms(text):
    assert parse_date(text) == D


@pytest.mark.parametrize("text", ["", "无", "-", "2023", "2023年5月", "20230524", "v1.2023.05.24", "2023-5/24",
                                  "第2023-05号", "123-45-67"])
def test_not_a_date(text):
    assert parse_date(text) is None


@pytest.mark.parametrize("text", ["2023-02-30", "2023-13-01", "2023年4月31日", "2023-00-10"])
def test_impossible_dates_are_rejected(text):
    assert parse_date(text) is None


def test_find_date_returns_printed_substring():
    assert find_date("发布时间：2023-12-20 17:40 字体：[大 中 小]") == ("2023-12-20 17:40", dt.date(2023, 12, 20))
    assert find_date("[2023年05月24日]") == ("2023年05月24日", D)
    assert find_date("２０２３－０５－２４") == ("２０２３－０５－２４", D)


def test_find_date_reports_an_impossible_date_as_printed():
    assert find_date("成文日期：2023-02-30") == ("2023-02-30", None)


def test_find_date_prefers_the_first_valid_date():
    assert find_date("2023-02-30 更正为 2023-03-01") == ("2023-03-01", dt.date(2023, 3, 1))


def test_find_date_nothing():
    assert find_date("本栏目暂无信息") == ("", None)


def test_leap_day():
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)
    assert parse_date("2023-02-29") is None
