"""`zwgk eval pages`: extract every labelled real page of a corpus and score it against its labels.

The labels file (the corpus's pages.yaml) gives, per page file: its CMS family and kind; for detail
pages the 要素 as printed (`fields`: null = not printed, "" = label printed with no value); for list
pages the main list (`list`: entries, newest, oldest, pagination); for homepages the navigation columns
as printed (`columns`, plus sub-columns in `subsite_columns`, `xxgk_tree`, `sub_columns_example`).

Per field the outcome is one of:
- right: the value read equals the label (dates compared as ISO days), or both are absent;
- missing: the label has a value and nothing was read;
- wrong: a value was read that differs from the label (worse than none: it feeds false findings);
- spurious: a value was read where the page prints none (e.g. 发布日期 taken from a <meta> tag).
Only values the page prints count: a block field must come from the metadata block, 发布日期 from the
block, a byline or a script literal (never from <meta> alone), 标题 from the page's headline.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from crawler.extract.dates import parse_date
from crawler.extract.encoding import decode_body
from crawler.extract.page import extract_page
from zwgk.core.config import ConfigError
from zwgk.core.records import PageExtract

FIELDS = ("标题", "索引号", "文号", "发布机构", "成文日期", "发布日期", "有效性", "主题分类")
DATE_FIELDS = ("成文日期", "发布日期")
PRINTED_DATE_SOURCES = ("block", "byline", "script")
TARGETS = {"fields_right": 0.98, "fields_wrong": 0.005, "lists_newest_right": 0.95, "nav_found": 0.90}
_WS = re.compile(r"[\s\u00a0\u2002\u2003\u3000\u200b]+")


def _norm(value) -> str:
    return _WS.sub("", str(value or ""))


def _same(name: str, got: str | None, want) -> bool:
    if name in DATE_FIELDS:
        parsed = parse_date(got or "")
        return parsed is not None and parsed.isoformat() == str(want)[:10]
    return _norm(got) == _norm(want)


def read_fields(page: PageExtract) -> dict[str, str | None]:
    """The value zwgk reads for each labelled field, counting only what the page prints."""
    values: dict[str, str | None] = {}
    for name in FIELDS:
        if name == "标题":
            values[name] = page.title or None
        elif name == "发布日期":
            source = page.sources.get(name, "block" if name in page.fields else "")
            value = page.dates.get(name) if source in PRINTED_DATE_SOURCES else None
            if value is None and source in PRINTED_DATE_SOURCES:
                value = page.fields.get(name)
            values[name] = value
        else:
            source = page.sources.get(name, "block" if name in page.fields else "")
            values[name] = page.fields.get(name) if source == "block" else None
    return values


def field_outcome(name: str, got: str | None, want) -> str:
    if want is None:
        return "right" if got is None else "spurious"
    if want == "":
        return "right" if got is not None and _norm(got) == "" else ("missing" if got is None else "wrong")
    if got is None or _norm(got) == "":
        return "missing"
    return "right" if _same(name, got, want) else "wrong"


def _leaves(tree) -> list[str]:
    """The printed names of an xxgk_tree (a list of {group: [leaves]} or a stringified one)."""
    if isinstance(tree, str):
        try:
            tree = yaml.safe_load(tree.replace("'", '"'))
        except yaml.YAMLError:
            return []
    names: list[str] = []
    for group in tree or []:
        if isinstance(group, dict):
            for head, leaves in group.items():
                names.append(head)
                names.extend(x for x in leaves or [] if isinstance(x, str))
        elif isinstance(group, str):
            names.append(group)
    return names


def cms_family(label: dict) -> str:
    """The family name of a label's cms ("trs_wcm (tYYYYMMDD_N.html)" -> "trs_wcm")."""
    return str(label.get("cms") or "unknown").split(" (")[0].strip()


@dataclass
class PageResult:
    file: str
    cms: str
    kind: str
    fields: dict[str, dict] = field(default_factory=dict)     # name -> {outcome, got, want}
    list: dict | None = None                                  # entries/newest/oldest/pagination: got, want, right
    nav: dict | None = None                                   # columns: found/missed; sub-columns likewise
    error: str = ""


