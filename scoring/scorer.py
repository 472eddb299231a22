"""The scorer: findings + rule outcomes + an indicator profile -> scores per indicator, site and office (pure)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import numpy as np
import pandas as pd

from scoring.profile import ScoringProfile, check_rules, load_profile, profile_from_content
from zwgk.core.config import ConfigError

if TYPE_CHECKING:
    from zwgk.core.store import Store

# Output schemas, in column order; the store round-trip and the CSV writer rely on them.
INDICATOR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("site_id", "str"), ("office", "str"), ("indicator", "str"), ("group", "str"), ("name", "str"),
    ("max_points", "float"), ("raw_points_lost", "float"), ("points_lost", "float"), ("capped", "bool"),
    ("veto", "bool"), ("findings_count", "int"), ("assessed", "bool"), ("exempt", "bool"),
    ("not_assessed_reason", "str"),
)
SITE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("site_id", "str"), ("site_name", "str"), ("kind", "str"), ("office", "str"), ("crawl_status", "str"),
    ("max_points", "float"), ("assessed_max", "float"), ("coverage", "float"), ("deduction_total", "float"),
    ("score", "float"), ("provisional", "bool"), ("veto", "bool"), ("veto_reasons", "list"),
    ("passed", "object"), ("grade", "str"), ("bonus_eligible", "bool"), ("warnings", "list"),
    ("not_assessed", "list"), ("exempt", "list"), ("findings_count", "int"), ("rank", "int"),
    ("ungraded_reasons", "list"),
)
OFFICE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("site_id", "str"), ("site_name", "str"), ("office", "str"), ("issues", "int"), ("findings_count", "int"),
    ("veto_count", "int"), ("deduct_count", "int"), ("warn_count", "int"), ("points_lost", "float"),
    ("points_by_indicator", "dict"),
)

NO_RULE = "zwgk 暂无评估该指标的规则"
NOT_RUN = "本次检查未运行评估该指标的规则"
ROUND = 4  # points lost are sums of 0.1 steps; rounding removes float noise before caps and comparisons


@dataclass
class ScoreResult:
    """Scores of one check under one profile: `indicators` (long), `sites` (one row each), `offices`."""

    indicators: pd.DataFrame
    sites: pd.DataFrame
    offices: pd.DataFrame
    profile_name: str
    profile_hash: str
    run_id: int | None = None
    check_id: int | None = None
    as_of: str = ""
    round_name: str = ""    # the round (评估轮次) of the run, '' when none


def coerce(frame: pd.DataFrame, schema: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The frame with exactly the schema's columns, in order, with its dtypes (also builds empty frames)."""
    frame = frame.reset_index(drop=True)
    out = {}
    for column, kind in schema:
        values = frame[column] if column in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        if kind == "str":
            out[column] = values.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                                     else str(v)).astype(str)
        elif kind == "float":
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        elif kind == "int":
            out[column] = pd.to_numeric(values, errors="coerce").fillna(0).astype("int64")
        elif kind == "bool":
            out[column] = values.map(lambda v: bool(v) if v is not None and v == v else False).astype(bool)
        elif kind == "list":
            out[column] = values.map(lambda v: list(v) if isinstance(v, (list, tuple)) else []).astype(object)
        elif kind == "dict":
            out[column] = values.map(lambda v: dict(v) if isinstance(v, dict) else {}).astype(object)
        else:  # object: True / False / None (passed is unknown when a site cannot be graded)
            out[column] = values.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                                     else bool(v)).astype(object)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _evidence(value) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _prepare_findings(findings: pd.DataFrame, sites: pd.DataFrame, profile: ScoringProfile) -> pd.DataFrame:
    f = findings.reset_index(drop=True).copy()
    for column, default in (("office", ""), ("confidence", "confirmed"), ("count", 1), ("evidence", None),
                            ("message", "")):
        if column not in f.columns:
            f[column] = default
    missing = [c for c in ("code", "indicator", "severity", "site_id") if c not in f.columns]
    if missing:
        raise ValueError(f"findings lack columns: {', '.join(missing)}")
    f["count"] = pd.to_numeric(f["count"], errors="coerce").fillna(1).astype("int64")
    f["office"] = f["office"].fillna("").astype(str)
    f["site_id"] = f["site_id"].astype(str)
    unknown = sorted(set(f["indicator"]) - set(profile.indicators))
    if unknown:
        codes = sorted(set(f.loc[f["indicator"] == unknown[0], "code"]))
        raise ConfigError(f"{profile.source}: rule {', '.join(codes)} scores indicator {unknown[0]!r}, which is not"
                          f" in profile '{profile.name}'")
    # A finding without an office belongs to the site's 主办单位, which answers for the whole site.
    site_office = dict(zip(sites["site_id"].astype(str), sites["office"].fillna("").astype(str)))
    blank = f["office"] == ""
    f.loc[blank, "office"] = f.loc[blank, "site_id"].map(site_office).fillna("")
    suspected = f["confidence"] == "suspected"
    # 待人工复核, 已说明 (an accepted explanation) and dropped (answered when re-checked; scoring/adjustments.py):
    # shown, never deducted nor vetoed
    review = f["confidence"].isin(("review", "explained", "dropped"))
    # a veto item an exemption takes off the site (服务不实用 on a department without 办事) vetoes nothing there
    exempt = {str(s["site_id"]): profile.exempt_indicators(s) for s in sites.to_dict("records")}
    exempt_veto = np.array([k in exempt.get(sid, ()) for sid, k in zip(f["site_id"], f["indicator"])], dtype=bool)
    f["is_veto"] = (f["severity"] == "veto") & (~suspected | (not profile.suspected_veto_warns)) & ~review & ~exempt_veto
    f["amount"] = (_amounts(f, profile) * f["count"].to_numpy() * np.where(suspected, profile.suspected_factor, 1.0)
                   * np.where(review, 0.0, 1.0))
    return f


