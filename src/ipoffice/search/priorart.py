"""Prior-art search from an application: what was published before it that discloses its features.

An application (a stored NUMBER) or a free text goes in; documents come out ranked by how much of the
claimed invention they disclose, each with a claim-element map (`claims`). Three retrievers, any
non-empty subset of which runs (``PriorArtQuery.parts``), so an evaluation can measure each alone:

- ``lexical``: BM25 (the tantivy index, `PatentSearcher.lexical_terms`) over key terms taken from the
  claims (claim 1 weighted most), title, abstract and description, weighted by TF-IDF against the
  collection's document frequencies; and, as a second query, their CC-CEDICT translations (Chinese ->
  English stems; English -> the Chinese words the collection uses, English runs such as ``heat
  exchanger`` as one gloss; `crosslang`), the two lists merged on each one's own score range with the
  translations at `TRANSLATION_WEIGHT` (`_lexical`), so either language finds the other.
- ``dense``: the bilingual LSA model trained on the corpus (`dense`), nearest neighbours in usearch.
- ``ipc``: proximity of classification: same main group > same subclass > same class. The
  application's IPC is the office's; else ``--ipc``; else the suggestion of ``ipoffice.classify`` when
  a model exists.

When the lexical and dense parts both run, the dense part adds a cross-language list (`_cross_language`:
the neighbours, in the other language, of the query moved toward the best documents its translation
finds). Fusion is a weighted sum of each list's normalised scores (`fuse`). Only documents published
strictly before the critical date count (``--before``, else the earliest priority date, else the filing date); the
application itself and its family (same family id, same application number, a shared priority claim)
are left out; the actor's role filters every retriever (the public sees published documents only).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from ipoffice.core import tables as t
from ipoffice.core.numbers import normalize_number
from ipoffice.core.roles import Actor, allowed, permission, today
from ipoffice.core.store import Store
from ipoffice.search import claims as cl
from ipoffice.search.analysis import has_cjk, query_tokens
from ipoffice.search.crosslang import content_word, en_phrases, translate_terms

__all__ = [
    "NORM_DEPTH",
    "PARTS",
    "WEIGHTS",
    "Hit",
    "PriorArtError",
    "PriorArtQuery",
    "PriorArtResult",
    "PriorArtUnavailable",
    "fuse",
    "prior_art",
]

PARTS = ("lexical", "dense", "ipc")
#: Fusion weights of the ranked lists. Fusion is CombSUM of normalised scores (`fuse`): each list's
#: scores are scaled to 0..1 between its first hit and its `NORM_DEPTH`-th (below that: 0), weighted and
#: summed per document. ``xlang`` is the cross-language list (`_cross_language`) that the dense part
#: adds when the lexical part runs too. IPC proximity is a graded match (`IPC_LEVELS`) added at its
#: weight: a same-main-group document gains a quarter of what being the lexical first brings.
#:
#: Chosen on the energy-recovery crawl (28.8k documents) with the 101 paraphrase queries of
#: bench/data/priorart_queries.yaml split by id: weights and normalisation were tuned on the even ids,
#: among settings that keep the 40 sampled citation topics at or above lexical alone, and read on the
#: odd ids (docs/benchmarks.md, "Prior-art fusion, session 10"): nDCG@10 even 0.692 -> 0.724, odd
#: 0.570 -> 0.703, all 0.631 -> 0.713 (+13%), cross-language 0.14 -> 0.41, citations 0.044 -> 0.048.
#: Scores rather than ranks (reciprocal-rank fusion, used before): with RRF a document's place in a
#: list counts the same however far ahead of the next it is, so the cross-language list's confident
#: first hits could not outrank the lexical list's weak tenth (RRF, k 3..40, at best 0.685 on the same runs).
WEIGHTS = {"lexical": 1.0, "dense": 0.7, "xlang": 0.5, "ipc": 0.25}
#: a list's scores are normalised between its first and this-th hit, so the fused order does not depend
#: on how deep a pool was fetched (`POOL_MIN` is at least this)
NORM_DEPTH = 100
#: documents of the translated BM25 list whose vectors move the query in `_cross_language`
XLANG_FEEDBACK = 3
#: the cross-language list runs only on a dense index of at least this many documents: feedback assumes
#: that the translation's first hits are on the query's subject, which a handful of documents cannot promise
#: (in the 38-document test home the centroid of any three is a random point, and its nearest document ranked
#: first against a query it has nothing to do with)
XLANG_MIN_DOCS = 1_000
#: IPC proximity by the deepest level two symbols share
IPC_LEVELS = {"main-group": 1.0, "subclass": 0.6, "class": 0.3}
#: weight of each part of the application in the key-term counts
SOURCE_WEIGHTS = {"claim1": 3.0, "claims": 1.0, "title": 2.0, "abstract": 2.0, "description": 0.5}
#: key terms kept (the most TF-IDF-weighted); their translations are a second query of at most as many again
TERMS = 40
#: weight of the translated query's hits beside the key terms' own, each list scaled to its own score
#: range (`_lexical`): how far a document in the other language is trusted against one in the query's
TRANSLATION_WEIGHT = 0.7
#: fields the lexical stage searches and their weights (descriptions say everything in passing: low)
LEXICAL_BOOSTS = {"ti": 3.0, "ab": 2.0, "cl": 1.5, "desc": 0.4}
#: documents each retriever hands to fusion, at least (and this many times ``top``)
POOL_MIN, POOL_FACTOR = 100, 5
MAX_TEXT_BYTES = 100_000
MAX_TOP = 200
DESC_CHARS = 20_000


@permission("prior_art")
def _may_search_prior_art(actor: Actor, _obj: Any) -> bool:
    """Anyone may: hits are filtered to what the actor may see, as in `search`."""
    return True


class PriorArtError(ValueError):
    """Bad input (nothing searched); the message says what is wrong."""


class PriorArtNotFound(PriorArtError):
    """No document with that number that the caller may see."""


class PriorArtUnavailable(PriorArtError):
    """The search index is missing or unusable; the message says what to run."""


@dataclass
class PriorArtQuery:
    text: str | None = None
    number: str | None = None
    before: dt.date | None = None
    top: int = 20
    parts: tuple[str, ...] = PARTS
    claim_map: bool = True
    ipc: list[str] | None = None
    exclude: set[str] | frozenset[str] = frozenset()


@dataclass
class Hit:
    number: str
    title: str | None
    date: str | None
    score: float
    parts: dict[str, dict[str, float]]
    passages: list[dict[str, Any]] = field(default_factory=list)
    claim_map: list[dict[str, Any]] = field(default_factory=list)
    category: str | None = None
    doc_id: int = 0
    country: str = ""
    kind: str | None = None
    language: str | None = None
    ipc: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PriorArtResult:
    query: dict[str, Any]
    critical_date: str | None
    hits: list[Hit]
    features: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    parts: tuple[str, ...] = ()
    took_ms: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "critical_date": self.critical_date,
            "parts": list(self.parts),
            "features": self.features,
            "warnings": self.warnings,
            "took_ms": self.took_ms,
            "timings_ms": self.timings_ms,
            "results": [h.to_dict() for h in self.hits],
        }


# --------------------------------------------------------------------------- the application


@dataclass
class _Application:
    text: str
    claim1: str | None
    claims: list[str]
    title: str
    abstract: str
    description: str
    ipc: list[str]
    critical: dt.date | None
    critical_from: str
    self_ids: set[int]
    family_id: str | None = None
    application_numbers: set[str] = field(default_factory=set)
    priority_numbers: set[str] = field(default_factory=set)
    number: str | None = None


def _norm_ref(n: str | None) -> str:
    """A priority or application number compared in one form: letters and digits, upper case."""
    return re.sub(r"[^0-9A-Z]", "", (n or "").upper())


def _refs(n: str | None, country: str | None = None) -> set[str]:
    """The forms of an application/priority number that match: as written, and without its country."""
    v = _norm_ref(n)
    if not v:
        return set()
    out = {v}
    c = (country or "").upper()
    if c and v.startswith(c):
        out.add(v[len(c) :])
    elif c:
        out.add(c + v)
    m = re.match(r"^[A-Z]{2}(\d.*)$", v)
    if m:
        out.add(m.group(1))
    return {x for x in out if len(x) >= 5}


def _lang_first(d: dict[str, Any], lang: str | None) -> Any:
    if not d:
        return None
    if lang and lang in d:
        return d[lang]
    return next(iter(d.values()))


def _from_document(session: Any, number: str, actor: Actor) -> _Application:
    from ipoffice.core.queries import find_patents

    docs = find_patents(session, number, actor)
    if not docs:
        raise PriorArtNotFound(f"no patent document {number!r} in the store (that you may see)")
    d = docs[0]
    data = d.data or {}
    lang = d.language
    claims = [c for c in (_lang_first(data.get("claims") or {}, lang) or []) if isinstance(c, str)]
    title = _lang_first(data.get("titles") or {}, lang) or d.title or ""
    abstract = _lang_first(data.get("abstracts") or {}, lang) or ""
    desc = (_lang_first(data.get("descriptions") or {}, lang) or "")[:DESC_CHARS]
    ipc = [c["symbol"] for c in data.get("classifications") or [] if c.get("scheme") == "ipc" and c.get("symbol")]
    prio = [dt.date.fromisoformat(p["date"][:10]) for p in data.get("priorities") or [] if (p or {}).get("date")]
    app = _Application(
        text="\n".join([title, abstract, *claims]),
        claim1=cl.independent_claim(claims),
        claims=claims,
        title=title,
        abstract=abstract,
        description=desc,
        ipc=ipc,
        critical=min(prio) if prio else d.application_date,
        critical_from="priority date" if prio else ("filing date" if d.application_date else "none"),
        self_ids={x.id for x in docs},
        family_id=d.family_id,
        number=d.number,
    )
    for x in docs:
        app.application_numbers |= _refs(x.application_number, x.country)
        if x.family_id and not app.family_id:
            app.family_id = x.family_id
    for p in data.get("priorities") or []:
        app.priority_numbers |= _refs((p or {}).get("number"), (p or {}).get("country"))
    return app


_CLAIMS_START = re.compile(r"^\s*(?:1\s*[.、:：)]|claim\s*1\b|权利要求\s*1)", re.I)


def _from_text(text: str) -> _Application:
    """A free text: claims when it reads like claims (``1. ...``), else a description of the invention."""
    claims: list[str] = []
    if _CLAIMS_START.match(text):
        claims = [c.strip() for c in re.split(r"\n\s*(?=\d+\s*[.、:：)])", text) if c.strip()]
    claim1 = cl.independent_claim(claims) if claims else None
    return _Application(
        text=text,
        claim1=claim1,
        claims=claims,
        title="",
        abstract="" if claims else text[:DESC_CHARS],
        description="",
        ipc=[],
        critical=None,
        critical_from="none",
        self_ids=set(),
    )


def _features(app: _Application) -> list[cl.Feature]:
    if app.claim1:
        return cl.split_claim(app.claim1)
    # free text: its first sentences, each cut like a claim
    out: list[cl.Feature] = []
    pos = 0
    for sent in cl._sentences(app.text[:3000])[:12]:
        start = app.text.find(sent, pos)
        pos = max(pos, start + len(sent)) if start >= 0 else pos
        for f in cl.split_claim(sent):
            kind = f.kind if not out else "feature"
            a = (start if start >= 0 else 0) + f.start
            out.append(cl.Feature(len(out), kind, f.text, a, a + len(f.text)))
            if len(out) >= cl.MAX_FEATURES:
                return out
    return out


# --------------------------------------------------------------------------- the engine


class _Engine:
    """The indexes of a data home, opened once and reused by every query."""

    def __init__(self, store: Store) -> None:
        from ipoffice.search.index import SearchIndexError
        from ipoffice.search.searcher import PatentSearcher

        self.store = store
        try:
            self.searcher = PatentSearcher(store)
        except SearchIndexError as exc:
            raise PriorArtUnavailable(str(exc)) from None
        self.dense: Any = None
        self.dense_error: str | None = None
        try:
            from ipoffice.search.dense import DenseIndex, DenseIndexError

            try:
                self.dense = DenseIndex(store.home)
            except DenseIndexError as exc:
                self.dense_error = str(exc)
        except ImportError as exc:  # pragma: no cover - usearch or scikit-learn absent
            self.dense_error = f"dense retrieval unavailable: {exc}"
        self._df: dict[str, int] = {}
        self._fields = ("ti", "ab", "cl")
        self.n_docs = max(1, self.searcher.num_docs)

    def df(self, term: str) -> int:
        v = self._df.get(term)
        if v is None:
            v = self.searcher.doc_freq(term, self._fields)
            if len(self._df) > 200_000:
                self._df.clear()
            self._df[term] = v
        return v

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n_docs + 1) / (self.df(term) + 1))


_engines: dict[tuple[str, Any], _Engine] = {}
_engines_lock = threading.Lock()


def _stamp(path: Path) -> Any:
    try:
        st = path.stat()
        return (st.st_ino, st.st_mtime_ns)
    except OSError:
        return None


def engine_for(store: Store) -> _Engine:
    """The engine of a store, reopened when either index was rebuilt or updated since."""
    from ipoffice.search.dense import STATE_FILE as DENSE_STATE
    from ipoffice.search.dense import dense_path
    from ipoffice.search.index import STATE_FILE, index_path

    key = (str(store.home), id(store.engine))
    stamp = (_stamp(index_path(store.home) / STATE_FILE), _stamp(dense_path(store.home) / DENSE_STATE))
    with _engines_lock:
        cached = _engines.get(key)
        if cached is not None and getattr(cached, "_stamp", None) == stamp:
            return cached
        eng = _Engine(store)
        eng._stamp = stamp  # type: ignore[attr-defined]
        if len(_engines) > 8:
            _engines.clear()
        _engines[key] = eng
        return eng


# --------------------------------------------------------------------------- stages


def key_terms(app: _Application, eng: _Engine) -> dict[str, float]:
    """The application's key terms and their translations in one dict (what the result shows)."""
    terms, translated = query_terms(app, eng)
    out = dict(terms)
    for tr, w in translated.items():
        out.setdefault(tr, w)
    return out


