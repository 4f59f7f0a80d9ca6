"""Filings -> flat Parquet tables the corpus passes read (the same tables for DuckDB and Spark).

One pass over the filings computes, per document: its filing date and week, its owners (assignees, else
applicants, as normalised names), MinHash signature (datasketch, 128 permutations) over word 3-shingles
(Latin scripts) or character 4-shingles (Chinese) of claims + the start of the description, its LSH band
hashes (32 bands x 4 rows), the hashed features of claim 1, the linking attributes of the party graph
(inventors, street-level addresses, contact identifiers, co-applicants), family/priority keys (a continuation
or divisional is not a duplicate), IPC sections, agency, transfer and inventor-change events.

Where the filings come from:
- production: `extract_store(engine)` reads `patent_documents.data` (the PatentRecord) and the `events`
  table (`transferred`, `inventor-changed`) of the store;
- benchmark scale: `extract_records(iterable)` takes PatentRecord-shaped dicts (e.g. read back from Parquet
  the benchmark generated), so a million filings need no million-row SQLite insert first.
Both go through `record_rows`, so the tables are the same whatever the source.

The tables are written by DuckDB (no pyarrow needed) into a work folder as Parquet; Spark reads the same files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import re
import shutil
import tempfile
import unicodedata
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import orjson
import pandas as pd
from datasketch import MinHash
from datasketch.minhash import _SCHEME_WIDTHS
from datasketch.minhash import _fmix as _ds_fmix

from ipoffice.core.names import normalize_name
from ipoffice.integrity.documents import parse_date as _date

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS  # 4 rows a band: pairs above ~0.42 Jaccard meet in some band
# A second banding of the same signature, 42 bands of 3 rows (band numbers from BAND3_BASE): copying of
# another's text with words substituted leaves a Jaccard of 0.35-0.55 on word 3-shingles, where 4-row bands
# find a pair at 0.40 only half the time and 3-row bands 94 % of the time (P2 candidates; P1 gains a little).
BANDS3, ROWS3, BAND3_BASE = 42, 3, 100
SEED = 1
TEXT_CHARS = 12_000  # claims first, then the description up to this length: enough to show copying
WORD_K = 3
CHAR_K = 4
MIN_SHINGLES = 12  # below this a text says too little to compare
MIN_FEATURE_CHARS = 8  # shorter claim fragments ("wherein", "包括") are not features
EPOCH_MONDAY = dt.date(1970, 1, 5)  # weeks are counted from a Monday

OWNER_ROLES = ("assignee", "owner")
APPLICANT_ROLES = ("applicant",)
CLAIM_LANGS = ("zh", "en", "de", "fr", "ja", "ko")

_TEMPLATE = MinHash(NUM_PERM, seed=SEED, hashfunc=zlib.crc32)
_PERMS = _TEMPLATE.permutations
_WIDTH = _SCHEME_WIDTHS[_TEMPLATE.scheme]
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_NUMERAL = re.compile(r"[(（]\s*[0-9a-z]{1,4}\s*[)）]|\b\d+\b")
_CLAIM_NO = re.compile(r"^\s*\d+\s*[.、．:)]\s*")
_FEATURE_SPLIT = re.compile(r"[;；，]|\bwherein\b|其特征在于|其特征是", re.IGNORECASE)
_DIGIT = re.compile(r"\d")

TABLES = (
    "docs",
    "owners",
    "sigs",
    "bands",
    "features",
    "links",
    "related",
    "sections",
    "agencies",
    "transfers",
    "invchanges",
    "perdoc",
    "dfs",
)

SCHEMA = {
    "docs": "doc_id BIGINT, number VARCHAR, filing_date DATE, week INTEGER, owner VARCHAR, n_shingles INTEGER, "
    "n_features INTEGER, gaps VARCHAR, pub_date DATE",
    "owners": "doc_id BIGINT, owner VARCHAR",
    "sigs": "doc_id BIGINT, sig BIGINT[]",
    "bands": "doc_id BIGINT, band INTEGER, h BIGINT",
    "features": "doc_id BIGINT, f BIGINT",
    "links": "doc_id BIGINT, attr VARCHAR",
    "related": "doc_id BIGINT, key VARCHAR",
    "sections": "doc_id BIGINT, section VARCHAR",
    "agencies": "doc_id BIGINT, agency VARCHAR",
    "transfers": "doc_id BIGINT, seq INTEGER, days INTEGER, from_owner VARCHAR, to_owner VARCHAR",
    "invchanges": "doc_id BIGINT, days INTEGER, removed INTEGER, added INTEGER, kept INTEGER",
    # per-document judgements (P3, P4) that reach their flag threshold: see engines.perdoc
    "perdoc": "doc_id BIGINT, number VARCHAR, filing_date DATE, code VARCHAR, signal VARCHAR, score DOUBLE, "
    "evidence VARCHAR",
    # sampled 5-word shingles of each filing (copying.sampled): corpus-wide counts tell boilerplate from copying
    "dfs": "doc_id BIGINT, h BIGINT",
}


# ---------------------------------------------------------------- per-document text


def _pick(d: dict[str, Any] | None) -> Any:
    if not d:
        return None
    for k in CLAIM_LANGS:
        if d.get(k):
            return d[k]
    return next((v for v in d.values() if v), None)


def is_cjk(text: str) -> bool:
    sample = text[:400]
    return bool(sample) and len(_CJK.findall(sample)) > len(sample) * 0.2


def doc_text(data: dict[str, Any]) -> str:
    """Claims, then the description (then the abstract if neither), cut at TEXT_CHARS."""
    claims = _pick(data.get("claims")) or []
    desc = _pick(data.get("descriptions")) or ""
    parts = ["\n".join(c for c in claims if c)] if claims else []
    if desc:
        parts.append(desc)
    if not parts:
        parts.append(_pick(data.get("abstracts")) or "")
    return "\n".join(parts)[:TEXT_CHARS]


def tokens(text: str) -> list[str]:
    """Words of a Latin-script text, characters of a Chinese one (punctuation and numerals dropped)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if is_cjk(text):
        return list(_NOT_WORD.sub("", _NUMERAL.sub("", text)))
    return _WORD.findall(_NUMERAL.sub(" ", text))


