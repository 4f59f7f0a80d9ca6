"""Fast tracks: prioritised examination, pre-examination by a protection centre, the trademark
green channel. Who qualifies, assigning a track, and whether each track keeps its promised times.

Why data: the criteria and the target times come from CNIPA's measures (专利优先审查管理办法
2017; 商标注册申请快速审查办法（试行） 2022) and from each protection centre's rules, which change
more often than the code. They live in `rules/data/fast_tracks.yaml` with their source; none of
those texts is in the law folder, and the file says so per track.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ipoffice.core import audit
from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, check
from ipoffice.workflow import permissions as _permissions  # noqa: F401 - registers the case_* checks
from ipoffice.workflow.calendar import is_working_day

TRACKS_FILE = Path(__file__).resolve().parents[1] / "rules" / "data" / "fast_tracks.yaml"
ASSIGN_EVENT = "assign-track"


class TrackError(ValueError):
    """A fast-track file that cannot be used; the message names the entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(_Strict):
    title: str
    issuer: str | None = None
    year: int | None = None
    published: dt.date | None = None
    effective_from: dt.date | None = None
    in_law_folder: bool
    verified: bool
    note: str | None = None


class Criterion(_Strict):
    id: str
    article: str | None = None
    text: str
    ipc_prefixes: dict[str, list[str]] = {}
    declaration: str | None = None
    mark_types: list[str] = []
    no_priority_claim: bool = False
    required: bool = False  # must hold; the others are grounds of which one must hold

    @model_validator(mode="after")
    def _testable(self) -> Criterion:
        if not (self.ipc_prefixes or self.declaration or self.mark_types or self.no_priority_claim):
            raise ValueError(f"criterion {self.id!r} has nothing to check")
        return self


class Target(_Strict):
    metric: Literal["first_action", "close"]
    days: int | None = None
    months: float | None = None
    working_days: int | None = None
    from_: str | None = Field(default=None, alias="from")
    basis: str
    indicative: bool = False

    @model_validator(mode="after")
    def _one_period(self) -> Target:
        if sum(x is not None for x in (self.days, self.months, self.working_days)) != 1:
            raise ValueError("a target needs exactly one of days, months, working_days")
        return self

    def due(self, start: dt.date) -> dt.date:
        if self.days is not None:
            return start + dt.timedelta(days=self.days)
        if self.months is not None:
            return add_months(start, self.months)
        assert self.working_days is not None
        return add_working_days(start, self.working_days)

    def describe(self) -> str:
        if self.days is not None:
            return f"{self.days} days"
        if self.months is not None:
            return f"{self.months:g} months"
        return f"{self.working_days} working days"


class Track(_Strict):
    label: str
    label_en: str | None = None
    rights: list[Literal["invention", "utility", "design", "trademark"]]
    source: Source
    states: dict[str, list[str]] = {}
    requires_events: dict[str, list[str]] = {}
    criteria: list[Criterion] = []
    targets: dict[str, list[Target]] = {}
    response_periods: dict[str, Any] | None = None


class TracksFile(_Strict):
    tracks: dict[str, Track]


def add_months(d: dt.date, months: float) -> dt.date:
    whole = int(months)
    y, m = divmod(d.month - 1 + whole, 12)
    year, month = d.year + y, m + 1
    out = dt.date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
    return out + dt.timedelta(days=round((months - whole) * 30.44))


def add_working_days(d: dt.date, n: int) -> dt.date:
    out = d
    while n > 0:
        out += dt.timedelta(days=1)
        if is_working_day(out):  # China's calendar: holidays off, adjusted working days on
            n -= 1
    return out


def load_tracks(path: Path | None = None) -> dict[str, Track]:
    """Read and validate the fast-track file (cached for the bundled one)."""
    if path is None:
        return _bundled()
    return _load(path)


@functools.cache
def _bundled() -> dict[str, Track]:
    return _load(TRACKS_FILE)


def _load(path: Path) -> dict[str, Track]:
    from ipoffice.workflow.procedures import default_procedures

    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        tracks = TracksFile.model_validate(raw).tracks
    except ValidationError as exc:
        err = exc.errors()[0]
        raise TrackError(f"{path.name}: {'.'.join(map(str, err['loc']))}: {err['msg']}") from None
    if "normal" not in tracks:
        raise TrackError(f"{path.name}: the 'normal' track is missing")
    procs = default_procedures()
    for name, tr in tracks.items():
        for right, states in tr.states.items():
            if right not in tr.rights:
                raise TrackError(f"{path.name}: track {name}: states for {right}, which the track does not serve")
            known = {s for v in procs.versions() if v.right == right for s in v.states}
            for s in states:
                if s not in known:
                    raise TrackError(f"{path.name}: track {name}: unknown {right} state {s!r}")
        for right, events in tr.requires_events.items():
            known_ev = {tr_.event for v in procs.versions() if v.right == right for tr_ in v.transitions}
            for e in events:
                if e not in known_ev:
                    raise TrackError(f"{path.name}: track {name}: unknown {right} event {e!r}")
        for right, targets in tr.targets.items():
            if right not in tr.rights:
                raise TrackError(f"{path.name}: track {name}: targets for {right}, which the track does not serve")
            known_ev = {tr_.event for v in procs.versions() if v.right == right for tr_ in v.transitions}
            for tg in targets:
                if tg.from_ and tg.from_ not in known_ev:
                    raise TrackError(f"{path.name}: track {name}: target from unknown {right} event {tg.from_!r}")
    return tracks


