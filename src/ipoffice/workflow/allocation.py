"""Allocation: give each new case to an examiner of its field, never to one with a conflict.

Why this shape: who examines a case decides its quality and its pendency, and a conflict of interest
voids the examination, so the hard rules (right, field, language, skills, declared conflicts, weekly
capacity) are filters that no policy can override, and the choice among the examiners left is a
pluggable `Policy` (`field-balanced`, `round-robin`, `least-loaded`; register your own with
`register_policy`). Every assignment is written with its reason and audited, in one transaction.

The route of a case: its main IPC (office, or the suggested one while there is none; both live in
`Case.ipc_main`) -> its division by the longest prefix in `rules/data/divisions.yaml` -> the
examiners whose `ipc_prefixes` contain it (the longest matching prefix is the best field match),
who handle the right, read the case's language and have the skills its track or procedure asks
for (green channel, reexamination ...). Examiners of the case's division are preferred; examiners
elsewhere (cooperation centres) are the fallback and the reason says so. Designs and trademarks
are not IPC-classified: their examiners are chosen by right and division only.

Workload: `capacity_per_week` is how many new cases an examiner takes in a week (Monday to
Sunday, UTC). Assignments already made this week count; an examiner at capacity gets nothing more
until next week, so a large intake spreads evenly over the examiners and the rest waits for the
next run (reported, with the reason). Open caseload (weeks of work in hand) breaks ties.
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import yaml
from sqlalchemy import case as sql_case
from sqlalchemy import func, insert, select, true, update
from sqlalchemy.orm import Session

from ipoffice.core import audit
from ipoffice.core import tables as t
from ipoffice.core.ipc import IpcSymbol, ipc_like_pattern, parse_ipc
from ipoffice.core.names import party_key
from ipoffice.core.roles import Actor, Role, check, permission
from ipoffice.core.store import PartyResolver

DIVISIONS_FILE = Path(__file__).resolve().parents[1] / "rules" / "data" / "divisions.yaml"
EXAMINING_ROLES = ("examiner", "reviewer")  # supervisors assign, they are not in the pool


# ---------------------------------------------------------------- permissions


@permission("case_allocate")
def _case_allocate(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR  # the supervisor


@permission("case_reassign")
def _case_reassign(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


@permission("examiner_import")
def _examiner_import(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


class AllocationRefused(ValueError):
    """A supervisor's override broke a hard rule (conflict, field, right): nothing was changed."""


# ---------------------------------------------------------------- IPC keys (fast prefix matching)


def _key_of(p: IpcSymbol) -> tuple[Any, ...]:
    """The prefix key of a parsed symbol: (section, class, subclass, main group, subgroup digits)."""
    parts: list[Any] = [p.section]
    if p.klass is None:
        return tuple(parts)
    parts.append(p.klass)
    if p.subclass is None:
        return tuple(parts)
    parts.append(p.subclass)
    if p.main is None:
        return tuple(parts)
    parts.append(p.main)
    if p.sub and p.sub != "00":
        parts.append(p.sub)
    return tuple(parts)


def prefix_key(prefix: str) -> tuple[Any, ...]:
    """Key of an examiner's or a division's prefix ("G06F", "H04L 9", "G06F 17/30"); ValueError if not IPC."""
    ipc_like_pattern(prefix)  # raises ValueError with a clear message for a non-IPC prefix
    text = prefix.strip()
    if text[:4].lower() == "ipc:":
        text = text[4:]
    return _key_of(parse_ipc(text.rstrip("/ ")))


def _specificity(key: tuple[Any, ...]) -> int:
    """Longer prefix = better field match: section 1 ... main group 4, subgroup 4 + its digits."""
    return len(key) if len(key) <= 4 else 4 + len(key[4])


