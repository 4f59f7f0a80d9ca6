"""The deadline calculator: worked examples with real dates, the calendar, and the store listing.

The scenario files in `scenarios/deadlines/*.yaml` (OpenFisca style) list, for one event, every
time limit it starts with its expected deadline; together they pin every rule of the rules file
to an example (checked below).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, Role, check
from ipoffice.rules.loader import load_rules
from ipoffice.workflow import calendar as cal
from ipoffice.workflow.deadlines import calc, due_deadlines, rules_in_force

SCENARIOS = Path(__file__).parent / "scenarios" / "deadlines"
D = dt.date.fromisoformat


def _load_scenarios() -> list[tuple[str, dict]]:
    out = []
    for file in sorted(SCENARIOS.glob("*.yaml")):
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        for sc in doc if isinstance(doc, list) else [doc]:
            out.append((f"{file.stem}: {sc['name']}", sc))
    return out


ALL = _load_scenarios()


def _run(inp: dict):
    kw = {k: inp[k] for k in ("service", "priority_date", "expiry_date", "today") if k in inp}
    return calc(inp["event"], inp["date"], inp["right"], **kw)


def _iso(v):
    return v.isoformat() if isinstance(v, dt.date) else v


@pytest.mark.parametrize("scenario", [s for _, s in ALL], ids=[n for n, _ in ALL])
def test_scenario(scenario):
    inp = scenario["input"]
    if "expect_error" in scenario:
        with pytest.raises(ValueError, match=None) as exc:
            _run(inp)
        assert scenario["expect_error"] in str(exc.value)
        return
    got = _run(inp)
    expect = scenario["expect"]
    key = lambda kind, variant: (kind, variant)  # noqa: E731
    got_by = {key(r.kind, r.variant): r for r in got}
    want_keys = [key(e["kind"], e.get("variant")) for e in expect]
    assert sorted(got_by, key=str) == sorted(want_keys, key=str), "every time limit the event starts is listed"
    assert [key(r.kind, r.variant) for r in got] == sorted(
        [key(r.kind, r.variant) for r in got], key=lambda k: (got_by[k].deadline, k[0], k[1] or "")
    ), "results come in deadline order"
    for e in expect:
        r = got_by[key(e["kind"], e.get("variant"))]
        for field, want in e.items():
            if field in ("kind", "variant"):
                continue
            if field == "calendar_note":
                assert bool(r.calendar_note) is want, f"{e['kind']}: calendar_note {r.calendar_note!r}"
                continue
            assert _iso(getattr(r, field)) == _iso(want), f"{e['kind']}: {field} {getattr(r, field)} != {want}"
        if "calendar_note" not in e:
            assert r.calendar_note is None, f"{e['kind']}: unexpected calendar note {r.calendar_note}"
        assert r.legal_basis and r.citations and r.trigger_date == D(str(inp["date"]))


def test_every_rule_is_pinned_to_a_scenario():
    used = {e["rule_id"] for _, sc in ALL for e in sc.get("expect", []) if "rule_id" in e}
    ids = {r.id for r in load_rules().time_limits}
    assert ids - used == set(), "rules without a worked example"
    assert used - ids == set(), "scenarios name rules that do not exist"


# ---- the required worked examples, spelled out ---------------------------------------------------


def test_exam_request_2021_03_01_is_friday_2024_03_01():
    [r] = [x for x in calc("filing", D("2021-03-01"), "invention") if x.kind == "exam-request"]
    assert r.deadline == D("2024-03-01") == r.raw_deadline
    assert r.consequence == "deemed-withdrawn" and r.party == "applicant" and not r.extendable
    assert "第三十五条" in r.legal_basis and "Art. 35(1)" in r.legal_basis
    assert (r.legal_basis_zh, r.legal_basis_en) == ("专利法(2008) 第三十五条第一款", "Patent Law (2008) Art. 35(1)")


def test_holiday_shift_national_day_2021():
    [r] = calc("tm-refusal", D("2021-09-01"), "trademark", service="mail")
    assert (r.raw_deadline, r.deadline) == (D("2021-10-01"), D("2021-10-08"))
    assert "National Day" in r.note and "Art. 12(1)" in r.note


def test_adjusted_working_saturday_stays():
    [r] = calc("tm-publication", D("2021-07-09"), "trademark")
    assert r.deadline == r.raw_deadline == D("2021-10-09") and r.deadline.weekday() == 5


def test_month_end_three_months_from_nov_30():
    assert cal.period_end(D("2023-11-30"), months=3) == D("2024-02-29")
    assert cal.period_end(D("2022-11-30"), months=3) == D("2023-02-28")
    assert cal.period_end(D("2024-01-31"), months=1) == D("2024-02-29")
    assert cal.period_end(D("2024-03-31"), months=6) == D("2024-09-30")


def test_deemed_receipt_mail_and_the_2024_switch():
    mail = calc("refusal", D("2024-03-01"), "invention", service="mail")[0]
    assert mail.base_date == D("2024-03-16") and "Art. 4(4)" in mail.note
    before = calc("refusal", D("2024-01-19"), "invention", service="electronic")[0]
    after = calc("refusal", D("2024-01-20"), "invention", service="electronic")[0]
    assert before.base_date == D("2024-02-03"), "2010 regime: electronic notices deemed received after 15 days"
    assert after.base_date == D("2024-01-20"), "IR 2023 Art. 4(7): served the day it enters the party's system"
    assert "Art. 4(7)" in after.note


def test_rule_switch_by_date():
    old = [r.id for r in rules_in_force(D("2024-01-19"), right="invention", event="rights-loss-notice")]
    new = [r.id for r in rules_in_force(D("2024-01-20"), right="invention", event="rights-loss-notice")]
    assert "restoration/notice/ir2010" in old and "restoration/notice/ir2023" in new
    assert not set(old) & set(new)
    r2010 = calc("rights-loss-notice", D("2024-01-19"), "invention", service="mail")[0]
    r2023 = calc("rights-loss-notice", D("2024-01-20"), "invention", service="mail")[0]
    assert "(2010)" in r2010.legal_basis and "(2023)" in r2023.legal_basis
    # design term: 10 years for filings before 2021-06-01, 15 from then on
    t_old = calc("filing", D("2021-05-31"), "design")[0]
    t_new = calc("filing", D("2021-06-01"), "design")[0]
    assert (t_old.deadline, t_new.deadline) == (D("2031-05-30"), D("2036-05-31"))


def test_results_are_serializable_and_complete():
    [r] = calc("office-action", D("2024-05-10"), "invention")
    d = r.to_dict()
    assert d["deadline"] == "2024-09-10" and d["kind"] == "office-action"
    assert d["extendable"] and "2 months" in d["extension"]
    cites = " ".join(c["cite"] for c in d["citations"])
    assert "Art. 37" in cites and "Guidelines for Patent Examination (2023)" in cites and "Art. 6(4)" in cites
    for name in ("kind", "deadline", "legal_basis", "trigger_event", "trigger_date", "base_date", "raw_deadline"):
        assert d[name]
    for name in ("party", "consequence", "extendable", "rule_id", "note", "calendar_note"):
        assert name in d


def test_today_defaults_to_today_and_scheduled_events_may_be_future():
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ValueError, match="in the future"):
        calc("filing", tomorrow, "invention")
    assert calc("tm-expiry", tomorrow, "trademark")  # expiry dates are known in advance
    assert calc("filing", "2021-03-01", "invention") == calc("filing", D("2021-03-01"), "invention")
    with pytest.raises(ValueError, match="not a date"):
        calc("filing", "2021-02-30", "invention")


def test_priority_date_only_changes_what_runs_from_priority():
    plain = {r.kind: r for r in calc("filing", D("2022-06-15"), "invention")}
    prio = {r.kind: r for r in calc("filing", D("2022-06-15"), "invention", priority_date=D("2021-09-20"))}
    assert plain["term-end"].deadline == prio["term-end"].deadline == D("2042-06-14"), "term runs from filing"
    assert prio["exam-request"].base_date == D("2021-09-20") and prio["exam-request"].deadline == D("2024-09-20")
    assert "priority-document" in prio and "priority-document" not in plain


# ---- calendar ---------------------------------------------------------------------------------


def test_calendar_working_days():
    assert not cal.is_working_day(D("2024-10-01")) and cal.rest_reason(D("2024-10-01")) == "National Day"
    assert cal.is_working_day(D("2024-10-12")), "adjusted working Saturday"
    assert cal.rest_reason(D("2024-06-15")) == "weekend"
    s = cal.next_working_day(D("2024-10-01"))
    assert s.deadline == D("2024-10-08") and s.moved and len(s.skipped) == 7 and s.calendar_note is None
    assert not cal.next_working_day(D("2024-10-08")).moved


def test_calendar_fallback_is_flagged():
    assert cal.DATA_FROM <= 2004 and cal.DATA_TO >= 2026
    far = D("2031-10-01")  # a Wednesday; fixed holiday in the fallback
    s = cal.next_working_day(far)
    assert s.deadline == D("2031-10-06") and s.calendar_note and "provisional" in s.calendar_note
    assert cal.next_working_day(D("2031-10-08")).calendar_note  # flagged even when not moved
    assert cal.next_working_day(D("2003-06-02")).calendar_note  # before the data too


def test_term_counting():
    assert cal.period_end(D("1999-09-06"), years=10, counting="term") == D("2009-09-05")
    assert cal.period_end(D("2016-02-29"), years=10, counting="term") == D("2026-02-28")
    assert cal.period_end(D("2020-02-29"), years=4, counting="term") == D("2024-02-28")
    assert cal.months_before(D("2024-05-06"), months=12) == D("2023-05-06")
    assert cal.period_end(D("2024-03-01"), days=15) == D("2024-03-16")


# ---- the store: open deadlines (SQLite and PostgreSQL) ------------------------------------------


def _seed(session, today: dt.date) -> None:
    ex = t.Examiner(code="E042", name="Li Ming", division="G06")
    session.add(ex)
    session.flush()
    cases = []
    for n, right in enumerate(("invention", "trademark", "utility")):
        c = t.Case(
            case_no=f"C-{n}",
            right=right,
            procedure="p",
            procedure_version="1",
            state="examination",
            filing_date=D("2023-01-01"),
            examiner_id=ex.id if n == 0 else None,
            applicant_party_id=None,
        )
        session.add(c)
        cases.append(c)
    session.flush()

    def dl(case, kind, days, status="open", extended=None):
        session.add(
            t.CaseDeadline(
                case_id=case.id,
                kind=kind,
                trigger_event="office-action",
                trigger_date=today - dt.timedelta(days=100),
                deadline=today + dt.timedelta(days=days),
                legal_basis="专利法(2020) 第三十七条",
                consequence="deemed-withdrawn",
                status=status,
                extended_to=extended,
                rule_id="office-action/invention/first/pl2020-gl2023",
            )
        )

    dl(cases[0], "office-action", 10)
    dl(cases[1], "opposition", 40)
    dl(cases[2], "exam-request", -3)
    dl(cases[0], "grant-registration", 5, status="met")
    dl(cases[2], "office-action", -1, status="extended", extended=today + dt.timedelta(days=20))
    session.commit()


def test_due_deadlines(store):
    today = dt.date(2025, 6, 2)
    admin = Actor("t", Role.ADMINISTRATOR)
    with store.session() as s:
        _seed(s, today)
        rows = due_deadlines(s, admin, today, within_days=30)
        assert [(r["case_no"], r["kind"], r["days_left"]) for r in rows] == [
            ("C-0", "office-action", 10),
            ("C-2", "office-action", 20),
        ]
        assert rows[0]["examiner"] == "E042" and rows[0]["right"] == "invention"
        assert rows[1]["extended_to"] == rows[1]["due"] and rows[1]["status"] == "extended"
        assert [r["case_no"] for r in due_deadlines(s, admin, today, within_days=45)] == ["C-0", "C-2", "C-1"]
        over = due_deadlines(s, admin, today, overdue=True)
        assert [(r["case_no"], r["kind"], r["days_left"]) for r in over] == [("C-2", "exam-request", -3)]
        assert due_deadlines(s, Actor("x", Role.AGENT), today, within_days=45) == []  # no party: nothing
    check("deadline_list", admin)
    check("deadline_calc", Actor("anon", Role.PUBLIC))
