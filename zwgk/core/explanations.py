"""Offices' explanations of findings (申诉/复核) read from YAML or a spreadsheet, with an error per bad row or field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from zwgk.core.config import ConfigError
from zwgk.core.identity import finding_identity
from zwgk.core.safe_yaml import load_yaml

ACCEPTED, REJECTED, PENDING = "接受", "驳回", ""
DECISIONS = {"接受": ACCEPTED, "采纳": ACCEPTED, "accept": ACCEPTED, "accepted": ACCEPTED,
             "驳回": REJECTED, "不采纳": REJECTED, "reject": REJECTED, "rejected": REJECTED,
             "": PENDING, "待定": PENDING, "待复核": PENDING, "pending": PENDING}

# field -> the names it is known by, as a YAML key or a spreadsheet header (the first Chinese one is printed)
FIELDS: dict[str, tuple[str, ...]] = {
    "identity": ("问题标识", "identity"),
    "code": ("规则编号", "规则", "code", "rule"),
    "site_id": ("网站编号", "网站", "site", "site_id"),
    "url": ("问题地址", "网址", "地址", "url"),
    "field": ("要素", "field"),
    "office": ("责任单位", "单位", "office"),
    "reason": ("说明理由", "说明", "理由", "reason"),
    "evidence_url": ("佐证地址", "佐证材料", "佐证", "evidence_url"),
    "decision": ("复核结论", "结论", "decision"),
    "reviewer": ("复核人", "reviewer"),
    "decided_on": ("复核日期", "日期", "date", "decided_on"),
}
_KEY_OF = {name.lower(): key for key, names in FIELDS.items() for name in names}


@dataclass(frozen=True)
class Explanation:
    """One row: the finding it answers (identity, or rule + site + URL + field) and the evaluator's decision."""

    identity: str
    site_id: str
    office: str
    reason: str
    evidence_url: str
    decision: str        # 接受 | 驳回 | '' (pending)
    reviewer: str
    decided_on: str      # ISO date or ''
    source: str          # file and row, for messages


def load_explanations(path: str | Path, hosts_by_site: dict[str, frozenset[str]] | None = None
                      ) -> tuple[list[Explanation], list[str]]:
    """The valid rows of an explanations file and a message per row or field that could not be read.

    A row names its finding by `问题标识` (the identity printed in issue lists and `zwgk diff`) or by
    规则编号 + 网站编号 + 问题地址 (+ 要素); the URL is normalised with the site's hosts (any port or alias)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}：说明文件不存在")
    if path.suffix.lower() in (".yaml", ".yml"):
        records = _yaml_records(path)
    else:
        from zwgk.core.sheets import read_tables
        tables, notes = read_tables(path, FIELDS, ("decision",), "情况说明表")
        records = [(table.where(row.number), dict(row.values)) for table in tables for row in table.rows]
        records = [(where, values) for where, values in records] + [(note, None) for note in notes]
    out, errors = [], []
    seen: dict[str, str] = {}
    for where, values in records:
        if values is None:
            errors.append(where)
            continue
        item, problem = _explanation(where, values, hosts_by_site or {})
        if problem:
            errors.append(problem)
            continue
        if item.identity in seen:
            errors.append(f"{where}：与 {seen[item.identity]} 是同一问题，以后者为准")
        seen[item.identity] = where
        out.append(item)
    latest = {e.identity: e for e in out}   # a later row on the same finding wins
    return list(latest.values()), errors


def _yaml_records(path: Path) -> list[tuple[str, dict | None]]:
    try:
        data = load_yaml(path.read_text(encoding="utf-8"), str(path))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}：无法读取 YAML：{exc}") from None
    if isinstance(data, dict):
        data = data.get("explanations", data.get("说明"))
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError(f"{path}：应为说明条目的列表（或 explanations: 下的列表）")
    records: list[tuple[str, dict | None]] = []
    for n, item in enumerate(data, start=1):
        where = f"{path} 第 {n} 条"
        if not isinstance(item, dict):
            records.append((f"{where}：应为键值对（问题标识、说明理由、复核结论 …）", None))
            continue
        values, unknown = {}, []
        for key, value in item.items():
            field = _KEY_OF.get(str(key).strip().lower())
            if field is None:
                unknown.append(str(key))
                continue
            values[field] = "" if value is None else (value.isoformat() if isinstance(value, date) else str(value))
        if unknown:
            records.append((f"{where}：未知字段 {'、'.join(unknown)}，已忽略", None))
        records.append((where, values))
    return records


def _explanation(where: str, values: dict, hosts_by_site: dict[str, frozenset[str]]
                 ) -> tuple[Explanation | None, str]:
    v = {k: str(values.get(k, "") or "").strip() for k in FIELDS}
    decision = DECISIONS.get(v["decision"].lower())
    if decision is None:
        return None, f"{where}“复核结论”：{v['decision']!r} 应为 接受、驳回 或留空（待复核）"
    identity = v["identity"]
    if identity:
        parts = identity.split("|")
        if len(parts) != 4 or not parts[0] or not parts[1]:
            return None, f"{where}“问题标识”：{identity!r} 应为 规则|网站|地址|要素（见问题清单或 zwgk diff）"
        site_id = parts[1]
    else:
        missing = [FIELDS[k][0] for k in ("code", "site_id", "url") if not v[k]]
        if missing:
            return None, f"{where}：缺少“问题标识”，也缺少 {'、'.join(missing)}，无法对应到问题"
        site_id = v["site_id"]
        identity = finding_identity(dict(code=v["code"], site_id=site_id, url=v["url"],
                                         evidence={"field": v["field"]}), hosts_by_site.get(site_id, frozenset()))
    if v["decided_on"]:
        try:
            v["decided_on"] = date.fromisoformat(v["decided_on"][:10]).isoformat()
        except ValueError:
            return None, f"{where}“复核日期”：{v['decided_on']!r} 应为 YYYY-MM-DD"
    return Explanation(identity=identity, site_id=site_id, office=v["office"], reason=v["reason"],
                       evidence_url=v["evidence_url"], decision=decision, reviewer=v["reviewer"],
                       decided_on=v["decided_on"], source=where), ""


def save_explanations(store, items: list[Explanation], run_id: int) -> int:
    """Record explanations in the workspace; one already recorded keeps the run it was first scored with."""
    from zwgk.core.store import now_iso
    stamp = now_iso()
    with store.transaction() as db:
        for e in items:
            db.execute(
                "INSERT INTO explanations (identity, office, reason, evidence_url, decision, reviewer, decided_on,"
                " source, run_id, loaded_at) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT(identity) DO UPDATE SET"
                " office=excluded.office, reason=excluded.reason, evidence_url=excluded.evidence_url,"
                " decision=excluded.decision, reviewer=excluded.reviewer, decided_on=excluded.decided_on,"
                " source=excluded.source, loaded_at=excluded.loaded_at",
                (e.identity, e.office, e.reason, e.evidence_url, e.decision, e.reviewer, e.decided_on, e.source,
                 run_id, stamp))
    return len(items)