def _amounts(f: pd.DataFrame, profile: ScoringProfile) -> np.ndarray:
    """Points per instance of each deducting finding (0 for veto and warn findings)."""
    amounts = np.zeros(len(f))
    deducting = (f["severity"] == "deduct") & f["indicator"].map(lambda k: not profile.indicators[k].veto)
    for (code, indicator), index in f[deducting].groupby(["code", "indicator"]).groups.items():
        rule = profile.deductions.get(code)
        fallback = profile.indicators[indicator].per_finding
        if rule is not None and rule.by:
            per = [rule.amount(_evidence(e)) for e in f.loc[index, "evidence"]]
            per = [fallback if p is None else p for p in per]
        else:
            per = [profile.deduction_for(code, indicator, {})] * len(index)
        if any(p is None for p in per):
            raise ConfigError(f"{profile.source}: key 'deductions.{code}': findings of rule {code} deduct points but"
                              f" the profile gives no amount for them (nor 'per_finding' of {indicator})")
        amounts[np.asarray(index)] = per
    return amounts


def finding_points(findings: pd.DataFrame, sites: pd.DataFrame, profile: ScoringProfile) -> pd.Series:
    """The 扣分 each finding stands for (amount × count), before any cap: what an issue list shows per row.

    0 for warn and veto findings, for suspected ones (× suspected.factor) and in exempt groups. Aligned with
    the index of `findings`. The caps of `score` apply to the sums, so these need not add up to points lost."""
    if not len(findings):
        return pd.Series([], index=findings.index, dtype="float64")
    f = _prepare_findings(findings, sites, profile)
    site_rows = {str(s["site_id"]): s for s in sites.to_dict("records")}
    exempt = {site_id: {e.group for e in profile.exemptions if e.applies(site)} for site_id, site in site_rows.items()}
    groups = f["indicator"].map(lambda k: profile.indicators[k].group)
    is_exempt = [g in exempt.get(site_id, ()) for site_id, g in zip(f["site_id"], groups)]
    points = np.where(is_exempt, 0.0, f["amount"].to_numpy()).round(ROUND)
    return pd.Series(points, index=findings.index, dtype="float64")


