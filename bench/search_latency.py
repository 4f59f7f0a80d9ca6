"""Search benchmark: index build speed and query latency on all the real patent text in the shared folder.

    .venv/bin/python bench/search_latency.py [--home DIR] [--queries 200] [--out bench/out/search.json]

1. Imports every patent file under ../shared/data/patents into a fresh data home (every format
   `ipoffice import` reads; skipped with ``--home`` pointing at a home that already holds them).
2. Builds the full-text index (`ipoffice index build`): documents/s, including the jieba user
   dictionary built from the IPC titles and the corpus.
3. Lexical stage of prior-art search (`PatentSearcher.lexical`): ``--queries`` claim-length queries,
   the first claim of documents drawn at random (fixed seed) from those that have claims, in their
   language (English, Chinese, German, French...), top 100 each: latency p50/p95/max, after a warm-up.
4. The examiner query language (`PatentSearcher.search`, top 20 with highlights and the store
   lookups), a dozen typical queries in English and Chinese, five runs each: p50/p95.

Prints a summary and writes all figures as JSON (``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "patents"

EXAMINER_QUERIES = [
    "ti:edging",
    "battery W/3 electrode",
    "(heat OR thermal) NEAR/3 (recovery OR exchanger) AND pd>=2010",
    '"waste heat" AND ipc:F01K',
    "comput* AND neural",
    "ab:(regenerative W/2 brak*) NOT ipc:B60L",
    "余热回收 AND 发电",
    "电机 W/4 电池",
    "ipc:B60L7 AND 制动 NEAR/5 能量",
    "(蓄电池 OR 锂电池) AND NOT 燃料",
    "pa:toyota OR pa:丰田",
    "ad:[2015-01-01 TO 2018-12-31] AND 换热器",
]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))
    return s[k]


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 2),
        "p95_ms": round(pct(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "max_ms": round(max(ms), 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, help="data home to use (imported into when empty)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "search.json")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from sqlalchemy import Text, cast, func, select

    from ipoffice.core import tables as t
    from ipoffice.core.roles import Actor, Role
    from ipoffice.core.schemes import load_schemes
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path
    from ipoffice.search.index import build_index, index_path
    from ipoffice.search.searcher import PatentSearcher

    home = args.home or Path(tempfile.mkdtemp(prefix="ipoffice-bench-search-"))
    os.environ["IPOFFICE_HOME"] = str(home)
    store = open_store(home)
    result: dict = {
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count()},
        "home": str(home),
    }
    with store.session() as s:
        have_schemes = s.scalar(select(func.count(t.SchemeEntry.id)))
        have_docs = s.scalar(select(func.count(t.PatentDocument.id)))
    if not have_schemes:
        with store.session() as s:
            load_schemes(s)
    if not have_docs:
        print(f"importing {DATA} into {home} ...", file=sys.stderr)
        started = time.perf_counter()
        rep = import_path(store, DATA)
        result["import"] = {
            "files": rep.files,
            "loaded": rep.loaded,
            "rejected": rep.rejected,
            "seconds": round(time.perf_counter() - started, 1),
        }
    with store.session() as s:
        docs = s.scalar(select(func.count(t.PatentDocument.id)))
        q = select(t.PatentDocument.language, func.count()).group_by(t.PatentDocument.language)
        by_lang = {lang: n for lang, n in s.execute(q)}
    result["store"] = {"documents": docs, "by_language": {str(k): v for k, v in by_lang.items()}}

    print(f"building the index of {docs} documents ...", file=sys.stderr)
    rep = build_index(store)
    size = sum(p.stat().st_size for p in index_path(home).rglob("*") if p.is_file())
    result["build"] = {
        "documents": rep.docs,
        "seconds": rep.seconds,
        "docs_per_second": rep.docs_per_second,
        "userdict_words": rep.userdict_words,
        "index_mb": round(size / 1e6, 1),
    }

    # claim-length queries: the first claim of documents drawn at random from those with claims
    with store.session() as s:
        import orjson

        claims = []
        for raw in s.scalars(select(cast(t.PatentDocument.data, Text)).order_by(t.PatentDocument.id)):
            d = orjson.loads(raw)
            for lang, cl in (d.get("claims") or {}).items():
                if cl and len(cl[0]) >= 80:
                    claims.append((lang, cl[0]))
                    break
    rng = random.Random(args.seed)
    picked = rng.sample(claims, min(args.queries, len(claims)))
    searcher = PatentSearcher(store)
    examiner = Actor("bench", Role.EXAMINER)  # prior-art search is the examiner's: every document
    for _lang, text in picked[:5]:  # warm-up: jieba, stems, segment readers
        searcher.lexical(text, top=100, actor=examiner)
    lat = []
    for _lang, text in picked:
        started = time.perf_counter()
        searcher.lexical(text, top=100, actor=examiner)
        lat.append((time.perf_counter() - started) * 1000)
    langs: dict[str, int] = {}
    for lang, _text in picked:
        langs[lang] = langs.get(lang, 0) + 1
    result["lexical"] = {
        **summary(lat),
        "top": 100,
        "claims_available": len(claims),
        "languages": langs,
        "mean_query_chars": round(statistics.fmean(len(x) for _l, x in picked)),
    }

    ex = []
    per_query = {}
    for q in EXAMINER_QUERIES:
        searcher.search(q, examiner, top=20)  # warm-up
        runs = []
        for _ in range(5):
            started = time.perf_counter()
            res = searcher.search(q, examiner, top=20)
            runs.append((time.perf_counter() - started) * 1000)
        ex.extend(runs)
        per_query[q] = {"total": res.total, "p50_ms": round(pct(runs, 50), 2)}
    result["examiner_queries"] = {**summary(ex), "top": 20, "queries": per_query}

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    b, lx, eq = result["build"], result["lexical"], result["examiner_queries"]
    print(
        f"index build: {b['documents']} documents in {b['seconds']:.1f}s = {b['docs_per_second']:.0f} docs/s "
        f"({b['userdict_words']} user-dictionary words, index {b['index_mb']} MB)"
    )
    print(
        f"lexical stage, {lx['n']} claim queries (~{lx['mean_query_chars']} chars, top 100): "
        f"p50 {lx['p50_ms']:.1f} ms, p95 {lx['p95_ms']:.1f} ms, max {lx['max_ms']:.1f} ms"
    )
    print(
        f"examiner queries, {len(EXAMINER_QUERIES)} x 5 (top 20, highlights, store lookups): "
        f"p50 {eq['p50_ms']:.1f} ms, p95 {eq['p95_ms']:.1f} ms"
    )
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
