"""The weekly gazette against the register as a batch job, on DuckDB (one machine) or Spark (a cluster).

``run_gazette(store_or_register, gazette_marks, engine="duckdb" | "spark")`` gives, for each gazette mark, the
conflict search's answer for that mark on its own goods, filed before it (``gazette_query``): the same
``results`` (and ``dead`` when asked) as ``search.conflict_search`` with the same query, which
tests/trademarks/test_batch.py checks for online == duckdb == spark.

How the work is split, and why:

1. **Key join in SQL.** The register's postings (``trademarks.index``: key hash -> mark) are joined with the
   gazette marks' strong probe keys on (key hash, Nice class), so a broad key (a common character) only
   meets the register marks of the classes asked; the exact goods filter (classes or 类似群 groups, the
   groups linked by the table's notes, earlier filing, superseded rows) follows in the same SQL. DuckDB runs
   it in-process over the index arrays; Spark runs the same join on Parquet copies of them.
2. **Judging in Python.** ``similarity.compare`` is Python, so each gazette mark's candidates go to
   ``search.judge_split`` (the online search's own judging): on DuckDB in a pool of worker processes (the
   cores), on Spark in ``mapPartitions``. The weak candidates (marks sharing only meaning or
   transliteration keys, which rank at most 0.8) are read there from the memory-mapped index in rank
   order, as online, and stop once they can no longer enter the list; joining them in SQL would produce
   billions of pairs at 1M marks for hits that mostly cannot rank.

A Spark cluster needs the index folder on every executor (a shared file system or ``SparkFiles``); in
local mode it is the driver's folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ipoffice.trademarks.index import (
    GoodsFilter,
    LazyMark,
    RegisterMark,
    TrademarkIndex,
    class_mask,
    need_hashes,
    split_probe,
)
from ipoffice.trademarks.search import (
    ConflictQuery,
    SearchInputError,
    judge_split,
    linked_groups,
    result,
    sound_test,
)

ENGINES = ("duckdb", "spark")
CONTRACT = ("number", "mark", "nice_classes", "groups", "goods", "applicant", "filing_date", "status")


class GazetteError(ValueError):
    """The gazette cannot be read at all (missing file, unknown format, no mark column)."""


# ------------------------------------------------------------------------------------------ reading the gazette


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).replace("，", ";").replace(",", ";").split(";") if v.strip()]


def read_gazette(path: Path) -> list[dict[str, Any]]:
    """Records of a gazette file: CSV (lists separated by ``;``) or JSONL, with the contract columns."""
    path = Path(path)
    if not path.is_file():
        raise GazetteError(f"{path}: no such file")
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson") or text.lstrip().startswith("{"):
        out = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    out.append(json.loads(line))
                except ValueError as exc:
                    out.append({"_error": f"{path}:{n}: not JSON ({exc})"})
        return out
    rows = list(csv.DictReader(text.splitlines()))
    if rows and "mark" not in rows[0]:
        raise GazetteError(f"{path}: no 'mark' column (columns: {', '.join(rows[0])})")
    return rows


@lru_cache(maxsize=4096)
def _linked(groups: frozenset[str]) -> dict[str, str]:
    return linked_groups(set(groups))


def gazette_query(rec: dict[str, Any], *, top: int = 20, include_dead: bool = False) -> ConflictQuery:
    """The conflict query of a gazette mark: its mark on its classes, groups and mapped goods, earlier marks only.

    SearchInputError names the field when the record cannot be searched.
    """
    from ipoffice.trademarks.normalize import normalize

    if rec.get("_error"):
        raise SearchInputError(rec["_error"])
    mark = str(rec.get("mark") or "").strip()
    try:
        normalize(mark)
    except ValueError as exc:
        raise SearchInputError(f"field mark {mark!r}: {exc}") from None
    try:
        classes = {int(c) for c in _as_list(rec.get("nice_classes"))}
    except ValueError:
        raise SearchInputError(f"field nice_classes {rec.get('nice_classes')!r}: not numbers") from None
    bad = sorted(c for c in classes if not 1 <= c <= 45)
    if bad:
        raise SearchInputError(f"field nice_classes: unknown Nice class {bad[0]}")
    groups = set(_as_list(rec.get("groups")))
    if any(len(g) != 4 or not g.isdigit() for g in groups):
        raise SearchInputError(f"field groups {rec.get('groups')!r}: 类似群 codes have four digits")
    goods = _as_list(rec.get("goods"))
    if goods:
        from ipoffice.trademarks.goods import map_goods

        for it in map_goods(goods, classes=classes or None).items:
            groups.update(it.groups)
    if not (classes or groups):
        raise SearchInputError("fields nice_classes/groups/goods: nothing to search")
    before = None
    if rec.get("filing_date"):
        try:
            before = dt.date.fromisoformat(str(rec["filing_date"])[:10])
        except ValueError:
            raise SearchInputError(f"field filing_date {rec['filing_date']!r}: not a date (YYYY-MM-DD)") from None
    return ConflictQuery(mark=mark, classes=classes, groups=groups, before=before, top=top, include_dead=include_dead)


def _goods_filter(q: ConflictQuery) -> GoodsFilter:
    return GoodsFilter(q.classes, q.groups | set(_linked(frozenset(q.groups))), q.before)


def _join_classes(f: GoodsFilter) -> set[int]:
    """Classes a candidate must have one of: those asked and those of the groups asked (0901 -> 9)."""
    return set(f.classes) | {int(g[:2]) for g in f.groups if g[:2].isdigit()}


# ------------------------------------------------------------------------------------------ the register side


def _open_register(store_or_register: Any) -> TrademarkIndex:
    if isinstance(store_or_register, TrademarkIndex):
        return store_or_register
    if isinstance(store_or_register, str | Path):
        idx = TrademarkIndex.open(Path(store_or_register))
        if idx is None:
            raise GazetteError(f"{store_or_register}: no trademark index there (run `ipoffice tm index build`)")
        return idx
    from ipoffice.trademarks import index as tmi

    root = tmi.default_dir(store_or_register.home)
    with store_or_register.session() as s:
        idx = tmi.open_fresh(s, root)
        if idx is None:
            tmi.build(s, root)
            idx = tmi.TrademarkIndex.open(root)
    assert idx is not None
    return idx


def _register_frames(idx: TrademarkIndex):  # noqa: ANN202 - (postings, classes, marks) pandas frames
    """The register's postings (key, segment, row), its marks' classes (segment, row, class) and goods columns.

    The engines join postings with classes first, so the gazette's keys meet them on (key, class)."""
    import pandas as pd

    posts, classes, marks = [], [], []
    for si, seg in enumerate(idx.segments):
        cm = np.asarray(seg.cmask)
        n = len(cm)
        # (row, class) pairs of every mark
        bits = ((cm[:, None] >> np.arange(45, dtype=np.uint64)) & np.uint64(1)).astype(bool)
        rows_c, cls_c = np.nonzero(bits)
        classes.append(
            pd.DataFrame({"sid": np.int16(si), "row": rows_c.astype(np.int32), "cls": (cls_c + 1).astype(np.int16)})
        )
        posts.append(pd.DataFrame({"h": np.asarray(seg.khash).view(np.int64), "sid": np.int16(si), "row": seg.kpos}))
        live = np.ones(n, dtype=bool) if seg.live is None else np.asarray(seg.live)
        m = pd.DataFrame(
            {
                "sid": np.int16(si),
                "row": np.arange(n, dtype=np.int32),
                "cmask": cm.view(np.int64),
                "fdate": np.asarray(seg.fdate),
                "live": live,
            }
        )
        gm = np.asarray(seg.gmask)
        for w in range(_words(idx)):
            m[f"g{w}"] = gm[:, w].view(np.int64) if w < gm.shape[1] else np.int64(0)
        marks.append(m)
    cat = pd.concat
    return cat(posts, ignore_index=True), cat(classes, ignore_index=True), cat(marks, ignore_index=True)


