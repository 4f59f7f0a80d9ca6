"""Training samples: office-classified documents (store or files) and the IPC scheme's own titles.

A document teaches the subclasses and main groups of its office IPC symbols (``source='office'``;
suggestions never train the model that made them). A scheme sample is one main group: its Chinese and
English title and those of all its subgroups, which teaches that main group and its subclass; each
subclass also gets a sample of its own title and headings. The scheme is read from the store's
``scheme_entries`` (IPC 2026.01, loaded by ``ipoffice init``), or from the package's scheme files
when the store has none.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ipoffice.classify.model import Sample
from ipoffice.classify.text import document_text, features
from ipoffice.core import tables as t
from ipoffice.core.ipc import parse_ipc
from ipoffice.core.store import Store

__all__ = ["ipc_labels", "record_samples", "scheme_samples", "store_samples", "file_samples"]

Progress = Callable[[str, int], None]


def ipc_labels(symbols: Iterable[str]) -> tuple[list[str], list[str]]:
    """Subclasses and main groups (canonical, in order, no repeats) of IPC symbols; others ignored."""
    subs: dict[str, None] = {}
    mgs: dict[str, None] = {}
    for sym in symbols:
        try:
            p = parse_ipc(sym)
        except ValueError:
            continue
        if p.subclass is None:
            continue
        subs[p.subclass_symbol or ""] = None
        if p.main is not None:
            mgs[f"{p.subclass_symbol} {p.main}/00"] = None
    return list(subs), list(mgs)


def _office_ipc(classifications: Iterable[Mapping[str, Any]]) -> list[str]:
    rows = [c for c in classifications if c.get("scheme") == "ipc" and c.get("source", "office") == "office"]
    rows.sort(key=lambda c: not c.get("main"))  # the main class first
    return [str(c.get("symbol") or "") for c in rows]


def record_samples(records: Iterable[Mapping[str, Any]]) -> Iterator[Sample]:
    """Samples of records given as PatentRecord dicts (files, tests, benchmarks)."""
    for data in records:
        subs, mgs = ipc_labels(_office_ipc(data.get("classifications") or []))
        text = document_text(data)
        if not subs or not text.strip():
            continue
        toks = features(text)
        if toks:
            title = next(iter((data.get("titles") or {}).values()), None)
            yield Sample(toks, subs, mgs, "document", _doc_ref(str(data.get("number")), title, subs, mgs))


def _doc_ref(number: str, title: str | None, subs: list[str], mgs: list[str]) -> dict[str, Any]:
    return {"number": number, "title": (title or "")[:200] or None, "ipc": mgs or subs}


def store_samples(store: Store, limit: int | None = None, progress: Progress | None = None) -> list[Sample]:
    """Samples of the store's documents that carry office IPC (newest first when limited)."""
    with store.session() as s:
        labelled: dict[int, list[tuple[str, bool]]] = defaultdict(list)
        q = select(
            t.PatentClassification.document_id, t.PatentClassification.symbol, t.PatentClassification.main
        ).where(t.PatentClassification.scheme == "ipc", t.PatentClassification.source == "office")
        for doc_id, sym, main in s.execute(q):
            labelled[doc_id].append((sym, bool(main)))
        ids = sorted(labelled, reverse=True)[:limit] if limit else sorted(labelled)
        out: list[Sample] = []
        for a in range(0, len(ids), 500):
            chunk = ids[a : a + 500]
            rows = s.execute(
                select(
                    t.PatentDocument.id, t.PatentDocument.number, t.PatentDocument.title, t.PatentDocument.data
                ).where(t.PatentDocument.id.in_(chunk))
            )
            for doc_id, number, title, data in rows:
                syms = [sym for sym, _m in sorted(labelled[doc_id], key=lambda x: not x[1])]
                subs, mgs = ipc_labels(syms)
                text = document_text(data or {})
                toks = features(text) if subs and text.strip() else []
                if toks:
                    ref = _doc_ref(number, title, subs, mgs)
                    ref["document_id"] = doc_id
                    out.append(Sample(toks, subs, mgs, "document", ref))
            if progress:
                progress("documents", len(chunk))
    return out


