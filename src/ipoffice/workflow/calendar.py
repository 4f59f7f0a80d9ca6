"""China's working-day calendar and the period arithmetic of the IP laws.

Why a module of its own: a period ending on a rest day ends on the next working day
(Implementing Rules of the Patent Law Art. 5; Trademark Regulations Art. 12), and China's rest
days are not weekends plus fixed holidays: the State Council moves days every year (调休), so a
Saturday may be a working day and a Wednesday a holiday. `chinese_calendar` holds the official
schedules (2004-2026 in the installed release). Outside its years we fall back to weekends and
the fixed-date holidays (1 January, 1 May, 1-3 October) and say so in a note, since the real
schedule for those years is not known (or not published) yet.

Period arithmetic (the rule common to both laws): the first day is not counted; a period in
months or years ends on the corresponding day of its last month, or on that month's last day
if it has no such day. A term of protection (patent term, trademark registration term) counts
the first day, so it ends the day before the corresponding day.
"""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from dataclasses import dataclass, field

import chinese_calendar
from chinese_calendar import constants as _cc

_YEARS = sorted({d.year for d in _cc.holidays} | {d.year for d in _cc.workdays})
DATA_FROM, DATA_TO = _YEARS[0], _YEARS[-1]
FIXED_HOLIDAYS = {
    (1, 1): "New Year's Day",
    (5, 1): "Labour Day",
    (10, 1): "National Day",
    (10, 2): "National Day",
    (10, 3): "National Day",
}


def covered(day: dt.date) -> bool:
    """Whether the official holiday schedule for this year is known."""
    return DATA_FROM <= day.year <= DATA_TO


def is_working_day(day: dt.date) -> bool:
    """A working day, adjusted working days (调休) included; provisional outside the data years."""
    if covered(day):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def rest_reason(day: dt.date) -> str | None:
    """Why a day is not a working day ('National Day', 'weekend'), None on a working day."""
    if is_working_day(day):
        return None
    if covered(day):
        _, name = chinese_calendar.get_holiday_detail(day)
        return name or "weekend"
    return FIXED_HOLIDAYS.get((day.month, day.day), "weekend")


def provisional_note(years: set[int]) -> str | None:
    """The note a result carries when it rests on years without an official schedule."""
    outside = sorted(y for y in years if not (DATA_FROM <= y <= DATA_TO))
    if not outside:
        return None
    ys = ", ".join(map(str, outside))
    return (
        f"provisional: no official holiday schedule for {ys} (calendar data covers {DATA_FROM}-{DATA_TO}); "
        "assumed weekends and 1 Jan, 1 May, 1-3 Oct only, so Spring Festival and other holidays and "
        "adjusted working days are not taken into account: check against the State Council's schedule"
    )


@dataclass
class Shift:
    """The outcome of the rest-day rule for one raw deadline."""

    deadline: dt.date
    raw: dt.date
    skipped: list[tuple[dt.date, str]] = field(default_factory=list)
    calendar_note: str | None = None

    @property
    def moved(self) -> bool:
        return self.deadline != self.raw

    def explain(self) -> str:
        if not self.moved:
            return ""
        first, reason = self.skipped[0]
        return f"{first} is a rest day ({reason}); the period ends on the next working day, {self.deadline}"


def next_working_day(day: dt.date) -> Shift:
    """`day` itself if it is a working day, else the first working day after it."""
    d = day
    skipped: list[tuple[dt.date, str]] = []
    years = {d.year}
    while not is_working_day(d):
        skipped.append((d, rest_reason(d) or "rest day"))
        d += dt.timedelta(days=1)
        years.add(d.year)
        if len(skipped) > 60:  # pragma: no cover - no calendar has two rest months in a row
            raise RuntimeError(f"no working day within 60 days after {day}")
    return Shift(d, day, skipped, provisional_note(years))


def _add_months(day: dt.date, months: int) -> tuple[dt.date, bool]:
    """The corresponding day `months` later (or earlier); False when that month has no such day."""
    idx = day.year * 12 + (day.month - 1) + months
    year, month = divmod(idx, 12)
    last = _cal.monthrange(year, month + 1)[1]
    if day.day > last:
        return dt.date(year, month + 1, last), False
    return dt.date(year, month + 1, day.day), True


def period_end(start: dt.date, years: int = 0, months: int = 0, days: int = 0, counting: str = "period") -> dt.date:
    """The last day of a period that starts on `start` (the day of the triggering event).

    `period`: the first day is not counted; months and years end on the corresponding day of the
    last month, or its last day where there is none (Implementing Rules Art. 5; Trademark
    Regulations Art. 12(1)). `term`: a term of protection ends the day before the corresponding
    day, or on the month's last day where there is none (Trademark Regulations Art. 12(2); the
    patent term in the office's practice).
    """
    total = years * 12 + months
    end = start
    exact = True
    if total:
        end, exact = _add_months(start, total)
    end += dt.timedelta(days=days)
    if counting == "term" and exact:
        end -= dt.timedelta(days=1)
    return end


def months_before(day: dt.date, years: int = 0, months: int = 0, days: int = 0) -> dt.date:
    """The corresponding day before `day` (or the month's last day where there is none), less `days`."""
    total = years * 12 + months
    d = _add_months(day, -total)[0] if total else day
    return d - dt.timedelta(days=days)
