"""PRIV rules: unmasked 身份证号, mobile numbers and bank card numbers in the visible text of pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urlsplit

from rules.context import CheckContext
from rules.redaction import redact, valid_id_number
from rules.snapshot import Page, Snapshot
from zwgk.core.records import ATTACHMENT_SHEET_MARK

# A run of digits (身份证号 may end in X) not touching other digits or letters: numbers inside longer
# runs (订单号, 统一社会信用代码, URLs) never match. Masked forms (`350999********1028`) break the run.
_RUN = re.compile(r"(?<![0-9A-Za-z*＊])(\d{11,19}[Xx]?)(?![0-9A-Za-z*＊])")


@dataclass(frozen=True)
class Hit:
    kind: str          # 身份证号 | 手机号码 | 银行卡号
    number: str
    start: int
    end: int


def mask(kind: str, number: str) -> str:
    """The form a finding may print: 身份证号 `35*************123`, mobile `139****5678`, card `6222********1234`."""
    if kind == "身份证号":
        return number[:2] + "*" * 13 + number[-3:]
    if kind == "手机号码":
        return number[:3] + "****" + number[-4:]
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _birth_ok(number: str, as_of: date, min_year: int) -> bool:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return date(min_year, 1, 1) <= born <= as_of


def find_numbers(text: str, ctx: CheckContext) -> list[Hit]:
    """Every unmasked personal number in text that passes its checksum and format (context not yet judged)."""
    t = ctx.thresholds.privacy
    hits = []
    for m in _RUN.finditer(text):
        n = m[1]
        if len(n) == 18 and n[:2] in t.id_regions and valid_id_number(n) \
                and _birth_ok(n, ctx.as_of, t.id_min_birth_year):
            hits.append(Hit("身份证号", n, m.start(1), m.end(1)))
        elif len(n) == 11 and n[:3] in t.mobile_prefixes:
            hits.append(Hit("手机号码", n, m.start(1), m.end(1)))
        elif n.isdigit() and len(n) in t.card_lengths and n.startswith(tuple(t.card_prefixes)) and luhn_ok(n):
            hits.append(Hit("银行卡号", n, m.start(1), m.end(1)))
    return hits


def _before(text: str, start: int, chars: int) -> str:
    """The words just before a number in its own line: its cell and the cell left of it (a label cell)."""
    window = text[max(0, start - chars):start]
    window = window.rsplit("\n", 1)[-1]
    return "\t".join(window.split("\t")[-2:])


def _table_header(text: str, start: int, max_rows: int) -> str:
    """The first row of the table holding the number (lines with tabs above it), or '' outside tables."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    if "\t" not in line:
        return ""
    header, pos, rows = line, line_start, 0
    while pos > 0 and rows < max_rows:
        prev_start = text.rfind("\n", 0, pos - 1) + 1
        prev = text[prev_start:pos - 1]
        if "\t" not in prev:
            break
        header, pos, rows = prev, prev_start, rows + 1
    return header


def _column_head(text: str, start: int, header: str) -> str:
    """The header cell above the number's cell ('' outside tables or when the rows do not line up)."""
    if not header:
        return ""
    line_start = text.rfind("\n", 0, start) + 1
    index = text.count("\t", line_start, start)
    cells = header.split("\t")
    return cells[index] if index < len(cells) else ""


def _excerpt(text: str, hit: Hit, chars: int) -> str:
    before = text[max(0, hit.start - chars):hit.start]
    after = text[hit.end:hit.end + chars]
    # other numbers near this one (a row with both 身份证号 and phone) are masked too
    out = f"{redact(before)}{mask(hit.kind, hit.number)}{redact(after)}"
    return " ".join(out.replace("\t", " | ").split())


def judge(text: str, hit: Hit, ctx: CheckContext) -> tuple[str, str]:
    """(verdict, why): verdict 'personal' | 'review' | 'skip' from the words around the number."""
    t = ctx.thresholds.privacy
    before = _before(text, hit.start, t.context_chars)
    header = _table_header(text, hit.start, t.header_rows)
    head = _column_head(text, hit.start, header)
    label = next((w for w in t.number_labels if w in before or w in head), None)
    if label:
        return "skip", f"编号类标签“{label}”"
    if hit.kind == "身份证号":
        return "personal", "校验位正确、出生日期合理"
    official = next((w for w in t.official_markers if w in header), None)
    if official:
        return "skip", f"表头“{official}”：工作人员联系方式"
    where = f"{before}\t{header}"
    personal = next((w for w in t.personal_markers if w in where), None)
    if hit.kind == "银行卡号":
        card = next((w for w in t.card_markers if w in where), None)
        if not card or any(w in before for w in t.card_office_markers):
            return "skip", "无银行卡号标签或为单位账户"
        return "personal", f"标签“{card}”"
    office = next((w for w in t.office_markers if w in before or w in head), None)
    if personal:
        return "personal", f"个人信息语境“{personal}”"
    if office:
        return "skip", f"单位联系电话语境“{office}”"
    return "review", "号码前后无可判断的语境"