def evaluate_page(html: str, url: str, label: dict) -> PageResult:
    result = PageResult(label["file"], cms_family(label), label.get("kind", ""))
    try:
        page = extract_page(html, url)
    except Exception as exc:  # the harness reports an extractor crash as a result, never stops
        result.error = f"{type(exc).__name__}: {exc}"
        return result
    if isinstance(label.get("fields"), dict):
        got = read_fields(page)
        for name in FIELDS:
            if name not in label["fields"]:
                continue
            want = label["fields"][name]
            result.fields[name] = {"outcome": field_outcome(name, got[name], want), "got": got[name],
                                   "want": want}
    if isinstance(label.get("list"), dict):
        want = label["list"]
        dated = sorted(e.date for e in page.entries if e.date)
        got = {"entries": len(page.entries), "newest": dated[-1] if dated else None,
               "oldest": dated[0] if dated else None, "pagination": bool(page.pagination)}
        result.list = {key: {"got": got[key], "want": want.get(key), "right": got[key] == want.get(key)}
                       for key in got if key in want}
    nav_names = {_norm(link.text) for link in page.nav}
    if label.get("columns"):
        want_cols = [c for c in label["columns"] if _norm(c) not in ("首页", "网站首页")]
        sub: list[str] = list(label.get("subsite_columns") or []) + _leaves(label.get("xxgk_tree"))
        for names in (label.get("sub_columns_example") or {}).values():
            sub.extend(names)
        result.nav = {
            "found": [c for c in want_cols if _norm(c) in nav_names],
            "missed": [c for c in want_cols if _norm(c) not in nav_names],
            "sub_found": [c for c in sub if _norm(c) in nav_names],
            "sub_missed": [c for c in sub if _norm(c) not in nav_names],
        }
    return result


def load_labels(path: Path) -> list[dict]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the labels: {exc}") from exc
    pages = data.get("pages") if isinstance(data, dict) else None
    if not isinstance(pages, list) or not all(isinstance(p, dict) and p.get("file") for p in pages):
        raise ConfigError(f"{path}: pages: expected a list of entries with a 'file'")
    return pages


def evaluate_corpus(pages_dir: Path, labels_path: Path) -> dict:
    """Every labelled page extracted and compared; figures overall and per CMS family."""
    results = []
    for label in load_labels(labels_path):
        path = pages_dir / label["file"]
        try:
            body = path.read_bytes()
        except OSError as exc:
            results.append(PageResult(label["file"], cms_family(label), label.get("kind", ""),
                                      error=f"cannot read {path}: {exc.strerror}"))
            continue
        html, _ = decode_body(body, None)
        results.append(evaluate_page(html, label.get("url") or path.resolve().as_uri(), label))
    return summarize(results)


def _figures(results: list[PageResult]) -> dict:
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        for f in r.fields.values():
            counts[f["outcome"]] += 1
            counts["labelled" if f["want"] is not None else "unlabelled"] += 1
    labelled = counts["labelled"]
    right_labelled = sum(1 for r in results for f in r.fields.values()
                         if f["want"] is not None and f["outcome"] == "right")
    lists = [r.list for r in results if r.list]
    navs = [r.nav for r in results if r.nav]
    found = sum(len(n["found"]) for n in navs)
    want_nav = found + sum(len(n["missed"]) for n in navs)
    sub_found = sum(len(n["sub_found"]) for n in navs)
    want_sub = sub_found + sum(len(n["sub_missed"]) for n in navs)

    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    return {
        "pages": len(results),
        "errors": sum(1 for r in results if r.error),
        "fields": {"labelled": labelled, "right": right_labelled,
                   "missing": counts["missing"], "wrong": counts["wrong"], "spurious": counts["spurious"],
                   "unlabelled": counts["unlabelled"],
                   "right_share": share(right_labelled, labelled),
                   "wrong_share": share(counts["wrong"], labelled)},
        "lists": {"pages": len(lists),
                  "newest_right": sum(1 for x in lists if x.get("newest", {}).get("right")),
                  "entries_right": sum(1 for x in lists if x.get("entries", {}).get("right")),
                  "oldest_right": sum(1 for x in lists if x.get("oldest", {}).get("right")),
                  "pagination_right": sum(1 for x in lists if x.get("pagination", {}).get("right")),
                  "newest_share": share(sum(1 for x in lists if x.get("newest", {}).get("right")), len(lists))},
        "nav": {"homepages": len(navs), "columns": want_nav, "found": found, "found_share": share(found, want_nav),
                "sub_columns": want_sub, "sub_found": sub_found, "sub_found_share": share(sub_found, want_sub)},
    }


