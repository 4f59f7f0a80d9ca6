"""The transliteration pre-test of the conflict search, on profiles computed once per mark.

A register mark that shares only transliteration keys with the application (耐克 / NIKE: ``keys.tkh:`` against
``tkl:``) can only be a transliteration (guideline 5.1.6), and ``similarity._Judge.cross`` scores that with
``phonetic.transliteration_similarity`` over a few variants: the Chinese text and its core, the Latin text, its
core and single words, a Latin initial H dropped. The keys are broad on purpose (one consonant deleted, two
swapped for compatible ones), so most such candidates fail the score; judging them in full (``compare``) would
cost a millisecond each. This module decides it first, from a **profile** per mark: the consonant skeletons and
pinyin of the Chinese variants, the skeleton variants of the Latin ones.

Why profiles are stored: at 1M marks a query meets some 450 of these candidates, and normalising each one's text
and computing its skeletons took about a third of the search's time (``bench/tm_search.py`` profile, session 12).
The index keeps each mark's profile as text beside the mark (``index._Segment``), so the test only aligns
skeletons; the alignments themselves repeat across marks (short class strings such as ``TSL``) and are cached.

``best`` gives what ``cross`` scores as transliteration (tests/trademarks/test_tm_index.py compares it with
``phonetic.transliteration_similarity`` itself).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from ipoffice.trademarks import phonetic

#: (consonant skeleton, pinyin) of the Chinese text and of its core
HanProfile = tuple[tuple[str, str], ...]
#: (lower-case text, skeleton variants) of the Latin text, its core and its single words
LatinProfile = tuple[tuple[str, tuple[str, ...]], ...]
Profile = tuple[HanProfile, LatinProfile]

# separators of the stored form: ASCII control characters, never in a skeleton, pinyin or normalised Latin text
_PART, _ENTRY, _FIELD, _VARIANT = "\x1f", "\x1e", "\x1d", "\x1c"


@lru_cache(maxsize=100_000)
def han_profile(han: str) -> HanProfile:
    """(pinyin skeleton, pinyin) of a Chinese part and of its core, as ``_Judge.cross`` tries them (the core
    under today's rules: ``han_profile_by`` takes another judge)."""
    from ipoffice.trademarks.keys import _judge

    return han_profile_by(_judge(), han)


def han_profile_by(j, han: str) -> HanProfile:  # noqa: ANN001 - a similarity._Judge
    if not han:
        return ()
    core, _ = j.strip_han(han, min_core=1)
    return tuple((phonetic.pinyin_skeleton(h), "".join(phonetic.pinyin_of(h))) for h in dict.fromkeys((han, core)))


@lru_cache(maxsize=100_000)
def latin_profile(latin: str, words: tuple[str, ...]) -> LatinProfile:
    """(text, skeleton variants) of a Latin part, its core and single words, as ``_Judge.cross`` tries them
    (under today's rules: ``latin_profile_by`` takes another judge)."""
    from ipoffice.trademarks.keys import _judge

    return latin_profile_by(_judge(), latin, words)


def latin_profile_by(j, latin: str, words: tuple[str, ...]) -> LatinProfile:  # noqa: ANN001 - a similarity._Judge
    if not latin:
        return ()
    lcore, _ = j.strip_latin(words)
    core_ws = j.latin_core_words(words)
    singles = [w for w in core_ws if len(w) >= 4 and w.isalpha()] if len(core_ws) <= 2 else []
    out = []
    for lat in dict.fromkeys((latin, lcore, *singles)):
        sk = phonetic.latin_skeleton(lat)
        variants = (sk, sk[1:]) if sk.startswith("H") and len(sk) > 1 else (sk,)
        out.append((lat.lower(), variants))
    return tuple(out)


@lru_cache(maxsize=200_000)
def profile(mark: str) -> Profile:
    """The profile of a mark's text (raises ValueError where ``normalize`` does)."""
    from ipoffice.trademarks.normalize import normalize

    n = normalize(mark)
    return han_profile(n.han or ""), latin_profile(n.alnum or "", tuple(n.words))


def encode(p: Profile) -> str:
    han, latin = p
    return (
        _ENTRY.join(f"{a}{_FIELD}{py}" for a, py in han)
        + _PART
        + _ENTRY.join(f"{lat}{_FIELD}{_VARIANT.join(vs)}" for lat, vs in latin)
    )


def decode(s: str) -> Profile:
    han_s, _, latin_s = s.partition(_PART)
    han = tuple(tuple(e.split(_FIELD, 1)) for e in han_s.split(_ENTRY)) if han_s else ()
    latin = []
    if latin_s:
        for e in latin_s.split(_ENTRY):
            lat, _, vs = e.partition(_FIELD)
            latin.append((lat, tuple(vs.split(_VARIANT))))
    return han, tuple(latin)  # type: ignore[return-value]


def encode_mark(mark: str) -> str:
    """The stored form of a mark's profile; empty for text ``normalize`` refuses (never a transliteration)."""
    try:
        return encode(profile(mark))
    except ValueError:
        return _PART


def _aligned_py(a: str, b: str, at_least: float | None) -> float:
    """1 - skeleton distance / longer length; with ``at_least``, a value below it as soon as it cannot reach it."""
    m = max(len(a), len(b))
    limit = None if at_least is None else (1 - at_least) * m + 1e-9
    if limit is not None and len(a) != len(b):
        # every alignment leaves at least the length difference of the longer skeleton's letters unmatched,
        # each a gap of at least its own cost (``phonetic._gap``: 0.2 a nasal final, 0.6 any other): a lower
        # bound of the distance that settles most pairs unaligned. The cheapest gaps added one by one, as in C.
        longer, k = (a, len(a) - len(b)) if len(a) > len(b) else (b, len(b) - len(a))
        nasal = longer.count("n")
        floor = 0.0
        for i in range(k):
            floor += 0.2 if i < nasal else 0.6
        if floor > limit:
            return 1 - floor / m
    return 1 - phonetic._skeleton_distance_py(a, b, limit) / m


#: in C where ``align.pyx`` is built (the same floats; 0.08 us a pair, less than a cache look-up), else the
#: Python version behind a cache (alignments repeat across candidates: short class strings such as ``TSL``)
_aligned = phonetic._C_ALIGN.aligned if phonetic._C_ALIGN is not None else lru_cache(maxsize=500_000)(_aligned_py)


def best(han: HanProfile, latin: LatinProfile, at_least: float | None = None) -> float:
    """The best transliteration score over the variants (``phonetic.transliteration_similarity``).

    ``at_least``: only whether the best reaches it matters; alignments stop once they cannot, and the first
    variant that reaches it is returned (the value is then exact for that variant, a lower bound of the best)."""
    top = 0.0
    for a, py in han:
        if not a:
            continue
        a0 = a[0]
        short_a = len(a.replace("n", "")) < 2
        for lat, variants in latin:
            for b in variants:
                if not b or not phonetic.first_letters_compatible(a0, b[0]):
                    continue
                if (short_a or len(b) < 2) and phonetic.jaro_winkler(py, lat) < 0.8:
                    continue
                top = max(top, _aligned(a, b, at_least))
                if at_least is not None and top >= at_least:
                    return top
    return top


def possible(p: Profile, q: Profile, at_least: float) -> bool:
    """Whether either mark's Chinese can transliterate the other's Latin with a score of ``at_least``."""
    return (bool(p[0] and q[1]) and best(p[0], q[1], at_least) >= at_least) or (
        bool(q[0] and p[1]) and best(q[0], p[1], at_least) >= at_least
    )


class SoundTest:
    """``possible(query, candidate, at_least)`` for the many candidates of one query.

    ``possible`` is true when some pair of a Chinese variant (skeleton ``a``, pinyin ``py``) of one mark and a
    Latin variant (text ``lat``, skeleton ``b``) of the other has compatible first letters, aligns to
    ``at_least`` and, where either skeleton is short, has close spellings (``jaro_winkler(py, lat) >= 0.8``).
    The query's side is fixed, so whether a candidate's skeleton aligns with it is worked out once per
    distinct skeleton (``_aligning``, kept in ``_han``/``_latin``) and only the spelling test is left per
    candidate. A conflict search meets some 500 candidates that share nothing but transliteration keys and only
    a few pass; their skeletons repeat, their texts do not. tests/trademarks/test_tm_index.py checks it against
    ``possible``.
    """

    def __init__(self, query: Profile, at_least: float):
        self.at_least = at_least
        self.q_han = tuple((a, py) for a, py in query[0] if a)
        self.q_latin = tuple((lat, b) for lat, vs in query[1] for b in vs if b)
        self._han: dict[str, tuple[bool, tuple[str, ...]]] = {}
        self._latin: dict[str, tuple[bool, tuple[str, ...]]] = {}
        self._jw: dict[tuple[str, str], bool] = {}

    def _spelled(self, py: str, lat: str) -> bool:
        key = (py, lat)
        ok = self._jw.get(key)
        if ok is None:
            ok = self._jw[key] = phonetic.jaro_winkler(py, lat) >= 0.8
        return ok

    def _aligning(self, memo: dict, key: str, pairs: Iterable[tuple[str, str, str]]) -> tuple[bool, tuple[str, ...]]:
        """For one skeleton of a candidate, over its pairs (Chinese skeleton, Latin skeleton, the query's text
        for the spelling test) with the query's variants: (aligns where no spelling test is needed, the query
        texts it aligns with where one is), kept in ``memo``."""
        plain, spelled = False, []
        for a, b, text in pairs:
            if not phonetic.first_letters_compatible(a[0], b[0]):
                continue
            needs = len(a.replace("n", "")) < 2 or len(b) < 2
            if (plain and not needs) or _aligned(a, b, self.at_least) < self.at_least:
                continue
            if needs:
                spelled.append(text)
            else:
                plain = True
        got = memo[key] = (plain, tuple(spelled))
        return got

    def han_entry(self, a: str) -> tuple[bool, tuple[str, ...]]:
        """``_aligning`` of a candidate's Chinese skeleton ``a`` with the query's Latin variants, kept."""
        return self._han.get(a) or self._aligning(self._han, a, ((a, b, lat) for lat, b in self.q_latin))

    def latin_entry(self, b: str) -> tuple[bool, tuple[str, ...]]:
        """``_aligning`` of a candidate's Latin skeleton ``b`` with the query's Chinese variants, kept."""
        return self._latin.get(b) or self._aligning(self._latin, b, ((a, b, py) for a, py in self.q_han))

    def __call__(self, cand: Profile) -> bool:
        return self.stored(encode(cand))

    def stored(self, s: str) -> bool:
        """The test on a stored profile (``encode``), read only as far as the query needs: its Chinese part for
        a query with Latin, its Latin part for one with Chinese. An empty one (text ``normalize`` refused)
        never passes. ``postings.sound_passes`` runs the same steps on the index's bytes."""
        han_s, _, latin_s = s.partition(_PART)
        if han_s and self.q_latin:
            for e in han_s.split(_ENTRY):
                a, _, py = e.partition(_FIELD)
                if a:
                    plain, spelled = self.han_entry(a)
                    if plain or any(self._spelled(py, lat) for lat in spelled):
                        return True
        if latin_s and self.q_han:
            for e in latin_s.split(_ENTRY):
                lat, _, vs = e.partition(_FIELD)
                for b in vs.split(_VARIANT):
                    if b:
                        plain, spelled = self.latin_entry(b)
                        if plain or any(self._spelled(py, lat) for py in spelled):
                            return True
        return False
