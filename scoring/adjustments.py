"""What the history changes in a check's findings before scoring: explanations accepted (已说明) and
suspected failures confirmed because they recur; the stored findings themselves never change."""

from __future__ import annotations

import re

import pandas as pd

from zwgk.core.explanations import ACCEPTED, PENDING, REJECTED
from zwgk.core.history import RoundPoint, hosts_by_site, history, identities
from zwgk.core.identity import finding_identity

EXPLAINED = "explained"   # Finding.confidence as scored: 已说明, listed and never deducted
DROPPED = "dropped"       # a suspected failure that answered when re-checked: listed with a note, never deducted


def _point_of(store, check_id: int) -> RoundPoint:
    row = store.db.execute("SELECT c.run_id, r.as_of, COALESCE(r.round_name,'') AS rn FROM checks c"
                           " JOIN runs r ON r.run_id = c.run_id WHERE c.check_id=?", (check_id,)).fetchone()
    return RoundPoint(label=row["rn"] or f"运行 {row['run_id']}", round_name=row["rn"], run_id=int(row["run_id"]),
                      check_id=check_id, as_of=row["as_of"])


def adjust(store, check_id: int, findings: pd.DataFrame) -> tuple[pd.DataFrame, dict, list[dict]]:
    """(findings with the confidence to score, the basis to store with the scores, a finding_notes row per finding).

    - A suspected finding (timeout, 5xx) whose identity was also found in the previous round is confirmed;
      one whose resource `zwgk recheck` fetched again is confirmed when it still fails, dropped when it answers.
    - A finding with an accepted explanation is scored as 'explained' (already 已说明: never deducted) when
      the explanation was recorded for this run, or for an earlier one and the finding persisted through
      every round since (an explanation does not revive once its finding was fixed)."""
    point = _point_of(store, check_id)
    points = [p for p in history(store) if p.run_id != point.run_id]
    earlier = [p for p in points if (p.as_of, p.run_id) < (point.as_of, point.run_id)
               and not (point.round_name and p.round_name == point.round_name)]
    previous = earlier[-1] if earlier else None
    hosts = hosts_by_site(store, point.run_id)
    f = findings.copy()
    ids = [finding_identity(r, hosts.get(str(r.get("site_id")), frozenset())) for r in f.to_dict("records")]
    f["identity"] = ids
    notes: list[dict] = []
    basis: dict = {"previous": previous.label if previous else "", "confirmed_by_recurrence": 0,
                   "explanations": {"accepted": 0, "rejected": 0, "pending": 0}}
    if not len(f):
        return f, basis, notes
    cache: dict[int, set[str]] = {}

    def found_in(p: RoundPoint) -> set[str]:
        if p.check_id not in cache:
            cache[p.check_id] = identities(store, p.check_id)
        return cache[p.check_id]

    if previous is not None:
        before = found_in(previous)
        recurring = (f["confidence"] == "suspected") & f["identity"].isin(before)
        for index in f.index[recurring]:
            f.at[index, "confidence"] = "confirmed"
            notes.append(dict(check_id=check_id, seq=int(f.at[index, "seq"]), identity=f.at[index, "identity"],
                              confidence="confirmed", note=f"上轮（{previous.label}）已疑似，本轮复现，予以确认"))
        basis["confirmed_by_recurrence"] = int(recurring.sum())

    rechecked = _rechecks(store, point.run_id)
    confirmed = dropped = 0
    for index in f.index[f["confidence"] == "suspected"]:
        found = rechecked.get(str(f.at[index, "url"] or ""))
        if found is None:
            continue
        if found["outcome"] == "ok":
            f.at[index, "confidence"] = DROPPED
            note = f"{found['checked_at']} 复查时已可访问（HTTP {found['status']}），疑似问题不予认定"
            dropped += 1
        else:
            f.at[index, "confidence"] = "confirmed"
            what = f"HTTP {found['status']}" if found["status"] else (found["error"] or "无响应")
            note = f"{found['checked_at']} 复查仍无法访问（{what}），予以确认"
            confirmed += 1
        notes.append(dict(check_id=check_id, seq=int(f.at[index, "seq"]), identity=f.at[index, "identity"],
                          confidence=f.at[index, "confidence"], note=note))
    basis["recheck"] = {"confirmed": confirmed, "dropped": dropped}

    rows = store.db.execute("SELECT * FROM explanations").fetchall()
    by_identity = {r["identity"]: r for r in rows}
    run_points = {p.run_id: p for p in history(store)}
    present = set(ids)
    sources: set[str] = set()
    for index, identity in zip(f.index, f["identity"]):
        e = by_identity.get(identity)
        if e is None:
            continue
        sources.add(re.split(r" (?:第 |工作表“)", e["source"] or "", maxsplit=1)[0])
        if e["decision"] == REJECTED:
            basis["explanations"]["rejected"] += 1
            continue
        if e["decision"] == PENDING:
            basis["explanations"]["pending"] += 1
            continue
        if e["decision"] != ACCEPTED or not _carried(e, point, run_points, found_in):
            continue
        f.at[index, "confidence"] = EXPLAINED
        basis["explanations"]["accepted"] += 1
        who = "，".join(x for x in (e["reviewer"], e["decided_on"]) if x)
        notes = [n for n in notes if n["seq"] != int(f.at[index, "seq"])]
        notes.append(dict(check_id=check_id, seq=int(f.at[index, "seq"]), identity=identity, confidence=EXPLAINED,
                          note=f"已说明：{e['reason'] or '（无理由）'}" + (f"（{who} 接受）" if who else "（接受）")))
    basis["explanations"]["unmatched"] = sum(1 for k in by_identity if k not in present)
    basis["explanations"]["files"] = sorted(x for x in sources if x)
    # one row per finding (its identity and the confidence scored), the changes above with their note
    noted = {n["seq"]: n["note"] for n in notes}
    rows = [dict(check_id=check_id, seq=int(seq), identity=identity, confidence=confidence,
                 note=noted.get(int(seq), ""))
            for seq, identity, confidence in zip(f["seq"], f["identity"], f["confidence"])]
    return f, basis, rows


def _carried(e, point: RoundPoint, run_points: dict[int, RoundPoint], found_in) -> bool:
    """The explanation applies to `point`: recorded for it, or for an earlier round and persisting since."""
    first = e["run_id"]
    if first is None or first == point.run_id:
        return True
    origin = run_points.get(int(first))
    if origin is None:
        return True     # its run has no finished check any more: judge by this round alone
    if (origin.as_of, origin.run_id) > (point.as_of, point.run_id):
        return False    # recorded for a later round: a rescore of an older round does not use it
    between = [p for p in run_points.values()
               if (origin.as_of, origin.run_id) <= (p.as_of, p.run_id) < (point.as_of, point.run_id)]
    return all(e["identity"] in found_in(p) for p in between)


def _rechecks(store, run_id: int) -> dict[str, dict]:
    """url -> the newest `zwgk recheck` result for the run."""
    out: dict[str, dict] = {}
    for row in store.db.execute("SELECT * FROM rechecks WHERE run_id=? ORDER BY checked_at", (run_id,)):
        out[row["url"]] = dict(row)
    return out


def write_notes(store, check_id: int, notes: list[dict]) -> None:
    with store.transaction() as db:
        db.execute("DELETE FROM finding_notes WHERE check_id=?", (check_id,))
        db.executemany("INSERT OR REPLACE INTO finding_notes (check_id, seq, identity, confidence, note)"
                       " VALUES (:check_id, :seq, :identity, :confidence, :note)", notes)
