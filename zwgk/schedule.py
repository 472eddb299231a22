"""Scheduled rounds: the shell script, crontab line and systemd service + timer that run a round on a calendar."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

SCRIPT_NAME = "zwgk-round.sh"
UNIT_NAME = "zwgk-round"


@dataclass(frozen=True)
class Calendar:
    """How often a round runs: cron fields, a systemd OnCalendar expression and the round's name (date(1))."""

    label: str
    cron: str          # minute and hour are filled in from --at
    on_calendar: str   # likewise
    round_name: str    # a shell expression printing the round's name on the day it runs


CALENDARS = {
    "monthly": Calendar("每月1日", "{m} {h} 1 * *", "*-*-01 {h}:{m}:00", "$(date +%Y-%m)"),
    "quarterly": Calendar("每季度首月1日", "{m} {h} 1 1,4,7,10 *", "*-01,04,07,10-01 {h}:{m}:00",
                          "$(date +%Y)Q$(( ($(date +%-m) - 1) / 3 + 1 ))"),
    "weekly": Calendar("每周一", "{m} {h} * * 1", "Mon *-*-* {h}:{m}:00", "$(date +%G-W%V)"),
}


@dataclass
class ScheduleFiles:
    script: Path
    cron: Path
    service: Path
    timer: Path


def _quote(items) -> str:
    return " ".join(shlex.quote(str(i)) for i in items)


def round_script(profiles: list[Path], workspace: Path, out: Path, calendar: Calendar, keep: int | None,
                 extra: list[str]) -> str:
    """The script one scheduled round runs: `zwgk run` for the round of the day, then `zwgk prune`."""
    zwgk = _quote([sys.executable, "-m", "zwgk.cli"])
    prune = (f'\n# 2. 只保留最近 {keep} 轮的原始抓取数据（问题、得分、轮次和趋势全部保留）\n'
             f'zwgk prune --workspace "$WORKSPACE" --keep {keep}\n') if keep else ""
    return f"""#!/bin/sh
# zwgk 定期评估（{calendar.label}）：由 `zwgk schedule` 生成，可按需修改后再安装。
#
# 同一工作区同时只能有一个 zwgk 写入进程：上一轮还在运行时（抓取大网站可能超过一个周期，或有人手动运行），
# `zwgk run` 取不到工作区写锁，立即报“工作区 … 正被另一个 zwgk 进程写入”并以非零状态退出，不会重复启动，
# 也不会与正在进行的抓取交错写入。写锁由内核在进程结束时释放，进程被杀也不会留下“僵尸锁”。
set -eu
zwgk() {{ {zwgk} "$@"; }}
WORKSPACE={shlex.quote(str(workspace))}
ROUND="{calendar.round_name}"
OUT={shlex.quote(str(out))}/"$ROUND"

# 1. 抓取 → 检查 → 评分 → 报告，记为轮次 $ROUND（评估基准日为当天）
zwgk run {_quote(profiles)} --workspace "$WORKSPACE" --round "$ROUND" --out "$OUT"{(" " + _quote(extra)) if extra else ""}
{prune}"""


def cron_line(script: Path, log: Path, calendar: Calendar, hour: int, minute: int) -> str:
    fields = calendar.cron.format(h=hour, m=minute)
    return (f"# zwgk 定期评估（{calendar.label} {hour:02d}:{minute:02d}）；安装：crontab -l | cat - 本文件 | crontab -\n"
            f"{fields} {shlex.quote(str(script))} >> {shlex.quote(str(log))} 2>&1\n")


def systemd_units(script: Path, workdir: Path, calendar: Calendar, hour: int, minute: int) -> tuple[str, str]:
    """(service, timer). systemd never starts a oneshot service again while it is still active; the workspace
    lock also refuses a round started by hand or by cron meanwhile."""
    service = f"""[Unit]
Description=zwgk 定期评估（一轮：抓取、检查、评分、报告）
After=network-online.target

[Service]
Type=oneshot
WorkingDirectory={workdir}
ExecStart={script}
Nice=10
"""
    timer = f"""[Unit]
Description=zwgk 定期评估（{calendar.label} {hour:02d}:{minute:02d}）

[Timer]
OnCalendar={calendar.on_calendar.format(h=f"{hour:02d}", m=f"{minute:02d}")}
Persistent=true
Unit={UNIT_NAME}.service

[Install]
WantedBy=timers.target
"""
    return service, timer


def write_schedule(profiles: list[Path], workspace: Path, out: Path, dest: Path, every: str, hour: int,
                   minute: int, keep: int | None, extra: list[str]) -> ScheduleFiles:
    calendar = CALENDARS[every]
    dest.mkdir(parents=True, exist_ok=True)
    script = dest / SCRIPT_NAME
    script.write_text(round_script(profiles, workspace, out, calendar, keep, extra), encoding="utf-8")
    script.chmod(0o755)
    cron = dest / "zwgk-round.cron"
    cron.write_text(cron_line(script, dest / "zwgk-round.log", calendar, hour, minute), encoding="utf-8")
    service_text, timer_text = systemd_units(script, workspace, calendar, hour, minute)
    service, timer = dest / f"{UNIT_NAME}.service", dest / f"{UNIT_NAME}.timer"
    service.write_text(service_text, encoding="utf-8")
    timer.write_text(timer_text, encoding="utf-8")
    return ScheduleFiles(script, cron, service, timer)
