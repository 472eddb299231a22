"""Rounds and explanations over store rows written directly (no crawl): ordering, streaks, carry-over, files."""

from __future__ import annotations

import json
import sqlite3

import pytest
from openpyxl import Workbook

from zwgk.core.config import ConfigError
from zwgk.core.explanations import load_explanations, save_explanations
from zwgk.core.history import history, resolve
from zwgk.core.lookback import compute_diff
from zwgk.core.store import Store, StoreError

PROFILE = json.dumps({"homepage": "http://www.example.gov.cn/", "allowed_domains": ["www.example.gov.cn"]})


def _round(store: Store, name: str, as_of: str, port: int, urls: list[str],
           fetched: tuple[str, ...] = ("/a/x.html", "/a/y.html", "/a/index.html")) -> int:
    """One round's run (the pages it fetched) and finished check, its findings on the given paths (served on
    `port` this time)."""
    store.define_round(name, as_of)
    run_id = store.create_run(as_of, "h", "test")
    store.write_rows("run_sites", [dict(run_id=run_id, site_id="s", name="示例县", office="示例县政府办",
                                        site_code="1", kind="portal", homepage=f"http://127.0.0.1:{port}/",
                                        profile_json=PROFILE.replace("}", f', "host_map": {{"www.example.gov.cn":'
                                                                          f' "127.0.0.1:{port}"}}}}'),
                                        profile_hash="p", status="done")])
    store.assign_round(run_id, name)
    store.write_rows("pages", [dict(run_id=run_id, site_id="s", url=f"http://127.0.0.1:{port}{u}",
                                    final_url=f"http://127.0.0.1:{port}{u}", status=200, fetched_at="x", kind="article")
                               for u in fetched])
    check_id = store.create_check(run_id, as_of, "v", ["META002"])
    store.write_rows("findings", [dict(check_id=check_id, run_id=run_id, seq=i, code="META002", indicator="x",
                                       severity="deduct", site_id="s", url=f"http://127.0.0.1:{port}{u}",
                                       message="缺少文号", evidence=json.dumps({"field": "文号"}),
                                       confidence="confirmed", as_of=as_of) for i, u in enumerate(urls)])
    store.finish_check(check_id)
    return check_id


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "ws")
    # X is fixed in R2 and comes back in R3; Y persists through all three; pages listed in another order each time
    _round(store, "R1", "2026-03-31", 8001, ["/a/x.html", "/a/y.html"])
    _round(store, "R2", "2026-06-30", 8002, ["/a/y.html"])
    _round(store, "R3", "2026-09-30", 8003, ["/a/y.html", "/a/index.html", "/a/x.html"])
    yield store
    store.close()


X, Y, INDEX = "META002|s|/a/x.html|文号", "META002|s|/a/y.html|文号", "META002|s|/a/|文号"


def test_history_orders_rounds_and_takes_the_newest_run_of_a_round(store):
    assert [(p.label, p.run_id) for p in history(store)] == [("R1", 1), ("R2", 2), ("R3", 3)]
    _round(store, "R2", "2026-06-30", 8004, ["/a/y.html"])          # R2 run again (a re-crawl)
    assert [(p.label, p.run_id) for p in history(store)] == [("R1", 1), ("R2", 4), ("R3", 3)]
    assert resolve(store, "R2").run_id == 4 and resolve(store, "1").label == "R1"
    with pytest.raises(StoreError, match="R9"):
        resolve(store, "R9")


def test_streaks_count_consecutive_rounds_and_a_returning_finding_is_new(store):
    diff = compute_diff(store)
    rows = {r.identity: r for r in diff.rows}
    assert (diff.from_point.label, diff.to_point.label) == ("R2", "R3")
    assert (rows[Y].status, rows[Y].rounds) == ("persisting", 3)
    assert (rows[X].status, rows[X].rounds) == ("new", 1)
    assert rows[INDEX].status == "new"    # /a/index.html is the folder page /a/, not x or y
    assert {r.identity: r.status for r in compute_diff(store, "R1", "R2").rows} == {X: "fixed", Y: "persisting"}
    # a page the later round did not fetch (a page cap, a changed link) tells nothing: not assessed, not fixed
    store.db.execute("DELETE FROM pages WHERE run_id=2 AND url LIKE '%/a/x.html'")
    row = next(r for r in compute_diff(store, "R1", "R2").rows if r.identity == X)
    assert row.status == "not_assessed" and "未抓取到" in row.note