def _location(text: str, start: int) -> str:
    """Sheet and row of a position in an attachment's text ('' for a document without sheets)."""
    mark = text.rfind(ATTACHMENT_SHEET_MARK, 0, start)
    if mark < 0:
        return f"第{text.count(chr(10), 0, start) + 1}行"
    name = text[mark + len(ATTACHMENT_SHEET_MARK):text.find("】", mark)]
    return f"工作表“{name}”第{text.count(chr(10), mark, start)}行"


def _file_name(url: str) -> str:
    return unquote(urlsplit(url).path).rsplit("/", 1)[-1]


def _report(ctx: CheckContext, kind: str, hits: list, page: Page, column, disclosure, *, attachment: str = ""):
    t = ctx.thresholds.privacy
    confirmed = [h for h in hits if h[1] == "personal"]
    chosen = confirmed or hits
    confidence = "confirmed" if confirmed and not disclosure else "review"
    samples = []
    for h, _, why, text in chosen[:t.max_samples]:
        sample = {"value": mask(h.kind, h.number), "context": _excerpt(text, h, t.excerpt_chars), "why": why}
        if attachment:
            sample["location"] = _location(text, h.start)
        samples.append(sample)
    values = "、".join(s["value"] for s in samples)
    if attachment:
        where = f"附件“{_file_name(attachment)}”（{samples[0]['location']}等）"
    else:
        where = "页面表格" if any(" | " in s["context"] for s in samples) else "页面正文"
    message = f"{where}中有未去标识化的{kind}{len(chosen)}处（{values}）"
    if disclosure:
        message += f"；页面属“{disclosure}”类依法公示信息，请人工复核"
    elif confidence == "review":
        message += "；无法从上下文判断是否为个人号码，请人工复核"
    ev = {"number_kind": kind, "occurrences": len(chosen), "samples": samples, "value": samples[0]["value"],
          "why": samples[0]["why"], "context": samples[0]["context"]}
    if attachment:
        ev.update(file=_file_name(attachment), location=samples[0]["location"])
        return ctx.finding(message, url=attachment, parent_url=page.url, column=column, title=page.headline,
                           evidence=ev, confidence=confidence)
    return ctx.page_finding(page, column, message, evidence=ev, confidence=confidence)


def check_personal_numbers(kind: str):
    def check(page: Page, snapshot: Snapshot, ctx: CheckContext):
        found = []
        hits = [h for h in ctx.for_page(page, "privacy.hits", lambda: _page_hits(page, snapshot, ctx))
                if h[0].kind == kind]
        if hits:
            found.append(("", hits))
        attachments = _attachments(page, snapshot, ctx)
        if attachments:
            done = ctx.cache.setdefault(f"privacy.files.{kind}", set())
            for url, (status, _, text) in attachments.items():
                if status != "read" or url in done:
                    continue
                done.add(url)   # a file linked from several pages is one leak
                hits = [h for h in _text_hits(text, ctx) if h[0].kind == kind]
                if hits:
                    found.append((url, hits))
        if not found:
            return None
        column = snapshot.column(page.column_id)
        where = f"{page.headline} {column.name if column else ''}"
        disclosure = next((w for w in ctx.thresholds.privacy.disclosure_markers if w in where), None)
        return [_report(ctx, kind, hits, page, column, disclosure, attachment=url) for url, hits in found]
    return check


def _attachments(page: Page, snapshot: Snapshot, ctx: CheckContext) -> dict:
    def read():
        out = {}
        if not ctx.memo("privacy.any_attachment_read", snapshot.has_attachment_texts):
            return out
        for lk in page.links:
            if lk.kind == "attachment" and lk.url and lk.url not in out:
                got = snapshot.attachment_text(lk.url)
                if got is not None:
                    out[lk.url] = got
        return out
    return ctx.for_page(page, "privacy.attachments", read)


