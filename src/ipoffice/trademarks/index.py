"""The key index of the trademark register: which marks share a candidate key, on which goods.

The conflict search (``trademarks.search``) must answer against a million marks in tens of milliseconds,
so it cannot judge every mark of a class with ``similarity.compare``. It looks up the application's
``keys.probe_keys`` here, keeps the marks on the goods asked (Nice classes, 类似群 groups), and judges only those.

Storage, and why: files under ``$IPOFFICE_HOME/index/trademarks/``, one folder per segment, each a set of
numpy arrays opened memory-mapped (``np.load(mmap_mode="r")``):

- postings: ``khash`` (64-bit BLAKE2b hash of each key, sorted) with ``kpos`` (row of the mark in the
  segment): a look-up is two ``np.searchsorted`` calls per key, no server and no SQL round trip;
- per mark: ``ids`` (trademarks.id), ``cmask`` (Nice classes as a 45-bit mask), ``gmask`` (类似群 groups as
  bits of a vocabulary kept in ``meta.json``), ``fdate`` (filing date ordinal), ``status`` (code) and the
  number and mark text (UTF-8 blob + offsets), so a search needs no database read for its candidates;
- per mark, its transliteration profile (``translit.bin`` + offsets: ``translit.encode_mark``), so the search's
  transliteration pre-test aligns stored skeletons instead of normalising each candidate's text (segments
  written before profiles were kept work without them; ``add_profiles`` writes them in place);
- the goods filter is a vectorised AND over the candidates' masks.

Opening is a few ``mmap`` calls, processes share the pages through the OS cache, and the same arrays feed
the DuckDB and Spark batch (``trademarks.batch``). A 64-bit hash collision can only add a candidate, which
``compare`` then judges, so it never changes a result. SQLite or DuckDB tables of (key, mark) were the
alternative; a Python round trip per key through SQL costs more than the whole search budget at 1M marks.

Freshness: ``meta.json`` keeps a watermark (highest ``trademarks.id`` and ``updated_at`` indexed). When
the register has moved past it, ``update`` indexes the new or changed marks into a new segment (a mark
in a later segment supersedes its earlier rows); ``build`` rewrites everything (and ``update`` does when
segments pile up or marks were deleted). ``open_fresh`` does that lazily, so imports need no hook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ipoffice.core.model import TRADEMARK_STATUSES

INDEX_SUBDIR = Path("index") / "trademarks"
FORMAT = 2  # 2: meaning keys of the cores and unqualified words (keys.meaning_variants)
MAX_SEGMENTS = 8
_MASK_SHARE = 32  # postings above 1/32 of a segment's rows: filter them through its eligibility mask
#: above postings of 1/_SCATTER_SHARE of a segment's rows, distinct rows come from a row mask, not a sort
_SCATTER_SHARE = 8
_ELIGIBLE_KEPT = 4  # eligibility masks kept per segment (1 byte a mark each)
# Status codes stored in the index files (uint8 positions): "unknown" is 0, then the model's statuses in its order,
# derived from the one list so a status the model gains is never missing here.
STATUSES = ("unknown", *(s for s in TRADEMARK_STATUSES if s != "unknown"))


DEAD_STATUSES = frozenset({"expired", "invalidated", "cancelled", "refused", "withdrawn"})


@dataclass(frozen=True)
class RegisterMark:
    """One mark of the register as the conflict search reads it."""

    id: int
    number: str
    mark: str
    status: str
    filing_date: dt.date | None
    classes: tuple[int, ...]
    groups: tuple[str, ...]


def key_hash(key: str) -> int:
    """Stable 64-bit hash of a key (the same in every process, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest(), "little")


def hashes(keys: Iterable[str]) -> np.ndarray:
    return np.fromiter((key_hash(k) for k in keys), dtype=np.uint64)


def mark_hashes(mark: str) -> np.ndarray:
    """Hashes of the index keys of a mark; empty for a mark with nothing to compare."""
    from ipoffice.trademarks.keys import index_keys

    try:
        return hashes(sorted(index_keys(mark)))
    except ValueError:
        return np.zeros(0, dtype=np.uint64)


