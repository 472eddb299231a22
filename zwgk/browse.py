"""The workspace in Datasette: Chinese labels, facets and canned queries (回头看, persisting problems, pending
explanations), read-only unless editing of explanations is turned on."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from zwgk.core.store import Store

DATABASE = "zwgk"    # the name the database is served under (/zwgk/findings …)
# 回头看 as `zwgk diff` computes it (new / persisting / fixed / not assessed / dropped), written at start into a
# database of its own beside the workspace's: SQL over the store alone cannot tell 已整改 from 本轮未评估.
LOOKBACK_DATABASE = "lookback"
LOOKBACK_TABLE = "diff"
LOOKBACK_LABELS = dict(
    from_round="上一轮", to_round="本轮", site_id="网站编号", office="责任单位", status="状态键",
    status_label="状态（新发现 / 未整改 / 已整改 / 未复现 / 本轮未评估）", rounds="连续出现轮数", code="规则编号",
    indicator="指标", severity="严重程度", confidence="可信度", url="问题地址", message="问题描述",
    identity="问题标识（规则|网站|地址|要素）", note="备注（未评估原因、已说明理由等）")

TABLES: dict[str, dict] = {
    "findings": dict(
        title="问题", description="每次检查发现的问题（规则、指标、网站、责任单位、地址、问题描述、可信度）",
        facets=["site_id", "office", "code", "severity", "confidence", "check_id"], sort_desc="check_id",
        columns=dict(check_id="检查编号", run_id="运行编号", code="规则编号", indicator="指标", severity="严重程度"
                     "（veto 否决 / deduct 扣分 / warn 提示）", site_id="网站编号", office="责任单位",
                     column_name="栏目", url="问题地址", parent_url="所在页面", title="标题", message="问题描述",
                     evidence="证据（JSON）", confidence="可信度（confirmed 确认 / suspected 疑似 / review 待人工复核）",
                     count="代表的实例数", as_of="评估基准日")),
    "finding_notes": dict(
        title="问题评分状态", description="评分时每个问题的问题标识、计分所用可信度（explained 已说明、"
                                          "confirmed 复现确认、dropped 复查不予认定）及说明",
        facets=["confidence", "check_id"],
        columns=dict(check_id="检查编号", seq="问题序号", identity="问题标识（规则|网站|地址|要素）",
                     confidence="计分所用可信度", note="说明")),
    "explanations": dict(
        title="情况说明（申诉/复核）", description="各单位对问题的情况说明及复核结论",
        facets=["decision", "office", "reviewer"],
        columns=dict(identity="问题标识", office="责任单位", reason="说明理由", evidence_url="佐证地址",
                     decision="复核结论（接受 / 驳回 / 空 = 待复核）", reviewer="复核人", decided_on="复核日期",
                     source="来源文件", run_id="首次评分的运行", loaded_at="读入时间")),
    "rounds": dict(
        title="评估轮次", description="每个评估轮次的名称、评估基准日、指标表和网站",
        columns=dict(name="轮次", as_of="评估基准日", profile="评分指标表", sites="网站（JSON）",
                     created_at="建立时间", note="备注")),
    "runs": dict(
        title="运行", description="每次抓取（快照）", facets=["round_name", "status"],
        columns=dict(run_id="运行编号", as_of="评估基准日", started_at="开始", finished_at="结束", status="状态",
                     round_name="所属轮次")),
    "run_sites": dict(title="运行中的网站", facets=["status", "kind"],
                      columns=dict(site_id="网站编号", name="网站名称", office="主办单位", status="抓取状态")),
    "scores": dict(title="评分", description="每次检查在某指标表下的得分行（data 为 JSON）；basis 为评分依据",
                   facets=["profile_name", "check_id", "site_id"],
                   columns=dict(profile_name="评分指标表", basis="评分依据（说明、复现确认、复查）")),
    "rule_outcomes": dict(title="规则评估情况", facets=["status", "site_id", "code"]),
    "resources": dict(title="链接与资源", facets=["outcome", "run_id"]),
    "rechecks": dict(title="复查结果", facets=["outcome", "run_id"]),
    "columns": dict(title="栏目", facets=["cls", "site_id", "assessable"]),
    "pages": dict(title="页面", facets=["kind", "site_id", "status"]),
    "checks": dict(title="检查"),
    "crawl_events": dict(title="抓取事件", facets=["level", "site_id"]),
}

# The newest run that has a finished check, and the run of the round before it (another round, or an earlier run).
_LATEST = ("(SELECT MAX(run_id) FROM checks WHERE finished_at IS NOT NULL)")
_PREVIOUS = ("(SELECT MAX(r.run_id) FROM runs r WHERE r.run_id < {latest}"
             " AND EXISTS (SELECT 1 FROM checks c WHERE c.run_id = r.run_id AND c.finished_at IS NOT NULL)"
             " AND (COALESCE(r.round_name, '') = '' OR r.round_name !="
             " (SELECT COALESCE(round_name, '') FROM runs WHERE run_id = {latest})))").format(latest=_LATEST)


def _keyed(run: str) -> str:
    """Findings of a run's newest check with their identity (rows written when the check was scored)."""
    return ("SELECT n.identity, f.site_id, f.office, f.code, f.message, f.url, f.confidence FROM finding_notes n"
            " JOIN findings f ON f.check_id = n.check_id AND f.seq = n.seq"
            f" WHERE n.check_id = (SELECT MAX(check_id) FROM checks WHERE run_id = {run} AND finished_at IS NOT NULL)")


