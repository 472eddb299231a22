"""Working days by the official calendar (chinesecalendar), with a user holiday file for the years it lacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

from zwgk.core.safe_yaml import load_yaml


@dataclass(frozen=True)
class WorkCalendar:
    """Holidays and 调休 make-up days from a user file; used only where chinesecalendar has no data."""

    holidays: frozenset = field(default_factory=frozenset)
    workdays: frozenset = field(default_factory=frozenset)
    source: str = ""
    error: str = ""           # why the file could not be read ('' when it could or none was given)


def load_calendar(path: str) -> WorkCalendar:
    """Read `holidays: [YYYY-MM-DD…]` and `workdays: […]` from path; a bad file is reported, never raised."""
    if not path:
        return WorkCalendar()
    try:
        data = load_yaml(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError("expected a mapping with holidays and workdays")
        days = {}
        for key in ("holidays", "workdays"):
            values = data.get(key) or []
            if not isinstance(values, list):
                raise ValueError(f"key '{key}': expected a list of dates")
            days[key] = frozenset(v if isinstance(v, date) else date.fromisoformat(str(v)) for v in values)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        return WorkCalendar(source=path, error=f"节假日文件 {path} 无法读取：{exc}")
    return WorkCalendar(days["holidays"], days["workdays"], source=path)


def working_days_after(start: date, end: date, calendar: WorkCalendar | None = None) -> tuple[int, list[int]]:
    """(working days after start up to and including end, years chinesecalendar did not cover).

    Years the package does not cover count Monday–Friday, minus the file's holidays, plus its 调休 days;
    the caller shows those years as a warning.
    """
    import chinese_calendar

    calendar = calendar or WorkCalendar()
    n, day, missing = 0, start, []
    while day < end:
        day += timedelta(days=1)
        try:
            work = chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in missing:
                missing.append(day.year)
            work = (day in calendar.workdays) or (day.weekday() < 5 and day not in calendar.holidays)
        n += work
    return n, missing
