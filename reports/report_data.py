"""What the outputs show, read once from the store: run, check, sites, findings, stored scores, rules, profile."""

from __future__ import annotations

import json
import math
import sqlite3
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from scoring.profile import ScoringProfile, load_profile
from reports.trends import Trends, load_trends
from scoring.scorer import ScoreResult, load_inputs, load_scores
from zwgk.core.config import ConfigError, read_data_file
from zwgk.core.store import Store, StoreError

# Severity words as evaluators print them, and the order lists are sorted in (否决 first).
SEVERITY_LABELS = {"veto": "否决", "deduct": "扣分", "warn": "预警"}
SEVERITY_ORDER = {"veto": 0, "deduct": 1, "warn": 2}
CONFIDENCE_LABELS = {"confirmed": "确定", "suspected": "疑似", "review": "待人工复核", "explained": "已说明",
                     "dropped": "疑似问题不予认定"}
# 状态 of a finding against the previous round (回头看), as issue lists and the report print it
ROUND_STATUS_LABELS = {"new": "新发现", "persisting": "未整改", "fixed": "已整改", "": "首次评估"}

LABELS_FILE = Path(__file__).parent / "data" / "labels.yaml"


@dataclass(frozen=True)
class Labels:
    """Chinese words the outputs use for evidence keys and values (reports/data/labels.yaml)."""

    evidence: dict[str, str]
    values: dict[str, dict[str, str]]
    hidden: frozenset[str]
    sentences: tuple[tuple[tuple[str, ...], str], ...] = ()   # (keys, template) for the 证据 sentence


def _strings(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items())


@lru_cache(maxsize=4)
def load_labels(path: str | Path = LABELS_FILE) -> Labels:
    path = Path(path)
    data = read_data_file(path, 'labels')
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level: expected a mapping with the keys evidence, values, hidden")
    unknown = sorted(set(data) - {"evidence", "values", "hidden", "sentences"})
    if unknown:
        raise ConfigError(f"{path}: key '{unknown[0]}': unknown key (known: evidence, hidden, sentences, values)")
    if not _strings(data.get("evidence")):
        raise ConfigError(f"{path}: key 'evidence': expected a mapping of evidence keys to non-empty Chinese labels")
    values = data.get("values") or {}
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: key 'values': expected a mapping of evidence keys to value translations")
    for key, table in values.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) and v for v in table.values()):
            raise ConfigError(f"{path}: key 'values.{key}': expected a mapping of values to non-empty labels")
    hidden = data.get("hidden") or []
    if not isinstance(hidden, list) or not all(isinstance(h, str) for h in hidden):
        raise ConfigError(f"{path}: key 'hidden': expected a list of evidence keys")
    sentences = []
    for i, item in enumerate(data.get("sentences") or []):
        keys = re.findall(r"\{(\w+)\}", item) if isinstance(item, str) else []
        if not keys:
            raise ConfigError(f"{path}: key 'sentences[{i}]': expected a phrase naming evidence keys in braces,"
                              " e.g. 链接文字“{link_text}”")
        sentences.append((tuple(keys), item))
    return Labels(evidence=data["evidence"], values={k: {str(a): b for a, b in t.items()} for k, t in values.items()},
                  hidden=frozenset(hidden), sentences=tuple(sentences))


UNKNOWN_FAMILY = "其他问题"


@dataclass(frozen=True)
class RuleText:
    """What the outputs print about one rule, from the rule registry (`rules.registry.get_rule`)."""

    code: str
    problem_type: str      # 问题类型: the registry's title of the rule ("信息公开要素缺失")
    family: str            # the rule family in Chinese ("信息公开要素")
    name: str              # the registry's kebab-case name ("missing-required-field")
    severity: str
    indicator: str
    basis: str             # 依据
    advice: str            # 整改建议
    fix_days: int | None   # 整改时限 in days
    registered: bool       # False when the registry does not know the code (rule removed since the check)


def _families() -> dict[str, str]:
    try:
        from rules.registry import FAMILIES
    except ImportError:
        return {}
    return dict(FAMILIES)


def local_basis(profile: ScoringProfile) -> dict[str, str]:
    """A profile's own documents per rule (`local_basis: {META001: "某省…"}`), printed after the national basis."""
    try:   # the content the scores were made with; a profile built by hand has only its file
        data = (json.loads(profile.content) if profile.content
                else yaml.safe_load(Path(profile.source).read_text(encoding="utf-8")) or {})
    except (OSError, ValueError, yaml.YAMLError):
        return {}
    table = data.get("local_basis") if isinstance(data, dict) else None
    if table is None:
        return {}
    if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                              for k, v in table.items()):
        raise ConfigError(f"{profile.source}: key 'local_basis': expected a mapping of rule codes to document texts")
    try:
        from rules.registry import get_rule
    except ImportError:
        return dict(table)
    for code in table:
        try:
            get_rule(code)
        except KeyError:
            raise ConfigError(f"{profile.source}: key 'local_basis.{code}': unknown rule code (see `zwgk rules`)")
    return {k: v.strip() for k, v in table.items()}


