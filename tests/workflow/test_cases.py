"""The case engine on both stores: whole life cycles, illegal transitions, dates, permissions,
optimistic locking, the one-transaction rule, the overdue sweep, and cases for real CN records.

Time limits come from a stand-in for `workflow.deadlines.calc` with the periods of the law
(so the engine is tested on its own); the last tests use the real calculator when it is there.
"""

from __future__ import annotations

import calendar
import datetime as dt
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from ipoffice.core import tables as t
from ipoffice.core.model import PartyRef, TrademarkRecord
from ipoffice.core.roles import Actor, PermissionDenied, Role
from ipoffice.core.store import PartyResolver, upsert_trademarks
from ipoffice.workflow import cases as C

D = dt.date
TODAY = D(2025, 6, 30)
EX = Actor("examiner-1", Role.EXAMINER)
ADMIN = Actor("admin", Role.ADMINISTRATOR)


def months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return D(d.year + y, m + 1, min(d.day, calendar.monthrange(d.year + y, m + 1)[1]))


PERIODS = {  # trigger event -> (kind, months or "Nd" days, party, consequence, basis), as workflow.deadlines names them
    "filing": [
        (
            "exam-request",
            36,
            "applicant",
            "deemed-withdrawn",
            "专利法(2020) 第三十五条第一款 / Patent Law (2020) Art. 35(1)",
        ),
        ("publication", 18, "office", None, "专利法(2020) 第三十四条 / Patent Law (2020) Art. 34"),
        ("term-end", 240, "applicant", "term-expired", "专利法(2020) 第四十二条第一款 / Patent Law (2020) Art. 42(1)"),
        ("examination", 9, "office", None, "商标法(2019) 第二十八条第一款 / Trademark Law (2019) Art. 28(1)"),
    ],
    "office-action": [
        ("office-action", 4, "applicant", "deemed-withdrawn", "专利法(2020) 第三十七条 / Patent Law (2020) Art. 37")
    ],
    "office-action-later": [
        ("office-action", 2, "applicant", "deemed-withdrawn", "专利法(2020) 第三十七条 / Patent Law (2020) Art. 37")
    ],
    "grant-notice": [("grant-registration", 2, "applicant", "grant-waived", "专利法实施细则(2010) 第五十四条第二款")],
    "refusal": [("reexamination", 3, "applicant", "refusal-final", "专利法(2020) 第四十一条第一款")],
    "rights-loss-notice": [("restoration", 2, "applicant", "rights-lost", "专利法实施细则(2010) 第六条第二款")],
    "tm-publication": [("opposition", 3, "third-party", "opposition-closed", "商标法(2019) 第三十三条")],
    "tm-refusal": [("reexamination", "15d", "applicant", "refusal-final", "商标法(2019) 第三十四条")],
    "tm-registration": [
        ("term-end", 120, "applicant", "term-expired", "商标法(2019) 第三十九条"),
        ("renewal", 120, "applicant", "grace-period", "商标法(2019) 第四十条第一款"),
        ("renewal-grace", 126, "applicant", "registration-cancelled", "商标法(2019) 第四十条第一款"),
    ],
}
FILING_KINDS = {
    "invention": {"exam-request", "publication", "term-end"},
    "utility": {"term-end"},
    "design": {"term-end"},
    "trademark": {"examination"},
}
CALLS: list[tuple] = []


def fake_calc(event, date, right, service="electronic", priority_date=None, expiry_date=None, today=None):
    CALLS.append((event, date, right, service, priority_date))
    if date > (today or TODAY):
        raise ValueError(f"event date {date} is in the future")
    out = []
    for kind, period, party, consequence, basis in PERIODS.get(event, []):
        if event == "filing" and kind not in FILING_KINDS[right]:
            continue
        base = priority_date if kind == "exam-request" and priority_date else date
        due = base + dt.timedelta(days=15) if period == "15d" else months(base, period)
        if service == "mail":
            due += dt.timedelta(days=15)
        out.append(
            SimpleNamespace(
                kind=kind,
                deadline=due,
                legal_basis=basis,
                trigger_event=event,
                trigger_date=date,
                base_date=base,
                raw_deadline=due,
                party=party,
                consequence=consequence,
                extendable=False,
                rule_id=f"test-{kind}",
                note=None,
            )
        )
    return out


