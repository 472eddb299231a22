"""The report's trend chapter: each site's score and each office's open problems over the last rounds, as SVG and tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from markupsafe import Markup, escape

from reports.charts import AXIS, BAND_COLOURS, GRID, _fmt, _svg
from scoring.scorer import load_scores
from zwgk.core.history import RoundPoint, history, keyed_findings
from zwgk.core.store import Store, StoreError

# How many rounds the chapter looks back over (the reported one included); history.csv has them all.
TREND_ROUNDS = 8
# The scored confidences (finding_notes) that close a problem: an accepted explanation, a suspicion not confirmed.
CLOSED = ("explained", "dropped")
LINE_COLOURS = ("#1d4ed8", "#15803d")


@dataclass
class Trends:
    """Scores and open problems per history point, oldest first, ending with the reported check."""

    points: list[RoundPoint]
    summary: list[dict]   # per point: profile, sites, graded, passed, pass_rate, mean_score (sites not vetoed), open
    sites: list[dict]     # per site of the reported run: site_id, name, scores / grades / vetoes per point
    offices: list[dict]   # per site and office: site_id, office, open per point (None: the site was not evaluated)


def load_trends(store: Store, check_id: int, last: int = TREND_ROUNDS) -> Trends | None:
    """The trend of the rounds up to the reported check (at most `last`), or None with fewer than two."""
    row = store.db.execute("SELECT c.run_id, r.as_of, COALESCE(r.round_name, '') AS rn FROM checks c"
                           " JOIN runs r ON r.run_id = c.run_id WHERE c.check_id=?", (check_id,)).fetchone()
    if row is None:
        return None
    points = history(store)
    at = next((i for i, p in enumerate(points) if p.run_id == row["run_id"]
               or (row["rn"] and p.round_name == row["rn"])), None)
    if at is None:   # the reported check is not finished: nothing to compare it with
        return None
    points = points[:at] + [replace(points[at], run_id=int(row["run_id"]), check_id=check_id)]
    points = points[-last:]
    if len(points) < 2:
        return None
    sites = [dict(site_id=s["site_id"], name=s["name"], scores=[], grades=[], vetoes=[])
             for s in store.sites(points[-1].run_id)]
    summary, open_counts = [], []
    for point in points:
        scored = _scores(store, point.check_id)
        profile = scored.pop("", {}).get("profile", "")
        values = list(scored.values())
        graded = [s for s in values if s["passed"] is not None]
        scores = [s["score"] for s in values if s["score"] is not None and not s["veto"]]   # as the overview
        counts = _open(store, point)
        open_counts.append(counts)
        summary.append(dict(label=point.label, as_of=point.as_of, profile=profile, sites=len(_site_offices(store, point)),
                            graded=len(graded), passed=sum(bool(s["passed"]) for s in graded),
                            pass_rate=sum(bool(s["passed"]) for s in graded) / len(graded) if graded else None,
                            mean_score=sum(scores) / len(scores) if scores else None,
                            open=sum(counts.values())))
        for site in sites:
            s = scored.get(site["site_id"], {})
            site["scores"].append(s.get("score"))
            site["grades"].append(s.get("grade", ""))
            site["vetoes"].append(bool(s.get("veto")))
    evaluated = [set(_site_offices(store, p)) for p in points]
    keys = sorted({k for counts in open_counts for k in counts})
    offices = [dict(site_id=site, office=office,
                    open=[counts.get((site, office), 0) if site in seen else None
                          for counts, seen in zip(open_counts, evaluated)])
               for site, office in keys]
    return Trends(points=points, summary=summary, sites=sites, offices=offices)


def _scores(store: Store, check_id: int) -> dict[str, dict]:
    """site -> score, grade, passed, veto under the check's newest-scored profile; '' -> the profile's name."""
    try:
        result = load_scores(store, check_id)
    except StoreError:
        return {}
    out = {"": dict(profile=result.profile_name)}
    for s in result.sites.to_dict("records"):
        score = s["score"]
        out[s["site_id"]] = dict(score=None if score is None or math.isnan(score) else float(score),
                                 grade=s["grade"], passed=s["passed"], veto=bool(s["veto"]))
    return out


def _site_offices(store: Store, point: RoundPoint) -> dict[str, str]:
    return {s["site_id"]: s["office"] for s in store.sites(point.run_id)}


def _open(store: Store, point: RoundPoint) -> dict[tuple[str, str], int]:
    """(site, office) -> the problems a round left open: its findings by identity (as 回头看 counts them), without
    待人工复核 items, accepted explanations (已说明) and suspicions a recheck did not confirm."""
    closed = {r["identity"] for r in store.db.execute(
        f"SELECT identity FROM finding_notes WHERE check_id=? AND confidence IN ({','.join('?' * len(CLOSED))})",
        (point.check_id, *CLOSED))}
    offices = _site_offices(store, point)
    out: dict[tuple[str, str], int] = {}
    for identity, findings in keyed_findings(store, point.check_id).items():
        finding = findings[0]
        if identity in closed or finding["confidence"] == "review":
            continue
        key = (finding["site_id"], finding["office"] or offices.get(finding["site_id"], ""))
        out[key] = out.get(key, 0) + 1
    return out


# ---- what the template prints ----------------------------------------------------------------------------------

def _number(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _change(values: list) -> tuple[str, str]:
    """The change from the first to the last known value: ('+2.50', 'up'), ('-1', 'down'), ('—', '')."""
    known = [v for v in values if v is not None]
    if len(known) < 2:
        return "—", ""
    delta = known[-1] - known[0]
    digits = 0 if all(float(v).is_integer() for v in known) else 2
    text = f"{delta:+.{digits}f}" if delta else "0"
    return text, "up" if delta > 0 else "down" if delta < 0 else ""


def trend_context(trends: Trends | None) -> dict | None:
    """Everything the trend chapter prints: the round summary chart and table, per-site and per-office rows."""
    if trends is None:
        return None
    labels = [p.label for p in trends.points]
    rounds = [dict(s, pass_rate_text="—" if s["pass_rate"] is None else f"{s['pass_rate'] * 100:.1f}%",
                   passed_text=f"{s['passed']}/{s['graded']}", mean_text=_number(s["mean_score"]))
              for s in trends.summary]
    chart = line_chart(labels, [("平均得分（未否决网站）", [s["mean_score"] for s in trends.summary]),
                                ("合格率（%）", [None if s["pass_rate"] is None else s["pass_rate"] * 100
                                              for s in trends.summary])],
                       label="历次评估平均得分与合格率：" + "；".join(
                           f"{r['label']} 平均得分 {r['mean_text']}，合格率 {r['pass_rate_text']}" for r in rounds),
                       table_id="trend-rounds")
    sites = []
    for site in trends.sites:
        change, direction = _change(site["scores"])
        cells = [dict(text=_number(score), grade=f"{grade}（否决）" if veto else grade)
                 for score, grade, veto in zip(site["scores"], site["grades"], site["vetoes"])]
        spoken = "；".join(f"{label} {c['text']}{'，' + c['grade'] if c['grade'] else ''}"
                           for label, c in zip(labels, cells))
        sites.append(dict(name=site["name"], cells=cells, change=change, direction=direction,
                          chart=sparkline(site["scores"], [BAND_COLOURS.get(g, AXIS) for g in site["grades"]],
                                          f"{site['name']}历次得分：{spoken}")))
    names = {s["site_id"]: s["name"] for s in trends.sites}
    offices = []
    for office in sorted(trends.offices, key=lambda o: (-(o["open"][-1] or 0), names.get(o["site_id"], o["site_id"]),
                                                        o["office"])):
        change, direction = _change(office["open"])
        spoken = "；".join(f"{label} {'未评估' if n is None else n}" for label, n in zip(labels, office["open"]))
        offices.append(dict(site=names.get(office["site_id"], office["site_id"]), office=office["office"],
                            cells=["—" if n is None else str(n) for n in office["open"]], change=change,
                            direction=direction,
                            chart=sparkline(office["open"], [AXIS] * len(office["open"]),
                                            f"{office['office']}历次未整改问题数：{spoken}", floor_zero=True)))
    return dict(labels=labels, first=labels[0], last=labels[-1], count=len(labels), rounds=rounds, chart=chart,
                sites=sites, offices=offices, limit=TREND_ROUNDS)


# ---- charts ----------------------------------------------------------------------------------------------------

def line_chart(labels: list[str], series: list[tuple[str, list]], label: str, table_id: str = "",
               width: int = 640, height: int = 240) -> Markup:
    """Lines over the rounds on a 0–100 scale (scores, rates in %); a missing value breaks the line."""
    left, right, top, bottom = 40, 170, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([100.0] + [v for _, values in series for v in values if v is not None])
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return left + (step * i if len(labels) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    body = []
    for tick in range(0, int(peak) + 1, 20):
        body.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" y2="{y(tick):.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" fill="{AXIS}">{tick}</text>')
    for i, name in enumerate(labels):
        body.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle" fill="#374151">'
                    f'{escape(name)}</text>')
    for n, (name, values) in enumerate(series):
        colour = LINE_COLOURS[n % len(LINE_COLOURS)]
        for run in _runs(values):
            if len(run) > 1:
                points = " ".join(f"{x(i):.1f},{y(values[i]):.1f}" for i in run)
                body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, value in enumerate(values):
            if value is not None:
                body.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3.5" fill="{colour}">'
                            f'<title>{escape(labels[i])} {escape(name)}：{_fmt(round(value, 2))}</title></circle>')
        ly = top + 14 + 20 * n
        body.append(f'<line x1="{left + plot_w + 12}" y1="{ly - 4}" x2="{left + plot_w + 30}" y2="{ly - 4}" '
                    f'stroke="{colour}" stroke-width="2"/>')
        body.append(f'<text x="{left + plot_w + 34}" y="{ly}" fill="#374151">{escape(name)}</text>')
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="{AXIS}"/>')
    svg = _svg(width, height, body, label)
    if table_id:   # the table with the same figures, for screen readers
        svg = Markup(str(svg).replace("<svg ", f'<svg aria-describedby="{escape(table_id)}" ', 1))
    return svg


def sparkline(values: list, colours: list[str], label: str, width: int = 132, height: int = 30,
              floor_zero: bool = False) -> Markup:
    """A small line of one site's (or office's) values over the rounds, each dot in its band's colour."""
    pad = 5
    known = [v for v in values if v is not None]
    if not known:
        return Markup(str(_svg(width, height, [], label)).replace('class="chart"', 'class="chart spark"', 1))
    low = 0.0 if floor_zero else min(known)
    high = max(known)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * ((v - low) / span if high != low else 0.5)

    body = []
    for run in _runs(values):
        if len(run) > 1:
            points = " ".join(f"{pad + step * i:.1f},{y(values[i]):.1f}" for i in run)
            body.append(f'<polyline points="{points}" fill="none" stroke="{AXIS}" stroke-width="1.5"/>')
    for i, value in enumerate(values):
        if value is not None:
            body.append(f'<circle cx="{pad + step * i:.1f}" cy="{y(value):.1f}" r="2.5" fill="{colours[i]}"/>')
    return Markup(str(_svg(width, height, body, label)).replace('class="chart"', 'class="chart spark"', 1))


def _runs(values: list) -> list[list[int]]:
    """Indexes of the unbroken stretches of known values."""
    runs, current = [], []
    for i, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(i)
    if current:
        runs.append(current)
    return runs