def rule_text(code: str) -> RuleText:
    """The registry's entry for a code, in the words the outputs print; a placeholder for unknown codes."""
    match = re.match(r"[A-Z]+", code or "")
    family = _families().get(match.group(0) if match else "", UNKNOWN_FAMILY)
    try:
        from rules.registry import get_rule
        rule = get_rule(code)
    except (ImportError, KeyError, LookupError):
        rule = None
    if rule is None:
        return RuleText(code, f"{family}（{code}）", family, "", "", "", "（规则未登记）", "", None, False)
    fix_days = getattr(rule, "fix_days", None)
    return RuleText(
        code=code, problem_type=str(getattr(rule, "title", "") or family), family=family,
        name=str(getattr(rule, "name", "")), severity=str(rule.severity), indicator=str(rule.indicator),
        basis=str(getattr(rule, "basis", "") or ""), advice=str(getattr(rule, "advice", "") or ""),
        fix_days=int(fix_days) if isinstance(fix_days, (int, float)) and fix_days == fix_days else None,
        registered=True,
    )


_ISSUED = re.compile(r"〔(\d{4})〕|GB/T\s*\d+-(\d{4})")


def basis_as_of(basis: str, as_of) -> str:
    """依据 as printed for an evaluation as of a date: a cited document issued after that date is marked."""
    day = _iso_date(as_of)
    if not basis or day is None:
        return basis
    later = sorted({int(a or b) for a, b in _ISSUED.findall(basis) if int(a or b) > day.year})
    if not later:
        return basis
    return basis + f"（注：所引文件有{('、'.join(map(str, later)))}年印发的，晚于评估截至日期 {day.isoformat()}，按现行规范引用，仅供参考）"


# A message that already counts its instances ("共3处"): an aggregated finding then gets no "（共N处）" added.
COUNTED = re.compile(r"共\s*\d")


def counted_message(message: str, count: int) -> str:
    """The message of a finding that stands for `count` instances, as the outputs print it."""
    message = message or ""
    return message if count <= 1 or COUNTED.search(message) else f"{message}（共{count}处）"


_WINDOW = re.compile(r"^(\d+)([dmy])$")
_WINDOW_UNITS = {"d": "天", "m": "个月", "y": "年"}


def _evidence_value(key: str, value, labels: Labels) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict):
        # a column or page described by a mapping: its name says enough
        named = value.get("name") or value.get("title") or value.get("url")
        return str(named) if named else "，".join(f"{labels.evidence.get(k, k)}={v}" for k, v in value.items()
                                                 if k not in labels.hidden)
    if isinstance(value, (list, tuple)):
        return "、".join(_evidence_value(key, v, labels) for v in value)
    text = str(value)
    window = _WINDOW.match(text) if key == "window" else None
    if window:
        return window.group(1) + _WINDOW_UNITS[window.group(2)]
    return labels.values.get(key, {}).get(text, text)


def evidence_text(evidence, labels: Labels | None = None, limit: int = 300) -> str:
    """Evidence of a finding as one readable line: 「要素：文号；页面取值：[2023]5号」."""
    labels = labels or load_labels()
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence) if evidence else {}
        except ValueError:
            return evidence[:limit]
    if not isinstance(evidence, dict):
        return ""
    parts = []
    for key, value in evidence.items():
        if key in labels.hidden or value is None or value == "" or value == [] or value == {}:
            continue
        parts.append(f"{labels.evidence.get(key, key)}：{_evidence_value(key, value, labels)}")
    text = "；".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _parsed(evidence) -> dict:
    if isinstance(evidence, str):
        try:
            evidence = json.loads(evidence) if evidence else {}
        except ValueError:
            return {}
    return evidence if isinstance(evidence, dict) else {}


def _present(value) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def evidence_sentence(evidence, labels: Labels | None = None) -> tuple[str, set[str]]:
    """The 证据 of a finding as an evaluator writes it (页面“发文字号”一栏填写为“-”，…) and the keys it used.

    Phrases come from labels.yaml `sentences`, in order; a phrase is used when every key it names is present
    and none was used by an earlier phrase."""
    labels = labels or load_labels()
    ev = _parsed(evidence)
    used: set[str] = set()
    phrases = []
    for keys, template in labels.sentences:
        if any(k in used or k in labels.hidden or not _present(ev.get(k)) for k in keys):
            continue
        phrases.append(template.format(**{k: _evidence_value(k, ev[k], labels) for k in keys}))
        used.update(keys)
    return "，".join(phrases), used


def evidence_details(evidence, labels: Labels | None = None, skip: set[str] = frozenset(), limit: int = 300) -> str:
    """The technical details of a finding (HTTP 状态码、内容类型、尝试次数 …): every evidence key the sentence
    did not use, as 「键：值」 pairs, for the 技术细节 column."""
    ev = _parsed(evidence)
    return evidence_text({k: v for k, v in ev.items() if k not in skip}, labels, limit)


