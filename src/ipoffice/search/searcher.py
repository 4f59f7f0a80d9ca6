"""Run a query against the full-text index, as a role may see the results.

The role filter is part of the tantivy query (a constant-score clause), so hits *and counts*
only ever include what the actor may see: the public sees published documents only
(`core.roles.is_published`: a publication date on or before today), applicants and agents also
their own filings (the ``party`` field), office roles everything. Hits are then read from the
store (title, dates, text for the highlights) and checked once more with ``patent_show``.

`PatentSearcher.lexical` is the bag-of-words stage of prior-art search: the text of a claim in,
BM25-ranked document ids out (no query syntax, stop words dropped).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ipoffice.core import tables as t
from ipoffice.core.roles import PUBLIC, Actor, Role, allowed, today
from ipoffice.core.store import Store
from ipoffice.search.analysis import analyze, has_cjk, query_tokens, set_user_dictionary
from ipoffice.search.index import USERDICT_FILE, index_path, open_index, staleness
from ipoffice.search.query import (
    BOOSTS,
    DEFAULT_FIELDS,
    Compiler,
    IpcChecker,
    ParsedQuery,
    highlight_terms,
    parse,
)

__all__ = ["Hit", "PatentSearcher", "SearchResult", "role_filter"]

MAX_TOP = 1000
FRAGMENT_CHARS = 240
MAX_HIGHLIGHTS = 3
STALENESS_EVERY = 30.0  # seconds


@dataclass
class Hit:
    doc_id: int
    number: str
    title: str | None
    score: float
    country: str
    kind: str | None
    publication_date: str | None
    application_date: str | None
    doc_type: str
    highlights: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResult:
    query: str
    parsed: str
    role: str
    total: int
    top: int
    offset: int
    took_ms: float
    hits: list[Hit]
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "parsed": self.parsed,
            "role": self.role,
            "total": self.total,
            "top": self.top,
            "offset": self.offset,
            "took_ms": self.took_ms,
            "warnings": self.warnings,
            "results": [h.to_dict() for h in self.hits],
        }


def role_filter(schema: Any, actor: Actor, on: dt.date | None = None) -> Any | None:
    """The documents ``actor`` may see, as a tantivy query (None: all), mirroring
    `core.roles.patent_visibility`."""
    from tantivy import FieldType, Occur, Query

    if actor.is_office:
        return None
    d = on or today()
    dated = Query.boolean_query(
        [
            (Occur.Must, Query.range_query(schema, "pd", FieldType.Date, None, dt.datetime(d.year, d.month, d.day))),
            (Occur.MustNot, Query.term_query(schema, "pubflag", "no")),
        ]
    )
    # as core.roles.is_published: marked published by its source, or dated on or before today
    published = Query.boolean_query([(Occur.Should, Query.term_query(schema, "pubflag", "yes")), (Occur.Should, dated)])
    if actor.role in (Role.APPLICANT, Role.AGENT) and actor.party_id is not None:
        own = Query.term_query(schema, "party", actor.party_id)
        return Query.boolean_query([(Occur.Should, published), (Occur.Should, own)])
    return published


class _SchemeIpc(IpcChecker):
    """IPC symbols checked against `scheme_entries`, with the nearest ones suggested."""

    def __init__(self, session: Session, searcher: Any) -> None:
        from ipoffice.core.schemes import lookup

        self.session = session
        self.searcher = searcher
        self._lookup = lookup
        self.loaded = session.scalar(select(t.SchemeEntry.id).where(t.SchemeEntry.scheme == "ipc").limit(1)) is not None

    def exists(self, symbol: str) -> bool:
        return not self.loaded or self._lookup(self.session, "ipc", symbol) is not None

    def suggest(self, text: str) -> list[str]:
        from ipoffice.core.schemes import suggest_ipc

        if not self.loaded:
            return []
        return [f"{e.symbol} ({_short(e.title_zh or e.title_en or '')})" for e in suggest_ipc(self.session, text)]

    def indexed(self, field_name: str, symbol: str) -> bool:
        return self.searcher.doc_freq(field_name, symbol) > 0


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


class PatentSearcher:
    """The index of a data home, opened once (reuse it: opening loads the segment readers)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = index_path(store.home)
        self.index, self.state = open_index(self.path)
        self._stale_at: tuple[float, str | None, int] | None = None

    def reload(self) -> None:
        self.index, self.state = open_index(self.path)

    def _staleness(self, session: Session, index_docs: int) -> str | None:
        """The out-of-date warning, checked at most every `STALENESS_EVERY` seconds (two counts over
        the store are cheap on SQLite, not on a PostgreSQL store of millions)."""
        now = time.monotonic()
        if self._stale_at is None or now - self._stale_at[0] > STALENESS_EVERY or self._stale_at[2] != index_docs:
            self._stale_at = (now, staleness(session, self.state, index_docs), index_docs)
        return self._stale_at[1]

    def _segment_as_indexed(self) -> None:
        """Chinese query words are cut with the dictionary the documents were cut with."""
        set_user_dictionary(self.path / USERDICT_FILE)

    segment_as_indexed = _segment_as_indexed  # public: prior-art search analyzes the application first

    # ------------------------------------------------------------------ the examiner query language

    def parse(self, query: str, session: Session | None = None) -> ParsedQuery:
        """Parse (and check the IPC symbols of) a query; raises QueryError."""
        if session is None:
            with self.store.session() as s:
                return self.parse(query, s)
        self._segment_as_indexed()
        return parse(query, _SchemeIpc(session, self.index.searcher()))

    def search(
        self,
        query: str,
        actor: Actor = PUBLIC,
        top: int = 10,
        offset: int = 0,
        highlights: bool = True,
    ) -> SearchResult:
        """Ranked hits of an examiner query as ``actor`` may see them (by default as the public);
        raises QueryError."""
        from tantivy import Occur, Query

        started = time.perf_counter()
        self._segment_as_indexed()
        top = max(1, min(top, MAX_TOP))
        offset = max(0, offset)
        searcher = self.index.searcher()
        with self.store.session() as s:
            ipc = _SchemeIpc(s, searcher)
            parsed = parse(query, ipc)
            warnings = list(parsed.warnings)
            if not ipc.loaded and "ipc:" in parsed.query.lower():
                warnings.append("the IPC scheme is not loaded (`ipoffice init`): IPC symbols were not checked")
            compiler = Compiler(self.index.schema)
            q = compiler.compile(parsed.ast)
            warnings.extend(compiler.warnings)
            vis = role_filter(self.index.schema, actor)
            if vis is not None:
                q = Query.boolean_query([(Occur.Must, q), (Occur.Must, Query.const_score_query(vis, 0.0))])
            res = searcher.search(q, limit=top, offset=offset, count=True)
            scored = list(
                zip(
                    searcher.fast_field_values("doc_id", [a for _s, a in res.hits]),
                    [sc for sc, _a in res.hits],
                    strict=True,
                )
            )
            stale = self._staleness(s, searcher.num_docs)
            if stale:
                warnings.append(stale)
            hits = self._hits(s, scored, actor, highlight_terms(parsed.ast) if highlights else None)
        dropped = len(scored) - len(hits)
        return SearchResult(
            query=parsed.query,
            parsed=str(parsed.ast),
            role=str(actor.role),
            total=max(0, res.count - dropped),
            top=top,
            offset=offset,
            took_ms=round((time.perf_counter() - started) * 1000, 1),
            hits=hits,
            warnings=warnings,
        )

    def _hits(
        self,
        session: Session,
        scored: list[tuple[int, float]],
        actor: Actor,
        terms: dict[str, tuple[set[str], list[re.Pattern[str]]]] | None,
    ) -> list[Hit]:
        if not scored:
            return []
        ids = [i for i, _s in scored]
        q = select(t.PatentDocument).where(t.PatentDocument.id.in_(ids))
        if not actor.is_office:
            q = q.options(selectinload(t.PatentDocument.party_links))
        docs = {d.id: d for d in session.scalars(q)}
        out = []
        for doc_id, score in scored:
            d = docs.get(doc_id)
            if d is None or not allowed("patent_show", actor, d):
                continue  # gone from the store since the index run, or no longer visible
            out.append(
                Hit(
                    doc_id=d.id,
                    number=d.number,
                    title=d.title,
                    score=round(float(score), 4),
                    country=d.country,
                    kind=d.kind or None,
                    publication_date=d.publication_date.isoformat() if d.publication_date else None,
                    application_date=d.application_date.isoformat() if d.application_date else None,
                    doc_type=d.doc_type,
                    highlights=highlight(d.data or {}, terms) if terms else [],
                )
            )
        return out

    # ------------------------------------------------------------------ the lexical stage of prior-art search

    def lexical(
        self,
        text: str,
        top: int = 100,
        actor: Actor = PUBLIC,
        fields: tuple[str, ...] = DEFAULT_FIELDS,
        max_terms: int = 48,
        before: dt.date | None = None,
        exclude_ids: Iterable[int] = (),
    ) -> list[tuple[int, float]]:
        """(doc id, score) of the documents most like ``text`` (a claim, an abstract), best first.

        The text's terms, less stop words, are weighted by frequency and rarity; the ``max_terms``
        best become one BM25 disjunction over ``fields``. ``before``: only documents published before
        that day; ``exclude_ids``: documents left out (the application itself)."""
        self._segment_as_indexed()
        searcher = self.index.searcher()
        counts = Counter(w for w in query_tokens(text) if _content_word(w))
        if not counts:
            return []
        n = max(1, searcher.num_docs)
        weighted = []
        for w, tf in counts.items():
            df = max(searcher.doc_freq(f, w) for f in fields)
            if df:
                weighted.append((tf * math.log(1 + n / df), w, tf))
        weighted.sort(reverse=True)
        terms = {w: 1.0 + math.log(tf) for _wt, w, tf in weighted[:max_terms]}
        return self.lexical_terms(terms, top, actor, fields, before=before, exclude_ids=exclude_ids)

    def doc_freq(self, term: str, fields: tuple[str, ...] = DEFAULT_FIELDS) -> int:
        """Documents holding ``term`` in any of ``fields`` (the largest per-field count)."""
        searcher = self.index.searcher()
        return max(searcher.doc_freq(f, term) for f in fields)

    @property
    def num_docs(self) -> int:
        return int(self.index.searcher().num_docs)

    def lexical_terms(
        self,
        terms: dict[str, float],
        top: int = 100,
        actor: Actor = PUBLIC,
        fields: tuple[str, ...] = DEFAULT_FIELDS,
        boosts: dict[str, float] | None = None,
        before: dt.date | None = None,
        exclude_ids: Iterable[int] = (),
        extra: Any | None = None,
    ) -> list[tuple[int, float]]:
        """BM25 over weighted index terms (term -> boost) in ``fields``, as ``actor`` may see, only
        documents published before ``before`` (when given), less ``exclude_ids``; best first.
        ``extra``: a tantivy query every hit must also match."""
        from tantivy import Occur, Query

        self._segment_as_indexed()
        schema = self.index.schema
        fb = boosts or BOOSTS
        clauses = [
            (Occur.Should, Query.boost_query(Query.term_query(schema, f, w), wt * fb.get(f, 1.0)))
            for w, wt in terms.items()
            if wt > 0
            for f in fields
        ]
        if not clauses:
            return []
        q = Query.boolean_query(clauses)
        return self._run_filtered(q, top, actor, before, exclude_ids, extra)

    def _run_filtered(
        self,
        q: Any,
        top: int,
        actor: Actor,
        before: dt.date | None,
        exclude_ids: Iterable[int],
        extra: Any | None = None,
    ) -> list[tuple[int, float]]:
        from tantivy import FieldType, Occur, Query

        searcher = self.index.searcher()
        schema = self.index.schema
        must = [(Occur.Must, q)]
        vis = role_filter(schema, actor)
        if vis is not None:
            must.append((Occur.Must, Query.const_score_query(vis, 0.0)))
        if before is not None:
            cut = Query.range_query(
                schema, "pd", FieldType.Date, None, dt.datetime(before.year, before.month, before.day), True, False
            )
            must.append((Occur.Must, Query.const_score_query(cut, 0.0)))
            must.append((Occur.MustNot, Query.term_query(schema, "pubflag", "no")))
        ids = sorted(set(exclude_ids))
        if ids:
            must.append((Occur.MustNot, Query.term_set_query(schema, "doc_id", ids)))
        if extra is not None:
            must.append((Occur.Must, Query.const_score_query(extra, 0.0)))
        res = searcher.search(Query.boolean_query(must) if len(must) > 1 else q, limit=max(1, top), count=False)
        ids_out = searcher.fast_field_values("doc_id", [a for _s, a in res.hits])
        return [(i, float(sc)) for i, (sc, _a) in zip(ids_out, res.hits, strict=True)]

    def ipc_near(
        self,
        levels: dict[str, float],
        top: int = 100,
        actor: Actor = PUBLIC,
        before: dt.date | None = None,
        exclude_ids: Iterable[int] = (),
    ) -> list[tuple[int, float]]:
        """Documents classified under the given IPC terms (symbol -> score, e.g. a main group, its
        subclass and class with falling scores), the scores of the terms a document holds summed."""
        from tantivy import Occur, Query

        schema = self.index.schema
        clauses = [
            (Occur.Should, Query.const_score_query(Query.term_query(schema, "ipc", sym), float(sc)))
            for sym, sc in levels.items()
        ]
        if not clauses:
            return []
        return self._run_filtered(Query.boolean_query(clauses), top, actor, before, exclude_ids)

    def staleness_warning(self) -> str | None:
        """The index's out-of-date warning, if any (checked at most every `STALENESS_EVERY` seconds)."""
        with self.store.session() as s:
            return self._staleness(s, self.index.searcher().num_docs)