def summarize(results: list[PageResult]) -> dict:
    by_cms: dict[str, list[PageResult]] = defaultdict(list)
    for r in results:
        by_cms[r.cms].append(r)
    overall = _figures(results)
    met = {
        "fields_right": (overall["fields"]["right_share"] or 0) >= TARGETS["fields_right"],
        "fields_wrong": (overall["fields"]["wrong_share"] or 0) <= TARGETS["fields_wrong"],
        "lists_newest_right": (overall["lists"]["newest_share"] or 0) >= TARGETS["lists_newest_right"],
        "nav_found": (overall["nav"]["found_share"] or 0) >= TARGETS["nav_found"],
    }
    return {
        "as_of": date.today().isoformat(),
        "overall": overall,
        "targets": TARGETS,
        "targets_met": met,
        "by_cms": {cms: _figures(rs) for cms, rs in sorted(by_cms.items())},
        "pages": [
            {"file": r.file, "cms": r.cms, "kind": r.kind, "error": r.error,
             "fields": {k: v for k, v in r.fields.items() if v["outcome"] != "right"},
             "list": {k: v for k, v in (r.list or {}).items() if not v["right"]} or None,
             "nav_missed": (r.nav or {}).get("missed"), "sub_missed": (r.nav or {}).get("sub_missed")}
            for r in results
        ],
    }


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def format_report(report: dict, details: bool = True) -> str:
    o = report["overall"]
    lines = [
        f"页面 {o['pages']} 个（抽取出错 {o['errors']} 个）",
        f"要素：标注 {o['fields']['labelled']} 项，正确 {o['fields']['right']}（{_pct(o['fields']['right_share'])}），"
        f"漏读 {o['fields']['missing']}，错读 {o['fields']['wrong']}（{_pct(o['fields']['wrong_share'])}），"
        f"无中生有 {o['fields']['spurious']}（共 {o['fields']['unlabelled']} 项未印出）",
        f"列表页：{o['lists']['pages']} 个，最新日期正确 {o['lists']['newest_right']}（{_pct(o['lists']['newest_share'])}），"
        f"条目数正确 {o['lists']['entries_right']}，最早日期正确 {o['lists']['oldest_right']}，"
        f"分页判断正确 {o['lists']['pagination_right']}",
        f"导航栏目：{o['nav']['columns']} 个，按原名找到 {o['nav']['found']}（{_pct(o['nav']['found_share'])}）；"
        f"子栏目 {o['nav']['sub_columns']} 个，找到 {o['nav']['sub_found']}（{_pct(o['nav']['sub_found_share'])}）",
        "目标：" + "，".join(f"{k} {'达到' if v else '未达到'}" for k, v in report["targets_met"].items()),
        "",
        f"{'CMS 类型':<22}{'页面':>4}{'要素正确':>10}{'错读':>6}{'无中生有':>8}{'列表最新日期':>12}{'导航栏目':>10}",
    ]
    for cms, f in report["by_cms"].items():
        lists = f"{f['lists']['newest_right']}/{f['lists']['pages']}" if f["lists"]["pages"] else "—"
        nav = f"{f['nav']['found']}/{f['nav']['columns']}" if f["nav"]["columns"] else "—"
        fields = f"{f['fields']['right']}/{f['fields']['labelled']}" if f["fields"]["labelled"] else "—"
        lines.append(f"{cms:<22}{f['pages']:>4}{fields:>12}{f['fields']['wrong']:>6}{f['fields']['spurious']:>8}"
                     f"{lists:>14}{nav:>12}")
    if details:
        lines.append("")
        for p in report["pages"]:
            problems = []
            if p["error"]:
                problems.append(f"出错：{p['error']}")
            for name, f in p["fields"].items():
                problems.append(f"{name} {f['outcome']}：读到 {f['got']!r}，应为 {f['want']!r}")
            for key, v in (p["list"] or {}).items():
                problems.append(f"列表 {key}：读到 {v['got']!r}，应为 {v['want']!r}")
            if p["nav_missed"]:
                problems.append(f"未找到栏目：{'、'.join(p['nav_missed'])}")
            if p["sub_missed"]:
                problems.append(f"未找到子栏目 {len(p['sub_missed'])} 个：{'、'.join(p['sub_missed'][:8])}")
            if problems:
                lines.append(f"{p['file']}")
                lines.extend(f"    {x}" for x in problems)
    return "\n".join(lines)