def _finding_points(findings: pd.DataFrame, sites: pd.DataFrame, profile: ScoringProfile) -> pd.Series:
    """扣分 of each finding, from the scorer's own function; blank when the scorer does not expose one."""
    from scoring import scorer
    points_of = getattr(scorer, "finding_points", None)
    if points_of is None or not len(findings):
        return pd.Series([float("nan")] * len(findings), index=findings.index, dtype="float64")
    points = points_of(findings, sites, profile)
    return pd.Series(list(points), index=findings.index, dtype="float64")


def allocate_points(findings: pd.DataFrame, indicators: pd.DataFrame) -> pd.Series:
    """扣分 (计入得分) of each finding: the site's points lost on an indicator after its cap, shared among the
    indicator's findings in proportion to their uncapped points, in hundredths (largest remainder), so the
    rows of a site add up exactly to its deduction total.

    `findings` has site_id, indicator, points (uncapped); `indicators` is the scorer's whole-site rows."""
    out = pd.Series(0.0, index=findings.index, dtype="float64")
    if not len(findings) or findings["points"].isna().all():
        return out if len(findings) else out
    whole = indicators[(indicators["office"] == "") & indicators["assessed"]]
    lost = {(r.site_id, r.indicator): float(r.points_lost) for r in whole.itertuples()}
    raw = findings["points"].fillna(0.0)
    for (site_id, indicator), index in findings.groupby(["site_id", "indicator"]).groups.items():
        total = round(lost.get((site_id, indicator), 0.0) * 100)
        weights = raw.loc[index]
        weight = float(weights.sum())
        if total <= 0 or weight <= 0:
            continue
        exact = weights / weight * total
        cents = exact.apply(math.floor)
        left = int(total - cents.sum())
        # the hundredths left over go to the findings with the largest remainders (ties: the order found)
        order = sorted(index, key=lambda i: (-(exact[i] - cents[i]), i))
        for i in order[:left]:
            cents[i] += 1
        out.loc[index] = cents / 100
    return out


@dataclass
class ReportData:
    """One check's findings with the stored scores, shaped for the report and the issue lists."""

    store_path: Path
    run: dict
    check: dict
    sites: pd.DataFrame            # run_sites: site_id, name, office, homepage, kind, status, error
    findings: pd.DataFrame         # findings + office (site's when blank), points, severity_rank
    outcomes: pd.DataFrame         # rule_outcomes of the check
    unassessable_columns: pd.DataFrame  # columns the crawl could not assess, with the reason
    scores: ScoreResult
    profile: ScoringProfile
    rules: dict[str, RuleText]
    labels: Labels
    report_date: date | None = None   # 报告日期: 整改时限 count from it (default: the day the outputs are written)
    snapshots: dict[tuple[str, str], str] = field(default_factory=dict)   # (site, url) -> snapshots/<file>.html
    coverage: dict[str, dict] = field(default_factory=dict)   # site -> how much of it was crawled and assessed
    probe_windows: dict[str, dict] = field(default_factory=dict)   # site -> its homepage probes (zwgk probe)
    lookback: LookBack | None = None   # 回头看 against the previous round; None for a first round
    trends: Trends | None = None       # scores and open problems over the last rounds; None for a first round
    score_basis: dict = field(default_factory=dict)   # what the stored scores rest on (scoring.adjustments): explanations, rechecks
    _rows: dict = field(default_factory=dict, repr=False, compare=False)

    def problem_rows(self, review: bool = False) -> pd.DataFrame:
        """problem_rows of the 待人工复核 findings (review=True) or of the others, built once: the report's
        chapters and the issue lists all read them (a province has hundreds of thousands). Do not modify it."""
        if review not in self._rows:
            f = self.findings
            self._rows[review] = problem_rows(f[f["review"] == review] if len(f) else f)
        return self._rows[review]

    @property
    def deadline_start(self) -> date:
        """The day 整改时限 count from: the report date, never before the as-of date nor before today."""
        as_of = _iso_date(self.check.get("as_of")) or date.today()
        return max(self.report_date or date.today(), as_of)

    @property
    def profile_changed(self) -> bool:
        """The profile file now differs from the one the stored scores were made with."""
        return self.profile.hash != self.scores.profile_hash

    def rule(self, code: str) -> RuleText:
        if code not in self.rules:
            self.rules[code] = rule_text(code)
        return self.rules[code]


@dataclass
class LookBack:
    """回头看 of the reported run against the round before it, from `zwgk.core.lookback.compute_diff`."""

    from_label: str
    to_label: str
    counts: dict[str, int]            # status -> findings (new, persisting, fixed, dropped, not_assessed)
    offices: list[dict]               # per site and office: counts by status and fix_rate (整改率)
    rows: list[dict]                  # every DiffRow as a dict, persisting first (longest streak first)
    status: dict[str, str]            # identity -> status, for the findings of the reported check


