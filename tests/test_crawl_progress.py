"""`zwgk crawl` on a terminal shows live per-site progress and ends with the Chinese summary."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from tests.conftest import AS_OF

pytestmark = pytest.mark.e2e


def test_live_progress_on_a_terminal(fixture_server, fixture_profiles, tmp_path):
    profile = [p for p in fixture_profiles if p.stem == "fgw"][0]
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "zwgk.cli", "crawl", str(profile), "--workspace",
                             str(tmp_path / "ws"), "--as-of", AS_OF.isoformat()],
                            stdin=follower, stdout=follower, stderr=follower, close_fds=True,
                            env=dict(os.environ, COLUMNS="120", TERM="xterm"))
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the crawl ended
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(leader)
    text = screen.decode("utf-8", "replace")
    assert proc.returncode == 0, text[-2000:]
    assert "抓取进度" in text            # the live table, drawn while crawling
    assert "fgw" in text and "链接检查" in text and "排队" in text
    assert "示例市发展和改革委员会（fgw）：完成" in text   # the closing summary
