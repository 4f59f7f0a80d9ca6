"""The prior-art evaluation harness (bench/priorart_eval.py): judgements from citation pairs, runs cut at
the citing document's date, ranx scores, the outside baseline, and the paraphrase queries file.

Real records: a few citing/cited pairs of the energy-recovery crawl with their abstracts, read straight
from ../shared/data (no store needed: the harness's pieces work on plain `Doc` values).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import re
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CRAWL = "patents/corpus/google-patents-crawl-energy-recovery"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("priorart_eval", ROOT / "bench" / "priorart_eval.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["priorart_eval"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def crawl_abstracts(shared_data) -> dict[str, str]:
    """number -> abstract of every line of the crawl's abstract archive (about a second)."""
    out: dict[str, str] = {}
    line = re.compile(r"^id-(\S+)\s+abstract-(.*)$")
    with tarfile.open(shared_data / CRAWL / "abstracts_by_ipc_group_and_year.tar.gz", "r|gz") as tf:
        for m in tf:
            fh = tf.extractfile(m) if m.isfile() else None
            for raw in (fh.read().decode("utf-8", "replace") if fh else "").split("\n"):
                lm = line.match(raw.strip())
                if lm and (lm.group(2).strip() or lm.group(1) not in out):
                    out[lm.group(1)] = lm.group(2).strip()
    return out


@pytest.fixture(scope="module")
def collection(shared_data, crawl_abstracts) -> dict[str, str]:
    """number -> abstract of the whole collection source: the abstract archive and the per-publication
    records (``res_part_*.tar.gz``), whose abstracts the import loads too."""
    from ipoffice.ingest.corpus import _sections

    out = dict(crawl_abstracts)
    for path in sorted((shared_data / CRAWL).glob("res_part_*.tar.gz")):
        with tarfile.open(path, "r|gz") as tf:
            for m in tf:
                fh = tf.extractfile(m) if m.isfile() and m.name.endswith(".txt") else None
                if fh is None:
                    continue
                secs = _sections(fh.read().decode("utf-8", "replace"))
                number = (secs.get("ID") or [""])[0]
                text = " ".join(secs.get("abstract") or [])
                if number and (text or number not in out) and not out.get(number):
                    out[number] = text
    return out


@pytest.fixture(scope="module")
def sample(harness, shared_data, crawl_abstracts):
    """Six citing documents (two Chinese ones citing English ones) with their cited documents and a few
    unrelated ones, as the harness's `Doc` values."""
    pairs = harness.read_pairs(shared_data / CRAWL / "derived_citation_pairs_both_abstracts.tsv")
    assert len(pairs) == 4135

    def lang(n: str) -> str:
        text = crawl_abstracts.get(n, "")
        if re.search(r"[\u3040-\u30ff\uac00-\ud7af]", text):
            return "ja/ko"
        return "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"

    cross = [p for p in pairs if p[0].startswith("CN") and lang(p[0]) == "zh" and lang(p[1]) == "en"][:2]
    same = [p for p in pairs if p[0].startswith("US") and lang(p[1]) == "en"][:4]
    assert len(cross) == 2 and len(same) == 4
    chosen = {a for a, _b in cross + same}
    picked = [p for p in pairs if p[0] in chosen]
    numbers = {n for p in picked for n in p} | set(list(crawl_abstracts)[:40])
    docs = {
        n: harness.Doc(i, n, lang(n), crawl_abstracts[n], None)
        for i, n in enumerate(sorted(numbers))
        if crawl_abstracts.get(n)
    }
    return picked, docs


def test_citation_topics_and_cross_language_judgements(harness, sample):
    pairs, docs = sample
    topics = harness.citation_topics(pairs + [("NOT-THERE", "EP0000000A1")], docs)
    assert {tp.id for tp in topics} == {a for a, _b in pairs}
    for tp in topics:
        assert tp.text == docs[tp.id].text and tp.citing == tp.id
        assert tp.relevant == {b for a, b in pairs if a == tp.id}
    cross = harness.cross_qrels(topics, docs)
    assert len(cross) >= 2 and all(q.startswith("CN") for q in cross)
    assert all(docs[n].language == "en" for rel in cross.values() for n in rel)
    assert {tp.id for tp in topics if tp.group == "cross"} == set(cross)


