"""The report's trend chapter from store rows written directly: rounds cut at the reported one, open problems per
office (review items, accepted explanations and unconfirmed suspicions left out), and its inline SVG charts."""

from __future__ import annotations

import json
import re

import pytest

from reports.trends import line_chart, load_trends, sparkline, trend_context
from tests.test_history import _round
from zwgk.core.store import Store

OFFICE = "示例县政府办"


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "ws")
    _round(store, "R1", "2026-03-31", 8001, ["/a/x.html", "/a/y.html"])                   # check 1
    _round(store, "R2", "2026-06-30", 8002, ["/a/y.html"])                                # check 2
    _round(store, "R3", "2026-09-30", 8003, ["/a/y.html", "/a/index.html", "/a/x.html"])  # check 3
    # in R3: Y's explanation was accepted, x.html is a review item, and a department has a problem of its own
    store.db.execute("UPDATE findings SET confidence='review' WHERE check_id=3 AND url LIKE '%/a/x.html'")
    store.write_rows("findings", [dict(check_id=3, run_id=3, seq=9, code="META002", indicator="x", severity="deduct",
                                       site_id="s", office="示例县财政局", url="http://127.0.0.1:8003/b/z.html",
                                       message="缺少文号", evidence=json.dumps({"field": "文号"}),
                                       confidence="confirmed", as_of="2026-09-30")])
    store.write_rows("finding_notes", [dict(check_id=3, seq=0, identity="META002|s|/a/y.html|文号",
                                            confidence="explained", note="已说明")])
    yield store
    store.close()


def test_trends_count_open_problems_per_office_up_to_the_reported_round(store):
    trends = load_trends(store, 3)
    assert [p.label for p in trends.points] == ["R1", "R2", "R3"]
    by_office = {o["office"]: o["open"] for o in trends.offices}
    # R3: index.html open; y.html explained and x.html for review are not open; the department's own problem
    assert by_office == {OFFICE: [2, 1, 1], "示例县财政局": [0, 0, 1]}
    assert [s["open"] for s in trends.summary] == [2, 1, 2]
    assert [s["name"] for s in trends.sites] == ["示例县"]
    assert trends.sites[0]["scores"] == [None, None, None]   # never scored: shown as —, no line drawn
    # the report of R2 looks back only as far as R2; the last two rounds only when asked
    assert [p.label for p in load_trends(store, 2).points] == ["R1", "R2"]
    assert [p.label for p in load_trends(store, 3, last=2).points] == ["R2", "R3"]
    assert load_trends(store, 1) is None   # a first round has no trend


def test_trend_context_prints_every_figure_in_a_table_and_the_charts_say_them(store):
    context = trend_context(load_trends(store, 3))
    assert context["labels"] == ["R1", "R2", "R3"]
    office = next(o for o in context["offices"] if o["office"] == OFFICE)
    assert office["cells"] == ["2", "1", "1"] and (office["change"], office["direction"]) == ("-1", "down")
    assert context["offices"][0]["office"] == OFFICE   # most open problems in the last round first (tie: name)
    svg = str(office["chart"])
    assert 'role="img"' in svg and "R1 2；R2 1；R3 1" in svg
    assert len(re.findall(r"<circle", svg)) == 3 and svg.count("<polyline") == 1
    site = context["sites"][0]
    assert [c["text"] for c in site["cells"]] == ["—", "—", "—"] and site["change"] == "—"
    assert "<polyline" not in str(site["chart"]) and "<circle" not in str(site["chart"])


def test_a_missing_value_breaks_the_line_instead_of_bridging_it():
    spark = str(sparkline([80.0, None, 90.0, 95.0], ["#000"] * 4, "示例"))
    assert spark.count("<polyline") == 1 and spark.count("<circle") == 3
    chart = str(line_chart(["A", "B", "C"], [("平均得分", [70.0, None, 75.0]), ("合格率（%）", [50.0, 60.0, 100.0])],
                           "趋势 <测试>", table_id="t"))
    assert chart.count("<polyline") == 1 and chart.count("<circle") == 5
    assert 'aria-describedby="t"' in chart and "趋势 &lt;测试&gt;" in chart   # labels are escaped
