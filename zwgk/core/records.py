"""The records that cross stage boundaries: crawl facts, findings and scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# In an attachment's stored text (attachment_texts.text) a line "【工作表：<name>】" starts each sheet;
# rows follow one a line, cells apart by tabs.
ATTACHMENT_SHEET_MARK = "【工作表："

# Column classes of RULEBOOK §4 (values as an evaluator names them; 'unknown' when no lexicon entry matched).
COLUMN_CLASSES = (
    "动态要闻", "通知公告", "政策文件", "人事", "规划计划", "基本信息",
    "互动", "办事", "专题", "静态", "unknown",
)

PageKind = Literal["home", "column", "article", "gkml", "other"]
LinkKind = Literal["link", "image", "video", "audio", "embed", "attachment"]
Severity = Literal["veto", "deduct", "warn"]
# confirmed: evidence a careful person accepts; suspected: a failure not yet confirmed (timeout, 5xx);
# review (待人工复核): the evidence is too weak to deduct (a layout not recognised, a field only in a <meta>
# tag, a page that may not be an 信息公开 item). Review findings are listed apart and never deducted.
# explained (已说明): an office's explanation was accepted (set at scoring time, never by a rule): never deducted.
# dropped: a suspected failure that answered when `zwgk recheck` fetched it again (set at scoring time): never deducted.
Confidence = Literal["confirmed", "suspected", "review", "explained", "dropped"]
# Outcome of checking one linked resource: ok, broken (404/403/410, wrong type, empty), suspected
# (timeout or 5xx after retries), or not_checked (refused by scope/robots, never fetched).
ResourceOutcome = Literal["ok", "broken", "suspected", "not_checked"]


@dataclass(frozen=True, slots=True)
class MetaField:
    """One labelled value of a page's metadata block (信息公开要素), as printed and normalised."""

    label: str          # the label exactly as printed, e.g. "索  引 号" or "[ 发文字号 ]"
    field: str | None   # canonical field (RULEBOOK §5), e.g. "索引号", "文号"; None if unknown label
    value: str          # value with surrounding whitespace collapsed; "" when printed empty


@dataclass(frozen=True, slots=True)
class LinkRef:
    """An outgoing reference from a page: hyperlink, image, media source, player or attachment."""

    url: str            # absolute URL ("" when the src/href attribute is empty)
    text: str           # link text, alt or title
    kind: LinkKind
    tag: str            # the element and attribute it came from, e.g. "img@src", "video/source@src"


@dataclass(frozen=True, slots=True)
class ListEntry:
    """A dated item in a column's list page (栏目条目)."""

    title: str
    url: str
    date_text: str      # the date as printed ("" when the item shows none)
    date: str | None    # ISO date parsed from date_text, None when absent or unparseable
    pinned: bool = False  # a 置顶 row held above the list's order: it says nothing about freshness


@dataclass(slots=True)
class PageExtract:
    """What the extractor makes of one HTML page; a pure function of (html, url)."""

    title: str
    meta_tags: dict[str, str]                 # <meta name=...> hints: ColumnName, PubDate, SiteIDCode ...
    metadata: list[MetaField]                 # the metadata block in printed order
    fields: dict[str, str]                    # canonical field -> value (first occurrence wins)
    dates: dict[str, str]                     # canonical date field -> ISO date (成文日期, 发布日期, 废止日期 ...)
    links: list[LinkRef]                      # every outgoing reference, hyperlinks and media alike
    entries: list[ListEntry]                  # list items when the page is a list page
    pagination: list[str]                     # absolute URLs of further list pages
    breadcrumb: list[str]                     # 当前位置 path, e.g. ["首页", "政府信息公开", "规划信息"]
    nav: list[LinkRef]                        # navigation links (homepage menus, 信息公开 tree)
    text_len: int                             # visible body text length
    body_hash: str                            # sha1 of the normalised visible body text
    script_rendered_list: bool = False        # list container filled by JavaScript (cannot be assessed)
    empty_note: str = ""                      # 备注说明 shown on an empty column ("本栏目暂无信息，原因…")
    kind_hint: str = ""                       # "article" | "list" | "" from the page's own shape
    # the main list prints no date at all: its entries can only be dated from their own pages
    undated_list: bool = False
    # Where each value of fields/dates came from (field -> source):
    #   "block"   the metadata block (信息公开要素区块);
    #   "byline"  a date line outside the block, under the headline ("发布时间：…", or a date-time beside 来源);
    #   "body"    a 文号 printed alone on a line under the title (a 政府文件 without a block);
    #   "script"  a literal in an inline script (`var pubdate = "…"`, document.write("…"), a JSON literal);
    #   "script-unknown"  the page prints the label but an inline script writes a value that is not a
    #             literal (a variable, a code mapped to a name): the value is UNKNOWN, never empty — the
    #             field is absent from fields/dates and present here only;
    #   "meta"    a <meta> tag (PubDate) only: a hint, never printed on the page;
    #   "url"     the page's URL (/art/2020/3/10/, t20200310_…).
    # Block and body values are printed on the page; meta/url values are hints.
    sources: dict[str, str] = field(default_factory=dict)
    # How the metadata block was read: "" none; "block" recognised; "line" a lone labelled line;
    # "byline" only 发布日期/来源 under the headline (not a 要素 block);
    # "unrecognised" labels found but values not told apart (no evidence for a deduction).
    layout: str = ""
    # The visible text with a line per block and a tab between table cells (content rules: personal
    # information, 解读 copies); stored zlib-compressed in the page_texts table.
    text: str = ""


@dataclass(slots=True)
class Finding:
    """One problem found by a rule; a row of the 一对一 issue list."""

    code: str                   # rule code, e.g. "META001"
    indicator: str              # indicator key in the scoring profile, e.g. "发布解读.政策文件"
    severity: Severity
    site_id: str
    message: str                # Chinese, as the evaluator writes it
    office: str = ""
    column_id: str = ""
    column_name: str = ""
    url: str = ""
    parent_url: str = ""
    title: str = ""
    evidence: dict = field(default_factory=dict)  # field/selector/status/snippet/link_text ...
    confidence: Confidence = "confirmed"
    count: int = 1              # how many instances this finding stands for (deductions scale with it)


@dataclass(slots=True)
class RuleOutcome:
    """Whether a rule could be assessed on a site: 'assessed' or 'not_assessed' with the reason."""

    code: str
    site_id: str
    status: Literal["assessed", "not_assessed"]
    reason: str = ""
