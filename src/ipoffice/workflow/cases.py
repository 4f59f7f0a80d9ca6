"""The case engine: open a case, move it through its procedure, keep its time limits.

Why one function per step and one transaction per step: an event is a legal act. Its
record (CaseEvent), the case's new state, the time limits it starts (CaseDeadline, from
`workflow.deadlines.calc`), the ones it meets, its notice and its audit entry either all
exist or none does; `apply_event` runs them inside one SAVEPOINT, so a failure anywhere
leaves the case exactly as it was (the caller commits). Every change bumps the case's
`row_version`, and the UPDATE that does so is conditional on the version the caller saw,
so two clerks acting on the same case at once cannot both succeed (optimistic locking).

Missed time limits are not acted on automatically: `sweep_overdue` proposes the legal
consequence (e.g. deemed withdrawal, with its legal basis) as a ProposedAction, and staff
confirm or reject it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from ipoffice.core import audit
from ipoffice.core import tables as t
from ipoffice.core.roles import SYSTEM, Actor, check
from ipoffice.workflow import permissions as _permissions  # noqa: F401 - registers the case_* checks
from ipoffice.workflow.procedures import (
    RETURN,
    RETURN_FROM,
    SAME,
    Condition,
    NoProcedure,
    Procedures,
    ProcedureVersion,
    Transition,
    default_procedures,
)

RUNNING = ("open", "extended")  # deadline statuses that still run
RIGHT_TYPE_DIGIT = {"invention": "1", "utility": "2", "design": "3"}
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


class CaseError(ValueError):
    """A step that cannot be done as asked (bad date, unknown case...): nothing was changed."""


class CaseNotFound(CaseError, LookupError):
    pass


class IllegalTransition(CaseError):
    """The event is not allowed in the case's state (or its condition does not hold)."""

    def __init__(self, case_no: str, state: str, event: str, allowed: list[str], reason: str = "") -> None:
        self.case_no, self.state, self.event, self.allowed, self.reason = case_no, state, event, allowed, reason
        msg = f"case {case_no}: event {event!r} is not allowed in state {state!r}"
        if reason:
            msg += f": {reason}"
        msg += f"; allowed events: {', '.join(allowed) if allowed else 'none (final state)'}"
        super().__init__(msg)

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": str(self),
            "case": self.case_no,
            "state": self.state,
            "event": self.event,
            "allowed": self.allowed,
            "reason": self.reason or None,
        }


class ConditionNotMet(IllegalTransition):
    pass


class StaleCase(CaseError):
    """Someone changed the case since the caller read it (row_version moved on)."""


# ---------------------------------------------------------------- hooks (tests replace them)


def _procedures() -> Procedures:
    return default_procedures()


def _calculator() -> Callable[..., list[Any]] | None:
    """`workflow.deadlines.calc`, imported lazily (None while that module is not installed)."""
    try:
        from ipoffice.workflow import deadlines
    except ModuleNotFoundError as exc:
        if exc.name == "ipoffice.workflow.deadlines":
            return None
        raise
    return deadlines.calc


def _today() -> dt.date:
    return dt.date.today()


# ---------------------------------------------------------------- lookups


def procedure_of(case: t.Case) -> ProcedureVersion:
    return _procedures().get(case.procedure, case.procedure_version)


def get_case(session: Session, case_no: str) -> t.Case:
    case = session.scalar(select(t.Case).where(t.Case.case_no == case_no))
    if case is None:
        raise CaseNotFound(f"no case {case_no!r}")
    return case


def history(session: Session, case: t.Case) -> list[t.CaseEvent]:
    return list(
        session.scalars(
            select(t.CaseEvent).where(t.CaseEvent.case_id == case.id).order_by(t.CaseEvent.date, t.CaseEvent.id)
        )
    )


def case_deadlines(session: Session, case: t.Case) -> list[t.CaseDeadline]:
    return list(
        session.scalars(
            select(t.CaseDeadline)
            .where(t.CaseDeadline.case_id == case.id)
            .order_by(t.CaseDeadline.deadline, t.CaseDeadline.id)
        )
    )


def due_date(dl: t.CaseDeadline) -> dt.date:
    return dl.extended_to or dl.deadline


def zh_basis(text: str | None) -> str:
    """The Chinese citation of a bilingual legal basis ("专利法(2020) 第三十七条 / Patent Law (2020) Art. 37")."""
    return (text or "").split(" / ", 1)[0].strip()


# ---------------------------------------------------------------- case numbers


