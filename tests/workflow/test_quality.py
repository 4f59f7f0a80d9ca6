"""Quality control: random + risk-weighted sampling, checklists by date, review rules, Wilson figures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, PermissionDenied, Role
from ipoffice.workflow.quality import (
    ReviewRefused,
    checklists,
    load_checklists,
    quality_figures,
    record_review,
    sample,
    wilson,
)

ADMIN = Actor("qc-admin", Role.ADMINISTRATOR)
REVIEWER = Actor("R1", Role.EXAMINER)


def _setup(s, n_cases: int = 200) -> dict[str, t.Examiner]:
    """Two examiners with long records, one new; every case filed, then one office action."""
    ex = {}
    for code, div in (("OLD1", "electrical"), ("OLD2", "mechanical"), ("NEW", "electrical"), ("R1", "electrical")):
        e = t.Examiner(code=code, name=code, division=div, rights=["invention", "trademark"], ipc_prefixes=["G"])
        s.add(e)
        ex[code] = e
    s.flush()
    # history before the window: OLD1 and OLD2 have 40 actions each, NEW has none
    for code in ("OLD1", "OLD2"):
        for i in range(40):
            c = t.Case(case_no=f"H-{code}-{i}", right="invention", procedure="p", procedure_version="1",
                       state="x", filing_date=dt.date(2024, 1, 1), examiner_id=ex[code].id, division=ex[code].division,
                       ipc_main="G06F 1/00")  # fmt: skip
            s.add(c)
            s.flush()
            s.add(t.CaseEvent(case_id=c.id, event="office-action", to_state="x", date=dt.date(2025, 6, 1), actor=code))
    for i in range(n_cases):
        code = ("OLD1", "OLD2", "NEW")[i % 3]
        right = "trademark" if i % 10 == 0 else "invention"
        c = t.Case(
            case_no=f"C-{i}", right=right, procedure="p", procedure_version="1", state="x",
            filing_date=dt.date(2026, 1, 1), examiner_id=ex[code].id, division=ex[code].division,
            ipc_main=None if right == "trademark" else ("G06F 17/30" if i % 2 else "F16B 1/00"),
            track="prioritised" if i % 7 == 0 else "normal",
        )  # fmt: skip
        s.add(c)
        s.flush()
        s.add(t.CaseEvent(case_id=c.id, event="filed", to_state="x", date=dt.date(2026, 1, 1), actor="system"))
        # OLD2 answers in 2 days, the others in ~60
        d = dt.date(2026, 1, 3) if code == "OLD2" else dt.date(2026, 3, 1) + dt.timedelta(days=i % 5)
        ev = "tm-refusal" if right == "trademark" else "office-action"
        s.add(t.CaseEvent(case_id=c.id, event=ev, to_state="x", date=d, actor=code))
        s.add(t.CaseEvent(case_id=c.id, event="note", to_state="x", date=d, actor=code))  # not an action
    s.commit()
    return ex


def test_sample_rates_reasons_and_no_resampling(store):
    with store.session() as s:
        _setup(s)
        trial = sample(s, ADMIN, dt.date(2026, 1, 1), rate=0.1, seed=7, commit=False)
        drawn = [(r["case_no"], r["reason"]) for r in trial.reviews]
        s.rollback()
        rep = sample(s, ADMIN, dt.date(2026, 1, 1), rate=0.1, seed=7)
        assert [(r["case_no"], r["reason"]) for r in rep.reviews] == drawn  # a fixed seed reproduces the draw
        assert rep.eligible == 200
        assert rep.random == 20 and rep.risk == 20
        reviews = list(s.scalars(select(t.QualityReview)))
        assert len(reviews) == 40 and {r.status for r in reviews} == {"pending"}
        risk = [r for r in reviews if r.sample_reason == "risk"]
        assert all(r.risk_score > 0 for r in risk)
        ids1 = sorted(r.case_event_id for r in reviews)
        # already sampled actions are never drawn again
        rep2 = sample(s, ADMIN, dt.date(2026, 1, 1), rate=0.1, seed=7)
        assert rep2.eligible == 160
        ids2 = {r.case_event_id for r in s.scalars(select(t.QualityReview))}
        assert len(ids2) == 40 + rep2.random + rep2.risk and set(ids1) <= ids2
        assert s.scalar(select(func.count()).select_from(t.AuditEntry).where(t.AuditEntry.action == "quality_sample"))


def test_risk_signals_pick_new_examiners_fast_handling_and_fast_tracks(store):
    with store.session() as s:
        ex = _setup(s)
        rep = sample(s, ADMIN, dt.date(2026, 1, 1), rate=0.0, risk_rate=0.15, seed=1)
        assert rep.random == 0 and rep.risk == 30
        rows = rep.reviews
        # every risk pick has a signal, and the signals are the right ones
        assert all(r["signals"] for r in rows)
        new = [r for r in rows if "new_examiner" in r["signals"]]
        fast = [r for r in rows if "short_handling" in r["signals"]]
        assert new and fast
        by_case = {c.case_no: c for c in s.scalars(select(t.Case))}
        assert all(by_case[r["case_no"]].examiner_id == ex["NEW"].id for r in new)
        assert all(by_case[r["case_no"]].examiner_id == ex["OLD2"].id for r in fast)
        tracks = {by_case[r["case_no"]].track for r in rows if r["signals"] == {"fast_track": 1.0}}
        assert tracks <= {"prioritised"}
        # OLD1's normal-track cases have no signal and are never risk-drawn
        assert not [r for r in rows if by_case[r["case_no"]].examiner_id == ex["OLD1"].id and not r["signals"]]
        with pytest.raises(ValueError, match="unknown risk signal"):
            sample(s, ADMIN, dt.date(2026, 1, 1), risk_weight={"astrology": 1})
        with pytest.raises(PermissionDenied):
            sample(s, REVIEWER, dt.date(2026, 1, 1))


def test_checklist_by_right_and_by_date():
    cl = checklists()
    pat = cl.for_action("invention", dt.date(2023, 5, 1))
    assert set(pat["categories"]) == {"search", "reasoning", "claims", "formalities", "legal-basis", "language"}
    form = {it["id"]: it for it in pat["categories"]["claims"]["items"]}["claim-form"]
    assert [b["en"] for b in form["basis"]] == ["Implementing Rules (2010) Arts. 19, 20"]
    later = cl.for_action("invention", dt.date(2024, 1, 20))
    form = {it["id"]: it for it in later["categories"]["claims"]["items"]}["claim-form"]
    assert [b["zh"] for b in form["basis"]] == ["专利法实施细则(2023) 第二十二条、第二十三条"]
    refusal = {it["id"]: it for it in later["categories"]["legal-basis"]["items"]}["refusal-grounds"]
    assert "Patent Law (2020) Art. 38" in [b["en"] for b in refusal["basis"]]
    tm = cl.for_action("trademark", dt.date(2025, 1, 1))
    assert {"similarity", "goods-classification"} <= set(tm["categories"])
    sim = tm["categories"]["similarity"]["items"][0]
    assert "商标法(2019) 第三十条" in [b["zh"] for b in sim["basis"]]
    design = cl.for_action("design", dt.date(2025, 1, 1))
    assert "claims" not in design["categories"] and "search" not in design["categories"]
    assert [it["id"] for it in design["categories"]["reasoning"]["items"]] == ["design-novelty"]


def test_bad_checklist_file_is_refused_naming_the_entry(tmp_path: Path):
    bad = tmp_path / "q.yaml"
    bad.write_text(
        "checklists:\n  - id: patent\n    rights: [invention]\n    categories:\n      - id: search\n        items:\n"
        "          - id: scope\n            en: x\n            basis: [{cite_zh: a, cite_en: b}]\n"
    )
    with pytest.raises(ValueError, match=r"category 'search': item 'scope'.*effective_from"):
        load_checklists(bad)


def test_record_review_validates_and_figures_have_wilson_intervals(store):
    with store.session() as s:
        ex = _setup(s, n_cases=60)
        sample(s, ADMIN, dt.date(2026, 1, 1), rate=0.5, risk_rate=0.0, seed=3)
        reviews = list(s.scalars(select(t.QualityReview).order_by(t.QualityReview.id)))
        assert len(reviews) == 30
        first = reviews[0]
        with pytest.raises(ReviewRefused, match="unknown category"):
            record_review(s, REVIEWER, first, [{"category": "astrology", "severity": "major"}])
        with pytest.raises(ReviewRefused, match="severity"):
            record_review(s, REVIEWER, first, [{"category": "language", "severity": "fatal"}])
        own = Actor(s.get(t.Examiner, first.examiner_id).code, Role.EXAMINER)
        with pytest.raises(ReviewRefused, match="own action"):
            record_review(s, own, first, [])
        with pytest.raises(PermissionDenied):
            record_review(s, Actor("anon", Role.PUBLIC), first, [])
        for i, r in enumerate(reviews):
            cats = sorted(r.checklist["categories"])
            findings = [{"category": cats[0], "severity": "major", "note": "x"}] if i % 3 == 0 else []
            record_review(s, REVIEWER, r, findings)
        assert first.status == "done" and first.reviewer_id == ex["R1"].id
        with pytest.raises(ReviewRefused, match="already done"):
            record_review(s, REVIEWER, first, [])
        fig = quality_figures(s, "examiner")
        assert fig["total"]["reviews"] == 30
        assert fig["total"]["any_error"]["errors"] == 10
        lo, hi = fig["total"]["any_error"]["ci95"]
        assert lo < 10 / 30 < hi
        assert {r["examiner"] for r in fig["results"]} <= {"OLD1", "OLD2", "NEW"}
        by_div = quality_figures(s, "division")
        assert {r["division"] for r in by_div["results"]} <= {"electrical", "mechanical"}
        by_field = quality_figures(s, "field")
        assert {r["field"] for r in by_field["results"]} <= {"G06", "F16", "trademark"}
        with pytest.raises(PermissionDenied):
            quality_figures(s, "field", actor=Actor("anon", Role.PUBLIC))


def test_wilson_interval_known_values():
    lo, hi = wilson(0, 10)
    assert lo == 0 and abs(hi - 0.2775) < 1e-3
    lo, hi = wilson(5, 10)
    assert abs(lo - 0.2366) < 1e-3 and abs(hi - 0.7634) < 1e-3
    lo, hi = wilson(81, 263)
    assert abs(lo - 0.2553) < 1e-3 and abs(hi - 0.3662) < 1e-3


def test_refusal_revoked_on_reexamination_flags_the_examiner(store):
    with store.session() as s:
        ex = _setup(s, n_cases=30)
        old1_case = s.scalar(select(t.Case).where(t.Case.examiner_id == ex["OLD1"].id))
        s.add(t.CaseEvent(case_id=old1_case.id, event="revoke-refusal", to_state="x", date=dt.date(2026, 2, 1),
                          actor="board"))  # fmt: skip
        s.commit()
        rep = sample(s, ADMIN, dt.date(2026, 1, 1), rate=0.0, risk_rate=1.0, seed=1)
        by_case = {c.case_no: c for c in s.scalars(select(t.Case))}
        old1 = [r for r in rep.reviews if by_case[r["case_no"]].examiner_id == ex["OLD1"].id]
        assert old1 and all(r["signals"]["reversals"] == pytest.approx(1 / 3) for r in old1)