# --------------------------------------------------------------------------- stop words (lexical stage)

_STOP_EN = set(
    """a an the and or not of to in on at by for with from as is are be been being was were it its this that these
    those which who whom whose wherein whereby thereof therein said such than then there their they he she we you
    into onto upon via each any all some more most other one two first second third can may might must shall
    should will would also have has had do doe did so if but about between within without over under
    least plural compris includ consist claim claimed method apparatus system devic accord further wherein
    invent present embodi herein provid use""".split()
)
_STOP_ZH = set(
    """的 了 和 与 及 或 在 是 为 于 上 中 对 将 其 所述 一种 包括 以及 通过 进行 该 由 并 等 个 有 可 使
    从 被 把 这 所 而 且 之 也 第 一 二 三 至少 其中 述 设置 设有 用于 根据 权利 要求 特征 在于 本 发明
    实用新型 涉及 公开""".split()
)


def _content_word(w: str) -> bool:
    if w in _STOP_EN or w in _STOP_ZH:
        return False
    return not w.isdigit() and not (len(w) == 1 and w.isascii())


# --------------------------------------------------------------------------- highlights

_FIELD_TEXTS = {
    "ti": ("title", lambda d: list((d.get("titles") or {}).values())),
    "ab": ("abstract", lambda d: list((d.get("abstracts") or {}).values())),
    "cl": ("claims", lambda d: [c for v in (d.get("claims") or {}).values() for c in v or []]),
    "desc": ("description", lambda d: [p for v in (d.get("descriptions") or {}).values() for p in v.split("\n")]),
    "pa": (
        "applicant",
        lambda d: [p["name"] for p in d.get("parties") or [] if p.get("role") in ("applicant", "assignee", "owner")],
    ),
    "inv": ("inventor", lambda d: [p["name"] for p in d.get("parties") or [] if p.get("role") == "inventor"]),
    "ag": (
        "agent",
        lambda d: [p["name"] for p in d.get("parties") or [] if p.get("role") in ("agent", "agency", "representative")],
    ),
}


