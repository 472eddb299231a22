"""META rules: the 信息公开要素 of 政府信息公开 items and 规范性文件 (RULEBOOK §5)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterator

from rules.context import CheckContext
from rules.snapshot import Column, Page, Snapshot
from zwgk.core.records import Finding

DATE_FIELDS = ("成文日期", "发布日期")
REPEAL_FIELDS = ("废止日期", "失效日期")
_SPACE = re.compile(r"[\s\u00a0\u2002\u2003\u3000]+")
_INNER_SPACE = re.compile(r"\S[\s\u00a0\u2002\u2003\u3000]+\S")
_NUMBER_SPLIT = re.compile(r"[、，,；;]")
_OPENERS = "〔﹝[［(（【「〈《<{"
_CLOSERS = "〕﹞]］)）】」〉》>}"
_BRACKETED = re.compile(r"^(?P<prefix>.*?)(?P<open>[" + re.escape(_OPENERS) + r"])(?P<year>\d{2,4})"
                        r"(?P<close>[" + re.escape(_CLOSERS) + r"])(?P<rest>.*)$")
_BARE_YEAR = re.compile(r"^(?P<prefix>\D*?)(?P<year>(?:19|20)\d{2})年?(?P<rest>.*)$")
_ORDER_NUMBER = re.compile(r"^\D+令第[1-9]\d*号$")
_SEQUENCE = re.compile(r"^(?P<di>第?)(?P<seq>\d+)(?P<hao>号?)$")


def squash(value: str | None) -> str:
    """A value without any whitespace (ASCII, full-width, &ensp; ...)."""
    return _SPACE.sub("", value or "")


def iso_day(value: str | None) -> date | None:
    """The date of an ISO date or datetime string; None when absent or not a date."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# ---- which pages carry required metadata -----------------------------------------------------

@dataclass(frozen=True, slots=True)
class Role:
    """What a page is for the META rules: a 规范性文件/政策文件 or another 政府信息公开 item."""

    policy: bool
    label: str               # 规范性文件 | 政策文件 | 政府信息公开信息
    required: tuple[str, ...]
    evidence: str = ""       # the positive evidence that the page is a 政府信息公开 item
    doubt: str = ""          # why that is not established (findings then go to 待人工复核)


# ---- where a value was read, and whether it is evidence ------------------------------------------

_WHERE = {"block": "信息公开要素区块", "line": "标题下方单行标注", "byline": "标题下方的日期行",
          "script": "页面脚本中的取值", "body": "正文首行单独印出", "script-unknown": "由页面脚本写入（无法读取）",
          "meta": "仅见于<meta>标签（页面未印出）", "url": "仅见于网址", "": "页面未见该要素"}


def source_of(page: Page, name: str) -> str:
    """Where a field was read (block | byline | body | script | script-unknown | meta | url), '' when absent.

    Pages recorded before sources were kept count their values as read from the block, as the crawler
    then did."""
    recorded = page.sources.get(name)
    if recorded:
        return recorded
    return "block" if name in page.fields or name in page.dates else ""


def layout_of(page: Page) -> str:
    """How the block was read: block | line | byline | unrecognised | '' (none)."""
    return page.layout or ("block" if page.metadata or page.fields else "")


def block_fields(page: Page) -> set[str]:
    """The fields whose labels a metadata block prints (a byline's 发布日期/来源 are no block). A block
    whose values could not be told apart still shows which labels the page prints."""
    layout = layout_of(page)
    if layout not in ("block", "line", "unrecognised"):
        return set()
    printed = {m.field for m in page.metadata if m.field}
    return printed | {f for f in page.fields if source_of(page, f) == "block"}


def weak_reason(page: Page, names) -> str:
    """Why the values of these fields are no evidence for a deduction ('' when they are)."""
    if layout_of(page) == "unrecognised":   # a missing or empty value may be one the reader could not place
        return "要素区块版式未能识别，取值无法确认，待人工复核"
    for name in names:
        source = source_of(page, name)
        if source == "meta":
            return f'"{name}"仅见于<meta>标签，页面未印出，待人工复核'
        if source == "url":
            return f'"{name}"仅由网址推断，页面未印出，待人工复核'
        if source == "script-unknown":
            return f'"{name}"由页面脚本写入，静态页面中无法读取，待人工复核'
    return ""


def block_context(page: Page) -> str:
    """The block as printed, one line: where on the page the values stand."""
    text = "；".join(f"{m.label}：{m.value}" for m in page.metadata)
    return (text[:200] + "……") if len(text) > 200 else (text or "页面未见信息公开要素区块")


