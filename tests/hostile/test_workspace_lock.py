"""One writer per workspace: a second zwgk process is refused with a clear message; a killed one frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from zwgk.core.store import writer_lock

ROOT = Path(__file__).resolve().parents[2]


def zwgk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zwgk.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_second_writer_is_refused_and_named(tmp_path):
    with writer_lock(tmp_path, "crawl"):
        for command in (["check"], ["score"], ["report", "--no-pdf"]):
            result = zwgk(*command, "--workspace", str(tmp_path))
            assert result.returncode != 0
            assert "正被另一个 zwgk 进程写入（zwgk crawl，进程" in result.stderr, result.stderr
            assert "Traceback" not in result.stderr
    result = zwgk("check", "--workspace", str(tmp_path))
    assert "正被另一个" not in result.stderr        # free again: the command gets to its own message
    assert "zwgk crawl" in result.stderr           # no run yet: it tells to crawl first


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    code = ("import sys, time; from zwgk.core.store import writer_lock\n"
            "with writer_lock(sys.argv[1], 'run'):\n    print('held', flush=True); time.sleep(120)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert "正被另一个 zwgk 进程写入（zwgk run" in zwgk("check", "--workspace", str(tmp_path)).stderr
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        with writer_lock(tmp_path, "check"):
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