def load_score_basis(store: Store, check_id: int, scores: ScoreResult) -> dict:
    """The basis stored with the reported scores: explanations honoured, suspected findings confirmed or dropped."""
    row = store.db.execute("SELECT basis FROM scores WHERE check_id=? AND profile_name=? ORDER BY rowid DESC LIMIT 1",
                           (check_id, scores.profile_name)).fetchone()
    try:
        return json.loads(row["basis"] or "{}") if row else {}
    except ValueError:
        return {}


def load_lookback(store: Store, run_id: int) -> LookBack | None:
    """The diff of a run against the previous round, or None when there is none (a first round, no finished check)."""
    from zwgk.core.history import previous, resolve
    from zwgk.core.lookback import STATUS_ORDER, compute_diff
    try:
        if previous(store, resolve(store, run_id)) is None:
            return None   # a first round: nothing to compare (the diff would still read every finding)
        diff = compute_diff(store, to_ref=run_id)
    except StoreError:
        return None
    if diff.from_point is None:
        return None
    rows = diff.as_dicts()
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    rows.sort(key=lambda r: (rank[r["status"]], -r["rounds"], r["site_id"], r["office"], r["code"], r["identity"]))
    counts = {s: 0 for s in STATUS_ORDER}
    for row in rows:
        counts[row["status"]] += 1
    offices = sorted(diff.offices(), key=lambda o: (-o["persisting"], o["site_id"], o["office"]))
    return LookBack(from_label=diff.from_point.label, to_label=diff.to_point.label, counts=counts, offices=offices,
                    rows=rows, status={r["identity"]: r["status"] for r in rows if r["status"] in ("new", "persisting")})


def _scored_confidence(store: Store, check_id: int, findings: pd.DataFrame) -> pd.DataFrame:
    """Findings with the confidence they were scored with (finding_notes: 已说明, confirmed by recurrence,
    dropped on re-check), the note saying why, and their identity across rounds."""
    from zwgk.core.history import hosts_by_site
    from zwgk.core.identity import finding_identity
    notes = {int(r["seq"]): (r["confidence"], r["note"] or "", r["identity"]) for r in store.db.execute(
        "SELECT seq, confidence, note, identity FROM finding_notes WHERE check_id=?", (check_id,))}
    f = findings
    if not len(f):
        return f.assign(note=pd.Series(dtype="object"), identity=pd.Series(dtype="object"))
    run_id = store.db.execute("SELECT run_id FROM checks WHERE check_id=?", (check_id,)).fetchone()["run_id"]
    hosts = hosts_by_site(store, int(run_id))
    seqs = [int(q) for q in f["seq"]]
    f["confidence"] = [notes[q][0] if q in notes else c for q, c in zip(seqs, f["confidence"])]
    f["note"] = [notes[q][1] if q in notes else "" for q in seqs]
    # the identity is stored with each note; only a finding without one is identified here (a row as a dict
    # for every finding held 400,000 dicts at once)
    identity = [notes[q][2] if q in notes else None for q in seqs]
    missing = [i for i, value in enumerate(identity) if value is None]
    for i, row in zip(missing, f.iloc[missing].to_dict("records")):
        identity[i] = finding_identity(row, hosts.get(str(row["site_id"]), frozenset()))
    f["identity"] = identity
    return f


def _iso_date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


COVERAGE_KEYS = ("nav_columns", "columns_discovered", "columns_assessed", "columns_not_assessed",
                 "not_assessed_reasons", "linked_not_reached", "pages_fetched", "pages_failed", "pages_skipped",
                 "sufficient", "reasons", "partial")


PROBE_LOOKBACK_DAYS = 8   # the 7-day availability window ends on the as-of day (Beijing days): a day's margin


def load_probe_windows(store: Store, as_of: date | None) -> dict[str, dict]:
    """Per site: the homepage probes (zwgk probe) of the days before the as-of day, failed ones, and whether any
    was taken in a compressed (demo/test) window, so the report can say the window was not a real week."""
    if as_of is None:
        return {}
    since = (as_of - timedelta(days=PROBE_LOOKBACK_DAYS)).isoformat()
    until = f"{(as_of + timedelta(days=1)).isoformat()}T99"
    try:
        rows = store.db.execute(
            "SELECT p.site_id, COUNT(*) AS n, SUM(1 - p.ok) AS failed, MIN(c.day_seconds) AS day_seconds"
            " FROM probes p JOIN probe_campaigns c ON c.campaign_id = p.campaign_id"
            " WHERE p.at >= ? AND p.at < ? GROUP BY p.site_id", (since, until)).fetchall()
    except sqlite3.OperationalError:  # a store from before probes were recorded
        return {}
    return {str(r["site_id"]): dict(probes=int(r["n"]), failed=int(r["failed"] or 0),
                                    compressed=float(r["day_seconds"]) < 86400) for r in rows}