def field_evidence(page: Page, name: str, **extra) -> dict:
    """What an office needs to check a finding on the page: URL, label and value as printed, and where."""
    source = source_of(page, name)
    where = _WHERE.get(layout_of(page) if source == "block" else source, source)
    return {"url": page.url, "field": name, "label": _printed_label(page, name) or "",
            "value": page.fields.get(name, page.dates.get(name, "")), "source": source or "absent",
            "where": where, "context": block_context(page), **extra}


def meta_finding(ctx: CheckContext, page: Page, column, message: str, names, evidence: dict,
                 role: Role | None = None, **kw) -> Finding:
    """A META finding; 待人工复核 (review) when the page may not be an item or the values are weak."""
    reason = (role.doubt if role is not None else "") or weak_reason(page, names)
    if reason:
        evidence = {**evidence, "review_reason": reason}
        kw["confidence"] = "review"
    return ctx.page_finding(page, column, message, evidence=evidence, **kw)


def page_role(page: Page, column: Column | None, ctx: CheckContext) -> Role | None:
    """page_role_of(), once per page for all META rules."""
    return ctx.for_page(page, "page_role", lambda: page_role_of(page, column, ctx))


def page_role_of(page: Page, column: Column | None, ctx: CheckContext) -> Role | None:
    """The role of a fetched article page, or None when no 要素 are required of it.

    Only article pages carry 要素 (a 'gkml' page is the 信息公开目录 list itself). A page is a 规范性文件/
    政策文件 by its column class or its 体裁分类; another 信息公开 item when its metadata block prints an
    索引号, a 文号 or two or more fields beyond a byline's 发布日期/来源. Sitting under an 信息公开 menu is
    no evidence by itself: a 政策文件 page without a block, a 文号 or a 信息公开目录 column (by catalog
    path or breadcrumb) keeps its role with a doubt, so its findings go to 待人工复核.
    """
    if not page.ok or page.kind != "article":
        return None
    t = ctx.thresholds.metadata
    title = page.headline
    # a 解读 of a document sits in the 政策文件 column but is not itself a document with a 文号
    interpretation = any(m in f"{title} {column.name if column else ''}"
                         for m in ctx.thresholds.media.interpretation_markers)
    genre = " ".join((page.fields.get("体裁分类", ""), page.fields.get("主题分类", ""),
                      column.name if column else ""))
    marked = next((m for m in t.policy_markers if m in genre), "")
    printed = block_fields(page)
    evidence = ""
    if "索引号" in printed:
        evidence = "要素区块印有索引号"
    elif "文号" in printed:
        evidence = "要素区块印有文号"
    elif len(printed - set(t.byline_fields)) >= 2:
        evidence = "要素区块印有" + "、".join(sorted(printed))
    if not interpretation and ((column is not None and column.cls == "政策文件") or marked):
        label = "规范性文件" if "规范性文件" in genre else "政策文件"
        catalog = column is not None and (column.catalog_path or any(
            m in column.path for m in t.catalog_markers))
        if not evidence and source_of(page, "文号") == "body":
            evidence = f"正文首行印有文号（{page.fields.get('文号', '')}）"
        if not evidence and catalog:
            evidence = f"位于信息公开目录栏目（{column.catalog_path or column.path}）"
        doubt = "" if evidence else (
            "页面未见要素区块、文号或信息公开目录路径，是否属于政府信息公开信息待人工复核")
        return Role(True, label, tuple(t.required_policy), evidence, doubt)
    if evidence:
        return Role(False, "政府信息公开信息", tuple(t.required_item), evidence)
    return None


def is_placeholder(field_name: str, value: str, ctx: CheckContext) -> bool:
    """A value that stands for nothing (`无`, `-`, empty), unless the field may legally say it."""
    if len(value) > 24:     # every placeholder is a few characters; real values are longer
        return False
    t = ctx.thresholds.metadata
    v = squash(value)
    if v in t.placeholder_allowed.get(field_name, ()):
        return False
    return v.lower() in ctx.memo("placeholders", lambda: {p.lower() for p in t.placeholders})


def _printed_label(page: Page, field_name: str) -> str:
    return next((m.label for m in page.metadata if m.field == field_name), "")


def _has_field(page: Page, name: str) -> bool:
    if name in page.fields or name in page.dates:
        return True
    # the document's name is its headline even when the metadata block has no 标题 line
    return name == "标题" and bool(page.title.strip())


