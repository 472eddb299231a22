"""`zwgk findings`: every format lists the stored findings; CSV cells never start a formula."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from report_samples import FORMULA_TITLE, build_workspace
from zwgk.cli import main

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def test_csv_neutralises_formula_payloads(tmp_path):
    store, _ = build_workspace(tmp_path, score=False)
    store.close()
    result = CliRunner().invoke(main, ["findings", "--workspace", str(tmp_path), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and any(r["title"] == "'" + FORMULA_TITLE for r in rows)
    cells = [value for r in rows for value in r.values() if value]
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    evidence = [r["evidence"] for r in rows if '"-某府发[2023]5号"' in r["evidence"]]
    assert evidence, "the evidence JSON keeps the value as crawled"


def test_json_keeps_values_as_stored(tmp_path):
    store, _ = build_workspace(tmp_path, score=False)
    store.close()
    result = CliRunner().invoke(main, ["findings", "--workspace", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert FORMULA_TITLE in [r["title"] for r in json.loads(result.output)]
