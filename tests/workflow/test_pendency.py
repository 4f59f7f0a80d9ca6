"""Pendency figures: months to first action and decision per group, backlog ages, the SVG chart."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, PermissionDenied, Role
from ipoffice.workflow.pendency import DAYS_PER_MONTH, hist_summary, pendency, pendency_svg, quantile

TODAY = dt.date(2026, 7, 1)


def _add(s, no, filed, fa=None, fd=None, right="invention", ipc="G06F 17/30", track="normal", division="electrical"):
    s.add(
        t.Case(
            case_no=no, right=right, procedure="p", procedure_version="1", state="x", filing_date=filed,
            first_action_date=fa, final_decision_date=fd, is_open=fd is None, ipc_main=ipc, track=track,
            division=division,
        )
    )  # fmt: skip


def _months(n: float) -> dt.timedelta:
    return dt.timedelta(days=round(n * DAYS_PER_MONTH))


def test_quantile_matches_linear_interpolation():
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == pytest.approx(9.1)
    assert quantile([7], 0.9) == 7


def test_histogram_summary_equals_the_expanded_list():
    hist = {30: 3, 61: 1, 100: 5, 400: 2}
    values = sorted(v for v, n in hist.items() for _ in range(n))
    got = hist_summary(hist)
    assert got["count"] == 11
    assert got["median"] == round(quantile(values, 0.5) / DAYS_PER_MONTH, 2)
    assert got["p90"] == round(quantile(values, 0.9) / DAYS_PER_MONTH, 2)
    assert got["mean"] == round(sum(values) / 11 / DAYS_PER_MONTH, 2)
    assert hist_summary({})["median"] is None


def test_pendency_by_right_field_track_year_and_backlog(store):
    base = dt.date(2024, 1, 1)
    with store.session() as s:
        # invention: first action after 2, 4, 6, 8, 10 months; decided after 12 and 20 months
        for i, m in enumerate((2, 4, 6, 8, 10)):
            fd = base + _months(12 if i == 0 else 20) if i < 2 else None
            _add(s, f"I{i}", base, base + _months(m), fd, track="prioritised" if i == 0 else "normal")
        # trademark: first action after 5 months, decided after 9
        _add(s, "T1", base, base + _months(5), base + _months(9), right="trademark", ipc=None, division="trademark")
        # open and untouched: filed 3 months and 40 months before TODAY
        _add(s, "O1", TODAY - _months(3), ipc="H04L 9/32", division=None)
        _add(s, "O2", TODAY - _months(40), ipc="H04L 9/32", division=None)
        s.commit()
        fig = pendency(s, "right", today=TODAY, actor=Actor("x", Role.EXAMINER))
        inv = next(r for r in fig["results"] if r["right"] == "invention")
        assert inv["first_action"]["count"] == 5
        assert inv["first_action"]["median"] == pytest.approx(6, abs=0.05)
        assert inv["first_action"]["mean"] == pytest.approx(6, abs=0.05)
        assert inv["first_action"]["p90"] == pytest.approx(9.2, abs=0.05)
        assert inv["final_decision"]["count"] == 2 and inv["final_decision"]["median"] == pytest.approx(16, abs=0.05)
        assert inv["backlog"]["open"] == 5  # three undecided filed 2024 + O1 + O2
        ages = inv["backlog"]["age_months"]
        assert ages["0-6"] == 1 and ages["36+"] == 1 and ages["24-36"] == 3
        assert fig["total"]["first_action"]["count"] == 6
        by_field = {r["field"]: r for r in pendency(s, "field", today=TODAY)["results"]}
        assert set(by_field) == {"G06", "H04", "trademark"}
        assert by_field["H04"]["first_action"]["count"] == 0 and by_field["H04"]["backlog"]["open"] == 2
        by_section = {r["section"] for r in pendency(s, "section", today=TODAY)["results"]}
        assert by_section == {"G", "H", "trademark"}
        by_track = {r["track"]: r for r in pendency(s, "track", today=TODAY)["results"]}
        assert by_track["prioritised"]["first_action"]["median"] == pytest.approx(2, abs=0.05)
        by_div = {r["division"] for r in pendency(s, "division", today=TODAY)["results"]}
        assert by_div == {"electrical", "trademark", "unassigned"}
        by_year = {r["year"] for r in pendency(s, "year", today=TODAY)["results"]}
        assert by_year == {"2024", "2023", "2026"}
        with pytest.raises(PermissionDenied):
            pendency(s, actor=Actor("anon", Role.PUBLIC))
        with pytest.raises(ValueError):
            pendency(s, "colour")
        svg = pendency_svg(fig)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    texts = [e.text for e in root.iter() if e.tag.endswith("text")]
    assert "invention" in texts and "trademark" in texts
    assert len([e for e in root.iter() if e.tag.endswith("rect")]) >= 1 + 2 + 3  # background, legend, bars


def test_empty_store_gives_empty_figures(store):
    with store.session() as s:
        fig = pendency(s, "division", today=TODAY)
    assert fig["results"] == [] and fig["total"]["first_action"]["count"] == 0
    ET.fromstring(pendency_svg(fig))