@pytest.fixture(autouse=True)
def stand_in_calculator(monkeypatch):
    CALLS.clear()
    monkeypatch.setattr(C, "_calculator", lambda: fake_calc)
    monkeypatch.setattr(C, "_today", lambda: TODAY)


def walk(s, case, steps, actor=EX):
    for event, day in steps:
        C.apply_event(s, actor, case, event, D.fromisoformat(day))


def deadlines(s, case) -> dict[str, str]:
    return {d.kind: d.status for d in C.case_deadlines(s, case)}


def audits(s, case) -> list[str]:
    return list(
        s.scalars(select(t.AuditEntry.action).where(t.AuditEntry.entity_ref == case.case_no).order_by(t.AuditEntry.id))
    )


# ---------------------------------------------------------------- life cycles


def test_invention_life_cycle_to_grant_and_invalidation(store):
    with store.session() as s:
        case = C.open_case(s, EX, "invention", D(2021, 3, 1), title="一种测试装置", ipc_main="G06F 16/27")
        s.commit()
        assert case.case_no == "202110000001.6"  # CNIPA form: year, type 1, serial, check digit
        assert (case.state, case.procedure, case.procedure_version, case.is_open) == (
            "filed",
            "invention",
            "v2010",
            True,
        )
        assert deadlines(s, case) == {"exam-request": "open", "publication": "open", "term-end": "open"}
        walk(
            s,
            case,
            [
                ("start-formalities", "2021-03-10"),
                ("formalities-notice", "2021-04-01"),
                ("respond", "2021-05-20"),
                ("pass-formalities", "2021-06-01"),
                ("request-examination", "2021-06-15"),
                ("publish", "2022-09-01"),
                ("start-substantive-examination", "2022-10-10"),
                ("office-action", "2022-12-01"),
                ("respond", "2023-03-20"),
                ("office-action", "2023-05-05"),
                ("respond", "2023-06-30"),
                ("grant-notice", "2023-09-01"),
                ("register-grant", "2023-10-08"),
            ],
        )
        s.commit()
        assert (case.state, case.is_open, case.outcome) == ("granted", False, "granted")
        assert case.first_action_date == D(2022, 12, 1)  # the first substantive office action
        assert case.final_decision_date == D(2023, 10, 8)
        assert case.row_version == 14
        statuses = [(d.kind, d.status) for d in C.case_deadlines(s, case)]
        assert statuses.count(("office-action", "met")) == 2  # two office actions answered
        assert all(st == "met" for k, st in statuses if k != "term-end"), statuses
        oa_limits = [d for d in C.case_deadlines(s, case) if d.kind == "office-action"]
        # the first office action gets the 4-month period, the second the shorter one (office-action-later)
        assert [(d.trigger_event, d.deadline) for d in oa_limits] == [
            ("office-action", D(2023, 4, 1)),
            ("office-action-later", D(2023, 7, 5)),
        ]
        tl = C.timeline(s, case, today=TODAY)
        assert [e["event"] for e in tl["events"]][:3] == ["file", "start-formalities", "formalities-notice"]
        oa = next(e for e in tl["events"] if e["event"] == "office-action")
        assert oa["legal_basis"] == "专利法(2020) 第三十七条"
        assert "第一次审查意见通知书" in oa["notice"]["text"] and "2023年4月1日" in oa["notice"]["text"]
        second = [e for e in tl["events"] if e["event"] == "office-action"][1]
        assert "第二次审查意见通知书" in second["notice"]["text"]
        assert {n["event"] for n in tl["next_events"]} == {"request-invalidation", "cease", "expire"}
        walk(s, case, [("request-invalidation", "2024-05-06"), ("invalidate", "2025-01-10")])
        s.commit()
        assert (case.state, case.outcome) == ("invalidated", "invalidated")
        assert deadlines(s, case)["term-end"] == "cancelled"  # a terminal state stops every running limit
        with pytest.raises(C.IllegalTransition, match=r"not allowed in state 'invalidated'.*none \(final state\)"):
            C.apply_event(s, EX, case, "maintain", D(2025, 2, 1))
        acts = audits(s, case)
        assert acts[0] == "case_open" and acts.count("case_transition") == 15


