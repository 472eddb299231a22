"""A workspace's rounds in order and each one's findings keyed by identity: what 回头看 and scoring compare."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from zwgk.core.identity import finding_identity, site_hosts
from zwgk.core.store import Store, StoreError


@dataclass(frozen=True)
class RoundPoint:
    """One point of the history: a round (its newest checked run) or a run that belongs to no round."""

    label: str          # the round name, or "运行 N" for a run outside any round
    round_name: str     # '' for a run outside any round
    run_id: int
    check_id: int
    as_of: str


def history(store: Store) -> list[RoundPoint]:
    """Every round and every run outside a round that has a finished check, oldest first.

    A round run several times (a re-run after a failed crawl) counts once, by its newest run with a finished
    check; points are ordered by as-of date, then run id."""
    rows = store.db.execute(
        "SELECT r.run_id, r.as_of, COALESCE(r.round_name, '') AS round_name, MAX(c.check_id) AS check_id"
        " FROM runs r JOIN checks c ON c.run_id = r.run_id AND c.finished_at IS NOT NULL"
        " GROUP BY r.run_id ORDER BY r.run_id").fetchall()
    newest: dict[str, RoundPoint] = {}
    for row in rows:
        name = row["round_name"]
        key = name or f"#{row['run_id']}"
        newest[key] = RoundPoint(label=name or f"运行 {row['run_id']}", round_name=name, run_id=int(row["run_id"]),
                                 check_id=int(row["check_id"]), as_of=row["as_of"])
    return sorted(newest.values(), key=lambda p: (p.as_of, p.run_id))


def resolve(store: Store, ref: str | int | None) -> RoundPoint:
    """A round name or a run id (as text or int) as a history point; None = the newest point."""
    points = history(store)
    if not points:
        raise StoreError(f"{store.path}: 还没有完成检查的运行；请先运行 `zwgk run` 或 `zwgk crawl` + `zwgk check`")
    if ref is None:
        return points[-1]
    text = str(ref).strip()
    for point in points:
        if point.round_name and point.round_name == text:
            return point
    if text.isdigit():
        run_id = int(text)
        check = store.db.execute("SELECT MAX(check_id) AS c, (SELECT as_of FROM runs WHERE run_id=?) AS as_of,"
                                 " (SELECT COALESCE(round_name,'') FROM runs WHERE run_id=?) AS rn"
                                 " FROM checks WHERE run_id=? AND finished_at IS NOT NULL",
                                 (run_id, run_id, run_id)).fetchone()
        if check is not None and check["c"] is not None:
            return RoundPoint(label=check["rn"] or f"运行 {run_id}", round_name=check["rn"], run_id=run_id,
                              check_id=int(check["c"]), as_of=check["as_of"])
        raise StoreError(f"{store.path}: 运行 {run_id} 没有完成的检查")
    names = ", ".join(p.round_name for p in points if p.round_name) or "无"
    raise StoreError(f"{store.path}: 没有名为 {text!r} 的轮次（已有轮次：{names}），也不是运行编号")


def previous(store: Store, point: RoundPoint) -> RoundPoint | None:
    """The history point just before `point` (another round or run), or None for the first."""
    earlier = [p for p in history(store) if (p.as_of, p.run_id) < (point.as_of, point.run_id)
               and not (point.round_name and p.round_name == point.round_name)]
    return earlier[-1] if earlier else None


def hosts_by_site(store: Store, run_id: int) -> dict[str, frozenset[str]]:
    return {row["site_id"]: site_hosts(row["profile_json"]) for row in store.sites(run_id)}


def _identified_findings(store: Store, check_id: int) -> Iterator[tuple[str, dict]]:
    """Each finding of a check with its identity across rounds, one at a time."""
    check = store.db.execute("SELECT run_id FROM checks WHERE check_id=?", (check_id,)).fetchone()
    if check is None:
        raise StoreError(f"{store.path}: no check {check_id}")
    hosts = hosts_by_site(store, int(check["run_id"]))
    for finding in store.iter_findings(check_id):
        yield finding_identity(finding, hosts.get(finding["site_id"], frozenset())), finding


def keyed_findings(store: Store, check_id: int) -> dict[str, list[dict]]:
    """The findings of a check grouped by identity (two findings may share one: a rule's repeated evidence)."""
    out: dict[str, list[dict]] = {}
    for key, finding in _identified_findings(store, check_id):
        out.setdefault(key, []).append(finding)
    return out


def identities_by_site(store: Store, check_id: int) -> dict[str, set[str]]:
    """The identities of a check's findings per site, without holding the findings (keyed_findings holds them all)."""
    out: dict[str, set[str]] = {}
    for key, finding in _identified_findings(store, check_id):
        out.setdefault(finding["site_id"], set()).add(key)
    return out


def identities(store: Store, check_id: int) -> set[str]:
    return set(keyed_findings(store, check_id))


def outcome_status(store: Store, check_id: int) -> dict[tuple[str, str], str]:
    """(rule code, site) -> assessed | not_assessed for one check."""
    return {(r["code"], r["site_id"]): r["status"] for r in store.db.execute(
        "SELECT code, site_id, status FROM rule_outcomes WHERE check_id=?", (check_id,))}


def rule_codes(store: Store, check_id: int) -> set[str]:
    row = store.db.execute("SELECT rule_codes FROM checks WHERE check_id=?", (check_id,)).fetchone()
    return set(json.loads(row["rule_codes"] or "[]")) if row else set()