def query_terms(app: _Application, eng: _Engine) -> tuple[dict[str, float], dict[str, float]]:
    """(key terms, their translations): index terms of the application weighted by (source-weighted)
    frequency and rarity; and the CC-CEDICT translations of the strongest of them, and of those the
    collection lacks, into the other language, each weighted like its source (a translation worth at
    most what its source is worth: a common Chinese word must not become a rare, heavily weighted
    English one). English runs of words that are one CEDICT gloss are translated as a whole
    (``heat exchanger`` -> 换热器). The two go to the index as separate queries (`_lexical`)."""
    counts: Counter[str] = Counter()
    phrases: Counter[str] = Counter()
    rest = [c for c in app.claims if c is not app.claim1 and c != app.claim1]
    sources = [
        ("claim1", [app.claim1 or ""]),
        ("claims", rest),
        ("title", [app.title]),
        ("abstract", [app.abstract]),
        ("description", [app.description]),
    ]
    if not app.claim1 and not app.title:
        sources.append(("claim1", [app.text[:DESC_CHARS]]))
    for name, texts in sources:
        w = SOURCE_WEIGHTS[name]
        for text in texts:
            if text:
                toks = query_tokens(text)
                for tok in toks:
                    if content_word(tok):
                        counts[tok] += w
                for ph in en_phrases([x if not has_cjk(x) else "" for x in toks]):
                    phrases[ph] += w
    weighted = []
    for tok, tf in counts.items():
        df = eng.df(tok)
        if df:
            weighted.append(((1 + math.log(tf)) * eng.idf(tok), tok, tf))
    weighted.sort(reverse=True)
    terms = {tok: wt for wt, tok, _tf in weighted[:TERMS]}
    missing = [tok for tok, tf in counts.most_common(TERMS * 2) if tok not in terms and not eng.df(tok)]
    tf_of = dict(counts) | dict(phrases)
    translated: dict[str, float] = {}
    sources_tr = list(terms)[:TERMS] + missing[:TERMS] + list(phrases)
    for src, trs in translate_terms(sources_tr, known=lambda x: eng.df(x) > 0).items():
        if len(src) == 1:  # a lone Chinese character: too ambiguous to translate
            continue
        base = 1 + math.log(max(1.0, tf_of.get(src, 1.0)))
        cap = eng.idf(src) if " " not in src and eng.df(src) else None
        for tr in trs[:2]:
            if tr in terms:
                continue
            w = eng.idf(tr) if cap is None else min(cap, eng.idf(tr))
            translated[tr] = max(translated.get(tr, 0.0), base * w)
    return terms, translated


