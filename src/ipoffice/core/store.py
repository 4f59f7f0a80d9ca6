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
from dataclasses import dataclass
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


class RawJSON(str):
    """JSON already serialized (by `prepare`, maybe in a worker process): stored as is."""


def _json_dumps(obj: Any) -> str:
    return obj if isinstance(obj, RawJSON) else orjson.dumps(obj).decode()


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


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The top-level fields whose values differ: what a `record-updated` event lists."""
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


Prepared = tuple[RawJSON, str]


def prepare(rec: PatentRecord | TrademarkRecord) -> Prepared:
    """Serialize a record once and hash it (the same bytes feed the hash and the JSON column).

    Cheap to call in a parser worker process, which takes the work off the single writer.
    """
    raw = orjson.dumps(rec.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return RawJSON(raw.decode()), hashlib.blake2b(raw, digest_size=32).hexdigest()


def _bulk_insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """executemany straight on the driver: the child tables get tens of rows per document, and
    SQLAlchemy's per-row parameter processing would cost more than SQLite's insert itself."""
    if not rows:
        return
    conn = session.connection()
    cols = list(rows[0])
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    quote = conn.dialect.identifier_preparer.quote  # `right` is reserved in PostgreSQL
    sql = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, cols))}) VALUES ({', '.join([mark] * len(cols))})"
    conn.exec_driver_sql(sql, [tuple(r[c] for c in cols) for r in rows])


# ---------------------------------------------------------------- parties


class PartyResolver:
    """Maps names to party ids, creating parties once; cached (bounded) for a whole import."""

    MAX_CACHED = 200_000

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def forget(self) -> None:
        """Drop cached ids (after a rollback they may name parties that were never committed)."""
        self._cache.clear()

    def resolve(self, session: Session, refs: Sequence[PartyRef]) -> list[int]:
        return self.resolve_keys(
            session,
            [
                (party_key(r.name, r.kind, r.country), r.name, r.country, r.kind, orjson.dumps(r.identifiers).decode())
                for r in refs
            ],
        )

    def resolve_keys(self, session: Session, refs: Sequence[tuple[str, str, str | None, str, str]]) -> list[int]:
        """refs: (party key, name as printed, country, kind, identifiers JSON) -> party ids, in order."""
        if len(self._cache) > self.MAX_CACHED:
            self._cache.clear()  # keeps memory flat on huge imports; the store is the truth
        keys = [r[0] for r in refs]
        missing = [k for k in dict.fromkeys(keys) if k not in self._cache]
        if missing:
            for chunk in _chunks(missing, 500):
                rows = session.execute(select(t.Party.party_key, t.Party.id).where(t.Party.party_key.in_(chunk)))
                self._cache.update({k: i for k, i in rows})
            new = [k for k in missing if k not in self._cache]
            if new:
                first = {}
                for r in refs:
                    first.setdefault(r[0], r)
                values = [
                    {
                        "party_key": k,
                        "norm_name": k.split("|", 2)[1],
                        "name": first[k][1],
                        "kind": first[k][3],
                        "country": (first[k][2] or "").upper(),
                        "identifiers": first[k][4],
                        "created_at": t.utcnow(),
                    }
                    for k in new
                ]
                _bulk_insert(session, t.Party.__table__, values)
                for chunk in _chunks(new, 500):
                    rows = session.execute(select(t.Party.party_key, t.Party.id).where(t.Party.party_key.in_(chunk)))
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


@dataclass(slots=True)
class PatentRows:
    """A patent record flattened to plain rows: cheap to pickle from a parser process to the
    writer, and written with executemany. `prepare_patent` builds it; ids are filled at write."""

    key: str
    number: str
    content_hash: str
    doc: dict[str, Any]
    classifications: list[tuple[str, str, bool, str]]  # scheme, symbol, main, source
    parties: list[tuple[str, str, str | None, str, int, str, str]]  # key, name, country, role, seq, kind, ids JSON
    citations: list[tuple[str | None, str | None, str | None, str | None, str | None]]
    events: list[tuple[str, dt.date | None]]


def prepare_patent(rec: PatentRecord, src: str, prepared: Prepared | None = None) -> PatentRows:
    data, h = prepared or prepare(rec)
    doc = {
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
        "published_flag": rec.published,
        "language": rec.language,
        "family_id": rec.family_id,
        "legal_status": rec.legal_status,
        "title": _display_title(rec.titles, rec.language),
        "data": data,
        "content_hash": h,
        "source_format": rec.source_format,
        "source_path": src,
    }
    return PatentRows(
        key=rec.key,
        number=rec.number,
        content_hash=h,
        doc=doc,
        classifications=[(c.scheme, c.symbol, c.main, c.source) for c in rec.classifications],
        parties=[
            (
                party_key(p.name, p.kind, p.country),
                p.name,
                p.country,
                p.role,
                p.sequence if p.sequence is not None else i,
                p.kind,
                orjson.dumps(p.identifiers).decode(),
            )
            for i, p in enumerate(rec.parties)
        ],
        citations=[(c.country, c.number, c.kind, c.category, c.text) for c in rec.citations],
        events=_patent_lifecycle_events(rec),
    )


def upsert_patents(
    session: Session,
    records: Sequence[tuple[PatentRecord, str] | tuple[PatentRecord, str, Prepared] | PatentRows],
    parties: PartyResolver,
) -> UpsertResult:
    """Insert new, update changed and skip unchanged patent records (one batch, caller commits).

    Items are (record, source path), (record, source path, `prepare(record)`) or `PatentRows`.
    """
    res = UpsertResult()
    # The last occurrence of a key in a batch wins: a file that repeats a number is one document.
    by_key: dict[str, PatentRows] = {}
    for item in records:
        rows = item if isinstance(item, PatentRows) else prepare_patent(*item)
        by_key[rows.key] = rows
    existing = {}
    for chunk in _chunks(list(by_key), 500):
        for row in session.execute(
            select(t.PatentDocument.doc_key, t.PatentDocument.id, t.PatentDocument.content_hash).where(
                t.PatentDocument.doc_key.in_(chunk)
            )
        ):
            existing[row.doc_key] = row
    new_docs: list[PatentRows] = []
    changed: list[tuple[PatentRows, Any]] = []
    for key, rows in by_key.items():
        old = existing.get(key)
        if old is None:
            new_docs.append(rows)
        elif old.content_hash == rows.content_hash:
            res.unchanged += 1
        else:
            changed.append((rows, old))
    now = t.utcnow()
    if new_docs:
        ids = session.execute(
            insert(t.PatentDocument).returning(t.PatentDocument.id, sort_by_parameter_order=True),
            [{**r.doc, "created_at": now, "updated_at": now} for r in new_docs],
        )
        id_list = [r[0] for r in ids]
        _insert_patent_children(session, list(zip(id_list, new_docs, strict=True)), parties)
        ev_rows = [
            {
                "entity": "patent",
                "entity_id": doc_id,
                "number": r.number,
                "event_type": kind,
                "date": date,
                "details": {},
                "recorded_at": now,
            }
            for doc_id, r in zip(id_list, new_docs, strict=True)
            for kind, date in r.events
        ]
        if ev_rows:
            session.execute(insert(t.Event.__table__), ev_rows)
        res.loaded += len(new_docs)
    for rows, old in changed:
        old_data = session.scalar(select(t.PatentDocument.data).where(t.PatentDocument.id == old.id)) or {}
        new_data = orjson.loads(str(rows.doc["data"]))
        changed = changed_fields(old_data, new_data)
        values = {k: v for k, v in rows.doc.items() if k not in ("doc_key", "number", "country", "kind")}
        session.execute(update(t.PatentDocument).where(t.PatentDocument.id == old.id).values(**values, updated_at=now))
        for tbl in (t.PatentClassification, t.PatentParty, t.PatentCitation):
            session.execute(delete(tbl).where(tbl.document_id == old.id))
        _insert_patent_children(session, [(old.id, rows)], parties)
        session.execute(
            insert(t.Event.__table__),
            [
                {
                    "entity": "patent",
                    "entity_id": old.id,
                    "number": rows.number,
                    "event_type": "record-updated",
                    "date": dt.date.today(),
                    "details": {"changed": changed, "source": rows.doc["source_path"]},
                    "recorded_at": now,
                }
            ],
        )
        res.updated += 1
    return res


def _insert_patent_children(session: Session, docs: list[tuple[int, PatentRows]], parties: PartyResolver) -> None:
    all_refs = [(p[0], p[1], p[2], p[5], p[6]) for _i, r in docs for p in r.parties]
    ids = iter(parties.resolve_keys(session, all_refs)) if all_refs else iter(())
    cls_rows = [
        {"document_id": doc_id, "scheme": c[0], "symbol": c[1], "main": c[2], "source": c[3]}
        for doc_id, r in docs
        for c in r.classifications
    ]
    party_rows = [
        {"document_id": doc_id, "party_id": next(ids), "role": p[3], "sequence": p[4], "name_as_printed": p[1]}
        for doc_id, r in docs
        for p in r.parties
    ]
    cit_rows = [
        {
            "document_id": doc_id,
            "cited_country": c[0],
            "cited_number": c[1],
            "cited_kind": c[2],
            "category": c[3],
            "text": c[4],
        }
        for doc_id, r in docs
        for c in r.citations
    ]
    _bulk_insert(session, t.PatentClassification.__table__, cls_rows)
    _bulk_insert(session, t.PatentParty.__table__, party_rows)
    _bulk_insert(session, t.PatentCitation.__table__, cit_rows)


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
            select(t.Trademark.tm_key, t.Trademark.id, t.Trademark.content_hash).where(t.Trademark.tm_key.in_(chunk))
        ):
            existing[row.tm_key] = row
    now = t.utcnow()
    for key, (rec, src) in by_key.items():
        data, h = prepare(rec)
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
        else:
            tm_id = old.id
            old_data = session.scalar(select(t.Trademark.data).where(t.Trademark.id == tm_id)) or {}
            session.execute(update(t.Trademark).where(t.Trademark.id == tm_id).values(**values))
            session.execute(delete(t.TrademarkGoods).where(t.TrademarkGoods.trademark_id == tm_id))
            session.execute(delete(t.TrademarkParty).where(t.TrademarkParty.trademark_id == tm_id))
            changed = changed_fields(old_data, orjson.loads(str(data)))
            evs = [
                {
                    "entity": "trademark",
                    "entity_id": tm_id,
                    "number": rec.number,
                    "event_type": "record-updated",
                    "date": dt.date.today(),
                    "details": {"changed": changed, "source": src},
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
