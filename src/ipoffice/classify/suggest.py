"""Classify a text or a stored document: ranked IPC subclasses and main groups with reasons.

Shared by the CLI, the API and intake. Output (the contract scripts rely on): ``results`` is a ranked
list, each with ``symbol`` (canonical: ``F22B`` or ``F22B 1/00``), ``level``, ``confidence`` (calibrated
probability), ``title`` (zh/en from the scheme) and ``reasons`` (``terms``: the decisive words of the
text; ``neighbours``: the nearest classified documents with that class, with their number, title and
IPC; ``scheme_titles``: the scheme entries of that class the text is closest to). With ``level=both``
the subclasses come first, then the main groups, each part ranked by confidence.

When the data home holds no model yet, the first call trains one from what the store holds (see
`ipoffice.classify` for why) and says so through ``notify``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from ipoffice.classify.model import Prediction
from ipoffice.classify.storage import LoadedModel, current_version, load_current
from ipoffice.classify.text import MAX_TEXT_CHARS, document_text, features, trim_text
from ipoffice.core import audit
from ipoffice.core import tables as t
from ipoffice.core.queries import find_patents
from ipoffice.core.roles import SYSTEM, Actor, patent_visibility
from ipoffice.core.store import Store

__all__ = ["LEVELS", "MAX_TOP", "ClassifyError", "NotFound", "classify_number", "classify_text", "ensure_model"]

LEVELS = ("subclass", "main_group", "both")
MAX_TOP = 50
_NEIGHBOURS = 3

_train_lock = threading.Lock()


class ClassifyError(ValueError):
    """Bad input: nothing was classified. The message names what is wrong."""


class NotFound(ClassifyError):
    """No document with that number that the caller may see."""


def ensure_model(store: Store, notify: Callable[[str], None] | None = None, auto_train: bool = True) -> LoadedModel:
    """The current model; trains the first one from the store when the home has none."""
    if current_version(store.home) is None and auto_train:
        with _train_lock:
            if current_version(store.home) is None:
                from ipoffice.classify.train import train

                if notify:
                    notify(
                        "no classification model yet: training one from the store's classified documents and "
                        "the IPC scheme titles (once; `ipoffice classify train` retrains)"
                    )
                rep = train(store)
                with store.session() as s:
                    audit.record(s, SYSTEM, "classify_train", "model", rep.version, counts=rep.counts, first_use=True)
                    s.commit()
                if notify:
                    notify(f"model {rep.version} trained in {rep.seconds:.0f}s ({rep.counts})")
    return load_current(store.home)


def _check_params(top: int, level: str) -> None:
    if not 1 <= top <= MAX_TOP:
        raise ClassifyError(f"--top must be between 1 and {MAX_TOP}, got {top}")
    if level not in LEVELS:
        raise ClassifyError(f"--level must be one of {', '.join(LEVELS)}, got {level!r}")


def _visible_ids(store: Store, actor: Actor, ids: set[int]) -> set[int]:
    vis = patent_visibility(actor)
    if vis is None or not ids:
        return ids
    with store.session() as s:
        return set(s.scalars(select(t.PatentDocument.id).where(t.PatentDocument.id.in_(ids), vis)))


def _result(p: Prediction, rank: int, lm: LoadedModel, allowed: set[int] | None) -> dict[str, Any]:
    nbrs = [n for n in p.neighbours if allowed is None or n.get("document_id") is None or n["document_id"] in allowed]
    title = lm.titles.get(p.symbol) or {}
    return {
        "rank": rank,
        "symbol": p.symbol,
        "level": p.level,
        "confidence": p.confidence,
        "title": {"zh": title.get("zh"), "en": title.get("en")},
        "reasons": {
            "terms": p.terms,
            "neighbours": [{k: v for k, v in n.items() if k != "document_id"} for n in nbrs[:_NEIGHBOURS]],
            "scheme_titles": p.scheme_titles,
        },
    }


def _run(
    store: Store,
    text: str,
    top: int,
    level: str,
    actor: Actor,
    notify: Callable[[str], None] | None,
    exclude_document: int | None = None,
) -> dict[str, Any]:
    _check_params(top, level)
    warnings: list[str] = []
    if not text or not text.strip():
        raise ClassifyError("the text to classify is empty")
    text, cut = trim_text(text, MAX_TEXT_CHARS)
    if cut:
        warnings.append(f"text longer than {MAX_TEXT_CHARS} characters: only the first {len(text)} were classified")
    tokens = features(text)
    if not tokens:
        raise ClassifyError("the text has no words to classify by (only digits, punctuation or stop words)")
    lm = ensure_model(store, notify)
    preds = lm.model.predict(tokens, top=top, level=level, exclude_document=exclude_document)
    if not preds:
        warnings.append("none of the text's words occur in the model's vocabulary: no suggestion")
    ids = {n["document_id"] for p in preds for n in p.neighbours if n.get("document_id") is not None}
    allowed = None if actor.is_office else _visible_ids(store, actor, ids)
    ranks: dict[str, int] = {}
    results = []
    for p in preds:
        ranks[p.level] = ranks.get(p.level, 0) + 1
        results.append(_result(p, ranks[p.level], lm, allowed))
    return {
        "model": lm.version,
        "level": level,
        "top": top,
        "chars": len(text),
        "warnings": warnings,
        "results": results,
    }


def classify_text(
    store: Store,
    text: str,
    actor: Actor,
    top: int = 5,
    level: str = "both",
    notify: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Suggest IPC for a free text."""
    return _run(store, text, top, level, actor, notify)


def classify_number(
    store: Store,
    number: str,
    actor: Actor,
    top: int = 5,
    level: str = "both",
    notify: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Suggest IPC for a stored document (its own training sample is left out of the neighbours).

    A document the actor may not see is reported exactly as a missing one."""
    _check_params(top, level)
    with store.session() as s:
        docs = find_patents(s, number, actor)
        if not docs:
            raise NotFound(f"no patent document with number {number!r} in the store")
        doc = docs[0]
        doc_id, printed, data = doc.id, doc.number, dict(doc.data or {})
        office = [
            {"symbol": c.symbol, "main": c.main, "source": c.source} for c in doc.classifications if c.scheme == "ipc"
        ]
    text = document_text(data)
    if not text.strip():
        raise ClassifyError(f"document {printed!r} has no title, abstract, claims or description to classify")
    out = _run(store, text, top, level, actor, notify, exclude_document=doc_id)
    return {"number": printed, "classifications": office, **out}
