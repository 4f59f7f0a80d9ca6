"""Folding and script segmentation of word marks.

Two marks that differ only in case, character width, traditional vs simplified form, spacing or
punctuation are the same mark for the examiner (商标审查审理指南 下编第五章 4.1: 文字商标相同). Everything
downstream compares the folded form, so this module decides once what "the same text" means:

- NFKC (full-width ``ＡＢＣ１２３`` -> ``ABC123``), Latin diacritics dropped (``NOUVELLÉ`` -> ``NOUVELLE``);
- traditional -> simplified with OpenCC ``t2s`` plus a small table of rare variant forms (``菓`` -> ``果``)
  derived from Unihan (``data/variants.tsv.gz``);
- upper case for Latin letters;
- spaces, punctuation, symbols and emoji removed (kept only as word boundaries for Latin words).

A mark is then split into runs of one script (Han, Latin, digits) so that mixed marks (``雅叶 YAYE``)
can be compared part by part. A mark with nothing left after folding (empty, punctuation or emoji only)
is refused with ``ValueError``: there is no word mark to compare.
"""

from __future__ import annotations

import gzip
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

__all__ = ["MAX_LENGTH", "NormalizedMark", "Segment", "fold", "fold_han", "is_han", "normalize"]

# the package's folder, not this file's: a compiled copy of this module lives elsewhere (ipoffice.accel)
DATA_DIR = Path(str(files("ipoffice.trademarks") / "data"))
MAX_LENGTH = 500  # longer input is refused: no word mark is that long, and comparisons are quadratic


def is_han(ch: str) -> bool:
    """True for a CJK unified or compatibility ideograph (〇 counts: it is written in Chinese numbers): the
    unified block, extension A, the compatibility block, extensions B-G. Plain comparisons, the common block
    first: it runs for every character of every mark compared."""
    cp = ord(ch)
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0xF900 <= cp <= 0xFAFF
        or 0x20000 <= cp <= 0x3134F
        or ch == "〇"
    )


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _variants() -> dict[str, str]:
    out: dict[str, str] = {}
    path = DATA_DIR / "variants.tsv.gz"
    with gzip.open(path, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            a, b = line.rstrip("\n").split("\t")
            out[a] = b
    return out


@lru_cache(maxsize=1)
def _t2s_chars() -> frozenset[str] | None:
    """The first character of every key of OpenCC's t2s dictionaries (None if their layout is not the expected
    one).

    OpenCC's Python port converts by building a parse tree per string, about 0.1 ms per mark; a key can match
    only where its first character stands, so a text holding none of them converts to itself, and most marks
    (already simplified, or Latin) skip it: 86 % of real Chinese marks, against 60 % when every character of
    a key counted (phrase keys hold common simplified characters after their first). The result is the same
    either way (tests/trademarks/test_normalize.py checks it)."""
    cc = _t2s()
    cc.convert("")  # loads the dictionaries
    chars: set[str] = set()
    try:
        for group in cc._dict_chain_data:
            for entry in group if isinstance(group, list) else [group]:
                table = entry[-1] if isinstance(entry, tuple) else entry
                chars.update(key[:1] for key in table)
    except (AttributeError, TypeError, IndexError):
        return None
    return frozenset(chars) or None


def fold_han(text: str) -> str:
    """Traditional and variant forms to the simplified standard form (龍 -> 龙, 菓 -> 果)."""
    keys = _t2s_chars()
    s = _t2s().convert(text) if keys is None or not keys.isdisjoint(text) else text
    v = _variants()
    return "".join(v.get(c, c) for c in s)


def _strip_accents(s: str) -> str:
    if s.isascii():
        return s  # nothing to decompose
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))


def _char_class(ch: str) -> str:
    """'han', 'latin', 'digit', 'other' or '' (a separator: space, punctuation, symbol, emoji, anything else)."""
    if ("A" <= ch <= "Z") or ("a" <= ch <= "z"):
        return "latin"
    if "0" <= ch <= "9":
        return "digit"
    if is_han(ch):
        return "han"
    if ch.isalpha():
        return "other"  # Greek, Cyrillic, kana, Hangul …: kept, compared as plain text
    return ""


