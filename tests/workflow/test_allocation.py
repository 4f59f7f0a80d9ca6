"""Allocation: field routing, the conflict rule, language/skills/capacity, policies, overrides, import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, PermissionDenied, Role
from ipoffice.workflow.allocation import (
    AllocationRefused,
    allocate,
    import_examiners,
    load_divisions,
    override,
    read_examiner_file,
)

SUPERVISOR = Actor("supervisor-1", Role.ADMINISTRATOR)
EXAMINER = Actor("E1", Role.EXAMINER)
NOW = dt.datetime(2026, 3, 4, 10, 0)  # a Wednesday


def party(s, name: str) -> t.Party:
    p = t.Party(party_key=f"o|{name.lower()}", norm_name=name.lower(), name=name)
    s.add(p)
    s.flush()
    return p


def examiner(s, code: str, prefixes: list[str], division: str = "electrical", **kw) -> t.Examiner:
    e = t.Examiner(
        code=code,
        name=code,
        division=division,
        rights=kw.pop("rights", ["invention"]),
        ipc_prefixes=prefixes,
        languages=kw.pop("languages", ["zh"]),
        skills=kw.pop("skills", []),
        capacity_per_week=kw.pop("capacity", 10),
        **kw,
    )
    s.add(e)
    s.flush()
    return e


def case(s, no: str, ipc: str | None = "G06F 17/30", right: str = "invention", **kw) -> t.Case:
    c = t.Case(
        case_no=no,
        right=right,
        procedure=kw.pop("procedure", f"{right}-examination"),
        procedure_version="2024",
        state="awaiting-examination",
        filing_date=kw.pop("filing_date", dt.date(2025, 1, 10)),
        ipc_main=ipc,
        ipc_source=kw.pop("ipc_source", "office" if ipc else None),
        **kw,
    )
    s.add(c)
    s.flush()
    return c


def test_longest_prefix_wins_and_is_written_with_reason_and_audit(store):
    with store.session() as s:
        broad = examiner(s, "E-broad", ["G06F"])
        narrow = examiner(s, "E-narrow", ["G06F 17"])
        comm = examiner(s, "E-comm", ["H04L"], division="communications")
        c1 = case(s, "CN1", "G06F 17/30")
        c2 = case(s, "CN2", "H04L 9/32")
        c3 = case(s, "CN3", "G06F 3/01")
        s.commit()
        rep = allocate(s, SUPERVISOR, now=NOW)
        assert rep.exit_code() == 0 and len(rep.assigned) == 3
        got = {c.case_no: (c.examiner_id, c.division) for c in s.scalars(select(t.Case))}
        assert got["CN1"] == (narrow.id, "electrical")
        assert got["CN2"] == (comm.id, "communications")
        assert got["CN3"] == (broad.id, "electrical")
        a = s.scalar(select(t.CaseAssignment).where(t.CaseAssignment.case_id == c1.id))
        assert a.policy == "field-balanced" and "G06F 17" in a.reason and a.by == "supervisor-1"
        audited = select(func.count()).select_from(t.AuditEntry).where(t.AuditEntry.action == "case_allocate")
        assert s.scalar(audited) == 3
        assert {r["routed_division"] for r in rep.assigned} == {"electrical", "communications"}
        assert c2.row_version == 2 and c3.examiner_id == broad.id  # ORM copies were refreshed


def test_conflict_is_a_hard_rule_for_applicant_and_agency(store):
    with store.session() as s:
        applicant, agency = party(s, "ACME"), party(s, "Good Agency")
        best = examiner(s, "E-best", ["G06F 17/30"])
        other = examiner(s, "E-other", ["G06F"])
        s.add(t.ExaminerConflict(examiner_id=best.id, party_id=applicant.id, reason="former employer"))
        s.add(t.ExaminerConflict(examiner_id=other.id, party_id=agency.id, reason="sibling works there"))
        case(s, "CN-a", applicant_party_id=applicant.id)  # best conflicted -> other
        case(s, "CN-b", agency_party_id=agency.id)  # other conflicted -> best
        case(s, "CN-c", applicant_party_id=applicant.id, agency_party_id=agency.id)  # both conflicted
        s.commit()
        rep = allocate(s, SUPERVISOR, now=NOW)
        by_case = {r["case_no"]: r["examiner"] for r in rep.assigned}
        assert by_case == {"CN-a": "E-other", "CN-b": "E-best"}
        assert [u["case_no"] for u in rep.unassigned] == ["CN-c"]
        assert "conflict" in rep.unassigned[0]["reason"] and rep.unassigned[0]["rule"] == "conflict"
        assert rep.exit_code() == 1
        assert s.scalar(select(t.Case.examiner_id).where(t.Case.case_no == "CN-c")) is None


def test_suggested_ipc_language_skills_and_missing_ipc(store):
    with store.session() as s:
        examiner(s, "E-zh", ["G06F"])
        examiner(s, "E-en", ["G06F"], languages=["zh", "en"], capacity=1)
        examiner(s, "E-green", ["G06F"], skills=["green-channel"])
        case(s, "CN-sugg", "G06F 40/20", ipc_source="suggested")
        case(s, "CN-en", "G06F 40/20", language="en")
        case(s, "CN-de", "G06F 40/20", language="de")
        case(s, "CN-green", "G06F 40/20", track="green-channel")
        case(s, "CN-none", None)
        case(s, "CN-pct", "G06F 40/20", procedure="pct-national-phase")
        s.commit()
        rep = allocate(s, SUPERVISOR, now=NOW)
        by_case = {r["case_no"]: r for r in rep.assigned}
        why = {u["case_no"]: u["reason"] for u in rep.unassigned}
        assert "suggested IPC" in by_case["CN-sugg"]["reason"]
        assert by_case["CN-en"]["examiner"] == "E-en"
        assert by_case["CN-green"]["examiner"] == "E-green"
        assert "language 'de'" in why["CN-de"]
        assert "classify" in why["CN-none"]
        assert "skill(s) pct" in why["CN-pct"]
        # green-channel comes first in the queue (fast tracks before older normal cases)
        assert rep.assigned[0]["case_no"] == "CN-green"


def test_weekly_capacity_balances_and_leaves_the_rest_for_next_week(store):
    with store.session() as s:
        a = examiner(s, "E-a", ["G06F"], capacity=3)
        b = examiner(s, "E-b", ["G06F"], capacity=3)
        old = case(s, "CN-old", "G06F 1/00")
        s.add(t.CaseAssignment(case_id=old.id, examiner_id=a.id, at=NOW - dt.timedelta(days=1), by="x", policy="x"))
        old.examiner_id = a.id
        for i in range(8):
            case(s, f"CN-{i}", "G06F 1/00", filing_date=dt.date(2025, 1, 1) + dt.timedelta(days=i))
        s.commit()
        rep = allocate(s, SUPERVISOR, now=NOW)
        counts = {}
        for r in rep.assigned:
            counts[r["examiner"]] = counts.get(r["examiner"], 0) + 1
        assert counts == {"E-a": 2, "E-b": 3}  # E-a already took one this week
        assert len(rep.unassigned) == 3 and all("weekly capacity" in u["reason"] for u in rep.unassigned)
        assert {u["rule"] for u in rep.unassigned} == {"capacity"}
        assert [u["case_no"] for u in rep.unassigned] == ["CN-5", "CN-6", "CN-7"]  # the newest wait
        # next week the rest goes out
        rep2 = allocate(s, SUPERVISOR, now=NOW + dt.timedelta(days=7))
        assert len(rep2.assigned) == 3 and not rep2.unassigned
        assert b.id in {r["examiner_id"] for r in rep2.assigned}


def test_policies_round_robin_and_least_loaded(store):
    with store.session() as s:
        e1 = examiner(s, "E1", ["G06F 17"])
        e2 = examiner(s, "E2", ["G06F"])
        e3 = examiner(s, "E3", ["G06F"], capacity=20)
        for i in range(6):
            case(s, f"RR-{i}", "G06F 17/30")
        s.commit()
        rep = allocate(s, SUPERVISOR, policy="round-robin", dry_run=True, now=NOW)
        assert [r["examiner_id"] for r in rep.assigned] == [e1.id, e2.id, e3.id] * 2
        rep = allocate(s, SUPERVISOR, policy="field-balanced", dry_run=True, now=NOW)
        assert {r["examiner_id"] for r in rep.assigned} == {e1.id}  # best field match while it has capacity
        rep = allocate(s, SUPERVISOR, policy="least-loaded", dry_run=True, now=NOW)
        # relative load: E3 (capacity 20) takes more than E1/E2 (capacity 10)
        n3 = sum(r["examiner_id"] == e3.id for r in rep.assigned)
        assert n3 >= 2
        with pytest.raises(ValueError, match="unknown allocation policy"):
            allocate(s, SUPERVISOR, policy="lottery")


def test_dry_run_writes_nothing_and_permissions(store):
    with store.session() as s:
        examiner(s, "E1", ["G06F"])
        case(s, "CN1")
        s.commit()
        rep = allocate(s, SUPERVISOR, dry_run=True, now=NOW)
        assert len(rep.assigned) == 1
        assert s.scalar(select(func.count()).select_from(t.CaseAssignment)) == 0
        assert s.scalar(select(t.Case.examiner_id)) is None
        with pytest.raises(PermissionDenied):
            allocate(s, EXAMINER)


def test_designs_and_trademarks_go_by_right_and_division(store):
    with store.session() as s:
        examiner(s, "D1", [], division="design", rights=["design"])
        examiner(s, "T-other", [], division="elsewhere", rights=["trademark"])
        examiner(s, "T1", [], division="商标审查部门", rights=["trademark"])
        case(s, "D-1", None, right="design")
        case(s, "T-1", None, right="trademark")
        case(s, "U-1", "F16B 1/00", right="utility")
        s.commit()
        rep = allocate(s, SUPERVISOR, now=NOW)
        by_case = {r["case_no"]: r["examiner"] for r in rep.assigned}
        assert by_case == {"D-1": "D1", "T-1": "T1"}  # the trademark division's own examiner first
        assert "utility" in rep.unassigned[0]["reason"] or "F16B" in rep.unassigned[0]["reason"]


def test_closed_and_assigned_cases_are_left_alone(store):
    with store.session() as s:
        e = examiner(s, "E1", ["G06F"])
        case(s, "CN-closed", is_open=False)
        case(s, "CN-taken", examiner_id=e.id)
        s.commit()
        rep = allocate(s, SUPERVISOR, now=NOW)
        assert rep.considered == 0 and rep.exit_code() == 0


def test_override_refuses_conflict_and_missing_field(store):
    with store.session() as s:
        p = party(s, "ACME")
        e_conf = examiner(s, "E-conf", ["G06F"])
        s.add(t.ExaminerConflict(examiner_id=e_conf.id, party_id=p.id))
        e_mech = examiner(s, "E-mech", ["F16"], division="mechanical")
        e_ok = examiner(s, "E-ok", ["G06F"], languages=["zh"])
        c = case(s, "CN1", applicant_party_id=p.id, language="en")
        s.commit()
        with pytest.raises(AllocationRefused, match="conflict"):
            override(s, SUPERVISOR, c, e_conf, "workload")
        with pytest.raises(AllocationRefused, match="lacks the field"):
            override(s, SUPERVISOR, c, e_mech, "workload")
        with pytest.raises(AllocationRefused, match="reason"):
            override(s, SUPERVISOR, c, e_ok, " ")
        with pytest.raises(PermissionDenied):
            override(s, EXAMINER, c, e_ok, "I want it")
        a = override(s, SUPERVISOR, c, e_ok, "expert in the subject")
        assert a.override and a.policy == "override" and "language en" in a.reason
        assert c.examiner_id == e_ok.id and c.division == "electrical"
        entry = s.scalar(select(t.AuditEntry).where(t.AuditEntry.action == "case_reassign"))
        assert entry.entity_ref == "CN1" and entry.details["examiner"] == "E-ok"


def test_division_map_is_validated(tmp_path: Path):
    good = load_divisions()
    assert good.division_for("invention", "A61K 31/00") == "medicine-biology"
    assert good.division_for("invention", "A61B 5/00") == "medicine-biology"
    assert good.division_for("invention", "A47J 31/00") == "mechanical"
    assert good.division_for("invention", "C12N 15/10") == "medicine-biology"
    assert good.division_for("invention", "C22C 38/00") == "materials"
    assert good.division_for("utility", "G06F 1/00") == "utility-model"
    bad = tmp_path / "d.yaml"
    bad.write_text("divisions:\n  - id: x\n    ipc: [A, B, C, D, E, F, G, H, 'Q99']\n")
    with pytest.raises(ValueError, match=r"division 'x'.*'Q99'"):
        load_divisions(bad)
    bad.write_text("divisions:\n  - id: x\n    ipc: [A, B]\n")
    with pytest.raises(ValueError, match="section"):
        load_divisions(bad)
    bad.write_text(
        "divisions:\n  - id: x\n    ipc: [A, B, C, D, E, F, G, H]\n"
        "  - id: y\n    ipc: [G06]\n  - id: z\n    ipc: [G06]\n"
    )
    with pytest.raises(ValueError, match="division 'z'.*already routed"):
        load_divisions(bad)


def test_import_examiners_yaml_and_csv(store, tmp_path: Path):
    y = tmp_path / "ex.yaml"
    y.write_text(
        """