def _lexical(
    eng: _Engine,
    terms: dict[str, float],
    translated: dict[str, float],
    pool: int,
    translated_out: list[tuple[int, float]] | None = None,
    **kw: Any,
) -> list[tuple[int, float]]:
    """BM25 of the key terms and, separately, of their translations, merged by score relative to each
    query's range (CombMAX over min-max normalised scores of each pool, the translations' at
    `TRANSLATION_WEIGHT`).

    Why two queries: in one, a document in the query's language matches the key terms at full weight
    while one in the other language matches only the fewer, weaker translations, so it never reached
    the top (English queries for Chinese documents: nDCG@10 0 on the paraphrase benchmark). Scaled
    each to its own range, the best Chinese match competes with the best English one; BM25 scores of a
    long query are flat (the 100th often scores 0.6 of the first), so scaling to the best alone would
    still leave the other language below the pool. The weight trades languages: a document in the
    other language pushes down one in the query's own, which is what most examiner citations are. On
    the energy-recovery crawl (lexical alone; 200 citing topics, 101 paraphrase queries) weights 0 /
    0.7 / 0.8 gave citations nDCG@10 0.070 / 0.067 / 0.062 and paraphrase nDCG@10 0.592 / 0.631 /
    0.635 (English->Chinese 0 / 0.067 / 0.097); 0.7 is the largest that costs the citations under 5%."""
    search = eng.searcher.lexical_terms
    fields = tuple(LEXICAL_BOOSTS)
    main = search(terms, pool, fields=fields, boosts=LEXICAL_BOOSTS, **kw) if terms else []
    other = search(translated, pool, fields=fields, boosts=LEXICAL_BOOSTS, **kw) if translated else []
    if translated_out is not None:  # the translated query's own list (`_cross_language` feeds back on it)
        translated_out.extend(other)
    merged: dict[int, float] = {}
    for hits, w in ((main, 1.0), (other, TRANSLATION_WEIGHT)):
        if not hits or hits[0][1] <= 0:
            continue
        top, low = hits[0][1], hits[-1][1] if len(hits) > 1 else 0.0
        for doc, sc in hits:
            merged[doc] = max(merged.get(doc, 0.0), w * (sc - low) / max(top - low, 1e-9))
    out = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
    return out[:pool]


