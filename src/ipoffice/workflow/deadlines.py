"""The deadline calculator: every time limit an event starts, by the law in force, to the day.

`calc("refusal", date(2024, 3, 1), "invention", service="mail")` answers what an agent's
docketing clerk and an examiner both need: each time limit the event starts, its deadline
after the deemed-receipt and rest-day rules, the provision it rests on, who must act and what
happens when it is missed. The rules are data (`rules/data/time_limits.yaml`, see
`ipoffice.rules.schema` for which date selects a rule); this module only applies them:

1. the base date: the event date; or the deemed receipt of a notification (dispatch date plus
   the days of the service rule in force on the dispatch date); or the earliest priority date
   where claimed; or the end of a previous period (the missed limit, the registration's expiry);
2. the raw end: first day not counted, corresponding day of the last month or that month's
   last day (a term of protection ends the day before the corresponding day);
3. the rest-day rule: a period ending on a rest day ends on the next working day, by China's
   official calendar (adjusted working days count as working days), provisional and flagged
   outside the calendar's years.

It also lists the open deadlines of the store (`due_deadlines`) for `ipoffice deadlines`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, Role, permission
from ipoffice.rules import loader
from ipoffice.rules.schema import EVENTS, RIGHTS, SERVICES, LegalBasis, Rule, RuleSet, ServiceRule
from ipoffice.workflow.calendar import months_before, next_working_day, period_end

PATENT_LAW_IN_FORCE = dt.date(1985, 4, 1)


@dataclass
class TimeLimit:
    """One time limit started by an event, with everything needed to docket and to explain it."""

    kind: str
    deadline: dt.date  # the last day to act, after the rest-day rule
    legal_basis: str  # the main provision, "专利法(2020) 第三十五条第一款 / Patent Law (2020) Art. 35(1)"
    trigger_event: str
    trigger_date: dt.date
    base_date: dt.date  # the date the period runs from (deemed receipt, priority date, previous end...)
    raw_deadline: dt.date  # the end before the rest-day rule
    party: str  # who must act: applicant | office | third-party
    consequence: str | None
    extendable: bool
    rule_id: str
    note: str = ""
    calendar_note: str | None = None  # set when the result rests on years without an official calendar
    right: str = ""
    variant: str | None = None
    legal_basis_zh: str = ""  # the main provision in Chinese only, for notices: "专利法(2020) 第三十五条第一款"
    legal_basis_en: str = ""  # and in English only: "Patent Law (2020) Art. 35(1)"
    window_opens: dt.date | None = None  # for windows (trademark renewal): the first day to act
    extension: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, dt.date):
                d[k] = v.isoformat()
        return d


def load_rules() -> RuleSet:
    """The validated rules file (parsed once)."""
    return loader.load_rules()


def rules_in_force(day: dt.date, right: str | None = None, event: str | None = None) -> list[Rule]:
    """The time-limit rules in force on `day` (optionally for one right or one event)."""
    return [
        r
        for r in load_rules().time_limits
        if r.in_force(day) and (right is None or right in r.rights) and (event is None or r.trigger == event)
    ]


def _as_date(value: dt.date | str, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from None


@dataclass
class _Ctx:
    rs: RuleSet
    event: str
    date: dt.date
    right: str
    service: str
    priority_date: dt.date | None
    expiry_date: dt.date | None

    def cite(self, lb: LegalBasis) -> str:
        return lb.cite(self.rs.instruments)

    def citation(self, lb: LegalBasis) -> dict[str, Any]:
        d = lb.model_dump(exclude_none=True)
        d["cite"] = self.cite(lb)
        return d


@dataclass
class _Base:
    date: dt.date
    note: str = ""
    citations: list[LegalBasis] = field(default_factory=list)


def _service_rule(ctx: _Ctx) -> ServiceRule:
    for s in ctx.rs.service:
        if ctx.right in s.rights and s.service == ctx.service and s.in_force(ctx.date):
            return s
    other = [s for s in ctx.rs.service if ctx.right in s.rights and s.in_force(ctx.date)]
    hint = f"; for {ctx.date} the rules know service by {', '.join(s.service for s in other)}" if other else ""
    raise ValueError(
        f"no deemed-receipt rule for {ctx.service} service of a {ctx.right} notification dispatched on {ctx.date}{hint}"
    )


def _base(kind: str, rule: Rule, ctx: _Ctx, done: dict[str, TimeLimit]) -> _Base | None:
    if kind == "trigger":
        return _Base(ctx.date)
    if kind == "priority":
        if ctx.priority_date:
            return _Base(ctx.priority_date, f"Counted from the priority date {ctx.priority_date}.")
        return _Base(ctx.date)
    if kind == "expiry":
        return (
            _Base(ctx.expiry_date, f"Counted from the end of the previous period, {ctx.expiry_date}.")
            if ctx.expiry_date
            else None
        )
    if kind == "receipt":
        s = _service_rule(ctx)
        received = ctx.date + dt.timedelta(days=s.days)
        how, cite = f"{ctx.service} service", ctx.cite(s.legal_basis)
        if s.days:
            text = f"Dispatched {ctx.date} by {how}: deemed received {received}, {s.days} days later ({cite})."
        else:
            text = f"Dispatched {ctx.date} by {how}: served that day ({cite})."
        if s.note:
            text += " " + s.note
        return _Base(received, text, [s.legal_basis])
    if kind == "previous":
        prev = done.get(rule.after or "")
        if prev is None:
            return None
        return _Base(prev.deadline, f"Counted from {prev.deadline}, the end of the {prev.kind} period.")
    raise AssertionError(kind)  # pragma: no cover - the schema allows no other


def _counting_note(ctx: _Ctx, day: dt.date) -> tuple[str, LegalBasis | None]:
    for c in ctx.rs.counting:
        if ctx.right in c.rights and c.in_force(day):
            return ctx.cite(c.legal_basis), c.legal_basis
    return "", None


def _compute(rule: Rule, base: _Base, ctx: _Ctx, done: dict[str, TimeLimit]) -> TimeLimit:
    p = rule.period
    raw = period_end(base.date, p.years, p.months, p.days, rule.counting)
    notes = [base.note] if base.note else []
    cites = [rule.legal_basis, *rule.also_cites, *base.citations]
    if rule.alternative:
        alt = _base(rule.alternative.base, rule, ctx, done)
        if alt is not None:
            ap = rule.alternative.period
            alt_raw = period_end(alt.date, ap.years, ap.months, ap.days, rule.counting)
            pick = max if rule.alternative.combine == "later" else min
            chosen = pick(raw, alt_raw)
            notes.append(
                f"{p} from {base.date} ends {raw}; {ap} from {alt.date} ends {alt_raw}: "
                f"the {rule.alternative.combine} one counts."
            )
            raw = chosen
    deadline, calendar_note = raw, None
    if rule.holiday_shift:
        shift = next_working_day(raw)
        deadline, calendar_note = shift.deadline, shift.calendar_note
        if shift.moved:
            relevant = base.date if rule.relevant_date == "base" else ctx.date
            rule_cite, counting_lb = _counting_note(ctx, relevant)
            notes.append(shift.explain() + (f" ({rule_cite})." if rule_cite else "."))
            if counting_lb is not None:
                cites.append(counting_lb)
    window = None
    if rule.opens_before is not None:
        ob = rule.opens_before
        window = months_before(raw, ob.years, ob.months, ob.days) + dt.timedelta(days=1)
    if rule.note:
        notes.append(rule.note)
    extension = None
    if rule.extension is not None:
        extension = f"up to {rule.extension.max}: {rule.extension.how}"
        cites.extend(rule.extension.legal_basis)
    seen: set[str] = set()
    citations = []
    for lb in cites:
        c = ctx.citation(lb)
        if c["cite"] + c["text"] not in seen:
            seen.add(c["cite"] + c["text"])
            citations.append(c)
    return TimeLimit(
        kind=rule.kind,
        deadline=deadline,
        legal_basis=ctx.cite(rule.legal_basis),
        trigger_event=ctx.event,
        trigger_date=ctx.date,
        base_date=base.date,
        raw_deadline=raw,
        party=rule.party,
        consequence=rule.consequence,
        extendable=rule.extendable,
        rule_id=rule.id,
        note=" ".join(notes),
        calendar_note=calendar_note,
        right=ctx.right,
        variant=rule.variant,
        legal_basis_zh=rule.legal_basis.cite_zh(ctx.rs.instruments),
        legal_basis_en=rule.legal_basis.cite_en(ctx.rs.instruments),
        window_opens=window,
        extension=extension,
        citations=citations,
    )


def _check(event: str, day: dt.date, right: str, service: str, today: dt.date) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}; one of: {', '.join(EVENTS)}")
    if right not in RIGHTS:
        raise ValueError(f"unknown right {right!r}; one of: {', '.join(RIGHTS)}")
    ev = EVENTS[event]
    if right not in ev.rights:
        raise ValueError(f"event {event!r} does not occur for right {right!r} (only for {', '.join(ev.rights)})")
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; one of: {', '.join(SERVICES)}")
    if day < PATENT_LAW_IN_FORCE:
        raise ValueError(f"date {day} is before 1985-04-01, when the Patent Law came into force")
    if day > today and not ev.scheduled:
        raise ValueError(f"{event} date {day} is in the future (today is {today})")


def calc(
    event: str,
    date: dt.date,
    right: str,
    service: str = "electronic",
    priority_date: dt.date | None = None,
    expiry_date: dt.date | None = None,
    today: dt.date | None = None,
) -> list[TimeLimit]:
    """Every time limit `event` on `date` starts for a `right`, in deadline order.

    `date` is what the event's definition says (`ipoffice.rules.schema.EVENTS`): a filing date,
    a dispatch date for notifications (`service` says how it was served: mail or electronic),
    a publication date... `priority_date` is the earliest priority date claimed (for `filing`);
    `expiry_date` the end of a previous period (for `rights-loss-notice`: the missed time limit,
    which the 2-year outer limit of restoration runs from). Raises `ValueError` on an unknown
    event, right or service, a date before 1985-04-01, a date in the future (except for events
    that are scheduled dates: `tm-expiry`, `annuity-due`), or where no rule is in force.
    """
    today = _as_date(today, "today") if today is not None else dt.date.today()
    day = _as_date(date, "date")
    _check(event, day, right, service, today)
    prio = _as_date(priority_date, "priority date") if priority_date is not None else None
    expiry = _as_date(expiry_date, "expiry date") if expiry_date is not None else None
    if prio is not None:
        if prio > day:
            raise ValueError(f"priority date {prio} is after the {event} date {day}")
        if prio < PATENT_LAW_IN_FORCE:
            raise ValueError(f"priority date {prio} is before 1985-04-01")
    if expiry is not None and event == "rights-loss-notice" and expiry > day:
        raise ValueError(f"the missed time limit ({expiry}) must have ended before the notice ({day})")

    rs = load_rules()
    ctx = _Ctx(rs, event, day, right, service, prio, expiry)
    groups: dict[tuple[str, str | None], list[Rule]] = defaultdict(list)
    for r in rs.time_limits:
        if r.trigger == event and right in r.rights:
            groups[(r.kind, r.variant)].append(r)
    if not groups:
        raise ValueError(f"no time-limit rule starts on {event!r} for a {right}")

    done: dict[str, TimeLimit] = {}
    out: list[TimeLimit] = []
    # periods that follow another period come last, once the one they follow is known
    for _key, versions in sorted(groups.items(), key=lambda kv: any(r.base == "previous" for r in kv[1])):
        rule, base = _select(versions, ctx, done)
        if rule is None or base is None:
            continue
        tl = _compute(rule, base, ctx, done)
        out.append(tl)
        if rule.variant is None:
            done[rule.kind] = tl
    if not out:
        starts = min(r.effective_from for v in groups.values() for r in v)
        raise ValueError(
            f"no time-limit rule for {event!r} ({right}) is in force on {day}; the rules cover {event} from {starts}"
        )
    out.sort(key=lambda x: (x.deadline, x.kind, x.variant or ""))
    return out


def _select(versions: list[Rule], ctx: _Ctx, done: dict[str, TimeLimit]) -> tuple[Rule | None, _Base | None]:
    """The version in force on the rule's relevant date, and the base date it runs from."""
    if versions[0].relevant_date == "base":  # the schema makes all versions agree on base and relevant date
        base = _base(versions[0].base, versions[0], ctx, done)
        if base is None:
            return None, None
        rule = next((r for r in versions if r.in_force(base.date)), None)
        return rule, base
    rule = next((r for r in versions if r.in_force(ctx.date)), None)
    if rule is None:
        return None, None
    if "priority_date" in rule.requires and ctx.priority_date is None:
        return None, None
    if "expiry_date" in rule.requires and ctx.expiry_date is None:
        return None, None
    return rule, _base(rule.base, rule, ctx, done)


