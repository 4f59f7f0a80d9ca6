"""Evaluate the integrity desk's patent signals on real filings with injected, labelled abnormal behaviour.

Real filings: USPTO grant and application XML, CNIPA XML, EPO, JPO and WIPO documents from ../shared/data/patents,
imported with the office's own importers. They are re-dated (order kept, spread evenly over 2021-04-01 ..
2025-09-30) so that every filing falls under Announcement No. 411 or Order No. 77; otherwise no rule would be in
force for them and the false-flag rate would be trivially zero.

Injected (labelled) cases, built from those filings and from real abstracts of ../shared/data/patents/corpus
(PatentsView US abstracts, KPPatent-ZH Chinese claims; texts that are not in the scanned store):
  P1  near-duplicates of a real filing by its own applicant with light word edits (source and copies labelled),
      and claim-1 recombinations of features from two of one real applicant's filings;
  P2  copies of another applicant's earlier filing with word substitutions (H4's prior-art copy signal);
  P3  Markov-chain generated claims and description (H4's generated-text signal);
  P4  real filings whose claims are stacked with trivial dependent claims (H4's claim-structure signal);
  P5  bursts: a new applicant with two inventors files 12-16 applications in one week over unrelated IPC sections;
  P6  shell applicants sharing a street address and a controlling inventor, each filing a lightly edited copy of
      one text (also P1: several applications with identical content);
  P7  transfer chains soon after filing, many-to-one transfers to one receiver, all inventors replaced;
  A4  two "mill" agencies that file most of the injected cases (plus clean filings of their own).
Hard negatives (not counted as untouched real filings): a legitimate batch of 12 filings in one week by 12
inventors in one IPC section; single transfers, and transfers long after filing.

Reported: precision and recall per behaviour on the injected labels, and the false-flag rate (any behaviour)
on the untouched real filings. The scan is `ipoffice.integrity.scan.scan` (every registered signal) when
present, else the corpus signals alone.

    .venv/bin/python bench/integrity_eval.py [--engine duckdb|spark] [--seed 7] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

REAL_SOURCES = [
    "patents/uspto-grant-xml",
    "patents/uspto-app-xml",
    "patents/cn",
    "patents/epo",
    "patents/uspto-pap-v1x",
    "patents/uspto-grant-sgml-v25",
    "patents/jp",
    "patents/wipo-st96",
]
START, END = dt.date(2021, 4, 1), dt.date(2025, 9, 30)
BEHAVIOURS = ("P1", "P2", "P3", "P4", "P5", "P6", "P7", "A4")
MILLS = ("北京华锐知识产权代理有限公司", "深圳市鼎盛专利代理事务所")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志鹏宇浩然子轩欣怡晨阳思远俊杰雨婷佳琪"
SECTIONS = "ABCDEFGH"
TRIVIAL = [
    "made of plastic",
    "coloured red",
    "about 5 mm thick",
    "rectangular",
    "packaged in a box",
    "provided with a label",
    "made of steel",
    "about 10 cm long",
    "coated with paint",
    "sold in pairs",
]


@dataclass
class Labels:
    docs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # number -> behaviours
    agencies: set[str] = field(default_factory=set)  # agency names labelled A4
    untouched: set[str] = field(default_factory=set)  # real filings left as they were
    hard_negatives: set[str] = field(default_factory=set)


# ---------------------------------------------------------------- real data


def import_real(store: Any, sources: list[str] | None = None) -> int:
    from ipoffice.ingest.runner import import_path

    n = 0
    for s in sources or REAL_SOURCES:
        n += import_path(store, SHARED / s, workers=1).loaded
    return n


def real_records(store: Any) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from ipoffice.core import tables as t

    with store.engine.connect() as conn:
        return [dict(d) for (d,) in conn.execute(select(t.PatentDocument.data).order_by(t.PatentDocument.id))]


def _d(v: Any) -> dt.date | None:
    return dt.date.fromisoformat(v[:10]) if isinstance(v, str) and v else v


def redate(records: list[dict[str, Any]], rng: random.Random) -> None:
    """Spread the filings evenly over START..END in their own order; other dates keep their distance (capped)."""
    dated = sorted(
        (r for r in records if r.get("application_date")), key=lambda r: (r["application_date"], r["number"])
    )
    span = (END - START).days
    for i, r in enumerate(dated):
        old = _d(r["application_date"])
        new = START + dt.timedelta(days=int(i * span / max(len(dated), 1)) + rng.randint(0, 3))
        r["application_date"] = new.isoformat()
        for k, cap in (("publication_date", 540), ("grant_date", 1200)):
            if r.get(k):
                delta = min(max((_d(r[k]) - old).days, 1), cap)
                r[k] = (new + dt.timedelta(days=delta)).isoformat()
        for p in r.get("priorities") or []:
            if p.get("date"):
                p["date"] = (new - dt.timedelta(days=min(max((old - _d(p["date"])).days, 0), 365))).isoformat()


def text_pool(n_en: int = 400, n_zh: int = 300, seed: int = 7) -> list[dict[str, Any]]:
    """Real abstracts/claims not in the store: PatentsView US abstracts and KPPatent-ZH claims."""
    rng = random.Random(seed)
    en, zh = [], []
    with gzip.open(SHARED / "patents/corpus/koehrsen-patentsview-abstracts/neural_network_patent_query.jsonl.gz") as f:
        for line in f:
            r = json.loads(line)
            if len(r["patent_abstract"].split()) > 80:
                en.append({"lang": "en", "title": r["patent_title"], "text": r["patent_abstract"].replace('""', '"')})
    with gzip.open(SHARED / "patents/corpus/kppatent-zh/test_data_TAC.jsonl.gz") as f:
        for line in f:
            inp = json.loads(line)["input"]
            m = re.match(r"标题：(.*)\n摘要：(.*?)\n权利声明：(.*)", inp, re.S)
            if m and len(m.group(2)) > 120:
                zh.append({"lang": "zh", "title": m.group(1), "text": m.group(2), "claims": m.group(3)})
    rng.shuffle(en)
    rng.shuffle(zh)
    return en[:n_en] + zh[:n_zh]


# ---------------------------------------------------------------- building blocks


class Gen:
    def __init__(self, seed: int, pool: list[dict[str, Any]]) -> None:
        self.rng = random.Random(seed)
        self.pool = pool
        self.pool_i = 0
        self.pool_used: set[int] = set()
        self.seq = 0
        with gzip.open(SHARED / "trademarks/cn/brand-lexicon-company-shortforms/Company-Shorter-Form_28W.txt.gz") as f:
            words = [w.strip() for w in f.read().decode("utf-8-sig").splitlines()[3:] if 2 <= len(w.strip()) <= 4]
        self.brands = self.rng.sample(words, 3000)
        self.used: set[str] = set()

    def number(self) -> str:
        self.seq += 1
        return f"9{self.seq:08d}"

    def company(self) -> str:
        while True:
            name = (
                f"{self.rng.choice(['深圳市', '杭州', '苏州', '成都', '武汉', '西安'])}{self.rng.choice(self.brands)}"
                f"{self.rng.choice(['科技', '电子', '机械', '新材料', '智能装备'])}有限公司"
            )
            if name not in self.used:
                self.used.add(name)
                return name

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.randint(1, 2)))

    def address(self) -> str:
        return (
            f"广东省深圳市南山区{self.rng.choice(['科技园', '高新', '西丽', '蛇口'])}路{self.rng.randint(1, 999)}号"
            f"{self.rng.randint(1, 30)}栋{self.rng.randint(101, 2999)}室"
        )

    def pooled(self, lang: str | None = None) -> dict[str, Any]:
        """The next unused pooled text (of `lang`). Never the same text twice: the pool is English then Chinese,
        and a pass for one language used to wrap around and hand out texts already filed by another injected
        applicant, an unlabelled copy of another's earlier text (behaviour P2, and P1 across applicants)."""
        for _ in range(len(self.pool)):
            i = self.pool_i % len(self.pool)
            self.pool_i += 1
            p = self.pool[i]
            if i not in self.pool_used and (lang is None or p["lang"] == lang):
                self.pool_used.add(i)
                return p
        raise RuntimeError(f"text pool exhausted ({len(self.pool)} texts, language {lang})")

    def record(
        self,
        text: dict[str, Any],
        applicant: str,
        inventors: list[str],
        day: dt.date,
        agency: str | None,
        sections: str = "G",
        address: str | None = None,
        phone: str | None = None,
    ) -> dict[str, Any]:
        """A new CN application from a pooled real text."""
        if text["lang"] == "zh":
            claims = [c.strip() for c in re.split(r"\n(?=\d+[.．、])", text["claims"]) if c.strip()]
            lang = "zh"
        else:
            sents = re.split(r"(?<=\.)\s+", text["text"])
            claims = [f"1. {text['title']}, comprising: " + "; ".join(s.rstrip(".") for s in sents[:3]) + "."]
            lang = "en"
        parties = [
            {
                "name": applicant,
                "role": "applicant",
                "kind": "organization",
                "country": "CN",
                "address": address,
                "identifiers": {"phone": phone} if phone else {},
            },
            *({"name": n, "role": "inventor", "kind": "person", "country": "CN"} for n in inventors),
        ]
        if agency:
            parties.append({"name": agency, "role": "agency", "kind": "agency", "country": "CN"})
        return {
            "number": self.number(),
            "country": "CN",
            "kind": "A",
            "doc_type": "invention",
            "stage": "application",
            "number_is_synthetic": True,
            "application_date": day.isoformat(),
            "publication_date": (day + dt.timedelta(days=540)).isoformat(),
            "language": lang,
            "titles": {lang: text["title"]},
            "abstracts": {lang: text["text"][:600]},
            "claims": {lang: claims},
            "descriptions": {lang: text["text"]},
            "parties": parties,
            "classifications": [
                {"scheme": "ipc", "symbol": f"{s}01B 1/00", "main": i == 0} for i, s in enumerate(sections)
            ],
            "source_format": "injected",
        }

    def _count(self, n: int, rate: float) -> int:
        """How many of n tokens to change at `rate`: the fraction rounded at random, so short claims are not
        edited far more heavily than the rate says."""
        k = n * rate
        return min(n, int(k) + (1 if self.rng.random() < k - int(k) else 0))

    def edit(self, text: str, rate: float) -> str:
        """Replace about `rate` of the words (characters for Chinese) with others of the same text."""
        if re.search(r"[\u4e00-\u9fff]", text[:200]):
            chars = list(text)
            idx = [i for i, c in enumerate(chars) if "\u4e00" <= c <= "\u9fff"]
            for i in self.rng.sample(idx, self._count(len(idx), rate)):
                chars[i] = chars[self.rng.choice(idx)]
            return "".join(chars)
        words = text.split(" ")
        vocab = [w for w in words if w.isalpha() and len(w) > 3] or ["device"]
        for i in self.rng.sample(range(len(words)), self._count(len(words), rate)):
            words[i] = self.rng.choice(vocab)
        return " ".join(words)


