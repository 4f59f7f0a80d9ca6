"""Search at scale: index build speed, incremental update into a large index, lexical and prior-art latency.

    .venv/bin/python bench/search_scale.py [--build-docs 100000] [--large 1000000] [--queries 200]
                                           [--priorart-docs 0] [--home DIR] [--keep] [--out bench/out/search_scale.json]
                                           [--skip-latency] [--no-merge-wait] [--priorart-only]

Real patent documents are far fewer than a million, so the documents here are **recombined from real
sentences**: every abstract of the Google Patents energy-recovery crawl (Chinese CN abstracts and English
ones) is cut into sentences; a synthetic document takes a title fragment, an abstract of 3-6 sentences and
2-4 claims of 1-2 sentences drawn at random from one language (55% Chinese, 45% English), one of the
crawl's 23 IPC main groups, a random publication date 2000-2024 and a number ``SYN<n>`` marked synthetic.

1. ``--build-docs`` documents go into a fresh store (bulk SQL insert) and `build_index` indexes them the
   way ``ipoffice index build`` does (jieba user dictionary, analysis, tantivy): documents/s, wall and CPU.
2. Lexical stage (`PatentSearcher.lexical`, top 100) over ``--queries`` claim-length queries: real
   abstracts of 250-600 characters of the crawl, half Chinese, half English, after a warm-up: p50/p95.
3. The store is grown to ``--large`` documents and the large index is generated **straight into tantivy**
   from the same recombined sentences, each real sentence analyzed once (`index_terms`) and its terms reused
   (analysing a million documents one by one would take this shared 2-core machine most of an hour; the terms
   and positions are those the indexer would write, bar words across sentence joins). Lexical latency again.
4. Incremental update: 1,000 new documents are added to the store and `update_index` run (it reads the rows
   above the last indexed id or changed since the last run, then checks the counts; see `_find_changes`):
   seconds, CPU seconds and the split (open, find, analyze, write, commit, merge). ``--no-merge-wait``
   commits without waiting for the merges the commit starts.
5. Prior-art end to end (`search.priorart.prior_art`: all parts, claim-element map, top 20) over the same
   queries, on the store of ``--build-docs`` (``--priorart-docs`` up to it) or of ``--mid``/``--large``
   (``--priorart-docs`` equal to it), after its dense index is built the way ``ipoffice index build`` builds
   it (`build_dense`, timed: ``dense_build_<size>``).

The machine is shared: the load average is recorded with each figure. Temporary data are deleted at the end
unless ``--keep``. ``--priorart-only --home DIR`` measures step 5 alone on the store a kept run left there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ABSTRACTS = (
    ROOT.parent
    / "shared"
    / "data"
    / "patents"
    / "corpus"
    / "google-patents-crawl-energy-recovery"
    / "abstracts_by_ipc_group_and_year.tar.gz"
)
GROUPS = (
    "B60L 7/10 B60T 1/10 D21F 5/20 F01K 17/02 F01K 17/06 F01K 27/02 F02C 7/10 F02G 5/00 F15B 21/14 F16D 61/00 "
    "F17C 9/04 F22B 1/16 F22B 1/18 F22D 1/40 F22G 1/02 F22G 1/12 F22G 5/06 F23G 5/46 F24F 3/147 F24F 12/00 "
    "F24H 8/00 F27D 17/00 F28C 1/08"
).split(" ")
GROUPS = [f"{GROUPS[i]} {GROUPS[i + 1]}" for i in range(0, len(GROUPS), 2)]
OLD = dt.datetime(2026, 1, 1)  # updated_at of the synthetic rows: well before any index run

if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

_LINE = re.compile(r"^id-(\S+)\s+abstract-(.*)$")
_ZH_SPLIT = re.compile(r"(?<=[。；！？])")
_EN_SPLIT = re.compile(r"(?<=[.;])\s+(?=[A-Z(])")
_CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------- the real sentences


def real_texts(path: Path = ABSTRACTS) -> dict[str, list[str]]:
    """Abstracts of the crawl by language ("zh": Chinese CN ones, "en": English ones)."""
    out: dict[str, list[str]] = {"zh": [], "en": []}
    with tarfile.open(path, "r|gz") as tf:
        for m in tf:
            if not (m.isfile() and m.name.endswith(".txt")):
                continue
            fh = tf.extractfile(m)
            for line in (fh.read().decode("utf-8", "replace") if fh else "").split("\n"):
                lm = _LINE.match(line.strip())
                if not lm or len(lm.group(2)) < 80:
                    continue
                text = lm.group(2).strip()
                zh_share = len(_CJK.findall(text)) / len(text)
                if lm.group(1).startswith("CN") and zh_share > 0.5:
                    out["zh"].append(text)
                elif zh_share == 0 and text.isascii() and " the " in text:
                    out["en"].append(text)
    return out


def sentence_pools(texts: dict[str, list[str]]) -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {}
    for lang, items in texts.items():
        split = _ZH_SPLIT if lang == "zh" else _EN_SPLIT
        seen: set[str] = set()
        for t in items:
            for s in split.split(t):
                s = s.strip()
                if 12 <= len(s) <= 300 and s not in seen:
                    seen.add(s)
        pools[lang] = sorted(seen)
    return pools


def synthetic(i: int, rng: random.Random, pools: dict[str, list[str]]) -> dict[str, Any]:
    """One recombined document: plain values the store row and the index fields are made from."""
    lang = "zh" if rng.random() < 0.55 else "en"
    pool = pools[lang]
    abstract = [rng.choice(pool) for _ in range(rng.randint(3, 6))]
    claims = [[rng.choice(pool) for _ in range(rng.randint(1, 2))] for _ in range(rng.randint(2, 4))]
    head = rng.choice(pool)
    title = head[: rng.randint(8, 20)] if lang == "zh" else " ".join(head.split()[: rng.randint(4, 9)])
    day = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(25 * 365))
    return {
        "i": i,
        "lang": lang,
        "title": title,
        "abstract": abstract,
        "claims": claims,
        "ipc": rng.choice(GROUPS),
        "date": day,
        "number": f"SYN{i:08d}",
    }


def record_row(doc: dict[str, Any], doc_id: int, updated: dt.datetime) -> dict[str, Any]:
    """The `patent_documents` row of a synthetic document (its ``data`` the record's JSON shape)."""
    sep = "" if doc["lang"] == "zh" else " "
    data = {
        "number": doc["number"],
        "number_is_synthetic": True,
        "language": doc["lang"],
        "titles": {doc["lang"]: doc["title"]},
        "abstracts": {doc["lang"]: sep.join(doc["abstract"])},
        "claims": {doc["lang"]: [f"{k + 1}. " + sep.join(c) for k, c in enumerate(doc["claims"])]},
        "descriptions": {},
        "classifications": [{"scheme": "ipc", "symbol": doc["ipc"], "main": True}],
        "parties": [],
        "priorities": [],
        "citations": [],
        "publication_date": doc["date"].isoformat(),
    }
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return {
        "id": doc_id,
        "doc_key": f"synthetic:{doc['number']}",
        "number": doc["number"],
        "number_norm": doc["number"],
        "country": "ZZ",
        "kind": "",
        "doc_type": "patent",
        "stage": "application",
        "number_is_synthetic": True,
        "publication_date": doc["date"],
        "published_flag": True,
        "language": doc["lang"],
        "title": doc["title"],
        "data": data,
        "content_hash": hashlib.blake2b(raw.encode(), digest_size=32).hexdigest(),
        "source_format": "synthetic-bench",
        "source_path": "bench/search_scale.py",
        "created_at": updated,
        "updated_at": updated,
    }


def fill_store(
    store: Any, pools: dict[str, list[str]], start: int, n: int, seed: int, updated: dt.datetime, bar: Callable
) -> list[dict[str, Any]]:
    """Insert documents ``start+1 .. start+n`` (ids = their ordinal), returning the generated documents'
    index material (id, hash, doc) for the straight path."""
    from sqlalchemy import insert

    from ipoffice.core import tables as t

    rng = random.Random(seed + start)
    kept: list[dict[str, Any]] = []
    chunk: list[dict[str, Any]] = []
    for k in range(start + 1, start + n + 1):
        doc = synthetic(k, rng, pools)
        row = record_row(doc, k, updated)
        chunk.append(row)
        kept.append({"id": k, "hash": row["content_hash"], "doc": doc})
        if len(chunk) >= 5000 or k == start + n:
            with store.session() as s:
                s.execute(insert(t.PatentDocument.__table__), chunk)
                s.commit()
            bar(len(chunk))
            chunk = []
    return kept


# --------------------------------------------------------------------------- straight into tantivy


class TokenCache:
    """Each real sentence analyzed once (`index_terms`, what `build_index` writes), its terms and positions
    reused by every document using it; a field is the sentences' terms with their positions shifted."""

    def __init__(self) -> None:
        self.cache: dict[str, tuple[list[str], list[int], int]] = {}

    def tokens(self, text: str) -> tuple[list[str], list[int], int]:
        hit = self.cache.get(text)
        if hit is None:
            from ipoffice.search.analysis import index_terms

            words, positions = index_terms([text])
            hit = (words, positions, max(positions) + 1 if positions else 0)
            self.cache[text] = hit
        return hit

    def field(self, *values: list[str]) -> tuple[list[str], list[int]] | None:
        """The (terms, positions) of a field whose values are made of these sentences: positions run on across
        a value's sentences and jump `POSITION_GAP` between values, as `index_terms` numbers them; None when
        the field has no term (`to_document` then adds nothing)."""
        from ipoffice.search.analysis import POSITION_GAP

        words: list[str] = []
        positions: list[int] = []
        base = 0
        for sentences in values:
            start = len(words)
            for s in sentences:
                w, p, n = self.tokens(s)
                words += w
                positions += map(base.__add__, p) if base else p
                base += n
            if len(words) > start:
                base += POSITION_GAP
        return (words, positions) if words else None


def straight_fields(item: dict[str, Any], cache: TokenCache, parents: dict[str, str]) -> dict[str, Any]:
    from ipoffice.search import index as ix

    doc = item["doc"]
    claims = [[f"{k + 1}.", *c] for k, c in enumerate(doc["claims"])]  # one value per claim, as stored
    return {
        "doc_id": item["id"],
        "hash": item["hash"],
        "ti": cache.field([doc["title"]]),
        "ab": cache.field(doc["abstract"]),
        "cl": cache.field(*claims),
        "ipc": sorted(ix.class_terms(doc["ipc"], parents)),
        "cpc": [],
        "pn": [doc["number"]],
        "cc": ["ZZ"],
        "kd": [],
        "pubflag": ["yes"],
        "pd": [doc["date"]],
        "ad": [],
        "gd": [],
        "pr": [],
        "party": [],
    }


def straight_index(store: Any, items: Iterator[dict[str, Any]], total: int, bar: Callable) -> dict[str, Any]:
    """Write the index of ``items`` into the home's index folder directly, with a state that `update`
    and `check` accept (watermark `OLD`, the userdict of the corpus)."""
    from tantivy import Index

    from ipoffice.search import index as ix

    path = ix.index_path(store.home)
    userdict = path / ix.USERDICT_FILE
    keep = userdict.read_bytes() if userdict.exists() else None
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    if keep is not None:
        userdict.write_bytes(keep)
    ix.set_user_dictionary(userdict if keep is not None else None)
    with store.session() as s:
        parents = ix.ipc_parents(s)
    cache = TokenCache()
    index = ix._register(Index(ix.build_schema(), path=str(path), reuse=False))
    writer = ix._writer(index, total)
    started, cpu0 = time.perf_counter(), time.process_time()
    n = 0
    seen = [{"id": 0}]
    for item in items:
        writer.add_document(ix.to_document(straight_fields(item, cache, parents)))
        seen[0] = item
        n += 1
        if n % 2000 == 0:
            bar(2000)
    writer.commit()
    writer.wait_merging_threads()
    last_id = seen[0]["id"]  # the items come in id order
    scan_from = (dt.datetime.now(dt.UTC).replace(tzinfo=None) - ix.UPDATE_MARGIN).isoformat()
    ix._write_state(
        path,
        ix.IndexState(
            watermark=OLD.isoformat(),
            max_id=last_id,
            scan_from=scan_from,
            built_at=OLD.isoformat(),
            updated_at=OLD.isoformat(),
            docs=n,
        ),
    )
    return {
        "documents": n,
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(time.process_time() - cpu0, 1),
        "distinct_sentences_analyzed": len(cache.cache),
        "index_mb": round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6, 1),
    }