def test_refusal_reexamination_and_revocation(store):
    with store.session() as s:
        case = C.open_case(s, EX, "invention", D(2020, 1, 6))
        walk(
            s,
            case,
            [
                ("start-formalities", "2020-01-20"),
                ("pass-formalities", "2020-03-02"),
                ("request-examination", "2020-03-02"),
                ("publish", "2021-07-09"),
                ("start-substantive-examination", "2021-08-02"),
            ],
        )
        # Art. 38: no refusal before an office action gave the applicant a hearing
        with pytest.raises(C.ConditionNotMet, match=r"驳回前须已发出审查意见通知书.*专利法\(2020\) 第三十八条"):
            C.apply_event(s, EX, case, "refuse", D(2021, 9, 1))
        walk(s, case, [("office-action", "2021-09-01"), ("respond", "2021-12-20"), ("refuse", "2022-03-01")])
        assert (case.state, case.outcome, case.final_decision_date) == ("refused", "refused", D(2022, 3, 1))
        refusal = s.scalars(
            select(t.CaseEvent).where(t.CaseEvent.case_id == case.id, t.CaseEvent.event == "refuse")
        ).one()
        assert "驳回决定" in refusal.details["notice"]["text"] and "2022年6月1日" in refusal.details["notice"]["text"]
        # the refusal does not become final while the reexamination period runs
        with pytest.raises(C.ConditionNotMet, match="复审请求期限"):
            C.apply_event(s, EX, case, "refusal-becomes-final", D(2022, 5, 1))
        walk(s, case, [("request-reexamination", "2022-05-20"), ("revoke-refusal", "2022-11-11")])
        assert (case.state, case.outcome, case.final_decision_date) == ("substantive-examination", None, None)
        walk(s, case, [("office-action", "2022-12-01"), ("respond", "2023-01-30"), ("refuse", "2023-03-01")])
        walk(s, case, [("request-reexamination", "2023-04-03"), ("reexamination-notice", "2023-07-03")])
        walk(s, case, [("respond", "2023-08-01"), ("uphold-refusal", "2023-10-09")])
        s.commit()
        assert (case.state, case.is_open, case.outcome) == ("refusal-final", False, "refused")
        assert {d.status for d in C.case_deadlines(s, case)} <= {"met", "cancelled", "lapsed"}


def test_utility_and_design_life_cycles_and_open_licence(store):
    with store.session() as s:
        for right, digit in (("utility", "2"), ("design", "3")):
            case = C.open_case(s, EX, right, D(2022, 5, 9), title=f"{right} 样品")
            assert case.case_no[4] == digit
            assert deadlines(s, case) == {"term-end": "open"}
            walk(
                s,
                case,
                [
                    ("start-preliminary-examination", "2022-05-16"),
                    ("examination-notice", "2022-06-01"),
                    ("respond", "2022-07-15"),
                    ("grant-notice", "2022-08-01"),
                    ("register-grant", "2022-09-01"),
                ],
            )
            assert (case.state, case.outcome, case.first_action_date) == ("granted", "granted", D(2022, 6, 1))
            assert deadlines(s, case) == {"term-end": "open", "office-action": "met", "grant-registration": "met"}
            with pytest.raises(C.IllegalTransition, match="no event 'declare-open-licence'"):
                C.apply_event(s, EX, case, "declare-open-licence", D(2023, 1, 1))  # v2010: no open licence
            walk(s, case, [("cease", "2024-09-02")])
            walk(s, case, [("restore", "2024-10-08")], actor=ADMIN)  # back to granted ($return)
            assert case.state == "granted"
        # filed under the 2023 rules: open licence, after an evaluation report (Patent Law Art. 50(1))
        case = C.open_case(s, EX, "utility", D(2024, 2, 1))
        assert case.procedure_version == "v2024"
        walk(
            s,
            case,
            [
                ("start-preliminary-examination", "2024-02-05"),
                ("grant-notice", "2024-03-01"),
                ("register-grant", "2024-04-01"),
            ],
        )
        with pytest.raises(C.ConditionNotMet, match="专利权评价报告"):
            C.apply_event(s, EX, case, "declare-open-licence", D(2024, 5, 1))
        walk(s, case, [("request-evaluation-report", "2024-05-01"), ("declare-open-licence", "2024-06-01")])
        ev = s.scalars(select(t.CaseEvent).where(t.CaseEvent.event == "declare-open-licence")).one()
        assert ev.legal_basis == "专利法(2020) 第五十条第一款；专利法实施细则(2023) 第八十五条第一款"
        assert case.state == "granted"
        s.commit()


