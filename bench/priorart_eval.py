"""Prior-art evaluation: examiner citations (CLEF-IP style) and our own paraphrase queries, scored with ranx.

    .venv/bin/python bench/priorart_eval.py [--home DIR] [--qrels FILE] [--queries YAML] [--max-citing N]
                                            [--systems lexical,dense,fusion,bm25s] [--out bench/out/priorart_eval.json]

Without ``--home`` a temporary data home is made: the Google Patents energy-recovery crawl
(../shared/data/patents/corpus/google-patents-crawl-energy-recovery/: ~28.8k publications, abstracts in
Chinese, English, Korean, German...) is imported with ``ipoffice import`` and indexed with ``ipoffice index
build`` (the full-text index and, where the prior-art module provides it, the dense index). With ``--home``
an existing data home is used as it is (import and index it first), so any larger collection can be judged.

Two judgement sets:

(a) *Citations* (``--qrels``, TSV ``citing<TAB>cited``, a header line allowed; default the crawl's
    ``derived_citation_pairs_both_abstracts.tsv``): the citing publication's text (titles, abstracts,
    claims) is the query, its cited publications are the relevant answers. Only pairs whose two sides are
    in the store with text count. Only documents published before the citing one count: every system's
    run is cut the same way, by publication date where the store has one and otherwise by the
    year range of the crawl file the abstract came from (``Date<y1>-<y2>``; see `DateBounds`); the
    citing document itself is excluded. *Cross-language* is the subset of pairs where a Chinese
    citing document cites an English one or the reverse (languages as the store detected them);
    there, same-language relevant documents are removed from the runs, so the figure is what
    crossing the language gap finds.
(b) *Paraphrase queries* (``--queries``, default bench/data/priorart_queries.yaml): queries written for
    this benchmark, each describing one publication in other words, in Chinese and English, some
    across languages.

Systems, all on the same collection in the same run: ``lexical`` (prior-art lexical part alone),
``dense`` (dense part alone), ``fusion`` (all parts: lexical, dense with its cross-language list, IPC),
from `ipoffice.search.priorart`; when that module
is absent, ``lexical`` falls back to the lexical stage of `PatentSearcher.lexical` and dense/fusion are
reported as missing. ``bm25s`` is the outside baseline: the bm25s package over the same texts, Chinese
cut by jieba (its own dictionary), other text split into lower-cased words with bm25s' English stop
words (no stemmer: PyStemmer is not installed).

Measures (ranx): MAP@100, nDCG@10, recall@100. Prints a table and writes JSON (``--out``); the paraphrase
queries are also scored by halves (even / odd id numbers: fusion weights are tuned on the even half).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
CRAWL = SHARED / "patents" / "corpus" / "google-patents-crawl-energy-recovery"
PAIRS = CRAWL / "derived_citation_pairs_both_abstracts.tsv"
ABSTRACTS = CRAWL / "abstracts_by_ipc_group_and_year.tar.gz"
QUERIES = ROOT / "bench" / "data" / "priorart_queries.yaml"
METRICS = ("map@100", "ndcg@10", "recall@100")
CUTOFF = 100
#: systems asked for this many more hits than scored, so that cutting the later documents still leaves 100
OVERFETCH = 60
SYSTEMS = ("lexical", "dense", "fusion", "bm25s")

if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


# --------------------------------------------------------------------------- the collection


@dataclass
class Doc:
    """What the harness needs of one stored publication."""

    id: int
    number: str
    language: str | None
    text: str
    published: dt.date | None


def doc_text(data: dict[str, Any]) -> str:
    """Titles, abstracts and claims of a record (every language), the text a citing document is queried
    with and the text the outside baseline indexes (the crawl has no descriptions)."""
    parts: list[str] = []
    for group in ("titles", "abstracts"):
        parts.extend(v for v in (data.get(group) or {}).values() if isinstance(v, str) and v.strip())
    for claims in (data.get("claims") or {}).values():
        parts.extend(c for c in claims or [] if isinstance(c, str) and c.strip())
    return "\n".join(parts)


def load_docs(store: Any) -> dict[str, Doc]:
    """number -> Doc for every stored publication (numbers as stored)."""
    import orjson
    from sqlalchemy import Text, cast, select

    from ipoffice.core import tables as t

    out: dict[str, Doc] = {}
    q = select(
        t.PatentDocument.id,
        t.PatentDocument.number,
        t.PatentDocument.language,
        t.PatentDocument.publication_date,
        cast(t.PatentDocument.data, Text),
    ).execution_options(yield_per=2000)
    with store.session() as s:
        for i, number, lang, pd, raw in s.execute(q):
            data = orjson.loads(raw) if raw else {}
            out[number] = Doc(i, number, lang, doc_text(data), pd)
    return out


_YEARS = re.compile(r"Date(\d{4})-(\d{4})")
_LINE = re.compile(r"^id-(\S+)\s")


def crawl_years(path: Path = ABSTRACTS) -> dict[str, tuple[int, int]]:
    """number -> (first, last) year of the crawl files holding its abstract (``Date<y1>-<y2>.txt``:
    published from 1 January y1 to before 1 January y2). Empty when the archive is absent."""
    out: dict[str, tuple[int, int]] = {}
    if not path.is_file():
        return out
    with tarfile.open(path, "r|gz") as tf:
        for m in tf:
            ym = _YEARS.search(m.name)
            if not (m.isfile() and ym):
                continue
            y1, y2 = int(ym.group(1)), int(ym.group(2))
            fh = tf.extractfile(m)
            for line in (fh.read().decode("utf-8", "replace") if fh else "").split("\n"):
                lm = _LINE.match(line)
                if lm:
                    a, b = out.get(lm.group(1), (y1, y2))
                    out[lm.group(1)] = (min(a, y1), max(b, y2))
    return out


@dataclass
class DateBounds:
    """Earliest and latest possible publication day of each document: the stored publication date
    where there is one, else the crawl's year range, else unknown (never cut)."""

    exact: dict[str, dt.date]
    years: dict[str, tuple[int, int]] = field(default_factory=dict)

    def earliest(self, number: str) -> dt.date | None:
        if number in self.exact:
            return self.exact[number]
        y = self.years.get(number)
        return dt.date(y[0], 1, 1) if y else None

    def cutoff(self, number: str) -> dt.date | None:
        """Documents must be published before this day to count as prior art of ``number``."""
        if number in self.exact:
            return self.exact[number]
        y = self.years.get(number)
        return dt.date(y[1], 1, 1) if y else None

    def allowed(self, candidate: str, citing: str) -> bool:
        if candidate == citing:
            return False
        cut, first = self.cutoff(citing), self.earliest(candidate)
        return cut is None or first is None or first < cut