def _cross_language(
    eng: _Engine, vec: Any, translated_hits: list[tuple[int, float]], query_lang: str, pool: int, **kw: Any
) -> list[tuple[int, float]]:
    """Dense neighbours in the *other* language of the query moved toward the best documents its
    translation finds (`XLANG_FEEDBACK` of the translated BM25 list): cross-language pseudo-relevance
    feedback in the shared LSA space.

    Why: CEDICT's general-language glosses find the other language's documents (the translated list's
    first few are mostly on topic) but rank them poorly, and the LSA vector of the query alone sits
    among its own language's documents. The centroid of the translated list's best documents carries
    the other language's own technical words, so their neighbours there are what the query means. On
    the energy-recovery crawl (101 paraphrase queries) this list alone scores nDCG@10 0.63 on the 29
    cross-language queries (the dense part alone 0.09, lexical 0.14); it holds only documents of the
    other language, so fusion adds them beside, not instead of, the query's own language."""
    if eng.dense is None or not translated_hits or len(eng.dense) < XLANG_MIN_DOCS:
        return []
    fb = eng.dense.vectors_of([d for d, _s in translated_hits[:XLANG_FEEDBACK]])
    if not len(fb):
        return []
    q = np.asarray(vec, dtype=np.float32) + fb.mean(axis=0)
    q /= max(float(np.linalg.norm(q)), 1e-9)
    target = "en" if query_lang == "zh" else "zh"
    return eng.dense.search(q, pool, language=target, **kw)


