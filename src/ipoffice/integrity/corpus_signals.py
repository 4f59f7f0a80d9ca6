"""Corpus-wide patent signals (CNIPA Order No. 77 Art. 3(1), (5), (6), (7) and Art. 4; Announcement No. 411 before
2024-01-20): near-duplicates and feature recombination, filing bursts without an inventor base, related parties
splitting filings, transfer chains and inventor changes, and agencies whose filings carry flags far above the rate.

The heavy passes run on a query engine chosen by `ScanContext.engine_name` ("duckdb" default, "spark" for a
cluster, "python" = duckdb) over Parquet tables extracted once from the store (`engines.extract`). Both engines
return the same candidate sets; everything after (exact Jaccard, tests, scores, evidence) is this module's, so
the flags are the same whatever the engine. The passes run once per scan (cached in `ctx.options`), and each
registered signal returns its behaviour's flags.

Events the transfer pass reads from the store's `events` table (entity "patent"):
  - `transferred`, details {"from": [names], "to": [names]}: a change of applicant (application right);
  - `inventor-changed`, details {"removed": [names], "added": [names], "kept": [names]}.

The per-document signals join the same scan so that a million filings stay linear:
  - P2 (copying of another applicant's prior art): candidates come from the same LSH band join as P1, across
    applicants, the source published before the target's filing date (copying with word substitutions keeps
    many shingles); each candidate is then confirmed by the prior-art engine where its index exists and aligned
    sentence by sentence (`copying.align`) for the matched passages and substituted words, with the shingle diff;
  - P3 (generated text) and P4 (claim structure) are judged per filing in the extraction pass
    (`engines.perdoc`), and the engines hand back the filings that reach a flag.

Options (ctx.options): `extract` an `engines.Extract` to scan instead of the store (benchmarks);
`corpus_workers` extraction processes; `perdoc` (default True) judge P3/P4 when extracting the store;
`use_priorart` (default True) confirm P2 candidates with the prior-art engine.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson
from scipy.stats import binom, poisson

from ipoffice.integrity.engines import open_passes
from ipoffice.integrity.engines.extract import (
    NUM_PERM,
    Extract,
    claim_features,
    extract_store,
    related_keys,
    shingle_set,
)
from ipoffice.integrity.flags import Flag
from ipoffice.integrity.signals import ScanContext, signal

ESTIMATE_SLACK = 0.15  # MinHash estimates within this of a threshold are verified exactly
DIFF_SAMPLES = 6


@dataclass
class CorpusResults:
    flags: dict[str, list[Flag]] = field(default_factory=dict)  # signal name -> flags
    flagged_docs: set[int] = field(default_factory=set)  # doc ids with a kept P1/P5/P6/P7 flag (for A4)
    stats: dict[str, Any] = field(default_factory=dict)


def _versions(ctx: ScanContext, code: str) -> list[Any]:
    return [b for b in ctx.rules.behaviours if b.code == code]


def _loose(ctx: ScanContext, code: str, name: str, default: float, lowest: bool = True) -> float:
    """The loosest value of a threshold over every version of a behaviour (the engine pre-filter)."""
    vals = [float(b.thresholds.get(name, default)) for b in _versions(ctx, code)] or [default]
    return min(vals) if lowest else max(vals)


def _th(ctx: ScanContext, code: str, day: dt.date | None, name: str, default: float) -> float:
    return ctx.rules.threshold(code, day, name, default)


def _log_score(p: float) -> float:
    return 1.0 if p <= 0 else min(1.0, -math.log10(p) / 12.0)


def _ref(meta: dict[str, Any], **figures: Any) -> dict[str, Any]:
    d = meta.get("filing_date")
    return {
        "number": meta.get("number"),
        "filing_date": d.isoformat() if d else None,
        "applicants": meta.get("owners") or [],
        **figures,
    }


def _gaps(meta: dict[str, Any]) -> list[str]:
    return list(meta.get("gaps") or [])


def _in_scope(ctx: ScanContext, meta: dict[str, Any]) -> bool:
    d = meta.get("filing_date")
    return ctx.since is None or d is None or d >= ctx.since


def _phrases(shingles: set[str], order: list[str]) -> list[str]:
    return [s for s in order if s in shingles][:DIFF_SAMPLES]


# ---------------------------------------------------------------- the passes


def corpus_results(ctx: ScanContext) -> CorpusResults:
    """Run every corpus pass once for this scan (cached in ctx.options)."""
    cached = ctx.options.get("_corpus_results")
    if cached is not None:
        return cached
    ex: Extract | None = ctx.options.get("extract")
    own = ex is None
    if ex is None:
        spec = perdoc_spec(ctx) if ctx.options.get("perdoc", True) else None
        ex = extract_store(ctx.engine, workers=int(ctx.options.get("corpus_workers", 1)), perdoc=spec)
    passes = open_passes(ex, ctx.engine_name)
    try:
        res = _run(ctx, ex, passes)
    finally:
        passes.close()
        if own:
            ex.close()
    ctx.options["_corpus_results"] = res
    return res


def perdoc_spec(ctx: ScanContext) -> Any:
    """What the extraction workers judge P3/P4 with: the rules and the generated-text model of this scan."""
    from ipoffice.integrity.engines.perdoc import PerDocSpec
    from ipoffice.integrity.patent_signals import generated_model

    try:
        model, where = generated_model(ctx)
    except ValueError as exc:  # too little real text in the store to train: P3 is not judged, and says so
        ctx.options["_perdoc_warning"] = f"generated-text model not trained: {exc}"
        model, where = None, ""
    return PerDocSpec(rules=ctx.rules, model=model, model_where=where)


def _run(ctx: ScanContext, ex: Extract, passes: Any) -> CorpusResults:
    import duckdb

    from ipoffice.integrity.engines.duckdb_passes import docs_meta

    res = CorpusResults(stats={"engine": passes.name, "tables": dict(ex.counts)})
    meta_con = duckdb.connect()
    meta_con.execute("SET memory_limit='256MB'")  # small lookups by id: bounded beside the passes' own limit
    meta_con.execute("SET threads=2")
    for t in ("docs", "owners", "agencies"):
        meta_con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{ex.path(t)}')")

    def meta(ids: list[int]) -> dict[int, dict[str, Any]]:
        return docs_meta(meta_con, ids)

    timings: dict[str, float] = {}
    res.stats["seconds"] = timings

    def timed(name: str, fn: Any, *args: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            timings[name] = round(time.perf_counter() - t0, 2)

    try:
        dup_flags, graph_flags = timed(
            "near_duplicates_party_graph", _near_duplicates, ctx, ex, passes, meta, res.stats
        )
        copies = timed("prior_art_copy", _copies, ctx, ex, passes, meta, res.stats)
        perdoc = timed("perdoc", _perdoc, ctx, ex, passes, res.stats)
        found = {
            "near_duplicate": dup_flags,
            "party_graph": graph_flags,
            "recombination": timed("recombination", _recombination, ctx, ex, passes, meta, res.stats),
            "filing_burst": timed("filing_burst", _bursts, ctx, passes, meta, res.stats),
            "transfer_chain": timed("transfer_chain", _transfers, ctx, passes, meta, res.stats),
        }
        for name, pairs in found.items():
            res.flags[name] = [f for _, f in pairs]
            res.flagged_docs.update(doc for doc, f in pairs if _kept(ctx, f))
        # Art. 4 counts the corpus behaviours (as before); P2-P4 are kept beside them
        res.flags["prior_art_copy"] = [f for _, f in copies]
        res.flags.update(perdoc)
        res.flags["agency_rate"] = timed("agency_rate", _agencies, ctx, passes, meta_con, res, res.stats)
    finally:
        meta_con.close()
    return res


def _kept(ctx: ScanContext, f: Flag | None) -> bool:
    """Would the scan keep this flag (its score reaches the behaviour's `flag` threshold)?"""
    if f is None:
        return False
    b = ctx.rules.in_force(f.behaviour, f.filing_date)
    return b is not None and f.score >= float(b.thresholds.get("flag", 0.5))


def _near_duplicates(ctx, ex, passes, meta, stats) -> tuple[list[tuple[int, Flag]], list[tuple[int, Flag]]]:
    jac = _loose(ctx, "P1", "jaccard", 0.8)
    rel = _loose(ctx, "P6", "related_jaccard", 0.6)
    floor = max(0.0, min(jac, rel) - ESTIMATE_SLACK)
    max_bucket = int(_loose(ctx, "P1", "max_bucket", 200, False))
    # one band join for P1/P6 and P2 (copying): scored at the lower of their floors
    passes.prepare_pairs(min(math.ceil(floor * NUM_PERM), _copy_floor(ctx)), max_bucket)
    pairs = passes.candidate_pairs(math.ceil(floor * NUM_PERM), max_bucket)
    max_hub = int(_loose(ctx, "P6", "max_hub", 25, False))
    comps = passes.components(max_hub)
    stats["candidate_pairs"] = len(pairs)
    stats["graph_components"] = len(set(comps.values()))
    ids = sorted({i for a, b, _ in pairs for i in (a, b)})
    m = meta(ids)
    records = ex.source(ids) if ids else {}
    sh_order = {i: shingle_set(records.get(i) or {}) for i in ids}
    sh = {i: set(v) for i, v in sh_order.items()}

    # who is tied to whom: a shared (non-hub) attribute, or one small party-graph component
    involved = sorted({o for i in ids for o in m[i]["owners"]})
    attrs: dict[str, set[str]] = defaultdict(set)
    for o, attr in passes.component_ties(involved, max_hub):
        attrs[o].add(attr)
    comp_size: dict[str, int] = defaultdict(int)
    for c in comps.values():
        comp_size[c] += 1
    max_comp = _loose(ctx, "P6", "max_component", 50, False)

    def tie(oa: set[str], ob: set[str]) -> tuple[list[str], str | None]:
        direct = sorted({x for o1 in oa for o2 in ob for x in attrs[o1] & attrs[o2]})
        comp = sorted(
            {comps[o] for o in oa if o in comps}
            & {comps[o] for o in ob if o in comps and comp_size[comps[o]] <= max_comp}
        )
        return direct, (comp[0] if comp else None)

    dup: dict[int, list[dict[str, Any]]] = defaultdict(list)
    cross: list[tuple[int, int, float, list[str]]] = []
    for a, b, matches in pairs:
        sa, sb = sh[a], sh[b]
        if not sa or not sb:
            continue
        j = len(sa & sb) / len(sa | sb)
        oa, ob = set(m[a]["owners"]), set(m[b]["owners"])
        shared = sorted(oa & ob)
        direct, comp = tie(oa, ob) if (oa and ob and not shared) else ([], None)
        pair = {
            "a": a,
            "b": b,
            "jaccard": round(j, 4),
            "minhash_estimate": round(matches / NUM_PERM, 4),
            "shared_applicants": shared,
            "ties": direct[:10],
            "component": comp,
        }
        if shared or direct or comp:
            dup[a].append(pair)
            dup[b].append(pair)
        if not shared and (direct or comp):
            cross.append((a, b, j, direct))

    dup_flags: list[tuple[int, Flag]] = []
    for doc, plist in sorted(dup.items()):
        md = m[doc]
        day = md["filing_date"]
        thr = _th(ctx, "P1", day, "jaccard", 0.8)
        hits = sorted((p for p in plist if p["jaccard"] >= thr), key=lambda p: -p["jaccard"])
        if not hits or not _in_scope(ctx, md):
            continue
        best = hits[0]
        other = best["b"] if best["a"] == doc else best["a"]
        only_here = sh[doc] - sh[other]
        only_there = sh[other] - sh[doc]
        ev = {
            "summary": f"{len(hits)} filing(s) with obviously identical content (Jaccard >= {thr})",
            "documents": [
                _ref(
                    m[p["b"] if p["a"] == doc else p["a"]],
                    jaccard=p["jaccard"],
                    minhash_estimate=p["minhash_estimate"],
                    tie="same applicant" if p["shared_applicants"] else "related parties (party graph)",
                    shared_attributes=p["ties"],
                )
                for p in hits[:20]
            ],
            "related": [m[p["b"] if p["a"] == doc else p["a"]]["number"] for p in hits],
            "figures": {
                "jaccard": best["jaccard"],
                "shingles": len(sh[doc]),
                "shingles_other": len(sh[other]),
                "shared_shingles": len(sh[doc] & sh[other]),
            },
            "diff": {
                "compared_with": m[other]["number"],
                "only_in_this": _phrases(only_here, sh_order[doc]),
                "only_in_other": _phrases(only_there, sh_order[other]),
                "count_only_in_this": len(only_here),
                "count_only_in_other": len(only_there),
            },
            "gaps": _gaps(md),
        }
        f = ctx.flag("P1", md["number"], day, best["jaccard"], ev, "near_duplicate")
        if f:
            dup_flags.append((doc, f))

    # P6: clusters of related filings (pairs of tied applicants), split over several applicants
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    kept: list[tuple[int, int, float, list[str]]] = []
    for a, b, j, direct in cross:
        thr = min(_th(ctx, "P6", m[d]["filing_date"], "related_jaccard", 0.6) for d in (a, b))
        if j >= thr:
            kept.append((a, b, j, direct))
            parent[find(a)] = find(b)
    clusters: dict[int, list[tuple[int, int, float, list[str]]]] = defaultdict(list)
    for pr in kept:
        clusters[find(pr[0])].append(pr)
    graph_flags: list[tuple[int, Flag]] = []
    for plist in clusters.values():
        docs = sorted({d for a, b, _, _ in plist for d in (a, b)})
        owners = sorted({o for d in docs for o in m[d]["owners"]})
        tie_attrs: dict[str, set[str]] = defaultdict(set)
        for o in owners:
            for attr in attrs[o]:
                tie_attrs[attr].add(o)
        shared_ties = {a: os_ for a, os_ in tie_attrs.items() if len(os_) >= 2}
        comps_here = sorted({comps[o] for o in owners if o in comps})
        for d in docs:
            md = m[d]
            day = md["filing_date"]
            if len(owners) < _th(ctx, "P6", day, "min_applicants", 3) or not _in_scope(ctx, md):
                continue
            partners = {}
            for a, b, j, _ in plist:
                if d in (a, b):
                    o = b if a == d else a
                    partners[o] = max(partners.get(o, 0.0), j)
            others = [x for x in docs if x != d]
            ev = {
                "summary": f"related filings split over {len(owners)} applicants tied by shared parties or addresses",
                "applicants": owners,
                "ties": [{"attribute": a, "applicants": sorted(os_)} for a, os_ in sorted(shared_ties.items())][:20],
                "party_graph_components": [{"component": c, "applicants": comp_size[c]} for c in comps_here][:10],
                "documents": [
                    _ref(m[x], **({"jaccard": round(partners[x], 4)} if x in partners else {})) for x in others[:20]
                ],
                "related": [m[x]["number"] for x in others],
                "figures": {"applicants": len(owners), "related_filings": len(docs)},
                "gaps": _gaps(md),
            }
            f = ctx.flag("P6", md["number"], day, 1.0 - 1.0 / len(owners), ev, "party_graph")
            if f:
                graph_flags.append((d, f))
    return dup_flags, graph_flags


def _copy_floor(ctx: ScanContext) -> int:
    """Matching MinHash positions a P2 candidate needs: the loosest `candidate_jaccard` of any P2 version."""
    return math.ceil(_loose(ctx, "P2", "candidate_jaccard", 0.3) * NUM_PERM)


def _copies(ctx, ex, passes, meta, stats) -> list[tuple[int, Flag]]:
    """Order 77 Art. 3(2): copying or simple substitution of another applicant's earlier published document.

    Candidates: the LSH band join (pairs of other owners and inventors, the source published before the
    target's filing date). Each is then judged as `copying` always did: sentence alignment (matched passages,
    substituted words) and the share of the filing's distinctive 5-word shingles found in the source; shingles
    carried by `boilerplate_docs` or more filings of the corpus are boilerplate (forms, standard phrases), counted
    on a 1-in-8 hash sample of every filing's shingles (the extract's `dfs` table) so memory stays bounded.
    The prior-art engine, where its index exists, is asked about the candidates only, and its answer (rank of
    the source) is evidence; without it the shingle diff of the pair stands as the evidence of what was taken."""
    from ipoffice.integrity import copying
    from ipoffice.integrity.documents import doc_ref
    from ipoffice.integrity.engines.perdoc import filing_from_record

    max_bucket = int(_loose(ctx, "P1", "max_bucket", 200, False))
    cands = passes.copy_candidates(_copy_floor(ctx), max_bucket)
    stats["copy_candidates"] = len(cands)
    if not cands:
        return []
    by_target: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for t, src, matches in cands:
        by_target[t].append((src, matches))
    ids = sorted({i for t, src, _ in cands for i in (t, src)})
    recs = ex.source(ids)
    docs = {i: filing_from_record(i, recs[i]) for i in ids if i in recs}
    sh = {i: copying.shingles(d) for i, d in docs.items()}
    common = int(_loose(ctx, "P2", "boilerplate_docs", 5))
    # boilerplate: sampled shingles of these filings carried by `boilerplate_docs` or more filings of the corpus
    boiler = set(passes.boilerplate(ids, common))
    stats["copy_boilerplate_shingles"] = len(boiler)
    store = ctx.options.get("store") if ctx.options.get("use_priorart", True) else None
    engine_note = "no store for the prior-art engine" if store is None else ""
    out: list[tuple[int, Flag]] = []
    for t in sorted(by_target):
        doc = docs.get(t)
        if doc is None or ctx.rules.in_force("P2", doc.filing_date) is None:
            continue
        if ctx.since is not None and doc.filing_date is not None and doc.filing_date < ctx.since:
            continue
        day = doc.filing_date
        need = math.ceil(_th(ctx, "P2", day, "candidate_jaccard", 0.3) * NUM_PERM)
        ratio = _th(ctx, "P2", day, "passage_ratio", 0.7)
        min_shared = int(_th(ctx, "P2", day, "min_shared_shingles", 40))
        srcs = [
            (j, mm)
            for j, mm in sorted(by_target[t], key=lambda c: (-c[1], c[0]))
            if mm >= need and j in docs and copying.earlier_other(doc, docs[j])
        ][:3]
        if not srcs:
            continue
        hits, why = (None, engine_note) if store is None else copying.engine_candidates(store, doc, 10)
        best: tuple[float, int, dict[str, Any]] | None = None
        for j, mm in srcs:
            src = docs[j]
            al = copying.align(doc.text(3000), src.text(6000), ratio)
            dist, shared = copying.distinctive_overlap(sh[t], sh[j], boiler)
            sc = copying.score(mm / NUM_PERM, al["copied_share"], dist, shared, min_shared)
            if best is None or sc > best[0]:
                best = (
                    sc,
                    j,
                    {
                        "source": doc_ref(src, "copied-from"),
                        "minhash_estimate": round(mm / NUM_PERM, 4),
                        "copied_share": round(al["copied_share"], 4),
                        "distinctive_share": round(dist, 4),
                        "distinctive_shingles": shared,
                        "passages": al["passages"],
                        "substituted_words": al["substitutions"],
                    },
                )
        assert best is not None
        sc, j, found = best
        if hits is not None:
            rank = next((r for r, (n, _) in enumerate(hits, 1) if n == docs[j].number), None)
            engine = (
                f"{why}: confirms the source at rank {rank} of {len(hits)}"
                if rank
                else f"{why}: the source is not in its top {len(hits)} (candidate from the LSH band join)"
            )
            found["prior_art_engine"] = {"source_rank": rank, "hits": [n for n, _ in hits[:10]]}
        else:
            engine = f"LSH band join over earlier documents of other applicants (prior-art engine: {why})"
        ta, tb = shingle_set(recs[t]), shingle_set(recs[j])
        sa, sb = set(ta), set(tb)
        ev = {
            "documents": [doc_ref(doc, "filing"), found["source"]],
            "figures": {
                "minhash_estimate": found["minhash_estimate"],
                "jaccard": round(len(sa & sb) / len(sa | sb), 4) if sa and sb else 0.0,
                "copied_share": found["copied_share"],
                "distinctive_share": found["distinctive_share"],
                "distinctive_shingles": found["distinctive_shingles"],
                "boilerplate_docs": common,
            },
            "engine": engine,
            **found,
            "diff": {
                "compared_with": docs[j].number,
                "only_in_this": _phrases(sa - sb, ta),
                "only_in_source": _phrases(sb - sa, tb),
                "count_only_in_this": len(sa - sb),
                "count_only_in_source": len(sb - sa),
            },
            **({"gaps": doc.gaps} if doc.gaps else {}),
        }
        f = ctx.flag("P2", doc.number, day, sc, ev, "prior_art_copy")
        if f:
            out.append((t, f))
    return out


def _perdoc(ctx, ex, passes, stats) -> dict[str, list[Flag]]:
    """P3 and P4 flags judged in the extraction pass (engines.perdoc); none at all (no key) when the extract
    was built without them (the signals then say so rather than report nothing)."""
    from ipoffice.integrity.engines.perdoc import PERDOC_SIGNALS

    if not ex.counts.get("perdoc_judged"):
        return {}
    out: dict[str, list[Flag]] = {s: [] for s in PERDOC_SIGNALS}
    rows = passes.perdoc_flags()
    stats["perdoc_rows"] = len(rows)
    for _doc, number, day, code, sig_name, score, ev in rows:
        if ctx.since is not None and day is not None and day < ctx.since:
            continue
        f = ctx.flag(code, number, day, score, orjson.loads(ev), sig_name)
        if f:
            out.setdefault(sig_name, []).append(f)
    return out


def _recombination(ctx, ex, passes, meta, stats) -> list[tuple[int, Flag]]:
    rows = passes.recombination(
        int(_loose(ctx, "P1", "min_features", 3)), int(_loose(ctx, "P1", "max_feature_docs", 50, False))
    )
    stats["recombination_candidates"] = len(rows)
    if not rows:
        return []
    ids = sorted({i for r in rows for i in [r[0], *r[4]]})
    m = meta(ids)
    recs = ex.source(ids)
    out: list[tuple[int, Flag]] = []
    for doc, n_feat, _found, _one, srcs in rows:
        md = m[doc]
        day = md["filing_date"]
        if n_feat < _th(ctx, "P1", day, "min_features", 3) or not _in_scope(ctx, md):
            continue
        fam = set(related_keys(recs[doc]))
        feats = claim_features(recs[doc])
        where: dict[str, list[int]] = {}
        for s in srcs:
            if fam & set(related_keys(recs[s])):
                continue  # a family member repeating its parent's features is no recombination
            sf = set(claim_features(recs[s]))
            for f in feats:
                if f in sf:
                    where.setdefault(f, []).append(s)
        found = [f for f in feats if f in where]
        sources = sorted({s for v in where.values() for s in v})
        coverage = len(found) / len(feats) if feats else 0.0
        one = max((sum(1 for f in found if s in where[f]) for s in sources), default=0)
        if coverage < _th(ctx, "P1", day, "coverage", 1.0) or len(sources) < 2 or one >= len(found):
            continue
        ev = {
            "summary": f"claim 1 is a combination of {len(found)} features taken from {len(sources)} other filings "
            "of the same applicant",
            "features": [{"feature": f[:200], "found_in": [m[s]["number"] for s in where[f]]} for f in found],
            "documents": [_ref(m[s]) for s in sources[:20]],
            "related": [m[s]["number"] for s in sources],
            "figures": {
                "features": len(feats),
                "found": len(found),
                "coverage": round(coverage, 4),
                "largest_from_one_filing": one,
            },
            "gaps": _gaps(md),
        }
        f = ctx.flag("P1", md["number"], day, coverage, ev, "recombination")
        if f:
            out.append((doc, f))
    return out


def _bursts(ctx, passes, meta, stats) -> list[tuple[int, Flag]]:
    weeks, bursts = passes.weekly(int(_loose(ctx, "P5", "min_burst", 10)))
    stats["burst_weeks"] = len(bursts)
    hist: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for o, w, n in weeks:
        hist[o].append((w, n))
    ids = sorted({d for b in bursts for d in b[5]})
    m = meta(ids)
    out: list[tuple[int, Flag]] = []
    for owner, week, n, n_inv, n_sec, docs in bursts:
        h = hist[owner]
        total = sum(c for _, c in h)
        span = max(w for w, _ in h) - min(w for w, _ in h) + 1
        counts = sorted(c for _, c in h)
        median = (
            counts[len(counts) // 2]
            if len(counts) % 2
            else (counts[len(counts) // 2 - 1] + counts[len(counts) // 2]) / 2
        )
        for d in docs:
            md = m[d]
            day = md["filing_date"]
            if n < _th(ctx, "P5", day, "min_burst", 10) or not _in_scope(ctx, md):
                continue
            lam = max((total - n) / max(span - 1, 1), _th(ctx, "P5", day, "base_rate", 0.2))
            p = float(poisson.sf(n - 1, lam))
            per_inv = n / max(n_inv, 1)
            no_base = per_inv >= _th(ctx, "P5", day, "per_inventor", 2.5)
            spread = n_sec >= _th(ctx, "P5", day, "min_sections", 3)
            above = n >= _th(ctx, "P5", day, "median_ratio", 5) * median or len(counts) == 1
            if not (above and (no_base or spread)):
                continue
            start = dt.date(1970, 1, 5) + dt.timedelta(weeks=week)
            reasons = []
            if no_base:
                reasons.append(f"{per_inv:.1f} filings per inventor")
            if spread:
                reasons.append(f"{n_sec} unrelated IPC sections")
            ev = {
                "summary": f"{n} filings by {md['owner']} in the week of {start.isoformat()} "
                f"({'; '.join(reasons)}) against an expected {lam:.2f} a week",
                "applicant": owner,
                "related": [m[x]["number"] for x in docs if x != d][:50],
                "figures": {
                    "week_start": start.isoformat(),
                    "filings_in_week": n,
                    "expected_per_week": round(lam, 4),
                    "median_active_week": median,
                    "poisson_p": p,
                    "history_filings": total,
                    "history_weeks": span,
                    "distinct_inventors": n_inv,
                    "filings_per_inventor": round(per_inv, 3),
                    "ipc_sections": n_sec,
                },
                "gaps": _gaps(md),
            }
            f = ctx.flag("P5", md["number"], day, _log_score(p), ev, "filing_burst")
            if f:
                out.append((d, f))
    return out


def _transfers(ctx, passes, meta, stats) -> list[tuple[int, Flag]]:
    window = int(_loose(ctx, "P7", "window_days", 365, False))
    chains, many, changes = passes.transfers(window, int(_loose(ctx, "P7", "min_sources", 3)))
    stats["transferred_filings"] = len(chains)
    ids = sorted({c[0] for c in chains} | {d for r in many for d in r[2]} | {c[0] for c in changes})
    m = meta(ids)
    parts: dict[int, list[tuple[float, dict[str, Any]]]] = defaultdict(list)
    for doc, n, first_days, chain in chains:
        day = m[doc]["filing_date"]
        if n >= _th(ctx, "P7", day, "min_chain", 2):
            parts[doc].append(
                (
                    1.0 - 1.0 / (n + 1),
                    {"kind": "transfer chain", "transfers": n, "days_to_first": first_days, "chain": chain},
                )
            )
    for receiver, n_src, docs in many:
        for d in docs:
            if n_src >= _th(ctx, "P7", m[d]["filing_date"], "min_sources", 3):
                parts[d].append(
                    (
                        1.0 - 1.0 / n_src,
                        {
                            "kind": "many-to-one transfers",
                            "receiver": receiver,
                            "transferors": n_src,
                            "related": [m[x]["number"] for x in docs if x != d][:50],
                        },
                    )
                )
    for doc, days, removed, added, kept in changes:
        if removed >= 1 and kept == 0:
            parts[doc].append(
                (0.8, {"kind": "all inventors replaced", "days_after_filing": days, "removed": removed, "added": added})
            )
    out: list[tuple[int, Flag]] = []
    for doc, ps in sorted(parts.items()):
        md = m[doc]
        if not _in_scope(ctx, md):
            continue
        score = max(s for s, _ in ps)
        related = sorted({x for _, p in ps for x in p.get("related", [])})
        ev = {
            "summary": "; ".join(p["kind"] for _, p in ps),
            "findings": [{k: v for k, v in p.items() if k != "related"} for _, p in ps],
            "related": related,
            "figures": {"window_days": window},
            "gaps": _gaps(md),
        }
        f = ctx.flag("P7", md["number"], md["filing_date"], score, ev, "transfer_chain")
        if f:
            out.append((doc, f))
    return out


def _agencies(ctx, passes, meta_con, res: CorpusResults, stats) -> list[Flag]:
    """Art. 4: agencies whose filings carry the corpus flags (P1, P5, P6, P7) far above the base rate."""
    flagged_ids = sorted(res.flagged_docs)
    counts = passes.agency_counts(flagged_ids)
    n_all = sum(n for _, n, _ in counts)
    k_all = sum(k for _, _, k in counts)
    stats["agencies"] = len(counts)
    if not n_all or not k_all:
        return []
    base = k_all / n_all
    stats["agency_base_rate"] = round(base, 6)
    out: list[Flag] = []
    candidates = [a for a, _n, k in counts if k >= _loose(ctx, "A4", "min_flags", 5)]
    # the flagged filings of every candidate agency in one query (latest filing date, numbers): one query per
    # agency re-read the docs and owners tables each time, 17 minutes for a thousand agencies at 1M filings
    of_agency: dict[str, tuple[Any, list[str]]] = (
        {
            r[0]: (r[1], r[2] or [])
            for r in meta_con.execute(
                """
            WITH f AS (SELECT DISTINCT a.agency, a.doc_id FROM agencies a
                       WHERE a.doc_id IN (SELECT unnest(?::BIGINT[])) AND a.agency IN (SELECT unnest(?::VARCHAR[])))
            SELECT f.agency, max(d.filing_date), list(d.number ORDER BY d.number)
            FROM f JOIN docs d USING (doc_id) GROUP BY f.agency
            """,
                [flagged_ids, candidates],
            ).fetchall()
        }
        if candidates
        else {}
    )
    for agency, n, k in counts:
        if k < _loose(ctx, "A4", "min_flags", 5):
            continue
        # the rate of every other agency: a mill holding most bad filings must not raise the rate it is judged by
        rest_n, rest_k = n_all - n, k_all - k
        base_other = max(rest_k / rest_n, 1.0 / rest_n) if rest_n else base
        day, numbers = of_agency.get(agency, (None, []))
        if k < _th(ctx, "A4", day, "min_flags", 5) or k / n < _th(ctx, "A4", day, "ratio", 3) * base_other:
            continue
        p = float(binom.sf(k - 1, n, base_other))
        ev = {
            "summary": f"{k} of {n} filings flagged ({k / n:.1%}) against {base_other:.2%} for the other agencies",
            "agency": agency,
            "related": numbers[:100],
            "figures": {
                "filings": n,
                "flagged": k,
                "rate": round(k / n, 4),
                "base_rate": round(base_other, 6),
                "base_rate_all": round(base, 6),
                "binomial_p": p,
            },
            "gaps": [] if day else ["no filing date on the flagged filings: judged by the rules now in force"],
        }
        f = ctx.flag("A4", agency, day, _log_score(p), ev, "agency_rate")
        if f:
            out.append(f)
    return out


# ---------------------------------------------------------------- the registered signals


@signal("near_duplicate", kind="patent")
def near_duplicate(ctx: ScanContext) -> list[Flag]:
    """Order 77 Art. 3(1): near-duplicate filings of one applicant or of related parties (MinHash/LSH, exact
    Jaccard, shingle-level diff); families (shared family or priority) are not duplicates."""
    return corpus_results(ctx).flags["near_duplicate"]


@signal("recombination", kind="patent")
def recombination(ctx: ScanContext) -> list[Flag]:
    """Order 77 Art. 3(1): claim 1 assembled from features of several of the applicant's other filings."""
    return corpus_results(ctx).flags["recombination"]


@signal("filing_burst", kind="patent")
def filing_burst(ctx: ScanContext) -> list[Flag]:
    """Order 77 Art. 3(5): a week's filings far above the applicant's own rate (Poisson tail), with few inventors
    for the volume or a spread over unrelated IPC sections."""
    return corpus_results(ctx).flags["filing_burst"]


@signal("party_graph", kind="patent")
def party_graph(ctx: ScanContext) -> list[Flag]:
    """Order 77 Art. 3(6): related filings split over applicants tied by inventors, addresses or contacts."""
    return corpus_results(ctx).flags["party_graph"]


@signal("transfer_chain", kind="patent")
def transfer_chain(ctx: ScanContext) -> list[Flag]:
    """Order 77 Art. 3(7): transfer chains soon after filing, many-to-one transfers, all inventors replaced."""
    return corpus_results(ctx).flags["transfer_chain"]


@signal("agency_rate", kind="agency")
def agency_rate(ctx: ScanContext) -> list[Flag]:
    """Order 77 Art. 4: agencies whose filings carry the corpus flags far above the base rate (binomial test)."""
    return corpus_results(ctx).flags["agency_rate"]
