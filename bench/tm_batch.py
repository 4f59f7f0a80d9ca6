"""The weekly gazette against the register as a batch job: DuckDB (2 cores) and Spark local mode beside it.

    .venv/bin/python bench/tm_batch.py [--marks 1000000] [--gazette 100000] [--index DIR]
                                       [--spark-gazette 2000] [--json FILE]
                                       [--judge-only N [--judge-dump FILE]]

The register is bench/tm_search.py's (real marks, scaled up by recombining real mark words; real goods
distributions); ``--index DIR`` reuses an index it kept (``tm_search.py --keep DIR``) for the same register,
else one is built. The gazette: new marks filed in 2026 (after every register mark), half of them real
register marks with one character or letter changed, half new recombinations of real mark words, with
goods drawn from the same real distributions (one or two classes, their 类似群 groups). Reported: the
stages of ``trademarks.batch.run_gazette`` (read, SQL key join, judging in 2 processes), candidate pairs,
hits, and the Spark local[2] run on ``--spark-gazette`` marks (a smaller gazette: Spark's start, Parquet
hand-over and Python workers cost minutes on a shared 2-core machine) with its agreement with DuckDB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from tm_search import GoodsModel, _latin_words, _variant, make_register, real_marks  # noqa: E402


def make_gazette(register, n: int, seed: int = 29) -> list[dict]:
    rnd = random.Random(seed)
    han, latin = real_marks()
    words = _latin_words(latin)
    goods = GoodsModel()
    out = []
    for k in range(n):
        if k % 2:
            mark = _variant(rnd.choice(register).mark, rnd)
        elif k % 4 == 0:
            mark = rnd.choice(han)[:2] + rnd.choice(han)[-2:]
        else:
            mark = f"{rnd.choice(words)} {rnd.choice(words)}"
        cls, grp, _status, _day = goods.draw(rnd)
        day = dt.date(2026, 1, 5) + dt.timedelta(days=rnd.randrange(60))
        out.append(
            {
                "number": f"G{k:06d}",
                "mark": mark,
                "nice_classes": ";".join(map(str, cls)),
                "groups": ";".join(grp),
                "goods": "",
                "applicant": "",
                "filing_date": day.isoformat(),
                "status": "preliminarily-approved",
            }
        )
    return out


def judge_only(idx, gazette: list[dict], n: int, dump: Path | None) -> dict:  # noqa: ANN001
    """The judging stage of ``run_gazette`` alone, in this process: keys and the DuckDB join for the whole
    gazette, then ``_judge_one`` timed over ``n`` marks after 20 others. On a machine whose speed drifts, two
    versions are best compared by running this for each at the same time, one per core (``taskset``), then
    swapped; ``--judge-dump`` files of two versions compare equal when their results are identical."""
    from ipoffice.trademarks.batch import _duckdb_candidates, _judge_one, _probes, frozen_heap, gazette_query

    queries = [(g, gazette_query(r)) for g, r in enumerate(gazette)]
    probes = _probes(queries, 1)
    strong: dict[int, list[tuple[int, int]]] = {}
    for gid, sid, row in _duckdb_candidates(idx, queries, 1, probes):
        strong.setdefault(int(gid), []).append((int(sid), int(row)))
    for seg in idx.segments:  # as run_gazette makes them before its workers fork
        seg.prepare_goods(len(idx.groups))
        if seg.fast_postings:
            seg.key_buckets()
    warm, timed = queries[-20:], queries[:n]
    out = {}
    with frozen_heap():  # as run_gazette's judging workers run
        for g, q in warm:
            _judge_one(idx, q, strong.get(g, []), None, probes[g])
        t0, c0 = time.perf_counter(), time.process_time()
        for g, q in timed:
            out[g] = _judge_one(idx, q, strong.get(g, []), None, probes[g])
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if dump:
        with dump.open("w", encoding="utf-8") as fh:
            for g in sorted(out):
                fh.write(json.dumps(out[g], ensure_ascii=False, sort_keys=True) + "\n")
    return {
        "judged": len(timed),
        "judge_ms_per_mark": round(1000 * wall / len(timed), 1),
        "judge_cpu_ms_per_mark": round(1000 * cpu / len(timed), 1),
        "hits": sum(len(r["results"]) for r in out.values()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--marks", type=int, default=1_000_000)
    ap.add_argument("--gazette", type=int, default=100_000)
    ap.add_argument("--index", type=Path)
    ap.add_argument("--spark-gazette", type=int, default=2000)
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--judge-only",
        type=int,
        default=0,
        metavar="N",
        help="time the judging alone, in one process: N gazette marks after 20 warm-up marks (no full run)",
    )
    ap.add_argument("--judge-dump", type=Path, help="with --judge-only: write the N results as JSON lines")
    args = ap.parse_args()

    from ipoffice.trademarks import index as tmi
    from ipoffice.trademarks.batch import run_gazette

    register = make_register(args.marks)
    tmp = tempfile.TemporaryDirectory(prefix="tm-batch-")
    root = args.index or Path(tmp.name) / "index"
    meta = tmi.read_meta(root)
    if not meta or meta.get("marks") != len(register):
        print(f"building the index of {len(register):,} marks in {root} ...")
        meta = tmi.build_from_rows(root, register)
    idx = tmi.TrademarkIndex.open(root)
    gazette = make_gazette(register, args.gazette)
    del register
    figures: dict = {"marks": meta["marks"], "gazette": len(gazette)}
    if args.judge_only:
        figures |= judge_only(idx, gazette, args.judge_only, args.judge_dump)
        print(json.dumps(figures, indent=1))
        tmp.cleanup()
        return
    t = {}
    t0 = time.perf_counter()
    duck = run_gazette(idx, gazette, "duckdb", workers=2, timings=t)
    figures["duckdb_s"] = round(time.perf_counter() - t0, 1)
    figures["duckdb_stages"] = t
    figures["hits"] = sum(len(r["results"]) for r in duck)
    figures["marks_with_hits"] = sum(1 for r in duck if r["results"])
    figures["rejected"] = sum(1 for r in duck if r.get("error"))
    print(json.dumps(figures, indent=1), flush=True)
    if args.spark_gazette:
        from ipoffice.trademarks.batch import local_spark

        small = gazette[: args.spark_gazette]
        t0 = time.perf_counter()
        spark = local_spark(cores=2)
        figures["spark_start_s"] = round(time.perf_counter() - t0, 1)
        ts: dict = {}
        t0 = time.perf_counter()
        sp = run_gazette(idx, small, "spark", spark=spark, timings=ts)
        figures["spark_gazette"] = len(small)
        figures["spark_s"] = round(time.perf_counter() - t0, 1)
        figures["spark_stages"] = ts
        spark.stop()
        figures["spark_equals_duckdb"] = all(
            a["results"] == b["results"] for a, b in zip(sp, duck[: len(small)], strict=True)
        )
    print(json.dumps(figures, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    tmp.cleanup()


if __name__ == "__main__":
    main()
