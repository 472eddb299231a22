"""回头看: every finding of two rounds as new, persisting, fixed, dropped or no longer assessed, per site and office."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from zwgk.core.history import (RoundPoint, history, hosts_by_site, keyed_findings, outcome_status, previous,
                               resolve, rule_codes)
from zwgk.core.identity import normalise_url
from zwgk.core.store import Store, StoreError

# status -> the label an evaluator writes (issue lists' 状态 column uses the first three)
STATUS_LABELS = {
    "persisting": "未整改",
    "new": "新发现",
    "fixed": "已整改",
    "dropped": "未复现（疑似问题不予认定）",
    "not_assessed": "本轮未评估",
}
STATUS_ORDER = tuple(STATUS_LABELS)
# The diff's columns, in order (CSV and JSON); documented in docs/data-dictionary.md (diff.csv).
DIFF_COLUMNS = ("site_id", "office", "status", "status_label", "rounds", "code", "indicator", "severity",
                "confidence", "url", "message", "identity", "note")


@dataclass
class DiffRow:
    site_id: str
    office: str
    status: str          # a key of STATUS_LABELS
    status_label: str
    rounds: int          # persisting: how many consecutive rounds up to `to` it was found in; new: 1; else 0
    code: str
    indicator: str
    severity: str
    confidence: str      # as found in the round it is shown from (to, else from)
    url: str
    message: str
    identity: str
    note: str


@dataclass
class Diff:
    from_point: RoundPoint | None
    to_point: RoundPoint
    rows: list[DiffRow]

    def offices(self) -> list[dict]:
        """Per site and office: counts by status and 整改率 = fixed / (fixed + persisting), None when neither."""
        out: dict[tuple[str, str], dict] = {}
        for row in self.rows:
            entry = out.setdefault((row.site_id, row.office), dict(site_id=row.site_id, office=row.office,
                                                                   **{s: 0 for s in STATUS_ORDER}))
            entry[row.status] += 1
        for entry in out.values():
            judged = entry["fixed"] + entry["persisting"]
            entry["fix_rate"] = round(entry["fixed"] / judged, 4) if judged else None
        return sorted(out.values(), key=lambda e: (e["site_id"], -e["persisting"], e["office"]))

    def as_dicts(self) -> list[dict]:
        return [asdict(r) for r in self.rows]


def compute_diff(store: Store, from_ref: str | int | None = None, to_ref: str | int | None = None) -> Diff:
    """The diff between two rounds or runs (default: the newest and the one before it)."""
    to_point = resolve(store, to_ref)
    from_point = resolve(store, from_ref) if from_ref is not None else previous(store, to_point)
    if from_point is not None and from_point.check_id == to_point.check_id:
        raise StoreError(f"--from 与 --to 是同一次检查（{to_point.label}）")
    now = keyed_findings(store, to_point.check_id)
    before = keyed_findings(store, from_point.check_id) if from_point else {}
    streak = _streaks(store, to_point, set(now))
    site_office = _site_offices(store, to_point.run_id)
    if from_point:
        site_office = {**_site_offices(store, from_point.run_id), **site_office}
    to_sites = set(_site_offices(store, to_point.run_id))
    to_codes = rule_codes(store, to_point.check_id)
    to_status = outcome_status(store, to_point.check_id)
    to_hosts = hosts_by_site(store, to_point.run_id)
    fetched = fetched_urls(store, to_point.run_id, to_hosts)
    notes = {(r["identity"]): r["note"] for r in store.db.execute(
        "SELECT identity, note FROM finding_notes WHERE check_id=? AND note != ''", (to_point.check_id,))}
    rows = []
    for identity in sorted(set(now) | set(before)):
        if identity in now:
            finding = now[identity][0]
            status = "persisting" if identity in before else "new"
            rounds = streak.get(identity, 1)
            note = notes.get(identity, "")
        else:
            finding = before[identity][0]
            site, code = finding["site_id"], finding["code"]
            note = ""
            if finding["confidence"] == "suspected":
                status, note = "dropped", "上轮疑似问题（超时、5xx）本轮未复现，不予认定"
            elif site not in to_sites:
                status, note = "not_assessed", "本轮未抓取该网站"
            elif code not in to_codes:
                status, note = "not_assessed", "本轮未运行该规则"
            elif to_status.get((code, site)) == "not_assessed":
                status, note = "not_assessed", "本轮该规则对该网站未能评估"
            elif not _was_fetched(finding, fetched.get(site, set()), to_hosts.get(site, frozenset())):
                status, note = "not_assessed", "本轮未抓取到该页面或资源（抓取上限、链接变化或访问失败），不能判定已整改"
            else:
                status = "fixed"
            rounds = 0
        rows.append(DiffRow(
            site_id=finding["site_id"], office=finding["office"] or site_office.get(finding["site_id"], ""),
            status=status, status_label=STATUS_LABELS[status], rounds=rounds, code=finding["code"],
            indicator=finding["indicator"], severity=finding["severity"], confidence=finding["confidence"],
            url=finding["url"] or finding["parent_url"] or "", message=finding["message"], identity=identity,
            note=note))
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    rows.sort(key=lambda r: (r.site_id, r.office, rank[r.status], -r.rounds, r.code, r.identity))
    return Diff(from_point=from_point, to_point=to_point, rows=rows)


def _streaks(store: Store, to_point: RoundPoint, current: set[str]) -> dict[str, int]:
    """identity -> consecutive history points, ending with `to`, in which it was found."""
    points = [p for p in history(store) if (p.as_of, p.run_id) < (to_point.as_of, to_point.run_id)
              and not (to_point.round_name and p.round_name == to_point.round_name)]
    streak = {identity: 1 for identity in current}
    alive = set(current)
    for point in reversed(points):
        found = set(keyed_findings(store, point.check_id))
        alive &= found
        if not alive:
            break
        for identity in alive:
            streak[identity] += 1
    return streak


def _site_offices(store: Store, run_id: int) -> dict[str, str]:
    return {row["site_id"]: row["office"] for row in store.sites(run_id)}


def fetched_urls(store: Store, run_id: int, hosts: dict[str, frozenset[str]]) -> dict[str, set[str]]:
    """site -> the normalised URLs the run fetched (pages, and resources it got an answer or a failure from)."""
    out: dict[str, set[str]] = {site: set() for site in hosts}
    if store.db.execute("SELECT 1 FROM pruned_runs WHERE run_id=?", (run_id,)).fetchone():   # `zwgk prune`
        for site, url in store.db.execute("SELECT site_id, url FROM pruned_fetched WHERE run_id=?", (run_id,)):
            out.setdefault(site, set()).add(url)
        return out
    for site, url, final in store.db.execute("SELECT site_id, url, final_url FROM pages WHERE run_id=?", (run_id,)):
        out.setdefault(site, set()).update(normalise_url(u, hosts.get(site, frozenset())) for u in (url, final) if u)
    resources = [r[0] for r in store.db.execute(
        "SELECT url FROM resources WHERE run_id=? AND outcome != 'not_checked'", (run_id,))]
    for site, site_hosts in hosts.items():   # resources are keyed by run only: any site may have linked them
        out[site].update(normalise_url(u, site_hosts) for u in resources)
    return out


def _was_fetched(finding: dict, fetched: set[str], hosts: frozenset[str]) -> bool:
    """Whether the round fetched what the finding is about; a finding about no URL (a column, an item) is judged
    by the rule's outcome alone."""
    url = finding.get("url") or finding.get("parent_url") or ""
    return not url or normalise_url(url, hosts) in fetched
