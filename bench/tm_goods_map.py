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
mapped by code, exactly, fuzzily, by containment, and unmapped, with a few examples of each kind. An item counts by
its best mapping (code > exact > contains > fuzzy); a text split into several items ("clothing, footwear and
headgear") that maps only in part also counts in `partly_unmapped`.

IPONZ specifications carry their Nice class, so for them a precision proxy is reported: the share of the standard
items mapped whose class (the first two digits of the item code) is the specification's class. It is a proxy: an
item in the right class may still be the wrong item, one in another class is certainly wrong. Where `map_goods`
takes a class hint (`classes=`) the bench passes the specification's class, as callers that know it do.
`--show N` prints N random mapped IPONZ items (text -> code name) for a hand check; `--no-hint` maps them
without their class.
"""

from __future__ import annotations

import argparse
import gzip
import inspect
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


def iponz_with_class() -> list[tuple[str, int]]:
    out = []
    with gzip.open(DATA / "iponz-oppositions/iponz_opposed_applications.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            for c in json.loads(line).get("classifications") or []:
                cls = int(c.get("classId") or 0)
                out += [(x.strip(" ."), cls) for x in re.split(r";", c.get("description") or "") if x.strip(" .")]
    return out


def iponz() -> list[str]:
    return [t for t, _ in iponz_with_class()]


def tmid() -> list[str]:
    import csv

    out = []
    with (DATA / "cn/tmid-infringement/data_with_rt.csv").open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            out += [x.strip() for x in re.split(r"[，,、;；。/\s]+", r.get("service_description") or "") if x.strip()]
    return out


HINTS = "classes" in inspect.signature(map_goods).parameters
_RANK = {"code": 0, "exact": 1, "contains": 2, "fuzzy": 3}


def _item_class(code: str) -> int:
    return int(code.lstrip("C")[:2])


def measure(name: str, items: list[str], classes: list[int] | None = None) -> dict:
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    mapped: list[tuple[str, int, list]] = []
    partly = 0
    started = time.perf_counter()
    for i, text in enumerate(items):
        if classes is not None and HINTS:
            m = map_goods([text], classes=[classes[i]])
        else:
            m = map_goods([text])
        if m.items:
            best = min(m.items, key=lambda it: _RANK.get(it.match, 9))
            kind = best.match
            partly += bool(m.unmapped)
            mapped.append((text, classes[i] if classes is not None else 0, m.items))
        else:
            kind = "unmapped"
        kinds[kind] += 1
        ex = examples.setdefault(kind, [])
        if len(ex) < 4:
            ex.append(f"{text} -> {best.code} {best.name}" if m.items else text)
    secs = time.perf_counter() - started
    n = len(items)
    out = {
        "list": name,
        "items": n,
        "seconds": round(secs, 2),
        "items_per_s": round(n / secs, 1) if secs else None,
        "class_hint": bool(classes is not None and HINTS),
        "share": {k: round(kinds[k] / n, 4) for k in ("code", "exact", "fuzzy", "contains", "unmapped")},
        "partly_unmapped": round(partly / n, 4),
        "examples": examples,
    }
    if classes is not None:
        per_kind: dict[str, list[int]] = {}
        for _text, cls, its in mapped:
            for it in its:
                per_kind.setdefault(it.match, []).append(_item_class(it.code) == cls)
        allv = [v for vs in per_kind.values() for v in vs]
        out["mapped_items"] = len(allv)
        out["precision_proxy"] = round(sum(allv) / len(allv), 4) if allv else None
        out["precision_proxy_by_match"] = {k: [round(sum(v) / len(v), 4), len(v)] for k, v in sorted(per_kind.items())}
        out["_mapped"] = mapped
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=0, help="at most N items per list (0: all)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--show", type=int, default=0, help="print N random mapped IPONZ items for a hand check")
    ap.add_argument("--no-hint", action="store_true", help="do not pass the IPONZ specification's class")
    args = ap.parse_args()
    global HINTS
    HINTS = HINTS and not args.no_hint
    random.seed(20261126)
    map_goods(["啤酒"])  # load the table before timing
    results = []
    for name, fn in (("cnipa-2017", cnipa_2017), ("iponz", iponz_with_class), ("tmid", tmid)):
        rows = fn()
        if args.limit:
            rows = random.sample(rows, min(args.limit, len(rows)))
        if name == "iponz":
            r = measure(name, [t for t, _ in rows], [c for _, c in rows])
        else:
            r = measure(name, rows)
        mapped = r.pop("_mapped", [])
        results.append(r)
        s = r["share"]
        print(
            f"{name:11} {r['items']:6d} items  {r['items_per_s']:8.1f} items/s  exact {s['exact'] + s['code']:.1%}  "
            f"fuzzy {s['fuzzy']:.1%}  contains {s['contains']:.1%}  unmapped {s['unmapped']:.1%}  "
            f"partly unmapped {r['partly_unmapped']:.1%}"
        )
        if "precision_proxy" in r:
            by = "  ".join(f"{k} {v[0]:.1%} of {v[1]}" for k, v in r["precision_proxy_by_match"].items())
            print(
                f"    class hint: {r['class_hint']}  mapped items {r['mapped_items']}  "
                f"in the spec's class: {r['precision_proxy'] or 0:.1%}  ({by})"
            )
        for k, ex in r["examples"].items():
            print(f"    {k}: " + " | ".join(ex))
        if name == "iponz" and args.show and mapped:
            rnd = random.Random(13)
            for text, cls, its in rnd.sample(mapped, min(args.show, len(mapped))):
                got = "; ".join(f"{it.code} {it.name} ({it.match} {it.confidence})" for it in its)
                print(f"    [{cls}] {text} -> {got}")
    print(f"table edition: {EDITION}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"edition": EDITION, "results": results}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
