"""Runs the rules over stored snapshots, one site at a time, and writes findings and rule outcomes.

No network and no clock: the as-of date comes in, the snapshot is read from the store, so re-checking
an old run with newer rules never refetches anything. A rule that raises is recorded as not assessed
for that site, with the error, and the other rules go on.
"""

from __future__ import annotations

import traceback
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from rules.catalog import site_catalog
from rules.context import CheckContext, NotAssessed
from rules.coverage import site_coverage
from rules.redaction import redact, redact_value
from rules.registry import Rule, rules_version, select_rules
from rules.snapshot import Snapshot, load_sites, load_snapshot
from rules.thresholds import Thresholds, load_thresholds
from zwgk.core.config import ConfigError
from zwgk.core.records import Finding, RuleOutcome

_SITE_NOT_DONE = {
    "unreachable": "站点无法访问，未能抓取",
    "failed": "站点抓取失败",
    "pending": "站点尚未抓取",
    "crawling": "站点抓取未完成",
}


def parse_as_of(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(f"as-of date must be YYYY-MM-DD, got {value!r}") from None


def make_context(snapshot: Snapshot, as_of: date, thresholds: Thresholds) -> CheckContext:
    """The context of one site: its catalog (defaults + the profile's file) is read here, once."""
    catalog, error = None, ""
    try:
        catalog = site_catalog(snapshot.site.profile)
    except (ConfigError, OSError) as exc:
        error = f"公开目录无法读取：{exc}"
    return CheckContext(as_of=as_of, thresholds=thresholds, site=snapshot.site, catalog=catalog,
                        catalog_error=error)


def _error_text(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" ({Path(where.filename).name}:{where.lineno})" if where else ""
    return f"规则运行出错：{type(exc).__name__}: {exc}{at}"


def check_snapshot(snapshot: Snapshot, ctx: CheckContext, rules: Iterable[Rule]) -> tuple[list[Finding], list[RuleOutcome]]:
    """Every rule on one site: findings (in rule order) and one outcome per rule. Pure but for the reads."""
    rules = tuple(rules)
    site_id = snapshot.site.site_id
    status = snapshot.site.status
    if status != "done":
        reason = _SITE_NOT_DONE.get(status, f"站点状态为 {status}")
        if snapshot.site.error:
            reason += f"：{snapshot.site.error}"
        return [], [RuleOutcome(r.code, site_id, "not_assessed", reason) for r in rules]

    found: dict[str, list[Finding]] = {r.code: [] for r in rules}
    failed: dict[str, str] = {}
    page_rules = []
    for rule in (r for r in rules if r.per_page):
        rctx = ctx.for_rule(rule)
        try:
            if rule.prepare is not None:
                rule.prepare(snapshot, rctx)
        except NotAssessed as exc:
            failed[rule.code] = str(exc)
        except Exception as exc:
            failed[rule.code] = _error_text(exc)
        else:
            page_rules.append((rule, rctx))
    if page_rules:
        # one pass over the pages for all page rules: pages stream from the store, never all in memory
        active = page_rules
        try:
            for page in snapshot.pages():
                if not page.ok:
                    continue
                for rule, rctx in active:
                    try:
                        out = rule.check(page, snapshot, rctx)
                        if out is not None:
                            found[rule.code].extend(out)
                    except NotAssessed as exc:
                        failed[rule.code] = str(exc)
                    except Exception as exc:  # a broken rule must not stop the others
                        failed[rule.code] = _error_text(exc)
                if len(failed) and any(r.code in failed for r, _ in active):
                    active = [(r, c) for r, c in active if r.code not in failed]
        except Exception as exc:  # the snapshot itself could not be read
            for rule, _ in page_rules:
                failed.setdefault(rule.code, f"快照读取出错：{type(exc).__name__}: {exc}")
    for rule in rules:
        if rule.per_page:
            continue
        try:
            found[rule.code] = list(rule.check(snapshot, ctx.for_rule(rule)) or ())
        except NotAssessed as exc:
            failed[rule.code] = str(exc)
        except Exception as exc:
            failed[rule.code] = _error_text(exc)

    findings: list[Finding] = []
    outcomes: list[RuleOutcome] = []
    for rule in rules:
        if rule.code in failed:
            outcomes.append(RuleOutcome(rule.code, site_id, "not_assessed", failed[rule.code]))
            continue
        outcomes.append(RuleOutcome(rule.code, site_id, "assessed"))
        hits = merge_by_url(found[rule.code], snapshot.site.office) if rule.merge_by_url else found[rule.code]
        findings.extend(_redacted(f) for f in hits)
    return findings, outcomes


MAX_LISTED_PAGES = 20


def merge_by_url(findings: list[Finding], site_office: str) -> list[Finding]:
    """One finding per target URL: the first occurrence, with every page it appears on in the evidence.

    A link in a shared footer is one broken link, not one per page; the pages are listed (up to 20)
    and counted in evidence["occurrences"]. When they span columns, the site's office gets it.
    """
    groups: dict = {}
    for f in findings:
        key = f.url if f.url else (f.url, f.parent_url)   # empty src: one per page
        groups.setdefault(key, []).append(f)
    out = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            out.append(first)
            continue
        evidence = dict(first.evidence, occurrences=len(group),
                        pages=[f.parent_url for f in group[:MAX_LISTED_PAGES]])
        if len({f.column_id for f in group}) > 1:
            evidence.pop("column_class", None)
            first = replace(first, column_id="", column_name="", office=site_office)
        out.append(replace(first, evidence=evidence))
    return out


def _redacted(f: Finding) -> Finding:
    # personal numbers never leave the engine in full (PRIV rules report where they are, not what)
    return replace(f, message=redact(f.message), title=redact(f.title), evidence=redact_value(f.evidence))


def run_check(store, run_id: int | None, as_of=None, codes=None, thresholds=None,
              on_site: Callable[[str, int, list[RuleOutcome]], None] | None = None) -> int:
    """Check every site of a run (default: the newest run); returns the check id.

    as_of defaults to the run's as-of date; codes selects rules or families (`META,LINK001`);
    thresholds is a Thresholds, a path to an override YAML file, or None for the defaults.
    """
    run = store.run(run_id)
    run_id = int(run["run_id"])
    day = parse_as_of(as_of if as_of is not None else run["as_of"])
    if thresholds is None or isinstance(thresholds, (str, Path)):
        thresholds = load_thresholds(thresholds)
    rules = select_rules(codes)
    check_id = store.create_check(run_id, day.isoformat(), rules_version(thresholds), [r.code for r in rules])
    seq = 0
    for site_id in load_sites(store.db, run_id):
        try:
            snapshot = load_snapshot(store, run_id, site_id)
        except Exception as exc:
            outcomes = [RuleOutcome(r.code, site_id, "not_assessed", f"快照读取出错：{type(exc).__name__}: {exc}")
                        for r in rules]
            findings = []
        else:
            findings, outcomes = check_snapshot(snapshot, make_context(snapshot, day, thresholds), rules)
            try:
                store.write_coverage(check_id, site_id, site_coverage(snapshot, thresholds))
            except Exception as exc:  # coverage that cannot be computed leaves the site ungradable
                store.write_coverage(check_id, site_id, dict(
                    sufficient=False, reasons=[f"抓取覆盖情况无法计算：{type(exc).__name__}: {exc}"]))
        seq += store.write_findings(check_id, run_id, day.isoformat(), findings, start_seq=seq)
        store.write_rule_outcomes(check_id, outcomes)
        if on_site is not None:
            on_site(site_id, len(findings), outcomes)
    store.finish_check(check_id)
    return check_id