examiners:
  - code: E100
    name: 张三
    division: electrical
    rights: [invention]
    ipc_prefixes: [G06F, "H04L 9"]
    languages: [zh, en]
    capacity_per_week: 12
    conflicts:
      - {party: "ACME Co., Ltd.", reason: former employer}
  - code: E101
    division: electrical
    rights: [invention]
    ipc_prefixes: [NOT-IPC]
"""
    )
    c = tmp_path / "ex.csv"
    c.write_text(
        "code,name,division,rights,ipc_prefixes,languages,skills,capacity_per_week,conflicts\n"
        "E200,李四,mechanical,invention;utility,F16|B60,zh,green-channel,8,ACME Co. Ltd\n"
        "E100,张三,electrical,invention,G06F,zh;en,,15,\n"
    )
    with store.session() as s:
        rep = import_examiners(s, SUPERVISOR, read_examiner_file(y))
        assert (rep.loaded, rep.rejected, rep.conflicts) == (1, 1, 1)
        assert "entry 2 (E101)" in rep.errors[0] and "NOT-IPC" in rep.errors[0]
        rep = import_examiners(s, SUPERVISOR, read_examiner_file(c))
        assert (rep.loaded, rep.updated, rep.rejected) == (1, 1, 0)
        e100 = s.scalar(select(t.Examiner).where(t.Examiner.code == "E100"))
        assert e100.capacity_per_week == 15 and e100.languages == ["zh", "en"]
        e200 = s.scalar(select(t.Examiner).where(t.Examiner.code == "E200"))
        assert e200.rights == ["invention", "utility"] and e200.ipc_prefixes == ["F16", "B60"]
        # "ACME Co., Ltd." and "ACME Co. Ltd" are one party: both conflicts point at it
        parties = set(s.scalars(select(t.ExaminerConflict.party_id)))
        assert len(parties) == 1
        with pytest.raises(PermissionDenied):
            import_examiners(s, EXAMINER, [])


def test_a_case_changed_meanwhile_is_left_alone(store, monkeypatch):
    from sqlalchemy import update

    from ipoffice.workflow import allocation

    with store.session() as s:
        examiner(s, "E1", ["G06F"])
        case(s, "CN1")
        case(s, "CN2")
        s.commit()
        original = allocation.new_cases

        def racing(session, limit=None):
            rows = original(session, limit)
            # someone else moves CN2 on after we read it (its row_version goes up)
            cases = t.Case.__table__  # Core: the ORM copy we read keeps its old row_version
            session.execute(update(cases).where(cases.c.case_no == "CN2").values(row_version=cases.c.row_version + 1))
            return rows

        monkeypatch.setattr(allocation, "new_cases", racing)
        rep = allocate(s, SUPERVISOR, now=NOW)
        assert [r["case_no"] for r in rep.assigned] == ["CN1"] and rep.changed_meanwhile == ["CN2"]
        assert s.scalar(select(t.Case.examiner_id).where(t.Case.case_no == "CN2")) is None
        assert s.scalar(select(func.count()).select_from(t.CaseAssignment)) == 1