def _words(idx: TrademarkIndex) -> int:
    return max(1, (len(idx.groups) + 63) // 64)


Probes = dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]


def _probe_chunk(marks: list[tuple[int, str]]) -> list[tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    return [(gid, split_probe(mark)) for gid, mark in marks]


def _probes(queries: list[tuple[int, ConflictQuery]], workers: int) -> Probes:
    """``split_probe`` of every gazette mark, in worker processes: some 400 keys a mark to make and hash, which
    done serially before the key join would take minutes for a 100k gazette. Each mark's keys are made once,
    for the join (strong) and the judging (meaning, transliteration)."""
    marks = [(gid, q.mark) for gid, q in queries]
    if workers <= 1 or len(marks) < 400:
        return dict(_probe_chunk(marks))
    import multiprocessing as mp

    size = max(100, len(marks) // (workers * 8))
    out: Probes = {}
    with mp.get_context("fork").Pool(workers) as pool:
        for part in pool.imap_unordered(_probe_chunk, [marks[i : i + size] for i in range(0, len(marks), size)]):
            out.update(part)
    return out


def _gazette_frames(idx: TrademarkIndex, queries: list[tuple[int, ConflictQuery]], probes: Probes):  # noqa: ANN202
    """The gazette's strong probe keys by class, and each query's goods masks and date."""
    import pandas as pd

    hs, gs, cs = [], [], []
    q_rows = []
    words = _words(idx)
    for gid, q in queries:
        strong = probes[gid][0]
        f = _goods_filter(q)
        for c in sorted(_join_classes(f)):
            hs.append(strong.view(np.int64))
            gs.append(np.full(len(strong), gid, dtype=np.int32))
            cs.append(np.full(len(strong), c, dtype=np.int16))
        gq = idx._gquery(f.groups, words)
        row = {"gid": gid, "cmask": np.uint64(class_mask(f.classes)).view(np.int64).item()}
        row["before"] = f.before.toordinal() if f.before else 0
        for w in range(words):
            row[f"g{w}"] = gq[w].view(np.int64).item()
        q_rows.append(row)
    cat = lambda xs, t: np.concatenate(xs) if xs else np.zeros(0, dtype=t)  # noqa: E731
    gpost = pd.DataFrame({"h": cat(hs, np.int64), "gid": cat(gs, np.int32), "cls": cat(cs, np.int16)})
    return gpost, pd.DataFrame(q_rows)


POST_SQL = "SELECT k.h, c.cls, k.sid, k.row FROM {kp} k JOIN {cls} c ON c.sid = k.sid AND c.row = k.row"


def _candidate_sql(words: int, post: str, marks: str, gpost: str, gq: str) -> str:
    groups = " OR ".join(f"(m.g{w} & q.g{w}) <> 0" for w in range(words))
    return f"""
        SELECT DISTINCT gp.gid, p.sid, p.row
        FROM {gpost} gp
        JOIN {post} p ON p.h = gp.h AND p.cls = gp.cls
        JOIN {marks} m ON m.sid = p.sid AND m.row = p.row
        JOIN {gq} q ON q.gid = gp.gid
        WHERE m.live
          AND ((m.cmask & q.cmask) <> 0 OR {groups})
          AND (q.before = 0 OR (m.fdate > 0 AND m.fdate < q.before))
    """


# ------------------------------------------------------------------------------------------ judging


_WORKER_INDEX: TrademarkIndex | None = None


def _judge_one(
    idx: TrademarkIndex,
    q: ConflictQuery,
    strong: list[tuple[int, int]],
    on: dt.date | None,
    probe: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict:
    f = _goods_filter(q)
    # read as far as judging needs: goods only for the few that become hits (about 1 in 90)
    strong_marks = [LazyMark(idx, s, r, None) for s, r in sorted(strong)]
    _strong_h, meaning, translit = probe if probe is not None else split_probe(q.mark)
    weak = idx.weak_candidates(
        meaning,
        translit,
        f,
        dead=q.include_dead,
        exclude=set(strong),
        rank_groups=q.groups,
        need=need_hashes(q.mark),
        sound_test=sound_test(q.mark),
    )
    hits, dead = judge_split(q, strong_marks, weak, on=on, linked=_linked(frozenset(q.groups)))
    return result(q, hits, dead, -1, [])


_WORKER_PROBES: Probes = {}
#: while judging, a full collection after this many second-generation ones (Python's default: 10): never, in
#: practice (a gazette of 100k marks makes some 9,000 a worker)
_FULL_COLLECTION_EVERY = 1_000_000


@contextmanager
def frozen_heap() -> Iterator[None]:
    """While judging: every object alive at the start (the index's arrays and tables, the gazette, the probes)
    is out of the cyclic garbage collector's sight (``gc.freeze``), and back in it afterwards (``gc.unfreeze``).

    Why: judging makes many short-lived objects, so collections run often, and each older-generation one
    walked the millions of long-lived objects as well: 6 % of a gazette mark's judging (py-spy, session 16).
    The judging workers fork inside it and keep the frozen state to their end; frozen objects' pages are then
    no longer written by the collector, so they stay shared (the reason Python's documentation gives).

    Full collections are put off until the judging ends (``_FULL_COLLECTION_EVERY``): each walks the judging's
    own caches (folded marks, profiles, character pairs: 2.1 million objects after 10,000 marks, a second a
    walk), which was 12-14 % of a gazette mark's judging (session 17, ``gc.callbacks``), for no garbage: a full
    collection after judging 10,000 marks finds none (they hold no cycles, and judging makes none). The young
    generations are still collected as usual."""
    import gc

    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(threshold[0], threshold[1], max(threshold[2], _FULL_COLLECTION_EVERY))
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _judge_chunk(args: tuple[list[tuple[int, ConflictQuery, list[tuple[int, int]]]], dt.date | None]):  # noqa: ANN202
    items, on = args
    assert _WORKER_INDEX is not None
    return [(gid, _judge_one(_WORKER_INDEX, q, strong, on, _WORKER_PROBES.get(gid))) for gid, q, strong in items]


def _judge_all(
    idx: TrademarkIndex,
    queries: list[tuple[int, ConflictQuery]],
    strong: dict[int, list[tuple[int, int]]],
    on: dt.date | None,
    workers: int,
    probes: Probes,
) -> dict[int, dict]:
    global _WORKER_INDEX, _WORKER_PROBES
    items = [(gid, q, strong.get(gid, [])) for gid, q in queries]
    if workers <= 1 or len(items) < 200:
        return {gid: _judge_one(idx, q, s, on, probes.get(gid)) for gid, q, s in items}
    import multiprocessing as mp

    _WORKER_INDEX, _WORKER_PROBES = idx, probes  # inherited by the forked workers, not pickled
    for seg in idx.segments:  # made once here and shared, not once in each worker
        seg.prepare_goods(len(idx.groups))
        if seg.fast_postings:
            seg.key_buckets()
    size = max(50, len(items) // (workers * 20))
    chunks = [(items[i : i + size], on) for i in range(0, len(items), size)]
    out: dict[int, dict] = {}
    with frozen_heap(), mp.get_context("fork").Pool(workers) as pool:
        for res in pool.imap_unordered(_judge_chunk, chunks):
            out.update(res)
    return out


# ------------------------------------------------------------------------------------------ engines


def _frames(idx: TrademarkIndex, queries: list[tuple[int, ConflictQuery]], probes: Probes) -> dict[str, Any]:
    """The five tables both engines join, by the names ``POST_SQL`` and ``_candidate_sql`` give them: register
    postings (kp), classes (cls) and goods columns (marks); gazette keys by class (gpost) and goods (gq)."""
    kp, cls, marks = _register_frames(idx)
    gpost, gq = _gazette_frames(idx, queries, probes)
    return {"kp": kp, "cls": cls, "marks": marks, "gpost": gpost, "gq": gq}


def _duckdb_candidates(  # noqa: ANN202
    idx: TrademarkIndex, queries: list[tuple[int, ConflictQuery]], threads: int, probes: Probes
):
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads={threads}")
    for name, frame in _frames(idx, queries, probes).items():
        con.register(name, frame)
    con.execute("CREATE TEMP TABLE post AS " + POST_SQL.format(kp="kp", cls="cls"))
    rows = con.execute(_candidate_sql(_words(idx), "post", "marks", "gpost", "gq")).fetchall()
    con.close()
    return rows


def _spark_candidates(
    idx: TrademarkIndex, queries: list[tuple[int, ConflictQuery]], spark: Any, probes: Probes
) -> list[tuple]:
    """The same join in Spark SQL, on Parquet files written by DuckDB (no pyarrow needed)."""
    import duckdb

    frames = _frames(idx, queries, probes)
    with tempfile.TemporaryDirectory(prefix="tm-spark-") as tmp:
        con = duckdb.connect()
        for name, frame in frames.items():
            con.register(f"f_{name}", frame)
            con.execute(f"COPY f_{name} TO '{tmp}/{name}.parquet' (FORMAT parquet)")
        con.close()
        for name in frames:
            spark.read.parquet(f"{tmp}/{name}.parquet").createOrReplaceTempView(f"tm_{name}")
        spark.sql(POST_SQL.format(kp="tm_kp", cls="tm_cls")).createOrReplaceTempView("tm_post")
        df = spark.sql(_candidate_sql(_words(idx), "tm_post", "tm_marks", "tm_gpost", "tm_gq"))
        return [(r["gid"], r["sid"], r["row"]) for r in df.collect()]


def _spark_judge(
    idx: TrademarkIndex,
    queries: list[tuple[int, ConflictQuery]],
    strong: dict[int, list[tuple[int, int]]],
    on: dt.date | None,
    spark: Any,
    probes: Probes,
) -> dict[int, dict]:
    """Judging in ``mapPartitions``: each partition opens the index from its folder (memory-mapped)."""
    root = str(idx.root)
    items = [(gid, q, strong.get(gid, []), probes.get(gid)) for gid, q in queries]
    parts = max(1, min(len(items), spark.sparkContext.defaultParallelism))

    def run(part):  # noqa: ANN001, ANN202 - runs on the executors
        local = TrademarkIndex.open(Path(root))
        for gid, q, s, probe in part:
            yield gid, json.dumps(_judge_one(local, q, s, on, probe), ensure_ascii=False)

    rdd = spark.sparkContext.parallelize(items, parts).mapPartitions(run)
    return {gid: json.loads(js) for gid, js in rdd.collect()}


def local_spark(app: str = "ipoffice-tm-batch", cores: int = 2):  # noqa: ANN201 - pyspark SparkSession
    """A local SparkSession (no UI, loopback), as CI runs it."""
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )


def run_gazette(
    store_or_register: Any,
    gazette_marks: Iterable[dict[str, Any]] | Path | str,
    engine: str = "duckdb",
    *,
    top: int = 20,
    include_dead: bool = False,
    on: dt.date | None = None,
    workers: int | None = None,
    spark: Any = None,
    timings: dict[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Conflict search for every gazette mark against the register; one entry per gazette record, in order.

    ``store_or_register``: a Store (its index, brought up to date or built), a ``TrademarkIndex`` or an index
    folder. ``gazette_marks``: records with the contract columns (number, mark, nice_classes, groups, goods,
    applicant, filing_date, status) or a CSV/JSONL file of them. Each entry is ``{"number", "mark",
    "results": [hits as conflict_search gives them], "dead" (when asked), "classes", "groups", "before"}``; a
    record that cannot be searched gets ``"error"`` (naming the field) and no results. ``timings``, when
    given, receives the seconds of each stage (read, keys, key_join, judge) and the number of candidate pairs.
    """
    import time

    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: choose one of {', '.join(ENGINES)}")
    clock = [time.perf_counter()]
    timings = timings if timings is not None else {}

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = round(now - clock[0], 2)
        clock[0] = now

    records = read_gazette(Path(gazette_marks)) if isinstance(gazette_marks, str | Path) else list(gazette_marks)
    idx = _open_register(store_or_register)
    workers = workers or min(os.cpu_count() or 1, 2)
    queries: list[tuple[int, ConflictQuery]] = []
    errors: dict[int, str] = {}
    for gid, rec in enumerate(records):
        try:
            queries.append((gid, gazette_query(rec, top=top, include_dead=include_dead)))
        except SearchInputError as exc:
            errors[gid] = f"record {gid + 1} ({rec.get('number') or 'no number'}): {exc}"
    lap("read")
    probes = _probes(queries, workers)
    lap("keys")
    if engine == "duckdb":
        pairs = _duckdb_candidates(idx, queries, workers, probes)
    else:
        own = spark is None
        spark = spark or local_spark(cores=workers)
        try:
            pairs = _spark_candidates(idx, queries, spark, probes)
        except Exception:
            if own:
                spark.stop()
            raise
    strong: dict[int, list[tuple[int, int]]] = {}
    for gid, sid, row in pairs:
        strong.setdefault(int(gid), []).append((int(sid), int(row)))
    timings["candidate_pairs"] = len(pairs)
    lap("key_join")
    if engine == "duckdb":
        judged = _judge_all(idx, queries, strong, on, workers, probes)
    else:
        judged = _spark_judge(idx, queries, strong, on, spark, probes)
        if own:
            spark.stop()
    lap("judge")
    out = []
    for gid, rec in enumerate(records):
        entry: dict[str, Any] = {"number": rec.get("number"), "mark": rec.get("mark")}
        if gid in errors:
            entry |= {"error": errors[gid], "results": []}
        else:
            res = judged[gid]
            res.pop("considered", None)
            res.pop("warnings", None)
            entry |= res
            entry["mark"] = rec.get("mark")
        out.append(entry)
    return out


__all__ = ["CONTRACT", "ENGINES", "GazetteError", "RegisterMark", "gazette_query", "read_gazette", "run_gazette"]