# ---------------------------------------------------------------- eligibility


def ipc_matches(symbol: str | None, prefix: str) -> bool:
    """'G06F 16/27' matches 'G06F', 'G06F 16' and 'G06F 16/27', not 'G06F 1'."""
    if not symbol:
        return False
    sym = symbol.replace(" ", "")
    subclass, _, rest = prefix.partition(" ")
    if not sym.startswith(subclass):
        return False
    if not rest:
        return True
    group = sym[len(subclass) :]
    if "/" in rest:
        return group.startswith(rest)
    return group.split("/", 1)[0] == rest


@dataclass
class Assessment:
    track: str
    label: str
    eligible: bool
    reasons: list[str] = field(default_factory=list)  # what qualifies the case, citing the source
    missing: list[str] = field(default_factory=list)  # what it lacks

    def to_dict(self) -> dict[str, Any]:
        return {
            "track": self.track,
            "label": self.label,
            "eligible": self.eligible,
            "reasons": self.reasons,
            "missing": self.missing,
        }


def _criterion_holds(c: Criterion, case: t.Case, declared: set[str], mark_type: str | None) -> tuple[bool, str]:
    detail = ""
    if c.ipc_prefixes:
        group = next(
            (g for g, prefixes in c.ipc_prefixes.items() if any(ipc_matches(case.ipc_main, p) for p in prefixes)), None
        )
        if group is None:
            return False, f"IPC {case.ipc_main or '(none)'} not in the listed fields"
        detail = f"IPC {case.ipc_main} → {group}"
    if c.declaration and c.declaration not in declared:
        return False, f"declaration {c.declaration!r} not made"
    if c.mark_types and (mark_type or "") not in c.mark_types:
        return False, f"mark type {mark_type or '(unknown)'} not in {', '.join(c.mark_types)}"
    if c.no_priority_claim and case.priority_date is not None:
        return False, f"priority claimed ({case.priority_date})"
    return True, detail


def assess(
    case: t.Case,
    declarations: Iterable[str] = (),
    *,
    session: Session | None = None,
    tracks: dict[str, Track] | None = None,
) -> list[Assessment]:
    """Every fast track serving the case's right, with whether the case qualifies and why (not)."""
    tracks = tracks or load_tracks()
    session = session or object_session(case)
    declared = set(declarations)
    events: set[str] = set()
    mark_type = None
    if session is not None:
        events = set(session.scalars(select(t.CaseEvent.event).where(t.CaseEvent.case_id == case.id)))
        if case.trademark_id:
            tm = session.get(t.Trademark, case.trademark_id)
            mark_type = tm.mark_type if tm else None
    out = []
    for name, tr in tracks.items():
        if name == "normal" or case.right not in tr.rights:
            continue
        a = Assessment(track=name, label=tr.label, eligible=True)
        states = tr.states.get(case.right)
        if states and case.state not in states:
            a.eligible = False
            a.missing.append(f"state {case.state!r} is not one of {', '.join(states)}")
        for e in tr.requires_events.get(case.right, []):
            if e not in events:
                a.eligible = False
                a.missing.append(f"event {e!r} has not happened")
        grounds_held = False
        has_grounds = False
        for c in tr.criteria:
            ok, detail = _criterion_holds(c, case, declared, mark_type)
            cite = f"{tr.source.title}{' ' + c.article if c.article else ''}：{c.text}"
            if ok:
                a.reasons.append(cite + (f"（{detail}）" if detail else ""))
            if c.required:
                if not ok:
                    a.eligible = False
                    a.missing.append(f"{cite} — {detail}")
            else:
                has_grounds = True
                grounds_held = grounds_held or ok
        if has_grounds and not grounds_held:
            a.eligible = False
            a.missing.append(f"none of the grounds of {tr.source.title} holds")
        out.append(a)
    return out


def eligible(
    case: t.Case, declarations: Iterable[str] = (), *, session: Session | None = None
) -> list[tuple[str, list[str]]]:
    """The fast tracks the case qualifies for, each with its reasons (citing the source)."""
    return [(a.track, a.reasons) for a in assess(case, declarations, session=session) if a.eligible]