def split_probe(mark: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(strong, meaning, transliteration) probe hashes of a mark: the last two serve only rules whose score is
    bounded, so marks sharing only those are judged lazily (see ``trademarks.search``).

    The hashes of ``keys.probe_keys`` split by kind; the transliteration ones (some 400 a mark, each stored
    skeleton widened by compatible consonants) are made per skeleton and kept (``_tk_probe_hashes``), since the
    same short skeletons recur across marks: hashing them again took most of a gazette's key preparation."""
    from ipoffice.trademarks.keys import index_keys

    keys = index_keys(mark)
    stored = [k for k in keys if k.startswith(("tkh:", "tkl:"))]
    strong, meaning, _none = split_keys(k for k in keys if not k.startswith(("tkh:", "tkl:")))
    turned = [_tk_probe_hashes(_TK_TURNED[k[:4]], k[4:]) for k in stored]
    return strong, meaning, _distinct(np.concatenate(turned)) if turned else np.zeros(0, dtype=np.uint64)


_TK_TURNED = {"tkh:": "tkl:", "tkl:": "tkh:"}  # a Chinese side probes Latin skeletons, and the reverse


@lru_cache(maxsize=65_536)
def _tk_probe_hashes(prefix: str, skeleton: str) -> np.ndarray:
    """Hashes of the probe keys one stored transliteration skeleton gives (``keys._tk_probe`` of it, turned
    round to the other script's prefix); read-only, shared between calls. An entry holds ~520 bytes (2,000
    gazette marks: 15,274 skeletons, 46 % of look-ups hit), so the cap keeps a server's cache near 32 MB; it was
    200,000 (~100 MB) before session 15."""
    from ipoffice.trademarks.keys import _tk_probe

    out = hashes(prefix + k for k in _tk_probe({skeleton}))
    out.flags.writeable = False
    return out


def need_hashes(mark: str) -> list[tuple[list[np.ndarray], np.ndarray]] | None:
    """``keys.meaning_need`` of a mark as key hashes (None for a mark with nothing to compare)."""
    from ipoffice.trademarks.keys import meaning_need

    try:
        need = meaning_need(mark)
    except ValueError:
        return None
    return [([hashes(sorted(u)) for u in per_unit], hashes(sorted(whole))) for per_unit, whole in need]


def split_keys(ks: Iterable[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    strong, meaning, translit = [], [], []
    for k in sorted(ks):
        (meaning if k.startswith("m:") else translit if k.startswith(("tkh:", "tkl:")) else strong).append(k)
    return hashes(strong), hashes(meaning), hashes(translit)


def default_dir(home: Path | None = None) -> Path:
    from ipoffice import config

    return (home or config.data_home()) / INDEX_SUBDIR


def class_mask(classes: Iterable[int]) -> int:
    m = 0
    for c in classes:
        if 1 <= c <= 64:
            m |= 1 << (c - 1)
    return m


def _classes_of(mask: int) -> tuple[int, ...]:
    return tuple(i + 1 for i in range(64) if mask >> i & 1)


# --------------------------------------------------------------------------------------------- writing


def _key_worker(marks: list[str]) -> list[tuple[np.ndarray, str]]:
    from ipoffice.trademarks.translit import encode_mark

    return [(mark_hashes(m), encode_mark(m)) for m in marks]


def _profile_worker(marks: list[str]) -> list[str]:
    from ipoffice.trademarks.translit import encode_mark

    return [encode_mark(m) for m in marks]


def _in_pool(fn: Callable[[list[str]], list[Any]], marks: list[str], workers: int | None, progress) -> list[Any]:  # noqa: ANN001
    """``fn`` over chunks of ``marks``, in ``workers`` processes (default: the CPUs) for large registers."""
    workers = workers or min(os.cpu_count() or 1, 4)
    chunk = 2000
    parts = [marks[i : i + chunk] for i in range(0, len(marks), chunk)]
    out: list[Any] = []
    if workers <= 1 or len(marks) < 5000:
        for p in parts:
            out += fn(p)
            if progress:
                progress(len(p))
        return out
    import multiprocessing as mp

    with mp.get_context("fork").Pool(workers) as pool:
        for res in pool.imap(fn, parts):
            out += res
            if progress:
                progress(len(res))
    return out


def compute_hashes(
    marks: list[str], *, workers: int | None = None, progress: Callable[[int], None] | None = None
) -> tuple[list[np.ndarray], list[str]]:
    """Key hashes and transliteration profiles (``translit.encode_mark``) of each mark."""
    res = _in_pool(_key_worker, marks, workers, progress)
    return [h for h, _p in res], [p for _h, p in res]


def _write_texts(path: Path, name: str, texts: list[str]) -> None:
    """A column of texts: their UTF-8 bytes end to end (``name.bin``) and the offsets (``name_off.npy``, written
    last: a reader takes the column as present once both are)."""
    enc = [t.encode("utf-8") for t in texts]
    off = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in enc], out=off[1:])
    tmp = path / f".{name}.bin.tmp"
    tmp.write_bytes(b"".join(enc))
    os.replace(tmp, path / f"{name}.bin")
    tmp_off = path / f".{name}_off.npy"
    np.save(tmp_off, off)
    os.replace(tmp_off, path / f"{name}_off.npy")


def _write_segment(
    path: Path,
    rows: list[RegisterMark],
    key_hashes: list[np.ndarray],
    vocab: dict[str, int],
    profiles: list[str],
) -> int:
    """Write one segment; returns its number of postings."""
    path.mkdir(parents=True)
    n = len(rows)
    for r in rows:
        for g in r.groups:
            if g not in vocab:
                vocab[g] = len(vocab)
    words = max(1, (len(vocab) + 63) // 64)
    gmask = np.zeros((n, words), dtype=np.uint64)
    status_code = {s: i for i, s in enumerate(STATUSES)}
    ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=n)
    cmask = np.fromiter((class_mask(r.classes) for r in rows), dtype=np.uint64, count=n)
    fdate = np.fromiter((r.filing_date.toordinal() if r.filing_date else 0 for r in rows), dtype=np.int32, count=n)
    status = np.fromiter((status_code.get(r.status, 0) for r in rows), dtype=np.uint8, count=n)
    for i, r in enumerate(rows):
        for g in r.groups:
            b = vocab[g]
            gmask[i, b // 64] |= np.uint64(1 << (b % 64))
    for name, texts in (("marks", [r.mark for r in rows]), ("numbers", [r.number for r in rows])):
        _write_texts(path, name, texts)
    _write_texts(path, "translit", profiles)
    lens = np.fromiter((len(h) for h in key_hashes), dtype=np.int64, count=n)
    khash = np.concatenate(key_hashes) if n else np.zeros(0, dtype=np.uint64)
    kpos = np.repeat(np.arange(n, dtype=np.int32), lens)
    order = np.argsort(khash, kind="stable")
    for name, arr in (
        ("ids", ids),
        ("cmask", cmask),
        ("gmask", gmask),
        ("fdate", fdate),
        ("status", status),
        ("khash", khash[order]),
        ("kpos", kpos[order]),
    ):
        np.save(path / f"{name}.npy", arr)
    return int(len(khash))


@dataclass
class Watermark:
    max_id: int = 0
    max_updated: str = ""
    count: int = 0


def _meta_path(root: Path) -> Path:
    return root / "meta.json"


def read_meta(root: Path) -> dict[str, Any] | None:
    try:
        return json.loads(_meta_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_meta(root: Path, meta: dict[str, Any]) -> None:
    tmp = root / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, _meta_path(root))


def build_from_rows(
    root: Path,
    rows: list[RegisterMark],
    *,
    watermark: Watermark | None = None,
    workers: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """(Re)build the index at ``root`` from register rows; returns the meta (counts, sizes, seconds)."""
    t0 = time.perf_counter()
    rows = [r for r in rows if r.mark]
    hs, ps = compute_hashes([r.mark for r in rows], workers=workers, progress=progress)
    keep = [i for i, h in enumerate(hs) if len(h)]
    rows, hs, ps = [rows[i] for i in keep], [hs[i] for i in keep], [ps[i] for i in keep]
    root.mkdir(parents=True, exist_ok=True)
    stamp = f"seg-{time.time_ns()}"
    vocab: dict[str, int] = {}
    postings = _write_segment(root / stamp, rows, hs, vocab, ps)
    old = read_meta(root) or {}
    wm = watermark or Watermark(max((r.id for r in rows), default=0), "", len(rows))
    meta = {
        "format": FORMAT,
        "segments": [stamp],
        "groups": list(vocab),
        "marks": len(rows),
        "postings": postings,
        "watermark": wm.__dict__,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - t0, 2),
    }
    _write_meta(root, meta)
    for s in old.get("segments", []):
        if s != stamp:
            shutil.rmtree(root / s, ignore_errors=True)
    meta["bytes"] = index_bytes(root)
    return meta


def append_rows(root: Path, rows: list[RegisterMark], watermark: Watermark) -> dict[str, Any]:
    """Index changed or new marks as a new segment (they supersede their earlier rows)."""
    meta = read_meta(root)
    if meta is None:
        return build_from_rows(root, rows, watermark=watermark)
    rows = [r for r in rows if r.mark]
    hs, ps = compute_hashes([r.mark for r in rows])
    keep = [i for i, h in enumerate(hs) if len(h)]
    rows, hs, ps = [rows[i] for i in keep], [hs[i] for i in keep], [ps[i] for i in keep]
    vocab = {g: i for i, g in enumerate(meta["groups"])}
    stamp = f"seg-{time.time_ns()}"
    postings = _write_segment(root / stamp, rows, hs, vocab, ps)
    meta["segments"].append(stamp)
    meta["groups"] = list(vocab)
    meta["postings"] += postings
    meta["marks"] = watermark.count
    meta["watermark"] = watermark.__dict__
    _write_meta(root, meta)
    return meta


def add_profiles(root: Path, *, workers: int | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Write the transliteration profiles of segments written before the index kept them (an index of format 2
    from an earlier release); returns how many marks were profiled. The search works without them (it profiles
    each candidate from its text), only slower, so this is an upgrade in place rather than a rebuild."""
    meta = read_meta(root)
    done = 0
    for name in (meta or {}).get("segments", []):
        path = root / name
        if (path / "translit_off.npy").exists():
            continue
        seg = _Segment.load(path)
        marks = [seg.text("marks", i) for i in range(len(seg.ids))]
        _write_texts(path, "translit", _in_pool(_profile_worker, marks, workers, progress))
        done += len(marks)
    return done


def index_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


# --------------------------------------------------------------------------------------------- from the store


def _store_watermark(session) -> Watermark:  # noqa: ANN001 - sqlalchemy Session
    from sqlalchemy import func, select

    from ipoffice.core import tables as t

    max_id, max_upd = session.execute(select(func.max(t.Trademark.id), func.max(t.Trademark.updated_at))).one()
    return Watermark(int(max_id or 0), max_upd.isoformat() if max_upd else "", 0)


def iter_store_marks(session, *, since: Watermark | None = None, batch: int = 20000) -> Iterator[RegisterMark]:  # noqa: ANN001
    """Register marks with a text, in id order (only those changed after ``since`` when given)."""
    from sqlalchemy import or_, select

    from ipoffice.core import tables as t

    last = 0
    while True:
        q = (
            select(t.Trademark.id, t.Trademark.number, t.Trademark.mark, t.Trademark.status, t.Trademark.filing_date)
            .where(t.Trademark.id > last, t.Trademark.mark.is_not(None))
            .order_by(t.Trademark.id)
            .limit(batch)
        )
        if since is not None:
            conds = [t.Trademark.id > since.max_id]
            if since.max_updated:
                conds.append(t.Trademark.updated_at > dt.datetime.fromisoformat(since.max_updated))
            q = q.where(or_(*conds))
        chunk = session.execute(q).all()
        if not chunk:
            return
        ids = [r[0] for r in chunk]
        classes: dict[int, set[int]] = {}
        groups: dict[int, set[str]] = {}
        goods = select(t.TrademarkGoods.trademark_id, t.TrademarkGoods.nice_class, t.TrademarkGoods.group_code).where(
            t.TrademarkGoods.trademark_id.between(ids[0], ids[-1])
        )
        for tid, cls, grp in session.execute(goods):
            classes.setdefault(tid, set()).add(cls)
            if grp:
                groups.setdefault(tid, set()).add(grp)
        for tid, number, mark, status, fdate in chunk:
            yield RegisterMark(
                tid,
                number,
                mark,
                status,
                fdate,
                tuple(sorted(classes.get(tid, ()))),
                tuple(sorted(groups.get(tid, ()))),
            )
        last = ids[-1]


def _store_count(session) -> int:  # noqa: ANN001
    from sqlalchemy import func, select

    from ipoffice.core import tables as t

    return int(session.scalar(select(func.count()).select_from(t.Trademark).where(t.Trademark.mark.is_not(None))))


def build(session, root: Path | None = None, **kw: Any) -> dict[str, Any]:  # noqa: ANN001
    """Build the index of the store's register from scratch."""
    root = root or default_dir()
    with _Lock(root):
        return _build(session, root, **kw)


def _build(session, root: Path, **kw: Any) -> dict[str, Any]:  # noqa: ANN001
    wm = _store_watermark(session)
    rows = list(iter_store_marks(session))
    wm.count = len(rows)
    return build_from_rows(root, rows, watermark=wm, **kw)


class _Lock:
    """An exclusive lock on the index folder while it is written (one writer at a time; readers never wait)."""

    def __init__(self, root: Path):
        self.path = root / ".lock"

    def __enter__(self) -> _Lock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "w")  # noqa: SIM115 - held until __exit__
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def update(session, root: Path | None = None) -> dict[str, Any]:  # noqa: ANN001
    """Bring the index up to the register: new/changed marks as a segment, or a rebuild when needed."""
    root = root or default_dir()
    with _Lock(root):
        return _update(session, root)


def _update(session, root: Path) -> dict[str, Any]:  # noqa: ANN001
    meta = read_meta(root)
    if meta is None or meta.get("format") != FORMAT:
        return _build(session, root) | {"action": "built"}
    add_profiles(root)
    old = Watermark(**meta["watermark"])
    wm = _store_watermark(session)
    if (wm.max_id, wm.max_updated) == (old.max_id, old.max_updated):
        return meta | {"action": "unchanged", "changed": 0}
    rows = list(iter_store_marks(session, since=old))
    wm.count = _store_count(session)
    new = sum(1 for r in rows if r.id > old.max_id)
    if len(meta["segments"]) >= MAX_SEGMENTS or wm.count != old.count + new:
        return _build(session, root) | {"action": "rebuilt", "changed": len(rows)}
    return append_rows(root, rows, wm) | {"action": "updated", "changed": len(rows)}


# --------------------------------------------------------------------------------------------- reading


@dataclass
class _Segment:
    path: Path
    ids: np.ndarray
    cmask: np.ndarray
    gmask: np.ndarray
    fdate: np.ndarray
    status: np.ndarray
    khash: np.ndarray
    kpos: np.ndarray
    marks: np.memmap
    marks_off: np.ndarray
    numbers: np.memmap
    numbers_off: np.ndarray
    live: np.ndarray | None = None  # False where a later segment holds the mark
    translit: np.ndarray | None = None  # profiles (``translit.encode_mark``); None in segments written before them
    translit_off: np.ndarray | None = None
    _elig: dict[tuple, np.ndarray] = field(default_factory=dict, repr=False)
    _class_bits: dict[int, np.ndarray] = field(default_factory=dict, repr=False)  # Nice class -> packed rows
    _group_bits: dict[int, np.ndarray] = field(default_factory=dict, repr=False)  # group vocabulary bit -> rows
    _views: dict[str, tuple[memoryview, np.ndarray]] = field(default_factory=dict, repr=False)  # see ``text``
    _buckets: tuple[int, np.ndarray] | None = field(default=None, repr=False)  # see ``key_ranges``
    _scratch: np.ndarray | None = field(default=None, repr=False)  # see ``scratch``
    _live_bits: np.ndarray | None = field(default=None, repr=False)  # see ``live_bits``
    _profiles: Any = field(default=None, repr=False)  # see ``profiles``
    _elig_bits: dict[tuple, np.ndarray] = field(default_factory=dict, repr=False)  # see ``_eligible_bits``

    def class_bits(self, c: int) -> np.ndarray:
        """Rows having Nice class ``c``, as packed bits (1 bit a mark), made on first use."""
        bits = self._class_bits.get(c)
        if bits is None:
            col = (np.asarray(self.cmask) >> np.uint64(c - 1)) & np.uint64(1)
            bits = self._class_bits[c] = np.packbits(col.astype(bool))
        return bits

    def group_bits(self, b: int) -> np.ndarray:
        """Rows having the group of vocabulary bit ``b``, as packed bits (1 bit a mark), made on first use.

        The group mask is stored row-major, so reading one of its 64-bit words for every row touches every page
        of the map (about 10 ms at 1M marks, once a group); the bitmap kept is an eighth of a byte a mark."""
        bits = self._group_bits.get(b)
        if bits is None:
            bits = self._group_bits[b] = _packed_bit(np.ascontiguousarray(self.gmask[:, b // 64]), b % 64)
        return bits

    def prepare_goods(self, groups: int) -> None:
        """Make every class and group bitmap now (groups: the vocabulary's size), each group word read once: what a
        batch does before its workers fork, so that they share them instead of each making its own (a group
        alone reads its word for every row: some 600 groups took 6 s a worker)."""
        for c in range(1, 46):
            self.class_bits(c)
        for w in range(min(self.gmask.shape[1], (groups + 63) // 64)):
            missing = [b for b in range(w * 64, min(groups, w * 64 + 64)) if b not in self._group_bits]
            if not missing:
                continue
            col = np.ascontiguousarray(self.gmask[:, w])
            for b in missing:
                self._group_bits[b] = _packed_bit(col, b % 64)

    @classmethod
    def load(cls, path: Path) -> _Segment:
        def arr(name: str) -> np.ndarray:
            # a plain ndarray view of the map: the same pages, without np.memmap's per-index Python overhead
            return np.asarray(np.load(path / f"{name}.npy", mmap_mode="r"))

        def blob(name: str) -> np.ndarray:
            p = path / f"{name}.bin"
            if not p.stat().st_size:
                return np.zeros(0, dtype=np.uint8)
            return np.asarray(np.memmap(p, dtype=np.uint8, mode="r"))

        has_profiles = (path / "translit_off.npy").exists()
        return cls(
            path,
            arr("ids"),
            arr("cmask"),
            arr("gmask"),
            arr("fdate"),
            arr("status"),
            arr("khash"),
            arr("kpos"),
            blob("marks"),
            arr("marks_off"),
            blob("numbers"),
            arr("numbers_off"),
            translit=blob("translit") if has_profiles else None,
            translit_off=arr("translit_off") if has_profiles else None,
        )

    def key_buckets(self) -> tuple[int, np.ndarray]:
        """``key_buckets(khash)``, made once per process (a pass over the postings, about a third of a second
        at 68M postings; 32 MB at 1M marks)."""
        if self._buckets is None:
            self._buckets = key_buckets(self.khash)
        return self._buckets

    def key_ranges(self, probe: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi): the postings of each key hash of ``probe`` are ``kpos[lo:hi]`` (``lo == hi``: none), as
        ``np.searchsorted(khash, probe, "left"/"right")`` give them.

        In C where ``postings.pyx`` is built: each of searchsorted's look-ups is some 26 steps through the whole
        map, each a cache miss, and a gazette mark looks up some 600 keys (6 % of its judging, session 17). The
        keys being uniform hashes, their top bits name a bucket of ``key_buckets`` to search in."""
        if not self.fast_postings:
            return np.searchsorted(self.khash, probe, side="left"), np.searchsorted(self.khash, probe, side="right")
        shift, starts = self.key_buckets()
        return _C_POSTINGS.key_ranges(self.khash, starts, shift, np.ascontiguousarray(probe, dtype=np.uint64))

    @property
    def fast_postings(self) -> bool:
        """Whether the postings are read in C (``postings.pyx`` built, and the arrays of the types it reads)."""
        return _C_POSTINGS is not None and self.khash.dtype == np.uint64 and self.kpos.dtype == np.int32

    def scratch(self) -> np.ndarray:
        """A packed row mask, all zero, for ``postings.goods_rows`` to mark rows taken (it leaves it zero again)."""
        if self._scratch is None:
            self._scratch = np.zeros((len(self.ids) + 7) // 8, dtype=np.uint8)
        return self._scratch

    def live_bits(self) -> np.ndarray | None:
        """``live`` packed (1 bit a row), None where every row is live."""
        if self.live is not None and self._live_bits is None:
            self._live_bits = np.packbits(self.live)
        return self._live_bits

    def profiles(self) -> Any:
        """The stored profiles as ``postings.Profiles`` (None without profiles or without the C module)."""
        if self._profiles is None and _C_POSTINGS is not None and self.translit_off is not None:
            self._profiles = _C_POSTINGS.Profiles(self.translit, self.translit_off)
        return self._profiles

    def text(self, which: str, i: int) -> str:
        """Row ``i`` of a text column: ``marks``, ``numbers`` or ``translit``, decoded from a memoryview of the
        map (kept per column: a numpy slice and ``tobytes`` cost twice as much per row)."""
        view = self._views.get(which)
        if view is None:
            view = self._views[which] = (memoryview(getattr(self, which)), getattr(self, which + "_off"))
        data, off = view
        return str(data[off[i] : off[i + 1]], "utf-8")


class LazyMark:
    """A register mark read as far as ranking and the transliteration test need (number, text, status, date,
    whether it shares a group asked); its goods are read when it is judged."""

    __slots__ = ("_full", "_idx", "_row", "_seg", "filing_date", "mark", "number", "shares_group", "status")

    @property
    def translit(self) -> str | None:
        """The stored transliteration profile (``translit.decode``), None where the segment has none."""
        s = self._idx.segments[self._seg]
        return s.text("translit", self._row) if s.translit_off is not None else None

    def __init__(self, idx: TrademarkIndex, seg: int, row: int, shares_group: bool | None):
        s = idx.segments[seg]
        self._idx, self._seg, self._row, self._full = idx, seg, row, None
        self.number = s.text("numbers", row)
        self.mark = s.text("marks", row)
        self.status = STATUSES[int(s.status[row])]
        fd = int(s.fdate[row])
        self.filing_date = dt.date.fromordinal(fd) if fd else None
        self.shares_group = shares_group

    def full(self) -> RegisterMark:
        if self._full is None:
            self._full = self._idx.row(self._idx.segments[self._seg], self._row)
        return self._full

    @property
    def id(self) -> int:
        return self.full().id

    @property
    def classes(self) -> tuple[int, ...]:
        return self.full().classes

    @property
    def groups(self) -> tuple[str, ...]:
        return self.full().groups


def _number(m: LazyMark) -> str:
    return m.number


def rank_key(m: LazyMark) -> tuple[bool, int, str]:
    """The conflict search's order of candidates of equal score: sharing a group asked, oldest, number."""
    return (not m.shares_group, m.filing_date.toordinal() if m.filing_date else -1, m.number)


class WeakStream:
    """The weak candidates as (mark, shares a meaning key), best possible rank first: two ranked streams
    (meaning; transliteration only) merged, so that the search can ``stop`` one of them once its best possible
    score can no longer enter the list while the other goes on."""

    def __init__(self, meaning: Iterator[LazyMark], sound: Iterator[LazyMark]):
        self._its: dict[bool, Iterator[LazyMark]] = {True: meaning, False: sound}
        self._heads: dict[bool, LazyMark] = {}
        #: the transliteration-only marks already passed the transliteration pre-test (``sound_test``)
        self.sound_tested = False

    def __iter__(self) -> WeakStream:
        return self

    def __next__(self) -> tuple[LazyMark, bool]:
        for kind in [k for k in self._its if k not in self._heads]:
            nxt = next(self._its[kind], None)
            if nxt is None:
                del self._its[kind]
            else:
                self._heads[kind] = nxt
        if not self._heads:
            raise StopIteration
        kind = min(self._heads, key=lambda k: rank_key(self._heads[k]))
        return self._heads.pop(kind), kind

    def stop(self, by_meaning: bool) -> None:
        """No more candidates of this kind (those sharing a meaning key, or only transliteration keys)."""
        self._its.pop(by_meaning, None)
        self._heads.pop(by_meaning, None)


@dataclass
class GoodsFilter:
    """Nice classes and 类似群 groups of a query; a mark passes when it shares one of either."""

    classes: set[int] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    before: dt.date | None = None


def _packed_bit(words: np.ndarray, bit: int) -> np.ndarray:
    """Bit ``bit`` of each 64-bit word, packed (1 bit a row): a group's row bitmap from its group-mask column."""
    return np.packbits(((words >> np.uint64(bit)) & np.uint64(1)).astype(bool))


def key_buckets(khash: np.ndarray) -> tuple[int, np.ndarray]:
    """(shift, starts) of sorted key hashes: those whose top bits are ``b`` (``h >> shift == b``) lie at
    ``khash[starts[b]:starts[b + 1]]``; some 16 postings a bucket."""
    n = len(khash)
    bits = int(min(24, max(1, np.log2(max(n, 2) / 16))))
    shift = np.uint64(64 - bits)
    counts = np.zeros(1 << bits, dtype=np.int64)
    step = 1 << 23
    for a in range(0, n, step):
        counts += np.bincount((khash[a : a + step] >> shift).astype(np.int64), minlength=1 << bits)
    starts = np.zeros((1 << bits) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return 64 - bits, starts


def _load_c_postings():  # noqa: ANN202 - the compiled module, or None
    """``postings.pyx`` compiled by ``ipoffice accel build``; None without a build (or with ``IPOFFICE_PURE=1``),
    and the numpy code runs."""
    try:
        from ipoffice.trademarks import postings
    except ImportError:
        return None
    return postings


_C_POSTINGS = _load_c_postings()


#: whether a stored status code (``STATUSES``) is a dead one
_DEAD_CODE = np.array([i < len(STATUSES) and STATUSES[i] in DEAD_STATUSES for i in range(256)], dtype=bool)


def _rank_order(shares_group: np.ndarray, fdate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, block): ``np.lexsort((fdate, ~shares_group))`` (sharing a group first, then filing date, none
    first, then the list's own order) and, in that order, a value equal within a block of equal (goods, date).

    One key packs goods, date and position, all distinct, so a plain sort gives the stable order: a twelfth of
    the time of ``lexsort`` on a transliteration list of 13,000 marks (53 against 625 us, session 17)."""
    n = len(fdate)
    if n < (1 << 24) and (not n or (fdate.min() >= 0 and fdate.max() < (1 << 21))):
        key = ((~shares_group).astype(np.int64) << 45) | (fdate.astype(np.int64) << 24) | np.arange(n)
        key.sort()
        return key & ((1 << 24) - 1), key >> 24
    fdate = np.where(fdate == 0, np.iinfo(np.int64).min, fdate)  # no date sorts first, as "" does
    order = np.lexsort((fdate, ~shares_group))
    return order, _block_ids(shares_group[order], fdate[order])


def _block_ids(shares_group: np.ndarray, fdate: np.ndarray) -> np.ndarray:
    """A value per position of sorted (goods, date) pairs that changes exactly where the pair changes."""
    change = np.concatenate(([False], (fdate[1:] != fdate[:-1]) | (shares_group[1:] != shares_group[:-1])))
    return np.cumsum(change)


def _distinct(x: np.ndarray) -> np.ndarray:
    """The sorted distinct values of ``x``: ``np.unique`` by sorting, without its hash table (numpy 2.x), which
    took three to four times as long on a query's postings (5 % of a gazette mark's judging, session 17)."""
    if len(x) < 2:
        return np.array(x)
    x = np.sort(x)
    return x[np.concatenate(([True], x[1:] != x[:-1]))]


def _keep(masks: dict[tuple, np.ndarray], key: tuple, mask: np.ndarray) -> None:
    """Keep a segment's mask for a filter, the oldest going beyond ``_ELIGIBLE_KEPT``."""
    while len(masks) >= _ELIGIBLE_KEPT:
        try:  # the oldest goes; the server's threads may evict at the same time
            masks.pop(next(iter(masks)), None)
        except (RuntimeError, StopIteration):
            break
    masks[key] = mask


def _filter_key(f: GoodsFilter) -> tuple:
    return (frozenset(f.classes), frozenset(f.groups))


class TrademarkIndex:
    """The opened index: candidate marks sharing a key with a query, on the goods asked."""

    def __init__(self, root: Path, meta: dict[str, Any]):
        self.root = root
        self.meta = meta
        self.vocab = {g: i for i, g in enumerate(meta["groups"])}
        self.groups = list(meta["groups"])
        self.segments = [_Segment.load(root / s) for s in meta["segments"]]
        # global row ids: a segment's rows follow those of the segments before it
        self._offs = np.cumsum([0] + [len(seg.ids) for seg in self.segments]).astype(np.int64)
        later: np.ndarray = np.zeros(0, dtype=np.int64)
        for seg in reversed(self.segments):
            seg.live = ~np.isin(seg.ids, later) if len(later) else None
            later = np.concatenate([later, np.asarray(seg.ids)])

    @classmethod
    def open(cls, root: Path | None = None) -> TrademarkIndex | None:
        root = root or default_dir()
        meta = read_meta(root)
        if meta is None or meta.get("format") != FORMAT:
            return None
        return cls(root, meta)

    def __len__(self) -> int:
        return int(self.meta["marks"])

    def _shares(self, seg: _Segment, rows: np.ndarray, groups: set[str]) -> np.ndarray:
        """Whether each row has one of ``groups``: from the groups' packed bitmaps where all are made already
        (the query's goods mask made them), a bit each from a small map in cache, else from the row-major group
        words (a read of scattered pages, 3 % of a gazette mark's judging)."""
        bits = [self.vocab.get(g) for g in groups]
        bits = [b for b in bits if b is not None and b // 64 < seg.gmask.shape[1]]
        if all(b in seg._group_bits for b in bits):
            out = np.zeros(len(rows), dtype=bool)
            byte, shift = rows >> 3, 7 - (rows & 7)
            for b in bits:
                out |= ((seg.group_bits(b)[byte] >> shift) & 1).astype(bool)
            return out
        gq = self._gquery(groups, seg.gmask.shape[1])
        out = np.zeros(len(rows), dtype=bool)
        for w in np.nonzero(gq)[0]:
            out |= (np.asarray(seg.gmask[rows, w]) & gq[w]) != 0
        return out

    def _gquery(self, groups: set[str], words: int) -> np.ndarray:
        q = np.zeros(words, dtype=np.uint64)
        for g in groups:
            b = self.vocab.get(g)
            if b is not None and b // 64 < words:
                q[b // 64] |= np.uint64(1 << (b % 64))
        return q

    def _on_goods(self, seg: _Segment, f: GoodsFilter) -> np.ndarray:
        """Whether each live row of the segment is on the goods of ``f``: the OR of the segment's packed
        per-class and per-group row bitmaps (``_Segment.class_bits``/``group_bits``, made once each), unpacked."""
        ok = np.unpackbits(self._goods_bits(seg, f), count=len(seg.ids)).view(bool)
        if seg.live is not None:
            ok &= seg.live
        return ok

    def _eligible_bits(self, seg: _Segment, f: GoodsFilter) -> np.ndarray:
        """``_eligible`` packed (1 bit a row, live rows only), kept as it is: what ``postings.goods_rows`` reads."""
        key = _filter_key(f)
        bits = seg._elig_bits.get(key)
        if bits is None:
            bits = self._goods_bits(seg, f)
            live = seg.live_bits()
            if live is not None:
                bits &= live
            _keep(seg._elig_bits, key, bits)
        return bits

    def _goods_bits(self, seg: _Segment, f: GoodsFilter) -> np.ndarray:
        """The rows on the goods of ``f``, packed: the OR of the class and group bitmaps."""
        bits = np.zeros((len(seg.ids) + 7) // 8, dtype=np.uint8)
        for c in f.classes:
            if 1 <= c <= 64:
                bits |= seg.class_bits(c)
        for g in f.groups:
            b = self.vocab.get(g)
            if b is not None and b // 64 < seg.gmask.shape[1]:
                bits |= seg.group_bits(b)
        return bits

    def _eligible(self, seg: _Segment, f: GoodsFilter) -> np.ndarray:
        """``_on_goods`` as a row mask, kept for the last few filters (the filing date is checked on the rows
        that pass it).

        A query reads the postings of several key sets (strong, meaning, each meaning unit, transliteration)
        under one filter; common keys bring hundreds of thousands of rows, and one mask of the segment (under a
        millisecond at 1M marks) is cheaper than gathering each row's class and group words."""
        key = _filter_key(f)
        ok = seg._elig.get(key)
        if ok is None:
            ok = self._on_goods(seg, f)
            _keep(seg._elig, key, ok)
        return ok

    def _goods_ok(self, seg: _Segment, rows: np.ndarray, f: GoodsFilter) -> np.ndarray:
        ok = (np.asarray(seg.cmask[rows]) & np.uint64(class_mask(f.classes))) != 0
        gq = self._gquery(f.groups, seg.gmask.shape[1])
        for w in np.nonzero(gq)[0]:
            ok |= (np.asarray(seg.gmask[rows, w]) & gq[w]) != 0
        return ok

    def count_on_goods(self, f: GoodsFilter) -> int:
        """How many live marks are on the goods asked (the search's ``considered``): the count of the query's
        eligibility mask (``_eligible``), which its key look-ups have made already."""
        return sum(int(np.count_nonzero(self._eligible(seg, f))) for seg in self.segments)

    def candidates(self, probe: np.ndarray, f: GoodsFilter) -> list[RegisterMark]:
        """Live marks sharing a probe key hash, on the goods of ``f`` and filed before ``f.before``."""
        return [self.row(self.segments[s], int(i)) for s, i in self._rows(probe, f)]

    def _rows(self, probe: np.ndarray, f: GoodsFilter) -> list[tuple[int, int]]:
        return [(s, int(i)) for s, rows in self._by_segment(self._gids(probe, f)) for i in rows]

    def _seg_rows(self, seg: _Segment, probe: np.ndarray, f: GoodsFilter) -> np.ndarray:
        """Sorted distinct rows of one segment sharing a probe key, live, on the goods, filed before.

        A common key (one frequent character or word) has postings in the hundreds of thousands: those off the
        goods are dropped through the segment's eligibility mask (``_eligible``) before the few left are
        deduplicated; a handful of postings is deduplicated first and their goods read row by row."""
        lo, hi = seg.key_ranges(probe)
        have = hi > lo
        if not have.any():
            return np.zeros(0, dtype=np.int64)
        lo, hi = lo[have], hi[have]
        # many postings, or a mask of this segment already made for the filter (a query's earlier key set)
        total = int((hi - lo).sum())
        fk = _filter_key(f)
        by_mask = total * _MASK_SHARE > len(seg.ids) or fk in seg._elig or fk in seg._elig_bits
        if by_mask and seg.fast_postings:
            on_goods = self._eligible_bits(seg, f)
            return self._before(seg, _C_POSTINGS.goods_rows(seg.kpos, lo, hi, on_goods, seg.scratch()), f)
        parts = [seg.kpos[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True)]
        if by_mask:
            on_goods = self._eligible(seg, f)
            if total * _SCATTER_SHARE > len(seg.ids):
                # the transliteration keys of a mark bring some 250,000 postings at 1M marks: marking them in a
                # row mask and reading its set bits costs a third of gathering, filtering and sorting them
                hit = np.zeros(len(seg.ids), dtype=bool)
                hit[np.concatenate(parts)] = True
                hit &= on_goods
                parts = [np.flatnonzero(hit)]
            else:
                parts = [x[on_goods[x]] for x in parts]
        if len(parts) == 1:
            rows = np.asarray(parts[0], dtype=np.int64)  # one key's postings are in row order (stable sort)
            if len(rows) > 1:
                rows = rows[np.concatenate(([True], rows[1:] != rows[:-1]))]
        else:
            rows = _distinct(np.concatenate(parts)).astype(np.int64)
        if by_mask:
            ok = np.ones(len(rows), dtype=bool)
        else:
            ok = self._goods_ok(seg, rows, f)
            if seg.live is not None:
                ok &= seg.live[rows]
        return self._before(seg, rows[ok], f)

    @staticmethod
    def _before(seg: _Segment, rows: np.ndarray, f: GoodsFilter) -> np.ndarray:
        """The rows filed before ``f.before`` (a mark with no filing date is not), all where it is None."""
        if f.before is None:
            return rows
        fd = np.asarray(seg.fdate[rows])
        return rows[(fd > 0) & (fd < f.before.toordinal())]

    def _gids(self, probe: np.ndarray, f: GoodsFilter) -> np.ndarray:
        """Global row ids (sorted, distinct) of the live marks sharing a probe key on the goods of ``f``."""
        probe = _distinct(np.asarray(probe, dtype=np.uint64))
        if not len(probe):
            return np.zeros(0, dtype=np.int64)
        parts = [self._seg_rows(seg, probe, f) + self._offs[si] for si, seg in enumerate(self.segments)]
        parts = [x for x in parts if len(x)]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _by_segment(self, gids: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
        """(segment, rows) of sorted global row ids."""
        cuts = np.searchsorted(gids, self._offs)
        for si in range(len(self.segments)):
            a, b = int(cuts[si]), int(cuts[si + 1])
            if b > a:
                yield si, gids[a:b] - self._offs[si]

    def split_candidates(
        self,
        probes: tuple[np.ndarray, np.ndarray, np.ndarray],
        f: GoodsFilter,
        *,
        dead: bool = True,
        rank_groups: set[str] | None = None,
        need: list[tuple[list[np.ndarray], np.ndarray]] | None = None,
        sound_test: Any | None = None,
    ) -> tuple[list[LazyMark], WeakStream]:
        """(marks sharing a strong key, (mark, shares a meaning key) for marks sharing only weak keys).

        ``probes`` are the (strong, meaning, transliteration) hashes of ``split_probe``. Weak-only marks come
        lazily, best possible rank first: sharing a group asked before sharing a class only, then oldest
        filing, then number (the conflict search's order), so the caller can stop early. ``dead=False``
        leaves dead marks out of the weak ones (they are not listed unless asked).
        """
        strong, meaning, translit = probes
        first = self._gids(strong, f)
        # read as far as judging needs (``LazyMark``): goods only for those that become hits
        strong_rows = [LazyMark(self, s, i, None) for s, rows in self._by_segment(first) for i in rows.tolist()]
        return strong_rows, self.weak_candidates(
            meaning, translit, f, dead=dead, exclude=first, rank_groups=rank_groups, need=need, sound_test=sound_test
        )

    def weak_candidates(
        self,
        meaning: np.ndarray,
        translit: np.ndarray,
        f: GoodsFilter,
        *,
        dead: bool = True,
        exclude: set[tuple[int, int]] | np.ndarray = frozenset(),  # type: ignore[assignment]
        rank_groups: set[str] | None = None,
        need: list[tuple[list[np.ndarray], np.ndarray]] | None = None,
        sound_test: Any | None = None,
    ) -> WeakStream:
        """(mark, shares a meaning key) for marks sharing only weak keys, best possible rank first.

        ``exclude``: marks already taken (global row ids, or (segment, row) pairs). ``rank_groups``: the groups
        whose sharing ranks a mark first (the groups asked, not the linked ones; default ``f.groups``).
        ``need`` (``need_hashes`` of ``keys.meaning_need``): a mark counts as sharing meaning only when it shares
        a key of every unit of one of the query's texts, or one of its whole-phrase keys; one sharing only a
        stray unit (a single common word) can still be a transliteration, else it is dropped. Marks are read
        lazily (``LazyMark``): goods only when judged. Sets are sorted arrays of global row ids throughout.
        ``sound_test`` (``translit.SoundTest`` of the query): marks sharing only transliteration keys are
        kept only when their stored profile passes it, tested as the stream reaches them and before they are read
        (``sound_tested`` on the stream tells the caller). Most of them (some 14,000 of a gazette mark's at
        1M, 6 % passing) are never reached: the search stops once no later one can rank."""
        if not isinstance(exclude, np.ndarray):
            exclude = np.array(sorted(int(self._offs[s]) + int(r) for s, r in exclude), dtype=np.int64)
        by_meaning = np.setdiff1d(self._gids(meaning, f), exclude, assume_unique=True)
        if need is not None and len(by_meaning):
            passing = np.zeros(0, dtype=np.int64)
            for per_unit, whole in need:
                if len(whole):
                    passing = _distinct(np.concatenate((passing, self._gids(whole, f))))
                common: np.ndarray | None = None
                for unit in per_unit:
                    rows_u = self._gids(unit, f)
                    common = rows_u if common is None else np.intersect1d(common, rows_u, assume_unique=True)
                    if not len(common):
                        break
                if common is not None and len(common):
                    passing = _distinct(np.concatenate((passing, common)))
            by_meaning = np.intersect1d(by_meaning, passing, assume_unique=True)
        sound_only = np.setdiff1d(
            np.setdiff1d(self._gids(translit, f), exclude, assume_unique=True), by_meaning, assume_unique=True
        )
        groups = f.groups if rank_groups is None else rank_groups

        def ranked(gids: np.ndarray, keep: Any | None = None) -> Iterator[LazyMark]:
            segs = (np.searchsorted(self._offs, gids, side="right") - 1).astype(np.int64)
            rows = gids - self._offs[segs]
            return self._ranked(segs, rows, f, dead, groups, keep)

        stream = WeakStream(ranked(by_meaning), ranked(sound_only, sound_test))
        stream.sound_tested = sound_test is not None
        return stream

    def _passes(self, test: Any, si: int, r: int) -> bool:
        """Whether mark (segment, row) passes the transliteration pre-test ``test`` (``translit.SoundTest``) on
        its stored profile: read from the bytes in C where ``postings.pyx`` is built (decoding each profile and
        splitting it in Python was a tenth of a gazette mark's judging, session 17)."""
        seg = self.segments[si]
        prof = seg.profiles()
        if prof is not None:
            return prof.passes(test, r)
        return test.stored(self._profile_text(si, r))

    def _profile_text(self, si: int, r: int) -> str:
        """A mark's stored transliteration profile (``translit.encode``), made from its text in a segment written
        before profiles were stored."""
        seg = self.segments[si]
        if seg.translit_off is None:
            from ipoffice.trademarks import translit

            return translit.encode_mark(seg.text("marks", r))
        return seg.text("translit", r)

    def _ranked(
        self,
        segs: np.ndarray,
        rows: np.ndarray,
        f: GoodsFilter,
        dead: bool,
        rank_groups: set[str],
        sound_test: Any | None = None,
    ) -> Iterator[LazyMark]:
        """Marks in the search's order; ``sound_test`` (``translit.SoundTest``, on stored profiles) drops those
        failing it as they come, before they are read, so that only the part of a long list the caller consumes
        is tested.

        The order is worked out in numpy for the whole list, and the walk turns it into Python values a window
        at a time: a gazette mark's transliteration-only list holds some 13,000 marks of which the search reads
        about 540, and reading numpy scalars one by one was a fifth of its judging (session 17)."""
        if not len(rows):
            return
        shares_group = np.zeros(len(rows), dtype=bool)
        fdate = np.zeros(len(rows), dtype=np.int64)
        keep = np.ones(len(rows), dtype=bool)
        for si, seg in enumerate(self.segments):
            m = segs == si
            if not m.any():
                continue
            r = rows[m]
            shares_group[m] = self._shares(seg, r, rank_groups)
            fdate[m] = np.asarray(seg.fdate[r])
            if not dead:
                keep[m] = ~_DEAD_CODE[np.asarray(seg.status[r])]
        segs, rows, shares_group, fdate = segs[keep], rows[keep], shares_group[keep], fdate[keep]
        if not len(rows):
            return
        order, block = _rank_order(shares_group, fdate)
        segs, rows, shares_group = segs[order], rows[order], shares_group[order]
        # a block of equal (goods, date) is ordered by number once read: its first position, and the end
        starts = np.flatnonzero(np.concatenate(([True], block[1:] != block[:-1])))
        ends = np.append(starts[1:], len(rows))
        n, window, lo, b0 = len(rows), 64, 0, 0
        while lo < n:
            # the next window: whole blocks, up to the one holding position lo + window - 1
            b1 = int(np.searchsorted(starts, min(lo + window, n) - 1, side="right"))
            hi = int(ends[b1 - 1])
            ws, wr = segs[lo:hi].tolist(), rows[lo:hi].tolist()
            wg = shares_group[lo:hi].tolist()
            cut = (ends[b0:b1] - lo).tolist()
            i = 0
            for j in cut:
                block = [
                    LazyMark(self, ws[k], wr[k], wg[k])
                    for k in range(i, j)
                    if sound_test is None or self._passes(sound_test, ws[k], wr[k])
                ]
                if len(block) > 1:
                    block.sort(key=_number)
                yield from block
                i = j
            lo, b0, window = hi, b1, min(window * 2, 4096)

    def row(self, seg: _Segment, i: int) -> RegisterMark:
        names = []
        for w, word in enumerate(seg.gmask[i].tolist()):
            while word:  # the set bits, lowest first
                low = word & -word
                names.append(self.groups[w * 64 + low.bit_length() - 1])
                word ^= low
        groups = tuple(sorted(names))
        fd = int(seg.fdate[i])
        return RegisterMark(
            int(seg.ids[i]),
            seg.text("numbers", i),
            seg.text("marks", i),
            STATUSES[int(seg.status[i])],
            dt.date.fromordinal(fd) if fd else None,
            _classes_of(int(seg.cmask[i])),
            groups,
        )

    def iter_rows(self) -> Iterator[RegisterMark]:
        for seg in self.segments:
            for i in range(len(seg.ids)):
                if seg.live is None or seg.live[i]:
                    yield self.row(seg, i)


_OPENED: dict[Path, tuple[float, str, TrademarkIndex]] = {}
_CHECK_EVERY = 2.0  # seconds between watermark checks in one process


def open_fresh(session, root: Path | None = None) -> TrademarkIndex | None:  # noqa: ANN001
    """The index of this data home, brought up to the register first; None when none was built.

    The watermark check is two indexed aggregates (max id, max updated_at), done at most every few seconds.
    """
    root = root or default_dir()
    if not _meta_path(root).exists():
        return None
    now = time.monotonic()
    cached = _OPENED.get(root)
    meta_stamp = str(_meta_path(root).stat().st_mtime_ns)
    if cached and now - cached[0] < _CHECK_EVERY and cached[1] == meta_stamp:
        return cached[2]
    meta = read_meta(root)
    if meta is None:
        return None
    wm = _store_watermark(session)
    old = meta.get("watermark") or {}
    stale_format = meta.get("format") != FORMAT  # built by an older release: rebuilt in the new format
    if stale_format or (wm.max_id, wm.max_updated) != (old.get("max_id"), old.get("max_updated")):
        update(session, root)
        meta_stamp = str(_meta_path(root).stat().st_mtime_ns)
    elif cached and cached[1] == meta_stamp:
        _OPENED[root] = (now, meta_stamp, cached[2])
        return cached[2]
    idx = TrademarkIndex.open(root)
    if idx is not None:
        _OPENED[root] = (now, meta_stamp, idx)
    return idx