def test_an_explanation_is_carried_only_while_its_finding_persists(store):
    from scoring.adjustments import adjust
    from scoring.scorer import load_inputs

    save_explanations(store, load_explanations_from([X, Y]), run_id=1)
    findings, *_ = load_inputs(store, 3)
    adjusted, basis, notes = adjust(store, 3, findings)
    scored = dict(zip(adjusted["identity"], adjusted["confidence"]))
    assert scored == {Y: "explained", X: "confirmed", INDEX: "confirmed"}   # X was fixed in R2: not revived
    assert basis["explanations"]["accepted"] == 1


def load_explanations_from(identities):
    from zwgk.core.explanations import Explanation
    return [Explanation(identity=i, site_id="s", office="示例县政府办", reason="已整改", evidence_url="",
                        decision="接受", reviewer="王五", decided_on="2026-04-10", source="t.yaml 第 1 条")
            for i in identities]


def test_explanations_from_a_workbook_with_row_errors(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["2026年第一季度情况说明汇总表"])
    sheet.append(["问题标识", "规则编号", "网站编号", "问题地址", "要素", "责任单位", "说明理由", "复核结论", "复核人",
                  "复核日期"])
    sheet.append([Y, "", "", "", "", "示例县政府办", "已补充", "接受", "王五", "2026-04-10"])
    sheet.append(["", "META002", "s", "http://127.0.0.1:9999/a/x.html", "文号", "示例县政府办", "误报", "驳回", "王五",
                  "2026-04-11"])
    sheet.append([X, "", "", "", "", "", "理由", "同意", "", ""])
    sheet.append([Y, "", "", "", "", "", "理由", "接受", "", "四月十日"])
    sheet.append(["", "META002", "", "", "", "", "理由", "接受", "", ""])
    path = tmp_path / "说明.xlsx"
    book.save(path)
    items, errors = load_explanations(path, {"s": frozenset({"127.0.0.1", "www.example.gov.cn"})})
    assert [(e.identity, e.decision) for e in items] == [(Y, "接受"), (X, "驳回")]
    assert len(errors) == 3
    assert "第 5 行" in errors[0] and "复核结论" in errors[0] and "同意" in errors[0]
    assert "第 6 行" in errors[1] and "复核日期" in errors[1]
    assert "第 7 行" in errors[2] and "网站编号" in errors[2] and "问题地址" in errors[2]


def test_a_bad_explanations_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("- {identity: a, identity: b}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.yaml"):
        load_explanations(path)
    path.write_text("explanations: 不是列表\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="列表"):
        load_explanations(path)


def test_an_older_workspace_gets_rounds(tmp_path):
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / Store.FILENAME)
    db.execute("ALTER TABLE runs DROP COLUMN round_name")
    db.execute("DROP TABLE rounds")
    db.execute("INSERT INTO runs (as_of, started_at, status, profiles_hash, zwgk_version) VALUES"
                " ('2026-01-01', 'x', 'done', 'h', 'v')")
    db.commit()
    db.close()
    store = Store(tmp_path)
    try:
        assert store.db.execute("SELECT round_name FROM runs").fetchone()[0] == ""
        assert store.define_round("2026Q1", "2026-03-31")["name"] == "2026Q1"
    finally:
        store.close()


def test_diff_csv_neutralises_formulas_even_behind_a_control_character(store):
    import csv
    import io

    from zwgk.commands.rounds import diff_csv
    store.db.execute("UPDATE findings SET message=? WHERE check_id=3 AND url LIKE '%/a/x.html'",
                     ('=HYPERLINK("http://evil.example/","点击")',))
    store.db.execute("UPDATE findings SET message=? WHERE check_id=3 AND url LIKE '%/a/index.html'",
                     ("\x01+SUM(A1:A9)",))
    rows = list(csv.DictReader(io.StringIO(diff_csv(compute_diff(store).as_dicts()))))
    messages = {r["identity"]: r["message"] for r in rows}
    assert messages[X] == "'=HYPERLINK(\"http://evil.example/\",\"点击\")"
    assert messages[INDEX] == "'+SUM(A1:A9)"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
