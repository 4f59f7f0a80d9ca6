"""Suggested IPC for new filings, stored as such.

A suggestion is a ``patent_classifications`` row with ``source='suggested'`` (scheme ``ipc``): the
top main groups whose confidence reaches ``min_confidence`` (the first marked ``main``), or the top
subclass when no main group does. A document that carries any office IPC gets none, and office rows
are never touched: suggestions are deleted and rewritten only where they are the document's only IPC.
The record's own ``data`` is left as the office published it, so the search index (which reads
``data``) never mistakes a suggestion for an office class. Designs (Locarno) get none.

`suggest_for` works on given documents; `suggest_pending` on every document with no IPC row at all,
which after an import are exactly the new or changed filings without office IPC (an update deletes
a document's rows before rewriting its office ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, exists, insert, select

from ipoffice.classify.storage import LoadedModel, load_current
from ipoffice.classify.text import document_text, features
from ipoffice.core import audit
from ipoffice.core import tables as t
from ipoffice.core.numbers import normalize_number
from ipoffice.core.roles import SYSTEM, Actor, check
from ipoffice.core.store import Store

__all__ = ["IntakeReport", "suggest_for", "suggest_pending"]

_BATCH = 500


@dataclass
class IntakeReport:
    model: str
    suggested: int = 0
    office_classified: int = 0
    no_text: int = 0
    not_found: list[str] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "suggested": self.suggested,
            "office_classified": self.office_classified,
            "no_text": self.no_text,
            "not_found": self.not_found,
            "results": self.results,
        }


def _ids_for(store: Store, items: Iterable[int | str]) -> tuple[list[int], list[str]]:
    ids: list[int] = []
    missing: list[str] = []
    with store.session() as s:
        for it in items:
            if isinstance(it, int):
                ids.append(it)
                continue
            found = list(
                s.scalars(
                    select(t.PatentDocument.id).where(
                        (t.PatentDocument.number == it) | (t.PatentDocument.number_norm == normalize_number(it))
                    )
                )
            )
            if found:
                ids.extend(found)
            else:
                missing.append(str(it))
    return sorted(set(ids)), missing


def suggest_for(
    store: Store,
    documents: Iterable[int | str],
    top: int = 3,
    min_confidence: float = 0.05,
    actor: Actor = SYSTEM,
    model: LoadedModel | None = None,
) -> IntakeReport:
    """Store suggested IPC for the given documents (ids or numbers) that carry no office IPC."""
    check("classify_suggest", actor)
    lm = model or load_current(store.home)
    ids, missing = _ids_for(store, documents)
    rep = IntakeReport(model=lm.version, not_found=missing)
    for a in range(0, len(ids), _BATCH):
        _suggest_batch(store, lm, ids[a : a + _BATCH], top, min_confidence, rep)
    with store.session() as s:
        audit.record(s, actor, "classify_suggest", "patent", f"{rep.suggested} documents", model=lm.version, top=top)
        s.commit()
    return rep


def pending_ids(store: Store) -> list[int]:
    """Documents (not designs) with no IPC row at all: neither office nor suggested."""
    with store.session() as s:
        has_ipc = exists(
            select(t.PatentClassification.id).where(
                t.PatentClassification.document_id == t.PatentDocument.id, t.PatentClassification.scheme == "ipc"
            )
        )
        return list(s.scalars(select(t.PatentDocument.id).where(~has_ipc, t.PatentDocument.doc_type != "design")))


def suggest_pending(store: Store, top: int = 3, min_confidence: float = 0.05, actor: Actor = SYSTEM) -> IntakeReport:
    return suggest_for(store, pending_ids(store), top=top, min_confidence=min_confidence, actor=actor)


def _suggest_batch(store: Store, lm: LoadedModel, ids: list[int], top: int, min_conf: float, rep: IntakeReport) -> None:
    model = lm.model
    with store.session() as s:
        office = set(
            s.scalars(
                select(t.PatentClassification.document_id).where(
                    t.PatentClassification.document_id.in_(ids),
                    t.PatentClassification.scheme == "ipc",
                    t.PatentClassification.source == "office",
                )
            )
        )
        rows = list(
            s.execute(
                select(t.PatentDocument.id, t.PatentDocument.number, t.PatentDocument.data).where(
                    t.PatentDocument.id.in_([i for i in ids if i not in office])
                )
            )
        )
        rep.office_classified += len([i for i in ids if i in office])
        todo: list[tuple[int, str, list[str]]] = []
        for doc_id, number, data in rows:
            toks = features(document_text(data or {}))
            if toks:
                todo.append((doc_id, number, toks))
            else:
                rep.no_text += 1
        if not todo:
            return
        Q = model.vectors([x[2] for x in todo])
        p_sub, p_mg = model.probabilities(Q)
        new_rows: list[dict[str, Any]] = []
        for i, (doc_id, number, _toks) in enumerate(todo):
            if Q[i].nnz == 0:
                rep.no_text += 1
                continue
            order = np.argsort(-p_mg[i])[:top]
            chosen = [(model.main_groups[j], float(p_mg[i, j])) for j in order if p_mg[i, j] >= min_conf]
            if not chosen:
                j = int(p_sub[i].argmax())
                chosen = [(model.subclasses[j], float(p_sub[i, j]))]
            for rank, (sym, _conf) in enumerate(chosen):
                new_rows.append(
                    {"document_id": doc_id, "scheme": "ipc", "symbol": sym, "main": rank == 0, "source": "suggested"}
                )
            rep.suggested += 1
            rep.results.append(
                {"number": number, "suggested": [{"symbol": sym, "confidence": round(c, 4)} for sym, c in chosen]}
            )
        done = [x[0] for x in todo]
        s.execute(
            delete(t.PatentClassification).where(
                t.PatentClassification.document_id.in_(done),
                t.PatentClassification.scheme == "ipc",
                t.PatentClassification.source == "suggested",
            )
        )
        if new_rows:
            s.execute(insert(t.PatentClassification.__table__), new_rows)
        s.commit()
