"""Two rounds of a fixture site (another port, a later as-of date, one defect fixed, one introduced, one 5xx gone):
rounds, the 回头看 diff, suspected → confirmed, explanations and rescore, against expected values."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest

from fixtures.server import SITES_ROOT, FixtureServer
from tests.conftest import AS_OF

pytestmark = pytest.mark.e2e

SITE = "cityportal"
ROUND1, ROUND2 = "2026-11", "2026-12"
AS_OF2 = AS_OF + timedelta(days=30)   # the site is served 30 days later too: its dates move along with it
FIXED = f"META002|{SITE}|/xxgk/fdzdgknr/gfxwj/content_1088.html|文号"       # 发文字号 '-' filled in round 2
INTRODUCED = f"META002|{SITE}|/xxgk/fdzdgknr/zcwj/content_1075.html|文号"   # 发文字号 emptied in round 2
GONE_5XX = f"LINK003|{SITE}|/interface/count.jsp|"                         # 500 in round 1, 200 in round 2
TIMEOUT = f"MEDIA009|{SITE}|/media/slow.mp4|"                              # a timeout in both rounds
EXPLAINED = f"META003|{SITE}|/xxgk/fdzdgknr/zcwj/content_1076.html|文号"


def zwgk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zwgk.cli", *args], capture_output=True, text=True, timeout=600)


def _site_copy(dest, second_round: bool):
    """The fixture site (and the external site) copied; the second round's copy edited as its office would."""
    for name in (SITE, "_external"):
        shutil.copytree(SITES_ROOT / name, dest / name)
    if second_round:
        www = dest / SITE / "www"
        page = www / "xxgk/fdzdgknr/gfxwj/content_1088.html"
        text = page.read_text(encoding="utf-8")
        old = '<span class="label">发文字号</span><span class="value">-</span>'
        assert old in text
        page.write_text(text.replace(old, '<span class="label">发文字号</span><span class="value">'
                                          '示府规〔{{ yr(0, 0) }}〕3号</span>'), encoding="utf-8")
        page = www / "xxgk/fdzdgknr/zcwj/content_1075.html"
        text = page.read_text(encoding="utf-8")
        old = '<td class="lbl">[ 发文字号 ]</td><td>示府办发〔{{ yr(-25, 0) }}〕9号</td>'
        assert old in text
        page.write_text(text.replace(old, '<td class="lbl">[ 发文字号 ]</td><td></td>'), encoding="utf-8")
        config = dest / SITE / "site.yaml"
        text = config.read_text(encoding="utf-8")
        assert "  /interface/count.jsp: {status: 500}\n" in text
        config.write_text(text.replace("  /interface/count.jsp: {status: 500}\n", ""), encoding="utf-8")
        (www / "interface").mkdir(exist_ok=True)
        (www / "interface/count.jsp").write_text("<html><body>1024</body></html>", encoding="utf-8")


def _run_round(tmp_path, workspace, name, as_of, second_round):
    root = tmp_path / f"sites-{name}"
    _site_copy(root, second_round)
    with FixtureServer(sites_root=root, as_of=as_of, sites=[SITE]) as server:
        profiles = server.write_profiles(tmp_path / f"profiles-{name}")
        result = zwgk("run", *map(str, profiles), "--workspace", str(workspace), "--as-of", as_of.isoformat(),
                      "--round", name, "--out", str(tmp_path / f"out-{name}"), "--no-pdf")
        port = server.base_url(SITE)
    assert result.returncode == 0, result.stderr[-3000:]
    return port


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("rounds")
    workspace = tmp_path / "ws"
    first = _run_round(tmp_path, workspace, ROUND1, AS_OF, second_round=False)
    second = _run_round(tmp_path, workspace, ROUND2, AS_OF2, second_round=True)
    assert first != second  # the second server listens on another port: identities must not depend on it
    return tmp_path, workspace