def _ipc_query_levels(symbols: list[str]) -> dict[str, float]:
    """Index terms of the application's IPC with their scores (main group, subclass, class)."""
    from ipoffice.core.ipc import parse_ipc

    out: dict[str, float] = {}
    for s in symbols:
        try:
            p = parse_ipc(s)
        except ValueError:
            continue
        sub = p.subclass_symbol
        if not sub:
            continue
        if p.main:
            out[f"{sub} {p.main}/00"] = max(out.get(f"{sub} {p.main}/00", 0), IPC_LEVELS["main-group"])
        out[sub] = max(out.get(sub, 0), IPC_LEVELS["subclass"] - IPC_LEVELS["class"])
        out[sub[:3]] = max(out.get(sub[:3], 0), IPC_LEVELS["class"])
    return out


def ipc_proximity(app_ipc: list[str], doc_ipc: list[str]) -> float:
    """1.0 same main group, 0.6 same subclass, 0.3 same class, 0 otherwise (best pair)."""
    from ipoffice.core.ipc import parse_ipc

    def keys(syms: list[str]) -> tuple[set[str], set[str], set[str]]:
        mg, sc, c = set(), set(), set()
        for s in syms:
            try:
                p = parse_ipc(s)
            except ValueError:
                continue
            if p.subclass_symbol:
                sc.add(p.subclass_symbol)
                c.add(p.subclass_symbol[:3])
                if p.main:
                    mg.add(f"{p.subclass_symbol} {p.main}")
            elif len(s) >= 3:
                c.add(s[:3].upper())
        return mg, sc, c

    a, b = keys(app_ipc), keys(doc_ipc)
    if a[0] & b[0]:
        return IPC_LEVELS["main-group"]
    if a[1] & b[1]:
        return IPC_LEVELS["subclass"]
    if a[2] & b[2]:
        return IPC_LEVELS["class"]
    return 0.0


def _normalised(hits: list[tuple[int, float]]) -> list[float]:
    """Scores scaled to 1 at the first hit and 0 at the `NORM_DEPTH`-th (or the last of a shorter list,
    0 when it is the only one), clipped below at 0."""
    if not hits:
        return []
    top = hits[0][1]
    low = hits[NORM_DEPTH - 1][1] if len(hits) >= NORM_DEPTH else (hits[-1][1] if len(hits) > 1 else 0.0)
    if top - low <= 1e-12:
        return [1.0 if sc >= top else 0.0 for _d, sc in hits]
    return [max(0.0, (sc - low) / (top - low)) for _d, sc in hits]


