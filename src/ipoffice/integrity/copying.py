"""Copying or simple substitution of prior art (Order 77 Art. 3(2)): a filing that is, passage by passage, an
earlier published document of another applicant with some words swapped.

Candidates come from the corpus pass (`corpus_signals._copies`): the MinHash/LSH band join that finds
near-duplicates, across applicants, the source published before the filing's date (copying with word
substitutions keeps many shingles), so a million filings stay linear. The prior-art engine
(`ipoffice.search.priorart`), where its index is built, is asked about those candidates only and confirms them.
Each candidate is aligned sentence by sentence (rapidfuzz to find the nearest sentence, difflib for the
word-level diff), which gives the evidence an examiner needs: the source document, the similarity, the matched
passages and the words that were substituted.
"""

from __future__ import annotations

import zlib
from collections import Counter
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from ipoffice.integrity.documents import FilingDoc
from ipoffice.integrity.engines.extract import _POLY, _fmix64
from ipoffice.integrity.textstats import _SENT, tokens


def earlier_other(doc: FilingDoc, other: FilingDoc) -> bool:
    """`other` is prior art for `doc` by someone else: published before doc's filing date, another applicant
    (no shared normalized applicant name), no shared inventor (older US applications name the inventors as
    applicants, the grant the assignee: the same origin under two names) and another family."""
    if other.id == doc.id or other.publication_date is None or doc.filing_date is None:
        return False
    if other.publication_date >= doc.filing_date:
        return False
    if doc.family_id and doc.family_id == other.family_id:
        return False
    if set(doc.inventors) & set(other.inventors):
        return False
    return not (set(doc.applicants) & set(other.applicants))


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENT.split(text) if len(tokens(s)) >= 6]


def align(doc_text: str, src_text: str, min_ratio: float, max_sents: int = 200) -> dict[str, Any]:
    """Sentence-by-sentence alignment of a filing on a source: matched passages and substituted words."""
    from rapidfuzz import fuzz, process

    mine = _sentences(doc_text)[:max_sents]
    theirs = _sentences(src_text)[: max_sents * 3]
    if not mine or not theirs:
        return {"copied_share": 0.0, "passages": [], "substitutions": []}
    lower = [s.lower() for s in theirs]
    matched_tokens = total_tokens = 0
    passages, subs = [], Counter()
    for s in mine:
        toks = tokens(s)
        total_tokens += len(toks)
        hit = process.extractOne(s.lower(), lower, scorer=fuzz.ratio, score_cutoff=min_ratio * 100)
        if hit is None:
            continue
        src = theirs[hit[2]]
        stoks = tokens(src)
        sm = SequenceMatcher(None, stoks, toks, autojunk=False)
        ratio = sm.ratio()
        if ratio < min_ratio:
            continue
        matched_tokens += len(toks)
        swapped = []
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "replace":
                swapped.append({"from": " ".join(stoks[i1:i2]), "to": " ".join(toks[j1:j2])})
                subs[(" ".join(stoks[i1:i2]), " ".join(toks[j1:j2]))] += 1
        if len(passages) < 10:
            passages.append({"filing": s[:400], "source": src[:400], "similarity": round(ratio, 3), "swapped": swapped})
    return {
        "copied_share": matched_tokens / total_tokens if total_tokens else 0.0,
        "matched_sentences": sum(1 for _ in passages),
        "passages": passages,
        "substitutions": [{"from": a, "to": b, "times": n} for (a, b), n in subs.most_common(30)],
    }


def engine_candidates(store: Any, doc: FilingDoc, top: int) -> tuple[list[tuple[str, float]] | None, str]:
    """The prior-art engine's hits for a filing (`ipoffice.search.priorart`), if installed and its index built;
    (None, why) otherwise. Scores are the engine's."""
    try:
        from ipoffice.search.priorart import PriorArtQuery, prior_art  # optional: the search desk's engine
    except ImportError:
        return None, "prior-art engine not installed"
    if store is None:
        return None, "no store for the prior-art engine"
    from ipoffice.core.roles import SYSTEM

    try:
        q = PriorArtQuery(number=doc.number, before=doc.filing_date, top=top, claim_map=False, parts=("lexical",))
        res = prior_art(store, q, SYSTEM)
    except Exception as exc:  # noqa: BLE001 - the engine's index may be missing or stale; fall back
        return None, f"prior-art engine unavailable: {type(exc).__name__}: {exc}"
    return [(h.number, float(h.score)) for h in res.hits], "prior-art engine (lexical)"


SHINGLE_WORDS = 5  # words per shingle (characters x2 for Chinese): 8% substituted words leave ~2/3 of them intact


DF_SAMPLE = 8  # 1 in DF_SAMPLE shingles (by hash) is counted corpus-wide for boilerplate (engines: table `dfs`)
_MASK = (1 << 62) - 1


def shingles(doc: FilingDoc, limit_words: int = 3000) -> set[int]:
    """Hashes of the 5-word (10-character) shingles of a filing: deterministic (crc32 of each token, rolled
    over the shingle and mixed with numpy, 62-bit), so the extraction workers and the scan compute the same
    values, fast enough to run on every filing of a million."""
    toks = tokens(doc.text(limit_words))
    k = SHINGLE_WORDS * 2 if doc.language == "zh" else SHINGLE_WORDS
    n = len(toks) - k + 1
    if n <= 0:
        return set()
    th = np.fromiter((zlib.crc32(w.encode("utf-8")) for w in toks), dtype=np.uint64, count=len(toks))
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = h * _POLY + th[j : j + n]
        h = _fmix64(h) & np.uint64(_MASK)
    return set(h.tolist())


def sampled(hashes: set[int]) -> set[int]:
    """The shingles counted corpus-wide: those whose hash is 0 modulo DF_SAMPLE (an unbiased 1/DF_SAMPLE)."""
    return {h for h in hashes if h % DF_SAMPLE == 0}


def boilerplate(sets: list[set[int]], min_docs: int) -> set[int]:
    """Shingles carried by at least `min_docs` documents: formal boilerplate (a design patent's claim and figure
    list, standard legal phrases), which two unrelated filings share without any copying."""
    counts: Counter[int] = Counter()
    for s in sets:
        counts.update(s)
    return {h for h, c in counts.items() if c >= min_docs}


def distinctive_overlap(mine: set[int], theirs: set[int], boiler: set[int]) -> tuple[float, int]:
    """Share of a filing's non-boilerplate shingles found in the source, and how many that is, estimated on the
    sampled shingles (boilerplate is known for those: counted over the whole corpus, `dfs`)."""
    own = sampled(mine) - boiler
    shared = len(own & theirs)
    return (shared / len(own) if own else 0.0), shared * DF_SAMPLE


def score(
    cosine: float, copied_share: float, distinctive: float = 1.0, shared: int = 10**6, min_shared: int = 0
) -> float:
    """Passage-level copying and copying of the filing's own (non-boilerplate) text must both be high: text that
    matches only through boilerplate, or only a few passages, is not a copy of the source. `cosine` is the
    pair's estimated similarity (MinHash), which alone caps the score under any flag."""
    if shared < min_shared:
        return round(min(0.5, 0.5 * min(1.0, cosine)), 4)
    return round(0.5 * min(1.0, distinctive / 0.5) + 0.5 * copied_share, 4)
