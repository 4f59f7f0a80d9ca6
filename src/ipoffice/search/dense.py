"""Dense (semantic) retrieval for prior-art search: a model trained here on our corpus, vectors in usearch.

Why this model: no model may be downloaded from a hub, and the collection is bilingual. Latent semantic
analysis (TF-IDF -> truncated SVD) trains in seconds on two cores, needs nothing beyond scikit-learn,
and over the bilingual tokens of `crosslang` (Chinese words *and* their CC-CEDICT English stems) plus
the parallel Chinese/English IPC titles as extra training documents, it puts Chinese and English
documents into one space (cross-language LSI). Documents that arrive later are *folded in* (projected
with the trained model) by `update_dense`; `build_dense(retrain=True)` (``ipoffice index build
--dense-retrain``) trains afresh, as does a build once the store holds `RETRAIN_GROWTH` times the
documents the model was trained on.

Files in ``$IPOFFICE_HOME/index/dense/``: ``model.joblib`` (vectorizer + SVD), ``vectors.<zh|en|other>.usearch``
(one HNSW graph per document language, see `_Graphs`: cosine, half precision, keyed by `PatentDocument.id`),
``meta.npz`` (per key: publication day and published flag, and language, so the critical date, the role filter
and the cross-language list apply without a store query), ``state.json`` and ``cedict.pkl`` (the processed
dictionary, read fast by one-shot CLI queries).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Text, cast, func, select

from ipoffice.core import tables as t
from ipoffice.core.store import Store
from ipoffice.search import crosslang
from ipoffice.search.index import paged_rows

__all__ = [
    "DenseIndex",
    "DenseIndexError",
    "DenseReport",
    "DenseState",
    "build_dense",
    "dense_path",
    "doc_text",
    "ensure_dense_index",
    "update_dense",
]

DENSE_VERSION = 4
#: language codes of ``meta.npz`` (0: any other or unknown); the cross-language list keeps one of them
LANG_CODES = {"zh": 1, "en": 2}
MAX_DIMS = 256
#: documents the model is trained on at most (a random sample beyond): SVD cost grows with them
TRAIN_MAX = 60_000
#: a build retrains on its own when the store has grown this many times past the training set
RETRAIN_GROWTH = 2.0
#: characters of the description that go into a document's vector (its opening: field, problem, summary)
DOC_DESC_CHARS = 4_000
#: collections up to this size are searched exactly (brute force); above, through the HNSW graph
EXACT_BELOW = 50_000
#: neighbours fetched at most while looking for enough documents that pass the date and role filters
MAX_FETCH = 20_000
UPDATE_MARGIN = dt.timedelta(minutes=5)
BATCH = 512
STATE_FILE = "state.json"
MODEL_FILE = "model.joblib"
META_FILE = "meta.npz"
CEDICT_FILE = "cedict.pkl"

Progress = Callable[[int, int | None], None]


class DenseIndexError(Exception):
    """The dense index is missing or unusable; the message says what to run."""


def dense_path(home: Path) -> Path:
    return home / "index" / "dense"


def doc_text(data: dict[str, Any]) -> str:
    """The text a document is represented by: titles, abstracts, claims, the description's opening."""
    parts: list[str] = []
    for group in ("titles", "abstracts"):
        parts.extend(v for v in (data.get(group) or {}).values() if isinstance(v, str))
    for claims in (data.get("claims") or {}).values():
        parts.extend(c for c in (claims or [])[:20] if isinstance(c, str))
    for v in (data.get("descriptions") or {}).values():
        if isinstance(v, str):
            parts.append(v[:DOC_DESC_CHARS])
    return "\n".join(parts)


def _segment_as_indexed(home: Path) -> None:
    """Cut Chinese with the user dictionary of the full-text index (when there is one), so documents
    and queries get the same words in both indexes."""
    from ipoffice.search.analysis import set_user_dictionary
    from ipoffice.search.index import USERDICT_FILE, index_path

    f = index_path(home) / USERDICT_FILE
    if f.exists():
        set_user_dictionary(f)


