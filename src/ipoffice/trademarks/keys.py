"""Candidate keys of a mark, for looking up possibly conflicting marks in an index of a million or more.

``compare`` is too slow to run against every mark on the register, so a conflict search first collects the
marks that share a key with the application, then compares only those. The keys are chosen so that every
rule of ``similarity`` that can find two marks similar has at least one key the two marks share:

==========  ==========================================================  ===========================
prefix      key                                                         rules it serves
==========  ==========================================================  ===========================
``f:``      the folded mark                                             4.1, 5.1.1 (繁简), 5.1.8
``s:``      its characters sorted                                       5.1.1, 5.1.2, 5.1.10
``c:``      the distinctive core (weak/descriptive words stripped)      5.1.12-5.1.14
``h2:``     Chinese character bigrams (and the one character of a      5.1.7, 5.1.15, 5.1.16
            one-character mark)
``py:``     toneless pinyin of the Chinese part, and a Latin part       5.1.4, 5.1.17
            spelled as pinyin (``py:yaye`` for 雅叶 and YAYE)
``pf:``     the same with 模糊音 folded (zh/z, n/l, ang/an ...)           5.1.4 (near sound)
``pb:``     pinyin syllable bigrams                                     5.1.4, 5.1.7
``l:``      Latin/digit words of three or more characters               5.1.15, 5.1.16, 5.3.2
``l3:``     Latin trigrams with their position class (``l3:0:KAT``)     5.1.9
``dm:``     Double Metaphone keys of the Latin part                     5.1.4 (sound)
``n:``      a number read from Chinese numerals or English words        5.1.6
``m:``      meaning concepts (lexicon rows, English glosses)            5.1.6, 5.3.3
``tr:``     consonant skeleton (transliteration 耐克 / NIKE: ``tr:NK``)  5.1.6 (transliteration)
==========  ==========================================================  ===========================

Keys are plain strings, so any inverted index (SQL table, search engine) can hold them.
"""

from __future__ import annotations

import datetime as dt

from ipoffice.trademarks import meaning
from ipoffice.trademarks.normalize import normalize
from ipoffice.trademarks.phonetic import (
    double_metaphone,
    fuzzy_syllable,
    latin_skeleton,
    pinyin_of,
    pinyin_skeleton,
)

__all__ = ["core_keys", "han_keys", "keys", "latin_keys", "meaning_keys"]


def han_keys(han: str) -> set[str]:
    """Keys of a Chinese text: bigrams, pinyin (exact, fuzzy, bigrams), transliteration skeleton."""
    out: set[str] = set()
    if not han:
        return out
    if len(han) == 1:
        out.add("h2:" + han)
    out.update("h2:" + han[i : i + 2] for i in range(len(han) - 1))
    py = pinyin_of(han)
    out.add("py:" + "".join(py))
    out.add("pf:" + "".join(fuzzy_syllable(s) for s in py))
    out.update("pb:" + py[i] + py[i + 1] for i in range(len(py) - 1))
    sk = pinyin_skeleton(han)
    if len(sk) >= 2:
        out.add("tr:" + sk.upper())
    n = meaning.han_number(han)
    if n:
        out.add("n:" + n)
    return out


def latin_keys(compact: str, words: tuple[str, ...] = ()) -> set[str]:
    """Keys of Latin/digit text: words, positional trigrams, Double Metaphone, pinyin spelling, skeleton."""
    out: set[str] = set()
    if not compact:
        return out
    for w in words or (compact,):
        if len(w) >= 3:
            out.add("l:" + w)
    for i in range(max(1, len(compact) - 2)):
        tri = compact[i : i + 3]
        pos = "0" if i == 0 else ("e" if i + 3 >= len(compact) else "m")
        out.add(f"l3:{pos}:{tri}")
    for k in double_metaphone(compact):
        if len(k) >= 2:
            out.add("dm:" + k)
    if compact.isalpha():
        out.add("py:" + compact.lower())
        out.add("pf:" + compact.lower())  # a pinyin spelling folds like pinyin (approximately)
        sk = latin_skeleton(compact)
        if len(sk) >= 2:
            out.add("tr:" + sk)
    n = meaning.latin_number(compact) or (compact if compact.isdigit() else None)
    if n:
        out.add("n:" + n)
    return out


def meaning_keys(han: str, words: tuple[str, ...]) -> set[str]:
    """Meaning tokens of the Chinese part and of the Latin words (``m:c:crown``, ``m:e:CROWN``)."""
    out: set[str] = set()
    if han:
        for unit in meaning.han_meaning_units(han):
            out.update("m:" + t for t in unit if not t.startswith("w:"))
    if words:
        for unit in meaning.latin_meaning_units(tuple(words)):
            out.update("m:" + t for t in unit if not t.startswith("w:"))
    return out


def core_keys(mark: str) -> set[str]:
    """The distinctive core of the Chinese part and of the Latin words, under today's rules (``c:乐曼``)."""
    from ipoffice.trademarks.rules import load_rules
    from ipoffice.trademarks.similarity import _Judge

    m = normalize(mark)
    judge = _Judge(load_rules(), dt.date.today())
    out: set[str] = set()
    if len(m.han) >= 2:
        out.add("c:" + judge.strip_han(m.han)[0])
    if m.words:
        core = judge.strip_latin(m.words)[0]
        if len(core) >= 2:
            out.add("c:" + core)
    return out


def keys(mark: str) -> set[str]:
    """All candidate keys of a mark (see the module docstring); ValueError for a mark with no text."""
    m = normalize(mark)
    out = {"f:" + m.folded, "s:" + "".join(sorted(m.folded))}
    out |= core_keys(mark)
    out |= han_keys(m.han)
    out |= latin_keys(m.alnum, m.words)
    out |= meaning_keys(m.han, m.words)
    return out