def _scheme_rows(store: Store | None) -> list[tuple[str, str, str | None, str | None, str | None]]:
    """(symbol, level, zh, en, zh heading) of the IPC entries from subclasses down."""
    levels = ("subclass", "main-group", "subgroup")
    if store is not None:
        e = t.SchemeEntry
        with store.session() as s:
            rows = [
                (sym, lvl, zh, en, None)
                for sym, lvl, zh, en in s.execute(
                    select(e.symbol, e.level, e.title_zh, e.title_en).where(e.scheme == "ipc", e.level.in_(levels[1:]))
                )
            ]
            # the JSON extras (headings) only for the 650 subclasses: decoding 77k of them costs seconds
            subs = s.execute(
                select(e.symbol, e.level, e.title_zh, e.title_en, e.extra).where(
                    e.scheme == "ipc", e.level == "subclass"
                )
            )
            rows.extend((r[0], r[1], r[2], r[3], _headings(r[4])) for r in subs)
        if rows:
            return rows
    from ipoffice.core.schemes import iter_ipc

    return [
        (r["symbol"], r["level"], r["title_zh"], r["title_en"], _headings(r["extra"]))
        for r in iter_ipc()
        if r["level"] in levels
    ]


_CANONICAL_GROUP = re.compile(r"([A-H]\d\d[A-Z]) (\d{1,4})/\d+")


def _scheme_key(symbol: str, level: str) -> str | None:
    """Subclass symbol, or the main group (``F22B 1/00``) a group belongs to; canonical symbols (as the
    store holds them) by a regex, anything else through the parser."""
    if level == "subclass" and len(symbol) == 4:
        return symbol
    m = _CANONICAL_GROUP.fullmatch(symbol)
    if m:
        return f"{m.group(1)} {m.group(2)}/00"
    try:
        p = parse_ipc(symbol)
    except ValueError:
        return None
    if level == "subclass" or p.main is None:
        return p.subclass_symbol
    return f"{p.subclass_symbol} {p.main}/00"


def _headings(extra: Mapping[str, Any] | None) -> str | None:
    h = (extra or {}).get("heading_zh")
    return h if isinstance(h, str) else None


def scheme_samples(
    store: Store | None = None, progress: Progress | None = None, samples: bool = True
) -> tuple[list[Sample], dict[str, Any]]:
    """One sample per IPC main group and per subclass, from the scheme titles; and the titles by
    symbol (subclass and main group) for display (``samples=False``: the titles only)."""
    texts: dict[str, list[str]] = defaultdict(list)
    titles: dict[str, dict[str, str | None]] = {}
    for symbol, level, zh, en, heading in _scheme_rows(store):
        key = _scheme_key(symbol, level)
        if key is None:
            continue
        if level == "subclass":
            titles[key] = {"zh": zh, "en": en}
            texts[key].extend(x for x in (zh, en, heading) if x)
            continue
        if level == "main-group":
            titles[key] = {"zh": zh, "en": en}
        texts[key].extend(x for x in (zh, en) if x)
    out: list[Sample] = []
    if not samples:
        return out, titles
    for key, parts in texts.items():
        toks = features("\n".join(parts))
        if not toks:
            continue
        sub = key.split(" ")[0]
        title = titles.get(key, {})
        ref = {"symbol": key, "title": title.get("zh") or title.get("en")}
        out.append(Sample(toks, [sub], [key] if " " in key else [], "scheme", ref))
        if progress and len(out) % 500 == 0:
            progress("scheme titles", 500)
    return out, titles


def file_samples(paths: Iterable[Path], errors: list[str] | None = None) -> list[Sample]:
    """Samples of the records in files any `ipoffice import` format reads (office IPC only)."""
    from ipoffice.core.model import PatentRecord, RecordError
    from ipoffice.ingest.base import detect
    from ipoffice.ingest.runner import iter_files

    records: list[dict[str, Any]] = []
    for root in paths:
        for f in iter_files(Path(root)):
            fmt = detect(f)
            if fmt is None:
                if errors is not None:
                    errors.append(f"{f}: unknown format")
                continue
            for item in fmt.parse(f):
                if isinstance(item, PatentRecord):
                    records.append(item.model_dump(mode="json"))
                elif errors is not None and isinstance(item, RecordError) and not item.skipped:
                    errors.append(str(item))
    return list(record_samples(records))
