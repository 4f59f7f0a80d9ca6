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

The conflict-search index (``trademarks.index``) needs keys that are both complete (every pair ``compare``
finds similar shares one) and selective at a million marks, so ``index_keys`` drops the two broad families
above (``l3:`` trigrams, ``tr:``) and adds families that follow the rules' own bounds:

==========  ==========================================================  ===========================
``d1:``     the Latin part and its one-letter deletions (also of its   5.1.9 (one letter), 5.1.4
            look-alike form: VV->W, 0->O)
``d2:``     two-letter deletions of Latin parts of 8+ letters;          5.1.9 (two letters)
``e2:``     for 5-7 letters two inner deletions with the length
``v:``      the look-alike form of the Latin part                       5.1.5
``lp4:``    the first four letters; ``l5:`` every five-letter run      5.1.16 (Latin containment)
``hd:``     the Chinese part (and its core) with one character         5.1.7, 5.1.5 (one character)
            deleted (two for five characters)
``rp:``     the repeated unit (牛牛 -> 牛) of a Chinese part            5.1.3
``py:``     pinyin also with each character's second reading and of   5.1.17
            the core (小米 -> 米 = MI)
``tkh:`` /  transliteration skeleton of the Chinese / Latin side,       5.1.6 (transliteration)
``tkl:``    nasal finals optional, one consonant deletion; probes
            swap up to two compatible consonants (directional: a
            Chinese side probes ``tkl:``, see ``probe_keys``)
==========  ==========================================================  ===========================

Bounds the index keys do not reach (documented gaps, measured in tests/trademarks/test_tm_index.py): 5.1.5
shapes where every character of a two-character mark differs; transliterations needing two consonant gaps.

