"""The store: one SQLAlchemy engine over SQLite (embedded) or PostgreSQL (production).

`open_store()` brings the schema to the latest Alembic revision, so every command works
against an up-to-date data home. Writes go through `upsert_patents` / `upsert_trademarks`,
which make imports idempotent: the same record twice is one row, a changed record is
updated and the change is recorded as an event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, delete, event, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from ipoffice import config
from ipoffice.core import tables as t
from ipoffice.core.model import PartyRef, PatentRecord, TrademarkRecord
from ipoffice.core.names import party_key
from ipoffice.core.numbers import normalize_number


@dataclass
class Store:
    engine: Engine
    home: Path
    Session: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self) -> Session:
        return self.Session()


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001 - DBAPI connection
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


def _json_dumps(obj: Any) -> str:
    return orjson.dumps(obj).decode()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True, json_serializer=_json_dumps)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, json_serializer=_json_dumps)


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the head revision (Alembic, run in-process)."""
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(here))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_store(home: Path | None = None, url: str | None = None, create: bool = True) -> Store:
    home = home or config.data_home()
    url = url or config.database_url(home)
    if url.startswith("sqlite") and create:
        home.mkdir(parents=True, exist_ok=True)
        for sub in ("index", "models"):
            (home / sub).mkdir(exist_ok=True)
    engine = make_engine(url)
    migrate(engine)
    return Store(engine=engine, home=home, Session=sessionmaker(engine, expire_on_commit=False))


def content_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


# ---------------------------------------------------------------- parties


class PartyResolver:
    """Maps names to party ids, creating parties once; cached for a whole import."""

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def resolve(self, session: Session, refs: Sequence[PartyRef]) -> list[int]:
        keys = [party_key(r.name, r.kind, r.country) for r in refs]
        missing = [k for k in dict.fromkeys(keys) if k not in self._cache]
        if missing:
            for chunk in _chunks(missing, 500):
                rows = session.execute(select(t.Party.party_key, t.Party.id).where(t.Party.party_key.in_(chunk)))
                self._cache.update({k: i for k, i in rows})
            new = [k for k in missing if k not in self._cache]
            if new:
                by_key = {party_key(r.name, r.kind, r.country): r for r in refs}
                values = [
                    {
                        "party_key": k,
                        "norm_name": k.split("|", 2)[1],
                        "name": by_key[k].name,
                        "kind": by_key[k].kind if by_key[k].kind != "unknown" else "unknown",
                        "country": (by_key[k].country or "").upper(),
                        "identifiers": by_key[k].identifiers,
                    }
                    for k in new
                ]
                session.execute(insert(t.Party.__table__), values)
                rows = session.execute(select(t.Party.party_key, t.Party.id).where(t.Party.party_key.in_(new)))
                self._cache.update({k: i for k, i in rows})
        return [self._cache[k] for k in keys]