def test_runs_are_cut_at_the_citing_date_and_scored_by_ranx(harness, sample):
    pairs, docs = sample
    topics = harness.citation_topics(pairs, docs)
    tp = topics[0]
    cited = sorted(tp.relevant)
    other = next(n for n in docs if n not in tp.relevant and n != tp.id)
    dates = harness.DateBounds(
        {tp.id: dt.date(2015, 6, 1), cited[0]: dt.date(2014, 1, 1), other: dt.date(2016, 1, 1)},
        years={n: (2019, 2020) for n in cited[1:]},
    )
    assert dates.allowed(cited[0], tp.id) and not dates.allowed(other, tp.id) and not dates.allowed(tp.id, tp.id)

    def perfect(topic, top):  # itself, a later document, then the answers
        return [(topic.id, 9.0), (other, 8.0)] + [(n, 5.0 - k * 0.1) for k, n in enumerate(sorted(topic.relevant))]

    run, took = harness.make_run([tp], perfect, dates)
    assert list(run[tp.id]) == [cited[0]] and len(took) == 1  # later ones (by date or crawl year) cut
    run, _ = harness.make_run(topics, perfect, None)
    scores = harness.score(
        harness.qrels_of(topics), {q: {n: s for n, s in r.items() if n != q} for q, r in run.items()}
    )
    assert scores["recall@100"] == pytest.approx(1.0)
    assert 0.5 < scores["ndcg@10"] <= 1.0 and set(scores) == set(harness.METRICS)
    empty = harness.score(harness.qrels_of(topics), {})
    assert empty == {m: 0.0 for m in harness.METRICS}


def test_bm25s_baseline_finds_a_document_from_its_own_words(harness, sample):
    _pairs, docs = sample
    bm = harness.Bm25Baseline(docs)
    zh = next(d for d in docs.values() if d.language == "zh")
    en = next(d for d in docs.values() if d.language == "en")
    for d in (zh, en):
        hits = bm(harness.Topic(id="q", text=d.text[:200], relevant={d.number}), 5)
        assert hits and hits[0][0] == d.number
    assert "预热" in bm.tokens("利用余热预热空气") or "余热" in bm.tokens("利用余热预热空气")


def test_paraphrase_queries_file_is_well_formed(harness, collection):
    crawl_abstracts = collection
    data = yaml.safe_load(harness.QUERIES.read_text(encoding="utf-8"))
    queries = data["queries"]
    assert len(queries) >= 100
    assert len({q["id"] for q in queries}) == len(queries)
    langs = {q["lang"] for q in queries}
    assert langs == {"zh", "en"}
    by_pair = {(q["lang"], q["answer_lang"]) for q in queries}
    assert {("zh", "en"), ("en", "zh"), ("zh", "zh"), ("en", "en")} <= by_pair  # cross-language ones too
    for q in queries:
        assert q["answers"] and q["text"].strip(), q["id"]
        for n in q["answers"]:
            assert crawl_abstracts.get(n), f"{q['id']}: {n} is not in the collection"
            own = crawl_abstracts[n]
            # in other words: no stretch of the answer's abstract longer than a technical term copied
            k = 16 if q["lang"] == "zh" else 40
            assert not any(q["text"][i : i + k] in own for i in range(max(1, len(q["text"]) - k + 1))), q["id"]
        is_zh = bool(re.search(r"[\u4e00-\u9fff]", q["text"]))
        assert is_zh == (q["lang"] == "zh"), q["id"]
        assert bool(re.search(r"[\u4e00-\u9fff]", crawl_abstracts[q["answers"][0]])) == (q["answer_lang"] == "zh")
    topics = harness.query_topics()
    assert len(topics) == len(queries) and {tp.group for tp in topics} >= {"zh->en", "en->zh"}