def highlight(data: dict[str, Any], terms: dict[str, tuple[set[str], list[re.Pattern[str]]]]) -> list[dict[str, Any]]:
    """Fragments of the document where the query's terms occur: ``{"field", "text", "spans"}``, spans
    being [start, end) character offsets in ``text``; at most one per field, `MAX_HIGHLIGHTS` in all."""
    out: list[dict[str, Any]] = []
    for f in ("ti", "ab", "cl", "desc", "pa", "inv", "ag"):
        if f not in terms or len(out) >= MAX_HIGHLIGHTS:
            continue
        words, patterns = terms[f]
        label, getter = _FIELD_TEXTS[f]
        for value in getter(data):
            if not isinstance(value, str) or not value.strip():
                continue
            spans = _matches(value, words, patterns)
            if spans:
                text, rel = _fragment(value, spans)
                out.append({"field": label, "text": text, "spans": rel})
                break
    return out


def _matches(value: str, words: set[str], patterns: list[re.Pattern[str]]) -> list[tuple[int, int]]:
    spans = set()
    for w, _pos, s, e, _main in analyze(value)[0]:
        if w in words or any(p.fullmatch(w) for p in patterns):
            spans.add((s, e))
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _fragment(value: str, spans: list[tuple[int, int]]) -> tuple[str, list[list[int]]]:
    size = FRAGMENT_CHARS // 2 if has_cjk(value) else FRAGMENT_CHARS  # Chinese says more per character
    lead_in = size // 6
    if len(value) <= size:
        return value, [[s, e] for s, e in spans]
    # the window that holds the most matches, starting a little before its first
    best_i, best_n = 0, 0
    for i, (s, _e) in enumerate(spans):
        n = sum(1 for _s2, e2 in spans[i:] if e2 <= s + size - lead_in)
        if n > best_n:
            best_i, best_n = i, n
    start = max(0, spans[best_i][0] - lead_in)
    end = min(len(value), start + size)
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(value) else ""
    text = lead + value[start:end] + tail
    rel = [[s - start + len(lead), e - start + len(lead)] for s, e in spans if s >= start and e <= end]
    return text, rel