def _trademark(s, number: str, filed: dt.date, mark: str = "青山", mark_type: str = "word") -> t.Trademark:
    rec = TrademarkRecord(
        number=number,
        country="CN",
        mark=mark,
        mark_type=mark_type,
        filing_date=filed,
        status="pending",
        parties=[PartyRef(name="杭州青山茶业有限公司", role="applicant")],
        source_format="test",
    )
    upsert_trademarks(s, [(rec, "test")], PartyResolver())
    s.flush()
    return s.scalars(select(t.Trademark).where(t.Trademark.number == number)).one()


def test_trademark_life_cycles(store):
    with store.session() as s:
        tm = _trademark(s, "56781234", D(2021, 4, 6))
        case = C.open_case_for_trademark(s, EX, tm)
        assert (case.case_no, case.right, case.procedure_version, case.title) == (
            "56781234",
            "trademark",
            "v2019",
            "青山",
        )
        assert case.applicant_party_id is not None
        walk(
            s,
            case,
            [
                ("accept", "2021-04-20"),
                ("request-explanation", "2021-06-01"),
                ("explain", "2021-06-15"),
                ("publish-preliminary-approval", "2021-08-06"),
            ],
        )
        assert case.first_action_date == D(2021, 6, 1)
        assert deadlines(s, case) == {"examination": "met", "opposition": "open"}
        # Trademark Law Art. 33: registration only once the 3-month opposition period is over
        with pytest.raises(C.ConditionNotMet, match="异议期"):
            C.apply_event(s, EX, case, "register", D(2021, 11, 6))
        # the sweep proposes the registration once the period is over; staff confirm it
        rep = C.sweep_overdue(s, D(2021, 11, 8))
        assert [(p["kind"], p["action"]) for p in rep.proposed] == [("opposition", "register")]
        C.confirm_action(s, ADMIN, rep.proposed[0]["proposed_action_id"], date=D(2021, 11, 8))
        assert (case.state, case.outcome, case.is_open) == ("registered", "registered", False)
        assert deadlines(s, case) == {
            "examination": "met",
            "opposition": "lapsed",
            "term-end": "open",
            "renewal": "open",
            "renewal-grace": "open",
        }
        reg = s.scalars(
            select(t.CaseEvent).where(t.CaseEvent.case_id == case.id, t.CaseEvent.event == "register")
        ).one()
        assert (
            "商标核准注册通知" in reg.details["notice"]["text"]
            and "宽展期至2032年5月8日" in reg.details["notice"]["text"]
        )
        walk(s, case, [("renew", "2025-06-01")])
        assert deadlines(s, case)["renewal"] == "met" and deadlines(s, case)["renewal-grace"] == "met"
        # another mark: refused, reviewed, published, opposed, refused registration, review upheld
        a = C.open_case_for_trademark(s, EX, _trademark(s, "60000001", D(2022, 1, 4), "山水"))
        walk(s, a, [("accept", "2022-01-10"), ("refuse", "2022-05-05")])
        ev = s.scalars(select(t.CaseEvent).where(t.CaseEvent.case_id == a.id, t.CaseEvent.event == "refuse")).one()
        assert "商标驳回通知书" in ev.details["notice"]["text"] and "2022年5月20日" in ev.details["notice"]["text"]
        walk(s, a, [("request-refusal-review", "2022-05-18"), ("allow-on-review", "2022-12-01")])
        assert (a.state, a.outcome) == ("opposition-period", None)
        walk(s, a, [("file-opposition", "2023-01-05"), ("refuse-registration", "2023-09-01")])
        assert (a.state, a.outcome) == ("registration-refused", "refused")
        walk(s, a, [("request-nonregistration-review", "2023-09-10"), ("uphold-nonregistration", "2024-06-01")])
        assert a.state == "refusal-final" and not a.is_open
        s.commit()


