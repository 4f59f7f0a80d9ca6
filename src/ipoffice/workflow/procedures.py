"""Procedures as data: each right's procedure is a state machine read from dated YAML files.

Why data and not code: the law changes (the 2023 Implementing Rules renumbered the articles
and added delayed examination and the open licence), and a case must keep following the
rules in force on its filing date. So each procedure file holds dated versions; a version
lists states, the events that move a case between them, who may trigger each event, its
conditions, the time limits it starts and meets, and the articles it rests on. A later
version may `extend` an earlier one, carrying its citations over through an article
concordance (also data, in `_law.yaml`).

The loader refuses a file that is wrong rather than guessing: an unknown state in a
transition, a state no event reaches, a transition out of a terminal state, two versions in
force on the same day, a transition without legal basis, or a citation of an instrument not
in force during the version. Every message names the file, the version and the entry.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ipoffice.core.roles import Role

DATA_DIR = Path(__file__).resolve().parents[1] / "rules" / "data" / "procedures"
LAW_FILE = "_law.yaml"
RIGHTS = ("invention", "utility", "design", "trademark")
NOTICES = ("office-action", "grant-notice", "refusal", "deemed-withdrawn")
SAME = "$same"
RETURN = "$return"
RETURN_FROM = "$return-from:"

_CN_NUM = "零〇一二三四五六七八九十百"
CITATION = re.compile(
    rf"^(?P<instrument>\S+?\(\d{{4}}\)) (?P<article>第[{_CN_NUM}]+条)"
    r"(?P<paragraph>第[一二三四五六七八九十]+款)?(?P<item>第[（(][一二三四五六七八九十]+[）)]项)?$"
)


class ProcedureError(ValueError):
    """A procedure file that cannot be used; the message names the file and the entry."""


class NoProcedure(LookupError):
    """No procedure version is in force for a right on a date."""


# ---------------------------------------------------------------- file schema (pydantic)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Instrument(_Strict):
    title: str
    title_en: str | None = None
    effective_from: dt.date
    effective_to: dt.date | None = None
    law_file: str | None = None
    note: str | None = None


class Concordance(_Strict):
    from_: str = Field(alias="from")
    to: str
    articles: dict[str, str]


class LawFile(_Strict):
    instruments: dict[str, Instrument]
    concordances: dict[str, Concordance] = {}


class StateDef(_Strict):
    label: str
    label_en: str | None = None
    open: bool = True
    terminal: bool = False
    note: str | None = None


class Condition(_Strict):
    """One thing that must hold before an event may be applied; `text` says it in words."""

    occurred: str | None = None  # this event is in the case's history
    not_occurred: str | None = None  # this event is not
    after_deadline: str | None = None  # every time limit of this kind has run out (or there is none)
    after_deadlines_started_by: str | None = None  # every time limit this trigger event started has run out
    text: str

    @model_validator(mode="after")
    def _one(self) -> Condition:
        set_ = [
            k for k in ("occurred", "not_occurred", "after_deadline", "after_deadlines_started_by") if getattr(self, k)
        ]
        if len(set_) != 1:
            raise ValueError(f"a condition needs exactly one test, got {set_ or 'none'}")
        return self


class Transition(_Strict):
    event: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    label: str
    label_en: str | None = None
    from_: list[str] = Field(alias="from")
    to: str
    roles: list[str]
    legal_basis: list[str] = []
    conditions: list[Condition] = []
    starts: list[str] = []  # events passed to deadlines.calc
    starts_repeat: list[str] | None = None  # instead of `starts` when the event happened before (2nd office action)
    satisfies: list[str] = []  # deadline kinds this event meets
    satisfies_started_by: list[str] = []  # deadlines started by these trigger events are met
    cancels: list[str] = []  # deadline kinds no longer running ("*": all)
    first_action: bool = False
    final_decision: bool = False
    outcome: str | None = None
    reopen: bool = False  # clears the final decision (restoration, a refusal revoked)
    notice: Literal["office-action", "grant-notice", "refusal", "deemed-withdrawn"] | None = None
    note: str | None = None
    replace: bool = False  # in an extending version: replaces the parent's transitions of this event

    @property
    def is_opening(self) -> bool:
        return not self.from_

    @property
    def basis_text(self) -> str:
        return "；".join(self.legal_basis)


class LapseRule(_Strict):
    """What a missed time limit leads to: the first of `events` the case's state allows
    (no events: nothing follows, e.g. a trademark's term ends but the grace period runs on)."""

    kind: str | None = None
    started_by: str | None = None
    consequence: str | None = None
    events: list[str]
    note: str | None = None

    @model_validator(mode="after")
    def _some(self) -> LapseRule:
        if not (self.kind or self.started_by or self.consequence):
            raise ValueError("a lapse rule needs kind, started_by or consequence")
        return self

    def matches(self, kind: str, trigger_event: str, consequence: str | None) -> bool:
        return (
            (self.kind is None or self.kind == kind)
            and (self.started_by is None or self.started_by == trigger_event)
            and (self.consequence is None or self.consequence == consequence)
        )


class VersionDef(_Strict):
    version: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    instruments: list[str] = Field(min_length=1)
    note: str | None = None
    extends: str | None = None
    concordance: str | None = None
    initial: str | None = None
    state_groups: dict[str, list[str]] = {}
    states: dict[str, StateDef] = {}
    transitions: list[Transition] = []
    remove_events: list[str] = []
    lapse: list[LapseRule] | None = None


class ProcedureFile(_Strict):
    procedure: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    right: Literal["invention", "utility", "design", "trademark"]
    title: str
    title_en: str | None = None
    role_groups: dict[str, list[str]] = {}
    versions: list[VersionDef] = Field(min_length=1)


# ---------------------------------------------------------------- loaded procedures


@dataclass
class ProcedureVersion:
    """One dated version of a procedure, with groups expanded and inheritance resolved."""

    procedure: str
    right: str
    title: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None
    instruments: list[str]
    note: str | None
    initial: str
    states: dict[str, StateDef]
    transitions: list[Transition]
    lapse: list[LapseRule]
    source: str
    _by_event: dict[str, list[Transition]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for tr in self.transitions:
            self._by_event.setdefault(tr.event, []).append(tr)

    @property
    def key(self) -> str:
        return f"{self.procedure}/{self.version}"

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @property
    def opening(self) -> Transition:
        return next(tr for tr in self.transitions if tr.is_opening)

    def events(self) -> set[str]:
        return set(self._by_event)

    def transition(self, event: str, state: str) -> Transition | None:
        """The transition `event` takes from `state` (at most one: the loader refuses ambiguity)."""
        for tr in self._by_event.get(event, ()):
            if state in tr.from_:
                return tr
        return None

    def transitions_from(self, state: str) -> list[Transition]:
        return [tr for tr in self.transitions if state in tr.from_]

    def allowed_events(self, state: str) -> list[str]:
        return list(dict.fromkeys(tr.event for tr in self.transitions_from(state)))

    def state_label(self, state: str) -> str:
        s = self.states.get(state)
        return s.label if s else state

    def lapse_rule(self, kind: str, trigger_event: str, consequence: str | None) -> LapseRule | None:
        """The first lapse rule for a missed time limit (None: the procedure has none)."""
        return next((r for r in self.lapse if r.matches(kind, trigger_event, consequence)), None)

    def lapse_events(self, kind: str, trigger_event: str, consequence: str | None) -> list[str]:
        rule = self.lapse_rule(kind, trigger_event, consequence)
        return list(rule.events) if rule else []

    def describe(self) -> dict[str, Any]:
        """The version as plain data (for `ipoffice case procedure` and the portal)."""
        return {
            "procedure": self.procedure,
            "right": self.right,
            "title": self.title,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "instruments": self.instruments,
            "note": self.note,
            "initial": self.initial,
            "states": {k: v.model_dump(exclude_none=True) for k, v in self.states.items()},
            "transitions": [
                tr.model_dump(by_alias=True, exclude_defaults=True, exclude={"replace"}) for tr in self.transitions
            ],
            "lapse": [r.model_dump(exclude_none=True) for r in self.lapse],
        }


@dataclass
class Procedures:
    """Every procedure version, by procedure id, in effective-date order."""

    by_procedure: dict[str, list[ProcedureVersion]]
    law: LawFile

    def versions(self) -> Iterator[ProcedureVersion]:
        for versions in self.by_procedure.values():
            yield from versions

    def for_case(self, right: str, filing_date: dt.date) -> ProcedureVersion:
        """The version a case of `right` filed on `filing_date` follows."""
        if right not in RIGHTS:
            raise NoProcedure(f"unknown right {right!r}; one of {', '.join(RIGHTS)}")
        for v in self.versions():
            if v.right == right and v.in_force(filing_date):
                return v
        known = ", ".join(
            f"{v.key} ({v.effective_from}..{v.effective_to or ''})" for v in self.versions() if v.right == right
        )
        raise NoProcedure(f"no {right} procedure in force on {filing_date} (versions: {known or 'none'})")

    def get(self, procedure: str, version: str) -> ProcedureVersion:
        for v in self.by_procedure.get(procedure, ()):
            if v.version == version:
                return v
        raise NoProcedure(f"no procedure version {procedure}/{version}")


# ---------------------------------------------------------------- loading and validation


def parse_citation(text: str) -> dict[str, str] | None:
    """'专利法(2020) 第三十五条第一款' -> {instrument, article, paragraph, item}; None if malformed."""
    m = CITATION.match(text)
    return {k: v or "" for k, v in m.groupdict().items()} if m else None


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProcedureError(f"{path.name}: not valid YAML: {exc}") from None


def _pydantic_message(path: Path, raw: Any, exc: ValidationError) -> str:
    """Name the entry a schema error is in: the version and the transition's event, not just a path."""
    parts = []
    for err in exc.errors()[:5]:
        loc = list(err["loc"])
        where = ".".join(str(x) for x in loc)
        try:
            if loc[:1] == ["versions"] and isinstance(loc[1], int):
                ver = raw["versions"][loc[1]]
                where = f"version {ver.get('version', loc[1])!s}"
                if len(loc) > 3 and loc[2] == "transitions" and isinstance(loc[3], int):
                    tr = ver["transitions"][loc[3]]
                    where += f" transition #{loc[3] + 1} {tr.get('event', '?')!r}"
                    rest = loc[4:]
                else:
                    rest = loc[2:]
                if rest:
                    where += " field " + ".".join(str(x) for x in rest)
        except (KeyError, IndexError, TypeError, AttributeError):
            pass
        parts.append(f"{where}: {err['msg']}")
    return f"{path.name}: " + "; ".join(parts)


def load_law(folder: Path) -> LawFile:
    path = folder / LAW_FILE
    if not path.is_file():
        raise ProcedureError(f"{folder}: missing {LAW_FILE} (instruments and concordances)")
    raw = _read_yaml(path)
    try:
        law = LawFile.model_validate(raw)
    except ValidationError as exc:
        raise ProcedureError(_pydantic_message(path, raw, exc)) from None
    for name, inst in law.instruments.items():
        if inst.effective_to and inst.effective_to < inst.effective_from:
            raise ProcedureError(f"{LAW_FILE}: instrument {name}: effective_to before effective_from")
    for name, conc in law.concordances.items():
        for side in (conc.from_, conc.to):
            if side not in law.instruments:
                raise ProcedureError(f"{LAW_FILE}: concordance {name}: unknown instrument {side!r}")
    return law


def load_procedures(folder: Path | None = None) -> Procedures:
    """Read and validate every procedure file of `folder` (default: the bundled law data)."""
    folder = folder or DATA_DIR
    law = load_law(folder)
    by_procedure: dict[str, list[ProcedureVersion]] = {}
    source_of: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        raw = _read_yaml(path)
        try:
            pf = ProcedureFile.model_validate(raw)
        except ValidationError as exc:
            raise ProcedureError(_pydantic_message(path, raw, exc)) from None
        if pf.procedure in by_procedure:
            raise ProcedureError(
                f"{path.name}: procedure {pf.procedure!r} is also defined in {source_of[pf.procedure]}"
            )
        source_of[pf.procedure] = path.name
        by_procedure[pf.procedure] = _build_versions(path.name, pf, law)
    _check_rights_do_not_overlap(by_procedure)
    return Procedures(by_procedure=by_procedure, law=law)


@functools.cache
def default_procedures() -> Procedures:
    """The bundled procedures, loaded and validated once per process."""
    return load_procedures(DATA_DIR)


def procedure_for(right: str, filing_date: dt.date) -> ProcedureVersion:
    return default_procedures().for_case(right, filing_date)


def _check_rights_do_not_overlap(by_procedure: dict[str, list[ProcedureVersion]]) -> None:
    """Two procedures of one right in force on the same day would leave a case's version undecided."""
    allv = [v for vs in by_procedure.values() for v in vs]
    for i, a in enumerate(allv):
        for b in allv[i + 1 :]:
            if a.right == b.right and a.procedure != b.procedure and _overlap(a, b):
                raise ProcedureError(
                    f"{a.source}: {a.key} and {b.source}: {b.key} are both {a.right} procedures in force "
                    f"on {max(a.effective_from, b.effective_from)}"
                )


def _overlap(a: ProcedureVersion | VersionDef, b: ProcedureVersion | VersionDef) -> bool:
    a_to = a.effective_to or dt.date.max
    b_to = b.effective_to or dt.date.max
    return a.effective_from <= b_to and b.effective_from <= a_to


def _build_versions(source: str, pf: ProcedureFile, law: LawFile) -> list[ProcedureVersion]:
    built: dict[str, ProcedureVersion] = {}
    raw_groups: dict[str, dict[str, list[str]]] = {}
    for vdef in pf.versions:
        where = f"{source}: procedure {pf.procedure} version {vdef.version}"
        if vdef.version in built:
            raise ProcedureError(f"{where}: version defined twice")
        if vdef.effective_to and vdef.effective_to < vdef.effective_from:
            raise ProcedureError(f"{where}: effective_to {vdef.effective_to} is before effective_from")
        parent = None
        if vdef.extends:
            parent = built.get(vdef.extends)
            if parent is None:
                raise ProcedureError(f"{where}: extends unknown (or later) version {vdef.extends!r}")
        built[vdef.version], raw_groups[vdef.version] = _build_version(where, source, pf, vdef, parent, raw_groups, law)
    versions = sorted(built.values(), key=lambda v: v.effective_from)
    for a, b in zip(versions, versions[1:], strict=False):
        if _overlap(a, b):
            raise ProcedureError(
                f"{source}: procedure {pf.procedure}: versions "
                f"{a.version} ({a.effective_from}..{a.effective_to or ''}) and "
                f"{b.version} ({b.effective_from}..{b.effective_to or ''}) overlap"
            )
    return versions


def _build_version(
    where: str,
    source: str,
    pf: ProcedureFile,
    vdef: VersionDef,
    parent: ProcedureVersion | None,
    raw_groups: dict[str, dict[str, list[str]]],
    law: LawFile,
) -> tuple[ProcedureVersion, dict[str, list[str]]]:
    # -- inheritance: the parent's states, groups, transitions and lapse rules, then this version's
    states: dict[str, StateDef] = dict(parent.states) if parent else {}
    states.update(vdef.states)
    groups: dict[str, list[str]] = dict(raw_groups.get(parent.version, {})) if parent else {}
    groups.update(vdef.state_groups)
    inherited: list[Transition] = []
    if parent:
        conc = None
        if vdef.concordance:
            conc = law.concordances.get(vdef.concordance)
            if conc is None:
                raise ProcedureError(f"{where}: unknown concordance {vdef.concordance!r}")
        replaced = {tr.event for tr in vdef.transitions if tr.replace} | set(vdef.remove_events)
        for tr in parent.transitions:
            if tr.event in replaced:
                continue
            if conc:
                tr = tr.model_copy(
                    update={"legal_basis": [_translate(where, tr, c, conc, vdef.concordance) for c in tr.legal_basis]}
                )
            inherited.append(tr)
    initial = vdef.initial or (parent.initial if parent else None)
    if not initial:
        raise ProcedureError(f"{where}: no initial state")
    if not states:
        raise ProcedureError(f"{where}: no states")
    lapse = list(vdef.lapse) if vdef.lapse is not None else (list(parent.lapse) if parent else [])

    # -- groups of states and roles
    for g, members in groups.items():
        if g in states:
            raise ProcedureError(f"{where}: state group {g!r} has the name of a state")
        for m in members:
            if m not in states:
                raise ProcedureError(f"{where}: state group {g!r}: unknown state {m!r}")
    for g, members in pf.role_groups.items():
        for m in members:
            if m not in {r.value for r in Role}:
                raise ProcedureError(f"{source}: role group {g!r}: unknown role {m!r}")

    def expand_states(names: Iterable[str], what: str) -> list[str]:
        out: list[str] = []
        for n in names:
            if n in groups:
                out.extend(groups[n])
            elif n in states:
                out.append(n)
            else:
                raise ProcedureError(f"{what}: unknown state {n!r}")
        return list(dict.fromkeys(out))

    def expand_roles(names: Iterable[str], what: str) -> list[str]:
        out: list[str] = []
        for n in names:
            if n in pf.role_groups:
                out.extend(pf.role_groups[n])
            elif n in {r.value for r in Role}:
                out.append(n)
            else:
                raise ProcedureError(f"{what}: unknown role {n!r}")
        return list(dict.fromkeys(out))

    # -- transitions
    transitions: list[Transition] = []
    own_start = len(inherited)
    for i, tr in enumerate(inherited + list(vdef.transitions)):
        what = f"{where}: transition #{i + 1 - own_start if i >= own_start else i + 1} {tr.event!r}"
        if i < own_start:
            what = f"{where}: inherited transition {tr.event!r}"
        if not tr.legal_basis:
            raise ProcedureError(f"{what}: missing legal basis")
        for c in tr.legal_basis:
            _check_citation(what, c, vdef, law)
        from_ = expand_states(tr.from_, what)
        for s in from_:
            if states[s].terminal:
                raise ProcedureError(f"{what}: leaves terminal state {s!r}")
        to = tr.to
        if to in (SAME, RETURN):
            if not from_:
                raise ProcedureError(f"{what}: the opening transition cannot go to {to}")
        elif to.startswith(RETURN_FROM):
            if to[len(RETURN_FROM) :] not in states:
                raise ProcedureError(f"{what}: unknown state {to[len(RETURN_FROM) :]!r} in {to}")
        elif to not in states:
            raise ProcedureError(f"{what}: unknown state {to!r}")
        if not tr.roles:
            raise ProcedureError(f"{what}: no roles may trigger it")
        transitions.append(
            tr.model_copy(update={"from_": from_, "roles": expand_roles(tr.roles, what), "replace": False})
        )

    events = {tr.event for tr in transitions}
    openings = [tr for tr in transitions if tr.is_opening]
    if len(openings) != 1:
        raise ProcedureError(f"{where}: needs exactly one opening transition (from: []), found {len(openings)}")
    if openings[0].to != initial:
        raise ProcedureError(
            f"{where}: opening transition {openings[0].event!r} must reach the initial state {initial!r}"
        )
    if initial not in states:
        raise ProcedureError(f"{where}: unknown initial state {initial!r}")
    if states[initial].terminal:
        raise ProcedureError(f"{where}: the initial state {initial!r} is terminal")
    for name, st in states.items():
        if st.terminal and st.open:
            raise ProcedureError(f"{where}: state {name!r} is terminal but marked open")
    for i, a in enumerate(transitions):
        for b in transitions[i + 1 :]:
            if a.event == b.event and set(a.from_) & set(b.from_):
                raise ProcedureError(
                    f"{where}: event {a.event!r} is ambiguous from state(s) {sorted(set(a.from_) & set(b.from_))}"
                )
        for c in a.conditions:
            ref = c.occurred or c.not_occurred
            if ref and ref not in events:
                raise ProcedureError(f"{where}: transition {a.event!r}: condition names unknown event {ref!r}")
    for n, rule in enumerate(lapse):
        for e in rule.events:
            if e not in events:
                raise ProcedureError(f"{where}: lapse rule #{n + 1}: unknown event {e!r}")
    _check_reachable(where, initial, states, transitions)
    version = ProcedureVersion(
        procedure=pf.procedure,
        right=pf.right,
        title=pf.title,
        version=vdef.version,
        effective_from=vdef.effective_from,
        effective_to=vdef.effective_to,
        instruments=list(vdef.instruments),
        note=vdef.note,
        initial=initial,
        states=states,
        transitions=transitions,
        lapse=lapse,
        source=source,
    )
    return version, groups


def _translate(where: str, tr: Transition, citation: str, conc: Concordance, name: str | None) -> str:
    parts = parse_citation(citation)
    if parts is None or parts["instrument"] != conc.from_:
        return citation
    new_article = conc.articles.get(parts["article"])
    if new_article is None:
        raise ProcedureError(
            f"{where}: inherited transition {tr.event!r} cites {citation!r}, which concordance {name} does not map"
        )
    return f"{conc.to} {new_article}{parts['paragraph']}{parts['item']}"


def _check_citation(what: str, citation: str, vdef: VersionDef, law: LawFile) -> None:
    parts = parse_citation(citation)
    if parts is None:
        raise ProcedureError(f"{what}: legal basis {citation!r} is not of the form '专利法(2020) 第三十五条第一款'")
    name = parts["instrument"]
    inst = law.instruments.get(name)
    if inst is None:
        raise ProcedureError(f"{what}: legal basis {citation!r} cites unknown instrument {name!r}")
    if name not in vdef.instruments:
        raise ProcedureError(f"{what}: legal basis {citation!r}: {name} is not among the version's instruments")
    if not _overlap(inst, vdef):  # type: ignore[arg-type]
        raise ProcedureError(
            f"{what}: legal basis {citation!r}: {name} ({inst.effective_from}..{inst.effective_to or ''}) "
            f"is not in force during the version ({vdef.effective_from}..{vdef.effective_to or ''})"
        )


def _check_reachable(where: str, initial: str, states: dict[str, StateDef], transitions: list[Transition]) -> None:
    into: dict[str, set[str]] = {}
    for tr in transitions:
        if tr.to in states:
            for s in tr.from_:
                into.setdefault(tr.to, set()).add(s)
    seen = {initial}
    todo = [initial]
    while todo:
        s = todo.pop()
        for tr in transitions:
            if s not in tr.from_:
                continue
            if tr.to == SAME:
                targets: set[str] = set()
            elif tr.to == RETURN:
                targets = into.get(s, set())
            elif tr.to.startswith(RETURN_FROM):
                targets = into.get(tr.to[len(RETURN_FROM) :], set())
            else:
                targets = {tr.to}
            for nxt in targets - seen:
                seen.add(nxt)
                todo.append(nxt)
    unreachable = [s for s in states if s not in seen]
    if unreachable:
        raise ProcedureError(f"{where}: state(s) {', '.join(map(repr, unreachable))} unreachable from {initial!r}")
