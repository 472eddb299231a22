"""Output files are whole or absent: a writer killed mid-file leaves the previous file, and the next report
clears what it left."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from reports.safe_output import atomic_path, remove_partials

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys
from reports.safe_output import atomic_path
with atomic_path(sys.argv[1]) as tmp, open(tmp, "w", encoding="utf-8") as fh:
    fh.write("<html>half of a new report"); fh.flush()
    print("half written", flush=True)
    sys.stdin.readline()          # killed here, mid-file
    fh.write("</html>")
"""


def test_a_writer_killed_mid_file_leaves_the_previous_file(tmp_path):
    report = tmp_path / "report.html"
    report.write_text("<html>the previous, whole report</html>", encoding="utf-8")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(report)], cwd=ROOT, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "half written"
        writer.kill()
        assert writer.wait(timeout=60) == -9
    finally:
        if writer.poll() is None:
            writer.kill()
    assert report.read_text(encoding="utf-8") == "<html>the previous, whole report</html>"
    left = tmp_path / ".report.html.partial"
    assert left.read_text(encoding="utf-8") == "<html>half of a new report"
    assert remove_partials(tmp_path) == 1 and not left.exists()


def test_an_error_while_writing_leaves_nothing(tmp_path):
    target = tmp_path / "scores.csv"
    try:
        with atomic_path(target) as tmp:
            tmp.write_text("partial", encoding="utf-8")
            raise ValueError("bad row")
    except ValueError:
        pass
    assert list(tmp_path.iterdir()) == []