# ---------------------------------------------------------------- refusals of bad steps


def test_illegal_transitions_bad_dates_and_permissions_are_refused(store):
    with store.session() as s:
        case = C.open_case(s, EX, "invention", D(2021, 3, 1))
        walk(
            s,
            case,
            [("start-formalities", "2021-03-10"), ("pass-formalities", "2021-04-01"), ("publish", "2022-09-01")],
        )
        with pytest.raises(C.IllegalTransition) as err:
            C.apply_event(s, EX, case, "grant-notice", D(2022, 10, 1))
        e = err.value
        assert (e.case_no, e.state, e.event) == (case.case_no, "published", "grant-notice")
        assert e.allowed == [
            "submit-priority-document",
            "request-examination",
            "start-substantive-examination",
            "examine-ex-officio",
            "withdraw",
            "deem-withdrawn",
        ]
        assert f"case {case.case_no}: event 'grant-notice' is not allowed in state 'published'" in str(e)
        with pytest.raises(C.ConditionNotMet, match="申请人须已提出实质审查请求"):
            C.apply_event(s, EX, case, "start-substantive-examination", D(2022, 10, 1))
        with pytest.raises(C.IllegalTransition, match="has no event 'fly'"):
            C.apply_event(s, EX, case, "fly", D(2022, 10, 1))
        with pytest.raises(C.CaseError, match="is in the future"):
            C.apply_event(s, EX, case, "request-examination", TODAY + dt.timedelta(days=1))
        with pytest.raises(C.CaseError, match="before the last event"):
            C.apply_event(s, EX, case, "request-examination", D(2022, 8, 31))
        with pytest.raises(C.CaseError, match="before the filing date 2021-03-01"):
            C.apply_event(s, EX, case, "request-examination", D(2021, 2, 1))
        C.apply_event(s, EX, case, "request-examination", D(2022, 9, 1))  # same day as the last event is fine
        with pytest.raises(C.ConditionNotMet, match="实质审查请求已经提出"):
            C.apply_event(s, EX, case, "request-examination", D(2022, 9, 2))
        assert case.state == "published"
        # who may act: the procedure's roles, and a party only on its own case
        p1 = t.Party(party_key="organization|甲公司|cn", norm_name="甲公司", name="甲公司")
        p2 = t.Party(party_key="organization|乙公司|cn", norm_name="乙公司", name="乙公司")
        s.add_all([p1, p2])
        s.flush()
        case = C.open_case(s, EX, "invention", D(2021, 3, 1), applicant_party_id=p1.id)
        owner = Actor("applicant@甲", Role.APPLICANT, p1.id)
        other = Actor("applicant@乙", Role.APPLICANT, p2.id)
        with pytest.raises(PermissionDenied):
            C.open_case(s, owner, "invention", D(2021, 3, 1))
        with pytest.raises(PermissionDenied):
            C.apply_event(s, other, case, "request-examination", D(2021, 4, 1))  # not their case
        with pytest.raises(PermissionDenied):
            C.apply_event(s, owner, case, "start-formalities", D(2021, 4, 1))  # an office act
        with pytest.raises(PermissionDenied):
            C.apply_event(s, Actor("anonymous", Role.PUBLIC), case, "request-examination", D(2021, 4, 1))
        ev = C.apply_event(s, owner, case, "request-examination", D(2021, 4, 1))
        assert ev.actor == "applicant@甲" and ev.details["role"] == "applicant"
        walk(
            s,
            case,
            [("start-formalities", "2021-04-02"), ("pass-formalities", "2021-05-06"), ("publish", "2022-09-02")],
        )
        with pytest.raises(PermissionDenied):
            C.apply_event(s, EX, case, "examine-ex-officio", D(2022, 9, 5))  # administrators only (Art. 35(2))
        C.apply_event(s, ADMIN, case, "examine-ex-officio", D(2022, 9, 5))


