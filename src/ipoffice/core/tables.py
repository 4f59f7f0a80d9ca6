"""Storage schema (SQLAlchemy 2). Alembic migrations in `core/migrations` create it.

One schema serves SQLite (embedded default) and PostgreSQL (production); only portable
types are used (JSON, not JSONB; text dates are never used: real DATE columns).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Party(Base):
    """One applicant, inventor, agency...: the normalized name makes one party of its spellings."""

    __tablename__ = "parties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_key: Mapped[str] = mapped_column(String(440), unique=True)
    norm_name: Mapped[str] = mapped_column(String(400), index=True)
    name: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(20), default="unknown")
    country: Mapped[str] = mapped_column(String(8), default="")
    identifiers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PartyAlias(Base):
    __tablename__ = "party_aliases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"), index=True)
    alias: Mapped[str] = mapped_column(String(400))
    __table_args__ = (UniqueConstraint("party_id", "alias", name="uq_party_alias"),)


class PatentDocument(Base):
    __tablename__ = "patent_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doc_key: Mapped[str] = mapped_column(String(120), unique=True)
    number: Mapped[str] = mapped_column(String(80), index=True)
    number_norm: Mapped[str] = mapped_column(String(80), index=True)
    country: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(8), default="")
    doc_type: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))
    number_is_synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    application_number: Mapped[str | None] = mapped_column(String(80), index=True)
    application_date: Mapped[dt.date | None] = mapped_column(Date)
    publication_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    grant_date: Mapped[dt.date | None] = mapped_column(Date)
    published_flag: Mapped[bool | None] = mapped_column(Boolean)  # PatentRecord.published
    language: Mapped[str | None] = mapped_column(String(8))
    family_id: Mapped[str | None] = mapped_column(String(40), index=True)
    legal_status: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(Text)  # display title (preferred language)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the validated PatentRecord
    content_hash: Mapped[str] = mapped_column(String(64))
    source_format: Mapped[str] = mapped_column(String(60))
    source_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    classifications: Mapped[list[PatentClassification]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    party_links: Mapped[list[PatentParty]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class PatentClassification(Base):
    __tablename__ = "patent_classifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("patent_documents.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(12))
    symbol: Mapped[str] = mapped_column(String(40))
    main: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(12), default="office")
    __table_args__ = (Index("ix_pc_scheme_symbol", "scheme", "symbol"),)


class PatentParty(Base):
    __tablename__ = "patent_parties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("patent_documents.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    name_as_printed: Mapped[str] = mapped_column(String(400))


class PatentCitation(Base):
    __tablename__ = "patent_citations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("patent_documents.id", ondelete="CASCADE"), index=True)
    cited_country: Mapped[str | None] = mapped_column(String(4))
    cited_number: Mapped[str | None] = mapped_column(String(80), index=True)
    cited_kind: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(Text)


class Trademark(Base):
    __tablename__ = "trademarks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tm_key: Mapped[str] = mapped_column(String(120), unique=True)
    number: Mapped[str] = mapped_column(String(80), index=True)
    country: Mapped[str] = mapped_column(String(4))
    mark: Mapped[str | None] = mapped_column(String(400), index=True)
    mark_type: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(24), index=True)
    filing_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    registration_date: Mapped[dt.date | None] = mapped_column(Date)
    expiry_date: Mapped[dt.date | None] = mapped_column(Date)
    publication_date: Mapped[dt.date | None] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_format: Mapped[str] = mapped_column(String(60))
    source_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)

    goods: Mapped[list[TrademarkGoods]] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    party_links: Mapped[list[TrademarkParty]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class TrademarkGoods(Base):
    __tablename__ = "trademark_goods"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trademark_id: Mapped[int] = mapped_column(ForeignKey("trademarks.id", ondelete="CASCADE"), index=True)
    nice_class: Mapped[int] = mapped_column(Integer, index=True)
    group_code: Mapped[str | None] = mapped_column(String(8), index=True)
    text: Mapped[str | None] = mapped_column(Text)


class TrademarkParty(Base):
    __tablename__ = "trademark_parties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trademark_id: Mapped[int] = mapped_column(ForeignKey("trademarks.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    name_as_printed: Mapped[str] = mapped_column(String(400))


class Event(Base):
    """A procedural or record event: filed, published, granted, record-updated, transferred..."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))  # patent | trademark | party
    entity_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(80), index=True)
    event_type: Mapped[str] = mapped_column(String(40), index=True)
    date: Mapped[dt.date | None] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_event_entity", "entity", "entity_id"),)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(20))
    entity_ref: Mapped[str] = mapped_column(String(120))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ImportRun(Base):
    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20), default="running")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)


class SchemeEntry(Base):
    """An entry of a classification scheme: IPC (per edition), Nice, 类似群, Locarno."""

    __tablename__ = "scheme_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scheme: Mapped[str] = mapped_column(String(20))  # ipc | nice | cn-group | cn-item | locarno
    version: Mapped[str] = mapped_column(String(20))  # e.g. 2026.01, 1980, ncl13, 2017
    symbol: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(20))  # section|class|subclass|main-group|subgroup|group|item...
    parent: Mapped[str | None] = mapped_column(String(40), index=True)
    title_zh: Mapped[str | None] = mapped_column(Text)
    title_en: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    __table_args__ = (
        UniqueConstraint("scheme", "version", "symbol", name="uq_scheme_symbol"),
        Index("ix_scheme_symbol", "scheme", "symbol"),
    )


