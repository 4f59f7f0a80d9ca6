"""The full-text index of patent documents: a tantivy index in ``$IPOFFICE_HOME/index/patents/``.

Fed from the store (`PatentDocument` and its ``data`` JSON). Text is analyzed in Python
(`search.analysis`) and handed to tantivy pre-tokenized, so positions are exactly ours: Chinese
words from jieba, English stems, values of a field kept apart. The folder also holds the jieba user
dictionary the index was built with (``userdict.txt``) and ``state.json`` (schema version, the
``updated_at`` watermark, the last id and the time the next update reads from, counts).

Fields (the query language's prefixes in brackets):

=========  ==========================================================================================
doc_id     `PatentDocument.id` (stored, fast): the key for updates and deletions
hash       `PatentDocument.content_hash` (stored): `check` compares it with the store
ti ab cl   titles, abstracts, claims, all languages [ti: ab: cl:]; no prefix searches ti+ab+cl
desc       descriptions [desc:]; ``ft:`` searches ti+ab+cl+desc
pa inv ag  applicants/assignees/owners, inventors, agents/agencies [pa: in: ag:]
ipc cpc    each symbol with all its ancestors: section, class, subclass, main group, the dot-level
           parents of the scheme (`scheme_entries`) and the subgroups whose digits it extends, so one
           term finds a whole subtree [ipc: cpc:]
pn         normalized publication and application numbers [pn:]
cc kd      country, kind code [cc: kd:]
pd ad gd   publication, application (filing), grant date; pr: every priority date [pd ad gd pr]
party      party ids of the document: applicants and agents may see their own unpublished filings
=========  ==========================================================================================

`build_index` writes a fresh index beside the old one and swaps it in, so searches go on during a
rebuild and a failed build leaves the old index. `update_index` reads only the store rows above the
last indexed id or updated since its last run began (less a safety margin), re-indexes those whose hash
changed and adds those the index lacks; when the store then holds another number of documents than the
index will, something else differs (a deletion, a document lost from the index) and it compares every
id, removing what the store no longer has. `check_index` compares everything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import json
import multiprocessing
import os
import random
import shutil
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.core.ipc import ipc_ancestors, normalize_ipc, parse_ipc
from ipoffice.core.numbers import normalize_number
from ipoffice.core.store import Store
from ipoffice.search.analysis import build_user_dictionary, has_cjk, index_terms, set_user_dictionary

__all__ = [
    "SCHEMA_VERSION",
    "STATE_FILE",
    "USERDICT_FILE",
    "CheckReport",
    "IndexReport",
    "IndexState",
    "SearchIndexError",
    "build_index",
    "check_index",
    "class_terms",
    "document_fields",
    "index_path",
    "ipc_parents",
    "open_index",
    "read_state",
    "staleness",
    "update_index",
]

#: bump when fields or analysis change: an index of another version must be rebuilt
SCHEMA_VERSION = 1
WS_TOKENIZER = "ipo_ws"
TEXT_FIELDS = ("ti", "ab", "cl", "desc", "pa", "inv", "ag")
KEYWORD_FIELDS = ("ipc", "cpc", "pn", "cc", "kd", "pubflag")  # pubflag: yes | no (PatentRecord.published)
DATE_FIELDS = ("pd", "ad", "gd", "pr")
APPLICANT_ROLES = {"applicant", "assignee", "owner"}
AGENT_ROLES = {"agent", "agency", "representative"}
#: `update` looks this far behind the watermark: a batch stamped just before an index run but
#: committed after it is still picked up (unchanged documents are recognised by hash and skipped)
UPDATE_MARGIN = dt.timedelta(minutes=5)
STATE_FILE = "state.json"
USERDICT_FILE = "userdict.txt"
BATCH = 256

Progress = Callable[[int, int | None], None]


class SearchIndexError(Exception):
    """The index is missing, of another version, or busy; the message says what to run."""


def index_path(home: Path) -> Path:
    return home / "index" / "patents"


# --------------------------------------------------------------------------- schema and state


def build_schema():  # noqa: ANN201 - tantivy.Schema
    from tantivy import SchemaBuilder

    sb = SchemaBuilder()
    sb.add_unsigned_field("doc_id", stored=True, indexed=True, fast=True)
    sb.add_text_field("hash", stored=True, tokenizer_name="raw", index_option="basic")
    for f in TEXT_FIELDS:
        sb.add_text_field(f, tokenizer_name=WS_TOKENIZER, index_option="position")
    for f in KEYWORD_FIELDS:
        sb.add_text_field(f, tokenizer_name="raw", index_option="position")
    for f in DATE_FIELDS:
        sb.add_date_field(f, indexed=True, fast=True)
    sb.add_unsigned_field("party", indexed=True)
    return sb.build()


def _register(index: Any) -> Any:
    from tantivy import TextAnalyzerBuilder, Tokenizer

    index.register_tokenizer(WS_TOKENIZER, TextAnalyzerBuilder(Tokenizer.whitespace()).build())
    return index


@dataclass
class IndexState:
    schema_version: int = SCHEMA_VERSION
    watermark: str | None = None  # newest PatentDocument.updated_at indexed (ISO)
    #: the next `update` reads only the rows with an id above ``max_id`` or an ``updated_at`` from
    #: ``scan_from`` on (the start of the last run's read, less `UPDATE_MARGIN`); None: compare all ids
    max_id: int | None = None
    scan_from: str | None = None
    built_at: str | None = None
    updated_at: str | None = None
    docs: int = 0
    userdict_words: int = 0

    def watermark_dt(self) -> dt.datetime | None:
        return dt.datetime.fromisoformat(self.watermark) if self.watermark else None


def read_state(path: Path) -> IndexState | None:
    f = path / STATE_FILE
    if not f.exists():
        return None
    try:
        raw = json.loads(f.read_text(encoding="utf-8"))
        return IndexState(**{k: v for k, v in raw.items() if k in IndexState.__dataclass_fields__})
    except (ValueError, TypeError):
        return None


def _write_state(path: Path, state: IndexState) -> None:
    tmp = path / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=1), encoding="utf-8")
    os.replace(tmp, path / STATE_FILE)


def open_index(path: Path, need_current: bool = True) -> tuple[Any, IndexState]:
    """The tantivy index at ``path`` and its state; SearchIndexError with what to run when unusable."""
    from tantivy import Index

    state = read_state(path)
    if state is None or not Index.exists(str(path)):
        raise SearchIndexError(f"no search index in {path}; build it with `ipoffice index build`")
    if need_current and state.schema_version != SCHEMA_VERSION:
        raise SearchIndexError(
            f"the search index in {path} has schema version {state.schema_version}, this ipoffice needs "
            f"{SCHEMA_VERSION}; rebuild it with `ipoffice index build`"
        )
    set_user_dictionary(path / USERDICT_FILE)
    return _register(Index.open(str(path))), state


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One index writer at a time (build, update): a second one is refused, not queued."""
    (home / "index").mkdir(parents=True, exist_ok=True)
    lock = home / "index" / "patents.lock"
    with open(lock, "w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX: no lock
            pass
        except OSError:
            raise SearchIndexError("another `ipoffice index` command is running on this data home") from None
        yield


# --------------------------------------------------------------------------- documents


def _day(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    if not isinstance(value, dt.date) or value.year < 1700:
        return None
    return value


@functools.lru_cache(maxsize=65536)
def _canonical_class(scheme: str, symbol: str) -> str | None:
    """Canonical IPC/CPC symbol, or None when it is not one (CPC's section Y has IPC's syntax)."""
    try:
        if scheme == "cpc" and symbol[:1] in "Yy":
            return "Y" + normalize_ipc("A" + symbol[1:])[1:]
        return normalize_ipc(symbol)
    except ValueError:
        return None


def class_terms(symbol: str, parents: dict[str, str] | None = None) -> set[str]:
    """The terms indexed for one classification symbol: itself, its structural ancestors, the
    shorter subgroups its digits extend (``G06F 17/3001`` -> ``G06F 17/30``) and the dot-level
    parents known to the scheme (``parents``: symbol -> parent)."""
    y = symbol.startswith("Y")
    probe = "A" + symbol[1:] if y else symbol
    out = {symbol}
    try:
        p = parse_ipc(probe)
    except ValueError:
        return out
    anc = ipc_ancestors(probe)
    if p.sub and p.sub != "00":
        for k in range(2, len(p.sub)):
            d = p.sub[:k].rstrip("0").ljust(2, "0")
            anc.append(f"{p.subclass_symbol} {p.main}/{d}")
    if y:
        anc = ["Y" + a[1:] for a in anc]
    out.update(anc)
    if parents and not y:
        cur = parents.get(symbol)
        seen = 0
        while cur and seen < 30:
            out.add(cur)
            cur = parents.get(cur)
            seen += 1
    return out


_terms_cache: dict[tuple[str, str], frozenset[str]] = {}
_terms_cache_owner: list[Any] = [None]


def _class_terms_cached(scheme: str, sym: str, parents: dict[str, str] | None) -> frozenset[str]:
    """`class_terms` of a symbol, remembered for the ``parents`` map in use (a build sees the same few
    thousand symbols hundreds of thousands of times; parsing them was a tenth of the build)."""
    if _terms_cache_owner[0] is not parents or len(_terms_cache) > 200_000:
        _terms_cache.clear()
        _terms_cache_owner[0] = parents
    key = (scheme, sym)
    hit = _terms_cache.get(key)
    if hit is None:
        hit = _terms_cache[key] = frozenset(class_terms(sym, parents if scheme == "ipc" else None))
    return hit


def document_fields(
    row: Any, data: dict[str, Any], party_ids: list[int], parents: dict[str, str] | None
) -> dict[str, Any]:
    """The indexed values of one store row (plain Python: it travels from a worker process).

    ``data`` is the row's record (the ``data`` column); text fields hold their terms and positions
    (`index_terms`)."""
    claims = [c for lang_claims in (data.get("claims") or {}).values() for c in lang_claims or []]
    parties = data.get("parties") or []
    texts = {
        "ti": list((data.get("titles") or {}).values()),
        "ab": list((data.get("abstracts") or {}).values()),
        "cl": claims,
        "desc": list((data.get("descriptions") or {}).values()),
        "pa": [p.get("name", "") for p in parties if p.get("role") in APPLICANT_ROLES],
        "inv": [p.get("name", "") for p in parties if p.get("role") == "inventor"],
        "ag": [p.get("name", "") for p in parties if p.get("role") in AGENT_ROLES],
    }
    doc: dict[str, Any] = {"doc_id": row.id, "hash": row.content_hash}
    for name, values in texts.items():
        words, positions = index_terms([v for v in values if isinstance(v, str) and v])
        if words:
            doc[name] = (words, positions)
    ipc: set[str] = set()
    cpc: set[str] = set()
    for c in data.get("classifications") or []:
        scheme = c.get("scheme")
        if scheme not in ("ipc", "cpc"):
            continue
        sym = _canonical_class(scheme, c.get("symbol") or "")
        if sym:
            (ipc if scheme == "ipc" else cpc).update(_class_terms_cached(scheme, sym, parents))
    doc["ipc"] = sorted(ipc)
    doc["cpc"] = sorted(cpc)
    pn = {row.number_norm, normalize_number(row.number)}
    if row.application_number:
        pn.add(normalize_number(row.application_number))
    doc["pn"] = sorted(x for x in pn if x)
    doc["cc"] = [(row.country or "").upper()]
    doc["kd"] = [row.kind.upper()] if row.kind else []
    doc["pubflag"] = [] if row.published_flag is None else ["yes" if row.published_flag else "no"]
    for name, value in (("pd", row.publication_date), ("ad", row.application_date), ("gd", row.grant_date)):
        d = _day(value)
        doc[name] = [d] if d else []
    doc["pr"] = sorted({d for d in (_day((p or {}).get("date")) for p in data.get("priorities") or []) if d})
    doc["party"] = sorted(set(party_ids))
    return doc


_ZEROS = itertools.repeat(0)  # the offsets of index terms (none: highlighting re-analyzes the text)


def to_document(fields: dict[str, Any]) -> Any:
    """A tantivy Document of `document_fields` (pre-tokenized text keeps our positions)."""
    from tantivy import Document, PreTokenizedString, Token

    doc = Document()
    doc.add_unsigned("doc_id", fields["doc_id"])
    doc.add_text("hash", fields["hash"])
    for name in TEXT_FIELDS:
        toks = fields.get(name)
        if not toks:
            continue
        if isinstance(toks, list):  # analyzer tokens (text, position, start, end, main)
            tokens = [Token(w, p, s, e) for w, p, s, e, _m in toks]
        else:  # (terms, positions) of `index_terms`, or packed by a worker (`_pack`)
            words, pos = toks
            if isinstance(words, str):
                words = words.split(_SEP)
                packed, pos = pos, array("i")
                pos.frombytes(packed)
            tokens = list(map(Token, words, pos, _ZEROS, _ZEROS))
        doc.add_pre_tokenized_text(name, PreTokenizedString("", tokens))
    for name in KEYWORD_FIELDS:
        for v in fields.get(name, ()):
            doc.add_text(name, v)
    for name in DATE_FIELDS:
        for d in fields.get(name, ()):
            doc.add_date(name, dt.datetime(d.year, d.month, d.day))
    for pid in fields.get("party", ()):
        doc.add_unsigned("party", pid)
    return doc


_ROW_COLUMNS = (
    t.PatentDocument.id,
    t.PatentDocument.number,
    t.PatentDocument.number_norm,
    t.PatentDocument.country,
    t.PatentDocument.kind,
    t.PatentDocument.application_number,
    t.PatentDocument.application_date,
    t.PatentDocument.publication_date,
    t.PatentDocument.grant_date,
    t.PatentDocument.content_hash,
    t.PatentDocument.updated_at,
    t.PatentDocument.published_flag,
    cast(t.PatentDocument.data, Text).label("data_json"),
)


def _party_ids(session: Session, ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for doc_id, party_id in session.execute(
        select(t.PatentParty.document_id, t.PatentParty.party_id).where(t.PatentParty.document_id.in_(ids))
    ):
        out.setdefault(doc_id, []).append(party_id)
    return out


def paged_rows(session: Session, columns: Any, ids: list[int] | None = None, size: int = BATCH) -> Iterator[list[Any]]:
    """Rows of `patent_documents` (the given columns, `id` among them) in batches by id: keyset pages, so memory
    stays flat on SQLite and PostgreSQL whatever the collection's size. The lexical and dense indexes both read so."""
    if ids is not None:
        ids = sorted(ids)
        for i in range(0, len(ids), size):
            chunk = ids[i : i + size]
            yield list(
                session.execute(select(*columns).where(t.PatentDocument.id.in_(chunk)).order_by(t.PatentDocument.id))
            )
        return
    last = 0
    while True:
        batch = list(
            session.execute(
                select(*columns).where(t.PatentDocument.id > last).order_by(t.PatentDocument.id).limit(size)
            )
        )
        if not batch:
            return
        yield batch
        last = batch[-1].id


def _rows(session: Session, ids: list[int] | None = None) -> Iterator[list[Any]]:
    return paged_rows(session, _ROW_COLUMNS, ids)


def ipc_parents(session: Session) -> dict[str, str]:
    """symbol -> parent for the newest IPC edition in `scheme_entries` (empty if none is loaded)."""
    ver = session.scalar(select(func.max(t.SchemeEntry.version)).where(t.SchemeEntry.scheme == "ipc"))
    if ver is None:
        return {}
    q = select(t.SchemeEntry.symbol, t.SchemeEntry.parent).where(
        t.SchemeEntry.scheme == "ipc", t.SchemeEntry.version == ver, t.SchemeEntry.parent.is_not(None)
    )
    return {s: p for s, p in session.execute(q)}


class DocRow(NamedTuple):
    """The columns of a store row the index needs (plain, so it pickles cheaply to a worker)."""

    id: int
    number: str
    number_norm: str
    country: str
    kind: str | None
    application_number: str | None
    application_date: dt.date | None
    publication_date: dt.date | None
    grant_date: dt.date | None
    content_hash: str
    updated_at: dt.datetime
    published_flag: bool | None = None


Payload = list[tuple[DocRow, str | None, list[int]]]


def _payloads(session: Session, ids: list[int] | None) -> Iterator[Payload]:
    for batch in _rows(session, ids):
        pids = _party_ids(session, [r.id for r in batch])
        yield [(DocRow(*r[:12]), r.data_json, pids.get(r.id, [])) for r in batch]


_SEP = "\x1f"  # joins a field's words for the trip from a worker (never inside a folded word)
#: from this many documents on, `build_index` analyzes in worker processes
PARALLEL_MIN_DOCS = 5000


def _pack(fields: dict[str, Any]) -> dict[str, Any]:
    """`document_fields` made cheap to pickle: each text field's tokens as one string of words and an
    array of positions (pickling the token tuples cost about what analysing them did)."""
    for name in TEXT_FIELDS:
        toks = fields.get(name)
        if toks:
            words, positions = toks
            joined = _SEP.join(words)
            if joined.count(_SEP) == len(words) - 1:  # else keep the lists
                fields[name] = (joined, array("i", positions).tobytes())
    return fields


_worker_parents: dict[str, str] = {}


def _analyze_batch(payload: Payload) -> list[dict[str, Any]]:
    """Worker: the packed fields of a batch of store rows (user dictionary and IPC parents inherited
    from the parent process by fork)."""
    return [
        _pack(document_fields(row, orjson.loads(raw) if raw else {}, pids, _worker_parents))
        for row, raw, pids in payload
    ]


def _workers(total: int) -> int:
    """How many analysis processes a run of ``total`` documents gets (0: analyze in this process).

    Analysis (jieba, stemming) is pure Python and holds the GIL, so only processes spread it over
    cores; the main process keeps reading the store and feeding tantivy."""
    if total < PARALLEL_MIN_DOCS or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    env = os.environ.get("IPOFFICE_INDEX_WORKERS", "").strip()
    if env.isdigit():  # an explicit choice (0: none)
        return int(env)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return min(cpus, 4) if cpus >= 2 else 0


def _pool(workers: int, parents: dict[str, str]) -> Any:
    """A fork pool of analysis workers, made before any tantivy writer thread exists; the jieba
    dictionary is loaded first so the workers inherit it instead of loading it each."""
    if not workers:
        return None
    global _worker_parents
    index_terms(["预热装置 warm"])
    _worker_parents = parents
    return multiprocessing.get_context("fork").Pool(workers)


@dataclass
class _Fed:
    count: int = 0
    newest: dt.datetime | None = None
    max_id: int = 0
    numbers: list[str] = field(default_factory=list)
    analyze_s: float = 0.0  # analysis in this process (with a pool: waiting for the workers)
    write_s: float = 0.0  # tantivy documents made and handed to the writer


def _feed(
    writer: Any,
    session: Session,
    ids: list[int] | None,
    total: int,
    parents: dict[str, str],
    progress: Progress | None,
    replace: bool,
    pool: Any = None,
) -> _Fed:
    """Analyze and add the documents (all, or those of ``ids``, replacing their old versions).

    With ``pool`` (see `_workers`) the batches are analyzed in worker processes, a few in flight,
    and added here in store order; without, analysis runs here. tantivy indexes in its own threads.
    Tokens travel packed (`_pack`): pickling them as tuples cost about what analysing them did."""
    fed = _Fed()

    clock = time.perf_counter

    def add(payload: Payload, fields_list: list[dict[str, Any]]) -> None:
        started = clock()
        for (row, _raw, _pids), fields in zip(payload, fields_list, strict=True):
            writer.add_document(to_document(fields))
            if fed.newest is None or row.updated_at > fed.newest:
                fed.newest = row.updated_at
            fed.max_id = max(fed.max_id, row.id)
            if len(fed.numbers) < 50:
                fed.numbers.append(row.number)
        fed.count += len(payload)
        fed.write_s += clock() - started
        if progress:
            progress(fed.count, total)

    def get(res: Any) -> list[dict[str, Any]]:
        started = clock()
        out = res.get()
        fed.analyze_s += clock() - started
        return out

    pending: deque[tuple[Payload, Any]] = deque()
    window = 3 * getattr(pool, "_processes", 1) if pool is not None else 0
    for payload in _payloads(session, ids):
        if replace:  # issued before the adds, so it removes only the old versions
            _delete(writer, [row.id for row, _raw, _p in payload])
        if pool is None:
            started = clock()
            fields = [document_fields(r, orjson.loads(raw) if raw else {}, p, parents) for r, raw, p in payload]
            fed.analyze_s += clock() - started
            add(payload, fields)
            continue
        pending.append((payload, pool.apply_async(_analyze_batch, (payload,))))
        while len(pending) > window or (pending and pending[0][1].ready()):
            done, res = pending.popleft()
            add(done, get(res))
    while pending:
        done, res = pending.popleft()
        add(done, get(res))
    return fed


def _delete(writer: Any, ids: list[int]) -> None:
    """Delete documents by id. (By query: `delete_documents_by_term` with a Python int does not match
    an unsigned field in tantivy-py 0.27.)"""
    from tantivy import Query

    schema = _schema()
    for i in range(0, len(ids), 1000):
        writer.delete_documents_by_query(Query.term_set_query(schema, "doc_id", ids[i : i + 1000]))


@functools.lru_cache(maxsize=1)
def _schema() -> Any:  # noqa: N802 - a constant, built lazily
    return build_schema()


def _writer(index: Any, expected_docs: int) -> Any:
    threads = 1 if expected_docs < 5000 else max(1, min(4, (os.cpu_count() or 2) - 1))
    heap = (64 if expected_docs < 5000 else 256) * 1_000_000 * threads
    return index.writer(heap_size=heap, num_threads=threads)


# --------------------------------------------------------------------------- the user dictionary


def _dictionary_sources(session: Session, limit: int = 100_000) -> tuple[Iterator[str], Iterator[str]]:
    def titles() -> Iterator[str]:
        q = select(t.SchemeEntry.title_zh).where(t.SchemeEntry.scheme == "ipc", t.SchemeEntry.title_zh.is_not(None))
        yield from session.scalars(q)

    def corpus() -> Iterator[str]:
        q = (
            select(cast(t.PatentDocument.data, Text))
            .where(t.PatentDocument.language == "zh")
            .order_by(t.PatentDocument.id)
            .limit(limit)
            .execution_options(yield_per=1000)
        )
        for raw in session.scalars(q):
            d = orjson.loads(raw) if raw else {}
            for group in ("titles", "abstracts"):
                for v in (d.get(group) or {}).values():
                    if isinstance(v, str) and has_cjk(v):
                        yield v

    return titles(), corpus()


# --------------------------------------------------------------------------- build, update, check


@dataclass
class IndexReport:
    action: str
    path: str
    docs: int = 0  # documents in the index afterwards
    indexed: int = 0  # documents written this run (build: all)
    added: int = 0
    reindexed: int = 0
    deleted: int = 0
    unchanged: int = 0
    userdict_words: int = 0
    seconds: float = 0.0
    docs_per_second: float = 0.0
    watermark: str | None = None
    numbers: list[str] = field(default_factory=list)  # update: numbers (re)indexed, first 50
    #: update: how it found the changes ("watermark": rows above the last id or changed since the last
    #: run; "full": every id of the store against every id of the index) and seconds per step
    scan: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_index(store: Store, progress: Progress | None = None) -> IndexReport:
    """Index every patent document of the store into a fresh index, then swap it in."""
    final = index_path(store.home)
    started = time.perf_counter()
    with _locked(store.home):
        tmp = final.with_name(f"{final.name}.building-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            report = _build_into(store, tmp, progress)
            old = final.with_name(f"{final.name}.old-{os.getpid()}")
            if final.exists():
                os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    set_user_dictionary(final / USERDICT_FILE)
    report.path = str(final)
    report.seconds = round(time.perf_counter() - started, 3)
    report.docs_per_second = round(report.docs / report.seconds, 1) if report.seconds else 0.0
    return report


def _build_into(store: Store, path: Path, progress: Progress | None) -> IndexReport:
    from tantivy import Index

    report = IndexReport(action="build", path=str(path))
    read_started = t.utcnow()  # rows committed after this are read by the next update
    with store.session() as s:
        total = s.scalar(select(func.count(t.PatentDocument.id))) or 0
        titles, corpus = _dictionary_sources(s)
        report.userdict_words = build_user_dictionary(titles, corpus, path / USERDICT_FILE)
        set_user_dictionary(path / USERDICT_FILE)
        parents = ipc_parents(s)
        pool = _pool(_workers(total), parents)  # forked before the writer starts its threads
        try:
            index = _register(Index(build_schema(), path=str(path), reuse=False))
            writer = _writer(index, total)
            fed = _feed(writer, s, None, total, parents, progress, replace=False, pool=pool)
            writer.commit()
            writer.wait_merging_threads()
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
    now = t.utcnow().isoformat()
    state = IndexState(
        watermark=fed.newest.isoformat() if fed.newest else None,
        max_id=fed.max_id,
        scan_from=(read_started - UPDATE_MARGIN).isoformat(),
        built_at=now,
        updated_at=now,
        docs=fed.count,
        userdict_words=report.userdict_words,
    )
    _write_state(path, state)
    report.docs = report.indexed = report.added = fed.count
    report.watermark = state.watermark
    return report


def _all_index_ids(searcher: Any) -> set[int]:
    from tantivy import Query

    n = searcher.num_docs
    if not n:
        return set()
    hits = searcher.search(Query.all_query(), limit=n, count=False).hits
    return set(searcher.fast_field_values("doc_id", [a for _s, a in hits]))


def indexed_hashes(index: Any, ids: list[int]) -> dict[int, str]:
    """doc_id -> content hash stored in the index, for the given ids (those indexed)."""
    from tantivy import Query

    searcher = index.searcher()
    out: dict[int, str] = {}
    for i in range(0, len(ids), 1000):
        chunk = ids[i : i + 1000]
        q = Query.term_set_query(index.schema, "doc_id", chunk)
        for _s, addr in searcher.search(q, limit=len(chunk) * 2, count=False).hits:
            d = searcher.doc(addr)
            out[d.get_first("doc_id")] = d.get_first("hash") or ""
    return out


class _Changes(NamedTuple):
    scan: str  # "watermark" or "full"
    changed: list[int]  # in the index with another hash
    new: list[int]  # in the store, not in the index
    deleted: list[int]  # in the index, no longer in the store
    unchanged: int  # candidates already indexed as they are
    newest: dt.datetime | None  # newest updated_at seen
    max_id: int | None  # highest store id seen


def _find_changes(session: Session, index: Any, state: IndexState) -> _Changes:
    """What an update must do, reading as little as it can.

    With the state of a run of this version (``max_id``, ``scan_from``), only the rows above the last
    id or updated from ``scan_from`` on are read (both columns are indexed) and their hashes compared
    with the index's; then one count: if the store holds as many documents as the index will, nothing
    was deleted and nothing is missing elsewhere. Otherwise (deletions, documents lost from the index,
    an older state) every id of the store is compared with every id of the index, as before."""
    pd = t.PatentDocument
    index_docs = index.searcher().num_docs
    since = dt.datetime.fromisoformat(state.scan_from) if state.scan_from else None
    if state.max_id is not None and since is not None:
        q = select(pd.id, pd.content_hash, pd.updated_at).where(or_(pd.id > state.max_id, pd.updated_at >= since))
        candidates = list(session.execute(q))
        have = indexed_hashes(index, [c.id for c in candidates])
        new = [c.id for c in candidates if c.id not in have]
        changed = [c.id for c in candidates if c.id in have and have[c.id] != c.content_hash]
        store_docs = session.scalar(select(func.count(pd.id))) or 0
        if store_docs == index_docs + len(new):
            return _Changes(
                "watermark",
                changed,
                new,
                [],
                len(have) - len(changed),
                max((c.updated_at for c in candidates), default=None),
                max([c.id for c in candidates] + [state.max_id]),
            )
    # the full comparison
    wm = state.watermark_dt()
    q = select(pd.id, pd.content_hash, pd.updated_at)
    if wm is not None:
        q = q.where(pd.updated_at >= wm - UPDATE_MARGIN)
    candidates = list(session.execute(q))
    store_ids = set(session.scalars(select(pd.id)))
    index_ids = _all_index_ids(index.searcher())
    have = indexed_hashes(index, [c.id for c in candidates if c.id in index_ids])
    changed = [c.id for c in candidates if c.id in index_ids and have.get(c.id) != c.content_hash]
    return _Changes(
        "full",
        changed,
        sorted(store_ids - index_ids),
        sorted(index_ids - store_ids),
        len([c for c in candidates if c.id in index_ids]) - len(changed),
        max((c.updated_at for c in candidates), default=None),
        max(store_ids, default=None),
    )


def update_index(store: Store, progress: Progress | None = None, wait_merges: bool = True) -> IndexReport:
    """Bring the index up to date with the store: changed, new and deleted documents only.

    ``report.timings`` splits the run: open (index and user dictionary), find (the changes), analyze,
    write (documents to tantivy), commit, merge (waiting for the merges the commit started; with
    ``wait_merges=False`` they go on in the background and are dropped if the process ends first)."""
    path = index_path(store.home)
    clock = time.perf_counter
    started = clock()
    timings: dict[str, float] = {}
    with _locked(store.home):
        index, state = open_index(path)
        report = IndexReport(action="update", path=str(path), userdict_words=state.userdict_words)
        timings["open"] = clock() - started
        read_started = t.utcnow()
        with store.session() as s:
            mark = clock()
            ch = _find_changes(s, index, state)
            timings["find"] = clock() - mark
            todo = sorted(set(ch.changed) | set(ch.new))
            newest, max_id = ch.newest, ch.max_id
            if todo or ch.deleted:
                writer = _writer(index, len(todo))
                _delete(writer, ch.deleted)
                fed = _feed(writer, s, todo, len(todo), ipc_parents(s) if todo else {}, progress, replace=True)
                report.numbers = fed.numbers
                timings["analyze"], timings["write"] = fed.analyze_s, fed.write_s
                if fed.newest is not None and (newest is None or fed.newest > newest):
                    newest = fed.newest
                if fed.max_id and (max_id is None or fed.max_id > max_id):
                    max_id = fed.max_id
                mark = clock()
                writer.commit()
                timings["commit"] = clock() - mark
                if wait_merges:
                    mark = clock()
                    writer.wait_merging_threads()
                    timings["merge"] = clock() - mark
        index.reload()
        report.scan = ch.scan
        report.added, report.reindexed, report.deleted = len(ch.new), len(ch.changed), len(ch.deleted)
        report.unchanged = ch.unchanged
        report.indexed = len(todo)
        report.docs = index.searcher().num_docs
        wm = state.watermark_dt()
        if newest is not None and (wm is None or newest > wm):
            state.watermark = newest.isoformat()
        state.max_id = max_id
        state.scan_from = (read_started - UPDATE_MARGIN).isoformat()
        state.updated_at = t.utcnow().isoformat()
        state.docs = report.docs
        _write_state(path, state)
    report.watermark = state.watermark
    report.seconds = round(clock() - started, 3)
    report.timings = {k: round(v, 3) for k, v in timings.items()}
    report.docs_per_second = round(report.indexed / report.seconds, 1) if report.seconds else 0.0
    return report


@dataclass
class CheckReport:
    ok: bool
    path: str
    store_docs: int
    index_docs: int
    missing: int  # in the store, not in the index
    extra: int  # in the index, no longer in the store
    changed_since_watermark: int  # store documents updated after the last index run
    sampled: int
    hash_mismatches: int
    missing_numbers: list[str] = field(default_factory=list)
    mismatched_numbers: list[str] = field(default_factory=list)
    watermark: str | None = None
    schema_version: int = SCHEMA_VERSION
    advice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_index(store: Store, sample: int = 200, seed: int | None = None) -> CheckReport:
    """Do index and store agree? All ids are compared, and the content hashes of a random sample."""
    path = index_path(store.home)
    index, state = open_index(path, need_current=False)
    index.reload()
    with store.session() as s:
        store_hash = {i: h for i, h in s.execute(select(t.PatentDocument.id, t.PatentDocument.content_hash))}
        index_ids = _all_index_ids(index.searcher())
        missing = sorted(set(store_hash) - index_ids)
        extra = index_ids - set(store_hash)
        both = sorted(set(store_hash) & index_ids)
        rng = random.Random(seed)
        picked = rng.sample(both, min(sample, len(both)))
        have = indexed_hashes(index, picked)
        mismatched = sorted(i for i in picked if have.get(i) != store_hash[i])
        wm = state.watermark_dt()
        q = select(func.count(t.PatentDocument.id))
        if wm is not None:
            q = q.where(t.PatentDocument.updated_at > wm)
        changed = s.scalar(q) or 0

        def numbers(ids: list[int]) -> list[str]:
            ids = ids[:20]
            if not ids:
                return []
            rows = s.execute(select(t.PatentDocument.number).where(t.PatentDocument.id.in_(ids)))
            return [r[0] for r in rows]

        rep = CheckReport(
            ok=not missing and not extra and not mismatched and state.schema_version == SCHEMA_VERSION,
            path=str(path),
            store_docs=len(store_hash),
            index_docs=len(index_ids),
            missing=len(missing),
            extra=len(extra),
            changed_since_watermark=changed,
            sampled=len(picked),
            hash_mismatches=len(mismatched),
            missing_numbers=numbers(missing),
            mismatched_numbers=numbers(mismatched),
            watermark=state.watermark,
            schema_version=state.schema_version,
        )
    if state.schema_version != SCHEMA_VERSION:
        rep.advice = "the index is of another schema version: run `ipoffice index build`"
    elif not rep.ok or changed:
        rep.advice = "run `ipoffice index update` (or `ipoffice index build` to start afresh)"
    return rep


def staleness(session: Session, state: IndexState, index_docs: int) -> str | None:
    """A warning when the store changed after the index's last run (None: up to date)."""
    wm = state.watermark_dt()
    q = select(func.count(t.PatentDocument.id))
    newer = session.scalar(q.where(t.PatentDocument.updated_at > wm)) if wm is not None else 0
    total = session.scalar(q) or 0
    if newer:
        return (
            f"the search index is out of date: {newer} document(s) changed since it was last updated; "
            "run `ipoffice index update`"
        )
    if total != index_docs:
        return f"the search index holds {index_docs} documents, the store {total}; run `ipoffice index update`"
    return None