def test_stale_version_is_refused(store):
    with store.session() as s:
        case = C.open_case(s, EX, "invention", D(2021, 3, 1))
        s.commit()
        case_id, version = case.id, case.row_version
    with store.session() as s1, store.session() as s2:
        c1 = s1.get(t.Case, case_id)
        c2 = s2.get(t.Case, case_id)
        s1.commit()  # c1 read, transaction ended (a clerk's screen)
        C.apply_event(s2, EX, c2, "start-formalities", D(2021, 3, 10))
        s2.commit()
        with pytest.raises(C.StaleCase, match="reload and retry"):
            C.apply_event(s1, EX, c1, "start-formalities", D(2021, 3, 11))
        s1.rollback()
        c1 = s1.get(t.Case, case_id)
        with pytest.raises(C.StaleCase, match=f"version {version}, now {version + 1}"):
            C.apply_event(s1, EX, c1, "pass-formalities", D(2021, 3, 12), expected_version=version)
        assert C.apply_event(s1, EX, c1, "pass-formalities", D(2021, 3, 12), expected_version=version + 1)
        s1.commit()
        assert c1.row_version == version + 2


# ---------------------------------------------------------------- one transaction


def test_an_event_is_all_or_nothing(store, monkeypatch):
    """A failure in the audit, the time-limit or the notice step leaves no trace of the event."""
    import ipoffice.workflow.notices as notices

    with store.session() as s:
        case = C.open_case(s, EX, "invention", D(2021, 3, 1))
        walk(
            s,
            case,
            [
                ("start-formalities", "2021-03-10"),
                ("pass-formalities", "2021-04-01"),
                ("request-examination", "2021-04-01"),
                ("publish", "2022-09-01"),
                ("start-substantive-examination", "2022-10-10"),
            ],
        )
        s.commit()

        def counts():
            return tuple(s.scalar(select(func.count(tbl.id))) for tbl in (t.CaseEvent, t.CaseDeadline, t.AuditEntry))

        def boom(*a, **k):
            raise RuntimeError("step failed")

        for target, name, replacement in (
            (C.audit, "record", boom),
            (C, "_calculator", lambda: boom),
            (notices, "render_notice", boom),
        ):
            before, n_before = (case.state, case.row_version, case.first_action_date), counts()
            with monkeypatch.context() as m:
                m.setattr(target, name, replacement)
                with pytest.raises(RuntimeError, match="step failed"):
                    C.apply_event(s, EX, case, "office-action", D(2022, 12, 1))
            s.commit()  # the caller commits whatever else it did: the failed event left nothing behind
            s.expire_all()
            assert (case.state, case.row_version, case.first_action_date) == before, name
            assert counts() == n_before, name
        C.apply_event(s, EX, case, "office-action", D(2022, 12, 1))
        s.commit()
        assert case.state == "office-action" and case.row_version == before[1] + 1
        assert counts() == (n_before[0] + 1, n_before[1] + 1, n_before[2] + 1)


# ---------------------------------------------------------------- overdue sweep


