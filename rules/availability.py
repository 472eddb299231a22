"""AVAIL rules: the 站点无法访问 veto and 首页可用性 from a week of homepage probes (zwgk probe) (RULEBOOK §2, §3)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Iterator

from rules.context import CheckContext, NotAssessed
from rules.snapshot import Probe, Snapshot
from zwgk.core.records import Finding

MAX_LISTED = 10


def _local_day(probe: Probe, offset_hours: int):
    at = datetime.fromisoformat(probe.at.rstrip("Z")[:19])
    return (at + timedelta(hours=offset_hours)).date()


def window_probes(snapshot: Snapshot, ctx: CheckContext) -> tuple[list[Probe], str]:
    """The probes of the window ending on the as-of day (Beijing days); NotAssessed when too few."""
    t = ctx.thresholds.availability
    first = t.window.start(ctx.as_of) + timedelta(days=1)   # 7d ending on as_of: as_of−6 … as_of
    span = f"{first.isoformat()}至{ctx.as_of.isoformat()}"
    days = (ctx.as_of - first).days + 1
    need = t.min_probes_per_day * days
    probes = [p for p in snapshot.probes if first <= _local_day(p, t.utc_offset_hours) <= ctx.as_of]
    if len(probes) < need:
        raise NotAssessed(f"首页可用性监测次数不足：{span} 共 {len(probes)} 次，至少需要 {need} 次"
                          f"（每天{t.min_probes_per_day}次×{days}天，运行 zwgk probe 监测）")
    return probes, span


def _evidence(probes: list[Probe], failed: list[Probe], span: str) -> dict:
    return {"window": span, "probes": len(probes), "failed": len(failed),
            "failed_percent": round(100 * len(failed) / len(probes), 2),
            "compressed": any(p.compressed for p in probes),
            "failures": [{"at": p.at, "status": p.status, "error": p.error} for p in failed[:MAX_LISTED]]}


def _summary(probes: list[Probe], failed: list[Probe], span: str) -> str:
    note = "（压缩演示窗口，非真实一周）" if any(p.compressed for p in probes) else ""
    errors = "、".join(dict.fromkeys(p.error or f"HTTP {p.status}" for p in failed[:MAX_LISTED]))
    return (f"{span}首页监测{len(probes)}次，{len(failed)}次未能在规定时间内打开"
            f"（失败率{100 * len(failed) / len(probes):.1f}%）{note}；失败原因：{errors}")


def check_site_unreachable(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the share of homepage probes that failed (not opened within the probe timeout, or an
    HTTP error) over the window ending on the as-of day.

    Why: a site that cannot be opened serves nobody; at 5 % failed probes over a week the site fails the
    inspection outright.

    Basis: 国办秘函〔2019〕19号《政府网站与政务新媒体检查指标》单项否决"站点无法访问"（连续监测1周，每天不少于
    20次，首页超过15秒打不开的次数累计超过（含）总监测次数的5%）.

    Not flagged: a window with fewer probes than required (not assessed, with the count); failures below
    the veto line (AVAIL002).
    """
    probes, span = window_probes(snapshot, ctx)
    failed = [p for p in probes if not p.ok]
    if 100 * len(failed) >= ctx.thresholds.availability.veto_failed_percent * len(probes):
        yield ctx.finding(f"站点无法访问：{_summary(probes, failed, span)}", url=snapshot.site.homepage,
                          evidence=_evidence(probes, failed, span))


def check_homepage_availability(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: failed homepage probes below the veto line; each whole 1 % of failures is one
    deduction unit (count).

    Why: 首页可用性 is scored by the failed share of a week's probes.

    Basis: 国办秘函〔2019〕19号 扣分指标"首页可用性"（首页打不开次数占比，每1%扣5分）.

    Not flagged: under 1 % failed (no whole percent to deduct); at or over the veto line (AVAIL001);
    a window with too few probes (not assessed).
    """
    probes, span = window_probes(snapshot, ctx)
    failed = [p for p in probes if not p.ok]
    percent = 100 * len(failed) / len(probes)
    whole = math.floor(percent + 1e-9)
    if whole < 1 or percent >= ctx.thresholds.availability.veto_failed_percent:
        return
    yield ctx.finding(f"首页可用性不足：{_summary(probes, failed, span)}", url=snapshot.site.homepage,
                      evidence=_evidence(probes, failed, span), count=whole)
