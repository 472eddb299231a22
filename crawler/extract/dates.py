"""Dates as Chinese government pages print them: 2023-05-24, 2023/5/24, 2023年5月24日, [2023-05-24] ..."""

from __future__ import annotations

import datetime as dt
import re

# Full-width digits and separators occur in hand-typed dates (２０２３－０５－２４); int() reads
# full-width digits, so the pattern accepts both forms and nothing is translated.
_D = "[0-9０-９]"
_DATE_RE = re.compile(
    f"(?<![0-9０-９.．])((?:19|20|１９|２０){_D}{{2}})"
    f"(?:\\s*([-/.－／．])\\s*({_D}{{1,2}})\\s*\\2\\s*({_D}{{1,2}})|\\s*年\\s*({_D}{{1,2}})\\s*月\\s*({_D}{{1,2}})\\s*日?)"
    f"(?!{_D})"
    f"(?:\\s*(?:[Tt]|\\s)\\s*{_D}{{1,2}}[:：]{_D}{{2}}(?:[:：]{_D}{{2}})?)?"
)


def _valid(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def find_date(text: str) -> tuple[str, dt.date | None]:
    """The first date printed in text, as (the printed substring, the date).

    Returns ("", None) when nothing date-shaped is printed, and (substring, None) when the only
    date-shaped text is impossible (2023-02-30), so a rule can report what was printed.
    """
    if not text:
        return "", None
    first_bad = ""
    for match in _DATE_RE.finditer(text):
        year, _sep, m1, d1, m2, d2 = match.groups()
        date = _valid(year, m1 or m2, d1 or d2)
        printed = match.group(0).strip()
        if date:
            return printed, date
        first_bad = first_bad or printed
    return first_bad, None


def parse_date(text: str) -> dt.date | None:
    """The first valid date printed in text (a metadata value, a list item's date), else None."""
    return find_date(text)[1]