def test_pairs_file_reader_takes_any_tsv(harness, tmp_path):
    f = tmp_path / "qrels.tsv"
    with open(f, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter="\t")
        w.writerow(["citing", "cited"])
        w.writerow(["CN1A", "US2B"])
        w.writerow([])
        w.writerow(["CN1A", "EP3A", "extra"])
    assert harness.read_pairs(f) == [("CN1A", "US2B"), ("CN1A", "EP3A")]


def test_parallel_index_build_matches_the_serial_one(tmp_path, shared_data, monkeypatch):
    """`build_index` analyzes in worker processes from `PARALLEL_MIN_DOCS` documents on (bench/search_scale.py
    measures it); the index it writes must be the one a single process writes."""
    from ipoffice.core.roles import Actor, Role
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path
    from ipoffice.search import index as ix
    from ipoffice.search.searcher import PatentSearcher

    store = open_store(tmp_path / "home")
    for rel in (
        "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml",
        "patents/cn/cnipa-xml-new-business-ns",
        "patents/cn/cnipa-xml-old-cn-patent-document",
    ):
        import_path(store, shared_data / rel)
    examiner = Actor("t", Role.EXAMINER)
    queries = ("battery", "电池 OR 电机", '"light emitting"', "ipc:H01M", "能量 W/3 回收", "pd>=2012")

    def hits() -> dict[str, list[str]]:
        s = PatentSearcher(store)
        return {q: sorted(h.number for h in s.search(q, examiner, top=500, highlights=False).hits) for q in queries}

    monkeypatch.setenv("IPOFFICE_INDEX_WORKERS", "0")
    serial = ix.build_index(store)
    want = hits()
    monkeypatch.setattr(ix, "PARALLEL_MIN_DOCS", 1)
    monkeypatch.setenv("IPOFFICE_INDEX_WORKERS", "2")
    assert ix._workers(serial.docs) == 2
    parallel = ix.build_index(store)
    assert parallel.docs == serial.docs > 20
    assert hits() == want and any(want.values())
    assert ix.check_index(store).ok
    store.engine.dispose()


def test_parallel_dense_build_matches_the_serial_one(tmp_path, shared_data, monkeypatch):
    """`build_dense` tokenizes and encodes in worker processes on a large store; the vectors and metadata
    must be those one process makes."""
    import numpy as np

    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path
    from ipoffice.search import dense
    from ipoffice.search import index as ix

    store = open_store(tmp_path / "home")
    for rel in (
        "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml",
        "patents/cn/cnipa-xml-new-business-ns",
    ):
        import_path(store, shared_data / rel)
    monkeypatch.setenv("IPOFFICE_INDEX_WORKERS", "0")
    dense.build_dense(store)  # trains the model (and encodes from memory)
    serial = dense.build_dense(store)  # the model kept: every document read and encoded again
    assert not serial.trained

    def snapshot() -> tuple[dict[str, list], dict[int, np.ndarray]]:
        d = dense.DenseIndex(store.home)
        m = np.load(dense.dense_path(store.home) / dense.META_FILE)
        meta = {k: m[k].tolist() for k in ("keys", "day", "flag", "hash", "lang")}
        return meta, {int(k): d.vectors_of([int(k)])[0] for k in m["keys"]}

    want_meta, want_vecs = snapshot()
    monkeypatch.setattr(ix, "PARALLEL_MIN_DOCS", 1)
    monkeypatch.setenv("IPOFFICE_INDEX_WORKERS", "2")
    parallel = dense.build_dense(store)
    assert parallel.docs == serial.docs > 20
    got_meta, got_vecs = snapshot()
    assert got_meta == want_meta
    assert got_vecs.keys() == want_vecs.keys()
    for k, v in want_vecs.items():
        assert np.allclose(got_vecs[k], v, atol=1e-6), k
    store.engine.dispose()