def _lang(d: dict[str, Any]) -> str:
    return next(iter(d.get("claims") or {"en": 0}))


def _owner_names(r: dict[str, Any]) -> list[str]:
    ps = r.get("parties") or []
    own = [p["name"] for p in ps if p.get("role") in ("assignee", "owner")]
    return own or [p["name"] for p in ps if p.get("role") == "applicant"]


def _fresh_parties(g: Gen, r: dict[str, Any], agency: str | None) -> list[dict[str, Any]]:
    ps = [{"name": g.company(), "role": "applicant", "kind": "organization", "country": "CN"}]
    ps += [{"name": g.person(), "role": "inventor", "kind": "person", "country": "CN"} for _ in range(2)]
    if agency:
        ps.append({"name": agency, "role": "agency", "kind": "agency", "country": "CN"})
    return ps


def _with_agency(parties: list[dict[str, Any]], agency: str) -> list[dict[str, Any]]:
    return [p for p in parties if p.get("role") not in ("agency", "agent")] + [
        {"name": agency, "role": "agency", "kind": "agency", "country": "CN"}
    ]


def _full_text(r: dict[str, Any]) -> bool:
    lang = _lang(r)
    return (
        r.get("doc_type") == "invention"
        and bool(r.get("application_date"))
        and len((r.get("claims") or {}).get(lang) or []) >= 3
        and len((r.get("descriptions") or {}).get(lang) or "") > 3000
    )


