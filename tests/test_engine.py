"""The check engine over a real store: findings and outcomes written, crashes isolated, no network, no clock."""

from __future__ import annotations

import json
import socket
from datetime import date

import pytest
from click.testing import CliRunner

from rules.engine import check_snapshot, make_context, run_check
from zwgk.evaluation.rule_fixtures import store_case
from rules.redaction import redact, valid_id_number
from rules.registry import RULES, Rule, get_rule
from rules.snapshot import load_snapshot
from rules.thresholds import load_thresholds
from zwgk.cli import main
from zwgk.core.config import ConfigError
from zwgk.core.store import Store

H = "http://site.test"


def _id_number() -> str:
    """A made-up 18-digit number with a valid GB 11643 checksum."""
    body = "11010519491231002"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights)) % 11]


SITE = {
    "site": {"id": "demo", "name": "示例区人民政府", "office": "示例区政府办公室", "homepage": f"{H}/"},
    "columns": [
        {"id": "zcwj", "name": "政策文件", "url": f"{H}/zcwj/", "class": "政策文件", "office": "区司法局",
         "path": "首页>政府信息公开>法定主动公开内容>政策文件", "level": 3},
        {"id": "gzdt", "name": "工作动态", "url": f"{H}/gzdt/", "class": "动态要闻", "path": "首页>工作动态"},
    ],
    "pages": [
        {"url": f"{H}/", "kind": "home", "title": "示例区人民政府", "depth": 0,
         "links": [{"url": f"{H}/gone.html", "text": "失效专题", "kind": "link", "tag": "a@href"}]},
        {"url": f"{H}/zcwj/政策/1.html", "kind": "article", "column_id": "zcwj", "parent_url": f"{H}/zcwj/",
         "title": "关于某某的通知", "metadata": [["标题", "标题", "关于某某的通知"], ["文号", "文号", "示府发[2024]1号"],
                                             ["索引号", "索引号", "000/2024-001"], ["发布机构", "发布机构", "示例区人民政府"],
                                             ["主题分类", "主题分类", "综合"], ["成文日期", "成文日期", "2024-03-01"],
                                             ["发布日期", "发布日期", "2024-03-02"], ["有效性", "有效性", "有效"]],
         "dates": {"成文日期": "2024-03-01", "发布日期": "2024-03-02"},
         "links": [{"url": f"{H}/img/a.jpg", "kind": "image", "tag": "img@src"}]},
        {"url": f"{H}/Z.html", "kind": "article", "column_id": "gzdt", "title": f"联系人电话13912345678 证件{_id_number()}",
         "links": [{"url": f"{H}/img/b.jpg", "kind": "image", "tag": "img@src"}]},
    ],
    "entries": [{"column_id": "", "url": f"{H}/gzdt/1.html", "title": "要闻", "date": "2024-05-30", "list_url": f"{H}/"},
                {"column_id": "gzdt", "url": f"{H}/gzdt/1.html", "title": "要闻", "date": "2024-05-30",
                 "list_url": f"{H}/gzdt/"}],
    "resources": [{"url": f"{H}/gone.html", "outcome": "broken", "status": 404},
                  {"url": f"{H}/img/a.jpg", "outcome": "broken", "status": 404},
                  {"url": f"{H}/img/b.jpg", "outcome": "broken", "status": 410}],
}
DOWN = {"site": {"id": "down", "name": "无法访问的网站", "office": "某局", "homepage": "http://down.test/",
                 "status": "unreachable", "error": "域名解析失败"}}


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path)
    run_id = store_case(s, SITE)
    store_case(s, DOWN, run_id=run_id)
    yield s
    s.close()


def _snapshot_counts(store) -> dict:
    return {t: store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("pages", "metadata", "links", "resources", "entries", "columns")}