def test_sweep_proposes_consequences_and_staff_confirm_or_reject(store):
    with store.session() as s:
        late = C.open_case(s, EX, "invention", D(2020, 1, 10), title="逾期未请求实审")
        walk(
            s,
            late,
            [("start-formalities", "2020-01-20"), ("pass-formalities", "2020-03-01"), ("publish", "2021-07-16")],
        )
        quiet = C.open_case(s, EX, "invention", D(2021, 2, 1))
        walk(
            s,
            quiet,
            [
                ("start-formalities", "2021-02-10"),
                ("pass-formalities", "2021-03-01"),
                ("request-examination", "2021-03-01"),
            ],
        )
        walk(
            s,
            quiet,
            [
                ("publish", "2022-08-05"),
                ("start-substantive-examination", "2022-09-01"),
                ("office-action", "2022-10-10"),
            ],
        )
        office_late = C.open_case(s, EX, "invention", D(2021, 6, 1))  # still filed: publication (office) overdue
        s.commit()

        rep = C.sweep_overdue(s, D(2023, 3, 1), actor=ADMIN)
        s.commit()
        by_case = {p["case"]: p for p in rep.proposed}
        assert set(by_case) == {late.case_no, quiet.case_no}
        assert by_case[late.case_no]["action"] == "deem-withdrawn" and by_case[late.case_no]["kind"] == "exam-request"
        assert by_case[quiet.case_no]["kind"] == "office-action"
        assert [o["case"] for o in rep.office_overdue] == [office_late.case_no]
        assert C.sweep_overdue(s, D(2023, 3, 1)).proposed == []  # once per time limit
        pa = s.get(t.ProposedAction, by_case[late.case_no]["proposed_action_id"])
        assert pa.legal_basis.startswith("专利法(2020) 第三十五条第一款") and "exam-request" in pa.reason

        ev = C.confirm_action(s, ADMIN, pa.id, date=D(2023, 3, 6), today=TODAY)
        s.commit()
        assert (late.state, late.outcome, late.is_open) == ("deemed-withdrawn", "deemed-withdrawn", False)
        assert ev.legal_basis == "专利法(2020) 第三十五条第一款" and ev.details["proposed_action_id"] == pa.id
        notice = ev.details["notice"]["text"]
        assert "视为撤回通知书" in notice and "未在规定的期限内提出实质审查请求" in notice
        assert "根据专利法(2020) 第三十五条第一款的规定" in notice and "2023年5月6日" in notice  # restoration limit
        assert pa.status == "confirmed" and pa.decided_by == "admin"
        assert deadlines(s, late)["exam-request"] == "lapsed" and deadlines(s, late)["restoration"] == "open"
        with pytest.raises(C.CaseError, match="already confirmed"):
            C.confirm_action(s, ADMIN, pa.id)
        # restoration within 2 months puts the case back where it was
        C.apply_event(s, Actor("agent", Role.ADMINISTRATOR), late, "restore", D(2023, 4, 20))
        assert (late.state, late.outcome, late.final_decision_date) == ("published", None, None)

        other = by_case[quiet.case_no]["proposed_action_id"]
        with pytest.raises(PermissionDenied):
            C.reject_action(s, Actor("x", Role.APPLICANT, 1), other)
        C.reject_action(s, EX, other, "答复已于期限内邮寄", extend_to=D(2023, 4, 1))
        s.commit()
        assert deadlines(s, quiet)["office-action"] == "extended" and quiet.state == "office-action"
        assert C.sweep_overdue(s, D(2023, 3, 20)).proposed == []
        again = C.sweep_overdue(s, D(2023, 4, 2)).proposed  # the extension ran out too
        assert [p["case"] for p in again] == [quiet.case_no]
        C.reject_action(s, EX, again[0]["proposed_action_id"], "met on paper")
        assert deadlines(s, quiet)["office-action"] == "cancelled"
        s.commit()
        decided = audits(s, late) + audits(s, quiet)
        assert decided.count("case_action_propose") == 3 and decided.count("case_action_decide") == 3


# ---------------------------------------------------------------- version choice and real records


def test_the_version_follows_the_filing_date(store):
    with store.session() as s:
        old = C.open_case(s, EX, "invention", D(2024, 1, 19))
        new = C.open_case(s, EX, "invention", D(2024, 1, 20))
        assert (old.procedure_version, new.procedure_version) == ("v2010", "v2024")
        steps = [("start-formalities", "2024-02-01"), ("request-examination", "2024-02-01")]
        walk(s, old, steps)
        walk(s, new, steps)
        with pytest.raises(
            C.IllegalTransition, match="invention/v2010 procedure has no event 'request-delayed-examination'"
        ):
            C.apply_event(s, EX, old, "request-delayed-examination", D(2024, 2, 2))
        ev = C.apply_event(s, EX, new, "request-delayed-examination", D(2024, 2, 2), {"delay_years": 1})
        assert ev.legal_basis == "专利法实施细则(2023) 第五十六条第二款" and ev.details["delay_years"] == 1
        start = s.scalars(
            select(t.CaseEvent).where(t.CaseEvent.case_id == new.id, t.CaseEvent.event == "start-formalities")
        ).one()
        assert start.legal_basis == "专利法(2020) 第三十四条；专利法实施细则(2023) 第五十条第一款"
        with pytest.raises(C.CaseError, match="no invention procedure in force on 2009-12-31"):
            C.open_case(s, EX, "invention", D(2009, 12, 31))


