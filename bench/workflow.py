"""Workflow benchmark: allocation, worklist queries at a million open cases, and the simulator at scale.

Every case, examiner, party and deadline here is SYNTHETIC (generated with a fixed seed); only the
IPC main groups are real (IPC 2026.01, from the scheme data bundled in `core/schemes_data`).

    .venv/bin/python bench/workflow.py [--cases 1000000] [--alloc-cases 10000] [--alloc-examiners 500]
                                       [--sim-arrivals 1600000] [--no-naive] [--out bench/out/workflow.json]

PostgreSQL runs when IPOFFICE_BENCH_PG_URL is set (a schema of its own is created and dropped).

1. allocation: `allocate()` of 10,000 new cases over ~500 examiners (fields, languages, skills,
   conflicts, weekly capacity), one transaction; target <= 60 s on SQLite.
2. worklist: 1,000,000 open cases (5,000 examiners, ~200 open cases each) and ~1.5M deadlines,
   bulk-loaded with Core executemany; p50/p95 of (a) an examiner's open cases with their next open
   deadline, (b) the office-wide first page of deadlines due within 30 days and (c) their count, and
   (d) an examiner's deadlines due within 30 days; target p95 <= 100 ms. Measured with the schema's
   indexes, then again after adding the candidate indexes `case_deadlines (case_id, status, deadline)`
   and `case_deadlines (status, deadline, id)`.
3. simulator: a year at 1.6M arrivals with the pooled-server model (`workflow.simulate`), and, for
   the record, a naive process-per-application simpy model against the pooled one at 1/10 scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import gzip
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import (  # noqa: E402
    Index,
    and_,
    bindparam,
    create_engine,
    func,
    insert,
    nulls_last,
    select,
    text,
    true,
)

from ipoffice.core import tables as t  # noqa: E402
from ipoffice.core.roles import Actor, Role  # noqa: E402
from ipoffice.core.store import Store, open_store  # noqa: E402

TODAY = dt.date(2026, 11, 26)
SUPERVISOR = Actor("bench-supervisor", Role.ADMINISTRATOR)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def real_main_groups() -> list[str]:
    path = ROOT / "src" / "ipoffice" / "core" / "schemes_data" / "ipc-2026.01.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [line.split("\t", 1)[0] for line in fh if "\tmain-group\t" in line]


# ---------------------------------------------------------------- stores


def sqlite_store(work: Path, name: str) -> Store:
    return open_store(work / name, url=f"sqlite:///{work / name / 'bench.sqlite'}")


def pg_store(base_url: str, schema: str) -> Store:
    eng = create_engine(base_url)
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng.dispose()
    sep = "&" if "?" in base_url else "?"
    return open_store(Path(tempfile.gettempdir()), url=f"{base_url}{sep}options=-csearch_path%3D{schema}")


def drop_pg(base_url: str, schema: str) -> None:
    eng = create_engine(base_url)
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    eng.dispose()


def analyze(store: Store) -> None:
    if store.dialect == "sqlite":
        with store.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE cases"))
            conn.execute(text("VACUUM ANALYZE case_deadlines"))


# ---------------------------------------------------------------- 1. allocation


def load_allocation_data(store: Store, n_cases: int, n_examiners: int, seed: int = 11) -> dict[str, Any]:
    """~500 examiners covering ~300 real subclasses; 10k new cases in those fields (2% outside)."""
    rng = random.Random(seed)
    groups = real_main_groups()
    by_sub: dict[str, list[str]] = {}
    for g in groups:
        by_sub.setdefault(g.split(" ")[0], []).append(g)
    subs = sorted(by_sub)
    covered = rng.sample(subs, max(10, min(300, n_examiners * 3 // 5)))
    uncovered = [s for s in subs if s not in set(covered)]
    from ipoffice.workflow.allocation import divisions

    dmap = divisions()
    parties = [
        {
            "party_key": f"o|bench applicant {i}",
            "norm_name": f"bench applicant {i}",
            "name": f"Bench Applicant {i}",
            "kind": "organization",
            "country": "CN",
            "identifiers": {},
            "created_at": t.utcnow(),
        }
        for i in range(2000)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(t.Party.__table__), parties)
        party_ids = [r[0] for r in conn.execute(select(t.Party.id).order_by(t.Party.id))]
        exs = []
        for i in range(n_examiners):
            # every covered subclass gets examiners in turn, plus one to three more at random
            own = list(dict.fromkeys([covered[i % len(covered)], *rng.sample(covered, rng.randint(1, 3))]))
            prefixes = own + [rng.choice(by_sub[own[0]])] if rng.random() < 0.3 else own
            exs.append(
                {
                    "code": f"EX{i:04d}",
                    "name": f"Examiner {i}",
                    "division": dmap.division_for("invention", own[0]) or "mechanical",
                    "rights": ["invention"],
                    "ipc_prefixes": prefixes,
                    "languages": ["zh"]
                    + (["en"] if rng.random() < 0.25 else [])
                    + (["ja"] if rng.random() < 0.05 else []),
                    "skills": (["green-channel"] if rng.random() < 0.1 else [])
                    + (["prioritised"] if rng.random() < 0.2 else []),
                    "capacity_per_week": rng.randint(25, 40),
                    "role": "examiner",
                    "active": True,
                }
            )
        conn.execute(insert(t.Examiner.__table__), exs)
        ex_ids = [r[0] for r in conn.execute(select(t.Examiner.id))]
        conflicts = [
            {
                "examiner_id": rng.choice(ex_ids),
                "party_id": party_ids[min(int(rng.paretovariate(1.2)) - 1, 199)],
                "reason": "synthetic",
                "declared_at": t.utcnow(),
            }
            for _ in range(300)
        ]
        conn.execute(insert(t.ExaminerConflict.__table__), conflicts)
        cases = []
        for i in range(n_cases):
            sub = rng.choice(uncovered) if rng.random() < 0.02 else rng.choice(covered)
            r = rng.random()
            track = "green-channel" if r < 0.03 else "prioritised" if r < 0.08 else "normal"
            lang = rng.choices(["zh", "en", "ja"], [90, 8, 2])[0]
            cases.append(
                {
                    "case_no": f"BENCH{i:07d}",
                    "right": "invention",
                    "procedure": "invention-examination",
                    "procedure_version": "2024",
                    "state": "awaiting-examination",
                    "track": track,
                    "language": lang,
                    "ipc_main": rng.choice(by_sub[sub]),
                    "ipc_source": "office" if rng.random() < 0.9 else "suggested",
                    "filing_date": TODAY - dt.timedelta(days=rng.randint(30, 900)),
                    "applicant_party_id": party_ids[min(int(rng.paretovariate(1.1)) - 1, len(party_ids) - 1)],
                    "is_open": True,
                    "row_version": 1,
                    "created_at": t.utcnow(),
                    "updated_at": t.utcnow(),
                }
            )
        conn.execute(insert(t.Case.__table__), cases)
    return {"examiners": n_examiners, "cases": n_cases, "conflicts": len(conflicts)}


def bench_allocation(store: Store, n_cases: int, n_examiners: int) -> dict[str, Any]:
    from ipoffice.workflow.allocation import allocate

    t0 = time.perf_counter()
    info = load_allocation_data(store, n_cases, n_examiners)
    load_s = time.perf_counter() - t0
    with store.session() as s:
        t0 = time.perf_counter()
        rep = allocate(s, SUPERVISOR, now=dt.datetime(2026, 11, 23, 9))
        secs = time.perf_counter() - t0
        n_assign = s.scalar(select(func.count()).select_from(t.CaseAssignment))
    reasons: dict[str, int] = {}
    for u in rep.unassigned:
        reasons[u["rule"]] = reasons.get(u["rule"], 0) + 1
    loads = {}
    for r in rep.assigned:
        loads[r["examiner"]] = loads.get(r["examiner"], 0) + 1
    return {
        **info,
        "backend": store.dialect,
        "load_seconds": round(load_s, 2),
        "allocate_seconds": round(secs, 2),
        "cases_per_second": round(n_cases / secs, 1),
        "assigned": len(rep.assigned),
        "unassigned": len(rep.unassigned),
        "assignment_rows": n_assign,
        "unassigned_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        "examiners_used": len(loads),
        "max_per_examiner": max(loads.values()) if loads else 0,
        "target_seconds": 60,
    }


# ---------------------------------------------------------------- 2. worklist


def load_worklist_data(store: Store, n_cases: int, n_examiners: int = 5000, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    groups = real_main_groups()
    states = ["awaiting-examination", "substantive-examination", "awaiting-response", "response-received"]
    t0 = time.perf_counter()
    with store.engine.begin() as conn:
        conn.execute(
            insert(t.Examiner.__table__),
            [
                {
                    "code": f"W{i:05d}",
                    "name": f"W{i}",
                    "division": "electrical",
                    "rights": ["invention"],
                    "ipc_prefixes": ["G"],
                    "languages": ["zh"],
                    "skills": [],
                    "capacity_per_week": 10,
                    "role": "examiner",
                    "active": True,
                }
                for i in range(n_examiners)
            ],
        )
        ex_ids = [r[0] for r in conn.execute(select(t.Examiner.id))]
    chunk = 50_000
    n_deadlines = 0
    now = t.utcnow()
    for start in range(0, n_cases, chunk):
        rows = []
        for i in range(start, min(start + chunk, n_cases)):
            rows.append(
                {
                    "id": i + 1,
                    "case_no": f"W{i:08d}",
                    "right": "invention",
                    "procedure": "invention-examination",
                    "procedure_version": "2024",
                    "state": rng.choice(states),
                    "track": "normal",
                    "language": "zh",
                    "ipc_main": rng.choice(groups),
                    "ipc_source": "office",
                    "filing_date": TODAY - dt.timedelta(days=rng.randint(30, 1400)),
                    "examiner_id": rng.choice(ex_ids),
                    "division": "electrical",
                    "is_open": True,
                    "row_version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        dls = []
        for r in rows:
            for _k in range(rng.choice((1, 1, 2, 2, 2))):
                dls.append(
                    {
                        "case_id": r["id"],
                        "kind": rng.choice(("response-to-office-action", "examination-request", "fee")),
                        "party": rng.choice(("applicant", "office")),
                        "trigger_event": "office-action",
                        "trigger_date": TODAY - dt.timedelta(days=rng.randint(0, 120)),
                        "deadline": TODAY + dt.timedelta(days=rng.randint(-60, 300)),
                        "legal_basis": "synthetic",
                        "status": "open" if rng.random() < 0.8 else "met",
                    }
                )
        with store.engine.begin() as conn:
            conn.execute(insert(t.Case.__table__), rows)
            conn.execute(insert(t.CaseDeadline.__table__), dls)
        n_deadlines += len(dls)
        if start % 200_000 == 0:
            log(f"  {store.dialect}: {start + len(rows):,} cases loaded ({time.perf_counter() - t0:.0f}s)")
    load_s = time.perf_counter() - t0
    if store.dialect == "postgresql":
        with store.engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT max(id) FROM cases))"))
    t0 = time.perf_counter()
    analyze(store)
    return {
        "cases": n_cases,
        "deadlines": n_deadlines,
        "examiners": n_examiners,
        "load_seconds": round(load_s, 1),
        "rows_per_second": round((n_cases + n_deadlines) / load_s),
        "analyze_seconds": round(time.perf_counter() - t0, 1),
    }


def worklist_queries() -> dict[str, Any]:
    c, d = t.Case.__table__, t.CaseDeadline.__table__
    lo, hi = bindparam("lo", type_=t.CaseDeadline.deadline.type), bindparam("hi", type_=t.CaseDeadline.deadline.type)
    nd = func.min(d.c.deadline).label("next_deadline")
    return {
        "examiner_worklist": select(c.c.id, c.c.case_no, c.c.state, c.c.track, c.c.filing_date, nd)
        .select_from(c.outerjoin(d, and_(d.c.case_id == c.c.id, d.c.status == "open")))
        .where(c.c.examiner_id == bindparam("e"), c.c.is_open == true())
        .group_by(c.c.id, c.c.case_no, c.c.state, c.c.track, c.c.filing_date)
        .order_by(nulls_last(nd.asc()), c.c.id),
        "due_30d_first_page": select(d.c.id, d.c.case_id, c.c.case_no, d.c.kind, d.c.deadline, c.c.examiner_id)
        .join(c, c.c.id == d.c.case_id)
        .where(d.c.status == "open", d.c.deadline.between(lo, hi))
        .order_by(d.c.deadline, d.c.id)
        .limit(100),
        "due_30d_count": select(func.count()).select_from(d).where(d.c.status == "open", d.c.deadline.between(lo, hi)),
        "examiner_due_30d": select(d.c.id, c.c.case_no, d.c.kind, d.c.deadline)
        .join(c, c.c.id == d.c.case_id)
        .where(
            c.c.examiner_id == bindparam("e"),
            c.c.is_open == true(),
            d.c.status == "open",
            d.c.deadline.between(lo, hi),
        )
        .order_by(d.c.deadline),
    }


def time_queries(store: Store, n: int, seed: int = 3) -> dict[str, Any]:
    rng = random.Random(seed)
    with store.engine.connect() as conn:
        ex_ids = [r[0] for r in conn.execute(select(t.Examiner.id).where(t.Examiner.code.like("W%")))]
        out: dict[str, Any] = {}
        for name, q in worklist_queries().items():
            names = set(q.compile().params)
            times, rows = [], []
            for i in range(n + 5):
                day = TODAY + dt.timedelta(days=rng.randint(0, 30))
                params = {"e": rng.choice(ex_ids), "lo": day, "hi": day + dt.timedelta(days=30)}
                params = {k: v for k, v in params.items() if k in names}
                t0 = time.perf_counter()
                res = conn.execute(q, params).fetchall()
                el = (time.perf_counter() - t0) * 1000
                if i >= 5:  # the first five warm the cache
                    times.append(el)
                    rows.append(res[0][0] if name == "due_30d_count" else len(res))
            times.sort()
            out[name] = {
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(times[int(0.95 * len(times)) - 1], 2),
                "max_ms": round(times[-1], 2),
                "mean_rows": round(sum(rows) / len(rows), 1),
                "runs": len(times),
            }
    return out


CANDIDATE_INDEXES = [
    # per-case next open deadline without touching the table (worklist, an examiner's due deadlines)
    Index("ix_deadline_case_open", t.CaseDeadline.case_id, t.CaseDeadline.status, t.CaseDeadline.deadline),
    # office-wide due list in (deadline, id) order straight from the index: PostgreSQL otherwise sorts
    # every deadline of the first day to break ties by id (SQLite's index carries the rowid already)
    Index("ix_deadline_due_id", t.CaseDeadline.status, t.CaseDeadline.deadline, t.CaseDeadline.id),
]


def bench_worklist(store: Store, n_cases: int, n_queries: int) -> dict[str, Any]:
    log(f"worklist on {store.dialect}: loading {n_cases:,} synthetic open cases ...")
    info = load_worklist_data(store, n_cases)
    info["backend"] = store.dialect
    info["queries_schema_indexes"] = time_queries(store, n_queries)
    t0 = time.perf_counter()
    for ix in CANDIDATE_INDEXES:
        ix.create(store.engine)
    analyze(store)
    info["candidate_indexes"] = ["case_deadlines (case_id, status, deadline)", "case_deadlines (status, deadline, id)"]
    info["candidate_indexes_build_seconds"] = round(time.perf_counter() - t0, 1)
    info["queries_with_candidate_index"] = time_queries(store, n_queries)
    info["target_p95_ms"] = 100
    from ipoffice.workflow.pendency import pendency

    with store.session() as s:
        for by in ("right", "field"):
            t0 = time.perf_counter()
            fig = pendency(s, by, today=TODAY)
            info[f"pendency_by_{by}_seconds"] = round(time.perf_counter() - t0, 2)
            info[f"pendency_by_{by}_groups"] = len(fig["results"])
    return info


# ---------------------------------------------------------------- 3. simulator


def naive_simulation(arrivals_per_year: float, examiners: int, days: float, seed: int) -> dict[str, Any]:
    """The textbook simpy model: one process per application, examiners as a simpy.Resource."""
    import simpy

    from ipoffice.workflow.simulate import poisson

    rng = random.Random(seed)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=examiners)
    s1, s2, s3 = 1.2, 0.48, 0.3
    tfa: list[float] = []

    def application(env, born):  # noqa: ANN001, ANN202
        with pool.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1 / s1))
        tfa.append(env.now - born)
        rounds = 0
        while True:
            yield env.timeout(120)
            if rounds < 3 and rng.random() < 0.5:
                rounds += 1
                with pool.request() as req:
                    yield req
                    yield env.timeout(rng.expovariate(1 / s2))
            else:
                with pool.request() as req:
                    yield req
                    yield env.timeout(rng.expovariate(1 / s3))
                return

    def source(env):  # noqa: ANN001, ANN202
        per_day = arrivals_per_year / 365
        while True:
            for _ in range(poisson(rng, per_day)):
                env.process(application(env, env.now))
            yield env.timeout(1)

    env.process(source(env))
    t0 = time.perf_counter()
    gc.disable()  # as simulate() does, for a fair comparison
    try:
        env.run(until=days)
    finally:
        gc.enable()
    return {"seconds": round(time.perf_counter() - t0, 2), "first_actions": len(tfa)}


def bench_simulator(arrivals: float, naive: bool) -> dict[str, Any]:
    from ipoffice.workflow.simulate import Dist, cnipa_scale, simulate

    out: dict[str, Any] = {}
    log(f"simulator: a year at {arrivals:,.0f} arrivals ...")
    res = simulate(cnipa_scale(arrivals_per_year=arrivals, examiners=int(10_000 * arrivals / 1_600_000)))
    out["pooled_full_scale"] = {
        "arrivals": res.arrivals,
        "examiners": res.config["examiners"],
        "events": res.events,
        "seconds": res.seconds,
        "offered_load": res.offered_load,
        "utilisation": round(res.utilisation, 3),
        "time_to_first_action": res.time_to_first_action,
        "time_to_decision": res.time_to_decision,
        "open_at_end": res.open_at_end,
    }
    # a stressed office: 1.6M a year, 8,000 examiners (offered load > 1), 500k already waiting
    res = simulate(
        cnipa_scale(arrivals_per_year=arrivals, examiners=int(8_000 * arrivals / 1_600_000), initial_backlog=500_000)
    )
    out["pooled_full_scale_overloaded"] = {
        "examiners": res.config["examiners"],
        "initial_backlog": 500_000,
        "seconds": res.seconds,
        "offered_load": res.offered_load,
        "time_to_first_action": res.time_to_first_action,
        "queue_at_end": res.open_at_end["queued"],
    }
    if naive:
        tenth = arrivals / 10
        log("simulator: naive process-per-application model vs pooled, at 1/10 scale ...")
        nv = naive_simulation(tenth, 1000, 365, seed=1)
        cfg = cnipa_scale(arrivals_per_year=tenth, examiners=1000)
        cfg.service = {k: Dist(v.mean) for k, v in cfg.service.items()}  # exponential, as the naive model
        pooled = simulate(cfg)
        out["tenth_scale"] = {
            "arrivals_per_year": tenth,
            "examiners": 1000,
            "naive_seconds": nv["seconds"],
            "pooled_seconds": pooled.seconds,
            "speedup": round(nv["seconds"] / max(pooled.seconds, 1e-9), 1),
            "naive_extrapolated_full_scale_seconds": round(nv["seconds"] * 10, 0),
        }
    return out


# ---------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--alloc-cases", type=int, default=10_000)
    ap.add_argument("--alloc-examiners", type=int, default=500)
    ap.add_argument("--sim-arrivals", type=float, default=1_600_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "workflow.json")
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    started = time.perf_counter()
    pg_url = os.environ.get("IPOFFICE_BENCH_PG_URL")
    work = Path(tempfile.mkdtemp(dir=args.tmp, prefix="ipoffice-wf-bench-"))
    result: dict[str, Any] = {
        "machine": platform.platform(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "synthetic": "cases, examiners, parties and deadlines are synthetic (fixed seeds); IPC main groups are real",
    }
    schema = f"bench_wf_{os.getpid()}"
    try:
        log("allocation on SQLite ...")
        result["allocation"] = [bench_allocation(sqlite_store(work, "alloc"), args.alloc_cases, args.alloc_examiners)]
        if pg_url:
            log("allocation on PostgreSQL ...")
            result["allocation"].append(
                bench_allocation(pg_store(pg_url, schema + "_a"), args.alloc_cases, args.alloc_examiners)
            )
            drop_pg(pg_url, schema + "_a")
        result["worklist"] = [bench_worklist(sqlite_store(work, "worklist"), args.cases, args.queries)]
        if pg_url:
            result["worklist"].append(bench_worklist(pg_store(pg_url, schema), args.cases, args.queries))
            drop_pg(pg_url, schema)
        result["simulator"] = bench_simulator(args.sim_arrivals, naive=not args.no_naive)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print_table(result)
    print(f"\nJSON: {args.out}  (total {result['total_seconds']}s)")


def print_table(r: dict[str, Any]) -> None:
    print(f"machine: {r['machine']}, {r['cores']} cores, Python {r['python']}; data: {r['synthetic']}")
    print("\nallocation (target <= 60 s)")
    for a in r["allocation"]:
        print(
            f"  {a['backend']:<10} {a['cases']:,} cases / {a['examiners']} examiners: {a['allocate_seconds']:>6.2f} s "
            f"({a['cases_per_second']:,.0f}/s), assigned {a['assigned']:,}, unassigned {a['unassigned']:,} "
            f"{a['unassigned_reasons']}"
        )
    print("\nworklist queries, ms (target p95 <= 100)")
    print(f"  {'backend':<10} {'query':<20} {'p50':>8} {'p95':>8} {'rows':>8} | {'p50+ix':>8} {'p95+ix':>8}")
    for w in r["worklist"]:
        print(
            f"  {w['backend']}: {w['cases']:,} cases, {w['deadlines']:,} deadlines loaded in {w['load_seconds']} s "
            f"({w['rows_per_second']:,} rows/s); pendency over all cases: by right {w['pendency_by_right_seconds']} s,"
            f" by field {w['pendency_by_field_seconds']} s"
        )
        for name, q in w["queries_schema_indexes"].items():
            q2 = w["queries_with_candidate_index"][name]
            print(
                f"  {w['backend']:<10} {name:<20} {q['p50_ms']:>8} {q['p95_ms']:>8} {q['mean_rows']:>8} | "
                f"{q2['p50_ms']:>8} {q2['p95_ms']:>8}"
            )
    s = r["simulator"]
    p = s["pooled_full_scale"]
    print("\nsimulator (target <= 300 s for a year at CNIPA scale)")
    print(
        f"  pooled model: {p['arrivals']:,} arrivals, {p['examiners']:,} examiners, {p['events']:,} events in "
        f"{p['seconds']} s; load {p['offered_load']}; first action mean {p['time_to_first_action'].get('mean_days')} d,"
        f" decision p50 {p['time_to_decision'].get('p50_months')} mo"
    )
    o = s["pooled_full_scale_overloaded"]
    print(
        f"  overloaded ({o['examiners']:,} examiners, 500k backlog): {o['seconds']} s; first action p50 "
        f"{o['time_to_first_action'].get('p50_months')} mo, p90 {o['time_to_first_action'].get('p90_months')} mo, "
        f"queue at end {o['queue_at_end']:,}"
    )
    if "tenth_scale" in s:
        n = s["tenth_scale"]
        print(
            f"  1/10 scale: naive process-per-application {n['naive_seconds']} s vs pooled {n['pooled_seconds']} s "
            f"(x{n['speedup']}); naive at full scale ~{n['naive_extrapolated_full_scale_seconds']:.0f} s"
        )


if __name__ == "__main__":
    main()
