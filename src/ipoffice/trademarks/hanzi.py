"""Chinese character data for the 形 (shape) and 音 (sound) comparison of marks.

Loaded once from the compact files in ``data/`` (built by ``scripts/build_hanzi_data.py``; origins and
licences in ``data/SOURCES.md``):

- ``hanzi.tsv.gz``: per character its toneless readings (Unihan kMandarin first, then the dictionary
  readings), four-corner code (四角号码), stroke count, structure class, stroke order and component
  decompositions (漢語拆字字典);
- ``confusables.tsv.gz``: visually confusable characters (形近字: pycorrector's confusion sets and
  Unihan kSpoofingVariant).

Shape similarity of two characters is judged as an examiner would read the guideline (5.1.4, 5.1.5):
listed 形近字 are similar; a character that is another plus a small component (惠/蕙) is similar; other
pairs get a score from shared components, four-corner code, stroke order and structure, with a
threshold calibrated so that unrelated common characters stay below it (see ``SHAPE_THRESHOLD``).
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from rapidfuzz.distance import Levenshtein

__all__ = [
    "SHAPE_THRESHOLD",
    "CharInfo",
    "components",
    "confusable",
    "info",
    "pinyin",
    "readings",
    "shape_similarity",
    "visually_similar",
]

# the package's folder, not this file's: a compiled copy of this module lives elsewhere (ipoffice.accel)
DATA_DIR = Path(str(files("ipoffice.trademarks") / "data"))
SHAPE_THRESHOLD = 0.5  # computed shape score counted as 形近: ~1% of random pairs of common characters reach it


@dataclass(frozen=True)
class CharInfo:
    char: str
    readings: tuple[str, ...]
    four_corner: str
    strokes: int
    struct: str
    order: str  # stroke order, 1 横 2 竖 3 撇 4 点 5 折
    decomp: tuple[tuple[str, ...], ...]  # alternative decompositions into components
    freq: int  # 0 rare … ~27 most frequent


@lru_cache(maxsize=1)
def _table() -> dict[str, CharInfo]:
    out: dict[str, CharInfo] = {}
    with gzip.open(DATA_DIR / "hanzi.tsv.gz", "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            c, rd, fc, st, struct, order, dec, fq = line.rstrip("\n").split("\t")
            out[c] = CharInfo(
                char=c,
                readings=tuple(rd.split()),
                four_corner=fc,
                strokes=int(st) if st.isdigit() else 0,
                struct=struct,
                order=order,
                decomp=tuple(tuple(a.split()) for a in dec.split("|") if a),
                freq=int(fq or 0),
            )
    return out


@lru_cache(maxsize=1)
def _confusables() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    with gzip.open(DATA_DIR / "confusables.tsv.gz", "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            c, sims = line.rstrip("\n").split("\t")
            out[c] = frozenset(sims)
    return out


def info(ch: str) -> CharInfo | None:
    """The data of one (simplified, folded) character, or None if it is not a known Han character."""
    return _table().get(ch)


def readings(ch: str) -> tuple[str, ...]:
    """Toneless pinyin readings, most common first; () for an unknown character."""
    i = _table().get(ch)
    return i.readings if i else ()


def pinyin(ch: str) -> str:
    """The main toneless reading (行 -> xing); the character itself when it has none."""
    r = readings(ch)
    return r[0] if r else ch


def confusable(a: str, b: str) -> bool:
    """Listed as visually confusable (形近字) in the shipped confusion sets."""
    return b in _confusables().get(a, frozenset())


@lru_cache(maxsize=65536)
def components(ch: str) -> frozenset[str]:
    """The character's components at the first two levels of decomposition, over all alternatives."""
    i = info(ch)
    if not i:
        return frozenset()
    out: set[str] = set()
    for alt in i.decomp:
        for c in alt:
            out.add(c)
            j = info(c)
            if j and j.decomp:
                out.update(j.decomp[-1])
    out.discard(ch)
    return frozenset(out)


def _levenshtein(a: str, b: str) -> int:
    """Levenshtein distance (rapidfuzz; equal to the textbook programme, tests/trademarks/test_distances.py)."""
    return Levenshtein.distance(a, b)


def _contains(big: CharInfo, small: str) -> bool:
    """``big`` is ``small`` plus a small added component (蕙 = 艹 + 惠, 达 = 辶 + 大)."""
    s = info(small)
    if not s or not big.decomp:
        return False
    if big.strokes - s.strokes > 5 or big.strokes <= s.strokes:
        return False
    return any(small in alt and len(alt) == 2 for alt in big.decomp)


@lru_cache(maxsize=65536)
def shape_similarity(a: str, b: str) -> float:
    """How alike two characters look, 0..1 (1 = the same character)."""
    if a == b:
        return 1.0
    ia, ib = info(a), info(b)
    if ia is None or ib is None:
        return 0.0
    if confusable(a, b) or confusable(b, a):
        return 0.9
    if _contains(ia, b) or _contains(ib, a):
        return 0.8
    # shared components: the best pair of alternative decompositions, plus the two-level closure
    best = 0.0
    for da in ia.decomp or ((a,),):
        for db in ib.decomp or ((b,),):
            sa, sb = set(da), set(db)
            best = max(best, len(sa & sb) / len(sa | sb))
    ca, cb = components(a), components(b)
    if ca and cb:
        best = max(best, 0.8 * len(ca & cb) / len(ca | cb))
    fc = 0.0
    if ia.four_corner and ib.four_corner:
        fc = sum(x == y for x, y in zip(ia.four_corner, ib.four_corner, strict=False)) / 5
    order = 0.0
    if ia.order and ib.order:
        order = 1 - _levenshtein(ia.order, ib.order) / max(len(ia.order), len(ib.order))
    struct = 1.0 if ia.struct and ia.struct == ib.struct else 0.0
    score = 0.45 * best + 0.2 * fc + 0.25 * order + 0.1 * struct
    # very different stroke counts are never confused
    if ia.strokes and ib.strokes:
        diff = abs(ia.strokes - ib.strokes) / max(ia.strokes, ib.strokes)
        score *= 1 - max(0.0, diff - 0.25)
    return round(min(score, 0.85), 3)


@lru_cache(maxsize=262_144)
def visually_similar(a: str, b: str) -> tuple[bool, str]:
    """Whether two characters are 形近, with the evidence in words. Kept per pair: the comparison of two
    Chinese marks asks it for every position, and a search meets the same pairs again and again (5 % of a
    gazette mark's judging before, session 17)."""
    if a == b:
        return True, f"{a} = {b}"
    if confusable(a, b) or confusable(b, a):
        return True, f"{a}/{b} listed as 形近字"
    ia, ib = info(a), info(b)
    if ia and _contains(ia, b) or ib and _contains(ib, a):
        return True, f"{a}/{b}: one is the other plus a component"
    s = shape_similarity(a, b)
    if s >= SHAPE_THRESHOLD:
        return True, f"{a}/{b}: shape score {s:.2f} (components, four-corner code, stroke order)"
    return False, f"{a}/{b}: shape score {s:.2f}"