# ---------------------------------------------------------------- injection


def inject(
    records: list[dict[str, Any]], g: Gen, scale: float = 1.0
) -> tuple[list[dict[str, Any]], list[tuple[str, str, dt.date, dict[str, Any]]], Labels]:
    """Return (all records, events (number, type, date, details), labels)."""
    rng = g.rng
    labels = Labels()
    n = lambda k: max(1, int(round(k * scale)))  # noqa: E731
    by_number = {r["number"]: r for r in records}
    full = [r for r in records if _full_text(r) and _owner_names(r)]
    rng.shuffle(full)
    touched: set[str] = set()
    out: list[dict[str, Any]] = []
    events: list[tuple[str, str, dt.date, dict[str, Any]]] = []

    def take(k: int, cond=lambda r: True) -> list[dict[str, Any]]:  # noqa: ANN001
        got = []
        for r in full:
            if r["number"] not in touched and cond(r):
                got.append(r)
                touched.add(r["number"])
                if len(got) == k:
                    break
        return got

    # P1: near-duplicates by the same applicant
    for src in take(n(12)):
        labels.docs[src["number"]].add("P1")
        for _copy in range(rng.choice((1, 2))):
            lang = _lang(src)
            c = json.loads(json.dumps(src))
            c["number"] = g.number()
            c["application_number"] = None
            c["family_id"] = None
            c["priorities"] = []
            c["number_is_synthetic"] = True
            day = _d(src["application_date"]) + dt.timedelta(days=rng.randint(5, 90))
            c["application_date"] = day.isoformat()
            c["publication_date"] = (day + dt.timedelta(days=540)).isoformat()
            c["grant_date"] = None
            c["claims"] = {lang: [g.edit(x, 0.012) for x in src["claims"][lang]]}
            c["descriptions"] = {lang: g.edit(src["descriptions"][lang][:14000], 0.012)}
            c["parties"] = _with_agency(c["parties"], MILLS[0])
            c["source_format"] = "injected"
            labels.docs[c["number"]].add("P1")
            out.append(c)

    # P1: recombination of features of two filings of one real applicant
    owners: dict[str, list[dict[str, Any]]] = defaultdict(list)
    from ipoffice.integrity.engines.extract import _FEATURE_SPLIT, claim_features

    for r in full:
        if len(claim_features(r)) >= 2:
            owners[_owner_names(r)[0]].append(r)
    made = 0
    for _owner, docs in sorted(owners.items()):
        if made >= n(6) or len(docs) < 2:
            continue
        a, b = docs[0], docs[1]
        lang = _lang(a)
        if lang != _lang(b):
            continue

        def segs(r: dict[str, Any], lang: str = lang) -> list[str]:
            first = re.sub(r"^\s*\d+\s*[.、．:)]\s*", "", r["claims"][lang][0])
            return [s.strip() for s in _FEATURE_SPLIT.split(first) if len(s.strip()) >= 12]

        sa, sb = segs(a), segs(b)
        if len(sa) < 2 or len(sb) < 2:
            continue
        touched.update((a["number"], b["number"]))
        c = json.loads(json.dumps(a))
        c.update(
            number=g.number(),
            application_number=None,
            family_id=None,
            priorities=[],
            grant_date=None,
            number_is_synthetic=True,
            source_format="injected",
        )
        day = max(_d(a["application_date"]), _d(b["application_date"])) + dt.timedelta(days=rng.randint(10, 60))
        c["application_date"] = day.isoformat()
        c["publication_date"] = (day + dt.timedelta(days=540)).isoformat()
        claim1 = "1. " + "; ".join(sa[:2] + sb[:2]) + "."
        c["claims"] = {lang: [claim1] + b["claims"][lang][1:4]}
        c["descriptions"] = {lang: (b["descriptions"][lang][15000:27000] or b["descriptions"][lang][-9000:])}
        c["parties"] = _with_agency(c["parties"], MILLS[1])
        labels.docs[c["number"]].add("P1")
        out.append(c)
        made += 1

    # P2 (H4): copies of another applicant's earlier filing, with word substitutions
    for src in take(n(12)):
        lang = _lang(src)
        c = json.loads(json.dumps(src))
        day = _d(src.get("publication_date") or src["application_date"]) + dt.timedelta(days=rng.randint(30, 200))
        c.update(
            number=g.number(),
            application_number=None,
            family_id=None,
            priorities=[],
            grant_date=None,
            number_is_synthetic=True,
            source_format="injected",
            application_date=day.isoformat(),
            publication_date=(day + dt.timedelta(days=540)).isoformat(),
        )
        c["claims"] = {lang: [g.edit(x, 0.08) for x in src["claims"][lang]]}
        c["descriptions"] = {lang: g.edit(src["descriptions"][lang][:14000], 0.08)}
        c["parties"] = _fresh_parties(g, src, None)
        labels.docs[c["number"]].add("P2")
        touched.discard(src["number"])  # the source stays an untouched real filing
        out.append(c)

    # P3 (H4): Markov-chain generated text
    chain: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in full[:150]:
        words = " ".join((r.get("descriptions") or {}).get("en", "")[:5000].split()).split(" ")
        for i in range(len(words) - 2):
            chain[(words[i], words[i + 1])].append(words[i + 2])
    keys = list(chain)

    def babble(k: int) -> str:
        w = list(rng.choice(keys))
        while len(w) < k:
            nxt = chain.get((w[-2], w[-1]))
            w.append(rng.choice(nxt) if nxt else rng.choice(keys)[0])
        return " ".join(w)

    if keys:
        for _ in range(n(12)):
            day = START + dt.timedelta(days=rng.randint(0, (END - START).days))
            text = {"lang": "en", "title": babble(6), "text": babble(400)}
            c = g.record(text, g.company(), [g.person()], day, None, "G")
            c["claims"] = {"en": [f"{i}. " + babble(40) for i in range(1, 9)]}
            labels.docs[c["number"]].add("P3")
            out.append(c)

    # P4 (H4): stacked trivial dependent claims on real filings (changed in place)
    for src in take(n(12), lambda r: _lang(r) == "en"):
        claims = list(src["claims"]["en"])
        subject = re.sub(r"^\s*\d+\s*\.\s*(an?|the)?\s*", "", claims[0]).split(",")[0].split(" comprising")[0][:60]
        start = len(claims)
        for i in range(25):
            no = start + i + 1
            claims.append(f"{no}. The {subject} of claim {no - 1}, wherein it is {rng.choice(TRIVIAL)}.")
        src["claims"] = {"en": claims}
        labels.docs[src["number"]].add("P4")

    # P5: bursts of a new applicant with two inventors over unrelated IPC sections
    for b in range(n(4)):
        company, inventors = g.company(), [g.person(), g.person()]
        week0 = START + dt.timedelta(days=rng.randint(20, 1500))
        week0 -= dt.timedelta(days=week0.weekday())
        for _k in range(rng.randint(12, 16)):
            day = week0 + dt.timedelta(days=rng.randint(0, 4))
            secs = "".join(rng.sample(SECTIONS, 2))
            c = g.record(g.pooled(), company, inventors, day, MILLS[b % 2], secs)
            labels.docs[c["number"]].add("P5")
            out.append(c)
    # hard negative: a legitimate batch (one section, one inventor per filing)
    company = g.company()
    week0 = dt.date(2023, 5, 8)
    for _k in range(12):
        c = g.record(g.pooled(), company, [g.person()], week0 + dt.timedelta(days=rng.randint(0, 4)), None, "H")
        labels.hard_negatives.add(c["number"])
        out.append(c)

    # P6: shell applicants at one address with one controlling inventor, each filing a copy of one text
    for grp in range(n(6)):
        text = g.pooled("zh" if grp % 2 else "en")
        address, boss = g.address(), g.person()
        day0 = START + dt.timedelta(days=rng.randint(30, 1500))
        for _k in range(rng.randint(3, 5)):
            t2 = dict(text)
            t2["text"] = g.edit(text["text"], 0.01)
            if "claims" in text:
                t2["claims"] = g.edit(text["claims"], 0.01)
            c = g.record(
                t2,
                g.company(),
                [boss, g.person()],
                day0 + dt.timedelta(days=rng.randint(0, 60)),
                MILLS[1],
                "F",
                address=address,
            )
            labels.docs[c["number"]].update(("P6", "P1"))
            out.append(c)

    # P7: transfer chains on real filings, many-to-one transfers, inventors replaced
    for src in take(n(8)):
        day = _d(src["application_date"])
        a, b2, c2 = _owner_names(src)[0], g.company(), g.company()
        events.append(
            (src["number"], "transferred", day + dt.timedelta(days=rng.randint(20, 120)), {"from": [a], "to": [b2]})
        )
        events.append(
            (src["number"], "transferred", day + dt.timedelta(days=rng.randint(130, 300)), {"from": [b2], "to": [c2]})
        )
        src["parties"] = _with_agency(src["parties"], MILLS[0])
        labels.docs[src["number"]].add("P7")
    for _grp in range(n(2)):
        receiver = g.company()
        day0 = START + dt.timedelta(days=rng.randint(30, 1400))
        for _k in range(4):
            owner = g.company()
            c = g.record(g.pooled(), owner, [g.person()], day0 + dt.timedelta(days=rng.randint(0, 30)), MILLS[0], "B")
            events.append(
                (
                    c["number"],
                    "transferred",
                    day0 + dt.timedelta(days=rng.randint(40, 90)),
                    {"from": [owner], "to": [receiver]},
                )
            )
            labels.docs[c["number"]].add("P7")
            out.append(c)
    for src in take(n(5)):
        inv = [p["name"] for p in src["parties"] if p.get("role") == "inventor"] or ["unknown"]
        events.append(
            (
                src["number"],
                "inventor-changed",
                _d(src["application_date"]) + dt.timedelta(days=60),
                {"removed": inv, "added": [g.person()], "kept": []},
            )
        )
        labels.docs[src["number"]].add("P7")
    for src in take(n(5)):  # hard negatives: one transfer, or a transfer long after filing
        day = _d(src["application_date"])
        late = rng.random() < 0.5
        when = day + dt.timedelta(days=900 if late else 100)
        events.append((src["number"], "transferred", when, {"from": _owner_names(src)[:1], "to": [g.company()]}))
        if late:
            events.append((src["number"], "transferred", when + dt.timedelta(days=30), {"from": ["x"], "to": ["y"]}))
        labels.hard_negatives.add(src["number"])

    # A4: the mills also file clean applications of their own
    for k in range(n(10)):
        day = START + dt.timedelta(days=rng.randint(0, 1600))
        c = g.record(g.pooled(), g.company(), [g.person(), g.person()], day, MILLS[k % 2], "C")
        out.append(c)
    labels.agencies.update(MILLS)

    labels.untouched = {
        r["number"]
        for r in records
        if r["number"] not in touched and r["number"] not in labels.docs and r["number"] not in labels.hard_negatives
    }
    assert all(num in by_number or any(o["number"] == num for o in out) for num in labels.docs)
    return records + out, events, labels