def load_coverage(store: Store, run_id: int, check_id: int) -> dict[str, dict]:
    """Per site: pages and columns crawled, assessed, not assessed and failed.

    The check's `coverage` rows when the store has them (with the verdict on whether coverage suffices);
    otherwise counted from the snapshot itself, with `sufficient` unknown (None)."""
    out: dict[str, dict] = {}
    try:
        rows = store.db.execute("SELECT site_id, data FROM coverage WHERE check_id=?", (check_id,)).fetchall()
    except sqlite3.OperationalError:  # a store from before coverage was recorded
        rows = []
    for row in rows:
        data = _parsed(row["data"])
        out[str(row["site_id"])] = {k: data.get(k) for k in COVERAGE_KEYS} | {"recorded": True}
    pages = store.db.execute(
        "SELECT site_id, SUM(CASE WHEN status < 400 AND COALESCE(error, '') = '' THEN 1 ELSE 0 END) AS ok,"
        " SUM(CASE WHEN status IS NULL OR status >= 400 OR COALESCE(error, '') != '' THEN 1 ELSE 0 END) AS failed"
        " FROM pages WHERE run_id=? GROUP BY site_id", (run_id,)).fetchall()
    columns = store.db.execute(
        "SELECT site_id, COUNT(*) AS found, SUM(CASE WHEN assessable=1 THEN 1 ELSE 0 END) AS assessed,"
        " SUM(CASE WHEN assessable=0 THEN 1 ELSE 0 END) AS not_assessed FROM columns WHERE run_id=? GROUP BY site_id",
        (run_id,)).fetchall()
    counted: dict[str, dict] = {}
    for r in pages:
        counted.setdefault(r["site_id"], {}).update(pages_fetched=int(r["ok"] or 0), pages_failed=int(r["failed"] or 0))
    for r in columns:
        counted.setdefault(r["site_id"], {}).update(columns_discovered=int(r["found"] or 0),
                                                    columns_assessed=int(r["assessed"] or 0),
                                                    columns_not_assessed=int(r["not_assessed"] or 0))
    for site_id, figures in counted.items():
        entry = out.setdefault(site_id, {k: None for k in COVERAGE_KEYS} | {"recorded": False})
        for key, value in figures.items():
            if entry.get(key) is None:
                entry[key] = value
    return out


UNITS_FILE = Path(__file__).parent / "data" / "units.yaml"


@dataclass(frozen=True)
class UnitLexicon:
    """How a portal's department and township sections are recognised (reports/data/units.yaml)."""

    trees: frozenset[str]
    suffixes: tuple[str, ...]
    not_units: frozenset[str]

    def unit_in(self, path: list[str]) -> str:
        """The unit a column path runs through ('首页>工作机构>县财政局>通知公告' -> '县财政局'), or ''."""
        names = [" ".join(p.split()) for p in path]
        for i, name in enumerate(names[:-1]):
            if name in self.trees:
                unit = names[i + 1]
                if unit not in self.not_units and unit not in self.trees and unit.endswith(self.suffixes):
                    return unit
        return ""


@lru_cache(maxsize=2)
def load_units(path: str | Path = UNITS_FILE) -> UnitLexicon:
    path = Path(path)
    data = read_data_file(path, 'the unit lexicon')
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level: expected a mapping with the keys trees, unit_suffixes, not_units")
    for key in ("trees", "unit_suffixes", "not_units"):
        value = data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{path}: key '{key}': expected a list of names")
    unknown = sorted(set(data) - {"trees", "unit_suffixes", "not_units"})
    if unknown:
        raise ConfigError(f"{path}: key '{unknown[0]}': unknown key (known: not_units, trees, unit_suffixes)")
    # longest suffixes first is not needed for endswith, but keeps the file's order meaningful to a reader
    return UnitLexicon(frozenset(data["trees"]), tuple(data["unit_suffixes"]), frozenset(data["not_units"]))


def column_units(store: Store, run_id: int, lexicon: UnitLexicon | None = None) -> dict[tuple[str, str], str]:
    """(site, column id) -> the department or township the column belongs to, from its breadcrumb or, when the
    crawl recorded none, from the names of its parent columns."""
    lexicon = lexicon or load_units()
    rows = store.db.execute("SELECT site_id, column_id, name, path, parent_id FROM columns WHERE run_id=?",
                            (run_id,)).fetchall()
    by_id = {(r["site_id"], r["column_id"]): r for r in rows}
    out = {}
    for r in rows:
        path = [p for p in re.split(r"\s*[>＞›»]\s*", r["path"] or "") if p]
        if not path:  # walk up the column tree (a cycle in bad data stops at the first repeat)
            chain, seen, node = [], set(), r
            while node is not None and node["column_id"] not in seen:
                seen.add(node["column_id"])
                chain.append(node["name"])
                node = by_id.get((r["site_id"], node["parent_id"])) if node["parent_id"] else None
            path = chain[::-1]
        unit = lexicon.unit_in(path)
        if unit:
            out[(r["site_id"], r["column_id"])] = unit
    return out