@lru_cache(maxsize=100_000)
def symbol_keys(symbol: str) -> tuple[tuple[Any, ...], ...]:
    """Every prefix key that contains `symbol`, longest first (empty if it is not IPC)."""
    try:
        p = parse_ipc(symbol)
    except ValueError:
        return ()
    full = _key_of(p)
    keys = [full[:i] for i in range(1, min(len(full), 4) + 1)]
    if len(full) == 5:
        sub = full[4]
        keys += [(*full[:4], sub[:i]) for i in range(1, len(sub) + 1)]
    return tuple(reversed(keys))


# ---------------------------------------------------------------- divisions (data)


@dataclass(frozen=True)
class Division:
    id: str
    name_zh: str
    name_en: str
    ipc: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {self.id, self.name_zh, self.name_en}


@dataclass
class DivisionMap:
    version: str
    divisions: dict[str, Division]
    by_prefix: dict[tuple[Any, ...], str]
    by_right: dict[str, str]
    ipc_rights: frozenset[str]
    track_skills: dict[str, tuple[str, ...]]
    procedure_skills: dict[str, tuple[str, ...]]

    def division_for(self, right: str, ipc: str | None) -> str | None:
        if right in self.by_right:
            return self.by_right[right]
        for key in symbol_keys(ipc or ""):
            if key in self.by_prefix:
                return self.by_prefix[key]
        return None

    def required_skills(self, case: t.Case) -> tuple[str, ...]:
        need = list(self.track_skills.get(case.track or "normal", ()))
        proc = (case.procedure or "").lower()
        for key, skills in self.procedure_skills.items():
            if key in proc:
                need += skills
        return tuple(dict.fromkeys(need))

    def same_division(self, division_id: str | None, examiner_division: str) -> bool:
        d = self.divisions.get(division_id or "")
        return d is not None and examiner_division in d.names()


def load_divisions(path: Path = DIVISIONS_FILE) -> DivisionMap:
    """Read and validate the division map; a bad file is refused with a message naming the entry."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"{path}: cannot read the division map: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("divisions"), list):
        raise ValueError(f"{path}: needs a 'divisions' list")
    divisions: dict[str, Division] = {}
    by_prefix: dict[tuple[Any, ...], str] = {}
    for i, entry in enumerate(doc["divisions"]):
        where = f"{path.name}: divisions[{i}]"
        if not isinstance(entry, dict) or not entry.get("id"):
            raise ValueError(f"{where}: needs an 'id'")
        did = str(entry["id"])
        where = f"{path.name}: division {did!r}"
        if did in divisions:
            raise ValueError(f"{where}: duplicate id")
        prefixes = tuple(str(p) for p in entry.get("ipc") or ())
        for p in prefixes:
            try:
                key = prefix_key(p)
            except ValueError as e:
                raise ValueError(f"{where}: bad IPC prefix {p!r}: {e}") from None
            if key in by_prefix:
                raise ValueError(f"{where}: IPC prefix {p!r} already routed to division {by_prefix[key]!r}")
            by_prefix[key] = did
        divisions[did] = Division(did, str(entry.get("name_zh") or did), str(entry.get("name_en") or did), prefixes)
    missing = [s for s in "ABCDEFGH" if (s,) not in by_prefix]
    if missing:
        raise ValueError(f"{path.name}: IPC section(s) {', '.join(missing)} have no division (add a section entry)")
    by_right = {str(k): str(v) for k, v in (doc.get("by_right") or {}).items()}
    for right, did in by_right.items():
        if did not in divisions:
            raise ValueError(f"{path.name}: by_right {right!r}: unknown division {did!r}")
    skills = doc.get("skills") or {}

    def _skills(section: str) -> dict[str, tuple[str, ...]]:
        raw = skills.get(section) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{path.name}: skills.{section} must be a mapping")
        return {str(k): tuple(str(s) for s in (v if isinstance(v, list) else [v])) for k, v in raw.items()}

    return DivisionMap(
        version=str(doc.get("version", "")),
        divisions=divisions,
        by_prefix=by_prefix,
        by_right=by_right,
        ipc_rights=frozenset(str(r) for r in doc.get("ipc_rights") or ("invention", "utility")),
        track_skills=_skills("track"),
        procedure_skills=_skills("procedure"),
    )


@lru_cache(maxsize=1)
def divisions() -> DivisionMap:
    return load_divisions()


# ---------------------------------------------------------------- candidates, state, policies


@dataclass
class Candidate:
    """An examiner who passed every hard rule for a case, with how well the field matches."""

    examiner: t.Examiner
    specificity: int  # 0: no field match needed (designs, trademarks)
    matched_prefix: str | None
    in_division: bool


@dataclass
class AllocationState:
    """What policies see besides the case: this week's intake, open caseload, rotation pointers."""

    week_start: dt.datetime
    division: str | None = None  # the division the current case is routed to
    week_load: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    open_load: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    rotation: dict[str, int] = field(default_factory=dict)

    def ratio(self, ex: t.Examiner) -> float:
        return self.week_load[ex.id] / max(ex.capacity_per_week or 0, 1)

    def backlog_weeks(self, ex: t.Examiner) -> float:
        return self.open_load[ex.id] / max(ex.capacity_per_week or 0, 1)

    def has_capacity(self, ex: t.Examiner) -> bool:
        return self.week_load[ex.id] < (ex.capacity_per_week or 0)

    def took(self, ex: t.Examiner) -> None:
        self.week_load[ex.id] += 1
        self.open_load[ex.id] += 1

    def load_text(self, ex: t.Examiner) -> str:
        return f"{self.week_load[ex.id]}/{ex.capacity_per_week} this week, {self.open_load[ex.id]} open"


