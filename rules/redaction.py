"""Masks personal numbers (身份证号, mobile numbers) in finding text: a finding never prints one in full."""

from __future__ import annotations

import re

_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9})(?![0-9A-Za-z])")
_CARD = re.compile(r"(?<![0-9A-Za-z])([2-9]\d{15,18})(?![0-9A-Za-z])")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# evidence keys holding URLs: masking would break the link the evaluator must open
URL_KEYS = {"url", "parent_url", "newest_url", "duplicate_of", "final_url", "nearest_url", "pages"}


def valid_id_number(number: str) -> bool:
    """GB 11643-1999 checksum of an 18-character 公民身份号码."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS))
    return _CHECK[total % 11] == number[17].upper()


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def redact(text: str) -> str:
    """`35*************123` for a valid 身份证号, `138****1234` for a mobile number, `6222********1234`
    for a 16–19 digit number passing the Luhn check (a bank card); other text unchanged."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = _ID.sub(lambda m: m[1][:2] + "*" * 13 + m[1][-3:] if valid_id_number(m[1]) else m[1], text)
    text = _CARD.sub(lambda m: m[1][:4] + "*" * (len(m[1]) - 8) + m[1][-4:] if _luhn(m[1]) else m[1], text)
    return _MOBILE.sub(lambda m: m[1][:3] + "****" + m[1][-4:], text)


def redact_value(value, key: str = ""):
    if key in URL_KEYS:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: redact_value(v, k) for k, v in value.items()}
    return value
