"""Trademark conflict search at scale: online search latency against a 1M-mark register, with goods filters.

    .venv/bin/python bench/tm_search.py [--marks 1000000] [--queries 300] [--check 0] [--keep DIR] [--profile N]
                                        [--warm N]
                                        [--json bench/out/tm_search.json]

The register is built from real marks (../shared/data/trademarks, see SOURCES.md): the Chinese brand and
company short-name lexicon (cn/brand-lexicon-company-shortforms, 267k), A-share short names, famous-brand
lists, EUIPO verbal elements, DPMAregister marks and consumer brand names are taken as they are; the rest of
the million is made by recombining real mark words (the first two characters of one Chinese mark with the
last two of another, two Latin words of different marks, a Chinese mark with a Latin word): real words,
invented combinations. Goods follow real distributions: Nice classes and the number of classes and of
similar groups per mark from the KIPRIS register sample (the only real register here with similar-group
codes; its Korean group counts), the group codes themselves drawn from the class's 类似群 in CNIPA's table
(uniformly: no real per-group frequencies are published), statuses from KIPRIS (registered / lapsed /
refused), filing dates from the EUIPO sample's years.

Queries: a few hundred marks, a third Chinese, a third Latin, a third mixed, half of them real marks of the
register with one character or letter changed, each with a goods filter (one Nice class, or two groups).
Latency is measured through ``conflict_search`` (validation, key look-up, goods filter, ``compare`` of each
candidate, ranking) after one warm-up query; index build time and size are reported. ``--check N`` also
runs the exhaustive search for N queries against the marks on their goods and reports any hit the index missed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SHARED = ROOT.parent / "shared" / "data" / "trademarks"

from ipoffice.trademarks.index import RegisterMark  # noqa: E402

_HAN = range(0x4E00, 0xA000)


def _is_han(s: str) -> bool:
    return bool(s) and all(ord(c) in _HAN for c in s)


def real_marks(shared: Path = SHARED) -> tuple[list[str], list[str]]:
    """(Chinese marks, Latin marks) from the real files, deduplicated, in a stable order."""
    han: dict[str, None] = {}
    latin: dict[str, None] = {}
    with gzip.open(shared / "cn/brand-lexicon-company-shortforms/Company-Shorter-Form_28W.txt.gz", "rt") as fh:
        for line in fh:
            w = line.strip().lstrip("\ufeff")
            if 2 <= len(w) <= 8 and _is_han(w):
                han[w] = None
    with gzip.open(shared / "cn/listed-companies-a-share/Astock.csv.gz", "rt", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            name = r["name"].replace("*ST", "").replace("ST", "").strip()
            if _is_han(name):
                han[name] = None
    for b in json.loads((shared / "famous-marks/brand7_cn_en_brands.json").read_text(encoding="utf-8")):
        (han if _is_han(b["Name"]) else latin)[b["Name"]] = None
        if b["PlusName"] and b["PlusName"] != "-":
            latin[b["PlusName"]] = None
    with gzip.open(shared / "euipo-trademarks2020/Trademark2020_validation.json.gz", "rt", encoding="utf-8") as fh:
        for v in json.load(fh).values():
            t = (v.get("Text") or "").strip()
            if 2 <= len(t) <= 40 and t.isascii() and any(c.isalpha() for c in t):
                latin[t] = None
    raw = gzip.open(shared / "dpmaregister-export/trademarks.csv.gz").read().decode("utf-8-sig")
    for r in csv.reader(io.StringIO(raw), delimiter=";"):
        if len(r) >= 3 and r[2] and r[2] != "Markendarstellung" and r[2].isascii() and len(r[2]) <= 40:
            latin[r[2].strip()] = None
    with open(shared / "famous-marks/brand_names_list.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            latin[r["Name"].strip()] = None
    return [m for m in han if m], [m for m in latin if m]


class GoodsModel:
    """Real distributions of classes, classes per mark, groups per mark and status (KIPRIS sample)."""

    def __init__(self, shared: Path = SHARED):
        from ipoffice.core import schemes

        recs = json.loads(gzip.open(shared / "kipris-sample/trademark_sample.json.gz").read())
        self.classes: list[int] = []
        self.n_classes: list[int] = []
        self.n_groups: list[int] = []
        for r in recs:
            cls = [int(c) for c in r.get("asignProductMainCodeList") or [] if len(c) == 2 and 1 <= int(c) <= 45]
            if not cls:
                continue
            self.classes += cls
            self.n_classes.append(len(cls))
            self.n_groups.append(max(1, len(r.get("asignProductSubCodeList") or [])))
        status_map = {"등록": "registered", "실효": "expired", "거절": "refused", "출원": "pending"}
        self.status = [status_map[r["registerStatus"]] for r in recs if r.get("registerStatus") in status_map]
        self.status += ["pending"] * (len(self.status) // 10)  # this year's filings, not in a 1963-2009 sample
        self.groups: dict[int, list[str]] = {}
        for row in schemes.iter_scheme_rows("cn-group"):
            self.groups.setdefault(int(row["parent"]), []).append(row["symbol"])
        with gzip.open(shared / "euipo-trademarks2020/Trademark2020_validation.json.gz", "rt", encoding="utf-8") as fh:
            self.years = [int(v["Date"][:4]) for v in json.load(fh).values() if v.get("Date")]

    def draw(self, rnd: random.Random) -> tuple[tuple[int, ...], tuple[str, ...], str, dt.date]:
        k = rnd.choice(self.n_classes)
        cls: set[int] = set()
        while len(cls) < k:
            cls.add(rnd.choice(self.classes))
        ng = min(rnd.choice(self.n_groups), 6)
        groups: set[str] = set()
        for _ in range(ng):
            c = rnd.choice(sorted(cls))
            if self.groups.get(c):
                groups.add(rnd.choice(self.groups[c]))
        year = rnd.choice(self.years) + 5  # the EUIPO sample ends in 2020: shift to end in 2025
        day = dt.date(year, 1, 1) + dt.timedelta(days=rnd.randrange(365))
        return tuple(sorted(cls)), tuple(sorted(groups)), rnd.choice(self.status), day


def _latin_words(latin: list[str]) -> list[str]:
    words = {w.strip(".,'&-!").upper() for m in latin for w in m.split()}
    return sorted(w for w in words if len(w) >= 3 and w.isalpha())


def make_register(n: int, seed: int = 5, shared: Path = SHARED) -> list[RegisterMark]:
    """``n`` marks: every real mark once, then recombinations of real mark words (see the module docstring)."""
    rnd = random.Random(seed)
    han, latin = real_marks(shared)
    goods = GoodsModel(shared)
    words = _latin_words(latin)
    real = han + latin
    take = min(len(real), int(n * 0.7))  # at least 30% recombined, so small registers have mixed marks too
    texts: list[str] = real if take >= len(real) else rnd.sample(real, take)
    seen = set(texts)
    heads = [h[:2] for h in han]
    tails = [h[-2:] for h in han if len(h) >= 3]
    while len(texts) < n:
        r = rnd.random()
        if r < 0.5:
            t = rnd.choice(heads) + rnd.choice(tails)
        elif r < 0.85:
            t = f"{rnd.choice(words)} {rnd.choice(words)}"
        else:
            t = rnd.choice(han) + " " + rnd.choice(words)
        if t not in seen:
            seen.add(t)
            texts.append(t)
    rnd.shuffle(texts)
    out = []
    for i, t in enumerate(texts, 1):
        cls, grp, status, day = goods.draw(rnd)
        out.append(RegisterMark(i, f"R{i:07d}", t, status, day, cls, grp))
    return out


def _variant(mark: str, rnd: random.Random) -> str:
    """One character or letter changed, as an applicant near an earlier mark would file."""
    chars = list(mark)
    idx = [i for i, c in enumerate(chars) if c.isalnum()]
    if not idx:
        return mark
    i = rnd.choice(idx[1:] or idx)
    c = chars[i]
    if _is_han(c):
        chars[i] = chr(rnd.randrange(0x4E00, 0x9FA5))
    else:
        chars[i] = rnd.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ")
    return "".join(chars)


def make_queries(register: list[RegisterMark], k: int, seed: int = 11) -> list[dict]:
    """Query marks with goods filters: Chinese, Latin and mixed thirds, half of them near a register mark."""
    rnd = random.Random(seed)
    kinds: dict[str, list[RegisterMark]] = {"han": [], "latin": [], "mixed": []}
    for r in register[:200000]:
        has_han = any(_is_han(c) for c in r.mark)
        has_lat = any(c.isascii() and c.isalpha() for c in r.mark)
        kinds["mixed" if has_han and has_lat else "han" if has_han else "latin"].append(r)
    out = []
    for i in range(k):
        kind = ("han", "latin", "mixed")[i % 3]
        base = rnd.choice(kinds[kind])
        mark = _variant(base.mark, rnd) if i % 2 else base.mark
        if i % 4 < 2 and base.groups:
            q = {"mark": mark, "kind": kind, "classes": set(), "groups": set(base.groups[:2])}
        else:
            q = {"mark": mark, "kind": kind, "classes": {base.classes[0]}, "groups": set()}
        out.append(q)
    return out


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--marks", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--check", type=int, default=0, help="queries also run exhaustively (recall check)")
    ap.add_argument(
        "--warm",
        type=int,
        default=0,
        help="other queries run first, untimed (a server that has been answering for a while: goods bitmaps, "
        "page cache and word caches warm)",
    )
    ap.add_argument("--keep", type=Path, help="build the index here and keep it (default: a temp folder)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--profile", type=int, default=0, help="print the N costliest functions of the timed queries")
    args = ap.parse_args()

    from ipoffice.core.roles import SYSTEM
    from ipoffice.core.schemes import load_schemes
    from ipoffice.core.store import open_store
    from ipoffice.trademarks import index as tmi
    from ipoffice.trademarks.search import ConflictQuery, conflict_search, judge, linked_groups, rank

    t0 = time.perf_counter()
    register = make_register(args.marks)
    kinds = Counter(
        "mixed" if any(_is_han(c) for c in r.mark) and any(c.isascii() and c.isalpha() for c in r.mark)
        else "han" if any(_is_han(c) for c in r.mark) else "latin"
        for r in register
    )  # fmt: skip
    print(f"register: {len(register):,} marks ({dict(kinds)}) made in {time.perf_counter() - t0:.1f}s")
    tmp = tempfile.TemporaryDirectory(prefix="tm-bench-")
    root = args.keep or Path(tmp.name) / "index"
    from rich.progress import Progress

    meta = tmi.read_meta(root) if args.keep else None
    if meta and meta.get("marks") == len(register) and meta.get("format") == tmi.FORMAT:
        meta["bytes"] = tmi.index_bytes(root)
        print(f"reusing the index in {root} (same register)")
        t1 = time.perf_counter()
        added = tmi.add_profiles(root)
        if added:  # an index written before it kept transliteration profiles
            print(f"transliteration profiles added for {added:,} marks in {time.perf_counter() - t1:.0f}s")
    else:
        with Progress() as bar:
            task = bar.add_task("index keys", total=len(register))
            meta = tmi.build_from_rows(root, register, progress=lambda k: bar.advance(task, k))
    print(
        f"index: {meta['marks']:,} marks, {meta['postings']:,} postings, {meta['bytes'] / 2**20:.0f} MiB, "
        f"built in {meta['build_seconds']:.0f}s"
    )
    idx = tmi.TrademarkIndex.open(root)
    store = open_store(Path(tmp.name) / "home")
    with store.session() as s:
        load_schemes(s, only={"cn-group"})
        s.commit()
    queries = make_queries(register, args.queries)
    lat: dict[str, list[float]] = {"all": [], "han": [], "latin": [], "mixed": []}
    cands: list[int] = []
    hits_n: list[int] = []
    missed = checked = 0
    with store.session() as s:
        conflict_search(s, SYSTEM, ConflictQuery(mark="蓝月亮", classes={3}), index=idx)  # warm-up: rules, lexicons
        conflict_search(s, SYSTEM, ConflictQuery(mark="蓝月亮", groups={"0306"}), index=idx)  # the goods table
        conflict_search(s, SYSTEM, ConflictQuery(mark="HORSE HOUSE", classes={25}), index=idx)  # English lexicon
        if args.warm:
            t1 = time.perf_counter()
            for qd in make_queries(register, args.warm, seed=12):
                conflict_search(
                    s, SYSTEM, ConflictQuery(mark=qd["mark"], classes=qd["classes"], groups=qd["groups"]), index=idx
                )
            print(f"{args.warm} other queries run first (untimed) in {time.perf_counter() - t1:.0f}s")
        import cProfile

        prof = cProfile.Profile() if args.profile else None
        for qd in queries:
            q = ConflictQuery(mark=qd["mark"], classes=set(qd["classes"]), groups=set(qd["groups"]))
            t1 = time.perf_counter()
            if prof:
                prof.enable()
            res = conflict_search(s, SYSTEM, q, index=idx)
            if prof:
                prof.disable()
            ms = (time.perf_counter() - t1) * 1000
            lat["all"].append(ms)
            lat[qd["kind"]].append(ms)
            hits_n.append(len(res["results"]))
            f = tmi.GoodsFilter(q.classes, q.groups | set(linked_groups(q.groups)), None)
            strong, _weak = idx.split_candidates(tmi.split_probe(q.mark), f, dead=False)
            cands.append(len(strong))
            if checked < args.check:
                checked += 1
                everything = [r for r in register if set(r.classes) & q.classes or set(r.groups) & f.groups]
                full, _ = judge(q, everything)
                got = [h["number"] for h in res["results"]]
                want = [h["number"] for h in rank(full)[: q.top]]
                if want != got:
                    missed += len(set(want) - set(got)) or 1
                    print(f"  DIFFERS for {q.mark}: missed {sorted(set(want) - set(got))[:5]}")
    figures = {
        "marks": len(register),
        "index_postings": meta["postings"],
        "index_mib": round(meta["bytes"] / 2**20, 1),
        "index_build_s": meta["build_seconds"],
        "queries": len(queries),
        "warm_queries": args.warm,
        "p50_ms": round(_pct(lat["all"], 50), 1),
        "p95_ms": round(_pct(lat["all"], 95), 1),
        "max_ms": round(max(lat["all"]), 1),
        "by_kind_p95_ms": {k: round(_pct(v, 95), 1) for k, v in lat.items() if v and k != "all"},
        "strong_candidates_mean": round(sum(cands) / len(cands), 1),
        "strong_candidates_p95": _pct([float(c) for c in cands], 95),
        "hits_mean": round(sum(hits_n) / len(hits_n), 1),
        "checked": checked,
        "missed": missed,
    }
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    if prof:  # the latencies above then include the profiler's overhead (~20 %)
        import pstats

        pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
    store.engine.dispose()
    tmp.cleanup()


if __name__ == "__main__":
    main()