class ApiToken(Base):
    """An API credential: who the caller is and which role they act in."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Meta(Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# ---------------------------------------------------------------- examination workflow


class Examiner(Base):
    """An examiner: division, technical fields (IPC prefixes), languages, skills, weekly capacity."""

    __tablename__ = "examiners"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    division: Mapped[str] = mapped_column(String(60), index=True)
    rights: Mapped[list[Any]] = mapped_column(JSON, default=list)  # invention, utility, design, trademark
    ipc_prefixes: Mapped[list[Any]] = mapped_column(JSON, default=list)  # e.g. ["G06F", "H04L 9"]
    languages: Mapped[list[Any]] = mapped_column(JSON, default=list)  # zh, en, ja, de ...
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)  # e.g. reexamination, pct, green-channel
    capacity_per_week: Mapped[int] = mapped_column(Integer, default=10)
    role: Mapped[str] = mapped_column(String(20), default="examiner")  # examiner | reviewer | supervisor
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ExaminerConflict(Base):
    """A declared conflict of interest: the examiner never gets cases of this party."""

    __tablename__ = "examiner_conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    examiner_id: Mapped[int] = mapped_column(ForeignKey("examiners.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Case(Base):
    """An application as the office handles it: one procedure, one state, one examiner at a time."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_no: Mapped[str] = mapped_column(String(60), unique=True)
    right: Mapped[str] = mapped_column(String(16), index=True)  # invention | utility | design | trademark
    procedure: Mapped[str] = mapped_column(String(60))  # procedure definition id
    procedure_version: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(40), index=True)
    track: Mapped[str] = mapped_column(
        String(24), default="normal", index=True
    )  # normal|prioritised|pre-examined|green-channel
    document_id: Mapped[int | None] = mapped_column(ForeignKey("patent_documents.id"), index=True)
    trademark_id: Mapped[int | None] = mapped_column(ForeignKey("trademarks.id"), index=True)
    applicant_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    agency_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    ipc_main: Mapped[str | None] = mapped_column(String(40), index=True)
    ipc_source: Mapped[str | None] = mapped_column(String(12))  # office | suggested
    filing_date: Mapped[dt.date] = mapped_column(Date, index=True)
    priority_date: Mapped[dt.date | None] = mapped_column(Date)
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("examiners.id"), index=True)
    division: Mapped[str | None] = mapped_column(String(60), index=True)
    first_action_date: Mapped[dt.date | None] = mapped_column(Date)
    final_decision_date: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(30))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_case_worklist", "examiner_id", "is_open", "state"),)


class CaseEvent(Base):
    """One step of a case's life: a transition of its procedure, with who, when and why."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class CaseDeadline(Base):
    """A time limit running on a case: computed from its trigger by the rules in force."""

    __tablename__ = "case_deadlines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    party: Mapped[str] = mapped_column(String(12), default="applicant")  # who must act: applicant | office
    trigger_event: Mapped[str] = mapped_column(String(60))
    trigger_date: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    legal_basis: Mapped[str] = mapped_column(Text)
    consequence: Mapped[str | None] = mapped_column(String(60))  # e.g. deemed-withdrawn
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open|met|extended|lapsed|cancelled
    extended_to: Mapped[dt.date | None] = mapped_column(Date)
    rule_id: Mapped[str | None] = mapped_column(String(80))
    __table_args__ = (
        Index("ix_deadline_due", "status", "deadline", "id"),  # the office-wide due list, sorted by date
        Index("ix_deadline_case", "case_id", "status", "deadline"),  # an examiner's next limits per case
    )


class CaseAssignment(Base):
    __tablename__ = "case_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    examiner_id: Mapped[int] = mapped_column(ForeignKey("examiners.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    by: Mapped[str] = mapped_column(String(120))
    policy: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    override: Mapped[bool] = mapped_column(Boolean, default=False)


class ProposedAction(Base):
    """A legal consequence the system proposes (e.g. deemed withdrawn); staff confirm or reject it."""

    __tablename__ = "proposed_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    deadline_id: Mapped[int | None] = mapped_column(ForeignKey("case_deadlines.id"))
    action: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)  # proposed|confirmed|rejected
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class QualityReview(Base):
    """A finished action sampled for quality review, with the checklist and findings."""

    __tablename__ = "quality_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    case_event_id: Mapped[int] = mapped_column(ForeignKey("case_events.id"), index=True)
    examiner_id: Mapped[int | None] = mapped_column(ForeignKey("examiners.id"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("examiners.id"), index=True)
    sample_reason: Mapped[str] = mapped_column(String(20))  # random | risk
    risk_score: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending | done
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{category, severity, note}]
    sampled_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


# ---------------------------------------------------------------- integrity desk


class IntegrityScan(Base):
    """One run of `integrity scan`: when, what kind, from which date, on which engine, and what it found."""

    __tablename__ = "integrity_scans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished: Mapped[dt.datetime | None] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20), default="all")  # patent | trademark | all
    since: Mapped[dt.date | None] = mapped_column(Date)
    engine: Mapped[str] = mapped_column(String(20), default="duckdb")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class IntegrityFlag(Base):
    """A suspected abnormal filing behaviour on one record: one row per (kind, number, behaviour), updated by
    re-scans; an examiner's decision (status) survives re-scans."""

    __tablename__ = "integrity_flags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # patent | trademark | agency
    number: Mapped[str] = mapped_column(String(80), index=True)
    behaviour: Mapped[str] = mapped_column(String(20), index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    legal_basis: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rule_version: Mapped[str] = mapped_column(String(40), default="")
    signal: Mapped[str] = mapped_column(String(60), default="")
    filing_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)  # open | confirmed | dismissed
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("integrity_scans.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("kind", "number", "behaviour", name="uq_integrity_flag"),)


class IntegrityReview(Base):
    """An examiner's decision on a flag, with the note that justifies it (the history is kept)."""

    __tablename__ = "integrity_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("integrity_flags.id", ondelete="CASCADE"), index=True)
    decision: Mapped[str] = mapped_column(String(20))  # confirm | dismiss
    note: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