def _passthrough(tokens: list[str]) -> list[str]:
    """The vectorizer's analyzer: documents arrive as token lists (module level: the model pickles it)."""
    return tokens


# --------------------------------------------------------------------------- state


@dataclass
class DenseState:
    version: int = DENSE_VERSION
    dims: int = 0
    docs: int = 0
    trained_docs: int = 0
    trained_ipc_titles: int = 0
    vocabulary: int = 0
    trained_at: str | None = None
    built_at: str | None = None
    updated_at: str | None = None
    watermark: str | None = None


def _read_state(path: Path) -> DenseState | None:
    try:
        raw = json.loads((path / STATE_FILE).read_text(encoding="utf-8"))
        return DenseState(**{k: v for k, v in raw.items() if k in DenseState.__dataclass_fields__})
    except (OSError, ValueError, TypeError):
        return None


def _write_json(path: Path, obj: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    os.replace(tmp, path)


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    (home / "index").mkdir(parents=True, exist_ok=True)
    with open(home / "index" / "dense.lock", "w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        except OSError:
            raise DenseIndexError("another `ipoffice index` command is building the dense index") from None
        yield


# --------------------------------------------------------------------------- the model


class DenseModel:
    """TF-IDF over bilingual tokens, then truncated SVD, then unit length."""

    def __init__(self, vectorizer: Any, svd: Any) -> None:
        self.vectorizer = vectorizer
        self.svd = svd
        self._proj: np.ndarray | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"vectorizer": self.vectorizer, "svd": self.svd}  # the projection is rebuilt on load

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.vectorizer, self.svd, self._proj = state["vectorizer"], state["svd"], None

    @property
    def dims(self) -> int:
        return int(self.svd.components_.shape[0])

    @classmethod
    def train(cls, docs: list[list[str]], dims: int = MAX_DIMS, seed: int = 0) -> DenseModel:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        vec = TfidfVectorizer(
            analyzer=_passthrough,
            sublinear_tf=True,
            min_df=2 if len(docs) > 2_000 else 1,
            max_df=0.5 if len(docs) > 2_000 else 1.0,
            max_features=300_000,
            dtype=np.float32,
        )
        x = vec.fit_transform(docs)
        k = max(1, min(dims, x.shape[0] - 1, x.shape[1] - 1))
        svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=4, random_state=seed)
        svd.fit(x)
        return cls(vec, svd)

    def encode(self, docs: list[list[str]]) -> np.ndarray:
        if not docs:
            return np.zeros((0, self.dims), dtype=np.float32)
        proj = getattr(self, "_proj", None)
        if proj is None:  # components transposed, contiguous: sparse x dense is then ~50x faster than
            # TruncatedSVD.transform on one query (which multiplies by a strided view)
            proj = self._proj = np.ascontiguousarray(self.svd.components_.T, dtype=np.float32)
        y = np.asarray(self.vectorizer.transform(docs) @ proj, dtype=np.float32)
        norms = np.linalg.norm(y, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return y / norms

    def encode_text(self, text: str) -> np.ndarray:
        return self.encode([crosslang.bilingual_tokens(text)])[0]


# --------------------------------------------------------------------------- reading the store

_COLUMNS = (
    t.PatentDocument.id,
    t.PatentDocument.publication_date,
    t.PatentDocument.published_flag,
    t.PatentDocument.updated_at,
    t.PatentDocument.content_hash,
    t.PatentDocument.language,
    cast(t.PatentDocument.data, Text).label("data_json"),
)


@dataclass
class _Doc:
    id: int
    day: int  # publication date as a proleptic ordinal; 0: none
    flag: int  # published flag: 1 yes, 0 no, -1 unknown
    updated_at: dt.datetime
    hash: str
    tokens: list[str]
    lang: int = 0  # `LANG_CODES`


def _conv(rows: list[Any]) -> list[_Doc]:
    """Documents of store rows (``_COLUMNS``, as rows or plain tuples in that order), tokens made."""
    out = []
    for r in rows:
        rid, pub, flag, updated, chash, lang, raw = r
        data = orjson.loads(raw) if raw else {}
        out.append(
            _Doc(
                rid,
                pub.toordinal() if pub else 0,
                -1 if flag is None else int(bool(flag)),
                updated,
                chash or "",
                crosslang.bilingual_tokens(doc_text(data)),
                LANG_CODES.get(lang or "", 0),
            )
        )
    return out


def _docs(session: Any, ids: list[int] | None = None) -> Iterator[list[_Doc]]:
    for rows in paged_rows(session, _COLUMNS, ids, BATCH):
        yield _conv(rows)


_worker_model: DenseModel | None = None


def _encode_rows(rows: list[tuple[Any, ...]]) -> tuple[list[_Doc], np.ndarray]:
    """Worker: the documents of a batch of rows (tokens dropped once used) and their vectors, with the model
    inherited from the parent process by fork."""
    assert _worker_model is not None
    docs = _conv(rows)
    vecs = _worker_model.encode([d.tokens for d in docs])
    for d in docs:
        d.tokens = []
    return docs, vecs


def _encoded(session: Any, model: DenseModel, total: int) -> Iterator[tuple[list[_Doc], np.ndarray]]:
    """Every document of the store with its vector, in store order. Tokenizing (jieba, stemming, the
    dictionary) is pure Python: on a large store it runs in fork workers (as the full-text index's analysis
    does, ``index._workers``) while this process reads the store and adds the vectors to the graph."""
    from collections import deque

    from ipoffice.search.index import _workers

    workers = _workers(total)
    if not workers:
        for batch in _docs(session):
            yield batch, model.encode([d.tokens for d in batch])
        return
    import multiprocessing

    global _worker_model
    crosslang.bilingual_tokens("预热装置 warm")  # dictionary and segmenter loaded once, inherited
    _worker_model = model
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[Any] = deque()
        for rows in paged_rows(session, _COLUMNS, None, BATCH):
            pending.append(pool.apply_async(_encode_rows, ([tuple(r) for r in rows],)))
            while len(pending) > 3 * workers or (pending and pending[0].ready()):
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
    _worker_model = None


@functools.lru_cache(maxsize=1)
def _ipc_documents() -> tuple[list[str], ...]:
    """The parallel IPC titles as training documents (Chinese and English title of a symbol together)."""
    return tuple(crosslang.bilingual_tokens(f"{zh}\n{en}") for _sym, zh, en in crosslang.ipc_title_pairs())


def dims_for(corpus_docs: int) -> int:
    """Latent dimensions: fewer for a small collection (the IPC titles alone carry about a hundred
    topics; more dimensions there only fit noise and cost training time)."""
    return MAX_DIMS if corpus_docs >= 5_000 else 128


# --------------------------------------------------------------------------- build and update


@dataclass
class DenseReport:
    action: str
    path: str
    docs: int = 0
    encoded: int = 0
    deleted: int = 0
    trained: bool = False
    trained_docs: int = 0
    dims: int = 0
    seconds: float = 0.0
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _new_vectors(dims: int) -> Any:
    """The vector index: cosine over half-precision vectors. Half precision halves the memory (512 MB for
    a million documents of 256 dimensions) and the HNSW insertion time (28,771 real documents: 9.4 s in f32),
    while a cosine moves by about 1e-3: far below what separates documents the fusion ranks apart. An index
    saved in f32 by an earlier release is restored as it was (``Index.restore`` reads the type)."""
    from usearch.index import Index

    return Index(ndim=dims, metric="cos", dtype="f16")


# --------------------------------------------------------------------------- vector graphs


#: one HNSW graph per language code of `LANG_CODES` (0: any other), in ``vectors.<name>.usearch``
GRAPH_NAMES = {0: "other", 1: "zh", 2: "en"}


def graph_file(code: int) -> str:
    return f"vectors.{GRAPH_NAMES[code]}.usearch"


class _Graphs:
    """The vectors as one graph per document language. Why: the cross-language list of prior-art search
    wants the nearest documents of *one* language, and in one shared graph most neighbours of a Chinese
    query are Chinese, so a language-filtered search fetched again and again at four times the count
    (888 up to 20,000 neighbours, 40+ ms each fetch at 1M). With a graph per language it is one search of
    that graph; a search over all languages searches each graph and merges, which costs about what one
    search of the shared graph did (each graph is smaller). Insertion gets cheaper too (smaller graphs)."""

    def __init__(self, graphs: dict[int, Any]) -> None:
        self.graphs = graphs

    @classmethod
    def new(cls, dims: int) -> _Graphs:
        return cls({code: _new_vectors(dims) for code in GRAPH_NAMES})

    @classmethod
    def restore(cls, path: Path, dims: int, view: bool) -> _Graphs:
        from usearch.index import Index

        graphs = {}
        for code in GRAPH_NAMES:
            f = path / graph_file(code)
            graphs[code] = Index.restore(str(f), view=view) if f.exists() else _new_vectors(dims)
        return cls(graphs)

    def save(self, path: Path) -> None:
        for code, g in self.graphs.items():
            tmp = path / (graph_file(code) + ".tmp")
            g.save(str(tmp))
            os.replace(tmp, path / graph_file(code))

    def __len__(self) -> int:
        return sum(len(g) for g in self.graphs.values())

    def add(self, keys: np.ndarray, vecs: np.ndarray, langs: np.ndarray) -> None:
        for code in np.unique(langs):
            sel = langs == code
            self.graphs[int(code)].add(keys[sel], vecs[sel])

    def remove(self, keys: list[int], langs: list[int]) -> None:
        by: dict[int, list[int]] = {}
        for k, c in zip(keys, langs, strict=True):
            by.setdefault(c, []).append(k)
        for c, ks in by.items():
            g = self.graphs[c]
            arr = np.asarray(ks, dtype=np.uint64)
            arr = arr[np.asarray(g.contains(arr), dtype=bool)]
            if len(arr):
                g.remove(arr)

    def get(self, keys: np.ndarray, langs: np.ndarray) -> list[np.ndarray | None]:
        """The stored vector of each key (None where a graph lacks it), in the order of ``keys``."""
        out: list[np.ndarray | None] = [None] * len(keys)
        for code in np.unique(langs):
            where = np.flatnonzero(langs == code)
            got = self.graphs[int(code)].get(np.asarray(keys[where], dtype=np.uint64))
            got = got if isinstance(got, tuple) else (got,)
            for i, v in zip(where, got, strict=True):
                out[int(i)] = None if v is None else np.asarray(v, dtype=np.float32)
        return out


def build_dense(store: Store, progress: Progress | None = None, retrain: bool = False) -> DenseReport:
    """Encode every document of the store afresh (training the model when asked, when there is none, or
    when the store outgrew it), into a new folder swapped in at the end."""
    import joblib

    started = time.perf_counter()
    final = dense_path(store.home)
    crosslang.use_cache(final / CEDICT_FILE)
    _segment_as_indexed(store.home)
    rep = DenseReport(action="build", path=str(final))
    with _locked(store.home):
        old_state = _read_state(final)
        model: DenseModel | None = None
        current = old_state is not None and old_state.version == DENSE_VERSION
        if not retrain and current and (final / MODEL_FILE).exists():
            try:
                model = joblib.load(final / MODEL_FILE)
            except Exception:  # noqa: BLE001 - an unreadable or foreign model: train a new one
                model = None
        with store.session() as s:
            total = s.scalar(select(func.count(t.PatentDocument.id))) or 0
            if model is not None and old_state is not None and total > RETRAIN_GROWTH * max(1, old_state.trained_docs):
                rep.note = f"retrained: the store holds {total} documents, the model knew {old_state.trained_docs}"
                model = None
            tmp = final.with_name(f"dense.building-{os.getpid()}")
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                state = DenseState(built_at=t.utcnow().isoformat())
                kept: list[_Doc] = []
                if model is None:
                    ids = list(s.scalars(select(t.PatentDocument.id)))
                    sample = ids if len(ids) <= TRAIN_MAX else random.Random(0).sample(ids, TRAIN_MAX)
                    train: list[list[str]] = []
                    for batch in _docs(s, sample):
                        train.extend(d.tokens for d in batch)
                        if len(sample) == len(ids):
                            kept.extend(batch)  # all of them: encode from memory, no second read
                    ipc_docs = list(_ipc_documents())
                    if not train and not ipc_docs:
                        raise DenseIndexError("nothing to train the dense model on: the store holds no documents")
                    model = DenseModel.train(train + ipc_docs, dims=dims_for(len(train)))
                    rep.trained = True
                    state.trained_docs, state.trained_ipc_titles = len(train), len(ipc_docs)
                    state.trained_at = state.built_at
                else:
                    assert old_state is not None
                    state.trained_docs, state.trained_ipc_titles = old_state.trained_docs, old_state.trained_ipc_titles
                    state.trained_at = old_state.trained_at
                vectors = _Graphs.new(model.dims)
                meta: dict[str, list[Any]] = {"keys": [], "day": [], "flag": [], "hash": [], "lang": []}
                newest: dt.datetime | None = None
                done = 0
                source = (
                    (
                        (b, model.encode([d.tokens for d in b]))
                        for b in (kept[i : i + BATCH] for i in range(0, len(kept), BATCH))
                    )
                    if kept
                    else _encoded(s, model, total)
                )
                for batch, vecs in source:
                    if not batch:
                        continue
                    vectors.add(
                        np.array([d.id for d in batch], dtype=np.uint64), vecs, np.array([d.lang for d in batch])
                    )
                    for d in batch:
                        meta["keys"].append(d.id)
                        meta["day"].append(d.day)
                        meta["flag"].append(d.flag)
                        meta["hash"].append(d.hash)
                        meta["lang"].append(d.lang)
                        if newest is None or d.updated_at > newest:
                            newest = d.updated_at
                    done += len(batch)
                    if progress:
                        progress(done, total)
                joblib.dump(model, tmp / MODEL_FILE)
                vectors.save(tmp)
                _save_meta(tmp, meta)
                state.dims, state.docs = model.dims, done
                state.vocabulary = len(model.vectorizer.vocabulary_)
                state.updated_at = state.built_at
                state.watermark = newest.isoformat() if newest else None
                _write_json(tmp / STATE_FILE, asdict(state))
                crosslang.ensure_cache(tmp / CEDICT_FILE)
                old = final.with_name(f"dense.old-{os.getpid()}")
                if final.exists():
                    os.replace(final, old)
                os.replace(tmp, final)
                shutil.rmtree(old, ignore_errors=True)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    rep.docs, rep.encoded, rep.dims = state.docs, state.docs, state.dims
    rep.trained_docs = state.trained_docs
    rep.seconds = round(time.perf_counter() - started, 3)
    return rep


def _save_meta(path: Path, meta: dict[str, Any]) -> None:
    keys = np.asarray(meta["keys"], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    tmp = path / (META_FILE + ".tmp.npz")
    np.savez(
        tmp,
        keys=keys[order],
        day=np.asarray(meta["day"], dtype=np.int32)[order],
        flag=np.asarray(meta["flag"], dtype=np.int8)[order],
        hash=np.asarray(meta["hash"], dtype="U64")[order],
        lang=np.asarray(meta["lang"], dtype=np.int8)[order],
    )
    os.replace(tmp, path / META_FILE)


def update_dense(store: Store, progress: Progress | None = None) -> DenseReport:
    """Fold the documents new or changed since the last run into the index; drop the deleted ones."""
    import joblib

    started = time.perf_counter()
    path = dense_path(store.home)
    crosslang.use_cache(path / CEDICT_FILE)
    _segment_as_indexed(store.home)
    rep = DenseReport(action="update", path=str(path))
    with _locked(store.home):
        state = _read_state(path)
        if state is None or not (path / MODEL_FILE).exists() or state.version != DENSE_VERSION:
            raise DenseIndexError(f"no dense index in {path}; build it with `ipoffice index build`")
        model: DenseModel = joblib.load(path / MODEL_FILE)
        vectors = _Graphs.restore(path, state.dims, view=False)
        m = np.load(path / META_FILE)
        meta = {
            int(k): (int(d), int(f), str(h), int(g))
            for k, d, f, h, g in zip(m["keys"], m["day"], m["flag"], m["hash"], m["lang"], strict=True)
        }
        wm = dt.datetime.fromisoformat(state.watermark) if state.watermark else None
        with store.session() as s:
            store_ids = set(s.scalars(select(t.PatentDocument.id)))
            q = select(t.PatentDocument.id, t.PatentDocument.content_hash)
            if wm is not None:
                q = q.where(t.PatentDocument.updated_at >= wm - UPDATE_MARGIN)
            # changed since the last run (unchanged ones within the safety margin are known by hash)
            recent = {i for i, h in s.execute(q) if i not in meta or meta[i][2] != (h or "")}
            todo = sorted((recent & store_ids) | (store_ids - set(meta)))
            deleted = sorted(set(meta) - store_ids)
            gone = [k for k in deleted + todo if k in meta]
            vectors.remove(gone, [meta[k][3] for k in gone])
            for k in deleted:
                meta.pop(k, None)
            newest = wm
            done = 0
            for batch in _docs(s, todo) if todo else ():
                vectors.add(
                    np.array([d.id for d in batch], dtype=np.uint64),
                    model.encode([d.tokens for d in batch]),
                    np.array([d.lang for d in batch]),
                )
                for d in batch:
                    meta[d.id] = (d.day, d.flag, d.hash, d.lang)
                    if newest is None or d.updated_at > newest:
                        newest = d.updated_at
                done += len(batch)
                if progress:
                    progress(done, len(todo))
        if todo or deleted:
            vectors.save(path)
            ks = sorted(meta)
            _save_meta(
                path,
                {
                    "keys": ks,
                    "day": [meta[k][0] for k in ks],
                    "flag": [meta[k][1] for k in ks],
                    "hash": [meta[k][2] for k in ks],
                    "lang": [meta[k][3] for k in ks],
                },
            )
        state.docs = len(meta)
        state.updated_at = t.utcnow().isoformat()
        state.watermark = newest.isoformat() if newest else state.watermark
        _write_json(path / STATE_FILE, asdict(state))
    rep.docs, rep.encoded, rep.deleted, rep.dims = state.docs, len(todo), len(deleted), state.dims
    rep.trained_docs = state.trained_docs
    if state.docs > RETRAIN_GROWTH * max(1, state.trained_docs):
        rep.note = (
            f"the model was trained on {state.trained_docs} documents, the index holds {state.docs}: "
            "retrain it with `ipoffice index build --dense-retrain`"
        )
    rep.seconds = round(time.perf_counter() - started, 3)
    return rep


# --------------------------------------------------------------------------- search


class DenseIndex:
    """The dense index of a data home, opened once (model, vector graphs, per-document metadata)."""

    def __init__(self, home: Path) -> None:
        import joblib

        self.path = dense_path(home)
        state = _read_state(self.path)
        if state is None or not (self.path / MODEL_FILE).exists() or not (self.path / META_FILE).exists():
            raise DenseIndexError(f"no dense index in {self.path}; build it with `ipoffice index build`")
        if state.version != DENSE_VERSION:
            raise DenseIndexError(
                f"the dense index in {self.path} is of version {state.version}, this ipoffice needs "
                f"{DENSE_VERSION}; rebuild it with `ipoffice index build`"
            )
        crosslang.use_cache(self.path / CEDICT_FILE)
        self.state = state
        self.model: DenseModel = joblib.load(self.path / MODEL_FILE)
        self.vectors = _Graphs.restore(self.path, state.dims, view=True)
        m = np.load(self.path / META_FILE)
        self.keys, self.day, self.flag, self.lang = m["keys"], m["day"], m["flag"], m["lang"]

    def __len__(self) -> int:
        return len(self.keys)

    def staleness(self, store_docs: int) -> str | None:
        if store_docs != self.state.docs:
            return (
                f"the dense index holds {self.state.docs} documents, the store {store_docs}; "
                "run `ipoffice index update`"
            )
        return None

    def _positions(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row of each key in the metadata, and whether the key is there at all."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
        pos = np.clip(np.searchsorted(self.keys, keys), 0, len(self.keys) - 1)
        return pos, self.keys[pos] == keys

    def vectors_of(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of ``ids`` (those in the index), one row each."""
        keys = np.asarray(ids, dtype=np.int64)
        pos, known = self._positions(keys)
        got = self.vectors.get(keys[known], self.lang[pos[known]]) if known.any() else []
        rows = [v for v in got if v is not None]
        return np.vstack(rows) if rows else np.zeros((0, self.state.dims), dtype=np.float32)

    def _allowed(self, keys: np.ndarray, before: dt.date | None, public: bool, exclude: set[int]) -> np.ndarray:
        pos, ok = self._positions(keys)
        day, flag = self.day[pos], self.flag[pos]
        if before is not None:
            ok &= (day > 0) & (day < before.toordinal()) & (flag != 0)
        if public:
            today = dt.date.today().toordinal()
            ok &= (flag == 1) | ((flag == -1) & (day > 0) & (day <= today))
        if exclude:
            ok &= ~np.isin(keys, np.fromiter(exclude, dtype=np.int64, count=len(exclude)))
        return ok

    def _search_graph(
        self, graph: Any, vector: np.ndarray, k: int, before: dt.date | None, public: bool, exclude: set[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest allowed keys of one graph and their similarities, best first."""
        n = len(graph)
        if n == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        count = min(n, MAX_FETCH, max(4 * k, 100))
        while True:
            m = graph.search(vector, count, exact=n <= EXACT_BELOW)
            keys = np.asarray(m.keys, dtype=np.int64)
            sims = 1.0 - np.asarray(m.distances, dtype=np.float64)
            ok = self._allowed(keys, before, public, exclude)
            if ok.sum() >= k or count >= n or count >= MAX_FETCH:
                break  # enough, all, or as far as it is worth going (an early critical date leaves few)
            count = min(n, count * 4, MAX_FETCH)
        return keys[ok][:k], sims[ok][:k]

    def search(
        self,
        vector: np.ndarray,
        k: int,
        before: dt.date | None = None,
        public: bool = True,
        exclude: set[int] | frozenset[int] = frozenset(),
        language: str | None = None,
    ) -> list[tuple[int, float]]:
        """(doc id, cosine similarity) of the ``k`` nearest documents published before ``before`` that
        the public (or an office role) may see, best first; only those in ``language`` (``zh``/``en``) when
        given (then only that language's graph is searched)."""
        if k <= 0 or len(self.vectors) == 0:
            return []
        if language is not None:
            code = LANG_CODES.get(language)
            codes = [code] if code is not None else []
        else:
            codes = list(GRAPH_NAMES)
        vec = vector.astype(np.float32)
        skip = set(exclude)
        found = [self._search_graph(self.vectors.graphs[c], vec, k, before, public, skip) for c in codes]
        if not found:
            return []
        keys = np.concatenate([f[0] for f in found])
        sims = np.concatenate([f[1] for f in found])
        order = np.argsort(-sims, kind="stable")[:k]
        return [(int(keys[i]), float(sims[i])) for i in order]


def ensure_dense_index(store: Store, progress: Progress | None = None) -> DenseReport:
    """Build the dense index when there is none (or of another version), else bring it up to date."""
    state = _read_state(dense_path(store.home))
    if state is None or state.version != DENSE_VERSION or not (dense_path(store.home) / MODEL_FILE).exists():
        return build_dense(store, progress)
    return update_dense(store, progress)