def test_rounds_are_recorded_and_listed(two_rounds):
    _, workspace = two_rounds
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    assert db.execute("SELECT run_id, round_name, as_of FROM runs ORDER BY run_id").fetchall() == [
        (1, ROUND1, AS_OF.isoformat()), (2, ROUND2, AS_OF2.isoformat())]
    db.close()
    result = zwgk("rounds", "--workspace", str(workspace), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["round"], r["as_of"], r["runs"], r["sites"], r["profile"]) for r in rows] == [
        (ROUND1, AS_OF.isoformat(), [1], 1, "gov2019"), (ROUND2, AS_OF2.isoformat(), [2], 1, "gov2019")]
    # the site is vetoed in both rounds: not passed, and no mean score (the mean is of the sites not vetoed)
    assert [(r["graded"], r["passed"], r["pass_rate"], r["vetoed"], r["mean_score"]) for r in rows] == [
        (1, 0, 0.0, 1, None)] * 2
    table = zwgk("rounds", "--workspace", str(workspace))
    assert ROUND1 in table.stdout and "合格率" in table.stdout and "0%（0/1）" in table.stdout
    assert "平均分为未否决网站的平均得分" in table.stdout


def test_a_round_keeps_its_as_of_date(two_rounds, tmp_path):
    _, workspace = two_rounds
    from zwgk.core.store import Store, StoreError
    store = Store(workspace)
    try:
        with pytest.raises(StoreError, match="评估基准日"):
            store.define_round(ROUND1, AS_OF2.isoformat())
    finally:
        store.close()


def _diff(workspace, *args):
    result = zwgk("diff", "--workspace", str(workspace), *args)
    assert result.returncode == 0, result.stderr
    return result


def test_diff_tells_new_fixed_persisting_and_dropped(two_rounds):
    _, workspace = two_rounds
    data = json.loads(_diff(workspace, "--format", "json").stdout)
    assert (data["from_round"], data["to_round"]) == (ROUND1, ROUND2)
    status = {row["identity"]: row for row in data["findings"]}
    assert status[FIXED]["status"] == "fixed" and status[FIXED]["status_label"] == "已整改"
    assert status[INTRODUCED]["status"] == "new" and status[INTRODUCED]["rounds"] == 1
    assert status[GONE_5XX]["status"] == "dropped" and "不予认定" in status[GONE_5XX]["note"]
    assert status[TIMEOUT]["status"] == "persisting" and status[TIMEOUT]["rounds"] == 2
    # nothing else changed between the rounds: another port and a later date leave every other finding as it was
    changed = sorted(i for i, r in status.items() if r["status"] != "persisting")
    assert changed == sorted([FIXED, INTRODUCED, GONE_5XX])
    persisting = [r for r in data["findings"] if r["status"] == "persisting"]
    assert len(persisting) >= 20 and all(r["rounds"] == 2 for r in persisting)
    office = next(o for o in data["offices"] if o["office"] == "示例市人民政府办公室")
    assert office["fixed"] == 1 and office["new"] == 1
    assert office["fix_rate"] == round(1 / (1 + office["persisting"]), 4)


def test_diff_between_named_rounds_and_runs_and_as_csv(two_rounds):
    _, workspace = two_rounds
    by_name = json.loads(_diff(workspace, "--from", ROUND1, "--to", ROUND2, "--format", "json").stdout)
    by_run = json.loads(_diff(workspace, "--from", "1", "--to", "2", "--format", "json").stdout)
    assert by_name["findings"] == by_run["findings"]
    backwards = json.loads(_diff(workspace, "--from", ROUND2, "--to", ROUND1, "--format", "json").stdout)
    status = {row["identity"]: row["status"] for row in backwards["findings"]}
    assert status[FIXED] == "new" and status[INTRODUCED] == "fixed"
    rows = list(csv.DictReader(io.StringIO(_diff(workspace, "--format", "csv").stdout)))
    assert {r["identity"]: r["status_label"] for r in rows}[INTRODUCED] == "新发现"
    assert all(not r["message"].startswith(("=", "+", "-", "@")) for r in rows)
    table = _diff(workspace).stdout
    assert "回头看" in table and "整改率" in table
    bad = zwgk("diff", "--workspace", str(workspace), "--from", "2025Q9")
    assert bad.returncode != 0 and "2025Q9" in bad.stderr


def test_a_suspected_failure_that_recurs_is_confirmed(two_rounds):
    _, workspace = two_rounds
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    # round 1 has no earlier round: its suspected findings stay suspected
    assert db.execute("SELECT COUNT(*) FROM finding_notes WHERE check_id=1 AND note != ''").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM finding_notes WHERE check_id=1").fetchone()[0] \
        == db.execute("SELECT COUNT(*) FROM findings WHERE check_id=1").fetchone()[0]
    notes = {identity: (confidence, note) for identity, confidence, note in db.execute(
        "SELECT identity, confidence, note FROM finding_notes WHERE check_id=2 AND note != ''")}
    assert notes[TIMEOUT][0] == "confirmed" and ROUND1 in notes[TIMEOUT][1]
    basis = json.loads(db.execute("SELECT basis FROM scores WHERE check_id=2 LIMIT 1").fetchone()[0])
    assert basis["previous"] == ROUND1 and basis["confirmed_by_recurrence"] == len(notes) >= 1
    db.close()