def _lost(f: pd.DataFrame, keys: list[str], profile: ScoringProfile) -> pd.DataFrame:
    """Raw points lost per keys + indicator, with per-code caps (`max`) applied first."""
    by_code = f.groupby(keys + ["indicator", "code"], sort=False)["amount"].sum().reset_index()
    caps = by_code["code"].map(lambda c: profile.deductions[c].max if c in profile.deductions else None)
    by_code["amount"] = np.where(caps.notna(), np.minimum(by_code["amount"], caps.astype(float).fillna(0)),
                                 by_code["amount"])
    return by_code.groupby(keys + ["indicator"], sort=False)["amount"].sum().round(ROUND).rename("raw").reset_index()


def _assessment(sites: pd.DataFrame, outcomes: pd.DataFrame, findings: pd.DataFrame,
                rule_indicators: Mapping[str, str], profile: ScoringProfile) -> dict[tuple[str, str], str | None]:
    """(site, indicator) -> None when assessed, else the reason it was not."""
    codes_of: dict[str, list[str]] = {}
    for code, indicator in rule_indicators.items():
        codes_of.setdefault(indicator, []).append(code)
    codes_by_key = {key: sorted(codes_of.get(key, [])) for key in profile.indicators}
    reasons = outcomes["reason"] if "reason" in outcomes.columns else [""] * len(outcomes)
    status: dict[tuple[str, str], tuple[str, str]] = {
        (str(site_id), str(code)): (str(state), str(reason or ""))
        for site_id, code, state, reason in zip(outcomes["site_id"], outcomes["code"], outcomes["status"], reasons)}
    # A deduct or veto finding shows the indicator was judged; a warn finding may say it could not be.
    judged = findings[findings["severity"].isin(("deduct", "veto"))]
    with_findings = set(zip(judged["site_id"], judged["indicator"]))
    result = {}
    for site_id in sites["site_id"].astype(str):
        for key, codes in codes_by_key.items():
            states = [status.get((site_id, code)) for code in codes]
            if (site_id, key) in with_findings or any(s and s[0] == "assessed" for s in states):
                result[(site_id, key)] = None
            elif not codes:
                result[(site_id, key)] = NO_RULE
            else:
                reasons = sorted({f"{code}：{s[1]}" if s[1] else code
                                  for code, s in zip(codes, states) if s is not None})
                result[(site_id, key)] = "；".join(reasons) if reasons else NOT_RUN
    return result


def _default_rule_indicators() -> dict[str, str]:
    try:
        from rules import registry  # the rules stage may be absent in a stripped-down install
    except ImportError:
        return {}
    rules = getattr(registry, "RULES", None)
    if rules is None and hasattr(registry, "all_rules"):
        rules = registry.all_rules()
    if isinstance(rules, Mapping):
        rules = rules.values()
    return {r.code: r.indicator for r in (rules or [])}