def resolve_check(store: Store, run_id: int | None, check_id: int | None) -> int:
    """The check to report: the given one (which must belong to the run, if given) or the run's newest."""
    if check_id is None:
        return int(store.latest_check(run_id)["check_id"])
    store.finished_check(check_id, run_id)
    return check_id


def stored_profile_name(store: Store, check_id: int) -> str | None:
    """The profile the check's newest stored scores were made with, if any."""
    row = store.db.execute("SELECT profile_name FROM scores WHERE check_id=? ORDER BY rowid DESC LIMIT 1",
                           (check_id,)).fetchone()
    return row["profile_name"] if row else None


def ensure_scores(store: Store, check_id: int, profile: str | None) -> tuple[ScoreResult, ScoringProfile, bool]:
    """The stored scores of a check under a profile, scoring the check first when none are stored.

    Returns (scores, profile, scored_now). The report never computes a score itself: missing scores are
    made by the scoring stage (`scoring.scorer.score_check`) and stored like `zwgk score` would."""
    from scoring.scorer import score_check, stored_profile  # the scoring stage's own entry, as `zwgk score` runs it

    name = profile or stored_profile_name(store, check_id) or "gov2019"
    try:
        # no profile named: the one the stored scores were made with, as stored (its file may have changed)
        loaded = (stored_profile(store, check_id) if profile is None else None) or load_profile(name)
    except ConfigError as exc:
        if profile is None:
            raise ConfigError(f"{exc}；该检查的得分使用指标体系“{name}”，请用 --profile 指定其 YAML 文件") from exc
        raise
    try:
        return load_scores(store, check_id, loaded.name), loaded, False
    except StoreError:
        result, loaded = score_check(store, check_id, loaded)
        return result, loaded, True


def load_report_data(store: Store, check_id: int, profile: str | ScoringProfile = "gov2019",
                     scores: ScoreResult | None = None, report_date: date | None = None) -> ReportData:
    """Everything the outputs need for one check; scores are the stored ones (StoreError when none)."""
    profile = profile if isinstance(profile, ScoringProfile) else load_profile(profile)
    if scores is None:
        scores = load_scores(store, check_id, profile.name)
    findings, score_sites, outcomes, check = load_inputs(store, check_id)
    run = dict(store.run(int(check["run_id"])))
    sites = pd.DataFrame([dict(r) for r in store.sites(run["run_id"])],
                         columns=["site_id", "name", "office", "homepage", "kind", "status", "error"])
    sites = sites[["site_id", "name", "office", "homepage", "kind", "status", "error"]] if len(sites) else sites
    labels = load_labels()

    findings = _scored_confidence(store, check_id, findings.reset_index(drop=True))
    lookback = load_lookback(store, int(run["run_id"]))
    findings["round_status"] = ([lookback.status.get(i, "new") for i in findings["identity"]] if lookback
                                else "")
    site_office = dict(zip(sites["site_id"], sites["office"]))
    site_name = dict(zip(sites["site_id"], sites["name"]))
    if len(findings):
        # A finding without an office belongs to the site's 主办单位 (the scorer counts it the same way) ...
        blank = findings["office"].fillna("") == ""
        findings.loc[blank, "office"] = findings.loc[blank, "site_id"].map(site_office).fillna("")
        # ... unless its column sits in the portal's section of a department or township: that unit answers for it
        # (a column whose office the site profile names keeps that office)
        units = column_units(store, int(run["run_id"]))
        unit = [units.get((s, c), "") for s, c in zip(findings["site_id"], findings["column_id"].fillna(""))]
        routed = pd.Series(unit, index=findings.index).ne("") & (findings["office"] == findings["site_id"].map(site_office))
        findings["site_office"] = findings["site_id"].map(site_office).fillna("")
        findings.loc[routed, "office"] = pd.Series(unit, index=findings.index)[routed]
        findings["routed"] = routed
        # the parent column of each finding's column: column notices that deduct nothing are listed under it
        parents = dict(((r["site_id"], r["column_id"]), r["parent"]) for r in store.db.execute(
            "SELECT c.site_id, c.column_id, COALESCE(p.name, '') AS parent FROM columns c LEFT JOIN columns p"
            " ON p.run_id=c.run_id AND p.site_id=c.site_id AND p.column_id=c.parent_id AND c.parent_id != ''"
            " WHERE c.run_id=?", (run["run_id"],)))
        findings["column_parent"] = [parents.get((s, c), "") for s, c in zip(findings["site_id"],
                                                                           findings["column_id"].fillna(""))]
        findings["site_name"] = findings["site_id"].map(site_name).fillna(findings["site_id"])
        # 扣分 per finding from the scorer, under the profile the stored scores were made with (left blank when
        # the profile file has changed since: the figures would not match the report's scores)
        findings["points"] = (_finding_points(findings, score_sites, profile) if profile.hash == scores.profile_hash
                              else float("nan"))
        findings["severity_rank"] = findings["severity"].map(SEVERITY_ORDER).fillna(9).astype(int)
        findings["counted"] = (allocate_points(findings, scores.indicators) if profile.hash == scores.profile_hash
                               else float("nan"))
        findings["review"] = findings["confidence"] == "review"
    else:
        findings = findings.assign(site_name="", site_office="", routed=pd.Series(dtype="bool"), column_parent="",
                                   points=pd.Series(dtype="float64"),
                                   counted=pd.Series(dtype="float64"), review=pd.Series(dtype="bool"),
                                   severity_rank=pd.Series(dtype="int64"))
    # columns the crawl could not assess, with the name of the column above each (they are listed under it)
    columns = pd.read_sql_query(
        "SELECT c.site_id, c.column_id, c.name, c.url, c.cls, c.office, c.reason, c.path,"
        " COALESCE(p.name, '') AS parent FROM columns c LEFT JOIN columns p ON p.run_id=c.run_id"
        " AND p.site_id=c.site_id AND p.column_id=c.parent_id AND c.parent_id != ''"
        " WHERE c.run_id=? AND c.assessable=0 ORDER BY c.site_id, parent, c.name", store.db, params=(run["run_id"],))
    codes = sorted(set(json.loads(check.get("rule_codes") or "[]")) | set(findings["code"]))
    rules = {code: rule_text(code) for code in codes}
    for code, text in local_basis(profile).items():  # the profile's own documents come after the national norms
        if code in rules:
            base = rules[code].basis
            rules[code] = replace(rules[code], basis=f"{base}；本地依据：{text}" if base else f"本地依据：{text}")
    from reports.snapshots import snapshot_names
    pages = set(zip(findings["site_id"], findings["url"].fillna(""))) | set(zip(findings["site_id"],
                                                                            findings["parent_url"].fillna("")))
    for site_id, evidence in zip(findings["site_id"], findings["evidence"]):
        listed = _parsed(evidence).get("pages")
        if isinstance(listed, list):
            pages |= {(site_id, str(p)) for p in listed[:3]}
    return ReportData(store_path=Path(store.path), run=run, check=dict(check), sites=sites, findings=findings,
                      outcomes=outcomes, unassessable_columns=columns, scores=scores, profile=profile,
                      rules=rules, labels=labels, report_date=report_date,
                      snapshots=snapshot_names(store, int(run["run_id"]), pages),
                      coverage=load_coverage(store, int(run["run_id"]), check_id),
                      probe_windows=load_probe_windows(store, _iso_date(check.get("as_of"))), lookback=lookback,
                      trends=load_trends(store, check_id), score_basis=load_score_basis(store, check_id, scores))


