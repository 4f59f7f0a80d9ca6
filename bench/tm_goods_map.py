"""Free-text goods mapping: speed and coverage of `trademarks.goods.map_goods` on real goods lists.

    .venv/bin/python bench/tm_goods_map.py [--limit N] [--json bench/out/tm_goods_map.json]

Real lists (../shared/data/trademarks, see SOURCES.md there):
- cnipa-2017: every goods/services item name of CNIPA's similar-goods table as published in 2017
  (cn/cnipa-similar-goods-2017/all.json.gz), mapped against the edition ipoffice ships (ncl12-2025): how much of an
  older Chinese goods list maps exactly, by fuzzy match, by a standard name inside the text, or not at all.
- iponz: the goods/services specifications of 230 New Zealand applications (iponz-oppositions), English, split on
  `;` into items: what an English free-text specification gives.
- tmid: the Chinese service descriptions of merchant registrations (cn/tmid-infringement), split on punctuation.

For each list: items, items/s (one process, cold start excluded: the table is loaded before timing), the share
mapped by code, exactly, fuzzily, by containment, and unmapped, with a few examples of each kind.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ipoffice.trademarks.goods import EDITION, map_goods  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "trademarks"


def cnipa_2017() -> list[str]:
    with gzip.open(DATA / "cn/cnipa-similar-goods-2017/all.json.gz", "rt", encoding="utf-8") as fh:
        classes = json.load(fh)
    return [item["name"] for c in classes for g in c.get("children") or [] for item in g.get("children") or []]


def iponz() -> list[str]:
    out = []
    with gzip.open(DATA / "iponz-oppositions/iponz_opposed_applications.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            for c in json.loads(line).get("classifications") or []:
                out += [x.strip(" .") for x in re.split(r";", c.get("description") or "") if x.strip(" .")]
    return out


def tmid() -> list[str]:
    import csv

    out = []
    with (DATA / "cn/tmid-infringement/data_with_rt.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out += [x.strip() for x in re.split(r"[，,、;；。/\s]+", r.get("service_description") or "") if x.strip()]
    return out


def measure(name: str, items: list[str]) -> dict:
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    started = time.perf_counter()
    for text in items:
        m = map_goods([text])
        kind = m.items[0].match if m.items else "unmapped"
        kinds[kind] += 1
        ex = examples.setdefault(kind, [])
        if len(ex) < 4:
            ex.append(f"{text} -> {m.items[0].code} {m.items[0].name}" if m.items else text)
    secs = time.perf_counter() - started
    n = len(items)
    return {
        "list": name,
        "items": n,
        "seconds": round(secs, 2),
        "items_per_s": round(n / secs, 1) if secs else None,
        "share": {k: round(kinds[k] / n, 4) for k in ("code", "exact", "fuzzy", "contains", "unmapped")},
        "examples": examples,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="at most N items per list (0: all)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    random.seed(20261126)
    map_goods(["啤酒"])  # load the table before timing
    results = []
    for name, fn in (("cnipa-2017", cnipa_2017), ("iponz", iponz), ("tmid", tmid)):
        items = fn()
        if args.limit:
            items = random.sample(items, min(args.limit, len(items)))
        r = measure(name, items)
        results.append(r)
        s = r["share"]
        print(
            f"{name:11} {r['items']:6d} items  {r['items_per_s']:8.1f} items/s  exact {s['exact'] + s['code']:.1%}  "
            f"fuzzy {s['fuzzy']:.1%}  contains {s['contains']:.1%}  unmapped {s['unmapped']:.1%}"
        )
        for k, ex in r["examples"].items():
            print(f"    {k}: " + " | ".join(ex))
    print(f"table edition: {EDITION}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"edition": EDITION, "results": results}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
