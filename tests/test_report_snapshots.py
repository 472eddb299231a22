"""快照: pages kept by the crawl, written beside the report as inert documents and linked from the issue lists."""

from __future__ import annotations

import openpyxl
from lxml import html as lxml_html

from report_samples import HOSTILE_PAGE, TRAVERSAL_OFFICE, build_workspace
from reports.outputs import write_outputs
from reports.snapshots import SNAPSHOT_CSP, inert_html


def test_inert_html_keeps_the_text_and_drops_what_runs_or_loads():
    out = inert_html(HOSTILE_PAGE, "http://127.0.0.1:9/portal/zcwj/1.html", "2025-06-30T10:00:00")
    doc = lxml_html.document_fromstring(out)
    assert "关于印发某某办法的通知" in doc.text_content() and "外部链接" in doc.text_content()
    assert not doc.xpath("//script|//iframe|//base|//meta[@http-equiv='refresh']")
    assert not doc.xpath("//@href|//@src|//@*[starts-with(name(), 'on')]")
    assert doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content") == [SNAPSHOT_CSP]
    assert doc.xpath("//a/@data-zwgk-href") == ["http://evil.example/"]  # what it linked to stays readable


def test_issue_list_links_the_snapshot_of_the_page(tmp_path):
    store, check_id = build_workspace(tmp_path / "ws")
    try:
        outputs = write_outputs(store, check_id, tmp_path / "out", pdf=False)
    finally:
        store.close()
    assert len(outputs.snapshots) == 1
    snapshot = outputs.snapshots[0]
    assert snapshot.parent == tmp_path / "out" / "snapshots"
    text = snapshot.read_text(encoding="utf-8")
    assert "关于印发某某办法的通知" in text  # decoded from the GBK bytes as fetched
    office = next(o for o in outputs.issues.offices if o.office == TRAVERSAL_OFFICE)
    ws = openpyxl.load_workbook(office.xlsx)["问题清单"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[header.index("页面URL")].value.endswith("zcwj/1.html"))
    cell = row[header.index("快照")]
    target = cell.hyperlink.target.replace("\\", "/")  # XlsxWriter writes relative file links Windows-style
    assert cell.value == "快照" and target == "../snapshots/" + snapshot.name
    assert (office.xlsx.parent / target).resolve() == snapshot.resolve()
    with office.csv.open(encoding="utf-8-sig") as fh:
        assert "../snapshots/" + snapshot.name in fh.read()