@dataclass(frozen=True)
class Segment:
    """A run of one script in the mark, in reading order; Latin runs keep their word boundaries."""

    script: str  # "han" | "latin" | "digit" | "other"
    text: str  # folded text, no separators (Latin upper case)
    words: tuple[str, ...] = ()  # Latin words inside the run (one for Han and digit runs)


@dataclass(frozen=True)
class NormalizedMark:
    """A word mark after folding, with the parts the comparison rules look at."""

    original: str
    folded: str  # all scripts, no separators: "雅叶YAYE"
    segments: tuple[Segment, ...]
    tokens: tuple[str, ...] = ()  # Latin/digit words as written, split by separators and Chinese: "3M", "N95"

    @property
    def han(self) -> str:
        return "".join(s.text for s in self.segments if s.script == "han")

    @property
    def latin(self) -> str:
        return "".join(s.text for s in self.segments if s.script == "latin")

    @property
    def digits(self) -> str:
        return "".join(s.text for s in self.segments if s.script == "digit")

    @property
    def words(self) -> tuple[str, ...]:
        """Latin/digit words in order ("MARC", "OPOLO"; "3M", "N95"): the ``tokens``."""
        return self.tokens

    @property
    def alnum(self) -> str:
        """Latin letters and digits only, in order ("360", "G9")."""
        return "".join(s.text for s in self.segments if s.script != "han")

    @property
    def scripts(self) -> frozenset[str]:
        return frozenset(s.script for s in self.segments)

    @property
    def mixed(self) -> bool:
        """Han together with Latin letters or digits: a mark of several parts (5.1.15, 5.3)."""
        return "han" in self.scripts and len(self.scripts) > 1


_APOSTROPHES = "'’ʼ`´"


def fold(text: str) -> str:
    """The folded comparison form of a mark (see the module docstring); ``ValueError`` if nothing is left."""
    return normalize(text).folded


@lru_cache(maxsize=65536)
def normalize(text: str) -> NormalizedMark:
    """Fold a word mark and split it into script runs.

    Apostrophes inside Latin words do not break the word (``O'POLO`` -> ``OPOLO``); any other
    separator does. A Latin run is one segment even when it spans several words (``LIFE SOLUTIONS``),
    so part-by-part comparison sees one Latin part and its words.
    """
    if not isinstance(text, str):
        raise TypeError(f"a mark is text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ValueError(f"mark too long ({len(text)} characters; at most {MAX_LENGTH})")
    s = unicodedata.normalize("NFKC", text)
    s = _strip_accents(s)
    s = fold_han(s)
    # tokens: (class, char) with separators as None; apostrophes between letters vanish
    runs: list[tuple[str, list[str]]] = []  # (script, words)
    tokens: list[str] = []
    new_token = True
    prev_sep = True
    for i, ch in enumerate(s):
        if ch in _APOSTROPHES and 0 < i < len(s) - 1 and s[i - 1].isalpha() and s[i + 1].isalpha():
            continue
        cls = _char_class(ch)
        if not cls:
            prev_sep = new_token = True
            continue
        c = ch.upper() if cls in ("latin", "other") else ch
        if cls == "han":
            new_token = True
        else:
            if new_token:
                tokens.append(c)
            else:
                tokens[-1] += c
            new_token = False
        if runs and runs[-1][0] == cls:
            if prev_sep and cls != "han":
                runs[-1][1].append(c)  # a new word in the same run
            else:
                runs[-1][1][-1] += c
        else:
            runs.append((cls, [c]))
        prev_sep = False
    if not runs:
        raise ValueError(f"no letters, digits or Chinese characters in mark {text!r}")
    segments = tuple(Segment(script, "".join(words), tuple(words)) for script, words in runs)
    folded = "".join(seg.text for seg in segments)
    return NormalizedMark(original=text, folded=folded, segments=segments, tokens=tuple(tokens))
