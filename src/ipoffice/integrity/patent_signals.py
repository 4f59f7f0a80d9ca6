"""Per-document patent signals of the integrity desk: CNIPA Order No. 77 Art. 3 items (2), (3) and (4)
(Announcement No. 411 Art. 2 items (2), (4), (5) for filings before 2024-01-20).

Each signal returns flags whose evidence names the documents and the figures: the source document and the
matched passages for copying, the text statistics and their distance from real patents for generated text,
the claims for degraded or stacked claim sets. Corpus-wide passes (near-duplicates, bursts, party graphs,
transfers, agencies) are in `corpus_signals`.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from ipoffice.integrity import textstats
from ipoffice.integrity.documents import FilingDoc, doc_ref, filings, in_scope
from ipoffice.integrity.flags import Flag
from ipoffice.integrity.signals import ScanContext, signal

MODEL_FILE = "generated_text.joblib"
REFERENCE_BEFORE = "2021-03-11"  # store filings before the first rule (Ann. 411) are reference text for training


def _judged(ctx: ScanContext, code: str, doc: FilingDoc) -> bool:
    """In scope of this scan and a version of the behaviour in force on its filing date."""
    return in_scope(ctx, doc) and ctx.rules.in_force(code, doc.filing_date) is not None


def _gaps(doc: FilingDoc) -> dict[str, Any]:
    return {"gaps": doc.gaps} if doc.gaps else {}


# ---------------------------------------------------------------- P2 copying of prior art


def _corpus(ctx: ScanContext, name: str) -> list[Flag]:
    from ipoffice.integrity.corpus_signals import corpus_results

    flags = corpus_results(ctx).flags.get(name)
    if flags is None:
        raise RuntimeError(
            f"{name}: the scan's extract was built without per-document judgements (extract_records(perdoc=...))"
        )
    return flags


@signal("prior_art_copy", kind="patent")
def prior_art_copy(ctx: ScanContext) -> Iterator[Flag]:
    """P2: high similarity, passage by passage, to an earlier published document of another applicant.

    Candidates from the corpus pass (the LSH band join of P1, across applicants, source published before the
    filing date), confirmed by the prior-art engine where its index exists, aligned for the matched passages
    (corpus_signals._copies): linear in the corpus, where asking the engine about every filing was not."""
    yield from _corpus(ctx, "prior_art_copy")


# ---------------------------------------------------------------- P3 generated text


def _sample_texts() -> list[str]:
    """Real patent text shipped with ipoffice (sample/SOURCES.md): USPTO, EPO and CNIPA documents."""
    from ipoffice.ingest.base import detect
    from ipoffice.ingest.runner import parsed_items

    out = []
    folder = Path(str(resources.files("ipoffice") / "sample" / "patents"))
    for p in sorted(folder.iterdir()):
        fmt = detect(p)
        if fmt is None:
            continue
        for rec in parsed_items(fmt, p, 1):
            if hasattr(rec, "claims"):
                out.append(_record_text(rec.abstracts, rec.claims, rec.descriptions))
    return out


def _record_text(abstracts: dict[str, str], claims: dict[str, list[str]], desc: dict[str, str]) -> str:
    parts = list(abstracts.values())[:1] + ["\n".join(next(iter(claims.values()), []))] + list(desc.values())[:1]
    return "\n".join(p for p in parts if p)[:60000]


def training_texts(ctx: ScanContext, cap: int = 300) -> list[str]:
    """Real text: the bundled sample, the store's filings from before the first rule, topped up to `cap` with an
    even sample of the store's other filings (our own corpus: without them a store of recent filings would train
    on the sample alone). Store filings whose text drifts like generated text are screened out of the real class
    (`textstats.screen_real`): a few generated filings labelled real teach the classifier to pass them."""
    docs = [d for d in filings(ctx) if d.text(50)]
    ref = [d for d in docs if d.filing_date and d.filing_date.isoformat() < REFERENCE_BEFORE][:cap]
    rest = [d for d in docs if not (d.filing_date and d.filing_date.isoformat() < REFERENCE_BEFORE)]
    step = max(1, len(rest) // max(1, cap - len(ref))) if len(ref) < cap else 0
    top_up = rest[::step][: cap - len(ref)] if step else []
    sample = _sample_texts()
    store_texts = [d.text(3000) for d in ref + top_up]
    keep = textstats.screen_real(sample, store_texts)
    return sample + [t for t, k in zip(store_texts, keep, strict=True) if k]


@functools.cache
def _memory_model(key: str) -> textstats.GeneratedTextModel:
    return textstats.train(_MEMORY_TEXTS.pop(key))


_MEMORY_TEXTS: dict[str, list[str]] = {}


def generated_model(ctx: ScanContext) -> tuple[textstats.GeneratedTextModel, str]:
    """The stored model, or one trained now (and stored under $IPOFFICE_HOME/models/integrity/)."""
    if "generated_model" in ctx.options:
        return ctx.options["generated_model"], "given"
    path = Path(ctx.home) / "models" / "integrity" / MODEL_FILE if ctx.home else None
    if path is not None and path.exists():
        m = textstats.load(path)
        if m is not None:
            return m, str(path)
    texts = training_texts(ctx)
    if path is None:
        key = hashlib.sha1("".join(t[:200] for t in texts).encode()).hexdigest()
        _MEMORY_TEXTS.setdefault(key, texts)
        return _memory_model(key), "trained in memory"
    m = textstats.train(texts)
    textstats.save(m, path)
    return m, f"trained now, stored at {path}"


@signal("generated_text", kind="patent")
def generated_text(ctx: ScanContext) -> Iterator[Flag]:
    """P3: text statistics far from real patent language (classifier trained on real vs generated text, and the
    topic drift an examiner can read off the statistics: both must agree). Judged per filing in the extraction
    pass (engines.perdoc.judge_p3), streaming, so a million filings need no corpus in memory."""
    yield from _corpus(ctx, "generated_text")


SHINGLE = 10  # words (characters x2 for Chinese) per boilerplate shingle


def _shingles(doc: FilingDoc) -> set[int]:
    toks = textstats.tokens(doc.text(3000))
    k = SHINGLE * 2 if doc.language == "zh" else SHINGLE
    return {hash(" ".join(toks[i : i + k])) for i in range(0, max(0, len(toks) - k + 1))}


def _same_claims(a: FilingDoc, b: FilingDoc, k: int = 5) -> bool:
    """Whether most of a's claim text (k-word shingles) is in b's claims."""

    def sh(d: FilingDoc) -> set[str]:
        toks = textstats.tokens("\n".join(d.claims))
        return {" ".join(toks[i : i + k]) for i in range(0, max(0, len(toks) - k + 1))}

    mine = sh(a)
    return bool(mine) and len(mine & sh(b)) >= 0.5 * len(mine)


@signal("template_reuse", kind="patent")
def template_reuse(ctx: ScanContext) -> Iterator[Flag]:
    """P3: most of a filing's text is long boilerplate shared with filings of several other applicants.

    A shingle counts as boilerplate when filings of at least `template_min_docs` distinct applicants carry it
    (an applicant's own copies count once: duplicates are behaviour P1, copying another's text P2)."""
    docs = filings(ctx)
    sh = [_shingles(d) for d in docs]
    group = [frozenset(d.applicants) or frozenset([f"#{d.number}"]) for d in docs]
    holders: dict[int, set[frozenset[str]]] = {}
    docs_of: dict[int, set[int]] = {}
    for i, s in enumerate(sh):
        for h in s:
            holders.setdefault(h, set()).add(group[i])
            docs_of.setdefault(h, set()).add(i)
    for i, doc in enumerate(docs):
        min_len = int(ctx.rules.threshold("P3", doc.filing_date, "template_min_shingles", 200))
        if not _judged(ctx, "P3", doc) or len(sh[i]) < min_len:  # short formal texts (design claims) share forms
            continue
        min_docs = int(ctx.rules.threshold("P3", doc.filing_date, "template_min_docs", 3))
        share_th = ctx.rules.threshold("P3", doc.filing_date, "template_share", 0.5)
        shared = [h for h in sh[i] if len(holders[h]) >= min_docs]
        share = len(shared) / len(sh[i])
        if share < share_th / 2:
            continue
        partners: Counter[int] = Counter()
        for h in shared:
            partners.update(j for j in docs_of[h] if j != i)
        if partners and _same_claims(docs[i], docs[partners.most_common(1)[0][0]]):
            continue  # claims and all: a duplicate or a copy (P1, P2), not a template filled with claims of its own
        ev = {
            "documents": [doc_ref(doc, "filing")]
            + [doc_ref(docs[j], f"shares {n} boilerplate shingles") for j, n in partners.most_common(10)],
            "figures": {"boilerplate_share": round(share, 4), "shingle_words": SHINGLE, "min_applicants": min_docs},
            "sharing_filings": len(partners),
            **_gaps(doc),
        }
        flag = ctx.flag("P3", doc.number, doc.filing_date, min(1.0, 0.8 * share / share_th), ev, "template_reuse")
        if flag:
            yield flag


# ---------------------------------------------------------------- P4 claim structure


@signal("claim_structure", kind="patent")
def claim_structure(ctx: ScanContext) -> Iterator[Flag]:
    """P4: dependent claims adding only trivial limits, stacked alternatives, repeated or degraded claims.
    Judged per filing in the extraction pass (engines.perdoc.judge_p4)."""
    yield from _corpus(ctx, "claim_structure")