def test_run_check_writes_findings_with_every_field_and_outcomes_per_site(store):
    check_id = run_check(store, None)
    rows = store.findings(check_id)
    by_code = {}
    for r in rows:
        by_code.setdefault(r["code"], []).append(r)
    link = by_code["LINK001"][0]
    assert link["url"] == f"{H}/gone.html" and link["parent_url"] == f"{H}/" and link["severity"] == "deduct"
    assert link["indicator"] == "功能设计.链接可用性" and link["confidence"] == "confirmed"
    assert link["office"] == "示例区政府办公室" and link["as_of"] == "2024-06-01" and link["run_id"] == 1
    assert link["evidence"]["http_status"] == 404 and link["evidence"]["link_text"] == "失效专题"
    meta = by_code["META003"][0]
    assert meta["office"] == "区司法局" and meta["column_id"] == "zcwj" and meta["column_name"] == "政策文件"
    assert meta["url"] == f"{H}/zcwj/政策/1.html" and meta["parent_url"] == f"{H}/zcwj/" and meta["title"] == "关于某某的通知"
    image = by_code["MEDIA001"]
    assert {r["url"] for r in image} == {f"{H}/img/a.jpg", f"{H}/img/b.jpg"}
    outcomes = store.db.execute("SELECT site_id, status, reason FROM rule_outcomes WHERE check_id=?", (check_id,)).fetchall()
    assert len(outcomes) == 2 * len(RULES)
    down = [o for o in outcomes if o["site_id"] == "down"]
    assert {o["status"] for o in down} == {"not_assessed"} and "无法访问" in down[0]["reason"]
    assert "域名解析失败" in down[0]["reason"]
    assert not [r for r in rows if r["site_id"] == "down"]
    check = store.db.execute("SELECT * FROM checks WHERE check_id=?", (check_id,)).fetchone()
    assert check["finished_at"] and json.loads(check["rule_codes"]) == [r.code for r in RULES]


def test_personal_numbers_never_appear_in_full(store):
    check_id = run_check(store, None, codes="MEDIA001")
    text = json.dumps(store.findings(check_id), ensure_ascii=False)
    assert "13912345678" not in text and _id_number() not in text
    assert "139****5678" in text and "11*************" in text
    assert valid_id_number(_id_number()) and redact("索引号11500228008652038C/2021-00151") == "索引号11500228008652038C/2021-00151"


def test_a_crashing_rule_is_not_assessed_and_the_others_go_on(store):
    def crash_site(snapshot, ctx):
        raise ZeroDivisionError("boom")

    def crash_page(page, snapshot, ctx):
        if page.kind == "article":
            raise ValueError("bad page")
        return ()

    broken_site = Rule("TST001", "test-crash", "测试", "deduct", "发布解读.栏目更新", "site", "-", "-", 1, crash_site)
    broken_page = Rule("TST002", "test-page-crash", "测试", "deduct", "发布解读.栏目更新", "page", "-", "-", 1,
                       crash_page, per_page=True)
    snapshot = load_snapshot(store, 1, "demo")
    ctx = make_context(snapshot, date(2024, 6, 1), load_thresholds())
    findings, outcomes = check_snapshot(snapshot, ctx, [broken_site, broken_page, get_rule("LINK001"), get_rule("MEDIA001")])
    status = {o.code: (o.status, o.reason) for o in outcomes}
    assert status["TST001"][0] == "not_assessed" and "ZeroDivisionError: boom" in status["TST001"][1]
    assert status["TST002"][0] == "not_assessed" and "ValueError: bad page" in status["TST002"][1]
    assert status["LINK001"] == ("assessed", "") and status["MEDIA001"] == ("assessed", "")
    assert {f.code for f in findings} == {"LINK001", "MEDIA001"}


def test_homepage_not_fetched_is_not_assessed_never_a_pass(tmp_path):
    store = Store(tmp_path)
    data = {k: v for k, v in SITE.items() if k != "pages"}
    run_id = store_case(store, data)
    check_id = run_check(store, run_id, codes="STALE001,STALE002,STALE011")
    rows = store.db.execute("SELECT code, status, reason FROM rule_outcomes WHERE check_id=? AND site_id='demo'",
                            (check_id,)).fetchall()
    assert {r["status"] for r in rows} == {"not_assessed"} and all("首页未抓取" in r["reason"] for r in rows)
    assert store.findings(check_id) == []
    store.close()