def test_explanations_remove_the_deduction_and_rescore_keeps_them(two_rounds, tmp_path):
    _, workspace = two_rounds
    before = json.loads(zwgk("score", "--workspace", str(workspace), "--json").stdout)
    explanations = tmp_path / "说明.yaml"
    explanations.write_text(
        "explanations:\n"
        f"  - {{问题标识: '{EXPLAINED}', 责任单位: 示例市人民政府办公室, 说明理由: 文号按本市规范书写,"
        " 复核结论: 接受, 复核人: 张三, 复核日期: 2026-12-20}\n"
        f"  - {{问题标识: '{INTRODUCED}', 说明理由: 系统故障, 复核结论: 驳回}}\n"
        "  - {问题标识: 'META001|cityportal|/x.html|', 复核结论: 也许}\n"
        "  - {规则编号: META001, 说明理由: 缺网站}\n", encoding="utf-8")
    result = zwgk("score", "--workspace", str(workspace), "--explanations", str(explanations), "--json")
    assert result.returncode == 0, result.stderr
    assert "第 3 条“复核结论”" in result.stderr and "第 4 条" in result.stderr and "网站编号" in result.stderr
    after = json.loads(result.stdout)
    assert after["basis"]["explanations"]["accepted"] == 1 and after["basis"]["explanations"]["rejected"] == 1
    assert after["basis"]["explanations"]["files"] == [str(explanations)]
    site_before, site_after = before["sites"][0], after["sites"][0]
    assert site_after["deduction_total"] < site_before["deduction_total"]
    assert site_after["findings_count"] == site_before["findings_count"]   # still listed, as 已说明
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    note = db.execute("SELECT confidence, note FROM finding_notes WHERE check_id=2 AND identity=?",
                      (EXPLAINED,)).fetchone()
    assert note[0] == "explained" and "文号按本市规范书写" in note[1] and "张三" in note[1]
    db.close()
    # another profile, no crawl, no new check: the explanation still holds and the basis says so
    result = zwgk("rescore", "--workspace", str(workspace), "--run", "2", "--profile", "province80", "--json")
    assert result.returncode == 0, result.stderr
    rescored = json.loads(result.stdout)
    assert rescored["profile"]["name"] == "province80" and rescored["check_id"] == 2
    assert rescored["basis"]["explanations"]["accepted"] == 1
    assert rescored["basis"]["profile"]["name"] == "province80"
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 2
    assert {r[0] for r in db.execute("SELECT profile_name FROM scores WHERE check_id=2")} == {"gov2019", "province80"}
    db.close()
    # round 1 scored again: the explanation was recorded for round 2, so it does not reach back
    older = json.loads(zwgk("rescore", "--workspace", str(workspace), "--run", "1", "--profile", "gov2019",
                            "--json").stdout)
    assert older["basis"]["explanations"]["accepted"] == 0