def test_cases_for_real_cn_documents(store, shared_data):
    from ipoffice.ingest.runner import import_path

    import_path(store, shared_data / "patents/cn/cnipa-xml-new-business-ns")
    import_path(store, shared_data / "patents/cn/cnipa-xml-old-cn-patent-document/200880114428_A.xml")
    with store.session() as s:
        docs = {d.number: d for d in s.scalars(select(t.PatentDocument))}
        radio = C.open_case_for_document(s, EX, docs["115212463"])  # CN115212463A 一种医用放射治疗装置
        assert (radio.case_no, radio.right, radio.filing_date) == ("201510481495.9", "invention", D(2015, 8, 7))
        assert (radio.ipc_main, radio.ipc_source, radio.procedure_version) == ("A61N 5/00", "office", "v2010")
        assert s.get(t.Party, radio.applicant_party_id).name == "北京大基康明医疗设备有限公司"
        assert s.get(t.Party, radio.agency_party_id).name == "北京银龙知识产权代理有限公司"
        assert radio.title == "一种医用放射治疗装置" and radio.language == "zh"
        display = C.open_case_for_document(s, EX, docs["113781974"])  # KR priority 2016-05-23
        assert display.priority_date == D(2016, 5, 23) and display.case_no == "202111286633.X"
        assert ("filing", D(2017, 4, 24), "invention", "electronic", D(2016, 5, 23)) in CALLS
        with pytest.raises(C.CaseError, match="already has case 201510481495.9"):
            C.open_case_for_document(s, EX, docs["115212463"])
        with pytest.raises(C.CaseError, match="no invention procedure in force on 2008-10-29"):
            C.open_case_for_document(s, EX, docs["103492414"])
        # a document without office IPC takes the suggested class, and its classes stay as they are
        chain = docs["113783949"]
        for c in list(chain.classifications):
            if c.source == "office":
                chain.classifications.remove(c)
        chain.classifications.append(
            t.PatentClassification(scheme="ipc", symbol="G06Q 20/38", main=True, source="suggested")
        )
        s.flush()
        case = C.open_case_for_document(s, EX, chain)
        assert (case.ipc_main, case.ipc_source) == ("G06Q 20/38", "suggested")
        assert [(c.symbol, c.source) for c in chain.classifications] == [("G06Q 20/38", "suggested")]
        s.commit()


def test_real_deadline_calculator_if_installed(store, monkeypatch):
    deadlines_mod = pytest.importorskip("ipoffice.workflow.deadlines")
    monkeypatch.setattr(C, "_calculator", lambda: deadlines_mod.calc)
    monkeypatch.setattr(C, "_today", lambda: dt.date.today())
    with store.session() as s:
        case = C.open_case(s, EX, "invention", D(2021, 3, 1))
        kinds = {d.kind: d.deadline for d in C.case_deadlines(s, case)}
        assert kinds["exam-request"] == D(2024, 3, 1)  # Patent Law Art. 35(1); 2024-03-01 is a working day
        walk(
            s,
            case,
            [("start-formalities", "2021-03-10"), ("pass-formalities", "2021-04-01"), ("publish", "2022-09-01")],
        )
        walk(s, case, [("request-examination", "2022-09-01"), ("start-substantive-examination", "2022-10-10")])
        C.apply_event(s, EX, case, "office-action", D(2022, 12, 1))
        started = [d for d in C.case_deadlines(s, case) if d.trigger_event == "office-action"]
        assert started and all(d.deadline > D(2022, 12, 1) for d in started)
        C.apply_event(s, EX, case, "respond", D(2023, 2, 1))
        assert {d.status for d in C.case_deadlines(s, case) if d.trigger_event == "office-action"} == {"met"}
        s.rollback()