class Policy(Protocol):
    """Chooses one of the eligible candidates (never empty) and says why."""

    name: str

    def choose(
        self, case: t.Case, candidates: Sequence[Candidate], state: AllocationState
    ) -> tuple[t.Examiner, str]: ...


class FieldBalanced:
    """Best field match first (longest IPC prefix), then the least loaded relative to capacity."""

    name = "field-balanced"

    def choose(self, case: t.Case, candidates: Sequence[Candidate], state: AllocationState) -> tuple[t.Examiner, str]:
        best = min(
            candidates,
            key=lambda c: (-c.specificity, state.ratio(c.examiner), state.backlog_weeks(c.examiner), c.examiner.id),
        )
        field_txt = f"field {best.matched_prefix}" if best.matched_prefix else "right/division"
        return best.examiner, f"best {field_txt} match, least loaded ({state.load_text(best.examiner)})"


class LeastLoaded:
    """Any eligible examiner of the field, the least loaded relative to capacity."""

    name = "least-loaded"

    def choose(self, case: t.Case, candidates: Sequence[Candidate], state: AllocationState) -> tuple[t.Examiner, str]:
        best = min(
            candidates,
            key=lambda c: (state.ratio(c.examiner), state.backlog_weeks(c.examiner), -c.specificity, c.examiner.id),
        )
        return best.examiner, f"least loaded eligible examiner ({state.load_text(best.examiner)})"


class RoundRobin:
    """Takes eligible examiners in turn (by id) within the case's division and right."""

    name = "round-robin"

    def choose(self, case: t.Case, candidates: Sequence[Candidate], state: AllocationState) -> tuple[t.Examiner, str]:
        pool = f"{case.right}|{state.division or ''}"
        last = state.rotation.get(pool, 0)
        ordered = sorted(candidates, key=lambda c: c.examiner.id)
        nxt = next((c for c in ordered if c.examiner.id > last), ordered[0])
        state.rotation[pool] = nxt.examiner.id
        return nxt.examiner, f"next in rotation ({state.load_text(nxt.examiner)})"


POLICIES: dict[str, Policy] = {}


def register_policy(policy: Policy) -> Policy:
    POLICIES[policy.name] = policy
    return policy


for _p in (FieldBalanced(), RoundRobin(), LeastLoaded()):
    register_policy(_p)


def get_policy(policy: str | Policy) -> Policy:
    if not isinstance(policy, str):
        return policy
    try:
        return POLICIES[policy]
    except KeyError:
        raise ValueError(f"unknown allocation policy {policy!r}; one of {', '.join(sorted(POLICIES))}") from None