def assign_track(
    session: Session,
    actor: Actor,
    case: t.Case,
    track: str,
    *,
    date: dt.date | None = None,
    declarations: Iterable[str] = (),
    force: bool = False,
    note: str | None = None,
    today: dt.date | None = None,
) -> t.CaseEvent:
    """Put the case on `track` (recorded as an `assign-track` event, audited, row_version bumped).

    Refused unless the case qualifies, except with `force` (an administrator's decision, recorded)."""
    from ipoffice.workflow.cases import CaseError, _bump_version, history

    check("case_track_assign", actor, case)
    tracks = load_tracks()
    if track not in tracks:
        raise CaseError(f"case {case.case_no}: unknown track {track!r}; one of {', '.join(tracks)}")
    spec = tracks[track]
    if case.right not in spec.rights:
        raise CaseError(f"case {case.case_no}: track {track!r} does not serve {case.right}")
    if case.track == track:
        raise CaseError(f"case {case.case_no} is already on track {track!r}")
    if force and str(actor.role) != "administrator":
        raise CaseError(f"case {case.case_no}: only an administrator may force a track")
    today = today or dt.date.today()
    date = date or today
    declared = list(declarations)
    reasons: list[str] = []
    if track != "normal":
        a = next(x for x in assess(case, declared, session=session) if x.track == track)
        if not a.eligible and not force:
            raise CaseError(
                f"case {case.case_no} does not qualify for {track} ({spec.source.title}): " + "; ".join(a.missing)
            )
        reasons = a.reasons
    past = history(session, case)
    if date > today or date < case.filing_date or (past and date < past[-1].date):
        raise CaseError(f"case {case.case_no}: track assignment dated {date} is outside the case's dates")
    with session.begin_nested():
        _bump_version(session, case)
        previous = case.track
        ev = t.CaseEvent(
            case_id=case.id,
            event=ASSIGN_EVENT,
            from_state=case.state,
            to_state=case.state,
            date=date,
            actor=actor.name,
            legal_basis=spec.source.title + (f"（{spec.source.issuer}）" if spec.source.issuer else ""),
            details={
                "track": track,
                "previous": previous,
                "reasons": reasons,
                "declarations": declared,
                "forced": force,
                "note": note,
                "role": str(actor.role),
            },
        )
        session.add(ev)
        case.track = track
        case.updated_at = t.utcnow()
        session.flush()
        audit.record(
            session, actor, "case_track_assign", "case", case.case_no, track=track, previous=previous, forced=force
        )
        session.flush()
    return ev


# ---------------------------------------------------------------- report


def track_report(session: Session, today: dt.date | None = None, *, right: str | None = None) -> dict[str, Any]:
    """Per track and right: how many cases, and for each target time how many met it.

    A target is measured from the track's assignment date (or the event it names; the filing
    date for the normal track), to the case's first action or final decision. `pending_late`
    counts cases still waiting past their target date: they will miss it.
    """
    today = today or dt.date.today()
    tracks = load_tracks()
    q = select(t.Case)
    if right:
        q = q.where(t.Case.right == right)
    cases = list(session.scalars(q))
    firsts: dict[tuple[int, str], dt.date] = {}
    assigned: dict[int, dt.date] = {}
    if cases:
        for ev in session.scalars(
            select(t.CaseEvent)
            .where(t.CaseEvent.case_id.in_([c.id for c in cases]))
            .order_by(t.CaseEvent.date, t.CaseEvent.id)
        ):
            firsts.setdefault((ev.case_id, ev.event), ev.date)
            if ev.event == ASSIGN_EVENT:
                assigned[ev.case_id] = ev.date  # the latest assignment counts
    rows = []
    for name, spec in tracks.items():
        for r in spec.rights:
            mine = [c for c in cases if c.track == name and c.right == r]
            if not mine and not spec.targets.get(r):
                continue
            row: dict[str, Any] = {
                "track": name,
                "label": spec.label,
                "right": r,
                "cases": len(mine),
                "open": sum(1 for c in mine if c.is_open),
                "targets": [],
            }
            for tg in spec.targets.get(r, []):
                measured = on_target = pending = pending_late = 0
                total_days = 0
                for c in mine:
                    if tg.from_:
                        start = firsts.get((c.id, tg.from_))
                    elif name == "normal":
                        start = c.filing_date
                    else:
                        start = assigned.get(c.id)
                    if start is None:
                        continue
                    end = c.first_action_date if tg.metric == "first_action" else c.final_decision_date
                    due = tg.due(start)
                    if end is None:
                        pending += 1
                        pending_late += today > due
                        continue
                    measured += 1
                    on_target += end <= due
                    total_days += (end - start).days
                row["targets"].append(
                    {
                        "metric": tg.metric,
                        "target": tg.describe(),
                        "from": tg.from_ or ("filing" if name == "normal" else ASSIGN_EVENT),
                        "basis": tg.basis,
                        "indicative": tg.indicative,
                        "measured": measured,
                        "on_target": on_target,
                        "share_on_target": round(on_target / measured, 3) if measured else None,
                        "mean_days": round(total_days / measured, 1) if measured else None,
                        "pending": pending,
                        "pending_late": pending_late,
                    }
                )
            rows.append(row)
    return {"today": today.isoformat(), "results": rows}