def test_recheck_uses_the_stored_snapshot_and_the_given_day_without_network(store, monkeypatch):
    before = _snapshot_counts(store)

    def no_network(*args, **kwargs):
        raise AssertionError("the check stage must not open a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    first = run_check(store, 1, codes="STALE")
    later = run_check(store, 1, as_of="2024-07-01", codes="STALE")
    assert _snapshot_counts(store) == before
    assert "STALE001" not in {f["code"] for f in store.findings(first)}
    veto = [f for f in store.findings(later) if f["code"] == "STALE001"]
    assert veto and veto[0]["as_of"] == "2024-07-01" and veto[0]["evidence"]["days_stale"] == 32


def test_thresholds_override_file_and_validation_errors(store, tmp_path):
    override = tmp_path / "t.yaml"
    override.write_text("freshness:\n  homepage_window: 60d\n", encoding="utf-8")
    check_id = run_check(store, 1, as_of="2024-07-01", codes="STALE001", thresholds=override)
    assert store.findings(check_id) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("freshness:\n  column_windows:\n    动态要闻: fortnight\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: key 'freshness\.column_windows\.动态要闻'"):
        load_thresholds(bad)
    bad.write_text("links:\n  confirmed: [404]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml: key 'links\.confirmed': unknown"):
        load_thresholds(bad)
    bad.write_text("freshness:\n  blank_column_classes: [动态]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown column class '动态'"):
        load_thresholds(bad)


def test_streamed_pages_keep_their_metadata_and_links_with_unicode_urls(store):
    snapshot = load_snapshot(store, 1, "demo")
    pages = {p.url: p for p in snapshot.pages()}
    assert list(pages) == sorted(pages)
    policy = pages[f"{H}/zcwj/政策/1.html"]
    assert policy.fields["文号"] == "示府发[2024]1号" and len(policy.metadata) == 8
    assert [lk.url for lk in policy.links] == [f"{H}/img/a.jpg"] and policy.links[0].resource.status == 404
    assert [lk.resource.status for lk in pages[f"{H}/Z.html"].links] == [410]
    assert snapshot.home.url == f"{H}/" and [e.url for e in snapshot.home_entries] == [f"{H}/gzdt/1.html"]


def test_cli_rules_check_and_findings(store, tmp_path):
    runner = CliRunner()
    out = runner.invoke(main, ["rules", "--json"])
    assert out.exit_code == 0
    data = json.loads(out.output)
    assert [r["code"] for r in data["rules"]] == [r.code for r in RULES] and data["rules"][0]["basis"]
    table = runner.invoke(main, ["rules"])
    assert table.exit_code == 0 and "META001" in table.output and "missing-required-field" in table.output
    ws = str(store.workspace)
    out = runner.invoke(main, ["check", "--workspace", ws, "--rules", "LINK,MEDIA001", "--as-of", "2024-06-01"])
    assert out.exit_code == 0, out.output
    assert "down:" in out.output and "无法评估" in out.output and "检查 #1 完成" in out.output
    csv_out = runner.invoke(main, ["findings", "--workspace", ws, "--format", "csv"])
    lines = csv_out.output.strip().splitlines()
    assert lines[0].startswith("check_id,run_id,as_of,site_id,office,code") and len(lines) == 4
    js = json.loads(runner.invoke(main, ["findings", "--workspace", ws, "--format", "json", "--site", "demo"]).output)
    assert {f["code"] for f in js} == {"LINK001", "MEDIA001"}
    env_run = runner.invoke(main, ["findings"], env={"ZWGK_WORKSPACE": ws})
    assert env_run.exit_code == 0 and "LINK001" in env_run.output
    bad = runner.invoke(main, ["check", "--workspace", ws, "--rules", "NOPE"])
    assert bad.exit_code == 2 and "NOPE" in bad.output
    bad_day = runner.invoke(main, ["check", "--workspace", ws, "--as-of", "2024-13-01"])
    assert bad_day.exit_code == 2
    empty = runner.invoke(main, ["findings", "--workspace", str(tmp_path / "none")])
    assert empty.exit_code == 1 and "zwgk crawl" in empty.output