# ---------------------------------------------------------------- the examiner pool


class ExaminerPool:
    """Examiners, their prefix index and conflicts, loaded once per allocation run."""

    def __init__(self, session: Session, dmap: DivisionMap, now: dt.datetime) -> None:
        self.dmap = dmap
        self.examiners: dict[int, t.Examiner] = {
            e.id: e for e in session.scalars(select(t.Examiner).where(t.Examiner.active == true()))
        }
        self.by_key: dict[tuple[Any, ...], list[tuple[int, str]]] = defaultdict(list)
        self.bad_prefixes: list[str] = []
        for e in self.examiners.values():
            for p in e.ipc_prefixes or ():
                try:
                    self.by_key[prefix_key(str(p))].append((e.id, str(p)))
                except ValueError:
                    self.bad_prefixes.append(f"{e.code}: {p!r}")
        self.conflicts: dict[int, set[int]] = defaultdict(set)
        for ex_id, party_id in session.execute(select(t.ExaminerConflict.examiner_id, t.ExaminerConflict.party_id)):
            self.conflicts[ex_id].add(party_id)
        week_start = dt.datetime.combine(now.date() - dt.timedelta(days=now.weekday()), dt.time())
        self.state = AllocationState(week_start=week_start)
        for ex_id, n in session.execute(
            select(t.CaseAssignment.examiner_id, func.count())
            .where(t.CaseAssignment.at >= week_start)
            .group_by(t.CaseAssignment.examiner_id)
        ):
            self.state.week_load[ex_id] = n
        for ex_id, n in session.execute(
            select(t.Case.examiner_id, func.count())
            .where(t.Case.is_open == true(), t.Case.examiner_id.is_not(None))
            .group_by(t.Case.examiner_id)
        ):
            self.state.open_load[ex_id] = n

    @staticmethod
    def examines(e: t.Examiner, right: str) -> bool:
        return e.active and e.role in EXAMINING_ROLES and right in (e.rights or ())

    @staticmethod
    def reads(e: t.Examiner, language: str) -> bool:
        return (language or "zh") in (e.languages or ["zh"])

    def conflicted(self, e: t.Examiner, case: t.Case) -> str | None:
        parties = self.conflicts.get(e.id)
        if not parties:
            return None
        if case.applicant_party_id in parties:
            return "applicant"
        if case.agency_party_id in parties:
            return "agency"
        return None

    def field_matches(self, symbol: str) -> dict[int, tuple[int, str]]:
        """examiner id -> (specificity, prefix) of that examiner's longest prefix containing `symbol`."""
        out: dict[int, tuple[int, str]] = {}
        for key in symbol_keys(symbol):  # longest first: the first hit per examiner is its best
            for ex_id, prefix in self.by_key.get(key, ()):
                if ex_id not in out:
                    out[ex_id] = (_specificity(key), prefix)
        return out

    def candidates(self, case: t.Case, division: str | None) -> tuple[list[Candidate], str, str]:
        """(examiners passing every hard rule, a note, "") or ([], why none, the rule that emptied the pool:
        classification, field, right, language, skills, conflict or capacity)."""
        right = case.right
        if right in self.dmap.ipc_rights:
            if not case.ipc_main:
                return [], "no IPC classification (office or suggested): classify the case first", "classification"
            if not symbol_keys(case.ipc_main):
                return [], f"IPC {case.ipc_main!r} is not a valid symbol", "classification"
            matched = self.field_matches(case.ipc_main)
            pool = [(self.examiners[i], s, p) for i, (s, p) in matched.items() if i in self.examiners]
            what = f"field {case.ipc_main}"
            if not pool:
                return [], f"no active examiner for {what} (division {division})", "field"
        else:
            pool = [(e, 0, None) for e in self.examiners.values()]
            what = f"right {right}"
        pool = [x for x in pool if self.examines(x[0], right)]
        if not pool:
            return [], f"no active examiner handles {right} for {what}", "right"
        pool = [x for x in pool if self.reads(x[0], case.language)]
        if not pool:
            return [], f"no examiner for {what} reads language {case.language!r}", "language"
        need = self.dmap.required_skills(case)
        if need:
            pool = [x for x in pool if set(need) <= set(x[0].skills or ())]
            if not pool:
                return [], f"no examiner for {what} has skill(s) {', '.join(need)} (track {case.track})", "skills"
        before = len(pool)
        pool = [x for x in pool if not self.conflicted(x[0], case)]
        if not pool:
            return (
                [],
                f"all {before} eligible examiner(s) for {what} have a declared conflict with applicant/agency",
                "conflict",
            )
        before = len(pool)
        pool = [x for x in pool if self.state.has_capacity(x[0])]
        if not pool:
            return [], f"all {before} eligible examiner(s) for {what} are at weekly capacity", "capacity"
        cands = [Candidate(e, s, p, self.dmap.same_division(division, e.division)) for e, s, p in pool]
        inside = [c for c in cands if c.in_division]
        if inside:
            return inside, "", ""
        return cands, f"no eligible examiner in division {division}; taken from other divisions", ""