def check_digit(twelve: str) -> str:
    """CNIPA application-number check digit (weights 2..9,2..5, mod 11; 10 is 'X')."""
    r = sum(int(d) * w for d, w in zip(twelve, _WEIGHTS, strict=True)) % 11
    return "X" if r == 10 else str(r)


def next_case_no(session: Session, right: str, filing_date: dt.date) -> str:
    """A new application number: YYYY + type digit + 7-digit serial + '.' + check digit for
    patents (CNIPA's form since 2003), TM + YYYY + 7-digit serial for trademarks."""
    if right == "trademark":
        base = f"TM{filing_date.year}"
    else:
        base = f"{filing_date.year}{RIGHT_TYPE_DIGIT[right]}"
    n = (session.scalar(select(func.count(t.Case.id)).where(t.Case.case_no.like(f"{base}%"))) or 0) + 1
    while True:
        if right == "trademark":
            no = f"{base}{n:07d}"
        else:
            num = f"{base}{n:07d}"
            no = f"{num}.{check_digit(num)}"
        if session.scalar(select(t.Case.id).where(t.Case.case_no == no)) is None:
            return no
        n += 1


# ---------------------------------------------------------------- opening a case


def open_case(
    session: Session,
    actor: Actor,
    right: str,
    filing_date: dt.date,
    *,
    document_id: int | None = None,
    trademark_id: int | None = None,
    applicant_party_id: int | None = None,
    agency_party_id: int | None = None,
    title: str | None = None,
    ipc_main: str | None = None,
    ipc_source: str | None = None,
    language: str = "zh",
    priority_date: dt.date | None = None,
    track: str = "normal",
    case_no: str | None = None,
    today: dt.date | None = None,
) -> t.Case:
    """Open a case under the procedure version in force on its filing date, record its filing
    (the procedure's opening event) and the time limits the filing starts. The caller commits."""
    check("case_open", actor)
    today = today or _today()
    try:
        version = _procedures().for_case(right, filing_date)
    except NoProcedure as exc:
        raise CaseError(str(exc)) from None
    if filing_date > today:
        raise CaseError(f"filing date {filing_date} is in the future (today {today})")
    if priority_date and priority_date > filing_date:
        raise CaseError(f"priority date {priority_date} is after the filing date {filing_date}")
    if track != "normal":
        from ipoffice.workflow.tracks import load_tracks

        if track not in load_tracks():
            raise CaseError(f"unknown track {track!r}")
    if document_id is not None:
        other = session.scalar(select(t.Case.case_no).where(t.Case.document_id == document_id))
        if other:
            raise CaseError(f"document {document_id} already has case {other}")
    if trademark_id is not None:
        other = session.scalar(select(t.Case.case_no).where(t.Case.trademark_id == trademark_id))
        if other:
            raise CaseError(f"trademark {trademark_id} already has case {other}")
    if case_no and session.scalar(select(t.Case.id).where(t.Case.case_no == case_no)) is not None:
        raise CaseError(f"case {case_no} already exists")
    opening = version.opening
    with session.begin_nested():
        case = t.Case(
            case_no=case_no or next_case_no(session, right, filing_date),
            right=right,
            procedure=version.procedure,
            procedure_version=version.version,
            state=opening.to,
            track=track,
            document_id=document_id,
            trademark_id=trademark_id,
            applicant_party_id=applicant_party_id,
            agency_party_id=agency_party_id,
            title=title,
            language=language or "zh",
            ipc_main=ipc_main,
            ipc_source=ipc_source or ("office" if ipc_main else None),
            filing_date=filing_date,
            priority_date=priority_date,
            is_open=version.states[opening.to].open,
            row_version=1,
        )
        session.add(case)
        session.flush()
        ev = t.CaseEvent(
            case_id=case.id,
            event=opening.event,
            from_state=None,
            to_state=opening.to,
            date=filing_date,
            actor=actor.name,
            legal_basis=opening.basis_text,
            details={},
        )
        session.add(ev)
        session.flush()
        started = _start_deadlines(session, case, opening.starts, filing_date, {}, today)
        ev.details = {
            "role": str(actor.role),
            "procedure": version.key,
            "track": track,
            **_deadline_notes(started),
        }
        audit.record(
            session,
            actor,
            "case_open",
            "case",
            case.case_no,
            right=right,
            procedure=version.key,
            filing_date=filing_date.isoformat(),
            document_id=document_id,
            trademark_id=trademark_id,
        )
        session.flush()
    return case