# ---- META001 / META002 --------------------------------------------------------------------------

def check_missing_required_field(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: every required 要素 is printed on a 规范性文件/政策文件 page (标题、文号、发布机构、索引号、
    主题分类、成文日期、发布日期、有效性) or another 政府信息公开 item (索引号、标题、发布机构、发布日期).

    Why: a 政府信息公开 item without its 要素 cannot be identified, cited or checked for validity;
    national and provincial inspections deduct for every such page.

    Basis: 国办发〔2018〕37号《关于加强行政规范性文件制定和监督管理工作的通知》; seed 002 (汕尾 2023 分工方案:
    "明确标注规范性文件的名称、文号、发布机构、索引号、主题分类、成文及发布日期、有效性等要素"); RULEBOOK §5.

    Not flagged: pages that are not 信息公开 items (news articles without a metadata block, pages that only
    sit under an 信息公开 menu); 解读 pages in a 政策文件 column; a missing 标题 line when the page has a
    headline; fields printed but empty (META002).
    A page without any metadata block gets one finding listing all its missing fields.
    待人工复核 (listed, never deducted): a 政策文件 page with no block, no 文号 and no 信息公开目录 column; a
    block whose layout was not recognised; a field known only from a <meta> tag or the URL; a field an
    inline script writes without a literal value (unknown, never reported empty).
    """
    column = snapshot.column(page.column_id)
    role = page_role(page, column, ctx)
    if role is None:
        return
    missing = [f for f in role.required if not _has_field(page, f) and source_of(page, f) != "script-unknown"]
    # known only from <meta>/the URL, or written by a script: the page may well show it — never deducted
    unproven = [f for f in role.required if f not in missing and source_of(page, f) in ("meta", "url", "script-unknown")]
    if not block_fields(page) and len(missing) > 1:
        names = "、".join(f'"{f}"' for f in missing)
        yield meta_finding(ctx, page, column, f"{role.label}未标注信息公开要素（缺少{names}）", missing, evidence={
            "url": page.url, "fields": missing, "page_role": role.label, "role_evidence": role.evidence,
            "block": "absent", "where": "页面未见信息公开要素区块", "context": page.headline},
            role=role, count=len(missing))
    else:
        for f in missing:
            yield meta_finding(ctx, page, column, f'{role.label}缺少"{f}"要素', [f], evidence=field_evidence(
                page, f, page_role=role.label, role_evidence=role.evidence), role=role)
    for f in unproven:
        source = source_of(page, f)
        shown = "由页面脚本写入，无法读取" if source == "script-unknown" else (
            f"仅见于{'<meta>标签' if source == 'meta' else '网址'}，页面未印出")
        yield meta_finding(ctx, page, column, f'{role.label}"{f}"要素{shown}', [f], evidence=field_evidence(
            page, f, page_role=role.label, role_evidence=role.evidence), role=role)


def check_placeholder_field_value(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: a required 要素 that is printed but empty or filled with a placeholder (`无`, `-`,
    `/`, `暂无` ...).

    Why: a label followed by nothing tells the reader as little as no label at all; evaluators count it
    as a missing element ("要素不全").

    Basis: RULEBOOK §5 (placeholder values count as missing); seed 002 (规范性文件要素); seed 004 shows
    the pattern (`文  号:` printed empty).

    Not flagged: fields that are not required for the page's role (an empty 文号 on a 工作总结); a 文号 of
    `无` stating that the document has none (the legal explicit value, configurable in
    `metadata.placeholder_allowed`); fields that are absent altogether (META001); a value an inline script
    writes (unknown, not empty). An empty value in a block whose layout was not recognised is 待人工复核.
    """
    column = snapshot.column(page.column_id)
    role = page_role(page, column, ctx)
    if role is None:
        return
    for f in role.required:
        if f not in page.fields:
            continue
        value = page.fields[f]
        if not is_placeholder(f, value, ctx):
            continue
        shown = squash(value)
        message = (f'{role.label}"{f}"要素为空' if not shown
                   else f'{role.label}"{f}"要素填写为"{shown}"，视同缺失')
        yield meta_finding(ctx, page, column, message, [f], evidence=field_evidence(
            page, f, value=value, page_role=role.label), role=role)


# ---- META003 / META004 / META011: 文号 ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NumberCheck:
    number: str
    year: int | None
    problems: tuple[str, ...]


def check_document_number_format(number: str, fallback_year: int | None, brackets: list[str]) -> NumberCheck:
    """Judge one 文号 (whitespace already removed) against GB/T 9704-2012 §7.2.4.

    A 令号 (`示例市人民政府令第5号`, `国务院令第708号`) is numbered with 第 by GB/T 9704-2012 §10.1 and
    carries no year: it is legal as written.
    """
    problems: list[str] = []
    year: int | None = None
    if _ORDER_NUMBER.match(number):
        return NumberCheck(number, fallback_year, ())
    m = _BRACKETED.match(number)
    if m:
        prefix, pair, year_text, rest = m["prefix"], m["open"] + m["close"], m["year"], m["rest"]
        if pair not in brackets:
            problems.append(f'年份应使用六角括号"〔〕"括入，不应使用"{pair}"')
    else:
        m = _BARE_YEAR.match(number)
        if not m:
            return NumberCheck(number, fallback_year, ('不符合"发文机关代字〔年份〕序号"格式',))
        prefix, year_text, rest = m["prefix"], m["year"], m["rest"]
        problems.append('年份应使用六角括号"〔〕"括入')
    if len(year_text) == 4:
        year = int(year_text)
    else:
        year = fallback_year
        problems.append("年份应标全称（4位数字）")
    if not prefix:
        problems.append("缺少发文机关代字")
    s = _SEQUENCE.match(rest)
    if not rest:
        problems.append("缺少发文顺序号")
    elif not s:
        problems.append('发文顺序号应为"数字+号"')
    else:
        if s["di"]:
            problems.append('发文顺序号不应加"第"字')
        if len(s["seq"]) > 1 and s["seq"].startswith("0"):
            problems.append('发文顺序号不应编虚位（如"01号"）')
        if not s["hao"]:
            problems.append('发文顺序号后应标"号"字')
    return NumberCheck(number, year, tuple(problems))


def _document_numbers(page: Page, ctx: CheckContext) -> list[NumberCheck]:
    value = page.fields.get("文号")
    if value is None or is_placeholder("文号", value, ctx) or squash(value) in (
            ctx.thresholds.metadata.placeholder_allowed.get("文号") or ()):
        return []
    written = iso_day(page.dates.get("成文日期")) or iso_day(page.dates.get("发布日期"))
    fallback = written.year if written else None
    brackets = ctx.thresholds.metadata.doc_number_brackets
    return [check_document_number_format(n, fallback, brackets)
            for n in _NUMBER_SPLIT.split(squash(value)) if n]


def _number_findings(page: Page, snapshot: Snapshot, ctx: CheckContext, legacy: bool) -> Iterator[Finding]:
    since = ctx.thresholds.metadata.doc_number_rule_since
    column = snapshot.column(page.column_id)
    for chk in _document_numbers(page, ctx):
        if not chk.problems:
            continue
        old = chk.year is not None and chk.year < since
        if old != legacy:
            continue
        what = "；".join(chk.problems)
        prefix = f"{chk.year}年的旧文号" if legacy else "文号"
        yield meta_finding(ctx, page, column, f'{prefix}"{chk.number}"不规范：{what}', ["文号"],
                           evidence=field_evidence(page, "文号", number=chk.number, problems=list(chk.problems),
                                                   year=chk.year))


def check_malformed_document_number(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 文号 follows GB/T 9704-2012: 发文机关代字 + the full year in 六角括号 `〔2023〕`
    + the sequence number without 第 and without leading zeros, ending in 号.

    Why: a wrongly written 文号 makes the document hard to cite and search, and is a visible
    公文规范 error that inspections list.

    Basis: GB/T 9704-2012《党政机关公文格式》7.2.4 发文字号; RULEBOOK §5.

    Not flagged: `国办发明电〔2018〕15号` and other legal prefixes; `﹝﹞` (the same 六角括号 in a small glyph,
    configurable in `metadata.doc_number_brackets`); a 文号 of `无`; stray spaces (META004, a warning);
    documents dated before 2012 (META011, a warning). Several numbers separated by `、` are checked one by one.
    """
    yield from _number_findings(page, snapshot, ctx, legacy=False)


def check_legacy_document_number(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the same 文号 format as META003, for documents whose year predates GB/T 9704-2012.

    Why: old documents were numbered under the older standard (GB/T 9704-1999 allowed other brackets);
    they should still be corrected when the page is maintained, but they are not an error of today.

    Basis: GB/T 9704-2012 (in force from 2012-07-01) 7.2.4; RULEBOOK §5 ("old documents may predate the
    rule: a warning, not an error").

    Not flagged: documents from 2012 on (META003); 文号 that are well formed.
    """
    yield from _number_findings(page, snapshot, ctx, legacy=True)


def check_document_number_spacing(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: whitespace inside a 文号 (`内府办函〔 2023〕 36号`).

    Why: stray spaces break search and copy-paste of the number and look careless; a style issue only.

    Basis: GB/T 9704-2012 7.2.4 (the number is written without spaces); RULEBOOK §5 (seed 000's own 文号).

    Not flagged: spaces in the label (`文  号:`), spaces around the value; a 文号 of `无`.
    """
    value = page.fields.get("文号")
    if not value or is_placeholder("文号", value, ctx) or not _INNER_SPACE.search(value.strip()):
        return
    column = snapshot.column(page.column_id)
    if page_role(page, column, ctx) is None and "文号" not in {m.field for m in page.metadata}:
        return
    yield meta_finding(ctx, page, column, f'文号"{value.strip()}"中含有多余空格', ["文号"],
                       evidence=field_evidence(page, "文号", suggested=squash(value)))


# ---- META005 / META006: dates ---------------------------------------------------------------

def check_written_after_published(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 成文日期 is not later than the 发布日期.

    Why: a document cannot be published before it was made; one of the two dates is wrong, which
    misleads readers about when the policy applies (and can hide 伪造发稿日期).

    Basis: RULEBOOK §5 (成文日期 ≤ 发布日期); 《政府信息公开条例》第二十六条 (published after it is made).

    Not flagged: pages missing either date (META001); a 发布日期 long after the 成文日期 (legal: old
    documents published later).
    """
    if not page.ok:
        return
    written, published = iso_day(page.dates.get("成文日期")), iso_day(page.dates.get("发布日期"))
    if written is None or published is None or written <= published:
        return
    column = snapshot.column(page.column_id)
    yield meta_finding(ctx, page, column, f"成文日期（{written}）晚于发布日期（{published}）", DATE_FIELDS,
                       evidence={**field_evidence(page, "成文日期"), "成文日期": written.isoformat(),
                                 "发布日期": published.isoformat(), "发布日期_where": _WHERE.get(
                                     source_of(page, "发布日期"), ""), "days": (written - published).days})


def check_published_in_future(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 发布日期 is not after the day of the check (as-of).

    Why: a future 发布日期 is a wrong date, and re-dating content is 伪造发稿日期, a 严重错误.

    Basis: RULEBOOK §5 (发布日期 not in the future), §2 (严重错误: 伪造发稿日期).

    Not flagged: pages without a parseable 发布日期; 成文日期 in the future (META005 catches it against the
    发布日期).
    """
    if not page.ok:
        return
    published = iso_day(page.dates.get("发布日期"))
    if published is None or published <= ctx.as_of:
        return
    column = snapshot.column(page.column_id)
    yield meta_finding(ctx, page, column, f"发布日期（{published}）晚于检查日期（{ctx.as_of}）", ["发布日期"],
                       evidence={**field_evidence(page, "发布日期"), "发布日期": published.isoformat(),
                                 "as_of": ctx.as_of.isoformat(), "days": (published - ctx.as_of).days})


# ---- META007 / META008: 索引号 --------------------------------------------------------------

def check_duplicate_index_number(snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: two different documents of a site carry the same 索引号.

    Why: the 索引号 is the unique key of a 政府信息公开 item; a duplicate means one of them was copied
    from another item's form and the catalog cannot tell them apart.

    Basis: RULEBOOK §5 (索引号 present and unique within the site); 政府信息公开目录编制规范 of the provinces
    (索引号 = 机构代码 + 年份 + 流水号, one number per item).

    Not flagged: the same document reachable at two URLs (same final URL, same body or same title);
    placeholder values (`无`, empty).
    """
    for value, refs in snapshot.index_number_groups().items():
        if is_placeholder("索引号", value, ctx):
            continue
        distinct = []
        for ref in refs:
            same = any(ref.final_url == d.final_url or (ref.body_hash and ref.body_hash == d.body_hash)
                       or (ref.title and squash(ref.title) == squash(d.title)) for d in distinct)
            if not same:
                distinct.append(ref)
        if len(distinct) < 2:
            continue
        first = distinct[0]
        for ref in distinct[1:]:
            column = snapshot.column(ref.column_id)
            yield ctx.finding(f'索引号"{value}"与《{first.title}》重复', url=ref.url, column=column, title=ref.title,
                              evidence={"url": ref.url, "field": "索引号", "label": "索引号", "value": value,
                                        "where": "信息公开要素区块", "duplicate_of": first.url,
                                        "duplicate_title": first.title, "pages": len(distinct)})


def index_number_year(value: str, min_year: int, max_year: int) -> int | None:
    """The year inside a 索引号 (`…/2021-00151`, `…/202312-00416`, `PZ00101-1700-2025-00660`), if any."""
    parts = re.split(r"[/\-－—_]", squash(value))
    for part in parts[1:]:          # the first part is the issuing body's code, never the year
        if not part.isdigit():
            continue
        if len(part) in (4, 6, 8):
            y = int(part[:4])
            if len(part) >= 6 and not 1 <= int(part[4:6]) <= 12:
                continue
            if min_year <= y <= max_year:
                return y
    return None


def check_index_number_year_mismatch(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the year part of the 索引号 equals the year of the 成文日期 or of the 发布日期.

    Why: the year in a 索引号 is assigned when the item is registered; a different year shows the number
    was copied from another item or the dates are wrong.

    Basis: RULEBOOK §5 (索引号 year consistent with the dates); 政府信息公开目录 索引号编制规则
    (机构代码/年份-流水号).

    Not flagged: 索引号 without a recognisable year part (formats vary by province); pages without dates.
    """
    if not page.ok:
        return
    value = page.fields.get("索引号")
    if not value or is_placeholder("索引号", value, ctx):
        return
    year = index_number_year(value, ctx.thresholds.metadata.index_number_min_year, ctx.as_of.year + 1)
    if year is None:
        return
    days = {f: iso_day(page.dates.get(f)) for f in DATE_FIELDS}
    years = {d.year for d in days.values() if d}
    if not years or year in years:
        return
    column = snapshot.column(page.column_id)
    shown = "、".join(f"{f} {d}" for f, d in days.items() if d)
    yield meta_finding(ctx, page, column, f'索引号"{squash(value)}"中的年份{year}与{shown}不一致',
                       ["索引号", *(f for f, d in days.items() if d)], evidence={
                           **field_evidence(page, "索引号"), "year": year,
                           **{f: d.isoformat() for f, d in days.items() if d}})


# ---- META009 / META010: 有效性 --------------------------------------------------------------

def check_invalid_validity_value(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: the 有效性 says one of 有效 / 失效 / 废止 / 已修改 (部分失效) / 尚未生效.

    Why: readers must be able to tell at a glance whether a document is still in force; free text
    (`见正文`, a date, `是`) does not say it.

    Basis: 国办发〔2017〕47号 (修改、废止、失效 must be marked on the original page); RULEBOOK §5; seed 002.

    Not flagged: common longer spellings (现行有效, 已废止, 已失效 ...; list in `metadata.validity_values`);
    placeholders (META002 when 有效性 is required).
    """
    value = page.fields.get("有效性")
    if value is None or not page.ok or is_placeholder("有效性", value, ctx):
        return
    if squash(value) in ctx.thresholds.metadata.validity_values:
        return
    column = snapshot.column(page.column_id)
    allowed = "、".join(ctx.thresholds.metadata.validity_values)
    yield meta_finding(ctx, page, column, f'"有效性"填写为"{value.strip()}"，不是规范取值', ["有效性"],
                       evidence=field_evidence(page, "有效性", allowed=allowed))


def check_still_valid_after_repeal(page: Page, snapshot: Snapshot, ctx: CheckContext) -> Iterator[Finding]:
    """What it checks: a page that prints a 废止日期 or 失效日期 on or before the check day still says 有效.

    Why: a repealed document shown as 有效 misleads citizens and offices into applying it.

    Basis: 国办发〔2017〕47号 (修改、废止、失效 must be marked on the original page); RULEBOOK §5.

    Not flagged: a 废止日期 in the future (the document is still in force until then); repeal by a later
    document that this page does not mention (cannot be told from this page alone).
    """
    value = page.fields.get("有效性")
    if value is None or not page.ok or squash(value) not in ctx.thresholds.metadata.validity_in_force:
        return
    for f in REPEAL_FIELDS:
        day = iso_day(page.dates.get(f))
        if day is not None and day <= ctx.as_of:
            column = snapshot.column(page.column_id)
            yield meta_finding(ctx, page, column, f'{f}（{day}）已过，"有效性"仍标注为"{value.strip()}"',
                               ["有效性", f], evidence={**field_evidence(page, "有效性"), f: day.isoformat(),
                                                      f"{f}_label": _printed_label(page, f)})
            return
