"""IPC classification on a held-out split: precision@1 and recall@3 (subclass), precision@1 (main group).

Collections (from ../shared/data/patents; see its SOURCES.md):

* ``us-fulltext``: every office-format document there that carries IPC and text (USPTO grants and
  applications, EPO, CNIPA, JPO, WIPO), deduplicated by number; labels are their office IPC.
* ``cn-crawl``: the Chinese (CN) abstracts of the Google Patents energy-recovery crawl, labelled with
  the IPC group they were crawled under (20 main groups in 17 subclasses; the crawl names 23 groups,
  some of them subgroups of the same main group).

Systems: the majority class; a plain TF-IDF + logistic regression (scikit-learn defaults but run to convergence, same
features as ours: jieba words, English stems, Chinese character bigrams), one model per level; and
ours (`ipoffice.classify.model.fit_model`) without and with the IPC scheme-title samples.

Definitions: precision@1 = the top suggestion is one of the document's classes at that level;
recall@3 = the share of the document's subclasses among the top 3. ECE = expected calibration error
of the top-1 confidence (10 bins). Split: 80/20, fixed seed.

    .venv/bin/python bench/classify_eval.py [--collections us-fulltext cn-crawl] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ipoffice.classify.data import file_samples, record_samples, scheme_samples  # noqa: E402
from ipoffice.classify.model import Sample, _identity, expected_calibration_error, fit_model  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "patents"
CRAWL = SHARED / "corpus" / "google-patents-crawl-energy-recovery" / "abstracts_by_ipc_group_and_year.tar.gz"


def load_us() -> list[Sample]:
    folders = [p for p in sorted(SHARED.iterdir()) if p.is_dir() and p.name != "corpus"]
    seen: dict[str, Sample] = {}
    for s in file_samples(folders):
        seen.setdefault(s.ref["number"], s)
    return list(seen.values())


def load_cn() -> list[Sample]:
    from ipoffice.core.model import PatentRecord
    from ipoffice.ingest.corpus import parse_gp_abstracts

    recs = []
    for item in parse_gp_abstracts(CRAWL):
        if isinstance(item, PatentRecord) and item.country == "CN" and "zh" in item.abstracts:
            recs.append(item.model_dump(mode="json"))
    return list(record_samples(recs))


def split(samples: list[Sample], seed: int) -> tuple[list[Sample], list[Sample]]:
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(samples))
    cut = int(len(samples) * 0.8)
    return [samples[i] for i in idx[:cut]], [samples[i] for i in idx[cut:]]


def score(rank_sub: list[list[str]], rank_mg: list[list[str]], test: list[Sample]) -> dict[str, Any]:
    p1 = np.mean([r[0] in s.subclasses if r else 0 for r, s in zip(rank_sub, test, strict=True)])
    r3 = np.mean(
        [len(set(r[:3]) & set(s.subclasses)) / len(set(s.subclasses)) for r, s in zip(rank_sub, test, strict=True)]
    )
    mg = [(r, s) for r, s in zip(rank_mg, test, strict=True) if s.main_groups]
    m1 = np.mean([r[0] in s.main_groups if r else 0 for r, s in mg]) if mg else float("nan")
    return {"sub_p1": float(p1), "sub_r3": float(r3), "mg_p1": float(m1)}


def majority(train: list[Sample], test: list[Sample]) -> dict[str, float]:
    sub = [c for c, _ in Counter(s.subclasses[0] for s in train).most_common(3)]
    mg = [c for c, _ in Counter(s.main_groups[0] for s in train if s.main_groups).most_common(1)]
    return score([sub] * len(test), [mg] * len(test), test)


def tfidf_lr(train: list[Sample], test: list[Sample]) -> dict[str, float]:
    vec = TfidfVectorizer(analyzer=_identity)
    X = vec.fit_transform([s.tokens for s in train])
    Xt = vec.transform([s.tokens for s in test])
    ranks = {}
    for level in ("sub", "mg"):
        rows = [i for i, s in enumerate(train) if (s.subclasses if level == "sub" else s.main_groups)]
        y = [(train[i].subclasses if level == "sub" else train[i].main_groups)[0] for i in rows]
        if len(set(y)) < 2:
            ranks[level] = [[y[0]] if y else [] for _ in test]
            continue
        clf = LogisticRegression(max_iter=1000)  # lbfgs, C=1; iterations enough to converge
        clf.fit(X[rows], y)
        p = clf.predict_proba(Xt)
        ranks[level] = [[clf.classes_[j] for j in np.argsort(-row)[:3]] for row in p]
    return score(ranks["sub"], ranks["mg"], test)


def ours(train: list[Sample], test: list[Sample], titles: list[Sample], seed: int) -> dict[str, Any]:
    model = fit_model(train + titles, seed=seed)
    Q = model.vectors([s.tokens for s in test])
    p_sub, p_mg = model.probabilities(Q)
    rank_sub = [[model.subclasses[j] for j in np.argsort(-row)[:3]] for row in p_sub]
    rank_mg = [[model.main_groups[j] for j in np.argsort(-row)[:1]] for row in p_mg]
    res = score(rank_sub, rank_mg, test)
    correct = np.array([r[0] in s.subclasses for r, s in zip(rank_sub, test, strict=True)], dtype=float)
    res["sub_ece"] = expected_calibration_error(p_sub.max(axis=1), correct)
    res["alpha"], res["T"] = model.alpha, model.temperature
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--collections", nargs="+", default=["us-fulltext", "cn-crawl"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    titles, _ = scheme_samples(None)
    print(f"scheme-title samples: {len(titles)} ({time.perf_counter() - t0:.1f}s)", flush=True)
    loaders = {"us-fulltext": load_us, "cn-crawl": load_cn}
    for name in args.collections:
        t = time.perf_counter()
        samples = loaders[name]()
        train, test = split(samples, args.seed)
        n_sub = len({c for s in samples for c in s.subclasses})
        n_mg = len({c for s in samples for c in s.main_groups})
        print(
            f"\n{name}: {len(samples)} documents ({len(train)} train / {len(test)} test), {n_sub} subclasses, "
            f"{n_mg} main groups; loaded in {time.perf_counter() - t:.1f}s",
            flush=True,
        )
        systems = [
            ("majority class", majority, ()),
            ("TF-IDF + logistic regression", tfidf_lr, ()),
            ("ours, documents only", ours, ([], args.seed)),
            ("ours, documents + scheme titles", ours, (titles, args.seed)),
        ]
        print(f"{'system':<34} {'sub P@1':>8} {'sub R@3':>8} {'mg P@1':>8} {'sub ECE':>8} {'seconds':>8}")
        for label, fn, extra in systems:
            t = time.perf_counter()
            r = fn(train, test, *extra)
            secs = time.perf_counter() - t
            ece = f"{r['sub_ece']:.3f}" if "sub_ece" in r else "-"
            figures = f"{r['sub_p1']:>8.3f} {r['sub_r3']:>8.3f} {r['mg_p1']:>8.3f} {ece:>8} {secs:>8.1f}"
            print(f"{label:<34} {figures}", flush=True)
    print(f"\ntotal {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main()
