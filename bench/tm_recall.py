"""Recall@10 of the trademark conflict search when the labelled similar pairs are hidden in a register of real marks.

    .venv/bin/python bench/tm_recall.py [--real 20000] [--groups 40] [--pairs bench/data/tm_pairs.yaml]
                                        [--json bench/out/tm_recall.json]

The register: `--real` real marks (../shared/data/trademarks, see SOURCES.md there), half Chinese (brand words
and company short names, cn/brand-lexicon-company-shortforms, and the listed companies' short names) and half Latin
(verbal elements of EUIPO marks, euipo-trademarks2020; DPMA register marks, dpmaregister-export; consumer brand
names, famous-marks/brand_names_list.csv), drawn with a fixed seed. The real marks carry no Chinese goods, so each
is put in one of `--groups` 类似群 drawn from the similar-goods table (uniformly: ~real/groups marks per group, all
of them candidates for a query on that group). Then for every similar pair of bench/data/tm_pairs.yaml the earlier
mark (`a`) is added in one of those groups, and the conflict search is queried with the later mark (`b`) and the
free-text name of a standard goods item of that group (mapped by `map_goods`, as an applicant's goods would be).
A pair is found at k when the planted earlier mark is among the first k hits.

Printed: recall@1/@10/any rank overall and per expected rule (pairs labelled "famous" apart: no chapter-5 rule can
see them), misses split into "compare() does not call the pair similar" and "similar but ranked below 10", the
query latency, and whether the search was indexed (the trademarks index of issue #5, when present) or exhaustive
(every mark on the asked goods judged).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.util
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from rich.progress import track  # noqa: E402

from ipoffice.core.roles import SYSTEM  # noqa: E402
from ipoffice.trademarks.search import ConflictQuery, conflict_search  # noqa: E402
from tm_pairs import DEFAULT_PAIRS  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "trademarks"
_HAN = re.compile(r"[\u4e00-\u9fff]")


def chinese_marks() -> list[str]:
    with gzip.open(DATA / "cn/brand-lexicon-company-shortforms/Company-Shorter-Form_28W.txt.gz", "rt", "utf-8") as fh:
        words = [w.strip().lstrip("\ufeff") for w in fh][3:]
    with gzip.open(DATA / "cn/listed-companies-a-share/Astock.csv.gz", "rt", encoding="utf-8") as fh:
        words += [re.sub(r"^\*?ST", "", r["name"]).strip() for r in csv.DictReader(fh)]
    return sorted({w for w in words if w and _HAN.search(w) and len(w) <= 12})


def latin_marks() -> list[str]:
    with gzip.open(DATA / "euipo-trademarks2020/Trademark2020_validation.json.gz", "rt", encoding="utf-8") as fh:
        marks = [v["Text"] for v in json.load(fh).values() if v.get("Text")]
    with gzip.open(DATA / "dpmaregister-export/trademarks.csv.gz", "rt", encoding="utf-8-sig") as fh:
        marks += [r[2] for r in csv.reader(fh, delimiter=";") if len(r) > 2][1:]
    with (DATA / "famous-marks/brand_names_list.csv").open(encoding="utf-8") as fh:
        marks += [r["Name"] for r in csv.DictReader(fh)]
    return sorted({m.strip() for m in marks if m and m.strip() and len(m.strip()) <= 40 and re.search(r"[A-Za-z]", m)})


def goods_for_groups(n: int, rng: random.Random) -> dict[str, str]:
    """`n` similar groups, each with the name of a standard item that `map_goods` maps to that group exactly."""
    from ipoffice.core.schemes import iter_scheme_rows
    from ipoffice.trademarks.goods import map_goods

    by_group: dict[str, list[str]] = defaultdict(list)
    for row in iter_scheme_rows("cn-item"):
        if row["title_zh"] and row["parent"]:
            by_group[row["parent"]].append(row["title_zh"])
    out: dict[str, str] = {}
    for g in rng.sample(sorted(by_group), len(by_group)):
        for name in by_group[g][:20]:
            m = map_goods([name])
            if m.items and m.items[0].match == "exact" and {i for it in m.items for i in it.groups} == {g}:
                out[g] = name
                break
        if len(out) == n:
            break
    return out


def load_pairs(path: Path) -> list[dict]:
    import yaml

    pairs = []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for p in yaml.load(path.read_text(encoding="utf-8"), Loader=loader)["pairs"]:  # noqa: S506 - a safe loader
        if not p["similar"]:
            continue
        rules = p.get("rule")
        rule = rules[0] if isinstance(rules, list) else str(rules)
        pairs.append({"a": str(p["a"]), "b": str(p["b"]), "rule": rule, "source": p.get("source", "")})
    return pairs


def build_register(store_home: Path, real: list[str], pairs: list[dict], groups: list[str], rng: random.Random):
    from ipoffice.core.schemes import load_schemes
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path

    store = open_store(store_home)
    with store.session() as s:
        load_schemes(s, only={"cn-group"})
        s.commit()
    path = store_home / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["number", "mark", "nice_classes", "groups", "goods", "applicant", "filing_date", "status"])
        for i, mark in enumerate(real):
            g = groups[i % len(groups)]
            wr.writerow([f"R{i:07d}", mark, int(g[:2]), g, "", "", "2012-01-01", "registered"])
        for i, p in enumerate(pairs):
            p["group"] = groups[rng.randrange(len(groups))]
            p["number"] = f"P{i:05d}"
            wr.writerow([p["number"], p["a"], int(p["group"][:2]), p["group"], "", "", "2015-01-01", "registered"])
    started = time.perf_counter()
    res = import_path(store, path)
    return store, res.loaded, time.perf_counter() - started


def _watch(store, pairs: list[dict], goods: dict[str, str], engines: tuple[str, ...], say) -> dict:  # noqa: ANN001
    """The later marks as one gazette, watched against the whole register: seconds, and how many planted earlier
    marks come back as conflicts of their later mark (the watch's recall, top 20 per gazette mark)."""
    import datetime as dt

    from ipoffice.trademarks.watch import MarkRow, watch

    gazette = []
    for i, p in enumerate(pairs):
        g = MarkRow(number=f"W{i:05d}", mark=p["b"], classes={int(p["group"][:2])}, goods=[goods[p["group"]]],
                    applicant=f"gazette applicant {i}", filing_date=dt.date(2024, 1, 10),
                    publication_date=dt.date(2024, 3, 6), status="preliminarily-approved")  # fmt: skip
        g.map_goods()
        gazette.append(g)
    want = {(p["number"], f"W{i:05d}") for i, p in enumerate(pairs) if p["rule"] != "famous"}
    out = {}
    for engine in engines:
        t0 = time.perf_counter()
        rep = watch(store, SYSTEM, gazette, today=dt.date(2024, 4, 1), engine=engine)
        secs = time.perf_counter() - t0
        got = {(e["watched"]["number"], c["number"]) for e in rep["results"] for c in e["conflicts"]}
        out[engine] = {
            "engine": rep["engine"],
            "gazette_marks": len(gazette),
            "seconds": round(secs, 1),
            "marks_per_s": round(len(gazette) / secs, 1),
            "conflicts": rep["summary"]["conflicts"],
            "planted_found": round(len(want & got) / len(want), 3),
        }
        say(f"watch ({rep['engine']}): {len(gazette)} gazette marks in {secs:.1f} s, {len(got)} conflicts, "
            f"planted earlier marks found {out[engine]['planted_found']:.3f} (rule pairs)")  # fmt: skip
    return out


def _has_index() -> bool:
    """Whether the key index of the conflict search (issue #5) is there: then both paths are measured."""
    import inspect

    return (
        importlib.util.find_spec("ipoffice.trademarks.index") is not None
        and "index" in inspect.signature(conflict_search).parameters
    )


def run(
    real_n: int,
    groups_n: int,
    pairs_path: Path = DEFAULT_PAIRS,
    limit: int = 0,
    quiet: bool = False,
    indexed: bool = True,
    watch_engines: tuple[str, ...] = (),
) -> dict:
    """Build the register, run one conflict search per similar pair, return the figures (see the module doc)."""
    rng = random.Random(20261126)
    say = (lambda *a: None) if quiet else print  # noqa: E731
    pairs = load_pairs(pairs_path)
    if limit:
        pairs = rng.sample(pairs, min(limit, len(pairs)))
    zh, la = chinese_marks(), latin_marks()
    real = rng.sample(zh, min(len(zh), real_n // 2)) + rng.sample(la, min(len(la), real_n - real_n // 2))
    rng.shuffle(real)
    goods = goods_for_groups(groups_n, rng)
    groups = sorted(goods)
    say(f"register: {len(real)} real marks ({len(zh)} Chinese and {len(la)} Latin available) over {len(groups)} "
        f"similar groups (~{len(real) // len(groups)} per group) + {len(pairs)} planted earlier marks")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        store, loaded, load_s = build_register(Path(tmp) / "home", real, pairs, groups, rng)
        say(f"imported {loaded} marks in {load_s:.1f} s")
        modes: dict[str, object] = {"exhaustive": False}
        index_s = None
        if indexed and _has_index():
            from ipoffice.trademarks import index as tm_index

            t0 = time.perf_counter()
            root = tm_index.default_dir(store.home)  # where the watch and the batch engine look for it
            with store.session() as s:
                tm_index.build(s, root)
            index_s = time.perf_counter() - t0
            modes["indexed"] = tm_index.TrademarkIndex.open(root)
            say(f"key index built in {index_s:.1f} s")
        runs = {}
        for mode, idx in modes.items():
            lat, considered, ranks = [], [], {}
            with store.session() as s:
                for p in track(pairs, description=f"queries ({mode})", disable=quiet):
                    q = ConflictQuery(mark=p["b"], goods=[goods[p["group"]]], top=1000)
                    kw = {"index": idx} if _has_index() else {}
                    t0 = time.perf_counter()
                    res = conflict_search(s, SYSTEM, q, **kw)
                    lat.append((time.perf_counter() - t0) * 1000)
                    considered.append(res["considered"])
                    found = [h["number"] for h in res["results"]]
                    ranks[p["number"]] = found.index(p["number"]) + 1 if p["number"] in found else None
            runs[mode] = (lat, considered, ranks)
        watch_runs = _watch(store, pairs, goods, watch_engines, say) if watch_engines else {}
        store.engine.dispose()

    from ipoffice.trademarks.similarity import compare

    for p in pairs:
        try:
            p["similar_call"] = compare(p["b"], p["a"]).similar
        except ValueError:
            p["similar_call"] = False

    def summary(ps: list[dict], ranks: dict[str, int | None]) -> dict:
        n = len(ps)
        r = [ranks[p["number"]] for p in ps]
        at = lambda k: sum(1 for x in r if x and x <= k) / n if n else 0.0  # noqa: E731
        return {
            "pairs": n,
            "recall@1": round(at(1), 3),
            "recall@10": round(at(10), 3),
            "recall_any": round(sum(1 for x in r if x) / n, 3) if n else 0.0,
            "miss_not_similar": sum(1 for p, x in zip(ps, r, strict=True) if not x and not p["similar_call"]),
            "miss_ranked_below_10": sum(1 for x in r if x and x > 10),
            "miss_similar_not_found": sum(1 for p, x in zip(ps, r, strict=True) if not x and p["similar_call"]),
        }

    rules = [p for p in pairs if p["rule"] != "famous"]
    famous = [p for p in pairs if p["rule"] == "famous"]
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for p in rules:
        by_rule[p["rule"]].append(p)
    out: dict = {
        "register_real": len(real),
        "groups": len(groups),
        "per_group": len(real) // len(groups),
        "import_s": round(load_s, 1),
        "index_build_s": round(index_s, 1) if index_s is not None else None,
        "modes": {},
        "watch": watch_runs,
    }
    for mode, (lat, considered, ranks) in runs.items():
        out["modes"][mode] = {
            "considered_mean": round(statistics.mean(considered), 1),
            "latency_ms": {
                "p50": round(statistics.median(lat), 1),
                "p95": round(sorted(lat)[int(0.95 * (len(lat) - 1))], 1),
            },
            "rule_pairs": summary(rules, ranks),
            "famous_pairs": summary(famous, ranks),
            "per_rule": {r: summary(ps, ranks) for r, ps in sorted(by_rule.items())},
            "misses": [
                {"a": p["a"], "b": p["b"], "rule": p["rule"], "rank": ranks[p["number"]], "similar": p["similar_call"]}
                for p in rules
                if not ranks[p["number"]] or ranks[p["number"]] > 10
            ],
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--real", type=int, default=20000, help="real marks in the register")
    ap.add_argument("--groups", type=int, default=40, help="similar groups the register is spread over")
    ap.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    ap.add_argument("--limit", type=int, default=0, help="at most N pairs (0: all similar pairs)")
    ap.add_argument("--no-index", action="store_true", help="measure the exhaustive search only")
    ap.add_argument("--watch", default="", help="also time `tm watch` on the later marks as a gazette: online,duckdb")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    engines = tuple(e for e in args.watch.split(",") if e)
    out = run(args.real, args.groups, args.pairs, args.limit, indexed=not args.no_index, watch_engines=engines)
    for mode, m in out["modes"].items():
        print(f"== {mode}: {m['considered_mean']} marks on the goods per query (mean); "
              f"latency ms p50 {m['latency_ms']['p50']}  p95 {m['latency_ms']['p95']}")  # fmt: skip
        for name in ("rule_pairs", "famous_pairs"):
            x = m[name]
            print(f"  {name:13} n={x['pairs']:4d}  recall@1 {x['recall@1']:.3f}  recall@10 {x['recall@10']:.3f}  "
                  f"any rank {x['recall_any']:.3f}  misses: not similar {x['miss_not_similar']}, "
                  f"below 10 {x['miss_ranked_below_10']}, "
                  f"similar but not found {x['miss_similar_not_found']}")  # fmt: skip
        print("  per rule (rule pairs):")
        for r, x in m["per_rule"].items():
            print(f"    {r:22} n={x['pairs']:3d}  recall@10 {x['recall@10']:.3f}  @1 {x['recall@1']:.3f}  "
                  f"not similar {x['miss_not_similar']}  below 10 {x['miss_ranked_below_10']}")  # fmt: skip
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
