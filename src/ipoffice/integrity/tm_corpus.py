"""The trademark register as the bad-faith signals read it: filings, their applicants and agents, related
parties, events, and base rates computed from the register itself (never hard-coded guesses).

One pass of SQL per table (SQLAlchemy Core, portable across SQLite and PostgreSQL); the aggregates the base
rates need (marks and classes per applicant, agent counts) are ``GROUP BY`` queries, so the database does the
counting. What the register holds per filing is then kept in memory (a few hundred bytes a filing).

At 1M marks: the joins use the existing indexes (``trademark_parties.trademark_id/party_id``,
``trademark_goods.trademark_id``, ``events.number``/``ix_event_entity``); the address pass reads
``trademarks.data`` (the stored record JSON) because addresses have no column of their own - at that scale a
``party_addresses(norm_address, party_id)`` table with an index on ``norm_address`` should replace it, and
``events`` wants an index on ``(entity, event_type)`` for the findings and transfer look-ups.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ipoffice.core import tables as t
from ipoffice.core.names import normalize_name

APPLICANT_ROLES = ("applicant", "owner")
AGENT_ROLES = ("agent", "agency", "representative")
ASSIGNEE_ROLES = ("assignee",)
TRANSFER_EVENTS = ("transferred", "assigned", "assignment", "transfer", "转让", "tm-transferred")
FINDING_EVENTS = (
    "invalidated",
    "refused",
    "cancelled",
    "opposed",
    "opposition-upheld",
    "bad-faith-finding",
    "infringement-finding",
    "无效",
    "驳回",
)
BAD_FAITH = re.compile(
    r"恶意|不以使用为目的|不正当手段|侵犯.{0,6}专用权|bad[ -]?faith|not intended for use|improper means|"
    r"infring|squat|art(?:icle)?\.?\s*(?:4|13|15|32|44)\b|第(?:四|十三|十五|三十二|四十四)条",
    re.I,
)
_ADDR_LABEL = re.compile(r"\b(postal|physical|address|for service)\b\s*:?", re.I)
_ADDR_KEEP = re.compile(r"[^0-9a-z\u4e00-\u9fff]+")


def norm_address(addr: str | None) -> str:
    """An address folded for comparison: labels, case, spacing and punctuation dropped; first part only."""
    if not addr:
        return ""
    s = _ADDR_LABEL.sub(" ", addr.lower())
    s = s.split("physical")[0]
    s = _ADDR_KEEP.sub("", s)
    return s[:80] if len(s) >= 8 else ""


@dataclass
class Filing:
    id: int
    number: str
    mark: str | None
    filing_date: dt.date | None
    status: str
    registration_date: dt.date | None
    classes: set[int] = field(default_factory=set)
    applicants: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    assignees: list[int] = field(default_factory=list)


@dataclass
class PartyInfo:
    id: int
    name: str
    norm: str
    kind: str
    identifiers: dict[str, Any]


@dataclass
class Event:
    type: str
    date: dt.date | None
    details: dict[str, Any]

    def text(self) -> str:
        return f"{self.type} {self.details}" if self.details else self.type


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


class TmCorpus:
    """Everything the trademark signals need, read once per scan."""

    def __init__(self, engine: Engine, max_address_parties: int = 5):
        self.filings: dict[int, Filing] = {}
        self.parties: dict[int, PartyInfo] = {}
        self.by_applicant: dict[int, list[int]] = defaultdict(list)
        self.by_agent: dict[int, list[int]] = defaultdict(list)
        self.events: dict[int, list[Event]] = defaultdict(list)
        self.party_events: dict[int, list[Event]] = defaultdict(list)
        self.addresses: dict[int, set[str]] = defaultdict(set)
        self.links: dict[int, list[dict[str, str]]] = defaultdict(list)  # party -> how it relates to others
        self._load(engine)
        self._relate(max_address_parties)
        self._stats(engine)

    # ---------------------------------------------------------------- loading
    def _load(self, engine: Engine) -> None:
        with engine.connect() as c:
            for r in c.execute(
                select(
                    t.Trademark.id,
                    t.Trademark.number,
                    t.Trademark.mark,
                    t.Trademark.filing_date,
                    t.Trademark.status,
                    t.Trademark.registration_date,
                )
            ):
                self.filings[r.id] = Filing(r.id, r.number, r.mark, r.filing_date, r.status, r.registration_date)
            for r in c.execute(select(t.TrademarkGoods.trademark_id, t.TrademarkGoods.nice_class).distinct()):
                f = self.filings.get(r.trademark_id)
                if f is not None and r.nice_class:
                    f.classes.add(int(r.nice_class))
            q = select(
                t.TrademarkParty.trademark_id,
                t.TrademarkParty.role,
                t.Party.id,
                t.Party.name,
                t.Party.norm_name,
                t.Party.kind,
                t.Party.identifiers,
            ).join(t.Party, t.Party.id == t.TrademarkParty.party_id)
            for r in c.execute(q):
                f = self.filings.get(r.trademark_id)
                if f is None:
                    continue
                if r.id not in self.parties:
                    self.parties[r.id] = PartyInfo(r.id, r.name, r.norm_name, r.kind, dict(r.identifiers or {}))
                if r.role in APPLICANT_ROLES:
                    if r.id not in f.applicants:
                        f.applicants.append(r.id)
                        self.by_applicant[r.id].append(f.id)
                elif r.role in AGENT_ROLES:
                    f.agents.append(r.id)
                    self.by_agent[r.id].append(f.id)
                elif r.role in ASSIGNEE_ROLES:
                    f.assignees.append(r.id)
            for r in c.execute(
                select(t.Event.entity, t.Event.entity_id, t.Event.event_type, t.Event.date, t.Event.details).where(
                    t.Event.entity.in_(("trademark", "party")),
                    t.Event.event_type.in_(TRANSFER_EVENTS + FINDING_EVENTS),
                )
            ):
                ev = Event(r.event_type, r.date, dict(r.details or {}))
                (self.events if r.entity == "trademark" else self.party_events)[r.entity_id].append(ev)
            # addresses live in the stored record (see the module docstring for 1M marks)
            for r in c.execute(select(t.Trademark.id, t.Trademark.data)):
                for p in (r.data or {}).get("parties") or []:
                    if p.get("role") in APPLICANT_ROLES and p.get("address"):
                        a = norm_address(p["address"])
                        if a:
                            f = self.filings.get(r.id)
                            for pid in f.applicants if f else []:
                                if normalize_name(p.get("name") or "") == self.parties[pid].norm:
                                    self.addresses[pid].add(a)

    # ---------------------------------------------------------------- related parties
    def _relate(self, max_address_parties: int) -> None:
        """Applicants related by a shared address or a shared identifier (client number, credit code).

        An address many applicants share (a service address, an agent's mailbox) relates nobody: at most
        `max_address_parties` distinct applicants. The agent is not a relation: an agency serves thousands.
        """
        uf = _UnionFind()
        by_addr: dict[str, set[int]] = defaultdict(set)
        for pid, addrs in self.addresses.items():
            if pid in self.by_applicant:
                for a in addrs:
                    by_addr[a].add(pid)
        by_ident: dict[str, set[int]] = defaultdict(set)
        for pid in self.by_applicant:
            for k, v in self.parties[pid].identifiers.items():
                if v:
                    by_ident[f"{k}={v}"].add(pid)
        for via, groups in (("shared address", by_addr), ("shared identifier", by_ident)):
            for key, pids in groups.items():
                if 2 <= len(pids) <= max_address_parties:
                    ps = sorted(pids)
                    for p in ps[1:]:
                        uf.union(ps[0], p)
                    for p in ps:
                        for q in ps:
                            if q != p:
                                self.links[p].append({"party": self.parties[q].name, "via": via, "value": key})
        self.group_of: dict[int, int] = {pid: uf.find(pid) for pid in self.by_applicant}
        self.members: dict[int, list[int]] = defaultdict(list)
        for pid, g in self.group_of.items():
            self.members[g].append(pid)

    def group_filings(self, gid: int) -> list[Filing]:
        seen: dict[int, Filing] = {}
        for pid in self.members.get(gid, []):
            for fid in self.by_applicant[pid]:
                seen[fid] = self.filings[fid]
        return list(seen.values())

    # ---------------------------------------------------------------- base rates
    def _stats(self, engine: Engine) -> None:
        """Marks and classes per applicant (SQL GROUP BY), then per related group, as arrays for percentiles."""
        tp, tg = t.TrademarkParty, t.TrademarkGoods
        per_party_marks: dict[int, int] = {}
        with engine.connect() as c:
            for r in c.execute(
                select(tp.party_id, func.count(func.distinct(tp.trademark_id)))
                .where(tp.role.in_(APPLICANT_ROLES))
                .group_by(tp.party_id)
            ):
                per_party_marks[r[0]] = int(r[1])
            per_party_classes: dict[int, set[int]] = defaultdict(set)
            for r in c.execute(
                select(tp.party_id, tg.nice_class)
                .join(tg, tg.trademark_id == tp.trademark_id)
                .where(tp.role.in_(APPLICANT_ROLES))
                .group_by(tp.party_id, tg.nice_class)
            ):
                per_party_classes[r[0]].add(int(r[1]))
        marks: list[int] = []
        classes: list[int] = []
        for _g, pids in self.members.items():
            marks.append(
                sum(per_party_marks.get(p, 0) for p in pids) if len(pids) > 1 else per_party_marks.get(pids[0], 0)
            )
            cl: set[int] = set()
            for p in pids:
                cl |= per_party_classes.get(p, set())
            classes.append(len(cl))
        self.group_marks = np.array(marks or [0])
        self.group_classes = np.array(classes or [0])

    def percentile(self, what: str, q: float) -> float:
        arr = self.group_marks if what == "marks" else self.group_classes
        return float(np.percentile(arr, q))