# --------------------------------------------------------------------------- measures


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(0, min(len(s) - 1, round(p / 100 * (len(s) - 1))))]


def latency(fn: Callable[[str], Any], queries: list[str], warm: int = 5) -> dict[str, float]:
    for q in queries[:warm]:
        fn(q)
    ms = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        ms.append((time.perf_counter() - started) * 1000)
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 1),
        "p95_ms": round(pct(ms, 95), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "max_ms": round(max(ms), 1),
        "load_avg": round(os.getloadavg()[0], 1),
    }


def cpu_all() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def lexical_latency(store: Any, queries: list[str]) -> dict[str, float]:
    from ipoffice.core.roles import Actor, Role
    from ipoffice.search.searcher import PatentSearcher

    searcher = PatentSearcher(store)
    actor = Actor("bench", Role.EXAMINER)
    return latency(lambda q: searcher.lexical(q, top=100, actor=actor), queries)


def dense_build(store: Any) -> dict[str, Any]:
    """`build_dense` as ``ipoffice index build`` runs it after the lexical index (trains the LSA model on
    a sample of at most `dense.TRAIN_MAX` documents, encodes every document): seconds, CPU and workers."""
    from ipoffice.search.dense import build_dense

    cpu0, load0, started = cpu_all(), os.getloadavg()[0], time.perf_counter()
    rep = build_dense(store, retrain=True)
    cpu = cpu_all() - cpu0
    return {
        "documents": rep.docs,
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_seconds": round(cpu, 1),
        "cpu_ms_per_doc": round(cpu / max(rep.docs, 1) * 1000, 3),
        "trained_docs": rep.trained_docs,
        "workers": os.environ.get("IPOFFICE_INDEX_WORKERS", "auto"),
        "load_avg": [round(load0, 1), round(os.getloadavg()[0], 1)],
    }


