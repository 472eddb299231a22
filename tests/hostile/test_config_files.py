"""Hostile configuration files: alias bombs, duplicate keys, endless timeouts — refused with the file and place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from zwgk.core.config import ConfigError, load_profiles

ROOT = Path(__file__).resolve().parents[2]
PROFILE = """id: s
name: 示例县人民政府
office: 示例县人民政府办公室
site_code: "0000000001"
homepage: http://www.example.gov.cn/
"""


def alias_bomb(levels: int = 12) -> str:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return PROFILE + "\n".join(lines) + f"\nlimits: {{max_pages: 10}}\nnote: *a{levels - 1}\n"


def test_alias_bomb_is_refused_without_expanding(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    with pytest.raises(ConfigError, match="bomb.yaml.*aliases"):
        load_profiles([path])


def test_alias_bomb_on_the_command_line_stays_small(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "zwgk.cli", "crawl", str(path), "--workspace", str(tmp_path / "w")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    process = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        try:
            proc.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            pass
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "bomb.yaml" in err and "aliases" in err and "Traceback" not in err
    assert peak < 400 * 2**20, f"peak RSS {peak / 2**20:.0f} MB"


def test_duplicate_keys_name_the_line(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(PROFILE + "limits:\n  timeout: 10\n  timeout: 20\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"dup.yaml.*line 8.*duplicate key 'timeout' \(first on line 7\)"):
        load_profiles([path])


@pytest.mark.parametrize("value", ["0", ".inf", "-1", ".nan", "1e9"])
def test_endless_or_zero_timeouts_are_refused(tmp_path, value):
    path = tmp_path / "t.yaml"
    path.write_text(PROFILE + f"limits: {{timeout: {value}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"t.yaml: field 'limits.timeout': a number from 1 to 300"):
        load_profiles([path])


def test_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(PROFILE + "columns: &c [*c]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="r.yaml"):
        load_profiles([path])


def test_merge_keys_still_work(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("defaults: &d {max_pages: 50, timeout: 10}\nsites:\n"
                    "  - {id: a, name: 甲, office: 甲办, site_code: '1', homepage: 'http://a.example.gov.cn/',"
                    " limits: {<<: *d, timeout: 20}}\n", encoding="utf-8")
    (profile,) = load_profiles([path])
    assert profile.limits.max_pages == 50 and profile.limits.timeout == 20