def shingles_of(toks: list[str]) -> list[str]:
    """Order-preserving distinct shingles: word 3-grams (joined by spaces) or character 4-grams."""
    if not toks:
        return []
    k = CHAR_K if len(toks[0]) == 1 and _CJK.match(toks[0]) else WORD_K
    sep = "" if k == CHAR_K else " "
    if len(toks) < k:
        return [sep.join(toks)]
    return list(dict.fromkeys(sep.join(toks[i : i + k]) for i in range(len(toks) - k + 1)))


def shingle_set(data: dict[str, Any]) -> list[str]:
    return shingles_of(tokens(doc_text(data)))


_POLY = np.uint64(1_000_003)
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _fmix64(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the bits of a 64-bit hash (vectorised; wraps like C)."""
    h = h ^ (h >> np.uint64(30))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(27))
    h = h * _MIX2
    return h ^ (h >> np.uint64(31))


def shingle_hashes(toks: list[str]) -> np.ndarray:
    """32-bit hashes of the distinct shingles of `tokens(...)`, computed from per-token hashes with numpy.

    The same shingles as `shingles_of` (hash collisions aside): word 3-grams or character 4-grams. This is what
    the MinHash signature is built from; the string shingles serve exact verification and the evidence diff.
    """
    if not toks:
        return np.zeros(0, dtype=np.uint64)
    cjk = len(toks[0]) == 1 and bool(_CJK.match(toks[0]))
    k = CHAR_K if cjk else WORD_K
    if cjk:
        th = np.frombuffer("".join(toks).encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    else:
        th = _crc_array(toks)
    k = min(k, len(th))
    n = len(th) - k + 1
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = h * _POLY + th[j : j + n]
        h = _fmix64(h)
    return np.unique(h & np.uint64(0xFFFFFFFF))


def signature(hashes: np.ndarray) -> np.ndarray:
    """datasketch MinHash (NUM_PERM permutations, shared) over precomputed 32-bit shingle hashes.

    The arithmetic of datasketch's `update_batch` (its fmix pre-mix and affine permutations, its own helpers)
    on the whole hash array at once, without the per-value Python hash calls and MinHash object it would cost
    per filing (a million filings): the same values as `MinHash.update_batch(hashes.tolist())`."""
    if not len(hashes):
        return _TEMPLATE.hashvalues.astype(np.int64)
    hv = _ds_fmix(hashes.astype(_TEMPLATE.hashvalues.dtype).reshape(-1, 1), _WIDTH)
    a, b = _PERMS
    return np.minimum(_TEMPLATE.hashvalues, (hv * a + b).min(axis=0)).astype(np.int64)


def band_hashes(sig: np.ndarray) -> list[int]:
    """One 64-bit hash per band of ROWS signature values (vectorised, stable across processes and machines)."""
    return _bands(sig, BANDS, ROWS, 1)


def band3_hashes(sig: np.ndarray) -> list[int]:
    """One 64-bit hash per band of the second banding (BANDS3 bands of ROWS3 values)."""
    return _bands(sig, BANDS3, ROWS3, BAND3_BASE + 1)


def _bands(sig: np.ndarray, bands: int, rows_per: int, seed: int) -> list[int]:
    rows = sig[: bands * rows_per].reshape(bands, rows_per).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.arange(seed, seed + bands, dtype=np.uint64) * _MIX1
        for r in range(rows_per):
            h = _fmix64(h * _POLY + rows[:, r])
    return h.view(np.int64).tolist()


def claim_features(data: dict[str, Any]) -> list[str]:
    """Claim 1 split into its features (at ';', '；', '，', 'wherein', '其特征在于'), normalised."""
    claims = _pick(data.get("claims")) or []
    if not claims:
        return []
    first = _CLAIM_NO.sub("", claims[0])
    out = []
    for part in _FEATURE_SPLIT.split(first):
        norm = " ".join(tokens(part)) if not is_cjk(part) else "".join(tokens(part))
        if len(norm) >= MIN_FEATURE_CHARS:
            out.append(norm)
    return list(dict.fromkeys(out))


def feature_hash(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


# ---------------------------------------------------------------- per-document parties and dates


def filing_date(data: dict[str, Any]) -> tuple[dt.date | None, list[str]]:
    """The application date; else the publication date (named as a gap); else none (named)."""
    d = _date(data.get("application_date"))
    if d:
        return d, []
    p = _date(data.get("publication_date"))
    if p:
        return p, ["no application date: judged by the publication date"]
    return None, ["no filing date: judged by the rules now in force, left out of volume and transfer counts"]


def owners_of(data: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(normalised keys, names as printed) of whoever owns the filing: assignees, else applicants."""
    parties = data.get("parties") or []
    for roles in (OWNER_ROLES, APPLICANT_ROLES):
        names = [p["name"] for p in parties if p.get("role") in roles and p.get("name")]
        if names:
            keys = [normalize_name(n) for n in names]
            keep = [(k, n) for k, n in dict(zip(keys, names, strict=True)).items() if k]
            return [k for k, _ in keep], [n for _, n in keep]
    return [], []


def _norm_address(addr: str) -> str | None:
    """A street-level address (one with a number) as a key; a city alone links too much to mean anything."""
    s = unicodedata.normalize("NFKC", addr).casefold()
    s = re.sub(r"^\s*\d{6}\s*", "", s)  # Chinese postcode before the address
    if not _DIGIT.search(s):
        return None
    s = _NOT_WORD.sub("", s)
    return s if len(s) >= 8 else None


def links_of(data: dict[str, Any], owners: list[str], doc_id: int) -> list[str]:
    """Attributes that tie owners together: inventors, street addresses, contact identifiers, co-applicants."""
    out: list[str] = []
    for p in data.get("parties") or []:
        role = p.get("role")
        if role == "inventor" and p.get("name"):
            k = normalize_name(p["name"])
            if k:
                out.append("inv:" + k)
        if role in OWNER_ROLES + APPLICANT_ROLES:
            if p.get("address"):
                a = _norm_address(p["address"])
                if a:
                    out.append("addr:" + a)
            for kind, val in sorted((p.get("identifiers") or {}).items()):
                if val and kind.lower() in ("phone", "tel", "email", "mail", "contact", "fax"):
                    out.append(f"contact:{_NOT_WORD.sub('', str(val).casefold())}")
    if len(owners) > 1:
        out.append(f"co:{doc_id}")
    return list(dict.fromkeys(out))


def related_keys(data: dict[str, Any]) -> list[str]:
    """Family and priority ties: documents sharing one are a family, not duplicates."""
    out = []
    if data.get("family_id"):
        out.append("fam:" + str(data["family_id"]))
    if data.get("application_number"):
        out.append("app:" + _NOT_WORD.sub("", str(data["application_number"])).upper())
    for p in data.get("priorities") or []:
        if p.get("number"):
            out.append("app:" + _NOT_WORD.sub("", str(p["number"])).upper())
    return list(dict.fromkeys(out))


def sections_of(data: dict[str, Any]) -> list[str]:
    return sorted(
        {
            c["symbol"][0].upper()
            for c in data.get("classifications") or []
            if c.get("scheme") in ("ipc", "cpc") and c.get("symbol") and c["symbol"][0].upper() in "ABCDEFGH"
        }
    )


def agencies_of(data: dict[str, Any]) -> list[str]:
    parties = data.get("parties") or []
    names = [p["name"] for p in parties if p.get("role") == "agency" and p.get("name")]
    if not names:
        names = [p["name"] for p in parties if p.get("role") in ("agent", "representative") and p.get("name")]
    return list(dict.fromkeys(k for k in (normalize_name(n) for n in names[:1]) if k))


def _names(v: Any) -> list[str]:
    if isinstance(v, str):
        v = [v]
    return [normalize_name(x) for x in v or [] if isinstance(x, str) and x.strip()]


def events_of(data: dict[str, Any], fdate: dt.date | None, doc_id: int) -> tuple[list[tuple], list[tuple]]:
    """Transfers and inventor changes from the filing's events (`_events`, attached by the extractor).

    transferred: details {"from": [names], "to": [names]}; inventor-changed: {"removed": [..], "added": [..],
    "kept": [..]} (names). Days are counted from the filing date (None when the filing has no date).
    """
    transfers, changes = [], []
    evs = sorted(data.get("_events") or [], key=lambda e: (str(e.get("date") or ""), str(e.get("type"))))
    for e in evs:
        day = _date(e.get("date"))
        days = (day - fdate).days if (day and fdate) else None
        det = e.get("details") or {}
        if e.get("type") == "transferred":
            src = _names(det.get("from")) or [""]
            dst = _names(det.get("to")) or [""]
            transfers.append((doc_id, len(transfers) + 1, days, src[0], dst[0]))
        elif e.get("type") == "inventor-changed":
            changes.append(
                (
                    doc_id,
                    days,
                    len(_names(det.get("removed"))),
                    len(_names(det.get("added"))),
                    len(_names(det.get("kept"))),
                )
            )
    return transfers, changes


# ---------------------------------------------------------------- rows


def record_rows(doc_id: int, data: dict[str, Any], doc: Any = None) -> dict[str, list[tuple]]:
    """Every table's rows for one filing (a PatentRecord dict, with `_events` where there are any); `doc`, the
    filing's `FilingDoc` when the caller has built it already (the P3/P4 judgement needs it too)."""
    fdate, gaps = filing_date(data)
    owners, _names_printed = owners_of(data)
    if not owners:
        gaps.append("no applicant named: left out of per-applicant counts and the party graph")
    if data.get("doc_type") == "design":
        sh = []  # a design is its drawings: its boilerplate text ("The ornamental design for ...") says nothing
        gaps.append("design: its text is not compared (the drawings are the design)")
    else:
        sh = shingle_hashes(tokens(doc_text(data)))
        if not (_pick(data.get("claims")) or _pick(data.get("descriptions"))):
            gaps.append("no claims or description text: compared on the abstract" if len(sh) else "no text to compare")
    feats = claim_features(data) if len(sh) else []
    week = (fdate - EPOCH_MONDAY).days // 7 if fdate else None
    rows: dict[str, list[tuple]] = {k: [] for k in TABLES}
    rows["docs"].append(
        (
            doc_id,
            str(data.get("number") or ""),
            fdate,
            week,
            owners[0] if owners else None,
            len(sh),
            len(feats),
            orjson.dumps(gaps).decode(),
            _date(data.get("publication_date")),
        )
    )
    rows["owners"] = [(doc_id, o) for o in owners]
    if len(sh) >= MIN_SHINGLES:
        sig = signature(sh)
        rows["sigs"].append((doc_id, sig))
        rows["bands"] = [(doc_id, b, h) for b, h in enumerate(band_hashes(sig))] + [
            (doc_id, BAND3_BASE + b, h) for b, h in enumerate(band3_hashes(sig))
        ]
    rows["features"] = [(doc_id, feature_hash(f)) for f in feats]
    rows["links"] = [(doc_id, a) for a in links_of(data, owners, doc_id)]
    rows["related"] = [(doc_id, k) for k in related_keys(data)]
    rows["sections"] = [(doc_id, s) for s in sections_of(data)]
    rows["agencies"] = [(doc_id, a) for a in agencies_of(data)]
    rows["transfers"], rows["invchanges"] = events_of(data, fdate, doc_id)
    rows["dfs"] = [(doc_id, h) for h in _sampled_shingles(doc_id, data, doc)]
    return rows


_CRC: dict[str, int] = {}  # crc32 of words seen by this process (a patent vocabulary: bounded, reused a lot)


def _crc_array(toks: list[str]) -> np.ndarray:
    """crc32 (UTF-8) of each token as uint64, each distinct word hashed once per process."""
    c = _CRC
    for w in dict.fromkeys(toks):
        if w not in c:
            if len(c) >= 2_000_000:
                c.clear()
            c[w] = zlib.crc32(w.encode("utf-8"))
    return np.fromiter(map(c.__getitem__, toks), dtype=np.uint64, count=len(toks))


def _sampled_shingles(doc_id: int, data: dict[str, Any], doc: Any = None) -> list[int]:
    """`copying.sampled(copying.shingles(doc))`, sorted: the same hashes (the same tokens, crc32 per word, roll
    and mix), the per-word crc32 cached and the 1-in-DF_SAMPLE filter done in numpy, since this runs on every
    filing (tests/integrity/test_extract_scale.py holds the two to the same values)."""
    from ipoffice.integrity.copying import _MASK, DF_SAMPLE, SHINGLE_WORDS
    from ipoffice.integrity.engines.perdoc import filing_from_record, text_tokens

    doc = doc if doc is not None else filing_from_record(doc_id, data)
    toks = text_tokens(doc.text(3000))
    k = SHINGLE_WORDS * 2 if doc.language == "zh" else SHINGLE_WORDS
    n = len(toks) - k + 1
    if n <= 0:
        return []
    th = _crc_array(toks)
    with np.errstate(over="ignore"):
        h = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            h = h * _POLY + th[j : j + n]
        h = _fmix64(h) & np.uint64(_MASK)
    return np.unique(h[h % np.uint64(DF_SAMPLE) == 0]).tolist()


_SPEC: Any = None  # engines.perdoc.PerDocSpec of this process (set in the parent, or by the pool initializer)


def _set_spec(spec: Any) -> None:
    global _SPEC
    _SPEC = spec


def _chunk_rows(items: list[tuple[int, dict[str, Any] | bytes | str]]) -> dict[str, list[tuple]]:
    from ipoffice.integrity.engines.perdoc import filing_from_record, perdoc_batch

    out: dict[str, list[tuple]] = {k: [] for k in TABLES}
    parsed = []
    for doc_id, data in items:
        if not isinstance(data, dict):
            data = orjson.loads(data)
        doc = filing_from_record(doc_id, data)  # built once: the dfs sample and the P3/P4 judgement read it
        for k, v in record_rows(doc_id, data, doc).items():
            out[k].extend(v)
        parsed.append((doc_id, data, doc))
    if _SPEC is not None:
        out["perdoc"] = perdoc_batch(_SPEC, parsed)  # the P3 classifier once per chunk
    return out


def _frame(table: str, rows: list[tuple]) -> pd.DataFrame:
    cols = [c.split()[0] for c in SCHEMA[table].split(", ")]
    if table == "sigs":
        return pd.DataFrame({"doc_id": [r[0] for r in rows], "sig": [r[1] for r in rows]})
    return pd.DataFrame.from_records(rows, columns=cols)


# ---------------------------------------------------------------- the extract


@dataclass
class Extract:
    """The Parquet tables of one scan, in `folder`, and how to fetch a filing's full record again (evidence)."""

    folder: Path
    source: Callable[[list[int]], dict[int, dict[str, Any]]]
    counts: dict[str, int] = field(default_factory=dict)
    owned: bool = True  # a temporary folder this extract deletes in close()

    def path(self, table: str) -> Path:
        return self.folder / f"{table}.parquet"

    def close(self) -> None:
        if self.owned:
            shutil.rmtree(self.folder, ignore_errors=True)


def _write(
    items: Iterable[tuple[int, Any]],
    folder: Path,
    workers: int = 1,
    chunk: int = 2000,
    progress: Callable[[int], None] | None = None,
    perdoc: Any = None,
) -> dict[str, int]:
    """Compute the rows (in `workers` processes) and write each table as one Parquet file through DuckDB.

    With `perdoc` (an `engines.perdoc.PerDocSpec`), each record is also judged for P3/P4 on the way."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "extract.duckdb"
    con = duckdb.connect(str(db))
    con.execute("SET preserve_insertion_order=false")
    # the tables live in the file; the buffer pool would otherwise keep them in memory too (80 % of RAM)
    con.execute(f"SET memory_limit='{os.environ.get('IPOFFICE_EXTRACT_MEMORY', '1GB')}'")
    con.execute(f"SET temp_directory='{folder / 'spill'}'")
    con.execute("SET threads=2")
    for name, schema in SCHEMA.items():
        con.execute(f"CREATE OR REPLACE TABLE {name} ({schema})")

    def chunks() -> Iterator[list[tuple[int, Any]]]:
        buf: list[tuple[int, Any]] = []
        for it in items:
            buf.append(it)
            if len(buf) >= chunk:
                yield buf
                buf = []
        if buf:
            yield buf

    def put(rows: dict[str, list[tuple]]) -> None:
        for name, rs in rows.items():
            if rs:
                df = _frame(name, rs)  # noqa: F841 - read by DuckDB below
                con.execute(f"INSERT INTO {name} SELECT * FROM df")
        if progress:
            progress(len(rows["docs"]))

    if workers > 1:
        # A bounded pipeline, results taken in input order: at most 2 chunks a worker in flight, so results never
        # pile up faster than DuckDB takes them (bounded memory), while the workers go on with the next chunks as
        # this process reads records and inserts rows. (Batches through `pool.map` left the workers idle during
        # each batch's inserts and the next batch's reads, and waiting for a batch's slowest chunk.)
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ctx.Pool(workers, initializer=_set_spec, initargs=(perdoc,)) as pool:
            pending: deque[Any] = deque()
            for c in chunks():
                pending.append(pool.apply_async(_chunk_rows, (c,)))
                while len(pending) > 2 * workers or (pending and pending[0].ready()):
                    put(pending.popleft().get())
            while pending:
                put(pending.popleft().get())
    else:
        _set_spec(perdoc)
        try:
            for c in chunks():
                put(_chunk_rows(c))
        finally:
            _set_spec(None)
    counts = {"perdoc_judged": int(perdoc is not None)}
    for name in TABLES:
        counts[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        # small row groups for the signatures: a reader decompresses a whole row group's list values at once
        # (122,880 rows x 128 values = 128 MB a thread at the default size, over a 200 MB limit by itself)
        rg = ", ROW_GROUP_SIZE 8192" if name == "sigs" else ""
        con.execute(f"COPY {name} TO '{folder / (name + '.parquet')}' (FORMAT parquet{rg})")
    con.close()
    shutil.rmtree(folder / "spill", ignore_errors=True)
    db.unlink(missing_ok=True)
    Path(str(db) + ".wal").unlink(missing_ok=True)
    return counts


def extract_records(
    items: Iterable[tuple[int, Any]],
    source: Callable[[list[int]], dict[int, dict[str, Any]]],
    folder: Path | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    perdoc: Any = None,
) -> Extract:
    """Tables from (doc_id, record dict or JSON) pairs; `source` fetches records again by id for evidence.
    `perdoc` (an `engines.perdoc.PerDocSpec`): judge P3/P4 on the way (the `perdoc` table)."""
    owned = folder is None
    folder = folder or Path(tempfile.mkdtemp(prefix="ipoffice-integrity-"))
    counts = _write(items, folder, workers=workers, progress=progress, perdoc=perdoc)
    return Extract(folder=folder, source=source, counts=counts, owned=owned)


def extract_store(engine: Any, folder: Path | None = None, workers: int = 1, perdoc: Any = None) -> Extract:
    """Tables from the store: every patent document's record, with its transfer and inventor-change events."""
    from sqlalchemy import select

    from ipoffice.core import tables as t

    events: dict[int, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        q = select(t.Event.entity_id, t.Event.event_type, t.Event.date, t.Event.details).where(
            t.Event.entity == "patent", t.Event.event_type.in_(("transferred", "inventor-changed"))
        )
        for eid, etype, date, details in conn.execute(q):
            events.setdefault(eid, []).append({"type": etype, "date": date, "details": details or {}})

    def items() -> Iterator[tuple[int, dict[str, Any]]]:
        with engine.connect() as conn:
            q = select(t.PatentDocument.id, t.PatentDocument.data).execution_options(yield_per=1000)
            for doc_id, data in conn.execute(q):
                data = dict(data or {})
                if doc_id in events:
                    data["_events"] = events[doc_id]
                yield doc_id, data

    def source(ids: list[int]) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        with engine.connect() as conn:
            for i in range(0, len(ids), 500):
                q = select(t.PatentDocument.id, t.PatentDocument.data).where(t.PatentDocument.id.in_(ids[i : i + 500]))
                out.update({doc_id: data for doc_id, data in conn.execute(q)})
        return out

    return extract_records(items(), source, folder=folder, workers=workers, perdoc=perdoc)