# --------------------------------------------------------------------------- judgements


@dataclass
class Topic:
    id: str
    text: str
    relevant: set[str]
    lang: str | None = None
    group: str = ""  # e.g. "zh->en"
    citing: str | None = None  # (a): the citing publication, excluded and dated


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """citing/cited pairs of a TSV (first two columns; a header line naming ``citing`` is skipped)."""
    pairs: list[tuple[str, str]] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if len(row) < 2 or not row[0].strip() or row[0].strip().lower() == "citing":
                continue
            pairs.append((row[0].strip(), row[1].strip()))
    return pairs


def cross(a: str | None, b: str | None) -> bool:
    return {a, b} == {"zh", "en"}


def citation_topics(pairs: Iterable[tuple[str, str]], docs: dict[str, Doc]) -> list[Topic]:
    """One topic per citing publication with text; relevant = its cited publications with text."""
    cited: dict[str, set[str]] = {}
    for a, b in pairs:
        if a != b and a in docs and b in docs and docs[a].text and docs[b].text:
            cited.setdefault(a, set()).add(b)
    topics = []
    for a in sorted(cited):
        d = docs[a]
        langs = {docs[b].language for b in cited[a]}
        group = "cross" if any(cross(d.language, x) for x in langs) else "same"
        topics.append(Topic(id=a, text=d.text, relevant=cited[a], lang=d.language, group=group, citing=a))
    return topics


def cross_qrels(topics: list[Topic], docs: dict[str, Doc]) -> dict[str, dict[str, int]]:
    """The cross-language judgements: zh citing -> en cited, en citing -> zh cited."""
    out: dict[str, dict[str, int]] = {}
    for tp in topics:
        rel = {b: 1 for b in tp.relevant if cross(tp.lang, docs[b].language)}
        if rel:
            out[tp.id] = rel
    return out