Keys are plain strings, so any inverted index (SQL table, search engine) can hold them.
"""

from __future__ import annotations

import datetime as dt
import time

from ipoffice.trademarks import meaning
from ipoffice.trademarks.normalize import normalize
from ipoffice.trademarks.phonetic import (
    double_metaphone,
    fuzzy_syllable,
    latin_skeleton,
    pinyin_of,
    pinyin_skeleton,
)

__all__ = ["core_keys", "han_keys", "index_keys", "keys", "latin_keys", "meaning_keys", "probe_keys"]


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
        if len(w) >= 2:
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
    m = normalize(mark)
    judge = _judge()
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


# ----------------------------------------------------------------------------------------- index keys

_TK_FOLD = str.maketrans(
    {"K": "K", "J": "K", "S": "K", "T": "K", "F": "F", "W": "F", "H": "F", "L": "L", "N": "L", "M": "L"}
)
_MAX_READING_VARIANTS = 8


def _deletions(s: str, k: int, *, inner: bool = False) -> set[str]:
    """``s`` with up to ``k`` characters deleted (only inner ones when ``inner``): the deletion neighbourhood.

    Two strings within ``k`` edits (substitution, insertion, deletion, adjacent swap) share a member of their
    ``k``-deletion neighbourhoods, which is why these keys find every pair an edit-distance rule can call similar.
    """
    out, frontier = {s}, {s}
    for _ in range(k):
        nxt = set()
        for t in frontier:
            lo, hi = (1, len(t) - 1) if inner else (0, len(t))
            nxt.update(t[:i] + t[i + 1 :] for i in range(lo, hi))
        out |= nxt
        frontier = nxt
    return out


def _root(s: str) -> str:
    """The shortest unit that ``s`` repeats (牛牛牛 -> 牛), else ``s``."""
    for n in range(1, len(s) // 2 + 1):
        if len(s) % n == 0 and s[:n] * (len(s) // n) == s:
            return s[:n]
    return s


def _reading_variants(han: str) -> set[str]:
    """Pinyin spellings with the first two readings of each character (capped), as latin_spells_pinyin reads."""
    from ipoffice.trademarks import hanzi

    outs = [""]
    for ch in han:
        rs = hanzi.readings(ch)[:2] or (ch,)
        outs = [o + r for o in outs for r in rs][:_MAX_READING_VARIANTS]
    return set(outs)


def _tk(skel: str) -> set[str]:
    """Stored transliteration skeletons: nasal finals (``n``) kept as N or dropped, and (from three consonants,
    where the score budget allows a gap) each with one consonant deleted."""
    variants = {""}
    for c in skel[:10]:
        variants = {v + x for v in variants for x in ("", "N")} if c == "n" else {v + c for v in variants}
    out: set[str] = set()
    for v in variants - {""}:
        out.add(v)
        if len(v) >= 3:
            out |= _deletions(v, 1) - {v}
    return out


def _tk_probe(stored: set[str]) -> set[str]:
    """Probe skeletons: the stored ones with up to two consonants swapped for a compatible one (K/J, J/S, T/S,
    F/W/H, L/N, N/M: 0.35 each in ``phonetic._skeleton_distance``)."""
    out = set(stored)
    frontier = set(stored)
    for _ in range(2):
        nxt = set()
        for v in frontier:
            for i, c in enumerate(v):
                nxt.update(v[:i] + p + v[i + 1 :] for p in _COMPAT.get(c, ""))
        out |= nxt
        frontier = nxt
    return out


_COMPAT = {"K": "J", "J": "KS", "S": "JT", "T": "S", "F": "WH", "W": "FH", "H": "FW", "L": "N", "N": "LM", "M": "N"}


def _han_index_keys(han: str, core: str) -> set[str]:
    out: set[str] = set()
    core1 = _strip_han_min1(han)
    out |= {"py:" + p for p in _reading_variants(core1)} if len(core1) <= 12 else set()
    for h in {han, core} - {""}:
        n = len(h)
        if 2 <= n <= 4 or n == 6:
            out |= {"hd:" + d for d in _deletions(h, 1) if d}
        elif n == 5:
            out |= {"hd:" + d for d in _deletions(h, 2) if d}
        out |= {"py:" + p for p in _reading_variants(h)} if n <= 12 else set()
    for h in {han, core1} - {""}:  # as _Judge.cross tries them
        out |= {"tkh:" + k for k in _tk(pinyin_skeleton(h))}
    out.add("rp:" + _root(core1))
    out.add("rp:" + _root(han))
    return out


def _latin_index_keys(alnum: str, words: tuple[str, ...], lcore: str) -> set[str]:
    from ipoffice.trademarks.similarity import _visual

    out: set[str] = set()
    vis = _visual(alnum)
    out.add("v:" + vis)
    n = len(alnum)
    for form in {alnum, vis}:
        if n >= 3:
            out |= {"d1:" + d for d in _deletions(form, 1)}
        if 8 <= len(form) <= 16:  # from 15 letters on two edits leave a shared five-letter run (l5:)
            out |= {"d2:" + d for d in _deletions(form, 2)}
        elif 5 <= len(form) <= 7:
            out |= {f"e2:{len(form)}:" + d for d in _deletions(form, 2, inner=True) if len(d) == len(form) - 2}
    if n >= 4:
        out.add("lp4:" + alnum[:4])
    out |= {"l5:" + alnum[i : i + 5] for i in range(n - 4)}
    if lcore and lcore.isalpha():
        out.add("py:" + lcore.lower())
    sources = {alnum, lcore}
    core_words = _judge().latin_core_words(words)
    if len(core_words) <= 2:  # single words are tried on their own, as _Judge.cross does
        sources |= {w for w in core_words if len(w) >= 4 and w.isalpha()}
    for src in sources - {""}:
        sk = latin_skeleton(src)
        for s in {sk, sk[1:] if sk.startswith("H") and len(sk) > 1 else sk} - {""}:
            out |= {"tkl:" + k for k in _tk(s)}
    return out


def _strip_han_min1(han: str) -> str:
    return _judge().strip_han(han, min_core=1)[0] if han else ""


_JUDGES: dict = {}
#: (time.time() at which the cached judge stops being today's: the next local midnight, that judge)
_TODAY: list = [0.0, None]


def _judge():  # noqa: ANN202 - the similarity judge of today's rules, built once a day per process
    """Today's judge. It is asked for once per comparison (``search.judge``, ``similarity._translit_reaches``),
    so the answer is kept until the next local midnight and checked with one ``time.time()`` call, without
    ``date.today()`` or imports: those were 2 % of a gazette mark's judging (session 17). A long-running
    server still judges by the rules in force on the day of each query."""
    if time.time() < _TODAY[0]:
        return _TODAY[1]
    from ipoffice.trademarks.rules import load_rules
    from ipoffice.trademarks.similarity import _Judge

    day = dt.date.today()
    if day not in _JUDGES:
        _JUDGES.clear()
        _JUDGES[day] = _Judge(load_rules(), day)
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min).timestamp()
    _TODAY[:] = [midnight, _JUDGES[day]]
    return _JUDGES[day]


_DROPPED = ("l3:", "tr:", "pb:")
# families that serve only meaning (5.1.6, 5.3.3) and transliteration (5.1.6): a mark sharing no other key can
# score at most those rules' scores, which lets the search judge such marks lazily (trademarks.search)
WEAK_FAMILIES = ("tkh:", "tkl:", "m:")


def index_keys(mark: str) -> set[str]:
    """Keys stored in the conflict-search index for ``mark`` (see the module docstring); ValueError as ``keys``."""
    m = normalize(mark)
    out = {k for k in keys(mark) if not k.startswith(_DROPPED)}
    judge = _judge()
    if m.han:
        core = judge.strip_han(m.han)[0] if len(m.han) >= 2 else m.han
        out |= _han_index_keys(m.han, core)
    # a one-unit meaning matches the other side's whole phrase (meanings_match): 米高梅 / METRO-GOLDWYN-MAYER
    units = (meaning.han_meaning_units(m.han) if m.han else ()) + (
        meaning.latin_meaning_units(tuple(m.words)) if m.words else ()
    )
    out |= {"m:e:" + t[2:] for u in units for t in u if t.startswith("w:")}
    # the meaning units of the texts ``compare`` reads for meaning (cores, unqualified words) are keyed too, so
    # that a unit matched there has its key here (``meaning_need`` asks for every unit of one such text)
    out |= {k for units_ in meaning_variants(mark) for u in units_ for k in unit_keys(u)}
    if m.alnum:
        lcore = judge.strip_latin(m.words)[0] if m.words else m.alnum
        out |= _latin_index_keys(m.alnum, m.words, lcore)
    return out


def unit_keys(unit: frozenset[str]) -> set[str]:
    """The index keys of one meaning unit: ``m:`` + each token, a whole-phrase token (``w:``) as ``m:e:``."""
    return {"m:e:" + t[2:] if t.startswith("w:") else "m:" + t for t in unit}


def meaning_variants(mark: str) -> list[tuple[frozenset[str], ...]]:
    """The meaning units of every text of ``mark`` that ``similarity.compare`` matches meanings on: the Chinese
    part and its cores (``han_meaning``, ``cross``), the Latin words, their core and the words left unqualified
    (``latin``, ``cross``). ValueError as ``normalize``."""
    from ipoffice.trademarks.words import GRAMMAR, PLACE, WEAK

    m = normalize(mark)
    judge = _judge()
    out: list[tuple[frozenset[str], ...]] = []
    if m.han:
        for h in dict.fromkeys((m.han, judge.strip_han(m.han)[0], judge.strip_han(m.han, min_core=1)[0])):
            out.append(meaning.han_meaning_units(h))
    if m.words:
        words = tuple(m.words)
        core = judge.latin_core_words(words)
        unqualified = tuple(w for w in words if judge.wc.latin_class(w) not in (PLACE, WEAK, GRAMMAR)) or core
        for ws in dict.fromkeys((words, core, unqualified)):
            out.append(meaning.latin_meaning_units(ws))
    return [u for u in out if u]


def meaning_need(mark: str) -> list[tuple[list[set[str]], set[str]]]:
    """What a register mark must share with ``mark`` to match it in meaning, one entry per text of
    ``meaning_variants``: (the key sets of its units, of which the other mark must share one each - empty when a
    unit has no meaning, which ``meaning.meanings_match`` never matches unit by unit; whole-phrase keys, any
    one of which matches a one-unit mark against the whole text). A necessary condition of
    ``meanings_match``, so the conflict search judges only marks meeting it (ValueError as ``normalize``)."""
    out = []
    for units in meaning_variants(mark):
        per_unit = [unit_keys(u) for u in units] if all(units) else []
        whole = {"m:e:" + t[2:] for u in units for t in u if t.startswith("w:")} if len(units) > 1 else set()
        out.append((per_unit, whole))
    return out


def probe_keys(mark: str) -> set[str]:
    """Keys to look up for ``mark``: its index keys, the transliteration ones turned round (a Chinese side
    looks for Latin skeletons and the reverse) and widened by compatible consonants (``_tk_probe``)."""
    out = set()
    tkh, tkl = set(), set()
    for k in index_keys(mark):
        if k.startswith("tkh:"):
            tkh.add(k[4:])
        elif k.startswith("tkl:"):
            tkl.add(k[4:])
        else:
            out.add(k)
    out |= {"tkl:" + k for k in _tk_probe(tkh)}
    out |= {"tkh:" + k for k in _tk_probe(tkl)}
    return out