QUERIES: dict[str, dict] = {
    "persisting_by_office": dict(
        title="各单位未整改的问题",
        description="最新一轮中上一轮已有的问题，按责任单位统计",
        sql=(f"WITH a AS ({_keyed(_PREVIOUS)}), b AS ({_keyed(_LATEST)})"
             " SELECT b.site_id AS 网站, b.office AS 责任单位, COUNT(*) AS 未整改问题数,"
             " GROUP_CONCAT(b.code, '、') AS 规则 FROM b WHERE b.identity IN (SELECT identity FROM a)"
             " GROUP BY b.site_id, b.office ORDER BY 未整改问题数 DESC")),
    "pending_explanations": dict(
        title="待复核的情况说明",
        description="已提交、尚未给出复核结论（接受/驳回）的情况说明",
        sql=("SELECT office AS 责任单位, identity AS 问题标识, reason AS 说明理由, evidence_url AS 佐证地址,"
             " source AS 来源, loaded_at AS 读入时间 FROM explanations WHERE decision = '' ORDER BY office")),
}

EDIT_QUERY = dict(
    title="填写复核结论",
    description="为一个问题标识记下复核结论（接受/驳回）、复核人和日期；之后运行 zwgk score 生效",
    sql=("UPDATE explanations SET decision = :decision, reviewer = :reviewer, decided_on = :decided_on"
         " WHERE identity = :identity AND :decision IN ('接受', '驳回', '')"),
    write=True, on_success_message="已记录复核结论")


def metadata(edit_explanations: bool = False) -> dict:
    """Datasette metadata: Chinese titles and column labels, facets, canned queries."""
    tables = {}
    for name, spec in TABLES.items():
        entry = {"title": spec["title"]}
        if spec.get("description"):
            entry["description"] = spec["description"]
        if spec.get("facets"):
            entry["facets"] = spec["facets"]
        if spec.get("sort_desc"):
            entry["sort_desc"] = spec["sort_desc"]
        if spec.get("columns"):
            entry["columns"] = spec["columns"]
        tables[name] = entry
    queries = dict(QUERIES)
    if edit_explanations:
        queries["set_decision"] = EDIT_QUERY
    return {
        "title": "zwgk 政务公开评估工作区",
        "description": "评估轮次、问题、评分、回头看与情况说明（只读浏览；CSV/JSON 可在每个表格页导出）",
        "databases": {
            DATABASE: {"title": "评估数据", "tables": tables, "queries": queries},
            LOOKBACK_DATABASE: {"title": "回头看（与 zwgk diff 相同）", "tables": {LOOKBACK_TABLE: dict(
                title="回头看：相邻两轮逐条比对",
                description="每一轮与其上一轮相比，每个问题是新发现、未整改、已整改、未复现（疑似问题不予认定）"
                            "还是本轮未评估（未抓取到该页面、未运行该规则等，不算已整改）；最新一轮在前",
                facets=["to_round", "site_id", "office", "status_label", "code", "severity"],
                columns=LOOKBACK_LABELS)}},
        },
    }


def write_lookback(store: Store, path: Path) -> int:
    """Every round diffed against the one before it by `compute_diff` into <path>, newest first; rows written."""
    from zwgk.core.history import history
    from zwgk.core.lookback import DIFF_COLUMNS, compute_diff

    points = history(store)
    db = sqlite3.connect(path)
    try:
        columns = ("from_round", "to_round", *DIFF_COLUMNS)
        db.execute(f"CREATE TABLE {LOOKBACK_TABLE} ({', '.join(c + ' TEXT' for c in columns)})")
        n = 0
        for before, after in reversed(list(zip(points, points[1:]))):
            diff = compute_diff(store, before.run_id, after.run_id)
            rows = [(before.label, after.label, *(row[c] for c in DIFF_COLUMNS)) for row in diff.as_dicts()]
            db.executemany(f"INSERT INTO {LOOKBACK_TABLE} VALUES ({', '.join('?' * len(columns))})", rows)
            n += len(rows)
        db.commit()
        return n
    finally:
        db.close()


def datasette_command(workspace: str | Path, port: int, metadata_path: Path, host: str = "127.0.0.1",
                      lookback: Path | None = None) -> list[str]:
    """The `datasette serve` command line for a workspace (the database opened read-only unless editing is on) and
    its 回头看 database (`write_lookback`)."""
    import sys
    db = Path(workspace) / Store.FILENAME
    extra = [str(lookback)] if lookback else []
    return [sys.executable, "-m", "datasette", "serve", f"{db}", *extra, "--host", host, "--port", str(port),
            "--metadata", str(metadata_path), "--setting", "default_page_size", "50",
            "--setting", "sql_time_limit_ms", "5000", "--setting", "allow_download", "off"]


def write_metadata(path: Path, edit_explanations: bool = False) -> Path:
    path.write_text(json.dumps(metadata(edit_explanations), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
