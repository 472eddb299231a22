"""Dashboard CSV: scores.csv (one row per site × indicator) and scores_wide.csv (one row per site)."""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path


from reports.safe_output import atomic_path, neutralise_cell
from scoring.scorer import ScoreResult

LONG_FILE = "scores.csv"
WIDE_FILE = "scores_wide.csv"

_CONTEXT = (
    ("run_id", "运行编号：一次抓取（快照）的编号"),
    ("check_id", "检查编号：对该快照的一次规则检查"),
    ("as_of", "检查基准日（YYYY-MM-DD），时效类规则以此日为准"),
    ("profile_name", "评分指标表名称，如 gov2019"),
    ("profile_hash", "评分指标表内容的哈希（sha256 前16位）；同一快照、同一哈希可复现同一得分"),
    ("site_id", "网站编号（站点配置中的 id）"),
    ("site_name", "网站名称"),
    ("site_kind", "网站类型：portal 政府门户网站，department 部门网站"),
    ("site_office", "网站主办单位"),
)

# Column order of each file is declared here and nowhere else; docs/data-dictionary.md is generated from it.
LONG_COLUMNS: tuple[tuple[str, str], ...] = _CONTEXT + (
    ("indicator", "指标键：`分组.指标`，单项否决项为 `否决.项目`"),
    ("group", "指标分组：发布解读、办事服务、互动交流、功能设计，或 否决"),
    ("indicator_name", "指标名称"),
    ("max_points", "指标分值（单项否决项为 0）"),
    ("raw_points_lost", "封顶前的扣分合计（正数）；未评估或免评时为空"),
    ("points_lost", "计入总分的扣分（正数，已按指标分值封顶）；未评估或免评时为空，不是 0"),
    ("capped", "1 = 扣分超过指标分值，已封顶；0 = 未封顶"),
    ("veto", "1 = 触发该单项否决项；0 = 未触发"),
    ("findings_count", "该指标的问题数（聚合问题按其代表的实例数计）"),
    ("assessed", "1 = 已评估；0 = 未评估或免评"),
    ("exempt", "1 = 按指标表规定免评（如无对外服务职能的部门网站免评办事服务）"),
    ("not_assessed_reason", "未评估或免评的原因；已评估时为空"),
    ("round", "评估轮次名称（如 2026Q4）；运行不属于任何轮次时为空"),
)
WIDE_COLUMNS: tuple[tuple[str, str], ...] = _CONTEXT + (
    ("crawl_status", "本次抓取状态：done 完成，unreachable 首页无法访问，failed 失败"),
    ("rank", "排名（1 为最好；未否决的网站在前，同分同名次）"),
    ("score", "扣分指标得分（百分制，已按免评和未评估指标折算）；无可评估指标时为空"),
    ("grade", "等级：优秀、良好、合格、不合格（单项否决即不合格），已评估分值过少时为“待定”"),
    ("passed", "1 = 合格（未否决且得分不低于合格线）；0 = 不合格；空 = 待定"),
    ("veto", "1 = 触发单项否决"),
    ("veto_reasons", "否决原因，多条以“；”分隔"),
    ("provisional", "1 = 暂定：有未评估的指标，得分按已评估部分折算"),
    ("coverage", "已评估指标分值占应评分值的比例（0–1）"),
    ("max_points", "应评分值：扣分指标满分减去免评分组的分值（如 100，部门网站免评办事服务时为 75）"),
    ("assessed_max", "已评估指标的分值合计，得分的折算基数"),
    ("deduction_total", "已评估指标的扣分合计（封顶后，折算前，正数）"),
    ("bonus_eligible", "1 = 得分高于加分门槛，可参评加分指标（加分指标 zwgk 不评估）"),
    ("warnings", "预警（接近否决线等），多条以“；”分隔"),
    ("not_assessed", "未评估的指标键，多条以“；”分隔"),
    ("exempt", "免评的指标键，多条以“；”分隔"),
    ("findings_count", "问题数合计（聚合问题按实例数计）"),
    ("round", "评估轮次名称（如 2026Q4）；运行不属于任何轮次时为空"),
)
# Then one column per indicator of the profile, in profile order (veto items first).
WIDE_INDICATOR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("veto:<否决项键>", "单项否决项：1 = 触发，0 = 未触发，空 = 未评估"),
    ("lost:<指标键>", "该指标计入总分的扣分（正数，已封顶）；空 = 未评估或免评"),
)


