"""Scale of the integrity scan: a full scan of N patent applications (default 1,000,000) on DuckDB with bounded
memory, every patent pass included (P1-P7, Art. 4), and the same scan on Spark local mode beside it.

The applications are real ones scaled by recombination: claims, descriptions and abstracts of the real filings
in ../shared/data/patents (USPTO/CNIPA/EPO full texts, PatentsView US abstracts, KPPatent-ZH Chinese claims)
are cut into claim features and sentences, and each synthetic application takes a claim 1 of 3-4 real features
and a description of 5-9 real sentences; applicants (names from the real Chinese brand lexicon) file with a
Zipf-like size distribution, each with its own inventors, street address, agency and main IPC sections, on dates
spread over 2021-04-01..2025-09-30, published 18 months after filing. Injected on top (so the passes have work
to do and their recall shows): near-duplicates of one applicant, bursts of new applicants, shell applicants
splitting one text, transfer chains; copies of another applicant's earlier published filing with 8 % of the words
(characters) substituted (P2); English filings of Markov-chain text built from the real sentences (P3); filings
whose claims carry a stack of 25 trivial dependent claims (P4).

Path: the generator writes the records as JSON rows of a Parquet file (no million-row SQLite insert); the scan
reads them with `engines.extract.extract_records` (the same per-record code `extract_store` runs on the store in
production, with P3/P4 judged per filing on the way: `engines.perdoc`), then runs `corpus_signals` on DuckDB
(P2 candidates from the LSH band join; no search index exists here, so the shingle diff and the sentence
alignment are the evidence). The generated-text model is trained first on real text (the bundled sample and the
real filings), as the scan trains it on a store. Spark runs the same passes on the same extract tables.

    .venv/bin/python bench/integrity_scale.py [--n 1000000] [--workers 2] [--spark-n 200000] [--keep DIR] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

START, END = dt.date(2021, 4, 1), dt.date(2025, 9, 30)
VARY = 0.15  # words of each base filing's description reworded (generate's `vary`; 0: the session-10 generator)
KINDS = ["科技", "电子", "机械", "材料"]


# ---------------------------------------------------------------- memory


class PeakRSS:
    """Peak resident memory of this process and all its descendants (workers, the Spark JVM), sampled."""

    def __init__(self, every: float = 0.5, self_max: bool = True) -> None:
        self.peak = 0
        self.every = every
        self.self_max = self_max  # add this process's lifetime peak (false after an earlier, bigger phase)
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree_rss() -> int:
        me = os.getpid()
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/status") as f:
                    st = f.read()
            except OSError:
                continue
            pp = re.search(r"^PPid:\s+(\d+)", st, re.M)
            rs = re.search(r"^VmRSS:\s+(\d+)", st, re.M)
            children.setdefault(int(pp.group(1)) if pp else 0, []).append(int(d))
            rss[int(d)] = int(rs.group(1)) * 1024 if rs else 0
        total, todo = 0, [me]
        while todo:
            p = todo.pop()
            total += rss.get(p, 0)
            todo.extend(children.get(p, []))
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakRSS:
        self._t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._t.join()
        if self.self_max:
            self.peak = max(self.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)


# ---------------------------------------------------------------- real material


def material(seed: int) -> dict[str, list[str]]:
    """Claim features and sentences of real filings, by language."""
    import integrity_eval as ie
    from ipoffice.core.store import open_store
    from ipoffice.integrity.engines.extract import _FEATURE_SPLIT

    feats: dict[str, list[str]] = {"en": [], "zh": []}
    sents: dict[str, list[str]] = {"en": [], "zh": []}
    docs: dict[str, list[tuple[list[str], list[str]]]] = {"en": [], "zh": []}  # (sentences, claim features) a filing
    from ipoffice.integrity import patent_signals as ps

    with tempfile.TemporaryDirectory() as tmp:
        st = open_store(Path(tmp) / "stage")
        ie.import_real(st)
        recs = ie.real_records(st)
        st.engine.dispose()
    real_texts = [
        ps._record_text(r.get("abstracts") or {}, r.get("claims") or {}, r.get("descriptions") or {})
        for r in recs
        if r.get("doc_type") != "design"
    ]
    for r in recs:
        for lang in ("en", "zh"):
            cl = (r.get("claims") or {}).get(lang) or []
            fs: list[str] = []
            if cl:
                first = re.sub(r"^\s*\d+\s*[.、．:)]\s*", "", cl[0])
                fs = [s.strip() for s in _FEATURE_SPLIT.split(first) if 15 <= len(s.strip()) <= 200]
                feats[lang] += fs
            desc = (r.get("descriptions") or {}).get(lang) or ""
            ss = _sentences(desc[:20000], lang)
            sents[lang] += ss
            if len(ss) >= 3:
                docs[lang].append((ss, fs))
    for p in ie.text_pool(n_en=10_000, n_zh=10_000, seed=seed):
        lang = p["lang"]
        ss = _sentences(p["text"], lang)
        sents[lang] += ss
        if p.get("claims"):
            first = re.sub(r"^\s*\d+\s*[.、．:)]\s*", "", p["claims"].split("\n")[0])
            fs = [s.strip() for s in _FEATURE_SPLIT.split(first) if 8 <= len(s.strip()) <= 200]
        else:
            fs = [s.strip() for s in re.split(r"[,;]", p["text"]) if len(s.strip()) >= 25][:6]
        feats[lang] += fs
        if len(ss) >= 3:
            docs[lang].append((ss, fs))
    return (
        {f"feat_{k}": list(dict.fromkeys(v)) for k, v in feats.items()}
        | {f"sent_{k}": list(dict.fromkeys(v)) for k, v in sents.items()}
        | {f"docs_{k}": v for k, v in docs.items()}
        | {"real_texts": [t for t in real_texts if t.strip()]}
    )


def train_model(mat: dict[str, list[str]], cap: int = 300) -> Any:
    """The generated-text model as the scan trains it on a store: the bundled real sample plus real filings
    (screened: texts that drift like generated text stay out of the real class)."""
    from ipoffice.integrity import patent_signals as ps
    from ipoffice.integrity import textstats

    sample = ps._sample_texts()
    rng = random.Random(5)
    texts = rng.sample(mat["real_texts"], min(cap, len(mat["real_texts"])))
    keep = textstats.screen_real(sample, texts)
    return textstats.train(sample + [t for t, k in zip(texts, keep, strict=True) if k])


def _edit(text: str, rate: float, rng: random.Random) -> str:
    """Replace about `rate` of the words (characters for Chinese) with others of the same text."""
    if re.search(r"[\u4e00-\u9fff]", text[:200]):
        chars = list(text)
        idx = [i for i, c in enumerate(chars) if "\u4e00" <= c <= "\u9fff"]
        for i in rng.sample(idx, round(len(idx) * rate)):
            chars[i] = chars[rng.choice(idx)]
        return "".join(chars)
    words = text.split(" ")
    vocab = [w for w in words if w.isalpha() and len(w) > 3] or ["device"]
    for i in rng.sample(range(len(words)), round(len(words) * rate)):
        words[i] = rng.choice(vocab)
    return " ".join(words)


def _edit_words(text: str, rate: float, rng: random.Random) -> str:
    """`_edit` by words for Chinese too (jieba's cut): a filing's own wording that stays readable, where swapping
    single characters garbles it (and garbled text is what the P3 detector is for)."""
    if not re.search(r"[\u4e00-\u9fff]", text[:200]):
        return _edit(text, rate, rng)
    import rjieba

    words = rjieba.cut(text)
    idx = [i for i, w in enumerate(words) if len(w) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in w)]
    if not idx:
        return text
    for i in rng.sample(idx, min(len(idx), round(len(words) * rate))):
        words[i] = words[rng.choice(idx)]
    return "".join(words)


def _vary(feature: str, rng: random.Random) -> str:
    """A sampled claim feature with one word (character, for Chinese) changed: recombined text reads as real
    claims, but an applicant's unrelated filings do not repeat features verbatim by chance."""
    if re.search(r"[\u4e00-\u9fff]", feature):
        i = rng.randrange(len(feature))
        return (
            feature[:i]
            + rng.choice("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动")
            + feature[i + 1 :]
        )
    words = feature.split(" ")
    words[rng.randrange(len(words))] = rng.choice(["first", "second", "main", "auxiliary", "upper", "lower", "outer"])
    return " ".join(words)


def _sentences(text: str, lang: str) -> list[str]:
    parts = re.split(r"(?<=[。；])" if lang == "zh" else r"(?<=\.)\s+", text)
    return [p.strip() for p in parts if 30 <= len(p.strip()) <= 400]


# ---------------------------------------------------------------- generation


def generate(
    n: int, out: Path, seed: int = 3, progress: Any = None, vary: float = VARY, base: str = "shuffled"
) -> dict[str, Any]:
    """Write n application records (JSON) to out/records.parquet; return the injected labels and counts.

    `vary`: share of the words (characters) of each base filing's description replaced by others of the same
    text. The descriptions are drawn from a pool of real sentences, each used by ~20 filings at 50k and ~300 at
    1M; unvaried, every shingle of a base filing is then corpus boilerplate, and so is what a P2 copy shares with
    its source. Varied, most 5-word shingles of a filing are its own (0.85^5 = 44 % of a sentence's shingles
    survive a 15 % edit), as in real filings, while each sentence stays real text.

    `base`: "shuffled" (the default, as in sessions 10-12): a base description is 5-9 sentences of unrelated
    filings and the Chinese rewording swaps characters. "coherent": a run of 5-9 consecutive sentences of one real
    filing, claim features from the same filing, and the rewording done by words in Chinese too. (Session 13 used
    it to test whether the shuffling caused P3's extra flags at scale: it did not; see docs/benchmarks.md.)"""
    import duckdb
    import numpy as np
    import orjson
    import pandas as pd

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    mat = material(seed)
    model = train_model(mat)
    with gzip.open(SHARED / "trademarks/cn/brand-lexicon-company-shortforms/Company-Shorter-Form_28W.txt.gz") as f:
        brands = [w.strip() for w in f.read().decode("utf-8-sig").splitlines()[3:] if 2 <= len(w.strip()) <= 5]
    from integrity_eval import GIVEN, SURNAMES

    n_app = max(50, n // 8)
    sizes = nrng.zipf(1.6, size=n_app * 3)
    sizes = sizes[sizes < n // 50][:n_app]
    owner_of = nrng.choice(len(sizes), size=n, p=sizes / sizes.sum())
    agencies = [f"{rng.choice(brands)}知识产权代理有限公司{i}" for i in range(max(20, n // 500))]
    cities = ["北京市海淀区", "上海市浦东新区", "深圳市南山区", "杭州市西湖区", "苏州市工业园区", "成都市高新区"]

    def person() -> str:
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))

    apps = []
    for i in range(len(sizes)):
        lang = "zh" if rng.random() < 0.5 else "en"
        k = int(sizes[i])
        apps.append(
            {
                "name": f"{rng.choice(cities)[:3]}{rng.choice(brands)}{rng.choice(KINDS)}有限公司{i}",
                "lang": lang,
                "inventors": [person() for _ in range(max(2, min(k // 2, 60)))],
                "address": f"{rng.choice(cities)}{rng.choice(brands)}路{rng.randint(1, 999)}号{i}",
                "agency": rng.choice(agencies),
                "sections": rng.sample("ABCDEFGH", 2),
            }
        )
    span = (END - START).days

    def record(
        num: int,
        app: dict[str, Any],
        day: dt.date,
        text: tuple[list[str], str] | None = None,
        inventors: list[str] | None = None,
        address: str | None = None,
        events: list | None = None,
    ):
        lang = app["lang"]
        if text is None:
            if base == "coherent":
                src_sents, src_feats = rng.choice(mat[f"docs_{lang}"])
                k = min(len(src_sents), rng.randint(5, 9))
                at = rng.randrange(len(src_sents) - k + 1)
                chosen = src_sents[at : at + k]
                pool = src_feats if len(src_feats) >= 4 else src_feats + rng.sample(mat[f"feat_{lang}"], 4)
            else:
                chosen = rng.sample(mat[f"sent_{lang}"], rng.randint(5, 9))
                pool = mat[f"feat_{lang}"]
            fs = [_vary(f, rng) for f in rng.sample(pool, rng.randint(3, 4))]
            sep = "；" if lang == "zh" else "; "
            claim1 = ("1.一种装置，其特征在于，" if lang == "zh" else "1. An apparatus comprising: ") + sep.join(fs)
            claims = [claim1] + [
                (f"{j}.根据权利要求1所述的装置，" if lang == "zh" else f"{j}. The apparatus of claim 1, wherein ")
                + rng.choice(pool)
                for j in (2, 3)
            ]
            desc = ("" if lang == "zh" else " ").join(chosen)
            if vary:  # this filing's own wording of the pooled sentences (see --vary)
                desc = (_edit_words if base == "coherent" else _edit)(desc, vary, rng)
        else:
            claims, desc = text
        parties = [
            {
                "name": app["name"],
                "role": "applicant",
                "kind": "organization",
                "country": "CN",
                "address": address or app["address"],
            }
        ]
        parties += [
            {"name": p, "role": "inventor", "kind": "person", "country": "CN"}
            for p in (inventors or rng.sample(app["inventors"], min(len(app["inventors"]), rng.randint(1, 3))))
        ]
        parties.append({"name": app["agency"], "role": "agency", "kind": "agency", "country": "CN"})
        rec = {
            "number": f"CN{num:09d}A",
            "country": "CN",
            "doc_type": "invention",
            "language": lang,
            "application_date": day.isoformat(),
            "publication_date": (day + dt.timedelta(days=540)).isoformat(),
            "claims": {lang: claims},
            "descriptions": {lang: desc},
            "parties": parties,
            "classifications": [
                {"scheme": "ipc", "symbol": f"{s}01B 1/00"} for s in app["sections"][: rng.randint(1, 2)]
            ],
        }
        if events:
            rec["_events"] = events
        return rec

    labels: dict[str, set[int]] = {k: set() for k in ("P1", "P2", "P3", "P4", "P5", "P6", "P7")}
    # the records go to a DuckDB file, not memory: at a million filings their JSON is several GB
    con = duckdb.connect(str(out / "generate.duckdb"))
    con.execute("SET memory_limit='512MB'")
    con.execute(f"SET temp_directory='{out / 'generate.spill'}'")
    con.execute("CREATE TABLE rec (doc_id BIGINT, data VARCHAR)")
    buf: list[tuple[int, str]] = []

    def put(doc_id: int, rec: dict[str, Any]) -> None:
        buf.append((doc_id, orjson.dumps(rec).decode()))
        if len(buf) >= 20_000:
            flush()

    def flush() -> None:
        if buf:
            df = pd.DataFrame.from_records(buf, columns=["doc_id", "data"])  # noqa: F841 - read by DuckDB
            con.execute("INSERT INTO rec SELECT * FROM df")
            buf.clear()
            if progress:
                progress(doc_id_next[0])

    doc_id_next = [1]

    def new_id() -> int:
        doc_id_next[0] += 1
        return doc_id_next[0] - 1

    inject = max(1, n // 1000)  # cases of each kind per million: 1000
    base = n - inject * (3 + 14 + 4) - inject - 3 * inject
    sources: list[tuple[int, dict[str, Any]]] = []  # (owner index, record) of base filings P2 copies
    for i in range(base):
        app = apps[int(owner_of[i])]
        day = START + dt.timedelta(days=int(nrng.integers(0, span)))
        rec = record(new_id(), app, day)
        if i < inject:  # P7: a transfer chain soon after filing
            rec["_events"] = [
                {
                    "type": "transferred",
                    "date": (day + dt.timedelta(days=30)).isoformat(),
                    "details": {"from": [app["name"]], "to": [f"中转{i}有限公司"]},
                },
                {
                    "type": "transferred",
                    "date": (day + dt.timedelta(days=200)).isoformat(),
                    "details": {"from": [f"中转{i}有限公司"], "to": [f"终端{i}有限公司"]},
                },
            ]
            labels["P7"].add(doc_id_next[0] - 1)
        put(doc_id_next[0] - 1, rec)
        if inject <= i < 2 * inject:
            sources.append((int(owner_of[i]), rec))
        if i < inject:  # P1: a near-duplicate by the same applicant
            claims, desc = rec["claims"][app["lang"]], rec["descriptions"][app["lang"]]
            copy = record(new_id(), app, day + dt.timedelta(days=40), (claims, desc))
            labels["P1"].update((doc_id_next[0] - 1, doc_id_next[0] - 2))
            put(doc_id_next[0] - 1, copy)
    for b in range(inject):  # P5 bursts: 14 filings in a week, two inventors, by a new applicant
        app = dict(apps[b], name=f"突发{b}科技有限公司", sections=list("ABCDEFGH"))
        week0 = START + dt.timedelta(days=7 * rng.randint(2, span // 7 - 2))
        week0 -= dt.timedelta(days=week0.weekday())
        invs = [person(), person()]
        for _k in range(14):
            app["sections"] = rng.sample("ABCDEFGH", 2)
            i_ = new_id()
            put(i_, record(i_, app, week0 + dt.timedelta(days=rng.randint(0, 4)), inventors=invs))
            labels["P5"].add(i_)
    for g in range(inject):  # P6: four shells at one address with one inventor, one text
        lang = "en" if g % 2 else "zh"
        proto = record(0, {**apps[0], "lang": lang}, START)
        text = (proto["claims"][lang], proto["descriptions"][lang])
        boss, addr = person(), f"深圳市龙岗区布吉街道{g}号"
        day0 = START + dt.timedelta(days=rng.randint(0, span - 90))
        for k in range(4):
            shell = {
                "name": f"分散{g}-{k}贸易有限公司",
                "lang": lang,
                "inventors": [boss],
                "address": addr,
                "agency": agencies[g % len(agencies)],
                "sections": ["F"],
            }
            i_ = new_id()
            put(i_, record(i_, shell, day0 + dt.timedelta(days=k * 15), text, [boss, person()], addr))
            labels["P6"].add(i_)
            labels["P1"].add(i_)  # several applications with identical content, too
    for k, (owner, src) in enumerate(sources):  # P2: another applicant's copy of an earlier published filing
        lang = apps[owner]["lang"]
        other = apps[(owner + 1 + k) % len(apps)]
        other = dict(other, lang=lang, name=f"仿制{k}科技有限公司")
        day = dt.date.fromisoformat(src["publication_date"]) + dt.timedelta(days=rng.randint(30, 200))
        text = ([_edit(c, 0.08, rng) for c in src["claims"][lang]], _edit(src["descriptions"][lang], 0.08, rng))
        i_ = new_id()
        put(i_, record(i_, other, day, text))
        labels["P2"].add(i_)
    from integrity_eval import TRIVIAL
    from ipoffice.integrity import textstats

    en_sents = [textstats.tokens(x) for x in mat["sent_en"][:20_000]]
    chain = textstats.markov_chain(en_sents, 2)
    en_apps = [a for a in apps if a["lang"] == "en"] or apps
    for g in range(inject):  # P3: Markov-chain text (claims and description) built from the real sentences
        app = dict(en_apps[g % len(en_apps)], lang="en", name=f"Random Text Works {g}")

        def babble(k: int) -> str:
            return ". ".join(" ".join(x) for x in textstats.markov_text(en_sents, k, rng, chain=chain)) + "."

        claims = [f"{j}. {babble(40)}" for j in range(1, 6)]
        day = START + dt.timedelta(days=rng.randint(0, span))
        i_ = new_id()
        put(i_, record(i_, app, day, (claims, babble(900))))
        labels["P3"].add(i_)
    for g in range(inject):  # P4: a real-looking filing whose claims carry 25 trivial dependent claims
        app = en_apps[(g * 7) % len(en_apps)]
        day = START + dt.timedelta(days=rng.randint(0, span))
        i_ = new_id()
        rec = record(i_, dict(app, lang="en"), day)
        claims = list(rec["claims"]["en"])
        for _ in range(25):
            no = len(claims) + 1
            claims.append(f"{no}. The apparatus of claim {no - 1}, wherein it is {rng.choice(TRIVIAL)}.")
        rec["claims"] = {"en": claims}
        put(i_, rec)
        labels["P4"].add(i_)
    flush()
    total = con.execute("SELECT count(*) FROM rec").fetchone()[0]
    # rows were inserted in doc_id order, and COPY keeps insertion order: no sort of a million JSON strings
    # one thread, small row groups: a group of filings' JSON is what COPY holds in memory (20,000 of them
    # overflowed the 512 MB limit at a million filings)
    con.execute("SET threads=1")
    con.execute(f"COPY rec TO '{out / 'records.parquet'}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 2048)")
    con.close()
    (out / "generate.duckdb").unlink(missing_ok=True)
    shutil.rmtree(out / "generate.spill", ignore_errors=True)
    return {
        "records": total,
        "applicants": len(apps),
        "agencies": len(agencies),
        "labels": labels,
        "model": model,
    }


# ---------------------------------------------------------------- scan


def source_from(parquet: Path):
    import duckdb
    import orjson

    def items():
        con = duckdb.connect()
        con.execute("SET memory_limit='256MB'")
        cur = con.execute(f"SELECT doc_id, data FROM read_parquet('{parquet}')")
        while True:
            rows = cur.fetchmany(10_000)
            if not rows:
                break
            yield from rows
        con.close()

    def source(ids: list[int]) -> dict[int, dict[str, Any]]:
        con = duckdb.connect()
        try:
            rows = con.execute(
                f"SELECT doc_id, data FROM read_parquet('{parquet}') WHERE doc_id IN (SELECT unnest(?::BIGINT[]))",
                [list(ids)],
            ).fetchall()
        finally:
            con.close()
        return {i: orjson.loads(d) for i, d in rows}

    return items, source


def scan(ex: Any, engine: str) -> tuple[dict[str, Any], list[Any]]:
    """Every patent pass of the scan over one extract: the corpus passes, P2 from the LSH join, P3/P4 as judged
    in the extraction (no store, no search index: the prior-art engine is not asked)."""
    from sqlalchemy import create_engine

    from ipoffice.integrity import corpus_signals as cs
    from ipoffice.integrity.rules import default_rules
    from ipoffice.integrity.signals import ScanContext

    ctx = ScanContext(
        engine=create_engine("sqlite://"),
        rules=default_rules(),
        engine_name=engine,
        options={"extract": ex, "use_priorart": False},
    )
    res = cs.corpus_results(ctx)
    kept = [f for fl in res.flags.values() for f in fl if cs._kept(ctx, f)]
    return res.stats, kept


def recall(kept: list[Any], labels: dict[str, set[int]]) -> dict[str, Any]:
    nums = {}
    for f in kept:
        nums.setdefault(f.behaviour, set()).add(f.number)
    out = {}
    for b, ids in labels.items():
        want = {f"CN{i:09d}A" for i in ids}
        got = nums.get(b, set())
        out[b] = {
            "injected": len(want),
            "flagged": len(got),
            "recall": round(len(got & want) / max(len(want), 1), 4),
            "precision": round(len(got & want) / max(len(got), 1), 4),
        }
    return out


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the extraction workers)."""
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--spark-n", type=int, default=200_000, help="size of the Spark run (0: none; -1: same as --n)")
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temporary one, deleted)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--vary", type=float, default=VARY, help="share of each base description reworded (0: none)")
    ap.add_argument(
        "--base",
        choices=("shuffled", "coherent"),
        default="shuffled",
        help="base filings: sentences of unrelated filings (default) or a run of one filing's (see generate)",
    )
    args = ap.parse_args()
    from rich.progress import Progress

    from ipoffice.integrity.engines.extract import extract_records
    from ipoffice.integrity.engines.perdoc import PerDocSpec
    from ipoffice.integrity.rules import default_rules

    work = args.keep or Path(tempfile.mkdtemp(prefix="ipoffice-integrity-scale-", dir=os.environ.get("TMPDIR")))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "n": args.n,
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "vary": args.vary,
        "base": args.base,
    }
    try:
        with PeakRSS() as gmem, Progress(transient=True) as prog:
            t = prog.add_task("generate", total=args.n)
            t0 = time.perf_counter()
            gen = generate(args.n, work, progress=lambda k: prog.update(t, completed=k), vary=args.vary, base=args.base)
            report["generate_s"] = round(time.perf_counter() - t0, 1)
        report["generate_peak_rss_mb"] = round(gmem.peak / 2**20)
        report["records"] = gen["records"]
        report["applicants"] = gen["applicants"]
        report["parquet_mb"] = round((work / "records.parquet").stat().st_size / 2**20, 1)
        items, source = source_from(work / "records.parquet")
        with PeakRSS(every=0.2, self_max=False) as mem, Progress(transient=True) as prog:
            t = prog.add_task("extract", total=gen["records"])
            t0 = time.perf_counter()
            done = [0]

            def tick(k: int) -> None:
                done[0] += k
                prog.update(t, completed=done[0])

            c0 = _cpu()
            spec = PerDocSpec(rules=default_rules(), model=gen["model"], model_where="trained by the benchmark")
            ex = extract_records(
                items(), source, folder=work / "extract", workers=args.workers, progress=tick, perdoc=spec
            )
            t1 = time.perf_counter()
            stats, kept = scan(ex, "duckdb")
            t2 = time.perf_counter()
            c2 = _cpu()
        report["duckdb"] = {
            "extract_s": round(t1 - t0, 1),
            "passes_s": round(t2 - t1, 1),
            "total_s": round(t2 - t0, 1),
            "cpu_s": round(c2 - c0, 1),
            "peak_rss_mb": round(mem.peak / 2**20),
            "pass_seconds": stats.get("seconds"),
            "flags": dict(Counter(f.behaviour for f in kept)),
            "stats": stats,
            "injected": recall(kept, gen["labels"]),
        }
        # the DuckDB figures first, on stderr, so a long Spark run cut short loses nothing
        print(json.dumps({"duckdb": report["duckdb"]}, default=str), file=sys.stderr, flush=True)
        if args.spark_n:
            sn = args.n if args.spark_n < 0 else min(args.spark_n, args.n)
            if sn == args.n:
                sex = ex
            else:
                # the first sn documents of the same generated set, extracted again
                items2 = (it for it in items() if it[0] <= sn)
                sex = extract_records(items2, source, folder=work / "extract_spark", workers=args.workers, perdoc=spec)
            with PeakRSS() as mem:
                t0 = time.perf_counter()
                sstats, skept = scan(sex, "spark")
                t1 = time.perf_counter()
            report["spark"] = {
                "n": sex.counts["docs"],
                "passes_s": round(t1 - t0, 1),
                "pass_seconds": sstats.get("seconds"),
                "peak_rss_mb": round(mem.peak / 2**20),
                "flags": dict(Counter(f.behaviour for f in skept)),
            }
            if sex is not ex:
                dstats, dkept = scan(sex, "duckdb")
                report["spark"]["same_flags_as_duckdb"] = sorted((f.behaviour, f.number) for f in dkept) == sorted(
                    (f.behaviour, f.number) for f in skept
                )
            else:
                report["spark"]["same_flags_as_duckdb"] = sorted((f.behaviour, f.number) for f in kept) == sorted(
                    (f.behaviour, f.number) for f in skept
                )
        report["disk_used_mb"] = round(sum(p.stat().st_size for p in work.rglob("*") if p.is_file()) / 2**20)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
