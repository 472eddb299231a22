"""Attachment text: each format read, every limit and a broken file give 'not assessed' with the reason."""

import io
import zipfile

from crawler.extract.attachments import Limits, attachment_format, read_attachment
from fixtures import binary_files as bf


def test_formats_are_read_with_sheets_rows_and_cells():
    got = read_attachment(bf.xlsx([["序号", "姓名"], ["1", "赵某某"]]), "http://s.test/f/名单.xlsx")
    assert (got.status, got.text) == ("read", "【工作表：Sheet1】\n序号\t姓名\n1\t赵某某")
    got = read_attachment("姓名,电话\n赵某某,139****5521\n".encode("gbk"), "http://s.test/a.csv")
    assert got.text == "姓名\t电话\n赵某某\t139****5521"
    assert read_attachment(bf.docx("项目分工\n一、牵头单位"), "http://s.test/a.docx").text == "项目分工\n一、牵头单位"
    assert "Key projects" in read_attachment(bf.pdf("Key projects"), "http://s.test/a.pdf").text
    assert attachment_format("http://s.test/a.wps") == "" and attachment_format("http://s.test/A.XLS") == "xls"


def test_limits_and_bad_files_are_not_assessed_with_the_reason():
    rows = [["序号"]] + [[str(i)] for i in range(50)]
    got = read_attachment(bf.xlsx(rows), "http://s.test/a.xlsx", Limits(max_rows=10))
    assert got.status == "not_assessed" and "10 行" in got.note
    got = read_attachment(b"x" * 2048, "http://s.test/a.pdf", Limits(max_bytes=1024))
    assert got.status == "not_assessed" and "MB" in got.note
    got = read_attachment(b"not a workbook", "http://s.test/a.xlsx")
    assert got.status == "not_assessed" and "无法解析" in got.note
    got = read_attachment(bf.wps("x"), "http://s.test/a.wps")
    assert got.status == "not_assessed" and got.note


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"0" * (20 * 1024 * 1024))
    got = read_attachment(buf.getvalue(), "http://s.test/bomb.docx")
    assert got.status == "not_assessed" and "压缩" in got.note