# What a row of the issue lists and the report's problem tables is: one page (or one broken target, or one
# column) and one problem type. A page missing six 要素 is one row; a template link broken on 55 pages is one
# row (the rules merge it by target) that says on how many pages it appears.
ROW_KEYS = ["site_id", "office", "code", "_target"]


def _joined(values) -> str:
    return "；".join(dict.fromkeys(v for v in values if v))


def _grouped_by_parent(code: str) -> bool:
    """Column notices that deduct nothing (栏目无法评估 …) are one row per parent column, not one per column."""
    try:
        from rules.registry import get_rule
        rule = get_rule(code)
    except (ImportError, KeyError):
        return False
    return rule.scope == "column" and rule.severity == "warn"


def _row_status(statuses) -> str:
    values = set(statuses)
    return "persisting" if "persisting" in values else ("new" if "new" in values else "")


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value) -> str:
    """A text cell as pandas' fillna("") leaves it: '' for a missing value."""
    return "" if _missing(value) else value


def _group_sum(values: np.ndarray, positions: list[int]) -> float:
    """Series.sum() of the group's values (NaN skipped, same float order), NaN when all are missing."""
    part = values[positions]
    present = ~np.isnan(part)
    return float(np.where(present, part, 0.0).sum()) if present.any() else math.nan