def _text(value) -> str:
    """One cell as text; numbers are never negative here, so no number is ever neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return format(round(value, 4) + 0.0, ".10g")  # + 0.0 turns -0.0 into 0.0
    if isinstance(value, (list, tuple)):
        return "；".join(str(v) for v in value)
    return str(value)


def _context(result: ScoreResult, site) -> dict:
    return dict(run_id=result.run_id, check_id=result.check_id, as_of=result.as_of,
                profile_name=result.profile_name, profile_hash=result.profile_hash, site_id=site["site_id"],
                site_name=site["site_name"], site_kind=site["kind"], site_office=site["office"],
                round=getattr(result, "round_name", ""))


def long_rows(result: ScoreResult) -> list[dict]:
    sites = {s["site_id"]: s for s in result.sites.to_dict("records")}
    rows = []
    whole = result.indicators[result.indicators["office"] == ""]
    order = {site_id: i for i, site_id in enumerate(sites)}
    whole = whole.assign(_order=whole["site_id"].map(order)).sort_values("_order", kind="stable")
    for ind in whole.to_dict("records"):
        counted = ind["assessed"]
        rows.append({**_context(result, sites[ind["site_id"]]), **dict(
            indicator=ind["indicator"], group=ind["group"], indicator_name=ind["name"],
            max_points=ind["max_points"], raw_points_lost=ind["raw_points_lost"] if counted else None,
            points_lost=ind["points_lost"] if counted else None, capped=ind["capped"], veto=ind["veto"],
            findings_count=ind["findings_count"], assessed=ind["assessed"], exempt=ind["exempt"],
            not_assessed_reason=ind["not_assessed_reason"],
        )})
    return rows


def wide_columns(result: ScoreResult) -> list[str]:
    """The wide file's header: the declared columns, then veto: / lost: columns in profile order."""
    whole = result.indicators[result.indicators["office"] == ""]
    keys = list(dict.fromkeys(whole["indicator"]))
    groups = dict(zip(whole["indicator"], whole["group"]))
    per_indicator = [f"veto:{k}" if groups[k] == "否决" else f"lost:{k}" for k in keys]
    return [c for c, _ in WIDE_COLUMNS] + per_indicator


def wide_rows(result: ScoreResult) -> list[dict]:
    whole = result.indicators[result.indicators["office"] == ""]
    by_site: dict[str, dict] = {}
    for ind in whole.to_dict("records"):
        cells = by_site.setdefault(ind["site_id"], {})
        if ind["group"] == "否决":
            cells[f"veto:{ind['indicator']}"] = ind["veto"] if ind["assessed"] else None
        else:
            cells[f"lost:{ind['indicator']}"] = ind["points_lost"] if ind["assessed"] else None
    rows = []
    for site in result.sites.to_dict("records"):
        row = _context(result, site)
        row.update({c: site[c] for c, _ in WIDE_COLUMNS if c not in row})
        row.update(by_site.get(site["site_id"], {}))
        rows.append(row)
    return rows


def write_csv(path: Path, columns: list[str], rows) -> Path:
    """A dashboard CSV: UTF-8 with BOM, columns in the declared order, cells as text, formulas neutralised."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([neutralise_cell(_text(row.get(c))) for c in columns])
    return path


def write_scores_csv(result: ScoreResult, out_dir: str | Path) -> list[Path]:
    """Write scores.csv and scores_wide.csv (UTF-8 with BOM) into out_dir; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [
        write_csv(out / LONG_FILE, [c for c, _ in LONG_COLUMNS], long_rows(result)),
        write_csv(out / WIDE_FILE, wide_columns(result), wide_rows(result)),
    ]


# ---- the data dictionary is generated from the declarations above -------------------------------------------

DICTIONARY = Path(__file__).resolve().parent.parent / "docs" / "data-dictionary.md"
_SECTIONS = {LONG_FILE: LONG_COLUMNS, WIDE_FILE: WIDE_COLUMNS + WIDE_INDICATOR_COLUMNS}


def dictionary_table(file_name: str) -> str:
    lines = ["| 列 | 说明 |", "|---|---|"]
    lines += [f"| `{column}` | {description} |" for column, description in _SECTIONS[file_name]]
    return "\n".join(lines)


def _block(file_name: str) -> re.Pattern:
    return re.compile(rf"(<!-- BEGIN {re.escape(file_name)} -->)(.*?)(<!-- END {re.escape(file_name)} -->)", re.S)


def dictionary_tables_in(text: str) -> dict[str, str]:
    """The generated tables as they stand in the dictionary text (file name -> table)."""
    found = {}
    for name in _SECTIONS:
        match = _block(name).search(text)
        found[name] = match.group(2).strip("\n") if match else ""
    return found


def update_dictionary(path: Path = DICTIONARY) -> None:
    """Rewrite the generated tables in docs/data-dictionary.md after a column change."""
    text = path.read_text(encoding="utf-8")
    for name in _SECTIONS:
        table = "\n" + dictionary_table(name) + "\n"
        text, n = _block(name).subn(lambda m, table=table: m.group(1) + table + m.group(3), text)
        if n != 1:
            raise SystemExit(f"{path}: no <!-- BEGIN {name} --> … <!-- END {name} --> block")
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    update_dictionary()