def open_case_for_document(
    session: Session, actor: Actor, doc: t.PatentDocument, *, track: str = "normal", today: dt.date | None = None
) -> t.Case:
    """A case for an imported patent document: right, dates, parties and IPC come from the record.

    The main IPC is the office's (main symbol first); only a document without office IPC gets
    a suggested one, marked `ipc_source="suggested"`. The document's classes are never changed.
    """
    if doc.doc_type not in RIGHT_TYPE_DIGIT:
        raise CaseError(f"document {doc.number}: doc_type {doc.doc_type!r} has no procedure here")
    if doc.application_date is None:
        raise CaseError(f"document {doc.number}: no application (filing) date")
    ipc_main, ipc_source = _document_ipc(doc)
    links = sorted(doc.party_links, key=lambda p: (p.sequence, p.id))
    applicant = next((p.party_id for p in links if p.role in ("applicant", "assignee", "owner")), None)
    agency = next((p.party_id for p in links if p.role == "agency"), None)
    priorities = [p.get("date") for p in (doc.data or {}).get("priorities", []) if p.get("date")]
    priority = min(dt.date.fromisoformat(str(d)[:10]) for d in priorities) if priorities else None
    case_no = None
    if (
        doc.application_number
        and session.scalar(select(t.Case.id).where(t.Case.case_no == doc.application_number)) is None
    ):
        case_no = doc.application_number
    return open_case(
        session,
        actor,
        doc.doc_type,
        doc.application_date,
        document_id=doc.id,
        applicant_party_id=applicant,
        agency_party_id=agency,
        title=doc.title,
        ipc_main=ipc_main,
        ipc_source=ipc_source,
        language=doc.language or "zh",
        priority_date=priority,
        track=track,
        case_no=case_no,
        today=today,
    )


def _document_ipc(doc: t.PatentDocument) -> tuple[str | None, str | None]:
    ipc = [c for c in doc.classifications if c.scheme == "ipc"]
    for source in ("office", "suggested"):
        mine = [c for c in ipc if (c.source or "office") == source]
        if mine:
            main = next((c for c in mine if c.main), mine[0])
            return main.symbol, source
    return None, None


def open_case_for_trademark(
    session: Session, actor: Actor, tm: t.Trademark, *, track: str = "normal", today: dt.date | None = None
) -> t.Case:
    if tm.filing_date is None:
        raise CaseError(f"trademark {tm.number}: no filing date")
    owner = next((p.party_id for p in tm.party_links if p.role in ("applicant", "owner")), None)
    agent = next((p.party_id for p in tm.party_links if p.role in ("agent", "representative", "agency")), None)
    exists_ = session.scalar(select(t.Case.id).where(t.Case.case_no == tm.number)) is not None
    prio = (tm.data or {}).get("priority_date")
    return open_case(
        session,
        actor,
        "trademark",
        tm.filing_date,
        trademark_id=tm.id,
        applicant_party_id=owner,
        agency_party_id=agent,
        title=tm.mark,
        priority_date=dt.date.fromisoformat(prio) if prio else None,
        track=track,
        case_no=None if exists_ else tm.number,
        today=today,
    )


# ---------------------------------------------------------------- applying events


