"""Are two lists of goods or services identical or similar? China's similar-goods table (类似商品和服务区分表).

The examiner first asks whether the goods are the same or similar (商标审查审理指南 下编第五章 2, 3: 同一种或者
类似商品或者服务的认定，以《类似商品和服务区分表》作为参考). The table (shipped by ``ipoffice.core`` in
``core/schemes_data``, edition ``ncl12-2025``; read here through ``ipoffice.core.schemes.iter_scheme_rows``)
sorts every standard item into a similar group (类似群, ``0901``):

- items of one group are similar -- unless the group's note says its parts are not similar to each other
  (本类似群各部分之间商品不类似), then only items of the same part are;
- the groups' notes link items across groups ("氨,无水氨与0102第(二)部分…类似"): such items are similar too;
- an item listed in several groups (跨类似群保护商品) belongs to each of them.

Notes that only ask for cross-searching against older editions (交叉检索 with 第九版及以前版本 …) are not
similarity and are ignored. Free-text goods are first mapped to standard items (code, exact name, then the
closest name or a standard name inside the text); what cannot be mapped is reported, not guessed.

English goods (IPONZ, WIPO and EUIPO specifications) map through the Nice alphabetical list's terms that the table
carries for 9,783 items (their code is the Nice basic number): the filler of specifications is folded away, a list
is read as its items, the fuzzy bar is higher than for Chinese and token-aware, and the Nice classes filed (the
``classes`` hint) keep a match inside them. rapidfuzz does the fuzzy matching over candidate pools built once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from ipoffice.core import schemes
from ipoffice.trademarks.normalize import fold_han
from ipoffice.trademarks.rules import RulesError, load_rules
from ipoffice.trademarks.similarity import Reason

__all__ = ["GOODS_RULE", "GoodsItem", "GoodsMapping", "goods_similar", "map_goods"]

GOODS_RULE = "tmg2021-5.2"  # 释义: 同一种或者类似商品或者服务的认定，以区分表作为参考
_TEXT = "同一种或者类似商品或者服务的认定，以《商标注册用商品和服务国际分类》《类似商品和服务区分表》作为参考"
EDITION = schemes.VERSIONS["cn-item"]
FUZZY_CUTOFF = 0.75


def _clean(name: str) -> str:
    s = unicodedata.normalize("NFKC", name).replace("*", "").replace("※", "").strip()
    return fold_han(s)


@dataclass(frozen=True)
class GoodsItem:
    """A standard item of the similar-goods table that a goods text was mapped to."""

    text: str  # the text as given (the part of it, where a list was read as its items)
    code: str  # item code (090372, C090001)
    name: str  # the item's standard name
    groups: tuple[str, ...]  # similar groups listing the item
    parts: tuple[tuple[str, str], ...]  # (group, part) where the group has parts
    match: str  # "code", "exact", "fuzzy" or "contains"
    confidence: float = 1.0

    def part_in(self, group: str) -> str:
        return dict(self.parts).get(group, "")


@dataclass(frozen=True)
class GoodsMapping:
    items: list[GoodsItem] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Link:
    """One side of a cross-group note: a group, optionally one part and some item names."""

    group: str
    part: str = ""
    names: frozenset[str] = frozenset()

    def covers(self, item: GoodsItem) -> bool:
        if self.group not in item.groups:
            return False
        if self.part and item.part_in(self.group) != self.part:
            return False
        return not self.names or _clean(item.name) in self.names


# -- English: normalisation, an inflection fold and the filler of specifications --------------------------------

_EN_IRREGULAR = {
    "men": "man", "women": "woman", "children": "child", "teeth": "tooth", "feet": "foot", "mice": "mouse",
    "geese": "goose", "knives": "knife", "leaves": "leaf", "loaves": "loaf", "halves": "half", "shelves": "shelf",
    "calves": "calf", "wolves": "wolf", "scarves": "scarf", "hooves": "hoof", "potatoes": "potato",
    "tomatoes": "tomato", "mangoes": "mango", "echoes": "echo", "heroes": "hero", "volcanoes": "volcano",
    "data": "data", "media": "media", "criteria": "criterion", "bacteria": "bacterium", "fungi": "fungus",
    "cacti": "cactus", "indices": "index", "appendices": "appendix", "matrices": "matrix", "analyses": "analysis",
    "diagnoses": "diagnosis", "theses": "thesis", "apparatuses": "apparatus", "buses": "bus", "gases": "gas",
    "lenses": "lens", "canvases": "canvas", "atlases": "atlas", "aliases": "alias", "bonuses": "bonus",
    "jewellery": "jewelry", "colour": "color", "colours": "color", "grey": "gray", "aluminium": "aluminum",
    "sulphate": "sulfate", "sulphur": "sulfur", "fibre": "fiber", "fibres": "fiber", "centre": "center",
    "centres": "center", "metre": "meter", "metres": "meter", "litre": "liter", "theatre": "theater",
    "organisation": "organization", "organising": "organizing", "organise": "organize", "licence": "license",
    "programme": "program", "programmes": "program", "catalogue": "catalog", "catalogues": "catalog",
    "cheque": "check", "cheques": "check", "tyre": "tire", "tyres": "tire", "mould": "mold", "moulds": "mold",
    "yoghurt": "yogurt", "yoghurts": "yogurt", "pyjamas": "pajama", "pajamas": "pajama",
    "phone": "telephone", "phones": "telephone", "organisations": "organization", "headgear": "headwear",
    "tshirt": "teeshirt", "tshirts": "teeshirt",
}  # fmt: skip


def _fold_word(w: str) -> str:
    """A small inflection fold: plural -> singular and British -> American spelling, the same on both sides.

    Not a lemmatiser: both the table's names and the texts pass through it, so a consistent stem is enough.
    """
    if w in _EN_IRREGULAR:
        return _EN_IRREGULAR[w]
    if len(w) <= 3 or not w.endswith("s") or w.endswith(("ss", "us", "is", "ous")):
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes", "zzes")):
        return w[:-2]
    return w[:-1]


_EN_DROP = frozenset({"a", "an", "the"})
_EN_WORD = re.compile(r"[a-z0-9]+")


_EN_PHRASE = re.compile(r"\bprovision\s+of\b|\bt[- ]?(?=shirt)")


def _en_tokens(text: str) -> list[str]:
    """Words of an English goods text, folded ("provision of" reads as "providing")."""
    s = unicodedata.normalize("NFKC", text).lower().replace("&", " and ").replace("'s ", " ").replace("’s ", " ")
    s = _EN_PHRASE.sub(lambda m: "tee-" if m.group(0).startswith("t") else "providing", s)
    return [_fold_word(w) for w in _EN_WORD.findall(s) if w not in _EN_DROP]


def _sans_service(key: str) -> str:
    """'employment agency service' -> 'employment agency' (Nice says "advertising" and "employment agency
    services" alike); only ever matched against items of the service classes 35-45."""
    words = key.split()
    return " ".join(words[:-1]) if len(words) > 1 and words[-1] == "service" else ""


def _en_key(text: str) -> str:
    return " ".join(_en_tokens(text))


# filler of specifications: removed wherever it stands ("all included in class 9", "and parts and fittings therefor")
_FILLER = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"[,;:]?\s*\b(?:all\s+|the\s+|said\s+|aforesaid\s+|aforementioned\s+|goods\s+|services\s+|being\s+|as\s+)*"
        r"(?:included|comprised|contained|falling|classified|classed)\s+in\s+(?:this\s+|international\s+|nice\s+)?"
        r"class(?:es)?(?:\s*(?:\d+|,|and|or|&)\s*)*",
        r"[,;:]?\s*\bnot\s+included\s+in\s+other\s+classes\b",
        r"[,;:]?\s*\b(?:and\s+|&\s+|including\s+|all\s+)*(?:related\s+|replacement\s+|spare\s+)?"
        r"(?:parts?|fittings?|accessories|components|attachments)(?:\s*(?:,|and|&)\s*(?:parts?|fittings?|accessories|"
        r"components|attachments))*\s+(?:therefor|therefore|thereof|thereto|for\s+(?:all\s+)?(?:the\s+)?"
        r"(?:aforesaid|aforementioned|above|foregoing)(?:\s+goods)?)\b",
        r"[,;:]?\s*\b(?:all\s+|each\s+|any\s+|and\s+|or\s+|being\s+|as\s+|in\s+|of\s+|to\s+|for\s+|with\s+|"
        r"relating\s+|related\s+|relation\s+|respect\s+|regard\s+|connection\s+|the\s+|afore\w*\s+)*"
        r"(?:aforesaid|aforementioned|afore-mentioned|above[- ]?mentioned|foregoing)\b.*$",
        r"\bin\s+class\s+\d+\b",
        r"\b(?:articles|items|pieces)\s+of\s+(?=clothing\b|apparel\b|jewel)",
    )
]
# a qualifier ends the head of an item: what follows narrows it (examiners read "X, namely Y" as X, restricted)
_QUALIFIER = re.compile(
    r"[,;:]?\s*\b(?:namely|including|includes|being|featuring|in\s+the\s+nature\s+of|for\s+use\s+(?:in|with|as|on|by)|"
    r"used\s+(?:in|with|as|for)|such\s+as|in\s+particular|particularly|especially|e\.g\.|i\.e\.|provided\s+(?:via|by|"
    r"through|online|on|in|from)|sold\s+(?:as|in|with|through|via|together)|relating\s+to|related\s+to|in\s+relation\s+to|"
    r"in\s+connection\s+with|in\s+the\s+field\s+of|all\s+(?:for|being|sold|relating|related|in)|whether\s+or\s+not)\b",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")
# words that end the head noun phrase: a standard name found inside a text must end where the head ends
_EN_BOUNDARY = frozenset(
    "for of in with to from on by at as namely including being featuring sold used provided made containing comprising "
    "relating related other not excluding except via through into over under about against between during without "
    "which that whether all than or and".split()
)
_EN_RESTRICTS = frozenset("for of other than except not excluding being in with to".split())  # 'X, except Y'
# a word before a name that makes it something else: non-alcoholic beverages, semi-conductors, imitation furs,
# toy jewellery, soya milk (a milk substitute) ...
_EN_NEGATION = frozenset(
    "non not no without un free other except excluding semi anti imitation artificial faux fake mock dummy toy replica "
    "substitute soy soya soybean almond oat rice coconut vegan".split()
)
_EN_STOP = frozenset({"of", "for", "and", "or", "in", "with", "to", "on", "by", "as", "use", "purpose", "being"})
EN_FUZZY_CUTOFF = 0.85  # token-aware: every word must find its counterpart; below it the item is reported unmapped
EN_WORD_CUTOFF = 0.85  # each word against its counterpart ("coat" is not "coal", "cloth" is not "clothing")
EN_ONE_WORD_CUTOFF = 0.92  # a single word: a typo in a long word passes (jewelery), "towels" -> "trowels" does not


def _strip_filler(text: str) -> str:
    s = unicodedata.normalize("NFKC", text).replace("*", "").replace("®", "").replace("™", "")
    s = s.strip().strip(" .;,:")
    for rx in _FILLER:
        s = rx.sub(" ", s)
    return " ".join(s.split()).strip(" .;,:")


def _head(text: str) -> str:
    """The text up to its first qualifier ("namely", "including", "for use in", "featuring", ...)."""
    m = _QUALIFIER.search(text)
    return text[: m.start()].strip(" ,;:") if m and m.start() > 0 else text


def _variants(text: str) -> tuple[list[str], list[str]]:
    """The ways an English text may name a standard item: as written (brackets dropped or opened), and its head."""
    written = [text, _BRACKETS.sub(" ", text), _BRACKETS.sub(lambda m: f" {m.group(1) or m.group(2)} ", text)]
    written = [v for v in dict.fromkeys(" ".join(v.split()).strip(" ,;:") for v in written) if v]
    heads = [v for v in dict.fromkeys(_head(v) for v in written) if v and v not in written]
    return written, heads


_AND = re.compile(r"\s+(?:and/or|and|&|or)\s+", re.IGNORECASE)


def _split_commas(text: str) -> list[str]:
    """'clothing, footwear and headgear' -> ['clothing', 'footwear and headgear']; no list in it -> []."""
    parts = [p.strip(" ,;:") for p in re.split(r"\s*[,;/]\s*(?:and\s+|or\s+)?", text)]
    parts = [p for p in parts if p]
    return parts if len(parts) > 1 else []


def _split_and(text: str) -> list[str]:
    """'footwear and headgear' -> its parts; "and"/"or" part only before the first boundary word, so
    "preparations for bath and shower" stays one item while "leather and imitations of leather" is two."""
    words = text.split()
    b = next((i for i, w in enumerate(words) if w.lower() in _EN_BOUNDARY - {"and", "or"}), len(words))
    pieces = _AND.split(" ".join(words[:b]))
    pieces[-1] = " ".join([pieces[-1], *words[b:]])
    parts = [p.strip(" ,;:") for p in pieces if p.strip(" ,;:")]
    return parts if len(parts) > 1 else []


def _en_name_keys(title: str) -> tuple[list[str], list[str]]:
    """Keys of a standard English name: strong (the name, its alternatives, brackets dropped, 'clocks, electric'
    as 'electric clocks') and weak ('computer software, recorded' -> 'computer software')."""
    strong: list[str] = []
    weak: list[str] = []
    for alt in title.replace("*", "").split(" / "):
        for v in (alt, _BRACKETS.sub(" ", alt), _BRACKETS.sub(lambda m: f" {m.group(1) or m.group(2)} ", alt)):
            v = " ".join(v.split())
            strong.append(v)
            head, sep, tail = v.rpartition(", ")
            tail_words = set(tail.split())
            if sep and head and len(tail_words) <= 2 and not (tail_words & _EN_BOUNDARY):
                strong.append(f"{tail} {head}")
            if sep and head and len(tail_words) <= 4 and not (tail_words & _EN_RESTRICTS):
                weak.append(head)

    return [k for k in dict.fromkeys(map(_en_key, strong)) if k], [k for k in dict.fromkeys(map(_en_key, weak)) if k]


@dataclass(frozen=True)
class _Pool:
    """Names for the fuzzy match, in one order: their match keys and the codes each stands for."""

    keys: tuple[str, ...]
    codes: tuple[tuple[str, ...], ...]


def _class_of(code: str) -> int:
    return int(code.lstrip("C")[:2])


@dataclass(frozen=True)
class _Table:
    by_code: dict[str, GoodsItem]
    by_name: dict[str, list[str]]  # cleaned name (zh or lower-case en) -> codes
    names_zh: tuple[str, ...]
    parts_apart: frozenset[str]  # groups whose parts are not similar to each other
    links: tuple[tuple[_Link, _Link, str], ...]  # (a, b, note text)
    zh_rank: dict[str, int] = field(default_factory=dict)  # Chinese name -> place in names_zh (longest first)
    zh_pool: dict[int, _Pool] = field(default_factory=dict)  # class (0: all) -> Chinese names
    en_exact: dict[str, tuple[str, ...]] = field(default_factory=dict)  # English key -> codes
    en_weak: dict[str, tuple[str, ...]] = field(default_factory=dict)  # 'computer software' ('..., recorded')
    en_pool: dict[int, _Pool] = field(default_factory=dict)  # class (0: all) -> English keys, words sorted
    en_max_words: int = 1
    en_joined: dict[str, tuple[str, ...]] = field(default_factory=dict)  # 'mousepad' -> 'mouse pads'
    en_service: dict[str, tuple[str, ...]] = field(default_factory=dict)  # 'employment agency' (classes 35-45)


_PART = re.compile(r"第\(([一二三四五六七八九十]+)\)部分")
_GROUP_REF = re.compile(r"(?<!\d)(\d{4})(?!\d)(第\([一二三四五六七八九十]+\)部分)?")


def _names(text: str) -> frozenset[str]:
    parts = re.split(r"[,，、]", text)
    return frozenset(_clean(p) for p in parts if _clean(p))


def _parse_note(group: str, note: str) -> list[tuple[_Link, _Link]]:
    """Links of a note such as '2.氨,无水氨与0102第(二)部分工业用挥发碱(氨水)类似,与第九版…交叉检索；'."""
    own_part = ""
    m = re.match(r"第\(([一二三四五六七八九十]+)\)部分[：:]", note)
    if m:
        own_part = m.group(1)
        note = note[m.end() :]
    note = re.sub(r"^\d+\.", "", note.strip())
    out: list[tuple[_Link, _Link]] = []
    for clause in re.split(r"[；;。]", note):
        if "类似" not in clause or "与" not in clause or "不类似" in clause:
            continue
        head = clause.split("类似")[0]
        if "版" in head:  # "与第九版及以前版本…" is about older editions
            continue
        subj, _, obj = head.partition("与")
        subj = subj.strip(" ,，")
        refs = list(_GROUP_REF.finditer(obj))
        if not refs:
            continue
        if subj in ("本部分", "") or subj.startswith("本部分"):
            src = _Link(group, own_part)
        elif subj.startswith("本类似群") or "自然段" in subj:
            src = _Link(group)
        else:
            src = _Link(group, own_part, _names(subj))
        for i, r in enumerate(refs):
            end = refs[i + 1].start() if i + 1 < len(refs) else len(obj)
            tail = obj[r.end() : end].strip(" ,，")
            pm = _PART.search(r.group(2) or "")
            dst = _Link(r.group(1), pm.group(1) if pm else "", _names(tail) if tail else frozenset())
            out.append((src, dst))
    return out


def _pools(names: dict[str, list[str]], sort_words: bool) -> dict[int, _Pool]:
    by_class: dict[int, dict[str, list[str]]] = {0: {}}
    for name, codes in names.items():
        key = " ".join(sorted(name.split())) if sort_words else name
        for c in codes:
            for k in (0, _class_of(c)):
                by_class.setdefault(k, {}).setdefault(key, []).append(c)
    return {k: _Pool(tuple(d), tuple(tuple(dict.fromkeys(v)) for v in d.values())) for k, d in sorted(by_class.items())}


@lru_cache(maxsize=1)
def _table() -> _Table:
    by_code: dict[str, GoodsItem] = {}
    by_name: dict[str, list[str]] = {}
    en_exact: dict[str, list[str]] = {}
    en_weak: dict[str, list[str]] = {}
    for row in schemes.iter_scheme_rows("cn-item"):
        ex = row["extra"] or {}
        groups = tuple(ex.get("groups") or [row["parent"]])
        if ex.get("parts"):
            parts = tuple(sorted(ex["parts"].items()))
        elif ex.get("part"):
            parts = ((row["parent"], ex["part"]),)
        else:
            parts = ()
        name = row["title_zh"] or ""
        item = GoodsItem(text="", code=row["symbol"], name=_clean(name), groups=groups, parts=parts, match="code")
        by_code[row["symbol"]] = item
        for n in [name, *(ex.get("names") or [])]:
            by_name.setdefault(_clean(n), []).append(row["symbol"])
        if row["title_en"]:
            by_name.setdefault(_clean(row["title_en"]).lower(), []).append(row["symbol"])
            strong, weak = _en_name_keys(row["title_en"])
            for k in strong:
                en_exact.setdefault(k, []).append(row["symbol"])
            for k in weak:
                en_weak.setdefault(k, []).append(row["symbol"])
    # names without their bracketed qualifier as a second way in (矿泉水 -> 矿泉水(饮料)), never over a real name
    for n, codes in list(by_name.items()):
        bare = " ".join(re.sub(r"\(.*?\)|\[.*?\]", " ", n).split())
        if bare and bare != n and bare not in by_name:
            by_name[bare] = list(codes)
    apart: set[str] = set()
    links: list[tuple[_Link, _Link, str]] = []
    for row in schemes.iter_scheme_rows("cn-group"):
        for note in (row["extra"] or {}).get("notes") or []:
            if "各部分之间商品不类似" in note:
                apart.add(row["symbol"])
            for a, b in _parse_note(row["symbol"], note):
                links.append((a, b, f"[{row['symbol']}] {note}"))
    zh = {n: c for n, c in by_name.items() if _HAN.search(n)}
    names_zh = tuple(sorted(zh, key=len, reverse=True))
    # a weak key standing for many items ("fruit": tinned, preserved, stewed, frozen ...) names none of them
    weak = {k: tuple(dict.fromkeys(v)) for k, v in en_weak.items() if k not in en_exact and len(set(v)) <= 2}
    exact = {k: tuple(dict.fromkeys(v)) for k, v in en_exact.items()}
    return _Table(
        by_code,
        by_name,
        names_zh,
        frozenset(apart),
        tuple(links),
        zh_rank={n: i for i, n in enumerate(names_zh)},
        zh_pool=_pools(zh, sort_words=False),
        en_exact=exact,
        en_weak=weak,
        en_pool=_pools({**{k: list(v) for k, v in weak.items()}, **{k: list(v) for k, v in exact.items()}}, True),
        en_max_words=max(len(k.split()) for k in [*exact, *weak]),
        en_joined={k.replace(" ", ""): v for k, v in exact.items() if " " in k and k.replace(" ", "") not in exact},
        en_service=_service_keys(exact),
    )


def _service_keys(exact: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for k, codes in exact.items():
        bare = _sans_service(k)
        services = [c for c in codes if _class_of(c) >= 35]
        if bare and services:
            out.setdefault(bare, []).extend(services)
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _with_text(item: GoodsItem, text: str, match: str, conf: float = 1.0) -> GoodsItem:
    return GoodsItem(text, item.code, item.name, item.groups, item.parts, match, round(min(max(conf, 0.0), 1.0), 3))


def _hinted(codes: Iterable[str], hint: frozenset[int]) -> list[str]:
    """The codes in the hinted classes (all without a hint): a name in several classes is read in the class
    filed, and an item of another class is not what the applicant filed for ("glasses" in class 9 are not
    the drinking glasses of class 21), so it is left unmapped and reported."""
    codes = list(dict.fromkeys(codes))
    return [c for c in codes if _class_of(c) in hint] if hint else codes


@lru_cache(maxsize=64)
def _pool(lang: str, hint: frozenset[int]) -> _Pool:
    """The fuzzy candidates: all names, or those of the hinted classes only (a fuzzy match outside is not taken)."""
    t = _table()
    pools = t.en_pool if lang == "en" else t.zh_pool
    if not hint:
        return pools[0]
    keys: dict[str, list[str]] = {}
    for c in sorted(hint):
        p = pools.get(c)
        if p:
            for k, codes in zip(p.keys, p.codes, strict=True):
                keys.setdefault(k, []).extend(codes)
    return _Pool(tuple(keys), tuple(tuple(dict.fromkeys(v)) for v in keys.values()))


def _words_agree(a: list[str], b: list[str]) -> float:
    """Token-aware agreement: each content word of either side must find a close word with the same first letter
    on the other; the score is the weakest such pairing, so 'non-electric X' never passes for 'electric X'."""
    a = [w for w in a if w not in _EN_STOP] or a
    b = [w for w in b if w not in _EN_STOP] or b
    worst = 1.0
    for xs, ys in ((a, b), (b, a)):
        for x in xs:
            best = max((fuzz.ratio(x, y) for y in ys if y[0] == x[0]), default=0.0) / 100
            worst = min(worst, best)
            if worst < EN_WORD_CUTOFF:
                return worst
    return worst


def _en_fuzzy(key: str, hint: frozenset[int]) -> tuple[tuple[str, ...], float] | None:
    words = key.split()
    if not words:
        return None
    pool = _pool("en", hint)
    query = " ".join(sorted(words))
    cut = EN_FUZZY_CUTOFF * 100
    for cand, score, i in process.extract(query, pool.keys, scorer=fuzz.ratio, score_cutoff=cut, limit=5):
        agree = _words_agree(words, cand.split())
        if agree >= (EN_WORD_CUTOFF if len(words) > 1 else EN_ONE_WORD_CUTOFF):
            return pool.codes[i], min(score / 100, 0.5 + agree / 2)
    return None


def _en_inside(key: str, hint: frozenset[int], t: _Table) -> tuple[tuple[str, ...], float] | None:
    """The longest standard name that names the head of the text: it starts before the first boundary word
    ("for", "of", "namely", ...) and ends at a boundary or the end ("downloadable computer software for games"
    -> "computer software", never "games")."""
    words = key.split()
    n = len(words)
    b = next((i for i, w in enumerate(words) if w in _EN_BOUNDARY), n)
    if b == 0:
        return None
    best: tuple[int, int, tuple[str, ...]] | None = None
    for i in range(b):
        if i and (words[i - 1] in _EN_NEGATION or len(words[i - 1]) == 1):
            continue  # "non-alcoholic", "semi-conductors", "t shirts" are not what the name names
        for j in range(min(n, i + t.en_max_words), i, -1):
            if j < b or (j < n and words[j] not in _EN_BOUNDARY):
                continue
            if best and j - i <= best[1] - best[0]:
                break
            span = " ".join(words[i:j])
            codes = t.en_exact.get(span) or t.en_weak.get(span)
            if codes and hint:
                codes = tuple(c for c in codes if _class_of(c) in hint)
            if codes:
                best = (i, j, codes)
                break
    if not best:
        return None
    i, j, codes = best
    if j - i == 1 and (len(words[i]) < 3 or not hint):
        return None  # one common word ("cards", "glasses") names the head only within the classes filed
    return codes, (j - i) / n


def _en_exact(
    variants: list[str], t: _Table, hint: frozenset[int] = frozenset()
) -> tuple[tuple[str, ...], str, float, str] | None:
    """(codes, match, confidence, the variant) of the first variant that is a standard name.

    "X services" and "X" (or "X" and "X services") name the same service item where the text itself says
    "services" or the classes filed are service classes."""
    for v in variants:
        k = _en_key(v)
        if k in t.en_exact:
            return t.en_exact[k], "exact", 1.0, v
        if " " in k and k.replace(" ", "") in t.en_exact:  # semi-conductors / semiconductors
            return t.en_exact[k.replace(" ", "")], "exact", 1.0, v
    for v in variants:
        k = _en_key(v)
        bare = _sans_service(k)
        if bare and bare in t.en_exact and any(_class_of(c) >= 35 for c in t.en_exact[bare]):
            return tuple(c for c in t.en_exact[bare] if _class_of(c) >= 35), "exact", 1.0, v
        if (bare or (hint and min(hint) >= 35)) and (bare or k) in t.en_service:
            return t.en_service[bare or k], "exact", 1.0, v
    for v in variants:
        k = _en_key(v)
        if k in t.en_weak:
            return t.en_weak[k], "fuzzy", 0.9, v
        if k.replace(" ", "") in t.en_joined:  # mousepads / mouse pads, t shirts / t-shirts
            return t.en_joined[k.replace(" ", "")], "fuzzy", 0.95, v
    return None


_Hit = tuple[str, str, str, float]  # (the text or its part, code, match, confidence)


def _map_en_one(text: str, hint: frozenset[int], t: _Table, level: int = 0) -> tuple[list[_Hit], list[str]]:
    """The items of an English text and the parts of it that map to none.

    In order: an exact name (as written, brackets dropped or opened, its head); a list read as its items
    where every part maps (commas first, then "and"/"or"); a fuzzy name; a standard name as the head of the
    text; else the parts of the list that map, the others reported.
    """
    clean = _strip_filler(text)
    if not clean:
        return [], [text]
    written, heads = _variants(clean)
    size = max(len(_en_tokens(clean)), 1)
    hit = _en_exact(written, t, hint)
    if hit and _hinted(hit[0], hint):
        return [(text, c, hit[1], hit[2]) for c in _hinted(hit[0], hint)], []
    hit = _en_exact(heads, t, hint)  # "clothing, namely shirts" -> clothing: a standard name heads the text
    if hit and _hinted(hit[0], hint):
        conf = hit[2] * len(_en_tokens(hit[3])) / size
        return [(text, c, "contains", conf) for c in _hinted(hit[0], hint)], []
    head = _head(_BRACKETS.sub(" ", clean))
    parts, below = (_split_commas(head), 1) if level == 0 else ([], 2)
    if not parts and level < 2:
        parts, below = _split_and(head), 2
    got = [_map_en_one(p, hint, t, below) for p in parts]
    if got and all(g[0] and not g[1] for g in got):
        return [x for g in got for x in g[0]], []
    for v in written + heads:
        fz = _en_fuzzy(_en_key(v), hint)
        if fz:
            conf = fz[1] * (1.0 if v in written else len(_en_tokens(v)) / size)
            return [(text, c, "fuzzy", conf) for c in _hinted(fz[0], hint)], []
    if not parts:
        inside = _en_inside(_en_key(head), hint, t)
        if inside:
            return [(text, c, "contains", inside[1]) for c in _hinted(inside[0], hint)], []
        return [], [text]
    # a list whose first item maps gives the items that map, the others reported; not "salt and pepper
    # shakers" or "mobile, cellular and fixed telecommunications services", whose words share the last head
    # nor "services in the form of programmes, cable, satellite": after "of" the commas list the modifier
    leaves = [leaf for p in parts for leaf in (_split_and(p) or [p])]
    shared_head = len(leaves[0].split()) == 1 and len(leaves[-1].split()) > 1
    if got[0][0] and not shared_head and not set(_en_tokens(parts[0])) & _EN_BOUNDARY:
        return [x for g in got for x in g[0]], [u for g in got for u in g[1]]
    return [], [text]


def _map_zh_one(key: str, hint: frozenset[int], t: _Table) -> tuple[tuple[str, ...], str, float] | None:
    pool = _pool("zh", hint)
    best = process.extractOne(key, pool.keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF * 100)
    if best:
        return pool.codes[best[2]], "fuzzy", best[1] / 100
    # the longest standard name of two or more characters inside the text (ties: the table's order)
    for size in range(len(key), 1, -1):
        found = [key[i : i + size] for i in range(len(key) - size + 1) if key[i : i + size] in t.zh_rank]
        if hint:
            found = [f for f in found if any(_class_of(c) in hint for c in t.by_name[f])]
        if found:
            inside = min(found, key=t.zh_rank.__getitem__)
            codes = [c for c in dict.fromkeys(t.by_name[inside]) if not hint or _class_of(c) in hint]
            return tuple(codes), "contains", len(inside) / len(key)
    return None


def map_goods(goods: Iterable[str], *, classes: Iterable[int | str] | None = None) -> GoodsMapping:
    """Map goods texts to standard items: by code, exact name, then fuzzy or contained; the rest is reported unmapped.

    Chinese: the closest standard name (rapidfuzz ratio >= 0.75), else the longest standard name of two or more
    characters inside the text (精酿啤酒 -> 啤酒).

    English (the Nice alphabetical list's terms, which the table carries): case, punctuation, plurals and the filler
    of specifications ("all included in class 9", "and parts and fittings therefor", "relating to the aforesaid")
    are folded away; a list ("clothing, footwear and headgear") is read as its items where each part maps; a fuzzy
    match needs 0.85 on a token-aware score (every word must find its counterpart); else a standard name that is
    the head of the text ("downloadable computer software for games" -> computer software). A wrong item is worse
    than an unmapped one, which the examiner is told about.

    ``classes``: the Nice classes the goods were filed in, where known. Items of those classes are preferred, and
    a fuzzy or contained match outside them is not taken (an exact name outside them only when nothing inside
    the classes maps).
    """
    t = _table()
    hint = frozenset(int(c) for c in classes or () if str(c).strip().isdigit())
    items: list[GoodsItem] = []
    unmapped: list[str] = []
    for raw in goods:
        text = str(raw).strip()
        if not text:
            continue
        code = unicodedata.normalize("NFKC", text).upper()
        if re.fullmatch(r"C?\d{6}", code) and code in t.by_code:
            items.append(_with_text(t.by_code[code], text, "code"))
            continue
        key = _clean(text)
        if not _HAN.search(key):
            if not re.search(r"[A-Za-z]", key):
                unmapped.append(text)
                continue
            got, rest = _map_en_one(text, hint, t)
            items.extend(_with_text(t.by_code[c], part, m, conf) for part, c, m, conf in got)
            unmapped.extend(rest)
            continue
        codes = _hinted(t.by_name.get(key) or t.by_name.get(key.lower()) or (), hint)
        if codes:
            items.extend(_with_text(t.by_code[c], text, "exact") for c in codes)
            continue
        hit = _map_zh_one(key, hint, t)
        if hit:
            items.extend(_with_text(t.by_code[c], text, hit[1], hit[2]) for c in hit[0])
            continue
        unmapped.append(text)
    return GoodsMapping(items, unmapped)


def _reason(evidence: str, verdict: str) -> Reason:
    return Reason(GOODS_RULE, _TEXT, evidence, verdict, 1.0 if verdict != "not_similar" else 0.0)


def _pair(a: GoodsItem, b: GoodsItem, t: _Table) -> Reason | None:
    if a.code == b.code:
        return _reason(f"{a.text} / {b.text}: the same item {a.code} {a.name}", "identical")
    for g in a.groups:
        if g not in b.groups:
            continue
        pa, pb = a.part_in(g), b.part_in(g)
        if g in t.parts_apart and pa and pb and pa != pb:
            continue  # may still be linked by a note below
        return _reason(f"{a.text} ({a.code}) / {b.text} ({b.code}): the same similar group {g}", "similar")
    for x, y, note in t.links:
        if (x.covers(a) and y.covers(b)) or (x.covers(b) and y.covers(a)):
            return _reason(f"{a.text} ({a.code}) / {b.text} ({b.code}): similar by the note {note}", "similar")
    return None


def goods_similar(
    a_goods: Iterable[str],
    b_goods: Iterable[str],
    *,
    on: dt.date | None = None,
    a_classes: Iterable[int | str] | None = None,
    b_classes: Iterable[int | str] | None = None,
) -> tuple[bool, list[Reason]]:
    """Whether any goods of one list are identical or similar to any of the other, with the reasons.

    ``on`` (default today) must fall in the period of the rule ``tmg2021-5.2`` (RulesError otherwise).
    Reasons name rule ``tmg2021-5.2`` and the table edition; goods that could not be mapped to a
    standard item are reported as a reason each (verdict ``not_similar``, evidence "unmapped"), so an
    examiner sees what was not compared. ``a_classes``/``b_classes``: the Nice classes each list was filed in,
    where known (the class hint of ``map_goods``).
    """
    day = on or dt.date.today()
    if GOODS_RULE not in load_rules().in_force(day):
        raise RulesError(f"rule {GOODS_RULE} (similar goods) is not in force on {day.isoformat()}")
    t = _table()
    ma, mb = map_goods(a_goods, classes=a_classes), map_goods(b_goods, classes=b_classes)
    reasons: list[Reason] = []
    seen: set[tuple[str, str]] = set()
    for x in ma.items:
        for y in mb.items:
            key = tuple(sorted((x.code, y.code)))
            if key in seen:
                continue
            seen.add(key)
            r = _pair(x, y, t)
            if r:
                reasons.append(r)
    reasons.sort(key=lambda r: r.verdict != "identical")
    for u in ma.unmapped + mb.unmapped:
        reasons.append(_reason(f"{u}: not mapped to an item of the similar-goods table ({EDITION})", "not_similar"))
    for it in ma.items + mb.items:
        if it.match in ("fuzzy", "contains"):
            reasons.append(
                Reason(
                    GOODS_RULE,
                    _TEXT,
                    f"{it.text} read as {it.code} {it.name} ({it.match}, {it.confidence})",
                    "note",
                    0.0,
                )
            )
    similar = any(r.verdict in ("identical", "similar") for r in reasons)
    if not similar and ma.items and mb.items:
        groups_a = sorted({g for i in ma.items for g in i.groups})
        groups_b = sorted({g for i in mb.items for g in i.groups})
        reasons.insert(
            0,
            _reason(
                f"no shared similar group and no note links them ({','.join(groups_a)} / {','.join(groups_b)})",
                "not_similar",
            ),
        )
    return similar, reasons
