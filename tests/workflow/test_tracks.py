"""Fast tracks: criteria from the data file, assignment, and the per-track report on target times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from ipoffice.core import tables as t
from ipoffice.core.model import PartyRef, TrademarkRecord
from ipoffice.core.roles import Actor, PermissionDenied, Role
from ipoffice.core.store import PartyResolver, upsert_trademarks
from ipoffice.workflow import cases as C
from ipoffice.workflow import tracks as T

D = dt.date
EX = Actor("examiner-1", Role.EXAMINER)
ADMIN = Actor("admin", Role.ADMINISTRATOR)


@pytest.fixture(autouse=True)
def no_calculator(monkeypatch):
    monkeypatch.setattr(C, "_calculator", lambda: None)  # time limits are not what these tests are about
    monkeypatch.setattr(C, "_today", lambda: D(2025, 6, 30))


def test_track_file_names_its_sources_and_says_they_are_not_in_the_law_folder():
    tracks = T.load_tracks()
    assert set(tracks) == {"normal", "prioritised", "pre-examined", "green-channel"}
    pr = tracks["prioritised"]
    assert pr.source.title == "专利优先审查管理办法" and pr.source.effective_from == D(2017, 8, 1)
    assert not pr.source.in_law_folder and not pr.source.verified
    first, close = pr.targets["invention"]
    assert (first.metric, first.days, close.metric, close.days) == ("first_action", 45, "close", 365)
    assert tracks["green-channel"].targets["trademark"][0].working_days == 20
    assert [c.article for c in pr.criteria][:3] == ["第三条第（一）项", "第三条第（二）项", "第三条第（三）项"]


@pytest.mark.parametrize(
    ("symbol", "prefix", "hit"),
    [
        ("G06F 16/27", "G06F", True),
        ("G06F 16/27", "G06F 16", True),
        ("G06F 16/27", "G06F 16/2", True),
        ("G06F 16/27", "G06F 1", False),
        ("H01L 31/05", "H01L 31", True),
        ("A24B 15/18", "A61K", False),
        (None, "G06F", False),
    ],
)
def test_ipc_prefix_matching(symbol, prefix, hit):
    assert T.ipc_matches(symbol, prefix) is hit


def test_working_days_follow_chinas_calendar():
    # 20 working days from 2021-09-24 skip the National Day week and count the adjusted Saturday 2021-10-09
    assert T.add_working_days(D(2021, 9, 24), 1) == D(2021, 9, 26)  # Sunday 26 Sept 2021 was a working day
    assert T.add_working_days(D(2021, 9, 30), 1) == D(2021, 10, 8)
    assert T.add_months(D(2023, 1, 31), 1) == D(2023, 2, 28)


def test_bad_track_file_is_refused_naming_the_entry(tmp_path: Path):
    text = T.TRACKS_FILE.read_text(encoding="utf-8").replace(
        "invention: [substantive-examination, office-action]", "invention: [substantive-examination, limbo]"
    )
    bad = tmp_path / "fast_tracks.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(T.TrackError, match="track prioritised: unknown invention state 'limbo'"):
        T.load_tracks(bad)


def _invention(s, ipc: str, filed=D(2023, 3, 1)) -> t.Case:
    case = C.open_case(s, EX, "invention", filed, ipc_main=ipc)
    for ev, day in [
        ("start-formalities", D(2023, 3, 10)),
        ("pass-formalities", D(2023, 4, 3)),
        ("request-examination", D(2023, 4, 3)),
        ("publish", D(2024, 9, 2)),
        ("start-substantive-examination", D(2024, 10, 8)),
    ]:
        C.apply_event(s, EX, case, ev, day)
    return case


def test_prioritised_examination_eligibility_and_assignment(store):
    with store.session() as s:
        it = _invention(s, "G06F 16/27")
        tobacco = _invention(s, "A24B 15/18")
        [(track, reasons)] = T.eligible(it)
        assert track == "prioritised"
        assert any("专利优先审查管理办法 第三条第（一）项" in r and "新一代信息技术" in r for r in reasons)
        assert any("第三条第（三）项" in r for r in reasons)  # G06F 16: a fast-moving field too
        assert T.eligible(tobacco) == []
        why = next(a for a in T.assess(tobacco) if a.track == "prioritised")
        assert why.missing == ["none of the grounds of 专利优先审查管理办法 holds"]
        assert T.eligible(tobacco, ["implementation"])[0][0] == "prioritised"
        # the request needs the case in substantive examination
        early = C.open_case(s, EX, "invention", D(2024, 5, 6), ipc_main="H04L 9/32")
        miss = next(a for a in T.assess(early) if a.track == "prioritised")
        assert (
            not miss.eligible and "state 'filed' is not one of substantive-examination, office-action" in miss.missing
        )
        assert "event 'request-examination' has not happened" in miss.missing

        with pytest.raises(C.CaseError, match="does not qualify for prioritised .*none of the grounds"):
            T.assign_track(s, EX, tobacco, "prioritised", date=D(2024, 10, 9))
        with pytest.raises(PermissionDenied):
            T.assign_track(s, Actor("a", Role.APPLICANT, 1), it, "prioritised")
        version = it.row_version
        ev = T.assign_track(s, EX, it, "prioritised", date=D(2024, 10, 9))
        assert it.track == "prioritised" and it.row_version == version + 1
        assert ev.event == "assign-track" and ev.legal_basis == "专利优先审查管理办法（国家知识产权局令第七十六号）"
        assert ev.details["previous"] == "normal" and ev.details["reasons"]
        with pytest.raises(C.CaseError, match="already on track"):
            T.assign_track(s, EX, it, "prioritised", date=D(2024, 10, 9))
        with pytest.raises(C.CaseError, match="only an administrator may force"):
            T.assign_track(s, EX, tobacco, "prioritised", date=D(2024, 10, 9), force=True)
        forced = T.assign_track(s, ADMIN, tobacco, "prioritised", date=D(2024, 10, 9), force=True, note="国务院交办")
        assert forced.details["forced"] is True
        audit = s.scalars(select(t.AuditEntry.action).where(t.AuditEntry.action == "case_track_assign")).all()
        assert len(audit) == 2
        timeline = C.timeline(s, it)
        assert timeline["events"][-1]["label"] == "确定审查通道"
        s.commit()


def test_pre_examination_and_the_trademark_green_channel(store):
    with store.session() as s:
        case = C.open_case(s, EX, "utility", D(2024, 3, 1), ipc_main="B25J 9/16")
        a = next(x for x in T.assess(case) if x.track == "pre-examined")
        assert not a.eligible and any("centre-pre-examined" in m for m in a.missing)
        assert "pre-examined" in dict(T.eligible(case, ["centre-pre-examined"]))
        other = C.open_case(s, EX, "utility", D(2024, 3, 1), ipc_main="A47J 31/44")
        assert "pre-examined" not in dict(T.eligible(other, ["centre-pre-examined"]))
        # the trademark green channel: a declared ground, a word mark, no priority claim
        word = _tm(s, "62000001")
        figurative = _tm(s, "62000002", mark_type="figurative")
        assert T.eligible(word) == []
        [(track, reasons)] = T.eligible(word, ["major-project"])
        assert track == "green-channel" and any("第二条第（一）项" in r for r in reasons)
        miss = next(a for a in T.assess(figurative, ["major-project"]) if a.track == "green-channel")
        assert not miss.eligible and any("mark type figurative" in m for m in miss.missing)
        prio = _tm(s, "62000003", priority=D(2021, 9, 1))
        assert prio.priority_date == D(2021, 9, 1)
        assert T.eligible(prio, ["major-project"]) == []
        s.commit()


def _tm(s, number, mark_type="word", priority=None):
    rec = TrademarkRecord(
        number=number,
        country="CN",
        mark="冰雪盛会",
        mark_type=mark_type,
        filing_date=D(2022, 1, 20),
        priority_date=priority,
        status="pending",
        parties=[PartyRef(name="某赛事组委会", role="applicant")],
        source_format="test",
    )
    upsert_trademarks(s, [(rec, "test")], PartyResolver())
    s.flush()
    return C.open_case_for_trademark(s, EX, s.scalars(select(t.Trademark).where(t.Trademark.number == number)).one())


def test_track_report_counts_cases_on_target(store):
    with store.session() as s:
        fast = _invention(s, "G06F 16/27")
        slow = _invention(s, "H04L 9/32")
        waiting = _invention(s, "G06N 3/08")
        for case in (fast, slow, waiting):
            T.assign_track(s, EX, case, "prioritised", date=D(2024, 10, 9))
        C.apply_event(s, EX, fast, "office-action", D(2024, 11, 15))  # 37 days: on target (45)
        C.apply_event(s, EX, fast, "respond", D(2024, 12, 2))
        C.apply_event(s, EX, fast, "grant-notice", D(2025, 1, 6))
        C.apply_event(s, EX, fast, "register-grant", D(2025, 2, 3))  # closed in 117 days: on target (365)
        C.apply_event(s, EX, slow, "office-action", D(2025, 1, 20))  # 103 days: late
        normal = _invention(s, "A24B 15/18")
        C.apply_event(s, EX, normal, "office-action", D(2025, 3, 3))
        s.commit()
        report = T.track_report(s, D(2025, 6, 30), right="invention")
        rows = {(r["track"], r["right"]): r for r in report["results"]}
        pr = rows[("prioritised", "invention")]
        assert (pr["cases"], pr["open"]) == (3, 2)
        first, close = pr["targets"]
        assert (first["measured"], first["on_target"], first["share_on_target"]) == (2, 1, 0.5)
        assert (first["pending"], first["pending_late"]) == (1, 1)  # `waiting` is past its 45 days
        assert first["mean_days"] == 70.0
        assert (close["measured"], close["on_target"], close["pending"], close["pending_late"]) == (1, 1, 2, 0)
        norm = rows[("normal", "invention")]
        assert norm["cases"] == 1 and norm["targets"][0]["from"] == "start-substantive-examination"
        assert norm["targets"][0]["pending"] == 1
