"""`zwgk bench libraries`: its inputs are read right by the project's own parts (what the comparison measures
the libraries against), and the command runs on a small corpus."""

from __future__ import annotations

from click.testing import CliRunner

from crawler.extract.encoding import decode_body
from crawler.sniff import sniff_type
from zwgk.bench.libraries import TEXT, encoding_cases, libraries_bench_command, sniff_samples


def test_every_fixture_media_and_attachment_file_sniffs_as_what_it_is():
    samples = sniff_samples()
    assert len(samples) > 60 and {"html", "empty", "jpeg", "zip", "ole", "swf"} <= {e for _, _, e in samples}
    wrong = [(label, expected, sniff_type(head)) for label, head, expected in samples if sniff_type(head) != expected]
    assert wrong == []


def test_every_decoding_case_reads_the_text():
    assert [label for label, body, header in encoding_cases() if TEXT not in decode_body(body, header)[0]] == []


def test_command_prints_the_three_tables(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a.html").write_bytes("<html><head><title>示例县</title></head><body><a href='/x'>x</a></body></html>"
                                   .encode("gbk"))
    (tmp_path / "pages.yaml").write_text("pages:\n- file: a.html\n  url: http://www.example.gov.cn/a.html\n"
                                         "  cms: trs_wcm\n  kind: article\n", encoding="utf-8")
    result = CliRunner().invoke(libraries_bench_command, [str(pages)])
    assert result.exit_code == 0, result.output
    assert "| zwgk decode_body | 15/15 | 1/1 |" in result.output
    assert "| zwgk sniff_type |" in result.output and "## URL keys" in result.output