def problem_rows(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings grouped into the rows a person works through (see ROW_KEYS), in the order first found.

    Columns: site_id, site_name, office, code, indicator, severity, severity_rank, confidence, review,
    column_name, url, parent_url, title, message (the findings' messages joined), evidences (their evidence
    as stored: JSON texts, read with _parsed), findings (how many findings the row joins), count (instances),
    pages (pages the target appears on), examples (up to three of those pages), points (uncapped), counted
    (计入得分), seq, as_of, round_status (persisting when any of its findings was found in the previous round,
    else new; '' without one), note (why a finding is scored as it is: 已说明, confirmed by recurrence …)."""
    columns = ["site_id", "site_name", "office", "site_office", "routed", "code", "indicator", "severity", "severity_rank", "confidence",
               "review", "column_name", "url", "parent_url", "title", "message", "evidences", "findings", "count",
               "pages", "examples", "points", "counted", "seq", "as_of", "round_status", "note"]
    if not len(findings):
        return pd.DataFrame(columns=columns)
    f = findings   # read only: the helper columns below are plain lists
    by_parent = {c: _grouped_by_parent(c) for c in f["code"].unique()}
    parent = f["column_parent"].fillna("") if "column_parent" in f else pd.Series("", index=f.index)
    # each evidence is parsed here for what grouping needs, and kept as its JSON text: the readers parse it
    # again (_parsed) for the rows they print; 400,000 parsed dicts held at once were half a gigabyte
    reason, pages, examples = [], [], []
    for e, p in zip(f["evidence"], f["parent_url"].fillna("")):
        e = _parsed(e)
        reason.append(str(e.get("reason") or ""))
        pages.append(int(e.get("occurrences") or 1))
        examples.append([str(x) for x in e["pages"]] if isinstance(e.get("pages"), list) else ([p] if p else []))
    target = [f"^{p}|{r}" if by_parent[c] else (u if u else f"#{q}")
              for c, p, r, u, q in zip(f["code"], parent, reason, f["url"].fillna(""), f["seq"])]
    # Rows are built from plain lists, one pass per group of positions: a pandas selection per row costs
    # about a millisecond, which is minutes for a province's hundreds of thousands of rows.
    col = {name: f[name].tolist() for name in ("site_id", "site_name", "office", "code", "indicator", "severity",
                                               "severity_rank", "confidence", "review", "column_name", "url",
                                               "parent_url", "title", "message", "count", "seq", "as_of")}
    col.update(_target=target, _evidence=f["evidence"].tolist(), _pages=pages, _examples=examples)
    site_office = f["site_office"].tolist() if "site_office" in f else col["office"]
    routed = f["routed"].tolist() if "routed" in f else None
    round_status = f["round_status"].tolist() if "round_status" in f else None
    note = f["note"].tolist() if "note" in f else None
    points, counted = f["points"].to_numpy(dtype="float64"), f["counted"].to_numpy(dtype="float64")
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(col["site_id"], col["office"], col["code"], col["_target"])):
        if not any(_missing(k) for k in key):   # as groupby: a row with a missing key is in no group
            groups.setdefault(key, []).append(i)
    # the rows go straight into column lists: a dict per row costs a gigabyte at a province's 400,000 rows
    out: dict[str, list] = {c: [] for c in columns}
    for g in groups.values():
        i = g[0]
        target = col["_target"][i]
        messages = [counted_message(_text(col["message"][j]), int(col["count"][j])) for j in g]
        merged = target.startswith("^") and len(g) > 1
        if merged:
            names = list(dict.fromkeys(_text(col["column_name"][j]) for j in g))
            parent_name = target[1:].split("|", 1)[0] or "一级栏目"
            shown = "、".join(f"“{n}”" for n in names[:12]) + (f"等{len(names)}个" if len(names) > 12 else "")
            messages = [f"“{parent_name}”下{len(names)}个栏目：{shown}。例：{messages[0]}"]
        examples = list(dict.fromkeys(p for j in g for p in col["_examples"][j]))
        ranks = [col["severity_rank"][j] for j in g]
        worst = g[ranks.index(min(ranks))]
        confirmed = any(col["confidence"][j] == "confirmed" for j in g)
        row = dict(
            site_id=col["site_id"][i], site_name=col["site_name"][i], office=col["office"][i],
            site_office=site_office[i], routed=any(bool(routed[j]) for j in g) if routed is not None else False,
            code=col["code"][i], indicator=col["indicator"][i], severity=col["severity"][worst],
            severity_rank=int(min(ranks)), confidence="confirmed" if confirmed else col["confidence"][i],
            review=all(bool(col["review"][j]) for j in g if not _missing(col["review"][j])),
            column_name=(target[1:].split("|", 1)[0] if merged else _joined(_text(col["column_name"][j]) for j in g)),
            url=col["url"][i] or "", parent_url=col["parent_url"][i] or "", title=col["title"][i] or "",
            message=_joined(messages), evidences=[col["_evidence"][j] for j in g], findings=len(g),
            count=int(sum(col["count"][j] for j in g)),
            pages=max(int(max(col["_pages"][j] for j in g)), len(examples)), examples=examples[:3],
            points=_group_sum(points, g), counted=_group_sum(counted, g),
            seq=int(min(col["seq"][j] for j in g)), as_of=col["as_of"][i],
            round_status=_row_status(_text(round_status[j]) for j in g) if round_status is not None else "",
            note=_joined(_text(note[j]) for j in g) if note is not None else "",
        )
        for key, value in row.items():
            out[key].append(value)
    return pd.DataFrame({c: out[c] for c in columns}, columns=columns)