# ---------------------------------------------------------------- allocate


@dataclass
class AllocationReport:
    policy: str
    dry_run: bool
    considered: int = 0
    assigned: list[dict[str, Any]] = field(default_factory=list)
    unassigned: list[dict[str, Any]] = field(default_factory=list)
    changed_meanwhile: list[str] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def exit_code(self) -> int:
        """0 done (or nothing to do), 1 some cases left unassigned, 2 none could be assigned."""
        if self.unassigned and not self.assigned:
            return 2
        return 1 if self.unassigned else 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["counts"] = {
            "considered": self.considered,
            "assigned": len(self.assigned),
            "unassigned": len(self.unassigned),
        }
        d["results"] = d.pop("assigned")
        return d


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


_TRACK_ORDER = {"green-channel": 0, "prioritised": 1, "pre-examined": 2}


def new_cases(session: Session, limit: int | None = None) -> list[t.Case]:
    """Open cases with no examiner; fast tracks first, then the oldest filings (they must not wait longest)."""
    track_rank = sql_case(*((t.Case.track == k, v) for k, v in _TRACK_ORDER.items()), else_=9)
    q = (
        select(t.Case)
        .where(t.Case.is_open == true(), t.Case.examiner_id.is_(None))
        .order_by(track_rank, t.Case.filing_date, t.Case.id)
    )
    if limit is not None:
        q = q.limit(limit)
    return list(session.scalars(q))


def allocate(
    session: Session,
    actor: Actor,
    policy: str | Policy = "field-balanced",
    limit: int | None = None,
    dry_run: bool = False,
    *,
    now: dt.datetime | None = None,
    commit: bool = True,
) -> AllocationReport:
    """Assign new cases; writes assignments, case examiner/division and the audit in one transaction.

    A case changed by someone else since it was read (row_version) is left alone and listed in
    `changed_meanwhile`. With `dry_run` nothing is written. `commit=False` leaves the transaction
    to the caller (e.g. inside a larger unit of work)."""
    check("case_allocate", actor)
    pol = get_policy(policy)
    started = time.perf_counter()
    now = now or _utcnow()
    dmap = divisions()
    pool = ExaminerPool(session, dmap, now)
    report = AllocationReport(policy=pol.name, dry_run=dry_run)
    report.warnings += [f"examiner prefix ignored (not IPC): {b}" for b in pool.bad_prefixes]
    cases = new_cases(session, limit)
    report.considered = len(cases)
    picks: list[tuple[t.Case, t.Examiner, str, str | None]] = []
    for case in cases:
        division = dmap.division_for(case.right, case.ipc_main)
        cands, note, rule = pool.candidates(case, division)
        if not cands:
            report.unassigned.append({"case_no": case.case_no, "case_id": case.id, "rule": rule, "reason": note})
            continue
        pool.state.division = division
        examiner, reason = pol.choose(case, cands, pool.state)
        pool.state.took(examiner)
        if case.ipc_main and case.ipc_source == "suggested" and case.right in dmap.ipc_rights:
            reason += f"; field from the suggested IPC {case.ipc_main} (no office classification yet)"
        if note:
            reason += f"; {note}"
        picks.append((case, examiner, reason, division))
    if not dry_run:
        _write(session, actor, pol.name, picks, now, report)
        if commit:
            session.commit()
    else:
        for case, ex, reason, division in picks:
            report.assigned.append(_row(case, ex, reason, division))
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _row(case: t.Case, ex: t.Examiner, reason: str, division: str | None) -> dict[str, Any]:
    return {
        "case_no": case.case_no,
        "case_id": case.id,
        "examiner": ex.code,
        "examiner_id": ex.id,
        "division": ex.division,
        "routed_division": division,
        "reason": reason,
    }


