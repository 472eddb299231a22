"""文号 (document numbers) as printed: one pattern for the crawler that reads them and the rules that pair them."""

from __future__ import annotations

import re

# 机关代字 + year in any bracket + number, spaces and a leading 第 or zeros tolerated: 示府办发〔2026〕12号
DOC_NUMBER = re.compile(r"([\u4e00-\u9fa5]{1,12})\s*[〔﹝\[［(（【]\s*(\d{4})\s*[〕﹞\]］)）】]\s*第?\s*0*(\d{1,4})\s*号")


def norm_doc_number(text: str) -> str:
    """`示府办发〔2026〕12号` for any bracket, spacing or leading zero; '' when none is printed."""
    m = DOC_NUMBER.search(text or "")
    return f"{m[1]}〔{m[2]}〕{m[3]}号" if m else ""


def standalone_doc_number(line: str) -> str:
    """The 文号 when a printed line is nothing but one (a document's head line), else ''."""
    text = line.strip(" \t\u3000\u00a0")
    m = DOC_NUMBER.fullmatch(text)
    return text if m else ""