def test_history_csv_and_the_round_in_scores_csv(two_rounds):
    tmp_path, _ = two_rounds
    out = tmp_path / f"out-{ROUND2}"
    with (out / "history.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    from reports.history_csv import HISTORY_COLUMNS
    assert list(rows[0]) == [c for c, _ in HISTORY_COLUMNS]
    assert [(r["round"], r["as_of"], r["site_id"]) for r in rows] == [
        (ROUND1, AS_OF.isoformat(), SITE), (ROUND2, AS_OF2.isoformat(), SITE)]
    first, second = rows
    assert first["persisting"] == first["fixed"] == "0" and first["fix_rate"] == ""
    assert int(first["new"]) == int(first["findings"]) >= 20
    # the diff between the rounds: one fixed, one new; the 5xx that did not recur is neither fixed nor open
    assert (second["new"], second["fixed"]) == ("1", "1")
    assert int(second["persisting"]) == int(first["findings"]) - 2
    assert float(second["fix_rate"]) == round(1 / (1 + int(second["persisting"])), 4)
    assert second["score"] and second["profile_name"] == "gov2019"
    with (out / "scores.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert {r["round"] for r in csv.DictReader(fh)} == {ROUND2}


def test_data_dictionary_describes_history_and_diff_columns():
    from reports.history_csv import DICTIONARY, dictionary_table, dictionary_table_in
    from zwgk.core.lookback import DIFF_COLUMNS
    text = DICTIONARY.read_text(encoding="utf-8")
    assert dictionary_table_in(text) == dictionary_table(), \
        "docs/data-dictionary.md is out of date: run `python -m reports.history_csv`"
    diff_section = text[text.index("## diff.csv"):]
    assert [c for c in DIFF_COLUMNS if f"`{c}`" not in diff_section] == []


def test_an_explanation_is_carried_to_the_next_round_while_its_finding_persists(two_rounds, tmp_path):
    _, workspace = two_rounds
    persisting = f"LINK002|{SITE}|/old/2019/notice.html|"
    explanations = tmp_path / "round1.yaml"
    explanations.write_text(
        f"- {{identity: '{persisting}', reason: 旧文已迁移, decision: 接受, reviewer: 李四, date: 2026-11-25}}\n"
        f"- {{identity: '{FIXED}', reason: 已补文号, decision: 接受}}\n", encoding="utf-8")
    first = zwgk("score", "--workspace", str(workspace), "--run", "1", "--explanations", str(explanations), "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["basis"]["explanations"]["accepted"] >= 2
    # round 2 scored without the file: the round-1 explanation of the persisting finding still holds
    second = json.loads(zwgk("rescore", "--workspace", str(workspace), "--run", "2", "--profile", "gov2019",
                             "--json").stdout)
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    explained = {r[0] for r in db.execute("SELECT identity FROM finding_notes WHERE check_id=2"
                                          " AND confidence='explained'")}
    db.close()
    assert persisting in explained
    assert FIXED not in explained and second["basis"]["explanations"]["unmatched"] >= 1


def test_recheck_confirms_what_still_fails_and_drops_what_answers(tmp_path):
    root = tmp_path / "sites"
    _site_copy(root, second_round=False)
    workspace = tmp_path / "ws"
    with FixtureServer(sites_root=root, as_of=AS_OF, sites=[SITE]) as server:
        profiles = server.write_profiles(tmp_path / "profiles")
        result = zwgk("run", *map(str, profiles), "--workspace", str(workspace), "--as-of", AS_OF.isoformat(),
                      "--round", ROUND1, "--out", str(tmp_path / "out"), "--no-pdf")
        assert result.returncode == 0, result.stderr[-3000:]
        # the office repairs its counter script after the round: it answers 200 from now on
        (root / SITE / "www/interface").mkdir(exist_ok=True)
        (root / SITE / "www/interface/count.jsp").write_text("<html><body>1024</body></html>", encoding="utf-8")
        server.set_route(SITE, "/interface/count.jsp", None)
        result = zwgk("recheck", "--workspace", str(workspace))
        _recheck_with_the_stored_profile(workspace, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "已恢复" in result.stdout and "仍无法访问" in result.stdout
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    rechecked = {url.split("/", 3)[3]: outcome for url, outcome in db.execute("SELECT url, outcome FROM rechecks")}
    assert rechecked == {"interface/count.jsp": "ok", "media/slow.mp4": "suspected", "slow.html": "suspected"}
    notes = {identity: (confidence, note) for identity, confidence, note in db.execute(
        "SELECT identity, confidence, note FROM finding_notes WHERE check_id=1")}
    assert notes[GONE_5XX][0] == "dropped" and "不予认定" in notes[GONE_5XX][1]
    assert notes[TIMEOUT][0] == "confirmed" and "复查仍无法访问" in notes[TIMEOUT][1]
    basis = json.loads(db.execute("SELECT basis FROM scores WHERE check_id=1 LIMIT 1").fetchone()[0])
    assert basis["recheck"] == {"confirmed": 2, "dropped": 1}
    db.close()


def _recheck_with_the_stored_profile(workspace, tmp_path):
    """(While the site is still served.) The check scored with the evaluator's own profile file, which is then edited:
    a recheck re-scores with the profile and thresholds the check was scored with (stored with its scores), and
    --profile with another one; the report says which profile and which explanations the scores rest on."""
    from scoring.profile import PROFILES_DIR, load_profile
    own = tmp_path / "市级指标.yaml"
    own.write_text((PROFILES_DIR / "gov2019.yaml").read_text(encoding="utf-8")
                   .replace("name: gov2019", "name: 示例市2026").replace("pass_line: 60 ", "pass_line: 50 ")
                   .replace("{name: 合格, min: 60}", "{name: 合格, min: 50}"),
                   encoding="utf-8")
    original = load_profile(own)
    assert original.pass_line == 50
    assert zwgk("score", "--workspace", str(workspace), "--profile", str(own)).returncode == 0
    own.write_text(own.read_text(encoding="utf-8").replace("threshold: 80 ", "threshold: 85 "), encoding="utf-8")
    assert load_profile(own).hash != original.hash
    again = zwgk("recheck", "--workspace", str(workspace))
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"已按“示例市2026”（沿用上次评分所用的指标表，哈希 {original.hash}）" in again.stdout
    own.unlink()   # gone altogether: the stored content still serves
    gone = zwgk("recheck", "--workspace", str(workspace))
    assert gone.returncode == 0, gone.stderr[-3000:]
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    assert db.execute("SELECT DISTINCT profile_hash FROM scores WHERE profile_name='示例市2026'").fetchall() == [
        (original.hash,)]
    db.close()
    report = zwgk("report", "--workspace", str(workspace), "--out", str(tmp_path / "report"), "--no-pdf")
    assert report.returncode == 0, report.stderr[-3000:]
    html = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert f"（示例市2026，哈希 <code>{original.hash}</code>）" in html and "低于 50 分为不合格" in html
    assert "未使用情况说明" in html and "复查（zwgk recheck）确认 2 条、不予认定 1 条" in html
    named = zwgk("recheck", "--workspace", str(workspace), "--profile", "gov2019")
    assert named.returncode == 0, named.stderr[-3000:]
    assert "已按“gov2019”（--profile 指定" in named.stdout
    wrong = zwgk("recheck", "--workspace", str(workspace), "--profile", "没有这个指标表")
    assert wrong.returncode != 0 and "没有这个指标表" in wrong.stderr and "复查运行" not in wrong.stdout


@pytest.fixture
def browser(chromium):
    pytest.importorskip("datasette")
    return chromium


def test_browse_serves_the_workspace_read_only_with_chinese_labels_and_queries(two_rounds, browser, tmp_path):
    import os
    import signal
    import socket
    import urllib.error
    import urllib.request

    _, workspace = two_rounds
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "zwgk.cli", "browse", "--workspace", str(workspace),
                               "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        import time
        deadline = time.monotonic() + 180   # a generous bound, not a speed claim: a busy machine starts slowly
        while True:   # until Datasette answers (or the process has died)
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=10).close()
                break
            except (urllib.error.URLError, OSError):
                assert server.poll() is None, server.stderr.read().decode()[-2000:]
                assert time.monotonic() < deadline, "Datasette never answered"
                time.sleep(0.1)
        browser.open(base + "/zwgk")
        text = browser.evaluate("document.body.innerText")
        assert "评估数据" in text and "各单位未整改的问题" in text and "待复核的情况说明" in text
        browser.events.clear()   # the helper waits for a load event: forget the previous page's
        browser.open(base + "/zwgk/findings")
        text = browser.evaluate("document.body.innerText")
        assert "问题" in browser.evaluate("document.querySelector('h1').innerText")
        assert "office" in text and "示例市人民政府办公室" in text   # the office facet with its value
        # 回头看 exactly as `zwgk diff` gives it (本轮未评估 is never shown as 已整改)
        browser.events.clear()
        browser.open(base + "/lookback")
        assert "回头看（与 zwgk diff 相同）" in browser.evaluate("document.body.innerText")
        browser.events.clear()
        browser.open(base + "/lookback/diff?_size=max")
        assert "回头看：相邻两轮逐条比对" in browser.evaluate("document.querySelector('h1').innerText")
        assert "状态（新发现" in browser.evaluate("document.body.innerText")   # the facet's Chinese label
        rows = browser.evaluate("[...document.querySelectorAll('table.rows-and-columns tbody tr')]"
                                ".map(tr => tr.querySelector('td.col-status_label').innerText.trim())")
        expected = json.loads(_diff(workspace, "--format", "json").stdout)["findings"]
        assert sorted(rows) == sorted(r["status_label"] for r in expected)
        assert rows.count("新发现") == 1 and rows.count("已整改") == 1 and "未复现（疑似问题不予认定）" in rows
        # read-only: a statement that writes is refused
        with urllib.request.urlopen(base + "/zwgk.json?sql=" + urllib.request.quote("DELETE FROM runs")) as r:
            raise AssertionError(f"a DELETE was accepted: {r.status}")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    db.close()


def _sheet_rows(path, sheet):
    import openpyxl
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_the_report_looks_back_and_the_issue_lists_say_what_was_fixed(two_rounds, tmp_path):
    base, workspace = two_rounds
    office = "示例市人民政府办公室"
    # round 1 has nothing to look back on: no 回头看 chapter, every row 首次评估
    first = base / f"out-{ROUND1}"
    assert 'id="lookback"' not in (first / "report.html").read_text(encoding="utf-8")
    assert {r["状态"] for r in _sheet_rows(first / "issues" / f"{office}.xlsx", "问题清单")} == {"首次评估"}
    # round 2, with an accepted explanation, reported again
    explanations = tmp_path / "说明.yaml"
    explanations.write_text(f"- {{问题标识: '{EXPLAINED}', 说明理由: 文号按本市规范书写, 复核结论: 接受}}\n",
                            encoding="utf-8")
    scored = zwgk("score", "--workspace", str(workspace), "--run", "2", "--profile", "gov2019",
                  "--explanations", str(explanations))
    assert scored.returncode == 0, scored.stderr
    out = tmp_path / "report2"
    result = zwgk("report", "--workspace", str(workspace), "--run", "2", "--out", str(out), "--no-pdf")
    assert result.returncode == 0, result.stderr
    diff = json.loads(_diff(workspace, "--format", "json").stdout)
    persisting = sum(r["status"] == "persisting" for r in diff["findings"])
    html = (out / "report.html").read_text(encoding="utf-8")
    chapter = html[html.index('<section id="lookback"'):html.index("</section>", html.index('<section id="lookback"'))]
    assert "七、回头看（整改情况）" in chapter and f"与上一轮（{ROUND1}）比对" in chapter
    assert f"未整改 {persisting} 个，已整改 1 个，新发现 1 个" in chapter
    assert "1 个上轮疑似问题本轮未复现" in chapter
    rate = f"{1 / (1 + persisting) * 100:.1f}%"
    assert f"<td>{office}</td><td class=\"num\">{persisting}</td><td class=\"num\">1</td><td class=\"num\">1</td>" \
        in chapter and rate in chapter
    statuses = [s.split("<td>", 1)[1].split("</td>", 1)[0] for s in chapter.split('<tr class="status-')[1:]]
    assert statuses == ["未整改"] * persisting + ["新发现", "已整改"]   # persisting problems first
    # the issue list: 状态 per row, the fixed finding in its own sheet, the explained one at 0 points
    lists = out / "issues" / f"{office}.xlsx"
    rows = _sheet_rows(lists, "问题清单")
    by_url = {}
    for r in rows:
        by_url.setdefault(r["页面URL"] or "", []).append(r)
    introduced = [r for url, rs in by_url.items() if url.endswith("/zcwj/content_1075.html") for r in rs
                  if r["问题类型"] == by_url[url][0]["问题类型"]]
    assert {r["状态"] for r in rows} == {"新发现", "未整改"}
    assert "新发现" in {r["状态"] for r in introduced}
    assert [r["状态"] for url, rs in by_url.items() if url.endswith("/media/slow.mp4") for r in rs] == ["未整改"]
    explained = [r for url, rs in by_url.items() if url.endswith("/zcwj/content_1076.html") for r in rs
                 if "已说明" in r["严重程度"]]
    assert len(explained) == 1 and explained[0]["扣分（封顶前）"] == 0 and explained[0]["计入扣分"] == 0
    assert "文号按本市规范书写" in explained[0]["问题描述"]
    fixed = _sheet_rows(lists, "已整改")
    assert [(r["问题标识"], r["上轮"]) for r in fixed] == [(FIXED, ROUND1)]
    with (out / "issues" / f"{office}-已整改.csv").open(encoding="utf-8-sig", newline="") as fh:
        assert [r["问题标识"] for r in csv.DictReader(fh)] == [FIXED]


def test_the_report_shows_the_trend_over_the_rounds_in_chromium_and_in_the_pdf(two_rounds, browser, tmp_path):
    import re
    import shutil

    base, workspace = two_rounds
    # round 1's report has no trend (nothing before it) even now that round 2 exists
    first = tmp_path / "report1"
    assert zwgk("report", "--workspace", str(workspace), "--run", "1", "--out", str(first), "--no-pdf").returncode == 0
    assert 'id="trends"' not in (first / "report.html").read_text(encoding="utf-8")
    out = tmp_path / "report2"
    result = zwgk("report", "--workspace", str(workspace), "--run", "2", "--out", str(out))
    assert result.returncode == 0, result.stderr
    with (out / "history.csv").open(encoding="utf-8-sig", newline="") as fh:
        history = list(csv.DictReader(fh))
    assert [h["round"] for h in history] == [ROUND1, ROUND2]
    # open problems per round, independently: the findings of each round by identity, without review items and
    # accepted explanations
    db = sqlite3.connect(workspace / "zwgk.sqlite3")
    explained = {(c, i) for c, i in db.execute("SELECT check_id, identity FROM finding_notes"
                                                " WHERE confidence IN ('explained', 'dropped')")}
    db.close()
    opened = []
    for to in (ROUND1, ROUND2):
        data = json.loads(_diff(workspace, "--to", to, "--format", "json").stdout)
        check = int(next(h["check_id"] for h in history if h["round"] == to))
        opened.append(len({r["identity"] for r in data["findings"] if r["status"] in ("new", "persisting")
                           and r["confidence"] != "review" and (check, r["identity"]) not in explained}))
    assert opened[0] > 0

    browser.open((out / "report.html").resolve().as_uri())
    text = browser.evaluate("document.body.innerText")
    assert "八、历次评估趋势" in text and "各网站得分" in text and "各责任单位未整改问题数" in text
    assert browser.evaluate("[...document.querySelectorAll('nav.toc a')].some(a => a.hash === '#trends')")
    rounds = browser.evaluate("[...document.querySelectorAll('#trend-rounds tbody tr')]"
                              ".map(tr => [...tr.cells].map(td => td.innerText.trim()))")
    assert [r[0] for r in rounds] == [ROUND1, ROUND2]
    for row, h, n in zip(rounds, history, opened):
        assert row[1] == h["as_of"] and row[2] == h["profile_name"] and row[3] == "1" and row[6] == str(n)
        assert row[4] == ("100.0%（1/1）" if h["passed"] == "1" else "0.0%（0/1）" if h["passed"] == "0" else "—（0/0）")
    site = browser.evaluate("[...document.querySelectorAll('table.trend-sites tbody tr')]"
                            ".map(tr => [...tr.cells].map(td => td.innerText.trim()))")
    assert len(site) == 1 and site[0][0] == history[-1]["site_name"]
    assert [float(c.split()[0]) for c in site[0][2:4]] == [float(h["score"]) for h in history]
    office = browser.evaluate("[...document.querySelectorAll('table.trend-offices tbody tr')]"
                              ".map(tr => [...tr.cells].map(td => td.innerText.trim()))")
    assert office == [[history[-1]["site_name"], "示例市人民政府办公室", "", str(opened[0]), str(opened[1]),
                       f"{opened[1] - opened[0]:+d}" if opened[1] != opened[0] else "0"]]
    # one chart of the rounds and one small line per site and per office, drawn inline with every point
    assert browser.evaluate("document.querySelectorAll('#trends svg.chart').length") == 3
    assert browser.evaluate("document.querySelectorAll('#trends svg.spark polyline').length") == 2
    assert browser.evaluate("document.querySelector('#trends figure svg').getBoundingClientRect().width") > 300
    label = browser.evaluate("document.querySelector('table.trend-offices svg').getAttribute('aria-label')")
    assert f"{ROUND1} {opened[0]}；{ROUND2} {opened[1]}" in label
    assert browser.problems() == []

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = subprocess.run(["pdftotext", "-layout", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    chapter = pdf[pdf.rindex("八、历次评估趋势"):]
    assert "各网站得分" in chapter and "各责任单位未整改问题数" in chapter
    line = next(l for l in chapter.splitlines() if "示例市人民政府办公室" in l)
    assert re.findall(r"\d+", line.split("示例市人民政府办公室", 1)[1])[:2] == [str(opened[0]), str(opened[1])]
    for h in history:
        assert re.search(rf"{re.escape(h['round'])}\s+{h['as_of']}\s+{h['profile_name']}", chapter)