def score(findings: pd.DataFrame, sites: pd.DataFrame, outcomes: pd.DataFrame, profile: ScoringProfile, *,
          rule_indicators: Mapping[str, str] | None = None, run_id: int | None = None,
          check_id: int | None = None, as_of: str = "") -> ScoreResult:
    """Score every site in `sites` from its findings under `profile`.

    findings: columns of the store's `findings` table (evidence as dict or JSON text);
    sites: site_id, name, office, kind, external_services, status, optionally coverage_reasons (a list: the
    crawl covered too little, rules/coverage.py — the site is then 待定 with those reasons);
    outcomes: code, site_id, status (assessed | not_assessed), reason;
    rule_indicators: rule code -> indicator for every rule that ran (default: the rule registry). An indicator
    with no rule that assessed it is *not assessed*: it is left out of the total, never given full marks."""
    if rule_indicators is None:
        rule_indicators = _default_rule_indicators()
    rule_indicators = dict(rule_indicators)
    if len(findings):
        rule_indicators.update(dict(zip(findings["code"], findings["indicator"])))
        if run_id is None and "run_id" in findings.columns:
            run_id = int(findings["run_id"].iloc[0])
        if check_id is None and "check_id" in findings.columns:
            check_id = int(findings["check_id"].iloc[0])
        if not as_of and "as_of" in findings.columns:
            as_of = str(findings["as_of"].iloc[0])
    sites = sites.reset_index(drop=True).copy()
    sites["site_id"] = sites["site_id"].astype(str)
    if outcomes is None or not len(outcomes):
        outcomes = pd.DataFrame(columns=["code", "site_id", "status", "reason"])
    f = _prepare_findings(findings if len(findings) else pd.DataFrame(
        columns=["code", "indicator", "severity", "site_id"]), sites, profile)
    f = f[f["site_id"].isin(set(sites["site_id"]))]
    assessed = _assessment(sites, outcomes, f, rule_indicators, profile)

    site_lost = _lost(f, ["site_id"], profile).set_index(["site_id", "indicator"])["raw"].to_dict()
    counts = f.groupby(["site_id", "indicator"])["count"].sum().to_dict()
    vetoes = set(zip(f.loc[f["is_veto"], "site_id"], f.loc[f["is_veto"], "indicator"]))

    # per-site figures of the findings, computed once for all sites (a filter per site costs minutes at 10,000)
    veto_rows = f[f["is_veto"]]
    veto_reasons: dict[str, list[str]] = {}
    for site_id, indicator, message in zip(veto_rows["site_id"], veto_rows["indicator"], veto_rows["message"]):
        veto_reasons.setdefault(site_id, []).append(f"{profile.indicators[indicator].name}：{message}")
    site_counts = f.groupby("site_id", sort=False)["count"].sum().to_dict() if len(f) else {}
    site_records = sites.to_dict("records")
    warnings = _warnings(site_records, f, profile, vetoes)
    indicator_rows, site_rows = [], []
    for site in site_records:
        site_id = site["site_id"]
        exempt_keys = profile.exempt_indicators(site)
        rows = []
        for key, ind in profile.indicators.items():
            raw = float(site_lost.get((site_id, key), 0.0))
            reason = assessed[(site_id, key)]
            exempt = key in exempt_keys
            lost = 0.0 if exempt else min(raw, ind.points)
            rows.append(dict(
                site_id=site_id, office="", indicator=key, group=ind.group, name=ind.name, max_points=ind.points,
                raw_points_lost=raw, points_lost=lost, capped=raw > ind.points and not exempt,
                veto=(site_id, key) in vetoes, findings_count=int(counts.get((site_id, key), 0)),
                assessed=reason is None and not exempt, exempt=exempt,
                not_assessed_reason=exempt_keys[key] if exempt else (reason or ""),
            ))
        indicator_rows.extend(rows)
        site_rows.append(_site_total(site, rows, list(dict.fromkeys(veto_reasons.get(site_id, []))),
                                     int(site_counts.get(site_id, 0)), warnings.get(site_id, []), profile))

    office_indicator_rows, office_rows = _offices(f, sites, profile, assessed, indicator_rows)
    indicators = coerce(pd.DataFrame(indicator_rows + office_indicator_rows), INDICATOR_COLUMNS)
    site_frame = _rank(pd.DataFrame(site_rows))
    return ScoreResult(
        indicators=indicators, sites=coerce(site_frame, SITE_COLUMNS), offices=coerce(pd.DataFrame(office_rows),
                                                                                      OFFICE_COLUMNS),
        profile_name=profile.name, profile_hash=profile.hash, run_id=run_id, check_id=check_id, as_of=as_of,
    )


