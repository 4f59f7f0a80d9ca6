"""Evaluate the bad-faith trademark signals on real marks with injected, labelled behaviours.

Register built in a temporary store:
- untouched real filings: the 174 IPONZ application summaries (real applicants, agents, addresses, classes,
  dates), the 500 KIPRIS records (classes, dates, statuses; no applicant) and --euipo EUIPO marks given to
  ordinary synthetic applicants (1-6 marks each, in the classes of the industry their name states);
- legitimate heavy filers (hard negatives): companies filing 30-50 real marks within their industry's classes,
  and famous-mark owners filing their own marks;
- injected, labelled: hoarders (40-80 real EUIPO marks across 20-35 classes, T1), 60 copies of famous marks by
  strangers (T4/T6) made as squatters make them (``squat_copy``: the name as listed - Chinese or Latin - or in
  capitals, look-alike digits, a typo, the name plus a shop word), 36 by one-off copiers and 24 by 8 squatters
  copying 3 famous marks each, in the famous mark's own classes 3 times in 4 and an unrelated class otherwise;
  agencies filing outside class 45 (T7) and agencies filing their clients' marks in their own name (T8, also T7).
  Real EUIPO marks that are (or start with) a listed famous name (PHILIPS, Audi Sport) are their owners' own
  filings and are not handed to synthetic strangers (``owners_mark``).

Prints precision and recall per behaviour and the false-flag rate on the untouched filings.
Run: .venv/bin/python bench/integrity_tm_eval.py [--euipo 3000] [--seed 7]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import random
import re
import tempfile
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
TM = SHARED / "trademarks"
HEADER = ["number", "mark", "nice_classes", "groups", "goods", "applicant", "filing_date", "status", "agent"]
INDUSTRY_NAMES = [
    ("Foods", [29, 30, 35]),
    ("Brewing", [32, 33]),
    ("Software", [9, 42]),
    ("Fashion", [25, 18]),
    ("Pharma", [5, 10]),
    ("Motors", [12, 37]),
    ("Cosmetics", [3, 21]),
    ("Media", [41, 9, 38]),
]
copy_how: dict[str, str] = {}  # injected famous copy -> how it was made (printed for the misses)
BEHAVIOURS = {"hoarding": {"T1"}, "famous copy": {"T4", "T6"}, "agency outside 45": {"T7"}, "agent squatting": {"T8"}}


def euipo_marks(n: int, rng: random.Random) -> list[str]:
    with gzip.open(TM / "euipo-trademarks2020" / "Trademark2020_validation.json.gz", "rt", encoding="utf-8") as f:
        data = json.load(f)
    texts = sorted({v["Text"].strip() for v in data.values() if v.get("Text") and len(v["Text"].strip()) >= 3})
    rng.shuffle(texts)
    return texts[:n]


def owners_mark(mark: str) -> bool:
    """A real EUIPO mark that is a listed famous name, or starts with one (PHILIPS, LYCRA, Audi Sport): it was
    filed by that brand's owner, so it is not handed to a synthetic stranger (the register's owners' own filings
    are the hard negatives' "owners filing their own marks")."""
    from ipoffice.trademarks.normalize import fold

    names = _famous_latin()
    words = [w.upper() for w in re.findall(r"[^\W_]+", mark)]
    try:
        whole = fold(mark)
    except ValueError:  # punctuation only
        return False
    return whole in names or bool(words and len(words[0]) >= 4 and words[0] in names)


@lru_cache(maxsize=1)
def _famous_latin() -> frozenset[str]:
    from ipoffice.integrity.tm_reference import load_marks
    from ipoffice.trademarks.normalize import fold

    out = set()
    for m in load_marks():
        if m.tier == "famous":
            for n in m.names:
                try:
                    out.add(fold(n))
                except ValueError:
                    continue
    return frozenset(out)