# ---- the store: open deadlines ------------------------------------------------------------------


@permission("deadline_calc")
def deadline_calc(actor: Actor, _obj: Any) -> bool:
    return True  # the calculator reads only the law


@permission("deadline_list")
def deadline_list(actor: Actor, _obj: Any) -> bool:
    """The office sees every case's deadlines; applicants and agents their own cases' (rows filtered)."""
    return actor.is_office or actor.role in (Role.APPLICANT, Role.AGENT)


def due_deadlines(
    session: Session,
    actor: Actor,
    as_of: dt.date,
    within_days: int = 30,
    overdue: bool = False,
) -> list[dict[str, Any]]:
    """Open deadlines of the store due within `within_days` of `as_of` (or already overdue).

    Open means status `open`, or `extended` (still running, to its `extended_to`), the due date
    being the extended one where there is one.
    """
    due = func.coalesce(t.CaseDeadline.extended_to, t.CaseDeadline.deadline)
    q = (
        select(t.CaseDeadline, t.Case.case_no, t.Case.right, t.Examiner.code, t.Examiner.name, due.label("due"))
        .join(t.Case, t.Case.id == t.CaseDeadline.case_id)
        .outerjoin(t.Examiner, t.Examiner.id == t.Case.examiner_id)
        .where(t.CaseDeadline.status.in_(("open", "extended")))
    )
    if overdue:
        q = q.where(due < as_of)
    else:
        q = q.where(due >= as_of, due <= as_of + dt.timedelta(days=within_days))
    if not actor.is_office:
        if actor.party_id is None:
            q = q.where(false())
        else:
            q = q.where(or_(t.Case.applicant_party_id == actor.party_id, t.Case.agency_party_id == actor.party_id))
    q = q.order_by(due, t.Case.case_no, t.CaseDeadline.id)
    rows = []
    for d, case_no, right, ex_code, ex_name, due_on in session.execute(q):
        due_on = _as_date(due_on, "due")
        rows.append(
            {
                "id": d.id,
                "case_no": case_no,
                "right": right,
                "examiner": ex_code,
                "examiner_name": ex_name,
                "kind": d.kind,
                "deadline": d.deadline.isoformat(),
                "extended_to": d.extended_to.isoformat() if d.extended_to else None,
                "due": due_on.isoformat(),
                "days_left": (due_on - as_of).days,
                "status": d.status,
                "party": d.party,
                "trigger_event": d.trigger_event,
                "trigger_date": d.trigger_date.isoformat(),
                "legal_basis": d.legal_basis,
                "consequence": d.consequence,
                "rule_id": d.rule_id,
            }
        )
    return rows