def apply_event(
    session: Session,
    actor: Actor,
    case: t.Case,
    event: str,
    date: dt.date,
    details: dict[str, Any] | None = None,
    *,
    expected_version: int | None = None,
    basis: str | None = None,
    today: dt.date | None = None,
) -> t.CaseEvent:
    """Apply one event of the case's procedure, all or nothing (see the module docstring).

    Refused, with nothing changed: an event the state does not allow (IllegalTransition naming
    the allowed ones), a condition that does not hold (ConditionNotMet, with its legal basis),
    an actor the procedure does not allow (PermissionDenied), a date before the filing date,
    before the last event or in the future (CaseError), a stale `expected_version` (StaleCase).
    `basis` overrides the legal basis recorded (e.g. the article of the missed time limit).
    """
    today = today or _today()
    details = _jsonable(dict(details or {}))
    version = procedure_of(case)
    tr = version.transition(event, case.state)
    if tr is None:
        reason = "" if event in version.events() else f"the {version.key} procedure has no event {event!r}"
        raise IllegalTransition(case.case_no, case.state, event, version.allowed_events(case.state), reason)
    check("case_transition", actor, (case, tr))
    past = history(session, case)
    _check_date(case, event, date, today, past)
    deadlines = case_deadlines(session, case)
    _check_conditions(case, version, tr, date, past, deadlines)
    if expected_version is not None and expected_version != case.row_version:
        raise StaleCase(
            f"case {case.case_no} changed since it was read (version {expected_version}, now {case.row_version})"
        )
    to_state = _resolve_target(case, version, tr, past)
    with session.begin_nested():
        _bump_version(session, case)
        ev = t.CaseEvent(
            case_id=case.id,
            event=event,
            from_state=case.state,
            to_state=to_state,
            date=date,
            actor=actor.name,
            legal_basis=basis or tr.basis_text,
            details=details,
        )
        session.add(ev)
        session.flush()
        met = _settle(
            deadlines, date, lambda d: d.kind in tr.satisfies or d.trigger_event in tr.satisfies_started_by, "met"
        )
        closing = version.states[to_state].terminal
        idle = not version.states[to_state].open  # the office's own limits stop when the case leaves its work
        cancelled = _settle(
            deadlines,
            date,
            lambda d: closing or (idle and d.party == "office") or "*" in tr.cancels or d.kind in tr.cancels,
            "cancelled",
        )
        repeat = tr.starts_repeat is not None and any(e.event == tr.event for e in past)
        started = _start_deadlines(
            session, case, tr.starts_repeat if repeat else tr.starts, date, details, today, deadlines
        )
        from_state = case.state
        case.state = to_state
        case.is_open = version.states[to_state].open
        case.updated_at = t.utcnow()
        if tr.first_action and case.first_action_date is None:
            case.first_action_date = date
        if tr.reopen:
            case.final_decision_date = None
            case.outcome = None
        if tr.final_decision:
            case.final_decision_date = date
        if tr.outcome:
            case.outcome = tr.outcome
        notes: dict[str, Any] = {"role": str(actor.role), **_deadline_notes(started)}
        if met:
            notes["deadlines_met"] = [d.id for d in met]
        if cancelled:
            notes["deadlines_closed"] = [d.id for d in cancelled]
        if tr.notice:
            from ipoffice.workflow.notices import render_notice

            notes["notice"] = render_notice(session, case, ev, tr.notice, started).to_dict()
        ev.details = {**details, **notes}
        audit.record(
            session,
            actor,
            "case_transition",
            "case",
            case.case_no,
            event=event,
            from_state=from_state,
            to_state=to_state,
            date=date.isoformat(),
            case_event_id=ev.id,
            procedure=version.key,
            row_version=case.row_version,
        )
        session.flush()
    return ev


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


def _check_date(case: t.Case, event: str, date: dt.date, today: dt.date, past: list[t.CaseEvent]) -> None:
    if date > today:
        raise CaseError(f"case {case.case_no}: event {event!r} dated {date} is in the future (today {today})")
    if date < case.filing_date:
        raise CaseError(
            f"case {case.case_no}: event {event!r} dated {date} is before the filing date {case.filing_date}"
        )
    if past and date < past[-1].date:
        raise CaseError(
            f"case {case.case_no}: event {event!r} dated {date} is before the last event "
            f"({past[-1].event} on {past[-1].date})"
        )


def _check_conditions(
    case: t.Case,
    version: ProcedureVersion,
    tr: Transition,
    date: dt.date,
    past: list[t.CaseEvent],
    deadlines: list[t.CaseDeadline],
) -> None:
    failed = unmet_condition(tr, date, past, deadlines)
    if failed is not None:
        raise ConditionNotMet(
            case.case_no,
            case.state,
            tr.event,
            version.allowed_events(case.state),
            f"{failed.text} ({tr.basis_text})",
        )


def unmet_condition(
    tr: Transition, date: dt.date, past: list[t.CaseEvent], deadlines: list[t.CaseDeadline]
) -> Condition | None:
    """The first of the transition's conditions that does not hold on `date`, or None."""
    seen = {e.event for e in past}
    for c in tr.conditions:
        if c.occurred and c.occurred not in seen:
            return c
        if c.not_occurred and c.not_occurred in seen:
            return c
        if c.after_deadline or c.after_deadlines_started_by:
            running = [
                d
                for d in deadlines
                if d.status in (*RUNNING, "lapsed")
                and (
                    d.kind == c.after_deadline if c.after_deadline else d.trigger_event == c.after_deadlines_started_by
                )
            ]
            if any(due_date(d) >= date for d in running):
                return c
    return None


