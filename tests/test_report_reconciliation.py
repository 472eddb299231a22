"""Points reconcile: the issue-list rows of a site add up to its deduction in the report and in scores_wide.csv."""

from __future__ import annotations

import csv
import random
import re
from collections import defaultdict

import openpyxl
import pandas as pd
import pytest

from report_samples import PORTAL, build_workspace
from reports.outputs import write_outputs
from reports.report_data import allocate_points


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("reconcile")
    store, check_id = build_workspace(root / "ws")
    try:
        return write_outputs(store, check_id, root / "out", pdf=False)
    finally:
        store.close()


def _wide(outputs) -> dict[str, float]:
    path = next(p for p in outputs.csv if p.name == "scores_wide.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return {r["site_name"]: float(r["deduction_total"] or 0) for r in csv.DictReader(fh)}


def test_rows_add_up_to_the_site_deduction_in_csv_report_and_index(outputs):
    wide = _wide(outputs)
    assert wide[PORTAL] > 0
    rows: dict[str, float] = defaultdict(float)
    for office in outputs.issues.offices:
        with office.csv.open(encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                rows[r["网站"]] += float(r["计入扣分"] or 0)
    index = openpyxl.load_workbook(outputs.issues.index)["单位清单"]
    header = [c.value for c in index[1]]
    by_index: dict[str, float] = defaultdict(float)
    for r in index.iter_rows(min_row=2, values_only=True):
        by_index[r[header.index("网站")]] += r[header.index("计入扣分")] or 0
    html = outputs.html.read_text(encoding="utf-8")
    for site, total in wide.items():
        assert rows.get(site, 0.0) == pytest.approx(total, abs=1e-9), site
        assert by_index.get(site, 0.0) == pytest.approx(total, abs=1e-9), site
        section = next(a for a in html.split('<article class="site"')[1:] if site in a.split("</h3>")[0])
        shown = re.search(r"<th>扣分合计（分）</th><td>([^<]*)</td>", section).group(1)
        assert float(shown) == pytest.approx(total), site
    # the overview says the same, and never prints a count as points
    assert re.search(r"各行计入扣分合计 ([\d.]+) 分，与各网站扣分合计 ([\d.]+) 分一致", html)
    a, b = re.search(r"各行计入扣分合计 ([\d.]+) 分，与各网站扣分合计 ([\d.]+) 分一致", html).groups()
    assert float(a) == float(b) == pytest.approx(sum(wide.values()))


def test_capped_points_are_shared_exactly_in_hundredths():
    rng = random.Random(7)
    for _ in range(200):
        n = rng.randint(1, 40)
        findings = pd.DataFrame({"site_id": "s", "indicator": "i",
                                 "points": [rng.choice([0.1, 0.5, 1, 3, 0]) * rng.randint(1, 5) for _ in range(n)]})
        raw = round(findings["points"].sum(), 4)
        lost = min(raw, rng.choice([5, 8, 15]))
        indicators = pd.DataFrame([dict(site_id="s", office="", indicator="i", assessed=True, points_lost=lost)])
        shares = allocate_points(findings, indicators)
        assert round(shares.sum() * 100) == round(lost * 100)
        assert all(round(s * 100) == s * 100 or abs(round(s * 100) - s * 100) < 1e-6 for s in shares)
        assert (shares[findings["points"] == 0] == 0).all()