def query_topics(path: Path = QUERIES) -> list[Topic]:
    """The paraphrase queries of the YAML file (see its header)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for q in data["queries"]:
        out.append(
            Topic(
                id=str(q["id"]),
                text=str(q["text"]),
                relevant=set(q["answers"]),
                lang=q["lang"],
                group=f"{q['lang']}->{q.get('answer_lang', q['lang'])}",
            )
        )
    return out


def half(qid: str) -> str:
    """``even`` or ``odd`` by the number that ends a query id (``zz12`` -> even): the split on which
    fusion weights are tuned (even) and read (odd); ``none`` without a number."""
    m = re.search(r"(\d+)$", qid)
    return "none" if not m else ("even" if int(m.group(1)) % 2 == 0 else "odd")


def qrels_of(topics: list[Topic]) -> dict[str, dict[str, int]]:
    return {tp.id: {n: 1 for n in tp.relevant} for tp in topics}


# --------------------------------------------------------------------------- runs and scores

Retriever = Callable[[Topic, int], list[tuple[str, float]]]


def make_run(
    topics: list[Topic], retrieve: Retriever, dates: DateBounds | None, progress: Callable[[], None] | None = None
) -> tuple[dict[str, dict[str, float]], list[float]]:
    """qid -> {number: score} of the top `CUTOFF` allowed hits, and the seconds each query took."""
    run: dict[str, dict[str, float]] = {}
    took: list[float] = []
    for tp in topics:
        started = time.perf_counter()
        hits = retrieve(tp, CUTOFF + (OVERFETCH if tp.citing else 0))
        took.append(time.perf_counter() - started)
        ranked: dict[str, float] = {}
        for number, score in hits:
            if number in ranked or (tp.citing and dates is not None and not dates.allowed(number, tp.citing)):
                continue
            if tp.citing and number == tp.citing:
                continue
            ranked[number] = float(score)
            if len(ranked) >= CUTOFF:
                break
        run[tp.id] = ranked
        if progress:
            progress()
    return run, took


def without(run: dict[str, dict[str, float]], drop: dict[str, set[str]]) -> dict[str, dict[str, float]]:
    """The run less, per query, the documents of ``drop`` (same-language answers, for the cross subset)."""
    return {q: {n: s for n, s in hits.items() if n not in drop.get(q, set())} for q, hits in run.items()}


def score(qrels: dict[str, dict[str, int]], run: dict[str, dict[str, float]]) -> dict[str, float]:
    """MAP@100, nDCG@10, recall@100 by ranx, over the queries of ``qrels`` (a query the system answered
    with nothing scores 0)."""
    from ranx import Qrels, Run, evaluate

    qrels = {q: r for q, r in qrels.items() if r}
    if not qrels:
        return {m: 0.0 for m in METRICS}
    # ranx wants every judged query in the run: an empty answer is one non-relevant dummy
    full = {q: (run.get(q) or {"__none__": 0.0}) for q in qrels}
    res = evaluate(Qrels.from_dict(qrels), Run.from_dict(full), list(METRICS), make_comparable=True)
    return {m: round(float(res[m]), 4) for m in METRICS}


# --------------------------------------------------------------------------- systems

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORDS = re.compile(r"[^\W_]+")


class Bm25Baseline:
    """The outside baseline: `bm25s` (BM25, Lucene's variant) over the same texts, its own tokenising:
    jieba (default dictionary, precise mode) for Chinese runs, lower-cased words elsewhere, English
    stop words of bm25s dropped."""

    def __init__(self, docs: dict[str, Doc]) -> None:
        import bm25s
        import jieba
        from bm25s.stopwords import STOPWORDS_EN

        jieba.setLogLevel(60)
        self._jieba = jieba.Tokenizer()
        self._stop = set(STOPWORDS_EN)
        self.numbers = [n for n, d in docs.items() if d.text]
        corpus = [self.tokens(docs[n].text) for n in self.numbers]
        self.model = bm25s.BM25()
        self.model.index(corpus, show_progress=False)

    def tokens(self, text: str) -> list[str]:
        out: list[str] = []
        pos = 0
        low = text.lower()
        for m in _CJK_RUN.finditer(low):
            out.extend(w for w in _WORDS.findall(low[pos : m.start()]) if w not in self._stop)
            out.extend(w for w in self._jieba.lcut(m.group(0), HMM=False) if w.strip())
            pos = m.end()
        out.extend(w for w in _WORDS.findall(low[pos:]) if w not in self._stop)
        return out or ["__empty__"]

    def __call__(self, tp: Topic, top: int) -> list[tuple[str, float]]:
        toks = self.tokens(tp.text)
        k = min(top, len(self.numbers))
        idx, scores = self.model.retrieve([toks], k=k, show_progress=False, n_threads=1)
        return [(self.numbers[i], float(s)) for i, s in zip(idx[0], scores[0], strict=True) if s > 0]


def priorart_module() -> Any | None:
    """`ipoffice.search.priorart` when it is there and usable, else None."""
    try:
        from ipoffice.search import priorart

        priorart.PriorArtQuery  # noqa: B018 - the interface the harness calls
        priorart.prior_art  # noqa: B018
        return priorart
    except Exception as exc:  # noqa: BLE001 - any failure: report the system as missing
        print(f"prior-art module not usable: {exc!r}", file=sys.stderr)
        return None


def priorart_system(store: Any, parts: tuple[str, ...]) -> Retriever:
    from ipoffice.core.roles import Actor, Role
    from ipoffice.search.priorart import PriorArtQuery, prior_art

    actor = Actor("bench", Role.EXAMINER)

    def retrieve(tp: Topic, top: int) -> list[tuple[str, float]]:
        q = PriorArtQuery(
            text=tp.text, number=None, before=None, top=top, parts=parts, claim_map=False,
            exclude={tp.citing} if tp.citing else set(),
        )  # fmt: skip
        res = prior_art(store, q, actor)
        return [(h.number, float(h.score)) for h in res.hits]

    return retrieve


def lexical_stage_system(store: Any, docs: dict[str, Doc]) -> Retriever:
    """Fallback when the prior-art module is absent: the lexical stage of the searcher."""
    from ipoffice.core.roles import Actor, Role
    from ipoffice.search.searcher import PatentSearcher

    searcher = PatentSearcher(store)
    actor = Actor("bench", Role.EXAMINER)
    by_id = {d.id: n for n, d in docs.items()}

    def retrieve(tp: Topic, top: int) -> list[tuple[str, float]]:
        return [(by_id[i], s) for i, s in searcher.lexical(tp.text, top=top, actor=actor) if i in by_id]

    return retrieve


# --------------------------------------------------------------------------- the data home


def prepare_home(home: Path | None, collection: Path) -> tuple[Path, bool]:
    """The data home to judge: the one given, or a temporary one with ``collection`` imported and indexed
    by the CLI, as a user would (returns the home and whether it is temporary)."""
    if home is not None:
        return home, False
    home = Path(tempfile.mkdtemp(prefix="ipoffice-priorart-eval-"))
    env = {**os.environ, "IPOFFICE_HOME": str(home)}
    cli = [str(ROOT / ".venv" / "bin" / "ipoffice")]
    for args in (["init"], ["import", str(collection), "--json"], ["index", "build", "--json"]):
        started = time.perf_counter()
        p = subprocess.run(cli + args, env=env, capture_output=True, text=True)
        tail = (p.stdout.strip().splitlines() or [""])[-1][:300]
        print(
            f"ipoffice {' '.join(args[:1])}: rc {p.returncode}, {time.perf_counter() - started:.0f}s {tail}",
            file=sys.stderr,
        )
        if p.returncode not in (0, 1):
            raise SystemExit(f"`ipoffice {' '.join(args)}` failed: {p.stderr.strip()[-500:]}")
    return home, True


def build_dense(store: Any) -> str:
    """Make sure the dense index exists (H2's `search.dense`), returning what was done."""
    try:
        from ipoffice.search import dense
    except Exception as exc:  # noqa: BLE001
        return f"no dense module: {exc!r}"
    for name in ("ensure_dense_index", "build_dense_index", "build"):
        fn = getattr(dense, name, None)
        if callable(fn):
            try:
                started = time.perf_counter()
                fn(store)
                return f"dense.{name} ran in {time.perf_counter() - started:.0f}s"
            except TypeError:
                continue
            except Exception as exc:  # noqa: BLE001
                return f"dense.{name} failed: {exc!r}"
    return "no dense build function found (assumed built by `ipoffice index build`)"


# --------------------------------------------------------------------------- main


def _table(title: str, rows: dict[str, dict[str, float]], n: int) -> str:
    lines = [f"{title} ({n} queries)", f"  {'system':<10} " + " ".join(f"{m:>11}" for m in METRICS)]
    for name, res in rows.items():
        lines.append(f"  {name:<10} " + " ".join(f"{res.get(m, float('nan')):>11.4f}" for m in METRICS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--home", type=Path, help="an existing data home, imported and indexed (default: a fresh temp one)")
    ap.add_argument("--collection", type=Path, default=CRAWL, help="what a fresh home imports")
    ap.add_argument("--qrels", type=Path, default=PAIRS, help="TSV citing<TAB>cited (default: the crawl's pairs)")
    ap.add_argument("--queries", type=Path, default=QUERIES, help="paraphrase queries YAML ('' to skip)")
    ap.add_argument("--max-citing", type=int, default=0, help="sample this many citing topics (0: all)")
    ap.add_argument("--max-cross", type=int, default=0, help="sample this many cross-language topics (0: all)")
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument(
        "--weights", help="fusion weights instead of priorart.WEIGHTS: lexical=1,dense=0.7,xlang=0.5,ipc=0.25"
    )
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--keep", action="store_true", help="keep a temporary home")
    ap.add_argument("--runs-out", type=Path, help="also write every system's runs here (JSON), e.g. to tune fusion")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "priorart_eval.json")
    args = ap.parse_args(argv)
    import warnings

    warnings.filterwarnings("ignore", module="ranx")  # numba's unsafe-cast notes
    from rich.progress import Progress

    from ipoffice.core.store import open_store

    home, temporary = prepare_home(args.home, args.collection)
    os.environ["IPOFFICE_HOME"] = str(home)
    store = open_store(home)
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "home": str(home),
        "date": dt.date.today().isoformat(),
    }
    docs = load_docs(store)
    exact = {n: d.published for n, d in docs.items() if d.published}
    dates = DateBounds(exact, crawl_years() if args.qrels == PAIRS else {})
    result["collection"] = {"documents": len(docs), "with_text": sum(1 for d in docs.values() if d.text)}

    topics_a = citation_topics(read_pairs(args.qrels), docs) if args.qrels and str(args.qrels) else []
    sample = {tp.id for tp in topics_a}
    if args.max_citing and len(topics_a) > args.max_citing:
        # "all" is scored on a random sample; the cross-language subset keeps every topic it has (it is small)
        sample = {tp.id for tp in random.Random(args.seed).sample(topics_a, args.max_citing)}
        topics_a = [tp for tp in topics_a if tp.id in sample or tp.group == "cross"]
    cross_ids = [tp.id for tp in topics_a if tp.group == "cross"]
    if args.max_cross and len(cross_ids) > args.max_cross:
        keep = set(random.Random(args.seed + 1).sample(cross_ids, args.max_cross))
        topics_a = [tp for tp in topics_a if tp.id in sample or tp.id in keep]
    topics_b = query_topics(args.queries) if args.queries and str(args.queries) and args.queries.is_file() else []
    missing = sorted({n for tp in topics_b for n in tp.relevant} - set(docs))
    if missing:
        print(f"warning: {len(missing)} query answers are not in this home: {missing[:5]}", file=sys.stderr)

    wanted = [s.strip() for s in args.systems.split(",") if s.strip()]
    systems: dict[str, Retriever] = {}
    notes: dict[str, str] = {}
    pa = priorart_module() if {"lexical", "dense", "fusion"} & set(wanted) else None
    if pa is not None and args.weights:
        for item in args.weights.split(","):
            k, _, v = item.partition("=")
            pa.WEIGHTS[k.strip()] = float(v)
        notes["weights"] = json.dumps(pa.WEIGHTS)
    if pa is not None and {"dense", "fusion"} & set(wanted):
        notes["dense_build"] = build_dense(store)
    for name in wanted:
        if name == "bm25s":
            started = time.perf_counter()
            systems[name] = Bm25Baseline(docs)
            notes["bm25s_index_s"] = f"{time.perf_counter() - started:.1f}"
        elif pa is not None and name in ("lexical", "dense", "fusion"):
            parts = {"lexical": ("lexical",), "dense": ("dense",), "fusion": ("lexical", "dense", "ipc")}[name]
            systems[name] = priorart_system(store, parts)
        elif name == "lexical":
            systems["lexical-stage"] = lexical_stage_system(store, docs)
            notes["lexical"] = "prior-art module absent: PatentSearcher.lexical (the lexical stage) instead"
        else:
            notes[name] = "not run: the prior-art module is absent"
    result["notes"] = notes

    runs_a: dict[str, dict[str, dict[str, float]]] = {}
    runs_b: dict[str, dict[str, dict[str, float]]] = {}
    timing: dict[str, dict[str, float]] = {}
    with Progress(transient=True) as bar:
        for name, fn in systems.items():
            task = bar.add_task(name, total=len(topics_a) + len(topics_b))
            try:
                runs_a[name], ta = make_run(topics_a, fn, dates, lambda t=task: bar.advance(t))
                runs_b[name], tb = make_run(topics_b, fn, None, lambda t=task: bar.advance(t))
            except Exception as exc:  # noqa: BLE001 - a failing system is reported, the others go on
                notes[name] = f"failed: {exc!r}"
                print(f"{name} failed: {exc!r}", file=sys.stderr)
                continue
            allt = sorted(ta + tb)
            timing[name] = {
                "queries": len(allt),
                "p50_ms": round(allt[len(allt) // 2] * 1000, 1) if allt else 0.0,
                "p95_ms": round(allt[min(len(allt) - 1, int(len(allt) * 0.95))] * 1000, 1) if allt else 0.0,
            }
    result["timing"] = timing

    # (a) citations
    qa = {q: r for q, r in qrels_of(topics_a).items() if q in sample}
    qx = cross_qrels(topics_a, docs)
    if args.max_cross:
        qx = {q: r for q, r in qx.items() if q in {tp.id for tp in topics_a if tp.group == "cross"}}
    same_lang = {tp.id: {b for b in tp.relevant if not cross(tp.lang, docs[b].language)} for tp in topics_a}
    a_all = {name: score(qa, run) for name, run in runs_a.items()}
    a_x = {name: score(qx, without(run, same_lang)) for name, run in runs_a.items()}
    pairs_n = sum(len(r) for r in qa.values())
    result["citations"] = {
        "qrels": str(args.qrels),
        "topics": len(qa),
        "sampled_from": len(sample)
        if not args.max_citing
        else f"{args.max_citing} of all citing topics, seed {args.seed}",
        "pairs": pairs_n,
        "dated_topics": sum(1 for tp in topics_a if dates.cutoff(tp.citing or "") is not None),
        "all": a_all,
        "cross_language": {"topics": len(qx), "pairs": sum(len(r) for r in qx.values()), **{"scores": a_x}},
    }
    # (b) paraphrase queries
    qb = qrels_of(topics_b)
    groups = sorted({tp.group for tp in topics_b})
    b_all = {name: score(qb, run) for name, run in runs_b.items()}
    b_groups = {
        g: {name: score({tp.id: qb[tp.id] for tp in topics_b if tp.group == g}, run) for name, run in runs_b.items()}
        for g in groups
    }
    xb = {tp.id: qb[tp.id] for tp in topics_b if tp.group in ("zh->en", "en->zh")}
    halves = {h: {tp.id: qb[tp.id] for tp in topics_b if half(tp.id) == h} for h in ("even", "odd")}
    result["queries"] = {
        "file": str(args.queries),
        "topics": len(qb),
        "all": b_all,
        "cross_language": {name: score(xb, run) for name, run in runs_b.items()},
        "halves": {h: {name: score(q, run) for name, run in runs_b.items()} for h, q in halves.items() if q},
        "by_group": b_groups,
        "group_sizes": {g: sum(1 for tp in topics_b if tp.group == g) for g in groups},
    }

    print(_table("(a) examiner citations, all", a_all, len(qa)))
    print(
        _table(
            f"(a) cross-language zh<->en citations ({result['citations']['cross_language']['pairs']} pairs)",
            a_x,
            len(qx),
        )
    )
    print(_table("(b) paraphrase queries, all", b_all, len(qb)))
    print(_table("(b) paraphrase queries, cross-language", result["queries"]["cross_language"], len(xb)))
    for h, res in result["queries"]["halves"].items():
        print(_table(f"(b) {h} ids (fusion weights were tuned on the even ones)", res, len(halves[h])))
    for g in groups:
        print(_table(f"(b) {g}", b_groups[g], result["queries"]["group_sizes"][g]))
    if timing:
        print(
            "per-query time: "
            + ", ".join(f"{k} p50 {v['p50_ms']} ms / p95 {v['p95_ms']} ms" for k, v in timing.items())
        )
    for k, v in notes.items():
        print(f"note {k}: {v}")
    if "fusion" in b_all and "lexical" in b_all:
        for label, res in (("citations", a_all), ("queries", b_all)):
            lx, fu = res["lexical"]["ndcg@10"], res["fusion"]["ndcg@10"]
            rel = (fu - lx) / lx * 100 if lx else float("inf")
            print(f"{label}: fusion vs lexical nDCG@10 {fu:.4f} vs {lx:.4f} ({rel:+.1f}% relative)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    if args.runs_out:
        runs = {"citations": runs_a, "queries": runs_b, "qrels_citations": qa, "qrels_cross": qx, "qrels_queries": qb}
        args.runs_out.write_text(json.dumps(runs, ensure_ascii=False), encoding="utf-8")
    print(f"written to {args.out}")
    store.engine.dispose()
    if temporary and not args.keep:
        import shutil

        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