def _write(
    session: Session,
    actor: Actor,
    policy: str,
    picks: list[tuple[t.Case, t.Examiner, str, str | None]],
    now: dt.datetime,
    report: AllocationReport,
) -> None:
    cases_tbl = t.Case.__table__
    recorded = t.utcnow()  # the audit keeps the wall clock; `now` only places the assignment in its week
    assignments: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for case, ex, reason, division in picks:
        res = session.execute(
            update(cases_tbl)
            .where(
                cases_tbl.c.id == case.id,
                cases_tbl.c.examiner_id.is_(None),
                cases_tbl.c.is_open == true(),
                cases_tbl.c.row_version == case.row_version,
            )
            .values(
                examiner_id=ex.id,
                division=ex.division,
                row_version=cases_tbl.c.row_version + 1,
                updated_at=now,
            )
        )
        if res.rowcount != 1:
            report.changed_meanwhile.append(case.case_no)
            continue
        assignments.append(
            {"case_id": case.id, "examiner_id": ex.id, "at": now, "by": actor.name, "policy": policy, "reason": reason}
        )
        audits.append(
            {
                "at": recorded,
                "actor": actor.name,
                "role": str(actor.role),
                "action": "case_allocate",
                "entity": "case",
                "entity_ref": case.case_no,
                "details": {"examiner": ex.code, "division": ex.division, "policy": policy, "reason": reason},
            }
        )
        report.assigned.append(_row(case, ex, reason, division))
    if assignments:
        session.execute(insert(t.CaseAssignment.__table__), assignments)
        session.execute(insert(t.AuditEntry.__table__), audits)
    # the ORM copies of the cases are stale now
    for case, *_ in picks:
        session.expire(case)


# ---------------------------------------------------------------- override