def _site_total(site: dict, rows: list[dict], reasons: list[str], findings_count: int, warnings: list[str],
                profile: ScoringProfile) -> dict:
    scored = [r for r in rows if r["group"] != "否决" and not r["exempt"]]
    max_points = sum(r["max_points"] for r in scored)
    assessed_max = sum(r["max_points"] for r in scored if r["assessed"])
    lost = round(sum(r["points_lost"] for r in scored if r["assessed"]), ROUND)
    # The 100-point part is scored out of what was assessed and scaled to total_points: the same rule RULEBOOK §1
    # gives for the 办事服务 exemption (75 × 4/3), applied to indicators zwgk could not assess.
    score = round((assessed_max - lost) / assessed_max * profile.total_points, 2) if assessed_max > 0 else math.nan
    coverage = assessed_max / max_points if max_points else 0.0
    veto = any(r["veto"] for r in rows)
    gradable = assessed_max > 0 and coverage + 1e-9 >= profile.min_assessed_share
    # the crawl's own coverage (rules/coverage.py): a site whose columns were mostly not reached is not graded
    ungraded = list(site.get("coverage_reasons") or []) if not veto else []
    if not gradable and not veto:
        ungraded.insert(0, f"已评估指标分值占比 {coverage:.0%}，低于 {profile.min_assessed_share:.0%}")
    gradable = gradable and not ungraded
    if veto:
        grade, passed = profile.veto_grade, False
    elif not gradable:
        grade, passed = profile.ungraded_label, None
    else:
        grade, passed = profile.grade_for(score), score >= profile.pass_line
    return dict(
        site_id=site["site_id"], site_name=site.get("name", ""), kind=site.get("kind", ""),
        office=site.get("office", ""), crawl_status=site.get("status", ""), max_points=max_points,
        assessed_max=assessed_max, coverage=round(coverage, ROUND), deduction_total=lost, score=score,
        provisional=assessed_max < max_points, veto=veto, veto_reasons=reasons, passed=passed, grade=grade,
        bonus_eligible=bool(passed) and score > profile.bonus_threshold,
        warnings=warnings,
        not_assessed=[r["indicator"] for r in rows if not r["assessed"] and not r["exempt"]],
        exempt=[r["indicator"] for r in rows if r["exempt"]],
        findings_count=findings_count, ungraded_reasons=ungraded,
    )


def _warnings(sites: list[dict], f: pd.DataFrame, profile: ScoringProfile,
              vetoes: set[tuple[str, str]]) -> dict[str, list[str]]:
    """The 预警 tier per site: counts just below a veto line, suspected veto findings, and a failed crawl.

    Each warning is computed over all sites' findings at once and then split by site, in the profile's order."""
    out: dict[str, list[str]] = {}
    f = f[~f["confidence"].isin(("review", "explained", "dropped"))]  # 待人工复核 and 已说明 findings move no line
    for site in sites:
        status = site.get("status", "")
        if status in ("unreachable", "failed"):
            out.setdefault(site["site_id"], []).append(
                f"本轮抓取{'首页无法访问' if status == 'unreachable' else '未能完成'}；"
                "站点无法访问的否决须经连续一周、每天不少于20次的监测判定，请安排监测复核")
    for warning in profile.early_warnings:
        hit = f[f["code"].isin(warning.codes) & f["severity"].isin(warning.severities)]
        for key, accepted in warning.where.items():
            hit = hit[hit["evidence"].map(lambda e: str(_evidence(e).get(key)) in accepted)]
        veto_at = "" if warning.veto_at is None else warning.veto_at
        silenced = {s for s, i in vetoes if i == warning.veto} if warning.veto else set()
        if warning.each:
            for site_id, n, message in zip(hit["site_id"], hit["count"], hit["message"]):
                if n >= warning.at_least and site_id not in silenced:
                    out.setdefault(site_id, []).append(warning.text.format(n=n, veto_at=veto_at, message=message))
            continue
        totals = hit.groupby("site_id", sort=False)["count"].sum().to_dict() if len(hit) else {}
        first = hit.drop_duplicates("site_id")
        firsts = dict(zip(first["site_id"], first["message"]))
        for site in sites:
            site_id = site["site_id"]
            n = int(totals.get(site_id, 0))
            if site_id not in silenced and n >= warning.at_least:
                message = str(firsts[site_id]) if site_id in firsts else ""
                out.setdefault(site_id, []).append(warning.text.format(n=n, veto_at=veto_at, message=message))
    if profile.suspected_veto_warns:
        doubtful = f[(f["severity"] == "veto") & (f["confidence"] == "suspected")]
        for site_id, indicator, message in zip(doubtful["site_id"], doubtful["indicator"], doubtful["message"]):
            out.setdefault(site_id, []).append(f"疑似{profile.indicators[indicator].name}（待复核，暂不否决）：{message}")
    return {site_id: list(dict.fromkeys(lines)) for site_id, lines in out.items()}