def fuse(
    ranked: dict[str, list[tuple[int, float]]], ipc: dict[int, float] | None = None
) -> list[tuple[int, float, dict[str, dict[str, float]]]]:
    """CombSUM of ranked lists (part -> [(doc id, score)], best first), each normalised by `_normalised`
    and weighted by `WEIGHTS`, plus IPC proximity (doc id -> 0..1) at its weight. Returns (doc id, fused
    score scaled to 0..1, per-part rank and raw score), best first."""
    fused: dict[int, float] = {}
    parts: dict[int, dict[str, dict[str, float]]] = {}
    total_w = sum(WEIGHTS[p] for p in ranked if ranked[p])
    for part, hits in ranked.items():
        w = WEIGHTS[part]
        for rank, ((doc, score), norm) in enumerate(zip(hits, _normalised(hits), strict=True), 1):
            fused[doc] = fused.get(doc, 0.0) + w * norm
            parts.setdefault(doc, {})[part] = {"rank": rank, "score": round(float(score), 4)}
    if ipc is not None:
        total_w += WEIGHTS["ipc"]
        order = sorted(ipc.items(), key=lambda kv: -kv[1])
        ranks = {doc: r for r, (doc, _p) in enumerate(order, 1)}
        for doc, prox in ipc.items():
            if prox <= 0 and doc not in fused:
                continue
            fused[doc] = fused.get(doc, 0.0) + WEIGHTS["ipc"] * prox
            parts.setdefault(doc, {})["ipc"] = {"rank": ranks[doc], "score": round(prox, 4)}
    scale = 1.0 / total_w if total_w else 1.0
    out = [(doc, round(s * scale, 4), parts[doc]) for doc, s in fused.items()]
    out.sort(key=lambda x: (-x[1], x[0]))
    return out


def _suggested_ipc(store: Store, text: str, actor: Actor) -> list[str]:
    """IPC subclasses suggested by ``ipoffice.classify`` when it has a trained model (never trains one)."""
    try:
        from ipoffice.classify.storage import current_version
        from ipoffice.classify.suggest import classify_text

        if current_version(store.home) is None:
            return []
        res = classify_text(store, text[:20_000], actor, top=3, level="both")
        return [r["symbol"] for r in res.get("results", []) if r.get("confidence", 0) >= 0.2][:3]
    except Exception:  # noqa: BLE001 - a desk still being built, or no model: the IPC part is skipped
        return []


def _validate_ipc(store: Store, symbols: list[str]) -> list[str]:
    from ipoffice.core.ipc import normalize_ipc
    from ipoffice.core.schemes import lookup, suggest_ipc

    out = []
    with store.session() as s:
        loaded = s.scalar(select(t.SchemeEntry.id).where(t.SchemeEntry.scheme == "ipc").limit(1)) is not None
        for raw in symbols:
            raw = raw.strip()
            if not raw:
                continue
            try:
                sym = normalize_ipc(raw)
            except ValueError:
                near = [e.symbol for e in suggest_ipc(s, raw)] if loaded else []
                hint = f"; nearest: {', '.join(near)}" if near else ""
                raise PriorArtError(f"--ipc {raw!r} is not an IPC symbol{hint}") from None
            if loaded and lookup(s, "ipc", sym) is None:
                near = [e.symbol for e in suggest_ipc(s, sym)]
                hint = f"; nearest: {', '.join(near)}" if near else ""
                raise PriorArtError(f"IPC symbol {sym!r} does not exist{hint}")
            out.append(sym)
    return out


# --------------------------------------------------------------------------- the search


def _check(q: PriorArtQuery) -> tuple[str | None, list[str]]:
    warnings: list[str] = []
    if q.number and q.text:
        raise PriorArtError("give an application NUMBER or a text, not both")
    if not q.number and q.text is None:
        raise PriorArtError("give an application NUMBER or a text (--text-file)")
    if q.number is not None and not q.number.strip():
        raise PriorArtError("the application NUMBER is empty")
    if not 1 <= int(q.top) <= MAX_TOP:
        raise PriorArtError(f"top must be between 1 and {MAX_TOP}, got {q.top}")
    parts = tuple(q.parts)
    bad = [p for p in parts if p not in PARTS]
    if not parts or bad:
        raise PriorArtError(f"parts must be a non-empty subset of {', '.join(PARTS)}; got {', '.join(parts) or 'none'}")
    if q.before is not None and q.before > today():
        raise PriorArtError(f"the critical date {q.before.isoformat()} is in the future")
    text = q.text
    if text is not None:
        if not text.strip():
            raise PriorArtError("the query text is empty")
        raw = text.encode("utf-8")
        if len(raw) > MAX_TEXT_BYTES:
            text = raw[:MAX_TEXT_BYTES].decode("utf-8", errors="ignore")
            warnings.append(f"the query text is {len(raw)} bytes; only its first {MAX_TEXT_BYTES} bytes were used")
    return text, warnings