def _resolve_target(case: t.Case, version: ProcedureVersion, tr: Transition, past: list[t.CaseEvent]) -> str:
    if tr.to == SAME:
        return case.state
    if tr.to == RETURN or tr.to.startswith(RETURN_FROM):
        target = case.state if tr.to == RETURN else tr.to[len(RETURN_FROM) :]
        for e in reversed(past):
            if e.to_state == target and e.from_state and e.from_state != target:
                return e.from_state
        raise IllegalTransition(
            case.case_no,
            case.state,
            tr.event,
            version.allowed_events(case.state),
            f"the case's history does not show the state before {target!r}",
        )
    return tr.to


def _bump_version(session: Session, case: t.Case) -> None:
    seen = case.row_version
    res = session.execute(
        update(t.Case)
        .where(t.Case.id == case.id, t.Case.row_version == seen)
        .values(row_version=seen + 1)
        .execution_options(synchronize_session=False)
    )
    if res.rowcount != 1:
        raise StaleCase(f"case {case.case_no} was changed by someone else (version {seen} is stale); reload and retry")
    case.row_version = seen + 1


def _settle(
    deadlines: Iterable[t.CaseDeadline], date: dt.date, which: Callable[[t.CaseDeadline], bool], status: str
) -> list[t.CaseDeadline]:
    """Mark running time limits met / no longer running; one that already ran out is 'lapsed'."""
    out = []
    for d in deadlines:
        if d.status in RUNNING and which(d):
            d.status = "lapsed" if status == "cancelled" and due_date(d) < date else status
            out.append(d)
    return out


def _start_deadlines(
    session: Session,
    case: t.Case,
    starts: list[str],
    date: dt.date,
    details: dict[str, Any],
    today: dt.date,
    known: list[t.CaseDeadline] | None = None,
) -> list[t.CaseDeadline] | None:
    """Create the time limits the events `starts` start (None: no calculator installed, nothing computed).

    `details` may carry `service` (mail | electronic: how the notification was served) and
    `expiry_date` (the end of the missed time limit a notice of loss of rights refers to)."""
    if not starts:
        return []
    calc = _calculator()
    if calc is None:
        return None
    if known is None:
        known = case_deadlines(session, case)
    existing = {(d.kind, d.trigger_event, d.trigger_date, d.rule_id) for d in known if d.status in RUNNING}
    expiry = details.get("expiry_date")
    expiry = dt.date.fromisoformat(expiry) if isinstance(expiry, str) else expiry
    rows = []
    for trigger in starts:
        try:
            limits = calc(
                trigger,
                date,
                case.right,
                service=str(details.get("service") or "electronic"),
                priority_date=case.priority_date,
                # only a notice of loss of rights refers to a missed limit (restoration's 2-year outer limit)
                expiry_date=expiry if trigger == "rights-loss-notice" else None,
                today=today,
            )
        except ValueError as exc:
            raise CaseError(f"case {case.case_no}: time limits of {trigger!r} on {date}: {exc}") from exc
        for tl in limits:
            key = (tl.kind, tl.trigger_event or trigger, tl.trigger_date or date, getattr(tl, "rule_id", None))
            if key in existing:
                continue
            existing.add(key)
            row = t.CaseDeadline(
                case_id=case.id,
                kind=tl.kind,
                party=(tl.party or "applicant")[:12],
                trigger_event=tl.trigger_event or trigger,
                trigger_date=tl.trigger_date or date,
                deadline=tl.deadline,
                legal_basis=tl.legal_basis,
                consequence=tl.consequence,
                status="open",
                rule_id=getattr(tl, "rule_id", None),
            )
            session.add(row)
            rows.append(row)
    if rows:
        session.flush()  # ids for the event's details
    return rows


def _deadline_notes(started: list[t.CaseDeadline] | None) -> dict[str, Any]:
    if started is None:
        return {"deadlines_not_computed": "the deadline calculator (workflow.deadlines) is not installed"}
    return {"deadlines_started": [d.id for d in started]} if started else {}


# ---------------------------------------------------------------- overdue sweep and proposals


@dataclass
class SweepReport:
    today: dt.date
    proposed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)  # consequence not applicable in the case's state
    office_overdue: list[dict[str, Any]] = field(default_factory=list)  # the office's own limits, past due

    def to_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "proposed": len(self.proposed),
            "results": self.proposed,
            "skipped": self.skipped,
            "office_overdue": self.office_overdue,
        }