def load_store(
    store: Any, records: list[dict[str, Any]], events: list[tuple[str, str, dt.date, dict[str, Any]]]
) -> None:
    from sqlalchemy import delete, insert, select

    from ipoffice.core import tables as t
    from ipoffice.core.model import PatentRecord
    from ipoffice.core.store import PartyResolver, upsert_patents

    parties = PartyResolver()
    with store.session() as s:
        s.execute(delete(t.Event))
        s.execute(delete(t.PatentClassification))
        s.execute(delete(t.PatentParty))
        s.execute(delete(t.PatentCitation))
        s.execute(delete(t.PatentDocument))
        s.commit()
    with store.session() as s:
        for i in range(0, len(records), 500):
            upsert_patents(
                s, [(PatentRecord.model_validate(r), "bench:integrity_eval") for r in records[i : i + 500]], parties
            )
        ids = dict(s.execute(select(t.PatentDocument.number, t.PatentDocument.id)).all())
        if events:
            s.execute(
                insert(t.Event.__table__),
                [
                    {
                        "entity": "patent",
                        "entity_id": ids[num],
                        "number": num,
                        "event_type": typ,
                        "date": day,
                        "details": det,
                        "recorded_at": t.utcnow(),
                    }
                    for num, typ, day, det in events
                ],
            )
        s.commit()