def check_attachment_not_assessed(page: Page, snapshot: Snapshot, ctx: CheckContext):
    """What it checks: every attachment the crawl fetched in a format that may hold a list of people
    (xlsx, xls, csv, docx, pdf) was read for personal numbers; one that could not be read (scanned PDF,
    broken or mislabelled file, past the size, row, page, time or zip-expansion limit) is listed, with why.

    Why: a file that was not read is not a file without personal information; the evaluator must see which.

    Basis: 《中华人民共和国政府信息公开条例》第十五条; 国办秘函〔2019〕19号; RULEBOOK §9.

    Not flagged: attachments read in full; other formats (doc, wps, zip, images) are not fetched for
    reading. Listed for review (待人工复核), never deducted.
    """
    column = snapshot.column(page.column_id)
    done = ctx.cache.setdefault("privacy.files.not_assessed", set())
    out = []
    for url, (status, note, _) in _attachments(page, snapshot, ctx).items():
        if status == "read" or url in done:
            continue
        done.add(url)
        out.append(ctx.finding(f"附件“{_file_name(url)}”未能读取，未评估其中的个人信息：{note}", url=url,
                               parent_url=page.url, column=column, title=page.headline, confidence="review",
                               evidence={"file": _file_name(url), "reason": note}))
    return out or None


def _text_hits(text: str, ctx: CheckContext) -> list:
    out = []
    for hit in find_numbers(text, ctx):
        verdict, why = judge(text, hit, ctx)
        if verdict != "skip":
            out.append((hit, verdict, why, text))
    return out


def _page_hits(page: Page, snapshot: Snapshot, ctx: CheckContext) -> list:
    text = snapshot.page_text(page)
    return _text_hits(text, ctx) if text else []


_id = check_personal_numbers("身份证号")
_id.__doc__ = """Unmasked 18-digit 身份证号 in a page's text or tables, or in its attachments (xlsx, xls, csv, docx, pdf).

What it checks: every 18-character number in the visible text (a line per block, cells apart) whose
GB 11643-1999 check digit is right, whose first two digits are a province code and whose birth date
(digits 7–14) is a real date between the threshold year and the as-of day.
Why: lists of 低保、补贴 recipients published with full 身份证号 expose the people named.
Basis: 《政府信息公开条例》第十五条（涉及个人隐私的政府信息不得公开）; 国办秘函〔2019〕19号; RULEBOOK §9.
An attachment's finding names the file, the sheet and the row.
Not flagged: masked forms (`350999********1028`), numbers inside longer digit runs or touching letters,
numbers after an 编号/订单号/信用代码 label, failing checksums or impossible birth dates; pages of
惩戒公示 (失信被执行人) go to 待人工复核. Evidence carries only the masked value and the words around it."""
check_id_number = _id

_mobile = check_personal_numbers("手机号码")
_mobile.__doc__ = """Unmasked personal mobile numbers in a page's text or tables, or in its attachments.

What it checks: 11-digit numbers with a mobile network prefix (threshold list) not inside a longer run.
A number is a private person's when the words just before it in its cell or line, or its table's
header row, name a person (户主、姓名、申请人、救助对象 …); it is an office contact, never reported, when
those words name a contact line (联系人、咨询电话、联系电话 …) and no person; with neither it is listed
for review, never deducted.
Why: 公示 pages (低保、补贴、拆迁) printing recipients' phones expose them.
Basis: 《政府信息公开条例》第十五条; 国办秘函〔2019〕19号; RULEBOOK §9.
Not flagged: masked forms (`139****5521`), office contact numbers in 通知公告, numbers after an
编号/订单号 label, numbers inside longer digit runs."""
check_mobile_number = _mobile

_card = check_personal_numbers("银行卡号")
_card.__doc__ = """Unmasked bank card numbers in a page's text or tables, or in its attachments.

What it checks: 16–19 digit numbers with a card prefix (银联 62, 4, 5 …) passing the Luhn check, and
labelled as a card or account (银行卡号、账号 …) in their cell, line or table header.
Why: subsidy lists sometimes print the recipient's 惠民一卡通 or bank card number.
Basis: 《政府信息公开条例》第十五条; 国办秘函〔2019〕19号; RULEBOOK §9.
Not flagged: unlabelled long numbers (order numbers pass Luhn one time in ten), a unit's own account
(收款单位、对公账户), masked forms, numbers inside longer runs."""
check_bank_card = _card