def _chunks(seq: Sequence[Any], n: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


# ---------------------------------------------------------------- patents


@dataclass
class UpsertResult:
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    numbers_loaded: list[str] = field(default_factory=list)


def _display_title(titles: dict[str, str], language: str | None) -> str | None:
    if not titles:
        return None
    for lang in (language, "zh", "en"):
        if lang and lang in titles:
            return titles[lang]
    return next(iter(titles.values()))


def _patent_lifecycle_events(rec: PatentRecord) -> list[tuple[str, dt.date | None]]:
    ev: list[tuple[str, dt.date | None]] = []
    if rec.application_date:
        ev.append(("filed", rec.application_date))
    if rec.publication_date:
        ev.append(("published" if rec.stage != "grant" else "grant-published", rec.publication_date))
    if rec.grant_date:
        ev.append(("granted", rec.grant_date))
    return ev


def upsert_patents(
    session: Session, records: Sequence[tuple[PatentRecord, str]], parties: PartyResolver
) -> UpsertResult:
    """Insert new, update changed and skip unchanged patent records (one batch, caller commits)."""
    res = UpsertResult()
    # The last occurrence of a key in a batch wins: a file that repeats a number is one document.
    by_key: dict[str, tuple[PatentRecord, str]] = {}
    for rec, src in records:
        by_key[rec.key] = (rec, src)
    existing = {}
    for chunk in _chunks(list(by_key), 500):
        for row in session.execute(
            select(
                t.PatentDocument.doc_key, t.PatentDocument.id, t.PatentDocument.content_hash, t.PatentDocument.data
            ).where(t.PatentDocument.doc_key.in_(chunk))
        ):
            existing[row.doc_key] = row
    new_docs, changed = [], []
    for key, (rec, src) in by_key.items():
        data = rec.model_dump(mode="json", exclude_defaults=False)
        h = content_hash(data)
        old = existing.get(key)
        if old is None:
            new_docs.append((rec, src, data, h))
        elif old.content_hash == h:
            res.unchanged += 1
        else:
            changed.append((rec, src, data, h, old))
    now = t.utcnow()
    if new_docs:
        rows = [
            {
                "doc_key": rec.key,
                "number": rec.number,
                "number_norm": normalize_number(rec.number),
                "country": rec.country,
                "kind": rec.kind or "",
                "doc_type": rec.doc_type,
                "stage": rec.stage,
                "number_is_synthetic": rec.number_is_synthetic,
                "application_number": rec.application_number,
                "application_date": rec.application_date,
                "publication_date": rec.publication_date,
                "grant_date": rec.grant_date,
                "language": rec.language,
                "family_id": rec.family_id,
                "legal_status": rec.legal_status,
                "title": _display_title(rec.titles, rec.language),
                "data": data,
                "content_hash": h,
                "source_format": rec.source_format,
                "source_path": src,
                "created_at": now,
                "updated_at": now,
            }
            for rec, src, data, h in new_docs
        ]
        ids = session.execute(
            insert(t.PatentDocument).returning(t.PatentDocument.id, sort_by_parameter_order=True), rows
        )
        id_list = [r[0] for r in ids]
        _insert_patent_children(
            session, [(i, rec) for i, (rec, *_rest) in zip(id_list, new_docs, strict=True)], parties
        )
        ev_rows = []
        for doc_id, (rec, *_r) in zip(id_list, new_docs, strict=True):
            for kind, date in _patent_lifecycle_events(rec):
                ev_rows.append(
                    {
                        "entity": "patent",
                        "entity_id": doc_id,
                        "number": rec.number,
                        "event_type": kind,
                        "date": date,
                        "details": {},
                        "recorded_at": now,
                    }
                )
        if ev_rows:
            session.execute(insert(t.Event.__table__), ev_rows)
        res.loaded += len(new_docs)
        res.numbers_loaded.extend(rec.number for rec, *_r in new_docs)
    for rec, src, data, h, old in changed:
        changed_fields = sorted(k for k in set(data) | set(old.data or {}) if (old.data or {}).get(k) != data.get(k))
        session.execute(
            update(t.PatentDocument)
            .where(t.PatentDocument.id == old.id)
            .values(
                number_norm=normalize_number(rec.number),
                doc_type=rec.doc_type,
                stage=rec.stage,
                application_number=rec.application_number,
                application_date=rec.application_date,
                publication_date=rec.publication_date,
                grant_date=rec.grant_date,
                language=rec.language,
                family_id=rec.family_id,
                legal_status=rec.legal_status,
                title=_display_title(rec.titles, rec.language),
                data=data,
                content_hash=h,
                source_format=rec.source_format,
                source_path=src,
                updated_at=now,
            )
        )
        for tbl in (t.PatentClassification, t.PatentParty, t.PatentCitation):
            session.execute(delete(tbl).where(tbl.document_id == old.id))
        _insert_patent_children(session, [(old.id, rec)], parties)
        session.execute(
            insert(t.Event.__table__),
            [
                {
                    "entity": "patent",
                    "entity_id": old.id,
                    "number": rec.number,
                    "event_type": "record-updated",
                    "date": dt.date.today(),
                    "details": {"changed": changed_fields, "source": src},
                    "recorded_at": now,
                }
            ],
        )
        res.updated += 1
    return res


def _insert_patent_children(session: Session, docs: list[tuple[int, PatentRecord]], parties: PartyResolver) -> None:
    cls_rows, party_rows, cit_rows = [], [], []
    all_refs = [p for _i, rec in docs for p in rec.parties]
    party_ids = iter(parties.resolve(session, all_refs)) if all_refs else iter(())
    for doc_id, rec in docs:
        for c in rec.classifications:
            cls_rows.append(
                {"document_id": doc_id, "scheme": c.scheme, "symbol": c.symbol, "main": c.main, "source": c.source}
            )
        for seq, p in enumerate(rec.parties):
            party_rows.append(
                {
                    "document_id": doc_id,
                    "party_id": next(party_ids),
                    "role": p.role,
                    "sequence": p.sequence if p.sequence is not None else seq,
                    "name_as_printed": p.name,
                }
            )
        for c in rec.citations:
            cit_rows.append(
                {
                    "document_id": doc_id,
                    "cited_country": c.country,
                    "cited_number": c.number,
                    "cited_kind": c.kind,
                    "category": c.category,
                    "text": c.text,
                }
            )
    if cls_rows:
        session.execute(insert(t.PatentClassification.__table__), cls_rows)
    if party_rows:
        session.execute(insert(t.PatentParty.__table__), party_rows)
    if cit_rows:
        session.execute(insert(t.PatentCitation.__table__), cit_rows)


# ---------------------------------------------------------------- trademarks


def _tm_lifecycle_events(rec: TrademarkRecord) -> list[tuple[str, dt.date | None]]:
    ev: list[tuple[str, dt.date | None]] = []
    if rec.filing_date:
        ev.append(("filed", rec.filing_date))
    if rec.publication_date:
        ev.append(("tm-published", rec.publication_date))
    if rec.registration_date:
        ev.append(("registered", rec.registration_date))
    elif rec.status == "registered":
        ev.append(("registered", None))  # the register says so, without a date
    if rec.status in ("refused", "opposed", "invalidated", "cancelled", "expired", "withdrawn"):
        ev.append((rec.status, None))
    return ev


def upsert_trademarks(
    session: Session, records: Sequence[tuple[TrademarkRecord, str]], parties: PartyResolver
) -> UpsertResult:
    res = UpsertResult()
    by_key: dict[str, tuple[TrademarkRecord, str]] = {}
    for rec, src in records:
        by_key[rec.key] = (rec, src)
    existing = {}
    for chunk in _chunks(list(by_key), 500):
        for row in session.execute(
            select(t.Trademark.tm_key, t.Trademark.id, t.Trademark.content_hash, t.Trademark.data).where(
                t.Trademark.tm_key.in_(chunk)
            )
        ):
            existing[row.tm_key] = row
    now = t.utcnow()
    for key, (rec, src) in by_key.items():
        data = rec.model_dump(mode="json")
        h = content_hash(data)
        old = existing.get(key)
        values = {
            "number": rec.number,
            "country": rec.country,
            "mark": rec.mark,
            "mark_type": rec.mark_type,
            "status": rec.status,
            "filing_date": rec.filing_date,
            "registration_date": rec.registration_date,
            "expiry_date": rec.expiry_date,
            "publication_date": rec.publication_date,
            "data": data,
            "content_hash": h,
            "source_format": rec.source_format,
            "source_path": src,
            "updated_at": now,
        }
        if old is not None and old.content_hash == h:
            res.unchanged += 1
            continue
        if old is None:
            tm_id = session.execute(
                insert(t.Trademark).returning(t.Trademark.id), [{"tm_key": key, "created_at": now, **values}]
            ).scalar_one()
            evs = [
                {
                    "entity": "trademark",
                    "entity_id": tm_id,
                    "number": rec.number,
                    "event_type": k,
                    "date": d,
                    "details": {},
                    "recorded_at": now,
                }
                for k, d in _tm_lifecycle_events(rec)
            ]
            res.loaded += 1
            res.numbers_loaded.append(rec.number)
        else:
            tm_id = old.id
            session.execute(update(t.Trademark).where(t.Trademark.id == tm_id).values(**values))
            session.execute(delete(t.TrademarkGoods).where(t.TrademarkGoods.trademark_id == tm_id))
            session.execute(delete(t.TrademarkParty).where(t.TrademarkParty.trademark_id == tm_id))
            changed_fields = sorted(
                k for k in set(data) | set(old.data or {}) if (old.data or {}).get(k) != data.get(k)
            )
            evs = [
                {
                    "entity": "trademark",
                    "entity_id": tm_id,
                    "number": rec.number,
                    "event_type": "record-updated",
                    "date": dt.date.today(),
                    "details": {"changed": changed_fields, "source": src},
                    "recorded_at": now,
                }
            ]
            res.updated += 1
        if evs:
            session.execute(insert(t.Event.__table__), evs)
        if rec.goods:
            session.execute(
                insert(t.TrademarkGoods.__table__),
                [
                    {"trademark_id": tm_id, "nice_class": g.nice_class, "group_code": g.group, "text": g.text}
                    for g in rec.goods
                ],
            )
        if rec.parties:
            ids = parties.resolve(session, rec.parties)
            session.execute(
                insert(t.TrademarkParty.__table__),
                [
                    {"trademark_id": tm_id, "party_id": pid, "role": p.role, "name_as_printed": p.name}
                    for pid, p in zip(ids, rec.parties, strict=True)
                ],
            )
    return res