def _offices(f: pd.DataFrame, sites: pd.DataFrame, profile: ScoringProfile,
             assessed: dict, site_rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Per responsible office: the points its own findings cost, each indicator capped at its points.

    Caps apply to the whole site, so office rows need not add up to the site's points lost."""
    if not len(f):
        return [], []
    exempt = {(r["site_id"], r["indicator"]) for r in site_rows if r["exempt"]}
    names = dict(zip(sites["site_id"], sites.get("name", sites["site_id"]).astype(str)))
    lost = _lost(f, ["site_id", "office"], profile)
    counts = f.groupby(["site_id", "office", "indicator"])["count"].sum().to_dict()
    vetoes = set(zip(f.loc[f["is_veto"], "site_id"], f.loc[f["is_veto"], "office"], f.loc[f["is_veto"], "indicator"]))
    indicator_rows = []
    by_office: dict[tuple[str, str], dict[str, float]] = {}
    for row in lost.itertuples(index=False):
        ind = profile.indicators[row.indicator]
        is_exempt = (row.site_id, row.indicator) in exempt
        raw = float(row.raw)
        points = 0.0 if is_exempt else min(raw, ind.points)
        reason = assessed[(row.site_id, row.indicator)]
        indicator_rows.append(dict(
            site_id=row.site_id, office=row.office, indicator=row.indicator, group=ind.group, name=ind.name,
            max_points=ind.points, raw_points_lost=raw, points_lost=points, capped=raw > ind.points and not is_exempt,
            veto=(row.site_id, row.office, row.indicator) in vetoes,
            findings_count=int(counts[(row.site_id, row.office, row.indicator)]),
            assessed=reason is None and not is_exempt, exempt=is_exempt,
            not_assessed_reason="" if reason is None or is_exempt else reason,
        ))
        if points > 0:
            by_office.setdefault((row.site_id, row.office), {})[row.indicator] = points
    order = {k: i for i, k in enumerate(profile.indicators)}
    indicator_rows.sort(key=lambda r: (r["site_id"], r["office"], order[r["indicator"]]))
    office_rows = []
    # one aggregation for every office (a loop over groups costs minutes at province size)
    tally = f[["site_id", "office", "count", "is_veto"]].assign(
        deduct=f["severity"] == "deduct", warn=f["severity"] == "warn").groupby(["site_id", "office"], sort=True).agg(
        issues=("count", "size"), findings_count=("count", "sum"), veto_count=("is_veto", "sum"),
        deduct_count=("deduct", "sum"), warn_count=("warn", "sum")).reset_index()
    for t in tally.itertuples(index=False):
        points = dict(sorted(by_office.get((t.site_id, t.office), {}).items(), key=lambda kv: order[kv[0]]))
        office_rows.append(dict(
            site_id=t.site_id, site_name=names.get(t.site_id, t.site_id), office=t.office, issues=int(t.issues),
            findings_count=int(t.findings_count), veto_count=int(t.veto_count), deduct_count=int(t.deduct_count),
            warn_count=int(t.warn_count), points_lost=round(sum(points.values()), ROUND), points_by_indicator=points,
        ))
    office_rows.sort(key=lambda r: (r["site_id"], -r["points_lost"], -r["issues"], r["office"]))
    return indicator_rows, office_rows


def _rank(frame: pd.DataFrame) -> pd.DataFrame:
    """Rank 1 = best: sites not vetoed before vetoed ones, then by score; equal scores share a rank."""
    if not len(frame):
        return frame
    key = list(zip(frame["veto"], frame["score"].isna(), -frame["score"].fillna(0)))
    order = sorted(range(len(frame)), key=lambda i: (key[i], frame["site_id"].iloc[i]))
    ranks = [0] * len(frame)
    for position, i in enumerate(order):
        previous = order[position - 1] if position else None
        ranks[i] = ranks[previous] if previous is not None and key[previous] == key[i] else position + 1
    frame = frame.assign(rank=ranks)
    return frame.iloc[order].reset_index(drop=True)


# ---- store I/O: the only impure part, kept apart from the scoring above ------------------------------------

_ROW_KIND = "_row"  # site | indicator | office: office names may be '' too, so rows say what they are


def _jsonable(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def store_scores(store, check_id: int, result: ScoreResult, profile: ScoringProfile, basis: dict | None = None) -> int:
    """Write the result to the `scores` table, replacing earlier scores of this check under this profile."""
    if result.profile_hash != profile.hash:
        raise ValueError(f"result was scored with profile hash {result.profile_hash}, not {profile.hash}")
    check = store.db.execute("SELECT run_id FROM checks WHERE check_id=?", (check_id,)).fetchone()
    run_id = int(check["run_id"]) if check is not None else result.run_id
    from zwgk.core.store import now_iso
    stamp = now_iso()
    basis_json = json.dumps(basis or {}, ensure_ascii=False, sort_keys=True)
    rows = []
    for kind, frame, indicator_of in (("site", result.sites, lambda r: ""),
                                      ("indicator", result.indicators, lambda r: r["indicator"]),
                                      ("office", result.offices, lambda r: "")):
        for record in frame.to_dict("records"):
            office = "" if kind == "site" else record["office"]
            data = json.dumps({_ROW_KIND: kind, **_jsonable(record)}, ensure_ascii=False, allow_nan=False)
            rows.append((check_id, run_id, profile.name, profile.hash, stamp, record["site_id"], office,
                         indicator_of(record), data, basis_json))
    with store.transaction() as db:
        if profile.content:
            db.execute("INSERT OR IGNORE INTO scoring_profiles (profile_hash, name, source, content, stored_at)"
                       " VALUES (?,?,?,?,?)", (profile.hash, profile.name, profile.source, profile.content, stamp))
        db.execute("DELETE FROM scores WHERE check_id=? AND profile_name=?", (check_id, profile.name))
        db.executemany("INSERT INTO scores (check_id, run_id, profile_name, profile_hash, scored_at, site_id,"
                       " office, indicator, data, basis) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    return len(rows)


def load_scores(store, check_id: int, profile_name: str | None = None) -> ScoreResult:
    """The scores stored for a check (under the newest-scored profile unless one is named)."""
    from zwgk.core.store import StoreError
    if profile_name is None:
        row = store.db.execute("SELECT profile_name FROM scores WHERE check_id=? ORDER BY rowid DESC LIMIT 1",
                               (check_id,)).fetchone()
        if row is None:
            raise StoreError(f"{store.path}: no scores for check {check_id}; run `zwgk score` first")
        profile_name = row["profile_name"]
    rows = store.db.execute("SELECT run_id, profile_hash, data FROM scores WHERE check_id=? AND profile_name=?"
                            " ORDER BY rowid", (check_id, profile_name)).fetchall()
    if not rows:
        raise StoreError(f"{store.path}: no scores for check {check_id} under profile '{profile_name}'")
    parts: dict[str, list[dict]] = {"site": [], "indicator": [], "office": []}
    for row in rows:
        data = json.loads(row["data"])
        parts[data.pop(_ROW_KIND)].append(data)
    check = store.db.execute("SELECT as_of FROM checks WHERE check_id=?", (check_id,)).fetchone()
    run = store.db.execute("SELECT COALESCE(round_name, '') AS r FROM runs WHERE run_id=?",
                           (int(rows[0]["run_id"]),)).fetchone()
    return ScoreResult(
        indicators=coerce(pd.DataFrame(parts["indicator"]), INDICATOR_COLUMNS),
        sites=coerce(pd.DataFrame(parts["site"]), SITE_COLUMNS),
        offices=coerce(pd.DataFrame(parts["office"]), OFFICE_COLUMNS),
        profile_name=profile_name, profile_hash=rows[0]["profile_hash"], run_id=int(rows[0]["run_id"]),
        check_id=check_id, as_of=check["as_of"] if check is not None else "",
        round_name=run["r"] if run is not None else "",
    )


def read_shared_texts(db, sql: str, params: tuple) -> pd.DataFrame:
    """A query's rows as a frame (as pd.read_sql_query gives them), equal texts of a column held once.

    SQLite hands out a new string for every row: 400,000 findings carried 400,000 copies of a few dozen codes,
    severities, offices and dates, about 250 MB that a province's score and report could not afford. Each
    batch of rows is folded as it is read, so the copies never pile up."""
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    seen: list[dict] = [{} for _ in names]
    records = []
    while rows := cursor.fetchmany(10_000):
        for row in rows:
            records.append(tuple(texts.setdefault(v, v) if isinstance(v, str) else v for v, texts in zip(row, seen)))
    return pd.DataFrame.from_records(records, columns=names, coerce_float=True)


def load_inputs(store, check_id: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    """(findings, sites, outcomes, check) of one stored check, shaped as `score` takes them."""
    from zwgk.core.store import StoreError
    check = store.db.execute("SELECT * FROM checks WHERE check_id=?", (check_id,)).fetchone()
    if check is None:
        raise StoreError(f"{store.path}: no check {check_id}")
    findings = read_shared_texts(store.db, "SELECT * FROM findings WHERE check_id=? ORDER BY seq", (check_id,))
    outcomes = pd.read_sql_query("SELECT code, site_id, status, reason FROM rule_outcomes WHERE check_id=?",
                                 store.db, params=(check_id,))
    site_rows = []
    coverage = store.coverage(check_id)
    for row in store.sites(check["run_id"]):
        profile = json.loads(row["profile_json"] or "{}")
        cov = coverage.get(row["site_id"])
        site_rows.append(dict(site_id=row["site_id"], name=row["name"], office=row["office"], kind=row["kind"],
                              external_services=bool(profile.get("external_services", True)),
                              status=row["status"],
                              coverage_reasons=list(cov.get("reasons") or []) if cov and not cov.get("sufficient",
                                                                                                      True) else []))
    sites = pd.DataFrame(site_rows, columns=["site_id", "name", "office", "kind", "external_services", "status",
                                             "coverage_reasons"])
    return findings, sites, outcomes, dict(check)


def score_text(site) -> str:
    """A site's score as printed everywhere: '87.50', '35.91（暂定）', or '—' when there is none."""
    if site.score is None or math.isnan(site.score):
        return "—"
    return f"{site.score:.2f}" + ("（暂定）" if site.provisional else "")


def registry_rules() -> list:
    """Every rule of the registry (code, indicator, severity ...); empty when the rules stage is absent."""
    try:
        from rules import registry
    except ImportError:
        return []
    rules = getattr(registry, "RULES", None)
    if rules is None and hasattr(registry, "all_rules"):
        rules = registry.all_rules()
    if isinstance(rules, dict):
        rules = rules.values()
    return list(rules or [])


def stored_profile(store: Store, check_id: int, profile_name: str | None = None) -> ScoringProfile | None:
    """The profile the check's scores were made with (its newest scores unless a profile name is given), as stored
    with them; None when the check has no scores, or scores older than the stored profiles."""
    row = store.db.execute(
        "SELECT p.content, p.source FROM scores s JOIN scoring_profiles p ON p.profile_hash = s.profile_hash"
        " WHERE s.check_id=?" + (" AND s.profile_name=?" if profile_name else "") + " ORDER BY s.rowid DESC LIMIT 1",
        (check_id, profile_name) if profile_name else (check_id,)).fetchone()
    return profile_from_content(row["content"], row["source"]) if row else None


def score_check(store: Store, check_id: int, profile_name: str | ScoringProfile = "gov2019"):
    """Score one stored check under a profile (a name, a file, or a loaded one) and store the result; returns
    (result, profile)."""
    profile = profile_name if isinstance(profile_name, ScoringProfile) else load_profile(profile_name)
    rules = registry_rules()
    if rules:  # without the rules stage there is nothing to check the profile against
        check_rules(profile, rules)
    findings, sites, outcomes, check = load_inputs(store, check_id)
    from scoring.adjustments import adjust, write_notes  # explanations and confirmation across rounds
    findings, basis, notes = adjust(store, check_id, findings)
    basis["profile"] = dict(name=profile.name, hash=profile.hash)
    ran = set(json.loads(check["rule_codes"] or "[]"))
    rule_indicators = {r.code: r.indicator for r in rules if r.code in ran}
    result = score(findings, sites, outcomes, profile, rule_indicators=rule_indicators,
                   run_id=check["run_id"], check_id=check_id, as_of=check["as_of"])
    run = store.db.execute("SELECT COALESCE(round_name, '') AS r FROM runs WHERE run_id=?", (check["run_id"],)).fetchone()
    result.round_name = run["r"] if run is not None else ""
    store_scores(store, check_id, result, profile, basis)
    write_notes(store, check_id, notes)
    return result, profile
