"""decode_body: BOM, header and <meta> charsets, disagreements, and GBK pages that declare nothing."""

import pytest

from crawler.extract.encoding import decode_body

TEXT = "阜阳市2023年政务公开工作总结：索引号 003158495/202312-00416，镕堃"  # 镕/堃 are outside GB2312


def page(charset_meta: str | None, body: str = TEXT) -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    return f"<html><head>{meta}<title>政务公开</title></head><body><p>{body}</p></body></html>"


def test_gbk_page_without_any_charset_is_detected():
    text, encoding = decode_body(page(None).encode("gbk"), "text/html")
    assert TEXT in text
    assert encoding == "gb18030"


def test_utf8_page_without_any_charset():
    text, encoding = decode_body(page(None).encode("utf-8"), None)
    assert TEXT in text and encoding == "utf-8"


def test_header_charset_is_used_and_reported_as_declared():
    text, encoding = decode_body(page(None).encode("gbk"), "text/html; charset=GBK")
    assert TEXT in text and encoding == "gbk"


def test_gb2312_declared_decodes_characters_outside_gb2312():
    # Real "gb2312" pages contain GBK-only characters; decoding with GB18030 keeps them.
    text, encoding = decode_body(page("gb2312").encode("gbk"), None)
    assert "镕堃" in text and encoding == "gb2312"


def test_meta_charset_html5_form():
    body = f'<html><head><meta charset="GBK"></head><body>{TEXT}</body></html>'.encode("gbk")
    text, encoding = decode_body(body, "text/html")
    assert TEXT in text and encoding == "gbk"


def test_header_and_meta_disagree_bytes_decide_utf8():
    # Server says GBK, page says UTF-8 and is UTF-8.
    text, encoding = decode_body(page("utf-8").encode("utf-8"), "text/html; charset=gbk")
    assert TEXT in text and encoding == "utf-8"


def test_header_and_meta_disagree_bytes_decide_gbk():
    # Server default says UTF-8, the page is GBK and says so.
    text, encoding = decode_body(page("gb2312").encode("gbk"), "text/html; charset=utf-8")
    assert TEXT in text and encoding == "gb2312"


def test_wrong_header_charset_without_meta_falls_back_to_bytes():
    text, encoding = decode_body(page(None).encode("gbk"), "text/html; charset=utf-8")
    assert TEXT in text and encoding == "gb18030"


def test_latin1_header_on_gbk_page_is_not_believed():
    text, encoding = decode_body(page(None).encode("gbk"), "text/html; charset=ISO-8859-1")
    assert TEXT in text and encoding == "gb18030"


def test_meta_outside_first_4kb_is_ignored():
    filler = "<!-- " + "x" * 5000 + " -->"
    body = f"<html><head>{filler}<meta charset=gbk></head><body>{TEXT}</body></html>".encode("utf-8")
    text, encoding = decode_body(body, None)
    assert TEXT in text and encoding == "utf-8"


@pytest.mark.parametrize(("bom", "codec", "name"), [
    (b"\xef\xbb\xbf", "utf-8", "utf-8"),
    (b"\xff\xfe", "utf-16-le", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be", "utf-16-be"),
])
def test_bom_wins_over_declarations(bom, codec, name):
    text, encoding = decode_body(bom + page("gbk").encode(codec), "text/html; charset=gbk")
    assert TEXT in text and encoding == name
    assert not text.startswith("\ufeff")


def test_single_bad_byte_keeps_declared_utf8():
    body = page("utf-8", TEXT * 20).encode("utf-8")
    body = body[:200] + b"\xff" + body[200:]
    text, encoding = decode_body(body, "text/html; charset=utf-8")
    assert encoding == "utf-8"
    assert text.count("\ufffd") == 1 and TEXT in text


def test_unknown_charset_label_is_ignored():
    text, encoding = decode_body(page("x-unknown-charset").encode("gbk"), "text/html; charset=bogus")
    assert TEXT in text and encoding == "gb18030"


def test_undecodable_garbage_never_raises():
    text, encoding = decode_body(bytes(range(256)) * 4, None)
    assert isinstance(text, str) and encoding in ("utf-8", "gb18030")


def test_empty_body():
    assert decode_body(b"", None) == ("", "utf-8")