def priorart_latency(store: Any, queries: list[str]) -> dict[str, Any]:
    try:
        from ipoffice.search.priorart import PriorArtQuery, prior_art
    except Exception as exc:  # noqa: BLE001
        return {"skipped": f"prior-art module not usable: {exc!r}"}
    from ipoffice.core.roles import Actor, Role

    actor = Actor("bench", Role.EXAMINER)

    def one(text: str) -> Any:
        q = PriorArtQuery(text=text, top=20, parts=("lexical", "dense", "ipc"), claim_map=True)
        return prior_art(store, q, actor)

    try:
        return latency(one, queries)
    except Exception as exc:  # noqa: BLE001
        return {"failed": repr(exc)}


def priorart_only(store: Any, queries: list[str], result: dict[str, Any], save: Callable[[], None]) -> int:
    """Prior-art end to end on a kept store (``--home`` of an earlier run with ``--keep``): its dense index
    is built first when it has none or one of another `DENSE_VERSION` (timed), a current one is reused."""
    from sqlalchemy import func, select

    from ipoffice.core import tables as t
    from ipoffice.search.dense import DENSE_VERSION, STATE_FILE, dense_path

    try:
        with store.session() as s:
            n = s.scalar(select(func.count(t.PatentDocument.id))) or 0
        if not n:
            print(f"--priorart-only: no documents in the store of {store.home}; give --home of a kept run")
            return 2
        state = dense_path(store.home) / STATE_FILE
        if not state.exists() or json.loads(state.read_text()).get("version") != DENSE_VERSION:
            result[f"dense_build_{n}"] = dense_build(store)
            save()
        result[f"priorart_{n}"] = priorart_latency(store, queries)
        save()
    finally:
        store.engine.dispose()
    for k in sorted(result):
        if k.startswith(("dense_build", "priorart_")):
            print(f"{k}: {result[k]}")
    return 0


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-docs", type=int, default=100_000)
    ap.add_argument("--mid", type=int, default=100_000, help="a straight index of this size for latency")
    ap.add_argument("--large", type=int, default=1_000_000, help="0: skip the large index and the update")
    ap.add_argument("--update-docs", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument(
        "--priorart-docs",
        type=int,
        default=0,
        help="prior-art end to end (dense index built first) on the store of --build-docs (any value up to it), "
        "or of --mid or --large (that value); 0: skip",
    )
    ap.add_argument("--home", type=Path)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--skip-latency", action="store_true", help="only build and update speed (no query latency)")
    ap.add_argument("--no-merge-wait", action="store_true", help="update: commit without waiting for merges")
    ap.add_argument(
        "--priorart-only",
        action="store_true",
        help="with --home of a kept run: only prior-art end to end on that store (its dense index built first "
        "when it has none)",
    )
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "search_scale.json")
    args = ap.parse_args(argv)

    from rich.progress import Progress

    from ipoffice.core.store import open_store
    from ipoffice.search.index import build_index, check_index, update_index

    home = args.home or Path(tempfile.mkdtemp(prefix="ipoffice-search-scale-"))
    os.environ["IPOFFICE_HOME"] = str(home)
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "note": "documents recombined from real sentences of the energy-recovery crawl; shared 2-core machine",
        "home": str(home),
    }

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str), encoding="utf-8")

    texts = real_texts()
    pools = sentence_pools(texts)
    rng = random.Random(args.seed)
    queries = []  # half Chinese, half English
    for lang, n in (("zh", args.queries // 2), ("en", args.queries - args.queries // 2)):
        qs = [t for t in texts[lang] if 250 <= len(t) <= 600]
        queries.extend(rng.sample(qs, min(n, len(qs))))
    result["sentences"] = {k: len(v) for k, v in pools.items()}
    result["queries"] = {
        "n": len(queries),
        "zh": sum(1 for q in queries if _CJK.search(q)),
        "mean_chars": round(statistics.fmean(len(q) for q in queries)),
    }
    store = open_store(home)
    if args.priorart_only:
        return priorart_only(store, queries, result, save)
    try:
        with Progress() as progress:
            # 1. the real build path
            task = progress.add_task(f"store: {args.build_docs} documents", total=args.build_docs)
            t0 = time.perf_counter()
            fill_store(store, pools, 0, args.build_docs, args.seed, OLD, lambda n: progress.advance(task, n))
            result["store_insert"] = {"documents": args.build_docs, "seconds": round(time.perf_counter() - t0, 1)}
            task = progress.add_task("index build", total=args.build_docs)
            cpu0, load0 = cpu_all(), os.getloadavg()[0]
            rep = build_index(store, progress=lambda done, total: progress.update(task, completed=done))
            cpu = cpu_all() - cpu0
            result["build"] = {
                "documents": rep.docs,
                "seconds": rep.seconds,
                "docs_per_second": rep.docs_per_second,
                "cpu_seconds": round(cpu, 1),
                "cpu_ms_per_doc": round(cpu / max(rep.docs, 1) * 1000, 3),
                "segmenter": __import__("ipoffice.search.analysis", fromlist=["ENGINE"]).ENGINE,
                "userdict_words": rep.userdict_words,
                "workers": os.environ.get("IPOFFICE_INDEX_WORKERS", "auto"),
                "load_avg": [round(load0, 1), round(os.getloadavg()[0], 1)],
            }
            save()
            if not args.skip_latency:
                result[f"lexical_{args.build_docs}"] = lexical_latency(store, queries)
                save()
            if args.priorart_docs and args.priorart_docs <= args.build_docs:
                result[f"dense_build_{args.build_docs}"] = dense_build(store)
                save()
                result[f"priorart_{args.build_docs}"] = priorart_latency(store, queries)
                save()
            # 3. grow the store, index everything straight, at each size
            chunks: list[tuple[int, int]] = [(0, args.build_docs)]
            for size in (args.mid, args.large):
                have = sum(n for _s, n in chunks)
                if size <= have:
                    continue
                extra = size - have
                task = progress.add_task(f"store: +{extra} documents", total=extra)
                t0 = time.perf_counter()
                fill_store(store, pools, have, extra, args.seed, OLD, lambda n, task=task: progress.advance(task, n))
                result[f"store_insert_{size}"] = {"documents": extra, "seconds": round(time.perf_counter() - t0, 1)}
                chunks.append((have, extra))

                def items(parts: tuple[tuple[int, int], ...]) -> Iterator[dict[str, Any]]:
                    for start, n in parts:  # the documents again, in id order, as `fill_store` made them
                        r = random.Random(args.seed + start)
                        for k in range(start + 1, start + n + 1):
                            doc = synthetic(k, r, pools)
                            yield {"id": k, "hash": record_row(doc, k, OLD)["content_hash"], "doc": doc}

                task = progress.add_task(f"straight index: {size}", total=size)
                result[f"straight_index_{size}"] = straight_index(
                    store, items(tuple(chunks)), size, lambda n, task=task: progress.advance(task, n)
                )
                save()
                if not args.skip_latency:
                    result[f"lexical_{size}"] = lexical_latency(store, queries)
                    save()
                if args.priorart_docs == size:  # the dense index of this store, then prior-art end to end
                    result[f"dense_build_{size}"] = dense_build(store)
                    save()
                    result[f"priorart_{size}"] = priorart_latency(store, queries)
                    save()
            if args.large > args.build_docs:
                # 4. incremental update of new documents into the large index
                task = progress.add_task(f"store: +{args.update_docs} new", total=args.update_docs)
                fill_store(
                    store, pools, args.large, args.update_docs, args.seed, dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    lambda n: progress.advance(task, n),
                )  # fmt: skip
                load0 = os.getloadavg()[0]
                cpu0 = cpu_all()
                up = update_index(store, wait_merges=not args.no_merge_wait)
                result["update"] = {
                    "index_documents": up.docs,
                    "added": up.added,
                    "reindexed": up.reindexed,
                    "deleted": up.deleted,
                    "seconds": up.seconds,
                    "cpu_seconds": round(cpu_all() - cpu0, 2),
                    "scan": up.scan,
                    "timings": up.timings,
                    "load_avg": [round(load0, 1), round(os.getloadavg()[0], 1)],
                }
                chk = check_index(store, sample=50)
                result["update"]["check_ok"] = chk.ok
                save()
    finally:
        store.engine.dispose()
        result["disk_mb"] = round(sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / 1e6)
        save()
        if not args.keep and not args.home:
            shutil.rmtree(home, ignore_errors=True)

    b = result.get("build", {})
    print(
        f"index build (real path, {b.get('documents')} docs): {b.get('seconds')} s = {b.get('docs_per_second')} docs/s,"
        f" {b.get('cpu_seconds')} CPU-s, load {b.get('load_avg')}"
    )
    for k in sorted(result):
        if k.startswith(("lexical_", "priorart_")):
            print(f"{k}: {result[k]}")
    for k in sorted(result):
        if k.startswith(("straight_index", "update", "dense_build")):
            print(f"{k}: {result[k]}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
