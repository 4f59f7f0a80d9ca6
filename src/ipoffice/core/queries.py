"""Read queries shared by the CLI and the API, each honouring the actor's role."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ipoffice.core import tables as t
from ipoffice.core.numbers import normalize_number
from ipoffice.core.roles import Actor, allowed, patent_visibility


def find_patents(session: Session, number: str, actor: Actor) -> list[t.PatentDocument]:
    """Documents whose number is `number` as printed, or the same after normalization."""
    norm = normalize_number(number)
    q = (
        select(t.PatentDocument)
        .where(
            or_(
                t.PatentDocument.number == number,
                t.PatentDocument.number_norm == norm,
                t.PatentDocument.application_number == number,
            )
        )
        .options(selectinload(t.PatentDocument.party_links), selectinload(t.PatentDocument.classifications))
        .order_by(t.PatentDocument.publication_date)
    )
    docs = list(session.scalars(q))
    return [d for d in docs if allowed("patent_show", actor, d)]


def find_trademarks(session: Session, number: str, actor: Actor) -> list[t.Trademark]:
    q = select(t.Trademark).where(t.Trademark.number == number).options(selectinload(t.Trademark.goods))
    return [tm for tm in session.scalars(q) if allowed("trademark_show", actor, tm)]


def patent_detail(session: Session, doc: t.PatentDocument) -> dict[str, Any]:
    party_ids = {link.party_id for link in doc.party_links}
    parties = {p.id: p for p in session.scalars(select(t.Party).where(t.Party.id.in_(party_ids)))} if party_ids else {}
    events = session.scalars(
        select(t.Event).where(t.Event.entity == "patent", t.Event.entity_id == doc.id).order_by(t.Event.id)
    )
    out = dict(doc.data)
    out.update(
        {
            "id": doc.id,
            "record": "patent",
            "title": doc.title,
            "parties": [
                {**p, "party_id": link.party_id, "party_name": parties[link.party_id].name}
                for p, link in zip(
                    doc.data.get("parties", []), sorted(doc.party_links, key=lambda x: x.id), strict=False
                )
            ],
            "events": [
                {"type": e.event_type, "date": e.date.isoformat() if e.date else None, "details": e.details}
                for e in events
            ],
            # Classes suggested at intake by the classifier: shown apart, never mixed with the office's classes.
            "suggested_classifications": [
                {"scheme": c.scheme, "symbol": c.symbol, "main": c.main}
                for c in doc.classifications
                if c.source == "suggested"
            ],
            "source_path": doc.source_path,
            "updated_at": doc.updated_at.isoformat(),
        }
    )
    return out


def trademark_detail(session: Session, tm: t.Trademark) -> dict[str, Any]:
    events = session.scalars(
        select(t.Event).where(t.Event.entity == "trademark", t.Event.entity_id == tm.id).order_by(t.Event.id)
    )
    out = dict(tm.data)
    out.update(
        {
            "id": tm.id,
            "record": "trademark",
            "events": [
                {"type": e.event_type, "date": e.date.isoformat() if e.date else None, "details": e.details}
                for e in events
            ],
            "source_path": tm.source_path,
        }
    )
    return out


def patent_summary(doc: t.PatentDocument) -> dict[str, Any]:
    return {
        "number": doc.number,
        "country": doc.country,
        "kind": doc.kind,
        "doc_type": doc.doc_type,
        "stage": doc.stage,
        "title": doc.title,
        "application_date": doc.application_date.isoformat() if doc.application_date else None,
        "publication_date": doc.publication_date.isoformat() if doc.publication_date else None,
    }


def trademark_summary(tm: t.Trademark) -> dict[str, Any]:
    return {
        "number": tm.number,
        "country": tm.country,
        "mark": tm.mark,
        "mark_type": tm.mark_type,
        "status": tm.status,
        "classes": sorted({g["nice_class"] for g in tm.data.get("goods", [])}),
        "filing_date": tm.filing_date.isoformat() if tm.filing_date else None,
    }


def stats(session: Session, actor: Actor) -> dict[str, Any]:
    vis = patent_visibility(actor)

    def counted(*cols):  # noqa: ANN002, ANN202
        q = select(*cols, func.count(t.PatentDocument.id)).group_by(*cols)
        return q.where(vis) if vis is not None else q

    total_q = select(func.count(t.PatentDocument.id))
    if vis is not None:
        total_q = total_q.where(vis)
    patents = session.scalar(total_q) or 0
    by_country = {c: n for c, n in session.execute(counted(t.PatentDocument.country))}
    by_type = {c: n for c, n in session.execute(counted(t.PatentDocument.doc_type))}
    by_format = {c: n for c, n in session.execute(counted(t.PatentDocument.source_format))}
    tms = session.scalar(select(func.count(t.Trademark.id))) or 0
    tm_status = {
        s: n for s, n in session.execute(select(t.Trademark.status, func.count()).group_by(t.Trademark.status))
    }
    parties = session.scalar(select(func.count(t.Party.id))) or 0
    schemes = {
        f"{s}@{v}": n
        for s, v, n in session.execute(
            select(t.SchemeEntry.scheme, t.SchemeEntry.version, func.count()).group_by(
                t.SchemeEntry.scheme, t.SchemeEntry.version
            )
        )
    }
    events = session.scalar(select(func.count(t.Event.id))) or 0
    return {
        "patents": patents,
        "patents_by_country": by_country,
        "patents_by_type": by_type,
        "patents_by_format": by_format,
        "trademarks": tms,
        "trademarks_by_status": tm_status,
        "parties": parties,
        "events": events,
        "scheme_entries": schemes,
    }