def sweep_overdue(session: Session, today: dt.date | None = None, *, actor: Actor = SYSTEM) -> SweepReport:
    """Propose the consequence of every running time limit past due (once per time limit).

    The consequence is the procedure's lapse rule for the limit (e.g. exam-request -> deem-withdrawn),
    proposed only if the case's state allows that event now. Nothing is applied: staff confirm.
    """
    check("case_sweep", actor)
    today = today or _today()
    report = SweepReport(today=today)
    pending = exists(
        select(t.ProposedAction.id).where(
            t.ProposedAction.deadline_id == t.CaseDeadline.id,
            t.ProposedAction.status.in_(("proposed", "confirmed")),
        )
    )
    rows = session.execute(
        select(t.CaseDeadline, t.Case)
        .join(t.Case, t.Case.id == t.CaseDeadline.case_id)
        .where(
            t.CaseDeadline.status.in_(RUNNING),
            func.coalesce(t.CaseDeadline.extended_to, t.CaseDeadline.deadline) < today,
            ~pending,
        )
        .order_by(t.CaseDeadline.deadline, t.CaseDeadline.id)
    ).all()
    for dl, case in rows:
        version = procedure_of(case)
        item = {
            "case": case.case_no,
            "state": case.state,
            "deadline_id": dl.id,
            "kind": dl.kind,
            "trigger_event": dl.trigger_event,
            "deadline": due_date(dl).isoformat(),
            "party": dl.party,
            "consequence": dl.consequence,
            "legal_basis": dl.legal_basis,
        }
        rule = version.lapse_rule(dl.kind, dl.trigger_event, dl.consequence)
        if rule is not None and not rule.events:  # nothing follows (e.g. a grace period runs on)
            report.skipped.append({**item, "reason": rule.note or "no consequence follows"})
            continue
        candidates = list(rule.events) if rule else []
        applicable = [e for e in candidates if version.transition(e, case.state) is not None]
        if not applicable:
            if dl.party == "office":  # the office's own lateness: reported, nothing to propose
                report.office_overdue.append(item)
                continue
            if candidates or not dl.consequence:
                why = f"state {case.state!r} allows none of {', '.join(candidates)}" if candidates else "no consequence"
                report.skipped.append({**item, "reason": why})
                continue
        action = applicable[0] if applicable else f"record:{dl.consequence}"
        pa = t.ProposedAction(
            case_id=case.id,
            deadline_id=dl.id,
            action=action[:60],
            reason=(
                f"{dl.kind} 期限（{dl.trigger_event} {dl.trigger_date} 起算）已于 {due_date(dl)} 届满"
                + (f"，后果：{dl.consequence}" if dl.consequence else "")
            ),
            legal_basis=dl.legal_basis,
            status="proposed",
        )
        session.add(pa)
        session.flush()
        audit.record(
            session, actor, "case_action_propose", "case", case.case_no, proposed=action, proposed_action_id=pa.id
        )
        report.proposed.append({**item, "proposed_action_id": pa.id, "action": action})
    session.flush()
    return report


def confirm_action(
    session: Session,
    actor: Actor,
    action_id: int,
    *,
    date: dt.date | None = None,
    today: dt.date | None = None,
) -> t.CaseEvent | None:
    """Staff confirm a proposed consequence: its event is applied (dated `date`, default today)
    with the missed time limit's article as legal basis; the time limit is marked lapsed."""
    check("case_action_decide", actor)
    today = today or _today()
    pa = _proposed(session, action_id)
    case = session.get(t.Case, pa.case_id)
    assert case is not None
    dl = session.get(t.CaseDeadline, pa.deadline_id) if pa.deadline_id else None
    version = procedure_of(case)
    with session.begin_nested():
        ev = None
        if pa.action in version.events():
            ev = apply_event(
                session,
                actor,
                case,
                pa.action,
                date or today,
                {
                    "proposed_action_id": pa.id,
                    "lapsed_time_limit": dl.kind if dl else None,
                    "deadline_id": dl.id if dl else None,
                    # a notice of loss of rights: the 2-year outer limit of restoration runs from here
                    "expiry_date": due_date(dl).isoformat() if dl else None,
                },
                basis=zh_basis(dl.legal_basis) if dl else None,
                today=today,
            )
        if dl is not None:
            dl.status = "lapsed"
        pa.status = "confirmed"
        pa.decided_by = actor.name
        pa.decided_at = t.utcnow()
        audit.record(
            session,
            actor,
            "case_action_decide",
            "case",
            case.case_no,
            proposed_action_id=pa.id,
            decision="confirmed",
            proposed=pa.action,
            case_event_id=ev.id if ev else None,
        )
        session.flush()
    return ev