def light_edit(name: str, rng: random.Random) -> str:
    """A light edit of a client's mark (agent squatting): one letter changed, a word added, or the case."""
    if not name.isascii():
        return name + rng.choice(["", "坊", "家"]) if len(name) >= 2 else name
    k = rng.randrange(3)
    if k == 0 and len(name) >= 5:
        i = rng.randrange(1, len(name) - 1)
        sub = {"O": "0", "o": "0", "I": "1", "i": "1", "S": "5", "s": "5", "E": "3", "e": "3", "a": "e", "A": "E"}
        return name[:i] + sub.get(name[i], "x" if name[i].islower() else "X") + name[i + 1 :]
    if k == 1:
        return f"{name} {rng.choice(['STORE', 'SHOP', 'PLUS', 'GROUP'])}"
    return name.upper()


HOMOGLYPHS = {"O": "0", "I": "1", "L": "1", "S": "5", "E": "3", "B": "8"}
VOWELS = "AEIOU"


def squat_copy(name: str, rng: random.Random) -> tuple[str, str]:
    """A copy of a famous name as squatters file them (the Art. 13 / Art. 32 cases of the examination guideline):
    the name as it is (case changed), with look-alike digits (STARBUCK5, R0LEX), a typo (a letter dropped,
    doubled, swapped with its neighbour or a vowel changed: Adidos, Panasonik), or the name plus a shop word
    (NIKE STORE, 星巴克旗舰店). Returns (copy, how)."""
    if not name.isascii():
        k = rng.choice(["identical", "plus"])
        return (name, k) if k == "identical" else (name + rng.choice(["旗舰店", "坊", "家", "专卖店"]), k)
    up = name.upper()
    idx = [i for i, ch in enumerate(up) if ch.isalpha()]
    k = rng.choices(["identical", "homoglyph", "typo", "plus"], weights=[25, 20, 30, 25])[0]
    if k == "homoglyph":
        cand = [i for i in idx[1:] if up[i] in HOMOGLYPHS]
        if cand:
            i = rng.choice(cand)
            return up[:i] + HOMOGLYPHS[up[i]] + up[i + 1 :], k
        k = "typo"
    if k == "typo" and len(idx) >= 5:
        i = rng.choice(idx[1:])
        op = rng.choice(["drop", "double", "swap", "vowel"])
        if op == "swap" and i + 1 < len(up) and up[i + 1].isalpha() and up[i + 1] != up[i]:
            return up[:i] + up[i + 1] + up[i] + up[i + 2 :], k
        if op == "vowel" and up[i] in VOWELS:
            return up[:i] + rng.choice([v for v in VOWELS if v != up[i]]) + up[i + 1 :], k
        if op == "double":
            return up[: i + 1] + up[i] + up[i + 1 :], k
        return up[:i] + up[i + 1 :], k
    if k in ("typo", "plus"):
        return f"{up} {rng.choice(['STORE', 'SHOP', 'GROUP', 'PLUS', 'CHINA'])}", "plus"
    return rng.choice([name, up]), "identical"


