"""The shape of time-limit law as data, checked when the rules file is loaded.

A time limit is not a number of days: it is a provision of a dated instrument (which article,
which paragraph, in force from when to when) that starts on some event, runs from some base
date, ends by the counting rules of the law in force, and has a consequence when missed. The
models here refuse an entry that cannot be trusted (an unknown field, an unknown event, right
or kind, no legal basis, a date range that ends before it starts, a citation of an instrument
not in force during the entry's dates, two entries in force at once for the same time limit)
so that a wrong file fails at start, naming the entry, and never gives a wrong deadline.

Which rule applies. Each entry says which date selects it (`relevant_date`):

* `trigger` (the default): the date of the event that starts the period, i.e. the `date`
  given to `calc` -- the filing date for `filing`, the dispatch date of a notification for
  `refusal`, `office-action` etc., the publication date for `tm-publication`. A period is
  governed by the law in force when it starts.
* `base`: the date the period runs from. Used where the period follows another one and the
  law that matters is the one in force when that first period ends (restoring a missed
  reexamination or priority period under the 2023 Implementing Rules; renewing a trademark
  under the law in force at its expiry).

Deemed receipt (`service` entries) and the counting rules (`counting` entries) are chosen by
the trigger date as well: for a notification that is its dispatch date.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Right = Literal["invention", "utility", "design", "trademark"]
RIGHTS: tuple[str, ...] = ("invention", "utility", "design", "trademark")
PATENT_RIGHTS: tuple[str, ...] = ("invention", "utility", "design")

Service = Literal["mail", "electronic"]
SERVICES: tuple[str, ...] = ("mail", "electronic")

PartyKind = Literal["applicant", "office", "third-party"]
BaseKind = Literal["trigger", "receipt", "priority", "expiry", "previous"]
Counting = Literal["period", "term"]
Needs = Literal["priority_date", "expiry_date"]


@dataclass(frozen=True)
class EventDef:
    """An event that starts time limits, and what its date means."""

    rights: tuple[str, ...]
    date_is: str
    notification: bool = False  # the date is a dispatch date: periods run from deemed receipt
    scheduled: bool = False  # the date is fixed in advance (may lie in the future)


EVENTS: dict[str, EventDef] = {
    "filing": EventDef(RIGHTS, "the filing date (申请日) of the application"),
    "first-filing": EventDef(RIGHTS, "the filing date of the first application a priority claim rests on"),
    "refusal": EventDef(PATENT_RIGHTS, "the dispatch date of the decision of refusal (驳回决定)", notification=True),
    "rights-loss-notice": EventDef(
        PATENT_RIGHTS, "the dispatch date of the notice of loss of rights (权利丧失通知书)", notification=True
    ),
    "office-action": EventDef(
        PATENT_RIGHTS,
        "the dispatch date of the first examination opinion: for an invention the first office action of "
        "substantive examination (第一次审查意见通知书); for a utility model or design the notice of the "
        "preliminary examination",
        notification=True,
    ),
    "office-action-later": EventDef(
        PATENT_RIGHTS, "the dispatch date of a second or later examination opinion", notification=True
    ),
    "grant-notice": EventDef(
        PATENT_RIGHTS, "the dispatch date of the notification to grant (授予专利权通知书)", notification=True
    ),
    "annuity-due": EventDef(
        PATENT_RIGHTS, "the last day an annuity could be paid without surcharge (上一年度期满日)", scheduled=True
    ),
    "tm-publication": EventDef(("trademark",), "the date of the preliminary-approval publication (初步审定公告日)"),
    "tm-registration": EventDef(("trademark",), "the date the registration was approved (核准注册之日)"),
    "tm-refusal": EventDef(("trademark",), "the dispatch date of the refusal notice (驳回通知)", notification=True),
    "tm-expiry": EventDef(
        ("trademark",), "the last day of the registration's ten-year term (有效期满日)", scheduled=True
    ),
}

KINDS: dict[str, str] = {
    "exam-request": "request for substantive examination (实质审查请求)",
    "publication": "publication of the application by the office (公布)",
    "priority": "filing a later application that claims priority (优先权期限)",
    "priority-document": "filing the certified copy of the first application (在先申请文件副本)",
    "priority-claim": "adding or correcting a priority claim (增加或者改正优先权要求)",
    "reexamination": "request for reexamination / review of a refusal (复审)",
    "restoration": "request for restoration of rights (恢复权利)",
    "opposition": "filing an opposition (异议)",
    "renewal": "renewal of a trademark registration (续展)",
    "renewal-grace": "renewal in the grace period (宽展期)",
    "office-action": "response to an examination opinion (答复审查意见)",
    "grant-registration": "registration formalities and fees after the notification to grant (办理登记手续)",
    "annuity-grace": "late payment of an annuity with surcharge (滞纳期)",
    "term-end": "last day of the term of the right (保护期限届满)",
    "examination": "the office's own time limit for examining (审查期限)",
}

CONSEQUENCES: dict[str, str] = {
    "deemed-withdrawn": "the application is deemed withdrawn (视为撤回)",
    "rights-lost": "the right is lost or ends (权利丧失/专利权终止)",
    "priority-lost": "the priority is deemed not claimed or can no longer be claimed (视为未要求优先权)",
    "opposition-closed": "no opposition can be filed any more; registration follows",
    "registration-cancelled": "the registration is cancelled (注销)",
    "refusal-final": "the refusal takes effect (驳回决定生效)",
    "grant-waived": "the right to obtain the patent is deemed waived (视为放弃取得专利权的权利)",
    "grace-period": "only the grace period is left, with a surcharge",
    "term-expired": "the right expires at the end of its term (期满终止)",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Strict):
    """A length of time as the law states it. Years and months follow the corresponding-day rule."""

    years: int = Field(0, ge=0, le=100)
    months: int = Field(0, ge=0, le=1200)
    days: int = Field(0, ge=0, le=3660)

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def __str__(self) -> str:
        parts = [(self.years, "year"), (self.months, "month"), (self.days, "day")]
        return " ".join(f"{n} {u}{'s' if n != 1 else ''}" for n, u in parts if n) or "0 days"


class Instrument(_Strict):
    """A dated legal instrument. Every citation names one; every entry must lie in its dates."""

    zh: str
    en: str
    in_force_from: dt.date
    in_force_to: dt.date | None = None
    source: str | None = None  # path under shared/data/law of the text held, None where no copy is held
    note: str = ""

    @model_validator(mode="after")
    def _range(self) -> Instrument:
        if self.in_force_to is not None and self.in_force_to < self.in_force_from:
            raise ValueError(f"in_force_to {self.in_force_to} is before in_force_from {self.in_force_from}")
        return self


_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 -> 一, 35 -> 三十五, 105 -> 一百零五, 115 -> 一百一十五: article numbers as the texts write them."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    head = _CN_DIGITS[n // 100] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + _CN_DIGITS[rest]
    return head + _CN_DIGITS[rest // 10] + "十" + (_CN_DIGITS[rest % 10] if rest % 10 else "")


class LegalBasis(_Strict):
    """One provision: instrument, article, paragraph (款), item (项), and the words relied on.

    Guidelines are cited by `section` (e.g. 第五部分第七章第1.2节) and `section_en` instead of an article.
    """

    instrument: str
    article: int | None = Field(None, ge=1, le=999)
    paragraph: int | None = Field(None, ge=1, le=20)
    item: int | None = Field(None, ge=1, le=30)
    section: str | None = None
    section_en: str | None = None
    text: str = Field(min_length=4)

    @model_validator(mode="after")
    def _where(self) -> LegalBasis:
        if (self.article is None) == (self.section is None):
            raise ValueError("a citation names either an article or a guidelines section")
        if self.section is not None and (self.paragraph or self.item or not self.section_en):
            raise ValueError("a guidelines section is cited with `section` and `section_en` only")
        if self.item is not None and self.paragraph is None:
            raise ValueError("an item is cited without its paragraph")
        return self

    def cite_zh(self, instruments: dict[str, Instrument]) -> str:
        if self.section:
            return f"{instruments[self.instrument].zh} {self.section}"
        s = f"{instruments[self.instrument].zh} 第{cn_number(self.article or 0)}条"
        if self.paragraph:
            s += f"第{cn_number(self.paragraph)}款"
        if self.item:
            s += f"第（{cn_number(self.item)}）项"
        return s

    def cite_en(self, instruments: dict[str, Instrument]) -> str:
        if self.section:
            return f"{instruments[self.instrument].en} {self.section_en}"
        s = f"{instruments[self.instrument].en} Art. {self.article}"
        if self.paragraph:
            s += f"({self.paragraph})"
        if self.item:
            s += f" item {self.item}"
        return s

    def cite(self, instruments: dict[str, Instrument]) -> str:
        return f"{self.cite_zh(instruments)} / {self.cite_en(instruments)}"


class _Dated(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9./_-]*$", max_length=80)
    effective_from: dt.date
    effective_to: dt.date | None = None  # None: open, still in force
    legal_basis: LegalBasis
    also_cites: list[LegalBasis] = Field(default_factory=list)
    note: str = ""

    @model_validator(mode="after")
    def _range(self):  # noqa: ANN202 - returns the subclass
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"bad date range: effective_to {self.effective_to} is before {self.effective_from}")
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def citations(self) -> list[LegalBasis]:
        return [self.legal_basis, *self.also_cites]


class CountingRule(_Dated):
    """How periods are counted (first day excluded, corresponding day, next working day)."""

    rights: list[Right] = Field(min_length=1)


class ServiceRule(_Dated):
    """When a notification is deemed received: `days` after dispatch, for one way of service."""

    rights: list[Right] = Field(min_length=1)
    service: Service
    days: int = Field(ge=0, le=60)


class Alternative(_Strict):
    """A second way the same period may end (e.g. 16 months from priority or 4 from filing)."""

    base: BaseKind
    period: Period
    combine: Literal["later", "earlier"]


class Extension(_Strict):
    """How a period may be extended, and by how much at most."""

    max: Period
    how: str = Field(min_length=4)
    legal_basis: list[LegalBasis] = Field(min_length=1)


class Rule(_Dated):
    """One time limit as a dated legal rule."""

    kind: str
    rights: list[Right] = Field(min_length=1)
    trigger: str
    variant: str | None = Field(None, pattern=r"^[a-z0-9-]+$")  # a second limit of the same kind, same event
    period: Period
    counting: Counting = "period"  # period: first day excluded; term: a term of protection, ends the day before
    holiday_shift: bool = True  # a period ending on a rest day ends on the next working day
    base: BaseKind
    after: str | None = None  # base `previous`: the kind whose (shifted) end this period runs from
    alternative: Alternative | None = None
    opens_before: Period | None = None  # a window: it opens this long before the deadline
    requires: list[Needs] = Field(default_factory=list)  # inputs without which the rule does not apply
    relevant_date: Literal["trigger", "base"] = "trigger"
    party: PartyKind
    consequence: str | None
    extendable: bool
    extension: Extension | None = None

    @field_validator("kind")
    @classmethod
    def _kind(cls, v: str) -> str:
        if v not in KINDS:
            raise ValueError(f"unknown kind {v!r} (known: {', '.join(KINDS)})")
        return v

    @field_validator("trigger")
    @classmethod
    def _trigger(cls, v: str) -> str:
        if v not in EVENTS:
            raise ValueError(f"unknown event {v!r} (known: {', '.join(EVENTS)})")
        return v

    @field_validator("consequence")
    @classmethod
    def _consequence(cls, v: str | None) -> str | None:
        if v is not None and v not in CONSEQUENCES:
            raise ValueError(f"unknown consequence {v!r} (known: {', '.join(CONSEQUENCES)})")
        return v

    @field_validator("rights")
    @classmethod
    def _unique_rights(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a right is listed twice")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> Rule:
        ev = EVENTS[self.trigger]
        wrong = [r for r in self.rights if r not in ev.rights]
        if wrong:
            raise ValueError(f"event {self.trigger!r} does not occur for {', '.join(wrong)}")
        if (self.base == "previous") != (self.after is not None):
            raise ValueError("`after` names the earlier period, and is needed exactly when base is `previous`")
        if self.after is not None and self.after not in KINDS:
            raise ValueError(f"`after` names unknown kind {self.after!r}")
        bases = [self.base] + ([self.alternative.base] if self.alternative else [])
        if "receipt" in bases and not ev.notification:
            raise ValueError(f"base `receipt` needs a notification, and {self.trigger!r} is not one")
        if "expiry" in bases and "expiry_date" not in self.requires:
            raise ValueError("base `expiry` needs `requires: [expiry_date]`")
        if self.extendable != (self.extension is not None):
            raise ValueError("`extension` must be given exactly when `extendable` is true")
        if self.consequence is None and self.party != "office":
            raise ValueError("only the office's own time limits may have no consequence")
        return self

    @property
    def key(self) -> tuple[str, str, str | None]:
        """What makes two entries versions of the same time limit (besides the right)."""
        return (self.kind, self.trigger, self.variant)


class RuleSet(_Strict):
    """The whole rules file: instruments, counting and service rules, and the time limits."""

    schema_version: Literal[1]
    instruments: dict[str, Instrument]
    counting: list[CountingRule] = Field(default_factory=list)
    service: list[ServiceRule] = Field(default_factory=list)
    time_limits: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        problems = cross_check(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _overlap(a: _Dated, b: _Dated) -> bool:
    a_to = a.effective_to or dt.date.max
    b_to = b.effective_to or dt.date.max
    return a.effective_from <= b_to and b.effective_from <= a_to


def _range_text(e: _Dated) -> str:
    return f"{e.effective_from}..{e.effective_to or 'open'}"


def cross_check(rs: RuleSet) -> list[str]:
    """Checks that need the whole file: ids, citations in force, overlaps, references."""
    problems: list[str] = []
    entries: list[tuple[str, _Dated]] = [
        *(("counting", e) for e in rs.counting),
        *(("service", e) for e in rs.service),
        *(("time_limits", e) for e in rs.time_limits),
    ]
    seen: dict[str, str] = {}
    for section, e in entries:
        if e.id in seen:
            problems.append(f"{section} entry {e.id!r}: id already used in {seen[e.id]}")
        seen.setdefault(e.id, section)
        cites = e.citations() + (e.extension.legal_basis if isinstance(e, Rule) and e.extension else [])
        for c in cites:
            inst = rs.instruments.get(c.instrument)
            if inst is None:
                problems.append(
                    f"{section} entry {e.id!r}: unknown instrument {c.instrument!r} "
                    f"(known: {', '.join(rs.instruments)})"
                )
                continue
            e_to = e.effective_to or dt.date.max
            i_to = inst.in_force_to or dt.date.max
            if e.effective_from < inst.in_force_from or e_to > i_to:
                problems.append(
                    f"{section} entry {e.id!r}: in force {_range_text(e)} but cites {c.instrument} "
                    f"in force {inst.in_force_from}..{inst.in_force_to or 'open'}"
                )

    def overlaps(section: str, items: list[_Dated], key) -> None:  # noqa: ANN001 - key function
        groups: dict[tuple, list[_Dated]] = defaultdict(list)
        for e in items:
            for right in e.rights:  # type: ignore[attr-defined]
                groups[(*key(e), right)].append(e)
        for k, group in groups.items():
            group.sort(key=lambda x: x.effective_from)
            for i, a in enumerate(group):
                for b in group[i + 1 :]:
                    if _overlap(a, b):
                        what = "/".join(str(x) for x in k if x is not None)
                        problems.append(
                            f"{section} entry {b.id!r}: in force {_range_text(b)}, overlapping entry {a.id!r} "
                            f"({_range_text(a)}) for the same time limit ({what})"
                        )

    overlaps("counting", list(rs.counting), lambda e: ())
    overlaps("service", list(rs.service), lambda e: (e.service,))
    overlaps("time_limits", list(rs.time_limits), lambda e: e.key)

    by_key: dict[tuple, list[Rule]] = defaultdict(list)
    for r in rs.time_limits:
        by_key[r.key].append(r)
    for r in rs.time_limits:
        if r.after is not None:
            targets = [
                o for o in by_key.get((r.after, r.trigger, None), []) if set(o.rights) & set(r.rights) and o is not r
            ]
            if not targets:
                problems.append(
                    f"time_limits entry {r.id!r}: `after: {r.after}` names no {r.after} rule of {r.trigger}"
                )
            elif any(o.base == "previous" for o in targets):
                problems.append(f"time_limits entry {r.id!r}: `after: {r.after}` is itself a following period")
    for group in by_key.values():
        if any(r.relevant_date == "base" for r in group):
            shapes = {(r.relevant_date, r.base, r.after) for r in group}
            if len(shapes) > 1:
                ids = ", ".join(repr(r.id) for r in group)
                problems.append(
                    f"time_limits entries {ids}: versions chosen by their base date must share base and relevant_date"
                )
    return problems