def reject_action(
    session: Session,
    actor: Actor,
    action_id: int,
    reason: str = "",
    *,
    extend_to: dt.date | None = None,
) -> t.ProposedAction:
    """Staff reject a proposed consequence. The time limit stops running (e.g. it was met on
    paper), or runs on to `extend_to` (an extension granted), after which it may be proposed again."""
    check("case_action_decide", actor)
    pa = _proposed(session, action_id)
    case = session.get(t.Case, pa.case_id)
    assert case is not None
    with session.begin_nested():
        dl = session.get(t.CaseDeadline, pa.deadline_id) if pa.deadline_id else None
        if dl is not None:
            if extend_to is not None:
                if extend_to <= due_date(dl):
                    raise CaseError(f"case {case.case_no}: extension to {extend_to} is not after {due_date(dl)}")
                dl.status, dl.extended_to = "extended", extend_to
            else:
                dl.status = "cancelled"
        pa.status = "rejected"
        pa.decided_by = actor.name
        pa.decided_at = t.utcnow()
        audit.record(
            session,
            actor,
            "case_action_decide",
            "case",
            case.case_no,
            proposed_action_id=pa.id,
            decision="rejected",
            proposed=pa.action,
            reason=reason,
            extended_to=extend_to.isoformat() if extend_to else None,
        )
        session.flush()
    return pa


def _proposed(session: Session, action_id: int) -> t.ProposedAction:
    pa = session.get(t.ProposedAction, action_id)
    if pa is None:
        raise CaseNotFound(f"no proposed action {action_id}")
    if pa.status != "proposed":
        raise CaseError(f"proposed action {action_id} is already {pa.status}")
    return pa


# ---------------------------------------------------------------- reading a case


def _party_name(session: Session, party_id: int | None) -> dict[str, Any] | None:
    if party_id is None:
        return None
    p = session.get(t.Party, party_id)
    return {"id": party_id, "name": p.name if p else None}


def case_summary(case: t.Case, today: dt.date | None = None, next_due: t.CaseDeadline | None = None) -> dict[str, Any]:
    try:
        label = procedure_of(case).state_label(case.state)
    except NoProcedure:
        label = case.state
    out = {
        "case_no": case.case_no,
        "right": case.right,
        "procedure": case.procedure,
        "procedure_version": case.procedure_version,
        "state": case.state,
        "state_label": label,
        "is_open": case.is_open,
        "track": case.track,
        "title": case.title,
        "filing_date": case.filing_date.isoformat(),
        "priority_date": case.priority_date.isoformat() if case.priority_date else None,
        "ipc_main": case.ipc_main,
        "ipc_source": case.ipc_source,
        "examiner_id": case.examiner_id,
        "first_action_date": case.first_action_date.isoformat() if case.first_action_date else None,
        "final_decision_date": case.final_decision_date.isoformat() if case.final_decision_date else None,
        "outcome": case.outcome,
        "row_version": case.row_version,
    }
    if next_due is not None:
        today = today or _today()
        out["next_deadline"] = {
            "kind": next_due.kind,
            "deadline": due_date(next_due).isoformat(),
            "days_left": (due_date(next_due) - today).days,
            "party": next_due.party,
        }
    return out


def deadline_dict(d: t.CaseDeadline, today: dt.date) -> dict[str, Any]:
    return {
        "id": d.id,
        "kind": d.kind,
        "party": d.party,
        "trigger_event": d.trigger_event,
        "trigger_date": d.trigger_date.isoformat(),
        "deadline": d.deadline.isoformat(),
        "extended_to": d.extended_to.isoformat() if d.extended_to else None,
        "status": d.status,
        "days_left": (due_date(d) - today).days if d.status in RUNNING else None,
        "legal_basis": d.legal_basis,
        "consequence": d.consequence,
        "rule_id": d.rule_id,
    }