def build(
    store: Any, seed: int = 7, scale: float = 1.0, sources: list[str] | None = None, staging: Path | None = None
) -> Labels:
    """Import real filings (into a staging store), re-date them, inject the cases and load all into `store`."""
    from ipoffice.core.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        stage = open_store(staging or Path(tmp) / "stage")
        import_real(stage, sources)
        records = real_records(stage)
        stage.engine.dispose()
    rng = random.Random(seed)
    redate(records, rng)
    g = Gen(seed, text_pool(seed=seed))
    records, events, labels = inject(records, g, scale)
    load_store(store, records, events)
    return labels


# ---------------------------------------------------------------- scoring


def run_scan(store: Any, engine: str, corpus_only: bool = False) -> list[dict[str, Any]]:
    """Flags as dicts (number, behaviour, kind): the desk's scan if it is there, else the corpus signals."""
    try:
        from ipoffice.integrity.scan import scan
    except ImportError:
        scan = None
    if corpus_only:
        scan = None
    if scan is not None:
        return scan(store, kind="patent", engine=engine)["results"]
    from ipoffice.integrity import corpus_signals as cs
    from ipoffice.integrity.rules import default_rules
    from ipoffice.integrity.signals import ScanContext

    ctx = ScanContext(engine=store.engine, rules=default_rules(), home=store.home, engine_name=engine)
    res = cs.corpus_results(ctx)
    return [f.to_json() for fl in res.flags.values() for f in fl if cs._kept(ctx, f)]