def prior_art(store: Store, q: PriorArtQuery, actor: Actor) -> PriorArtResult:
    """Ranked prior art for an application or text, as ``actor`` may see it. Raises PriorArtError
    (bad input), PriorArtNotFound (no such NUMBER that the actor may see), PriorArtUnavailable (no index)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round((now - since) * 1000, 1)
        return now

    text, warnings = _check(q)
    parts = tuple(dict.fromkeys(q.parts))
    eng = engine_for(store)
    eng.searcher.segment_as_indexed()
    if "dense" in parts and eng.dense is None:
        if parts == ("dense",):
            raise PriorArtUnavailable(eng.dense_error or "no dense index; build it with `ipoffice index build`")
        warnings.append(f"{eng.dense_error}; searched without the dense part")
        parts = tuple(p for p in parts if p != "dense")
    with store.session() as s:
        app = _from_document(s, q.number.strip(), actor) if q.number else _from_text(text or "")
    t0 = lap("application", started)
    critical, critical_from = app.critical, app.critical_from
    if q.before is not None:
        critical, critical_from = q.before, "--before"
    if critical is None:
        warnings.append("no critical date (no --before, priority or filing date): every published document counts")
    exclude_ids = set(app.self_ids)
    excl_numbers = {normalize_number(n) for n in q.exclude if n} | {n for n in q.exclude if n}
    if excl_numbers:
        with store.session() as s:
            exclude_ids |= set(
                s.scalars(
                    select(t.PatentDocument.id).where(
                        t.PatentDocument.number.in_(excl_numbers) | t.PatentDocument.number_norm.in_(excl_numbers)
                    )
                )
            )
    stale = eng.searcher.staleness_warning()
    if stale:
        warnings.append(stale)
    pool = max(POOL_MIN, POOL_FACTOR * q.top)
    ranked: dict[str, list[tuple[int, float]]] = {}
    terms: dict[str, float] = {}
    main_terms: dict[str, float] = {}
    translated: dict[str, float] = {}
    translated_hits: list[tuple[int, float]] = []
    query_lang = "zh" if has_cjk(app.text[:2000]) else "en"
    if "lexical" in parts or q.claim_map:
        main_terms, translated = query_terms(app, eng)
        terms = main_terms | {k: v for k, v in translated.items() if k not in main_terms}
    if "lexical" in parts:
        if not terms:
            warnings.append("none of the text's words occur in the collection: the lexical part found nothing")
        ranked["lexical"] = _lexical(
            eng, main_terms, translated, pool, translated_hits, actor=actor, before=critical, exclude_ids=exclude_ids
        )
        t0 = lap("lexical", t0)
    if "dense" in parts:
        stale = eng.dense.staleness(eng.searcher.num_docs)
        if stale:
            warnings.append(stale)
        vec = eng.dense.model.encode_text(app.text[: DESC_CHARS * 2] + "\n" + app.description[:4000])
        dkw = {"before": critical, "public": not actor.is_office, "exclude": exclude_ids}
        ranked["dense"] = eng.dense.search(vec, pool, **dkw)
        if "lexical" in parts and WEIGHTS.get("xlang", 0) > 0:
            ranked["xlang"] = _cross_language(eng, vec, translated_hits, query_lang, pool, **dkw)
        t0 = lap("dense", t0)
    ipc_prox: dict[int, float] | None = None
    app_ipc = app.ipc
    ipc_from = "office"
    if "ipc" in parts:
        if not app_ipc and q.ipc:
            app_ipc, ipc_from = _validate_ipc(store, q.ipc), "--ipc"
        if not app_ipc:
            app_ipc, ipc_from = _suggested_ipc(store, app.text, actor), "classify"
        if not app_ipc:
            warnings.append("no IPC for the application (none given, no classification model): IPC part skipped")
        else:
            near = eng.searcher.ipc_near(
                _ipc_query_levels(app_ipc), pool, actor, before=critical, exclude_ids=exclude_ids
            )
            pool_ids = {d for hits in ranked.values() for d, _s in hits} | {d for d, _s in near}
            doc_ipc = _ipc_of(store, pool_ids)
            ipc_prox = {d: ipc_proximity(app_ipc, doc_ipc.get(d, [])) for d in pool_ids}
            if not ranked:  # IPC alone: its own order (ties in index order)
                ranked_ipc_only = [(d, ipc_prox.get(d, 0.0)) for d, _s in near]
                ipc_prox = dict(ranked_ipc_only)
        t0 = lap("ipc", t0)
    elif q.ipc:
        app_ipc = _validate_ipc(store, q.ipc)
    fused = fuse(ranked, ipc_prox)
    t0 = lap("fusion", t0)
    hits, docs = _walk(store, fused, q.top, actor, critical, app)
    t0 = lap("load", t0)
    feats = _features(app) if q.claim_map else []
    if q.claim_map and feats:
        units = [cl.feature_units(f.text, eng.idf) for f in feats]
        for h in hits:
            cmap, passages = cl.map_claim(feats, units, _doc_passages(docs[h.doc_id]))
            h.claim_map, h.passages = cmap, passages[:5]
            h.category = cl.category(cmap)
        lap("claim_map", t0)
    return PriorArtResult(
        query={
            "number": app.number,
            "text": None if q.number else (text or "")[:500],
            "before": q.before.isoformat() if q.before else None,
            "top": q.top,
            "ipc": app_ipc,
            "ipc_from": ipc_from if app_ipc else None,
            "critical_date_from": critical_from,
            "key_terms": list(terms)[:20],
            "language": query_lang,
        },
        critical_date=critical.isoformat() if critical else None,
        hits=hits,
        features=[f.to_dict() for f in feats],
        warnings=warnings,
        parts=parts,
        took_ms=round((time.perf_counter() - started) * 1000, 1),
        timings_ms=timings,
    )


def _doc_passages(d: t.PatentDocument) -> list[cl.Passage]:
    return cl.passages_cached(d.id, d.content_hash or "", d.data or {})


def _ipc_of(store: Store, ids: set[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if not ids:
        return out
    ids_l = sorted(ids)
    with store.session() as s:
        for i in range(0, len(ids_l), 900):
            q = select(t.PatentClassification.document_id, t.PatentClassification.symbol).where(
                t.PatentClassification.document_id.in_(ids_l[i : i + 900]), t.PatentClassification.scheme == "ipc"
            )
            for d, sym in s.execute(q):
                out.setdefault(d, []).append(sym)
    return out


def _family(app: _Application, d: t.PatentDocument) -> bool:
    """Is ``d`` the application or of its family (family id, application number, a shared priority)?"""
    if d.id in app.self_ids:
        return True
    if app.family_id and d.family_id == app.family_id:
        return True
    d_app = _refs(d.application_number, d.country)
    if d_app & app.application_numbers or d_app & app.priority_numbers:
        return True
    d_prio: set[str] = set()
    for p in (d.data or {}).get("priorities") or []:
        d_prio |= _refs((p or {}).get("number"), (p or {}).get("country"))
    return bool(d_prio & (app.priority_numbers | app.application_numbers))


def _walk(
    store: Store,
    fused: list[tuple[int, float, dict[str, dict[str, float]]]],
    top: int,
    actor: Actor,
    critical: dt.date | None,
    app: _Application,
) -> tuple[list[Hit], dict[int, t.PatentDocument]]:
    """The best ``top`` fused candidates that pass the checks made on the stored row: visible to the
    actor, published before the critical date, not of the application's family."""
    from sqlalchemy.orm import selectinload

    hits: list[Hit] = []
    docs: dict[int, t.PatentDocument] = {}
    i = 0
    with store.session() as s:
        while len(hits) < top and i < len(fused):
            chunk = fused[i : i + max(top * 2, 20)]
            i += len(chunk)
            q = select(t.PatentDocument).where(t.PatentDocument.id.in_([c[0] for c in chunk]))
            q = q.options(selectinload(t.PatentDocument.classifications))
            if not actor.is_office:
                q = q.options(selectinload(t.PatentDocument.party_links))
            rows = {d.id: d for d in s.scalars(q)}
            for doc_id, score, parts in chunk:
                d = rows.get(doc_id)
                if d is None or not allowed("patent_show", actor, d):
                    continue
                if critical is not None and (d.publication_date is None or d.publication_date >= critical):
                    continue
                if d.published_flag is False or _family(app, d):
                    continue
                docs[doc_id] = d
                hits.append(
                    Hit(
                        number=d.number,
                        title=d.title,
                        date=d.publication_date.isoformat() if d.publication_date else None,
                        score=score,
                        parts=parts,
                        doc_id=d.id,
                        country=d.country,
                        kind=d.kind or None,
                        language=d.language,
                        ipc=[c.symbol for c in d.classifications if c.scheme == "ipc"][:8],
                    )
                )
                if len(hits) >= top:
                    break
        s.expunge_all()
    return hits, docs
