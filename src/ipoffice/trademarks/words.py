"""Word classes the similarity rules look for: weak, descriptive, place and grammatical words.

A mark that is an earlier mark plus only such words is similar to it (商标审查审理指南 下编第五章 5.1.11-5.1.14),
and a shared word of this kind alone does not make marks similar (5.1.15 exception: 22世纪/世纪, K宝/M宝).
The lists come from the rules file (the words the guideline names plus the project's additions, see
``tm_similarity.yaml``) and, for generic goods names (本商品的通用名称, 5.1.12), from the similar-goods
table that the core package ships (``ipoffice/core/schemes_data``: Chinese item names of two to four
characters, English Nice terms of one word).
"""

from __future__ import annotations

import csv
import gzip
import re
from dataclasses import dataclass
from functools import lru_cache

from ipoffice.core import schemes
from ipoffice.trademarks.meaning import STOPWORDS, stem
from ipoffice.trademarks.normalize import fold_han
from ipoffice.trademarks.rules import RuleSet

__all__ = ["WEAK", "DESCRIPTIVE", "PLACE", "GRAMMAR", "WordClasses", "goods_names", "word_classes"]

WEAK, DESCRIPTIVE, PLACE, GRAMMAR = "weak", "descriptive", "place", "grammar"
_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=1)
def goods_names() -> tuple[frozenset[str], frozenset[str]]:
    """Generic goods/service names from the shipped similar-goods table: (Chinese, English upper case)."""
    zh: set[str] = set()
    en: set[str] = set()
    try:
        with gzip.open(schemes.DATA_DIR / "cn-items.tsv.gz", "rt", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                n = re.sub(r"\(.*?\)|[*※]", "", r["name"]).strip()
                if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n):
                    zh.add(fold_han(n))
        with gzip.open(schemes.DATA_DIR / "nice-terms-en.tsv.gz", "rt", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                t = r["term"].strip().upper()
                if re.fullmatch(r"[A-Z]{3,}", t):
                    en.add(t)
    except FileNotFoundError:  # the core data is optional here: the rule lists still work
        pass
    return frozenset(zh), frozenset(en)


@dataclass(frozen=True)
class WordClasses:
    """Word -> class, for Chinese words and Latin words (upper case, no separators)."""

    han: dict[str, str]
    latin: dict[str, str]
    max_han: int
    max_latin: int

    def han_class(self, w: str) -> str | None:
        return self.han.get(w)

    def latin_class(self, w: str) -> str | None:
        w = w.upper()
        return self.latin.get(w) or (self.latin.get(stem(w)) if len(w) > 3 else None)

    def segment_han(self, text: str) -> list[tuple[str, str]] | None:
        """Cut text wholly into listed words (longest first); None if some part is not a listed word."""
        return _segment(text, self.han_class, self.max_han)

    def segment_latin(self, text: str) -> list[tuple[str, str]] | None:
        """Cut compact Latin/digit text wholly into listed words (FORMOM -> FOR, MOM); None if impossible."""
        return _segment(text.upper(), self.latin_class, self.max_latin)


def _segment(text: str, classify, max_len: int) -> list[tuple[str, str]] | None:
    n = len(text)
    if not n:
        return []
    best: list[list[tuple[str, str]] | None] = [None] * (n + 1)
    best[0] = []
    for i in range(n):
        if best[i] is None:
            continue
        for j in range(min(n, i + max_len), i, -1):
            cls = classify(text[i:j])
            if cls and (best[j] is None or len(best[j]) > len(best[i]) + 1):
                best[j] = [*best[i], (text[i:j], cls)]
    return best[n]


_CACHE: dict[tuple[int, frozenset[str]], WordClasses] = {}


def _build(rs: RuleSet, codes: frozenset[str]) -> WordClasses:
    han: dict[str, str] = {}
    latin: dict[str, str] = {}

    def put(words, cls: str) -> None:
        for w in words:
            w = str(w)
            if _HAN.search(w):
                han.setdefault(fold_han(w), cls)
            else:
                key = re.sub(r"[^A-Z0-9]", "", w.upper())
                if key:
                    latin.setdefault(key, cls)

    # order matters only for the class reported: grammar, then weak, place, descriptive
    if "tmg2021-5.5.1.11" in codes:
        put(rs.get("tmg2021-5.5.1.11").words(), GRAMMAR)
        put(STOPWORDS, GRAMMAR)
    if "tmg2021-5.5.1.14" in codes:
        put(rs.get("tmg2021-5.5.1.14").words(), WEAK)
    if "tmg2021-5.5.1.13" in codes:
        put(rs.get("tmg2021-5.5.1.13").words(), PLACE)
    if "tmg2021-5.5.1.12" in codes:
        put(rs.get("tmg2021-5.5.1.12").words(), DESCRIPTIVE)
        zh, en = goods_names()
        put(zh, DESCRIPTIVE)
        put(en, DESCRIPTIVE)
    return WordClasses(
        han=han,
        latin=latin,
        max_han=max((len(w) for w in han), default=1),
        max_latin=max((len(w) for w in latin), default=1),
    )


def word_classes(rs: RuleSet, codes: frozenset[str]) -> WordClasses:
    """The word classes of the rules in force (``codes``), built once per rule set and set of codes."""
    key = (id(rs), codes)
    if key not in _CACHE:
        _CACHE[key] = _build(rs, codes)
    return _CACHE[key]