CORPUS = ("P1", "P5", "P6", "P7", "A4")


def score(flags: list[dict[str, Any]], labels: Labels, behaviours: tuple[str, ...] = BEHAVIOURS) -> dict[str, Any]:
    got: dict[str, set[str]] = defaultdict(set)
    for f in flags:
        # the scan's `behaviour` names the rule as law cites it (order77-3.2); `code` is the stable P-code
        got[f.get("code") or f["behaviour"]].add(f["number"])
    out: dict[str, Any] = {}
    for b in behaviours:
        truth = labels.agencies if b == "A4" else {n for n, bs in labels.docs.items() if b in bs}
        flagged = got.get(b, set())
        if b == "A4":
            from ipoffice.core.names import normalize_name

            truth = {normalize_name(a) for a in truth}
        tp = len(flagged & truth)
        out[b] = {
            "labelled": len(truth),
            "flagged": len(flagged),
            "tp": tp,
            "precision": round(tp / len(flagged), 4) if flagged else None,
            "recall": round(tp / len(truth), 4) if truth else None,
        }
    patent_flagged = {f["number"] for f in flags if f.get("kind", "patent") == "patent"}
    false = sorted(patent_flagged & labels.untouched)
    by_b = {b: len(got.get(b, set()) & labels.untouched) for b in behaviours if b != "A4"}
    out["untouched_real"] = {
        "filings": len(labels.untouched),
        "flagged": len(false),
        "false_flag_rate": round(len(false) / max(len(labels.untouched), 1), 4),
        "false_flags_by_behaviour": by_b,
        "false_flag_rate_by_behaviour": {b: round(k / max(len(labels.untouched), 1), 4) for b, k in by_b.items()},
        "examples": false[:10],
    }
    hn = sorted(patent_flagged & labels.hard_negatives)
    out["hard_negatives"] = {"filings": len(labels.hard_negatives), "flagged": len(hn), "examples": hn[:10]}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default="duckdb", choices=["duckdb", "spark", "python"])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the number of injected cases")
    ap.add_argument("--corpus-only", action="store_true", help="run only the corpus signals (P1, P5, P6, P7, A4)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    from ipoffice.core.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "home")
        t0 = time.perf_counter()
        labels = build(store, args.seed, args.scale)
        t1 = time.perf_counter()
        flags = run_scan(store, args.engine, args.corpus_only)
        t2 = time.perf_counter()
        behaviours = CORPUS if args.corpus_only else BEHAVIOURS
        res = score(flags, labels, behaviours)
        res["seconds"] = {"build": round(t1 - t0, 1), "scan": round(t2 - t1, 1)}
        res["engine"] = args.engine
        store.engine.dispose()
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
    else:
        print(f"engine {args.engine}; build {res['seconds']['build']} s, scan {res['seconds']['scan']} s")
        print(f"{'behaviour':<10}{'labelled':>9}{'flagged':>9}{'tp':>6}{'precision':>11}{'recall':>8}")
        for b in behaviours:
            r = res[b]
            print(
                f"{b:<10}{r['labelled']:>9}{r['flagged']:>9}{r['tp']:>6}{str(r['precision']):>11}{str(r['recall']):>8}"
            )
        u = res["untouched_real"]
        print(
            f"untouched real filings: {u['filings']}, flagged {u['flagged']} (false-flag rate {u['false_flag_rate']})"
        )
        print(f"  false flags by behaviour: {u['false_flags_by_behaviour']}")
        print(f"hard negatives: {res['hard_negatives']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