def timeline(session: Session, case: t.Case, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the case page shows: the case, its events in order (with notices), its time
    limits, proposed consequences, and the events its state allows next (and what blocks them)."""
    today = today or _today()
    version = procedure_of(case)
    past = history(session, case)
    deadlines = case_deadlines(session, case)
    out = case_summary(case, today)
    out["procedure_title"] = version.title
    out["language"] = case.language
    out["applicant"] = _party_name(session, case.applicant_party_id)
    out["agency"] = _party_name(session, case.agency_party_id)
    if case.document_id:
        doc = session.get(t.PatentDocument, case.document_id)
        out["document"] = {
            "id": case.document_id,
            "number": doc.number if doc else None,
            "country": doc.country if doc else None,
        }
    if case.trademark_id:
        tm = session.get(t.Trademark, case.trademark_id)
        out["trademark"] = {
            "id": case.trademark_id,
            "number": tm.number if tm else None,
            "mark": tm.mark if tm else None,
        }
    out["events"] = [
        {
            "id": e.id,
            "date": e.date.isoformat(),
            "event": e.event,
            "label": _event_label(version, e),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": e.actor,
            "legal_basis": e.legal_basis,
            "details": {k: v for k, v in (e.details or {}).items() if k != "notice"},
            "notice": (e.details or {}).get("notice"),
        }
        for e in past
    ]
    out["deadlines"] = [deadline_dict(d, today) for d in deadlines]
    out["proposed_actions"] = [
        {
            "id": pa.id,
            "action": pa.action,
            "status": pa.status,
            "reason": pa.reason,
            "legal_basis": pa.legal_basis,
            "deadline_id": pa.deadline_id,
            "decided_by": pa.decided_by,
        }
        for pa in session.scalars(
            select(t.ProposedAction).where(t.ProposedAction.case_id == case.id).order_by(t.ProposedAction.id)
        )
    ]
    nxt = []
    for tr in version.transitions_from(case.state):
        blocked = unmet_condition(tr, today, past, deadlines)
        nxt.append(
            {
                "event": tr.event,
                "label": tr.label,
                "to": tr.to,
                "roles": tr.roles,
                "legal_basis": tr.basis_text,
                "blocked_by": blocked.text if blocked else None,
            }
        )
    out["next_events"] = nxt
    return out


def _event_label(version: ProcedureVersion, e: t.CaseEvent) -> str:
    if e.from_state is None:
        return version.opening.label
    tr = version.transition(e.event, e.from_state)
    if tr is not None:
        return tr.label
    return {"assign-track": "确定审查通道"}.get(e.event, e.event)


def worklist(
    session: Session,
    actor: Actor,
    *,
    mine: bool = False,
    state: str | None = None,
    right: str | None = None,
    open_only: bool = True,
    due_within: int | None = None,
    limit: int = 50,
    offset: int = 0,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """The cases an actor may see, newest deadline first when `due_within` is asked: the
    examiner's worklist (`mine`: cases assigned to the examiner whose code is the actor's name),
    an applicant's or agent's own cases, nothing for the public (the check refuses them)."""
    check("case_list", actor)
    today = today or _today()
    q = select(t.Case)
    if not actor.is_office:
        if actor.party_id is None:
            return {"total": 0, "limit": limit, "offset": offset, "results": []}
        q = q.where(or_(t.Case.applicant_party_id == actor.party_id, t.Case.agency_party_id == actor.party_id))
    if mine:
        q = q.join(t.Examiner, t.Examiner.id == t.Case.examiner_id).where(t.Examiner.code == actor.name)
    if state:
        q = q.where(t.Case.state == state)
    if right:
        q = q.where(t.Case.right == right)
    if open_only:
        q = q.where(t.Case.is_open.is_(True))
    due = (
        select(
            t.CaseDeadline.case_id,
            func.min(func.coalesce(t.CaseDeadline.extended_to, t.CaseDeadline.deadline)).label("due"),
        )
        .where(t.CaseDeadline.status.in_(RUNNING))
        .group_by(t.CaseDeadline.case_id)
        .subquery()
    )
    if due_within is not None:
        q = q.join(due, due.c.case_id == t.Case.id).where(due.c.due <= today + dt.timedelta(days=due_within))
        order = (due.c.due, t.Case.id)
    else:
        order = (t.Case.filing_date.desc(), t.Case.id)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    cases = list(session.scalars(q.order_by(*order).limit(limit).offset(offset)))
    nexts: dict[int, t.CaseDeadline] = {}
    if cases:
        for d in session.scalars(
            select(t.CaseDeadline)
            .where(t.CaseDeadline.case_id.in_([c.id for c in cases]), t.CaseDeadline.status.in_(RUNNING))
            .order_by(t.CaseDeadline.deadline)
        ):
            if d.case_id not in nexts or due_date(d) < due_date(nexts[d.case_id]):
                nexts[d.case_id] = d
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "results": [case_summary(c, today, nexts.get(c.id)) for c in cases],
    }