def build(rng: random.Random, n_euipo: int) -> tuple[list[dict], dict[str, set[str]], list[tuple[str, str, str]]]:
    from ipoffice.integrity.tm_reference import load_marks

    rows: list[dict] = []
    labels: dict[str, set[str]] = {}
    events: list[tuple[str, str, str]] = []
    copy_how.clear()
    pool = [m for m in euipo_marks(n_euipo + 3100, rng) if not owners_mark(m)]
    it = iter(pool)

    def add(num, mark, classes, applicant, day, label=None, agent="", status="filed"):
        rows.append(
            {
                "number": num,
                "mark": mark,
                "nice_classes": ";".join(map(str, classes)),
                "groups": "",
                "goods": "",
                "applicant": applicant,
                "filing_date": day.isoformat(),
                "status": status,
                "agent": agent,
            }
        )
        labels[num] = set(label or ())

    def day(y0=2020, y1=2023):
        return dt.date(rng.randint(y0, y1), rng.randint(1, 12), rng.randint(1, 28))

    # ordinary applicants holding the untouched EUIPO marks
    k = 0
    while k < n_euipo:
        ind, cls = rng.choice(INDUSTRY_NAMES)
        who = f"{next(it).split()[0].title()} {ind} Ltd {k}"
        for _ in range(rng.randint(1, 6)):
            add(f"U{k:06d}", next(it), rng.sample(cls, rng.randint(1, len(cls))), who, day())
            k += 1
    # legitimate heavy filers (negatives)
    for j in range(5):
        ind, cls = INDUSTRY_NAMES[j]
        for i in range(rng.randint(30, 50)):
            add(f"L{j}-{i:02d}", next(it), rng.sample(cls, 1), f"Big {ind} Holdings {j}", day(2015, 2023))
    # hoarders
    for j in range(10):
        who = rng.choice(["Zhang Wei", "Li Na", "Wang Fang", "Chen Jie", "Liu Yang"]) + f" {j}"
        spread = rng.sample(range(1, 46), rng.randint(20, 35))
        for i in range(rng.randint(40, 80)):
            add(f"H{j}-{i:02d}", next(it), [spread[i % len(spread)]], who, day(2020, 2023), {"T1"})
    # famous copies by strangers: 36 one-off copiers and 8 squatters copying 3 famous marks each (SAMR Order 17
    # Art. 8(4); guideline 下编第二章 5(2)); a squatter picks the famous mark's own goods 3 times in 4, else an
    # unrelated class (Art. 13(3)). Brands whose every name has at most 3 Latin letters (QQ, HP, LG) are left out:
    # such names are not compared (see tm_reputation), a limit stated with the figures.
    famous = [m for m in load_marks() if m.tier == "famous" and any(len(n) > 3 or not n.isascii() for n in m.names)]
    picked = rng.sample(famous, 60)
    copiers = [f"Ningbo Trading Partner {j} Co., Ltd." for j in range(36)]
    copiers += [f"Yiwu Brand Resources {j} Co., Ltd." for j in range(8) for _ in range(3)]
    for j, (m, who) in enumerate(zip(picked, copiers, strict=True)):
        name = rng.choice([n for n in m.names if len(n) > 3 or not n.isascii()])
        own = sorted(m.classes - {35}) or [35]
        if rng.random() < 0.75:
            cls = [rng.choice(own)]
        else:
            cls = [rng.choice([k for k in range(1, 46) if k not in m.classes])]
        mark, how = squat_copy(name, rng)
        copy_how[f"F{j:02d}"] = f"{how} of {name}, class {cls[0]}" + ("" if cls[0] in m.classes else " (unrelated)")
        add(f"F{j:02d}", mark, cls, who, day(), {"T4", "T6"})
    for j, m in enumerate(rng.sample(famous, 20)):
        add(f"O{j:02d}", m.names[-1], sorted(m.classes)[:2], f"{m.names[-1]} Corporation", day())
    # agencies: agent on client marks; outside 45 (T7); squatting a client's mark (T8 + T7); inside 45 (nothing)
    for j in range(20):
        agency = f"Huaxin IP Agency {j} Co., Ltd."
        client = f"Client {INDUSTRY_NAMES[j % 8][0]} Co {j}"
        cmark = next(it)
        add(
            f"C{j:02d}",
            cmark,
            [INDUSTRY_NAMES[j % 8][1][0]],
            client,
            day(2016, 2018),
            agent=agency,
            status="registered",
        )
        add(f"C{j:02d}b", next(it), [INDUSTRY_NAMES[j % 8][1][-1]], client, day(2016, 2018), agent=agency)
        add(f"A{j:02d}", next(it), [rng.choice([25, 30, 33, 9])], agency, day(2021, 2023), {"T7"})
        add(
            f"Q{j:02d}",
            cmark if j % 2 else light_edit(cmark, rng),
            [INDUSTRY_NAMES[j % 8][1][0]],
            agency,
            day(2021, 2023),
            {"T8", "T7"},
        )
        add(f"S{j:02d}", f"HUAXIN IP {j}", [45], agency, day(2021, 2023))
    return rows, labels, events


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--euipo", type=int, default=3000, help="untouched EUIPO marks given to ordinary applicants")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--signals", default="", help="comma-separated signal names to run (default: all trademark ones)")
    ap.add_argument("--dump", type=Path, help="write the T4/T6 flags (JSON lines, with evidence) to this file")
    args = ap.parse_args()
    only = {x for x in args.signals.split(",") if x}
    rng = random.Random(args.seed)

    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path
    from ipoffice.integrity import trademark_signals  # noqa: F401 - registers the signals
    from ipoffice.integrity.rules import default_rules
    from ipoffice.integrity.signals import REGISTRY, ScanContext

    home = Path(tempfile.mkdtemp(prefix="tm-eval-"))
    store = open_store(home)
    t0 = time.perf_counter()
    real = [
        TM / "iponz-oppositions" / "iponz_application_summaries.jsonl.gz",
        TM / "kipris-sample" / "trademark_sample.json.gz",
    ]
    n_real = sum(import_path(store, p).loaded for p in real)
    rows, labels, _events = build(rng, args.euipo)
    f = home / "injected.csv"
    with f.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER)
        w.writeheader()
        w.writerows(rows)
    rep = import_path(store, f)
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    ctx = ScanContext(engine=store.engine, rules=default_rules(), home=home, kind="trademark")
    flags = []
    per_signal = {}
    for name, sdef in sorted(REGISTRY.items()):
        if sdef.kind == "trademark" and (not only or name in only):
            s0 = time.perf_counter()
            got = list(sdef.fn(ctx))
            per_signal[name] = (len(got), round(time.perf_counter() - s0, 1))
            flags.extend(got)
    scan_s = time.perf_counter() - t1
    marks = {r["number"]: r["mark"] for r in rows}
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as fh:
            for fl in flags:
                if fl.behaviour in ("T4", "T6"):
                    d = fl.to_json()
                    d["label"] = sorted(labels.get(fl.number, ()))
                    fh.write(json.dumps(d, ensure_ascii=False, default=str) + "\n")
    flagged: dict[str, set[str]] = defaultdict(set)
    for fl in flags:
        flagged[fl.number].add(fl.behaviour)

    print(
        f"register: {n_real} real (IPONZ 174 + KIPRIS 500) + {rep.loaded} generated rows "
        f"({args.euipo} untouched EUIPO marks); load {load_s:.1f}s, scan {scan_s:.1f}s"
    )
    print("signals (flags, seconds):", per_signal)
    print(f"{'behaviour':22s} {'labelled':>8s} {'flagged':>8s} {'precision':>9s} {'recall':>7s}")
    for beh, codes in BEHAVIOURS.items():
        pos = {n for n, lab in labels.items() if lab & codes}
        got = {n for n, b in flagged.items() if b & codes}
        tp = len(pos & got)
        p = tp / len(got) if got else 1.0
        r = tp / len(pos) if pos else 1.0
        print(f"{beh:22s} {len(pos):8d} {len(got):8d} {p:9.3f} {r:7.3f}")
        wrong = sorted(got - pos)[:8]
        if wrong:
            print("   false:", [(n, sorted(flagged[n]), marks.get(n)) for n in wrong])
        missed = sorted(pos - got)[:8]
        if missed:
            print("   missed:", [(n, marks.get(n), copy_how.get(n, "")) for n in missed])
    untouched = [n for n, lab in labels.items() if not lab and n.startswith("U")]
    hard = [n for n, lab in labels.items() if not lab and not n.startswith("U")]
    with store.session() as s:
        from sqlalchemy import select

        from ipoffice.core import tables as t

        real_numbers = [r for (r,) in s.execute(select(t.Trademark.number).where(t.Trademark.country != "CN"))]
    for title, group in (
        ("untouched EUIPO (synthetic applicants)", untouched),
        ("real IPONZ + KIPRIS", real_numbers),
        ("hard negatives (heavy filers, owners, agency in 45)", hard),
    ):
        bad = [n for n in group if flagged.get(n)]
        print(
            f"false-flag rate, {title}: {len(bad)}/{len(group)} = {len(bad) / max(1, len(group)):.4f}",
            [(n, sorted(flagged[n])) for n in bad[:6]],
        )


if __name__ == "__main__":
    main()
