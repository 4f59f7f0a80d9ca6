"""Pendency figures from the case tables: how long applications wait, and how old the open ones are.

Why from the tables and not from events: `Case.first_action_date` and `Case.final_decision_date`
are what the case engine sets when the first office action goes out and when the case is decided
(grant notice, refusal, withdrawal ...), so three grouped queries over `cases` give every figure.
The database counts cases per (group, whole days); medians and percentiles are computed exactly
from those histograms, so a million cases come back as a few thousand rows.

Pendency is measured from the filing date, in months of 365.25/12 days: to first action (cases
that had one) and to final decision (cases decided). Figures per group: count, median, mean and
90th percentile (linear interpolation). Groups: right, field (IPC class, e.g. G06; designs and
trademarks by right), section (IPC section), track, division, year (of filing). The backlog is the
open cases and their age today, in buckets of months.

`pendency_svg` draws the figures as a plain SVG bar chart (no plotting library needed).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import Date, Integer, cast, extract, func, literal, select, text, true
from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, check, permission

DAYS_PER_MONTH = 365.25 / 12
BY = ("right", "field", "section", "track", "division", "year")
AGE_BUCKETS = ((0, 6), (6, 12), (12, 18), (18, 24), (24, 36), (36, None))  # months


@permission("pendency_show")
def _pendency_show(actor: Actor, _obj: Any) -> bool:
    return actor.is_office  # counts include unpublished applications: never public


def quantile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation quantile of already sorted values (numpy's default method)."""
    n = len(sorted_values)
    if n == 0:
        return math.nan
    pos = (n - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def hist_summary(hist: dict[int, int]) -> dict[str, Any]:
    """count, median, mean, p90 in months of a histogram {whole days: count}: exactly what `quantile`
    gives on the expanded list of values."""
    n = sum(hist.values())
    if not n:
        return {"count": 0, "median": None, "mean": None, "p90": None}
    values = sorted(hist)
    cum: list[int] = []
    acc = 0
    for v in values:
        acc += hist[v]
        cum.append(acc)

    def at(i: int) -> int:  # the i-th value (0-based) of the sorted expansion
        return values[bisect.bisect_right(cum, i)]

    def q(p: float) -> float:
        pos = (n - 1) * p
        lo = math.floor(pos)
        a, b = at(lo), at(min(lo + 1, n - 1))
        return (a + (b - a) * (pos - lo)) / DAYS_PER_MONTH

    mean = sum(v * c for v, c in hist.items()) / n / DAYS_PER_MONTH
    return {"count": n, "median": round(q(0.5), 2), "mean": round(mean, 2), "p90": round(q(0.9), 2)}


_CLASS = re.compile(r"[A-H]\d\d")


def _normalise_key(by: str, key: Any) -> str:
    if key is None:
        return {"track": "normal", "division": "unassigned"}.get(by, "-")
    key = str(key)
    if by == "field":
        return key if _CLASS.fullmatch(key) or key in ("design", "trademark") else "unclassified"
    if by == "section":
        return key if (len(key) == 1 and key in "ABCDEFGH") or key in ("design", "trademark") else "unclassified"
    return key


def _key_expr(by: str) -> Any:
    c = t.Case
    if by == "right":
        return c.right
    if by == "track":
        return c.track
    if by == "division":
        return c.division
    if by == "year":
        return extract("year", c.filing_date)
    width = 3 if by == "field" else 1  # canonical IPC: "G06F 17/30" -> class "G06", section "G"
    return func.coalesce(func.upper(func.substr(c.ipc_main, 1, width)), c.right)


def _days(dialect: str, later: Any, earlier: Any) -> Any:
    """Whole days between two dates, computed by the database (no per-row date parsing in Python)."""
    if dialect == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier  # PostgreSQL: date - date is an integer number of days


def _histograms(session: Session, by: str, today: dt.date) -> dict[str, dict[str, dict[int, int]]]:
    """{milestone: {group: {days: count}}}, aggregated in SQL: a few thousand rows even for millions of cases."""
    dialect = session.get_bind().dialect.name
    key = _key_expr(by)
    today_lit = literal(today, Date)
    c = t.Case
    parts = {
        "first_action": (_days(dialect, c.first_action_date, c.filing_date), c.first_action_date.is_not(None)),
        "final_decision": (_days(dialect, c.final_decision_date, c.filing_date), c.final_decision_date.is_not(None)),
        "open": (_days(dialect, today_lit, c.filing_date), c.is_open == true()),
    }
    out: dict[str, dict[str, dict[int, int]]] = {}
    for name, (days, cond) in parts.items():
        q = select(key.label("k"), days.label("d"), func.count()).where(cond).group_by(text("1"), text("2"))
        acc: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for k, d, n in session.execute(q):
            acc[_normalise_key(by, k)][int(d)] += n
        out[name] = acc
    return out


def _merge(hists: Iterable[dict[int, int]]) -> dict[int, int]:
    total: dict[int, int] = defaultdict(int)
    for h in hists:
        for v, n in h.items():
            total[v] += n
    return total


def _backlog(ages: dict[int, int]) -> dict[str, Any]:
    profile = {(f"{lo}-{hi}" if hi is not None else f"{lo}+"): 0 for lo, hi in AGE_BUCKETS}
    for days, n in ages.items():
        profile[_bucket(days / DAYS_PER_MONTH)] += n
    return {"open": sum(ages.values()), "median_age": hist_summary(ages)["median"], "age_months": profile}


def _bucket(age_months: float) -> str:
    for lo, hi in AGE_BUCKETS:
        if hi is None or age_months < hi:
            return f"{lo}-{hi}" if hi is not None else f"{lo}+"
    return "?"  # pragma: no cover


def pendency(
    session: Session, by: str = "right", *, today: dt.date | None = None, actor: Actor | None = None
) -> dict[str, Any]:
    """Pendency to first action and to final decision, and the open backlog with its age profile,
    per group (see the module docstring). Three grouped queries; nothing is read row by row."""
    if actor is not None:
        check("pendency_show", actor)
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    today = today or dt.date.today()
    h = _histograms(session, by, today)
    keys = sorted(set(h["first_action"]) | set(h["final_decision"]) | set(h["open"]))
    results = [
        {
            by: k,
            "first_action": hist_summary(h["first_action"].get(k, {})),
            "final_decision": hist_summary(h["final_decision"].get(k, {})),
            "backlog": _backlog(h["open"].get(k, {})),
        }
        for k in keys
    ]
    return {
        "by": by,
        "as_of": today.isoformat(),
        "unit": "months from filing",
        "results": results,
        "total": {
            "first_action": hist_summary(_merge(h["first_action"].values())),
            "final_decision": hist_summary(_merge(h["final_decision"].values())),
            "backlog": _backlog(_merge(h["open"].values())),
        },
    }


# ---------------------------------------------------------------- chart


def pendency_svg(fig: dict[str, Any], title: str | None = None) -> str:
    """A horizontal bar chart: per group, median months to first action and to final decision, with a
    tick at the 90th percentile. Plain SVG 1.1, no dependency."""
    rows = [r for r in fig["results"] if r["first_action"]["count"] or r["final_decision"]["count"]]
    by = fig["by"]
    title = title or f"Pendency by {by} (months from filing, median; tick = 90th percentile), as of {fig['as_of']}"
    label_w, bar_w, row_h, top, left_pad = 150, 560, 34, 60, 10
    height = top + max(len(rows), 1) * row_h + 50
    width = left_pad + label_w + bar_w + 90
    vmax = max(
        [r[k]["p90"] or 0 for r in rows for k in ("first_action", "final_decision")] + [1.0],
    )
    vmax = math.ceil(vmax / 6) * 6  # axis in half-years
    sx = bar_w / vmax
    x0 = left_pad + label_w
    colours = {"first_action": "#4C78A8", "final_decision": "#F58518"}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left_pad}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (k, name) in enumerate((("first_action", "to first action"), ("final_decision", "to final decision"))):
        lx = x0 + i * 170
        out.append(f'<rect x="{lx}" y="32" width="12" height="12" fill="{colours[k]}"/>')
        out.append(f'<text x="{lx + 16}" y="42">{name}</text>')
    axis_y = top + len(rows) * row_h
    for m in range(0, vmax + 1, 6):
        x = x0 + m * sx
        out.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{axis_y}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle">{m}</text>')
    out.append(f'<text x="{x0 + bar_w / 2:.1f}" y="{axis_y + 34}" text-anchor="middle">months</text>')
    for i, r in enumerate(rows):
        y = top + i * row_h
        n = f"n={r['first_action']['count']}/{r['final_decision']['count']}"
        label = f"{r[by]}"
        out.append(f'<text x="{x0 - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{escape(label)}</text>')
        for j, k in enumerate(("first_action", "final_decision")):
            s = r[k]
            if not s["count"]:
                continue
            by_ = y + 4 + j * 13
            w = s["median"] * sx
            out.append(
                f'<rect x="{x0}" y="{by_}" width="{max(w, 1):.1f}" height="11" fill="{colours[k]}">'
                f"<title>{escape(label)} {k.replace('_', ' ')}: median {s['median']}, mean {s['mean']}, "
                f"p90 {s['p90']} months (n={s['count']})</title></rect>"
            )
            px = x0 + s["p90"] * sx
            out.append(f'<line x1="{px:.1f}" y1="{by_}" x2="{px:.1f}" y2="{by_ + 11}" stroke="#333" stroke-width="2"/>')
            out.append(f'<text x="{x0 + w + 4:.1f}" y="{by_ + 10}" font-size="10">{s["median"]}</text>')
        out.append(f'<text x="{width - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" fill="#666">{n}</text>')
    if not rows:
        out.append(f'<text x="{x0}" y="{top + 20}">no decided or acted-on cases</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
