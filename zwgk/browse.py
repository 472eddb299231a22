"""The workspace in Datasette: Chinese labels, facets and canned queries (回头看, persisting problems, pending
explanations), read-only unless editing of explanations is turned on."""

from __future__ import annotations

import json
from pathlib import Path

from zwgk.core.store import Store

DATABASE = "zwgk"    # the name the database is served under (/zwgk/findings …)

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


def _diff_sql(before: str, after: str) -> str:
    return (f"WITH a AS ({_keyed(before)}), b AS ({_keyed(after)})"
            " SELECT b.site_id AS 网站, b.office AS 责任单位, CASE WHEN a.identity IS NULL THEN '新发现'"
            " ELSE '未整改' END AS 状态, b.code AS 规则, b.url AS 地址, b.message AS 问题, b.identity AS 问题标识"
            " FROM b LEFT JOIN a ON a.identity = b.identity"
            " UNION ALL SELECT a.site_id, a.office, CASE WHEN a.confidence = 'suspected' THEN '未复现（不予认定）'"
            " ELSE '已整改' END, a.code, a.url, a.message, a.identity FROM a"
            " WHERE a.identity NOT IN (SELECT identity FROM b)"
            " ORDER BY 网站, 责任单位, 状态 DESC, 规则")


QUERIES: dict[str, dict] = {
    "lookback": dict(
        title="回头看：最新一轮与上一轮",
        description="最新一轮每个问题是新发现还是未整改，上一轮的问题是否已整改（“本轮未评估”等细分见 zwgk diff）",
        sql=_diff_sql(_PREVIOUS, _LATEST)),
    "lookback_runs": dict(
        title="回头看：任选两次运行",
        description="填入两次运行的编号（from_run 在前，to_run 在后）",
        sql=_diff_sql(":from_run", ":to_run")),
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
        "databases": {DATABASE: {"title": "评估数据", "tables": tables, "queries": queries}},
    }


def datasette_command(workspace: str | Path, port: int, metadata_path: Path, host: str = "127.0.0.1") -> list[str]:
    """The `datasette serve` command line for a workspace (the database opened read-only unless editing is on)."""
    import sys
    db = Path(workspace) / Store.FILENAME
    return [sys.executable, "-m", "datasette", "serve", f"{db}", "--host", host, "--port", str(port),
            "--metadata", str(metadata_path), "--setting", "default_page_size", "50",
            "--setting", "sql_time_limit_ms", "5000", "--setting", "allow_download", "off"]


def write_metadata(path: Path, edit_explanations: bool = False) -> Path:
    path.write_text(json.dumps(metadata(edit_explanations), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