def override(
    session: Session,
    actor: Actor,
    case: t.Case,
    examiner: t.Examiner,
    reason: str,
    *,
    now: dt.datetime | None = None,
    commit: bool = True,
) -> t.CaseAssignment:
    """A supervisor (re)assigns a case by hand. Refused (AllocationRefused, nothing changed) when the
    examiner has a declared conflict with the applicant or agency, does not handle the right, is
    inactive, or lacks the case's field; language, skills and capacity are the supervisor's call
    and only noted in the assignment's reason."""
    check("case_reassign", actor, case)
    if not (reason or "").strip():
        raise AllocationRefused("an override needs a reason")
    now = now or _utcnow()
    dmap = divisions()
    conflict = session.scalar(
        select(t.ExaminerConflict.party_id).where(
            t.ExaminerConflict.examiner_id == examiner.id,
            t.ExaminerConflict.party_id.in_([p for p in (case.applicant_party_id, case.agency_party_id) if p]),
        )
    )
    if conflict is not None:
        who = "applicant" if conflict == case.applicant_party_id else "agency"
        raise AllocationRefused(f"{examiner.code} has a declared conflict with the {who} (party {conflict})")
    if not examiner.active:
        raise AllocationRefused(f"{examiner.code} is not active")
    if case.right not in (examiner.rights or ()):
        raise AllocationRefused(f"{examiner.code} does not examine {case.right} cases")
    notes: list[str] = []
    if case.right in dmap.ipc_rights:
        if not case.ipc_main:
            raise AllocationRefused(f"case {case.case_no} has no IPC: classify it before assigning")
        keys = set(symbol_keys(case.ipc_main))
        own = []
        for p in examiner.ipc_prefixes or ():
            try:
                own.append(prefix_key(str(p)))
            except ValueError:
                continue
        if not keys.intersection(own):
            has = ", ".join(examiner.ipc_prefixes or []) or "-"
            raise AllocationRefused(f"{examiner.code} lacks the field {case.ipc_main} (examines {has})")
    if (case.language or "zh") not in (examiner.languages or ["zh"]):
        notes.append(f"examiner does not list language {case.language}")
    missing = set(dmap.required_skills(case)) - set(examiner.skills or ())
    if missing:
        notes.append(f"examiner lacks skill(s) {', '.join(sorted(missing))}")
    previous = case.examiner_id
    full_reason = reason.strip() + (f" (noted: {'; '.join(notes)})" if notes else "")
    assignment = t.CaseAssignment(
        case_id=case.id,
        examiner_id=examiner.id,
        at=now,
        by=actor.name,
        policy="override",
        reason=full_reason,
        override=True,
    )
    session.add(assignment)
    case.examiner_id = examiner.id
    case.division = examiner.division
    case.row_version = (case.row_version or 0) + 1
    case.updated_at = now
    audit.record(
        session,
        actor,
        "case_reassign",
        "case",
        case.case_no,
        examiner=examiner.code,
        previous_examiner_id=previous,
        reason=full_reason,
    )
    session.flush()
    if commit:
        session.commit()
    return assignment


# ---------------------------------------------------------------- examiners import


@dataclass
class ExaminerImportReport:
    loaded: int = 0
    updated: int = 0
    conflicts: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def exit_code(self) -> int:
        if self.rejected and not (self.loaded or self.updated):
            return 2
        return 1 if self.rejected else 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_LIST_FIELDS = ("rights", "ipc_prefixes", "languages", "skills")
_RIGHTS = {"invention", "utility", "design", "trademark"}
_ROLES = {"examiner", "reviewer", "supervisor"}


def read_examiner_file(path: Path) -> list[dict[str, Any]]:
    """Examiners from YAML (`examiners: [...]` or a list) or CSV (list fields split on ';' or '|',
    conflicts as `party names or ids` split on ';')."""
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = doc.get("examiners") if isinstance(doc, dict) else doc
        if not isinstance(entries, list):
            raise ValueError(f"{path}: expected a list of examiners (or 'examiners:' with a list)")
        return entries
    if suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        out = []
        for row in rows:
            entry: dict[str, Any] = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            for k in (*_LIST_FIELDS, "conflicts"):
                if k in entry:
                    entry[k] = [x.strip() for x in entry[k].replace("|", ";").split(";") if x.strip()]
            out.append(entry)
        return out
    raise ValueError(f"{path}: unknown examiner file type {suffix!r} (use .yaml, .yml or .csv)")


