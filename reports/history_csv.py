"""Trend CSV: history.csv, one row per site × round (or run outside a round), oldest first, for dashboards."""

from __future__ import annotations

import re
from pathlib import Path

from reports.scores_csv import write_csv
from scoring.scorer import load_scores
from zwgk.core.history import RoundPoint, history, identities_by_site
from zwgk.core.lookback import compute_diff
from zwgk.core.store import Store, StoreError

HISTORY_FILE = "history.csv"

# Column order is declared here and nowhere else; docs/data-dictionary.md is generated from it
# (`python -m reports.history_csv`), and tests/test_rounds.py checks both agree.
HISTORY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("round", "评估轮次名称；运行不属于任何轮次时为“运行 N”"),
    ("as_of", "该轮评估基准日（YYYY-MM-DD）"),
    ("run_id", "该轮所用运行的编号（同一轮次多次运行时取最新一次完成检查的运行）"),
    ("check_id", "该轮所用检查的编号"),
    ("profile_name", "评分指标表名称（该检查最近一次评分所用）；未评分时为空"),
    ("site_id", "网站编号"),
    ("site_name", "网站名称"),
    ("site_office", "网站主办单位"),
    ("score", "得分（百分制，折算后）；未评分或无可评估指标时为空"),
    ("grade", "等级：优秀、良好、合格、不合格、待定"),
    ("passed", "1 = 合格；0 = 不合格；空 = 待定或未评分"),
    ("veto", "1 = 触发单项否决"),
    ("provisional", "1 = 暂定：有未评估的指标"),
    ("findings", "该轮该网站的问题条数（含待人工复核、已说明）"),
    ("explained", "其中情况说明被接受、标为已说明（不扣分）的条数"),
    ("new", "与上一轮相比新发现的问题条数（第一轮为全部问题）"),
    ("persisting", "上一轮已有、本轮仍存在（未整改）的问题条数"),
    ("fixed", "上一轮有、本轮已消失（已整改）的问题条数；疑似问题未复现、本轮未评估的不计"),
    ("fix_rate", "整改率 = fixed / (fixed + persisting)，0–1；上一轮无问题或为第一轮时为空"),
)


def history_rows(store: Store) -> list[dict]:
    """One row per site of every history point, oldest point first."""
    rows = []
    points = history(store)
    for i, point in enumerate(points):
        counts: dict[str, dict[str, int]] = {}
        if i == 0:   # the first point: every problem is new (the diff would hold every finding to say so)
            counts = {site: {"new": len(keys)} for site, keys in identities_by_site(store, point.check_id).items()}
        else:
            for row in compute_diff(store, points[i - 1].run_id, point.run_id).rows:
                counts.setdefault(row.site_id, {}).setdefault(row.status, 0)
                counts[row.site_id][row.status] += 1
        explained = _explained(store, point)
        scores = _scores(store, point)
        for site in store.sites(point.run_id):
            site_id = site["site_id"]
            c = counts.get(site_id, {})
            s = scores.get(site_id, {})
            judged = c.get("fixed", 0) + c.get("persisting", 0)
            rows.append(dict(
                round=point.label, as_of=point.as_of, run_id=point.run_id, check_id=point.check_id,
                profile_name=s.get("_profile", ""), site_id=site_id, site_name=site["name"],
                site_office=site["office"], score=s.get("score"), grade=s.get("grade", ""),
                passed=s.get("passed"), veto=s.get("veto"), provisional=s.get("provisional"),
                findings=c.get("new", 0) + c.get("persisting", 0), explained=explained.get(site_id, 0),
                new=c.get("new", 0), persisting=c.get("persisting", 0), fixed=c.get("fixed", 0),
                fix_rate=round(c.get("fixed", 0) / judged, 4) if i and judged else None,
            ))
    return rows


def _explained(store: Store, point: RoundPoint) -> dict[str, int]:
    return {r["site_id"]: r["n"] for r in store.db.execute(
        "SELECT f.site_id, COUNT(*) AS n FROM finding_notes n JOIN findings f ON f.check_id = n.check_id"
        " AND f.seq = n.seq WHERE n.check_id=? AND n.confidence='explained' GROUP BY f.site_id", (point.check_id,))}


def _scores(store: Store, point: RoundPoint) -> dict[str, dict]:
    try:
        result = load_scores(store, point.check_id)
    except StoreError:
        return {}
    return {s["site_id"]: {**s, "_profile": result.profile_name} for s in result.sites.to_dict("records")}


def write_history_csv(store: Store, out_dir: str | Path) -> Path:
    """Write history.csv (UTF-8 with BOM, like scores.csv) into out_dir; returns its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / HISTORY_FILE
    return write_csv(path, [c for c, _ in HISTORY_COLUMNS], history_rows(store))


DICTIONARY = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"
_BLOCK = re.compile(rf"(<!-- BEGIN {re.escape(HISTORY_FILE)} -->)(.*?)(<!-- END {re.escape(HISTORY_FILE)} -->)", re.S)


def dictionary_table() -> str:
    return "\n".join(["| 列 | 说明 |", "|---|---|"] + [f"| `{c}` | {d} |" for c, d in HISTORY_COLUMNS])


def dictionary_table_in(text: str) -> str:
    match = _BLOCK.search(text)
    return match.group(2).strip("\n") if match else ""


def update_dictionary(path: Path = DICTIONARY) -> None:
    text = path.read_text(encoding="utf-8")
    table = "\n" + dictionary_table() + "\n"
    text, n = _BLOCK.subn(lambda m: m.group(1) + table + m.group(3), text)
    if n != 1:
        raise SystemExit(f"{path}: no <!-- BEGIN {HISTORY_FILE} --> … <!-- END {HISTORY_FILE} --> block")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    update_dictionary()