def _validate_examiner(entry: Any) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError("not a mapping")
    code = str(entry.get("code") or "").strip()
    if not code:
        raise ValueError("needs a 'code'")
    out: dict[str, Any] = {
        "code": code,
        "name": str(entry.get("name") or code),
        "division": str(entry.get("division") or ""),
    }
    if not out["division"]:
        raise ValueError("needs a 'division'")
    for k in _LIST_FIELDS:
        v = entry.get(k) or []
        if isinstance(v, str):
            v = [x.strip() for x in v.replace("|", ";").split(";") if x.strip()]
        out[k] = [str(x) for x in v]
    if not out["rights"]:
        raise ValueError("needs 'rights' (invention, utility, design, trademark)")
    bad = set(out["rights"]) - _RIGHTS
    if bad:
        raise ValueError(f"unknown right(s) {sorted(bad)}")
    for p in out["ipc_prefixes"]:
        try:
            prefix_key(p)
        except ValueError as e:
            raise ValueError(f"bad IPC prefix {p!r}: {e}") from None
    out["languages"] = out["languages"] or ["zh"]
    try:
        out["capacity_per_week"] = int(entry.get("capacity_per_week") or 10)
    except (TypeError, ValueError):
        raise ValueError(f"capacity_per_week must be an integer, got {entry.get('capacity_per_week')!r}") from None
    if out["capacity_per_week"] < 0:
        raise ValueError("capacity_per_week must be >= 0")
    out["role"] = str(entry.get("role") or "examiner")
    if out["role"] not in _ROLES:
        raise ValueError(f"unknown role {out['role']!r} ({', '.join(sorted(_ROLES))})")
    active = entry.get("active", True)
    out["active"] = active if isinstance(active, bool) else str(active).strip().lower() not in ("0", "false", "no", "")
    conflicts = []
    for c in entry.get("conflicts") or []:
        if isinstance(c, dict):
            if not (c.get("party_id") or c.get("party")):
                raise ValueError(f"conflict {c!r} needs 'party_id' or 'party'")
            conflicts.append(c)
        else:
            conflicts.append({"party_id": int(c)} if str(c).isdigit() else {"party": str(c)})
    out["conflicts"] = conflicts
    return out


def import_examiners(
    session: Session, actor: Actor, entries: Iterable[Any], *, commit: bool = True
) -> ExaminerImportReport:
    """Create or update examiners by code and add their declared conflicts (parties by id, or by
    name: a party not yet known is created so its future cases are caught). A bad entry is rejected
    with its position and code; the others load. Audited."""
    check("examiner_import", actor)
    rep = ExaminerImportReport()
    resolver = PartyResolver()
    for i, raw in enumerate(entries):
        label = f"entry {i + 1}" + (f" ({raw.get('code')})" if isinstance(raw, dict) and raw.get("code") else "")
        try:
            e = _validate_examiner(raw)
            party_ids = []
            for c in e["conflicts"]:
                if c.get("party_id"):
                    pid = int(c["party_id"])
                    if session.get(t.Party, pid) is None:
                        raise ValueError(f"conflict: no party with id {pid}")
                else:
                    name = str(c["party"])
                    key = party_key(name, str(c.get("kind") or "unknown"), c.get("country"))
                    pid = resolver.resolve_keys(session, [(key, name, c.get("country"), "unknown", "{}")])[0]
                party_ids.append((pid, str(c.get("reason") or "")))
        except ValueError as err:
            rep.rejected += 1
            rep.errors.append(f"{label}: {err}")
            continue
        ex = session.scalar(select(t.Examiner).where(t.Examiner.code == e["code"]))
        fields_ = {k: v for k, v in e.items() if k != "conflicts"}
        if ex is None:
            ex = t.Examiner(**fields_)
            session.add(ex)
            rep.loaded += 1
        else:
            for k, v in fields_.items():
                setattr(ex, k, v)
            rep.updated += 1
        session.flush()
        have = set(session.scalars(select(t.ExaminerConflict.party_id).where(t.ExaminerConflict.examiner_id == ex.id)))
        for pid, why in party_ids:
            if pid not in have:
                session.add(t.ExaminerConflict(examiner_id=ex.id, party_id=pid, reason=why))
                have.add(pid)
                rep.conflicts += 1
        audit.record(
            session,
            actor,
            "examiner_import",
            "examiner",
            ex.code,
            division=ex.division,
            conflicts=[p for p, _ in party_ids],
        )
    session.flush()
    if commit:
        session.commit()
    return rep


def examiner_pool_summary(session: Session) -> dict[str, Any]:
    """How many active examiners each division and right has (for reports)."""
    out: dict[str, Any] = {"divisions": defaultdict(int), "rights": defaultdict(int)}
    for e in session.scalars(select(t.Examiner).where(t.Examiner.active == true())):
        out["divisions"][e.division] += 1
        for r in e.rights or ():
            out["rights"][r] += 1
    return {k: dict(v) for k, v in out.items()}
