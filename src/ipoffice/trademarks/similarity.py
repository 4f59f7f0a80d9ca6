"""Are two word marks identical or similar? The examiner's comparison of 形, 音, 义 as rules with codes.

``compare(a, b, on=date)`` folds both marks (``normalize``), applies the rules of 商标审查审理指南 下编第五章
in force on ``on`` (``rules/data/tm_similarity.yaml``) and returns a ``MarkSimilarity``: a score 0..1, the
call (similar or not) and the reasons, each naming the rule it meets (``tmg2021-5.5.1.7``) with the evidence.

How a pair is read, in the guideline's order:

1. identical after folding (4.1) -- or the same characters in traditional/simplified form (5.1.1);
2. Chinese against Chinese: reordered characters (5.1.1, 5.1.2), repetition (5.1.3), sound with shape
   (5.1.4), shape (5.1.5), meaning (5.1.6), one character changed (5.1.7), the earlier mark plus weak,
   descriptive or place words (5.1.12-5.1.14), containment (5.1.16);
3. Latin against Latin: look-alike letters (5.1.5), one letter changed (5.1.9), word order (5.1.10),
   grammatical form (5.1.11), added words (5.1.12-5.1.14), containment (5.1.16), sound (5.1.4);
4. Chinese against Latin: pinyin (5.1.17), translation (5.1.6, 5.3.3), numbers, transliteration;
5. marks with a Chinese and a Latin part are compared part by part (5.1.15, 5.3.1, 5.3.2).

The guideline's exceptions ("但……不判为近似商标") are rules too (``-exc`` codes): when one applies it
overrides the rules it names (``defeats``), and the pair is not similar unless another rule still holds.
The call is made on the best rule left: similar when its score reaches the file's ``threshold``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from ipoffice.trademarks import hanzi, keys, meaning, translit
from ipoffice.trademarks.normalize import NormalizedMark, normalize
from ipoffice.trademarks.phonetic import (
    double_metaphone,
    jaro_winkler,
    latin_skeleton,
    latin_spells_pinyin,
    osa_distance,
    pinyin_near,
    pinyin_of,
    pinyin_skeleton,
    prefix_similarity,
    transliteration_similarity,
)
from ipoffice.trademarks.rules import Rule, RuleSet, load_rules
from ipoffice.trademarks.words import DESCRIPTIVE, GRAMMAR, PLACE, WEAK, WordClasses, word_classes

__all__ = ["MarkSimilarity", "Reason", "compare"]

# rules about the form of a part; when found between parts of mixed marks they are reported as the part rule
_FORM_CODES = frozenset(
    {
        "tmg2021-5.4.1",
        "tmg2021-5.5.1.1",
        "tmg2021-5.5.1.2",
        "tmg2021-5.5.1.3",
        "tmg2021-5.5.1.4",
        "tmg2021-5.5.1.5",
        "tmg2021-5.5.1.7",
        "tmg2021-5.5.1.9",
        "tmg2021-5.5.1.10",
        "tmg2021-5.5.1.11",
        "tmg2021-5.5.1.12",
        "tmg2021-5.5.1.13",
        "tmg2021-5.5.1.14",
        "tmg2021-5.5.1.16",
    }
)
# look-alike Latin letters and digits (5.1.5, 5.1.9 (1): 仅个别字母不同但字形相近)
_LOOKALIKE = frozenset(
    frozenset(p) for p in ("CG", "CO", "IL", "I1", "L1", "IJ", "O0", "OQ", "OD", "QG", "MN", "UV", "EF", "PR", "BR",
                           "S5", "B8", "Z2", "38", "69", "HN", "KX", "VY")
)  # fmt: skip
_VISUAL_BIGRAMS = (("VV", "W"), ("RN", "M"), ("CL", "D"))
# a transliteration match at or above this counts: ~0.3% of random pairs of real marks reach it (0.85: ~0.1%, but
# 2 points less recall on the benchmark; a conflict search would rather rank a few extra marks than miss one)
_TRANSLIT_MIN = 0.8
# a transliteration counts less than a translation: it is the score of a pair linked only by sound across scripts
TRANSLIT_SCORE = 0.75
_CLASS_CODE = {PLACE: "tmg2021-5.5.1.13", DESCRIPTIVE: "tmg2021-5.5.1.12", WEAK: "tmg2021-5.5.1.14"}


@dataclass(frozen=True)
class Reason:
    """One rule met (or one exception that applied), with what in the marks meets it."""

    code: str  # rule code in tm_similarity.yaml, e.g. "tmg2021-5.5.1.7"
    text: str  # the rule's heading (Chinese, as in the guideline)
    evidence: str  # what in the two marks meets it, in English
    verdict: str = "similar"  # "identical" | "similar" | "not_similar"
    score: float = 0.0

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "text": self.text,
            "evidence": self.evidence,
            "verdict": self.verdict,
            "score": self.score,
        }


@dataclass(frozen=True)
class MarkSimilarity:
    """The comparison of two marks: score 0..1, the call, and the reasons (best first)."""

    score: float
    similar: bool
    reasons: list[Reason] = field(default_factory=list)
    identical: bool = False

    @property
    def rule(self) -> str:
        """Code of the deciding reason (the first one)."""
        return self.reasons[0].code if self.reasons else ""

    def to_dict(self) -> dict:
        return {
            "score": self.score,
            "similar": self.similar,
            "identical": self.identical,
            "rule": self.rule,
            "reasons": [r.to_dict() for r in self.reasons],
        }


# --------------------------------------------------------------------------- helpers


def _levenshtein(a: str, b: str) -> int:
    """Levenshtein distance (rapidfuzz; equal to the textbook programme, tests/trademarks/test_distances.py)."""
    return Levenshtein.distance(a, b)


def _lookalike(a: str, b: str) -> bool:
    return frozenset((a, b)) in _LOOKALIKE


def _visual(s: str) -> str:
    for a, b in _VISUAL_BIGRAMS:
        s = s.replace(a, b)
    return s.replace("0", "O").replace("1", "I")


def _repeats(unit: str, text: str) -> bool:
    """``text`` is ``unit`` written two or more times (牛 -> 牛牛)."""
    return (
        len(unit) >= 1
        and len(text) >= 2 * len(unit)
        and len(text) % len(unit) == 0
        and text == unit * (len(text) // len(unit))
    )


@lru_cache(maxsize=65536)
def _dm_keys(s: str) -> frozenset[str]:
    """The Double Metaphone keys of two letters or more (kept per text: asked for both marks of every pair)."""
    p, a = double_metaphone(s)
    return frozenset(k for k in (p, a) if len(k) >= 2)


def _han_words_known(text: str) -> bool:
    """The text is made wholly of known words of two or more characters (北美 + 风情)."""
    units = meaning.han_meaning_units(text)
    if not units or any(not u for u in units):
        return False
    # every unit must come from a word, not a lone character's gloss
    i, n = 0, len(text)
    while i < n:
        for j in range(min(n, i + 8), i + 1, -1):
            if meaning.han_has_meaning(text[i:j]):
                i = j
                break
        else:
            return False
    return True


def _han_meanings_differ(x: str, y: str) -> bool:
    """Both texts have a known meaning (made of known words) and the meanings do not match."""
    if not (_han_words_known(x) and _han_words_known(y)):
        return False
    return not meaning.meanings_match(meaning.han_meaning_units(x), meaning.han_meaning_units(y))


def _latin_meanings_differ(x: str, y: str) -> bool:
    """Both are ordinary English words with different meanings (HORSE/HOUSE)."""
    if not (meaning.english_word(x) and meaning.english_word(y)):
        return False
    if meaning.stem(x) == meaning.stem(y):
        return False
    cx = meaning.lexicon_concepts(x) | meaning.lexicon_concepts(meaning.stem(x))
    cy = meaning.lexicon_concepts(y) | meaning.lexicon_concepts(meaning.stem(y))
    return not (cx & cy)


# --------------------------------------------------------------------------- the judge


class _Judge:
    """Collects the reasons for one pair under the rules in force."""

    def __init__(self, rs: RuleSet, on: dt.date):
        self.rs = rs
        self.day = on
        self.rules: dict[str, Rule] = rs.in_force(on)
        self.codes = frozenset(self.rules)
        self.wc: WordClasses = word_classes(rs, self.codes)
        self._cores: dict[tuple[str, int], tuple[str, tuple[tuple[str, str], ...]]] = {}

    # -- reasons

    def r(self, code: str, evidence: str, score: float | None = None) -> list[Reason]:
        rule = self.rules.get(code)
        if rule is None:
            return []
        s = rule.score if score is None else min(score, 1.0)
        return [Reason(code, rule.title_zh, evidence, rule.verdict, round(s, 3))]

    def resolve(self, hits: list[Reason]) -> tuple[list[Reason], list[Reason]]:
        """(positives not overridden, exceptions that applied)."""
        exc = [h for h in hits if h.verdict == "not_similar"]
        defeated: set[str] = set()
        for e in exc:
            defeated.update(self.rules[e.code].defeats)
        pos = [h for h in hits if h.verdict != "not_similar" and h.code not in defeated]
        return pos, exc

    def wrap(self, hits: list[Reason], code: str, label: str) -> list[Reason]:
        """Hits found between parts, reported as the part rule ``code`` (meaning/pinyin rules kept)."""
        pos, exc = self.resolve(hits)
        out: list[Reason] = list(exc)
        for h in pos:
            if h.code in _FORM_CODES and code in self.rules:
                ev = f"{label}: {h.evidence} ({h.code})"
                out += self.r(code, ev, min(h.score, self.rules[code].score))
            else:
                out.append(h)
        return out

    # -- word classes

    def strip_han(self, x: str, min_core: int = 2) -> tuple[str, list[tuple[str, str]]]:
        """The distinctive core of a Chinese text and the listed words stripped from its ends.

        Listed words are taken off the end first, then the front, longest first, as long as at least
        ``min_core`` characters remain (万宝王 -> 万宝, not 万). Memoised per judge: a search strips the
        application's text once per candidate.
        """
        hit = self._cores.get((x, min_core))
        if hit is None:
            if len(self._cores) > 100_000:
                self._cores.clear()
            hit = self._cores[(x, min_core)] = self._strip_han(x, min_core)
        return hit[0], list(hit[1])

    def _strip_han(self, x: str, min_core: int) -> tuple[str, tuple[tuple[str, str], ...]]:
        core, stripped = x, []
        changed = True
        while changed and len(core) > min_core:
            changed = False
            for k in range(min(len(core) - min_core, self.wc.max_han), 0, -1):  # suffixes, longest first
                cls = self.wc.han_class(core[-k:])
                if cls:
                    stripped.append((core[-k:], cls))
                    core = core[:-k]
                    changed = True
                    break
            if changed:
                continue
            for k in range(min(len(core) - min_core, self.wc.max_han), 0, -1):  # prefixes
                cls = self.wc.han_class(core[:k])
                if cls:
                    stripped.append((core[:k], cls))
                    core = core[k:]
                    changed = True
                    break
        return core, tuple(stripped)

    def latin_core_words(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The words left when listed words are taken off both ends (at least one is kept)."""
        ws = [w for w in words if w]
        while len(ws) > 1:
            if self.wc.latin_class(ws[-1]):
                ws.pop()
            elif self.wc.latin_class(ws[0]):
                ws.pop(0)
            else:
                break
        return tuple(ws)

    def strip_latin(self, words: tuple[str, ...]) -> tuple[str, list[tuple[str, str]]]:
        ws = [w for w in words if w]
        stripped: list[tuple[str, str]] = []
        while len(ws) > 1:
            c = self.wc.latin_class(ws[-1])
            if c:
                stripped.append((ws.pop(), c))
                continue
            c = self.wc.latin_class(ws[0])
            if c:
                stripped.append((ws.pop(0), c))
                continue
            break
        return "".join(ws), stripped

    def class_code(self, stripped: list[tuple[str, str]]) -> str:
        classes = {c for _, c in stripped}
        if classes <= {GRAMMAR}:
            return "tmg2021-5.5.1.11"
        for cls in (PLACE, DESCRIPTIVE, WEAK):
            if cls in classes:
                return _CLASS_CODE[cls]
        return "tmg2021-5.5.1.14"

    def weak_han(self, x: str) -> bool:
        return len(x) <= 1 or self.wc.han_class(x) is not None

    def weak_latin(self, x: str) -> bool:
        return len(x) <= 2 or self.wc.latin_class(x) is not None

    # -- Chinese against Chinese

    def han(self, x: str, y: str) -> list[Reason]:
        if x == y:
            return self.r("tmg2021-5.4.1", f"the same characters {x}")
        out: list[Reason] = []
        if len(x) == len(y) >= 2 and sorted(x) == sorted(y):
            if len(x) == 2 and _han_meanings_differ(x, y):
                out += self.r("tmg2021-5.5.1.2-exc", f"{x}/{y}: reordered, but the two words mean different things")
            else:
                out += self.r("tmg2021-5.5.1.1", f"{x}/{y}: the same characters in another order")
        cx, sx = self.strip_han(x)
        cy, sy = self.strip_han(y)
        if (sx or sy) and cx and cy:
            words = "+".join(w for w, _ in sx + sy)
            if cx == cy:
                if len(cx) == 1 and not (_repeats(cx, x) or _repeats(cx, y)):
                    out += self.r("tmg2021-5.5.1.13-exc", f"the shared part {cx} is a single character")
                elif self.wc.han_class(cx):
                    out += self.r("tmg2021-5.5.1.15-exc", f"the shared part {cx} is itself a weak or descriptive word")
                else:
                    code = self.class_code(sx + sy)
                    out += self.r(code, f"{x}/{y}: the same distinctive part {cx}; they differ only by {words}")
            elif len(cx) == len(cy) >= 2 and sorted(cx) == sorted(cy):
                if sorted(w for w, _ in sx) == sorted(w for w, _ in sy):
                    out += self.r("tmg2021-5.5.1.2", f"{x}/{y}: distinctive parts {cx}/{cy} reordered")
                else:
                    out += self.r(
                        "tmg2021-5.5.1.2-exc",
                        f"{x}/{y}: {cx}/{cy} reordered, but with different words ({words}) the marks read apart",
                    )
            elif len(cx) >= 2 and len(cy) >= 2 and (cx, cy) != (x, y):
                out += self.han_form(cx, cy, label=f"distinctive parts {cx}/{cy}")
        for u, t in ((x, y), (y, x)):
            base, _ = self.strip_han(u, min_core=1)
            if _repeats(base, t) or (_repeats(u, t)):
                out += self.r("tmg2021-5.5.1.3", f"{t} repeats {base}")
        if x in y or y in x:
            short, long_ = (x, y) if len(x) < len(y) else (y, x)
            out += self.contain_han(short, long_)
        else:
            out += self.han_form(x, y)
        out += self.han_meaning(x, y)
        return out

    def contain_han(self, short: str, long_: str) -> list[Reason]:
        i = long_.find(short)
        pre, post = long_[:i], long_[i + len(short) :]
        if _repeats(short, long_):
            return []
        if len(short) < int(self.rules.get("tmg2021-5.5.1.16", _NO_RULE).params.get("min_han", 2)):
            return self.r("tmg2021-5.5.1.13-exc", f"{long_} contains {short}, a single character")
        if self.wc.han_class(short):
            return self.r("tmg2021-5.5.1.15-exc", f"the shared part {short} is itself a weak or descriptive word")
        seg_pre, seg_post = self.wc.segment_han(pre), self.wc.segment_han(post)
        if seg_pre is not None and seg_post is not None:
            words = seg_pre + seg_post
            code = self.class_code(words)
            return self.r(code, f"{long_} = {short} + {'+'.join(w for w, _ in words)}")
        if meaning.han_has_meaning(long_) and _han_meanings_differ(short, long_):
            return self.r("tmg2021-5.5.1.13-exc", f"{long_} is a word of its own, meaning other than {short}")
        return self.r("tmg2021-5.5.1.16", f"{long_} wholly contains {short}")

    def han_form(self, x: str, y: str, label: str = "") -> list[Reason]:
        """Sound and shape position by position (5.1.4, 5.1.5) and few changed characters (5.1.7)."""
        out: list[Reason] = []
        pre = f"{label}: " if label else ""
        if len(x) == len(y) >= 2 and x != y:
            same = sound_ok = 0
            shape_ok = 0.0
            near = False
            notes = []
            not_shape = 0
            for a, b in zip(x, y, strict=True):
                if a == b:
                    same += 1
                    sound_ok += 1
                    shape_ok += 1
                    continue
                snd = pinyin_near(a, b)
                shp, why = hanzi.visually_similar(a, b)
                if snd:
                    sound_ok += 1
                    near = near or snd == "near"
                if shp:
                    shape_ok += 0.75  # a look-alike character counts less than the same one
                else:
                    not_shape += 1
                notes.append(f"{a}/{b} {('sound ' + snd) if snd else 'sound differs'}, {why}")
            n = len(x)
            detail = "; ".join(notes)
            min_ratio = float(self.rules.get("tmg2021-5.5.1.4", _NO_RULE).params.get("min_shape_ratio", 0.5))
            if sound_ok == n:
                if shape_ok / n >= min_ratio:
                    if not_shape and meaning.han_has_meaning(x) != meaning.han_has_meaning(y):
                        known = x if meaning.han_has_meaning(x) else y
                        out += self.r(
                            "tmg2021-5.5.1.4-exc",
                            f"{pre}{x}/{y} sound alike, but {known} is a word with its own meaning ({detail})",
                        )
                    else:
                        out += self.r(
                            "tmg2021-5.5.1.4",
                            f"{pre}{x}/{y} read the same{' or nearly' if near else ''} and look alike ({detail})",
                            0.8 if near else None,
                        )
                else:
                    out += self.r(
                        "tmg2021-5.5.1.4-exc", f"{pre}{x}/{y} sound alike but look clearly different ({detail})"
                    )
            elif not not_shape:
                out += self.r("tmg2021-5.5.1.5", f"{pre}{x}/{y} look alike ({detail})")
        rule7 = self.rules.get("tmg2021-5.5.1.7")
        if rule7 and min(len(x), len(y)) >= int(rule7.params.get("min_length", 3)):
            m = min(len(x), len(y))
            allowed = int((rule7.params.get("max_differences") or {}).get(str(m), max(1, m // 3)))
            d = _levenshtein(x, y)
            if 1 <= d <= allowed:
                first_diff = x[0] != y[0]
                if first_diff and not pinyin_near(x[0], y[0]) and not hanzi.visually_similar(x[0], y[0])[0]:
                    out += self.r(
                        "tmg2021-5.5.1.7-exc",
                        f"{pre}{x}/{y}: the first characters {x[0]}/{y[0]} differ clearly in sound and shape",
                    )
                elif _han_meanings_differ(x, y):
                    out += self.r("tmg2021-5.5.1.7-exc", f"{pre}{x}/{y}: the meanings as a whole differ")
                else:
                    out += self.r("tmg2021-5.5.1.7", f"{pre}{x}/{y}: {d} of {max(len(x), len(y))} characters differ")
        return out

    def han_meaning(self, x: str, y: str) -> list[Reason]:
        hx, hy = meaning.han_number(x), meaning.han_number(y)
        if hx and hx == hy:
            return self.r("tmg2021-5.5.1.6", f"{x}/{y}: the same number {hx}")
        for u, v in ((x, y), (self.strip_han(x)[0], self.strip_han(y)[0])):
            if len(u) >= 1 and len(v) >= 1 and (len(u) >= 2 or len(v) >= 2):
                mu, mv = meaning.han_meaning_units(u), meaning.han_meaning_units(v)
                if mu and mv and meaning.meanings_match(mu, mv) and (_han_words_known(u) or len(u) == 1):
                    return self.r("tmg2021-5.5.1.6", f"{x}/{y}: the same meaning ({_show(mu)})")
        return []

    # -- Latin against Latin

    def latin(self, x: str, xw: tuple[str, ...], y: str, yw: tuple[str, ...]) -> list[Reason]:
        if x == y:
            return self.r("tmg2021-5.4.1", f"the same letters {x}")
        out: list[Reason] = []
        gx, gy = self.content_words(xw), self.content_words(yw)
        if gx and gx == gy:
            out += self.r("tmg2021-5.5.1.11", f"{' '.join(xw)}/{' '.join(yw)}: only the grammatical form differs")
        elif len(gx) >= 2 and sorted(gx) == sorted(gy):
            out += self.r("tmg2021-5.5.1.10", f"the same words in another order ({' '.join(gx)})")
        elif len(x) == len(y) >= 6 and x != y:
            for k in range(3, len(x) - 2):
                if y == x[k:] + x[:k]:
                    out += self.r("tmg2021-5.5.1.10", f"{x}/{y}: the words {x[:k]} and {x[k:]} in the other order")
                    break
        nx, ny = (
            meaning.latin_number(x) or (x if x.isdigit() else None),
            meaning.latin_number(y) or (y if y.isdigit() else None),
        )
        if nx and nx == ny:
            out += self.r("tmg2021-5.5.1.6", f"{x}/{y}: the same number {nx}")
        mx, my = meaning.latin_meaning_units(xw), meaning.latin_meaning_units(yw)
        if (
            mx
            and my
            and meaning.meanings_match(mx, my)
            and any(t.startswith("c:") for u in mx for t in u)
            and jaro_winkler(x, y) >= 0.7
        ):
            out += self.r("tmg2021-5.5.1.6", f"{' '.join(xw)}/{' '.join(yw)}: the same meaning ({_show(mx)})")
        cx, sx = self.strip_latin(xw)
        cy, sy = self.strip_latin(yw)
        if (sx or sy) and cx == cy and cx and not (x in y or y in x):
            words = "+".join(w for w, _ in sx + sy)
            if self.weak_latin(cx):
                out += self.r("tmg2021-5.5.1.15-exc", f"the shared part {cx} is weak")
            else:
                out += self.r(self.class_code(sx + sy), f"the same distinctive part {cx}; they differ only by {words}")
        if x in y or y in x:
            short, long_, lw = (x, y, yw) if len(x) < len(y) else (y, x, xw)
            out += self.contain_latin(short, long_, lw)
        else:
            out += self.latin_form(x, y)
        return out

    def content_words(self, words: tuple[str, ...]) -> list[str]:
        abbrev = self.rules.get("tmg2021-5.5.1.11", _NO_RULE).params.get("abbreviations") or {}
        out = []
        for w in words:
            w = str(abbrev.get(w, w))
            if self.wc.latin_class(w) == GRAMMAR or w in meaning.STOPWORDS:
                continue
            out.append(meaning.stem(w))
        return out

    def contain_latin(self, short: str, long_: str, long_words: tuple[str, ...]) -> list[Reason]:
        rule16 = self.rules.get("tmg2021-5.5.1.16", _NO_RULE)
        i = long_.find(short)
        pre, post = long_[:i], long_[i + len(short) :]
        bounds = {0}
        pos = 0
        for w in long_words:
            pos += len(w)
            bounds.add(pos)
        whole = i in bounds and i + len(short) in bounds
        if len(short) < 2 or (len(short) < int(rule16.params.get("min_latin", 3)) and not whole):
            return []
        if not pre and post in ("S", "ES", "ING", "ED", "ER", "EST"):
            return self.r("tmg2021-5.5.1.11", f"{long_} is {short} in another grammatical form")
        seg_pre, seg_post = self.wc.segment_latin(pre), self.wc.segment_latin(post)
        if seg_pre is not None and seg_post is not None and (whole or i == 0):
            words = seg_pre + seg_post
            if self.wc.latin_class(short) or len(short) < 2:
                return self.r("tmg2021-5.5.1.15-exc", f"the shared part {short} is weak")
            return self.r(self.class_code(words), f"{long_} = {short} + {'+'.join(w for w, _ in words)}")
        if self.weak_latin(short):
            return self.r("tmg2021-5.5.1.15-exc", f"the shared part {short} is weak")
        rest = [w for w in long_words if w != short and not self.wc.latin_class(w)]
        if whole and meaning.english_word(short) and any(meaning.english_word(w) for w in rest):
            return self.r(
                "tmg2021-5.5.1.14-exc",
                f"{long_} is a phrase of its own ({' '.join(long_words)}), not {short} + a weak word",
            )
        if whole or (i == 0 and len(short) >= 4) or len(short) >= 5:
            return self.r("tmg2021-5.5.1.16", f"{long_} wholly contains {short}")
        return []

    def latin_form(self, x: str, y: str) -> list[Reason]:
        """Letters changed, added, dropped or swapped (5.1.9); sound (5.1.4); look-alike letters (5.1.5)."""
        out: list[Reason] = []
        lx, ly = len(x), len(y)
        if min(lx, ly) <= 2:
            return out  # 5.1.8: one or two letters are similar only when identical
        vx, vy = _visual(x), _visual(y)
        if vx == vy:
            return self.r("tmg2021-5.5.1.5", f"{x}/{y} differ only by look-alike letters")
        d = min(osa_distance(x, y), osa_distance(vx, vy))
        anagram = sorted(x) == sorted(y)
        if anagram and d >= 2:
            return self.r("tmg2021-5.5.1.9-exc", f"{x}/{y}: the same letters in another order")
        dm_same = bool(_dm_keys(x) & _dm_keys(y))
        first_clear = (
            x[0] != y[0] and not _lookalike(x[0], y[0]) and double_metaphone(x)[0][:1] != double_metaphone(y)[0][:1]
        )
        differ = _latin_meanings_differ(x, y)
        m = min(lx, ly)
        if m == 3:
            if d == 1 and lx == ly:
                a, b = next((p, q) for p, q in zip(x, y, strict=True) if p != q)
                if _lookalike(a, b):
                    out += self.r("tmg2021-5.5.1.9", f"{x}/{y}: one letter differs, {a}/{b} look alike")
                elif dm_same and not first_clear:
                    out += self.r("tmg2021-5.5.1.4", f"{x}/{y} sound alike ({'/'.join(_dm_keys(x))})")
            return out
        # the letters counted only where the rest holds (counting them was 1 % of a gazette mark's judging)
        near2 = (
            d == 2
            and lx == ly >= 5
            and x[0] == y[0]
            and x[-1] == y[-1]
            and sum((Counter(x) - Counter(y)).values()) <= 1
        )
        candidate = d == 1 or (d == 2 and m >= 8) or near2
        if candidate:
            if first_clear:
                out += self.r(
                    "tmg2021-5.5.1.9-exc", f"{x}/{y}: the first letters {x[0]}/{y[0]} differ clearly in sound and shape"
                )
            elif differ:
                out += self.r("tmg2021-5.5.1.9-exc", f"{x}/{y}: two words of different meaning")
            else:
                out += self.r("tmg2021-5.5.1.9", f"{x}/{y}: {d} letter{'s' if d > 1 else ''} differ")
        if dm_same and (prefix_similarity(x, y) >= 0.6 or jaro_winkler(x, y) >= 0.88):
            if differ:
                out += self.r("tmg2021-5.5.1.4-exc", f"{x}/{y} sound alike but are words of different meaning")
            elif not first_clear:
                keys = "/".join(sorted(_dm_keys(x) & _dm_keys(y)))
                out += self.r("tmg2021-5.5.1.4", f"{x}/{y} sound alike (phonetic key {keys}) and look alike")
        return out

    # -- Chinese against Latin

    def cross(self, han: str, latin: str, words: tuple[str, ...], *, mixed: bool = False) -> list[Reason]:
        out: list[Reason] = []
        core, _ = self.strip_han(han, min_core=1)
        lcore, _ = self.strip_latin(words)
        for h in dict.fromkeys((han, core)):
            for lat in dict.fromkeys((latin, lcore)):
                if lat.isalpha() and latin_spells_pinyin(lat, h):
                    out += self.r("tmg2021-5.5.1.17", f"{lat} is the pinyin of {h}", 0.8 if not mixed else None)
                    break
            if out:
                break
        hn = meaning.han_number(han)
        ln = meaning.latin_number(latin) or (latin if latin.isdigit() else None)
        if hn and hn == ln:
            out += self.r("tmg2021-5.5.1.6", f"{han}/{latin}: the same number {hn}")
        mcode = "tmg2021-5.5.3.3" if mixed else "tmg2021-5.5.1.6"
        core_words = self.latin_core_words(words)
        unqualified = tuple(w for w in words if self.wc.latin_class(w) not in (PLACE, WEAK, GRAMMAR)) or core_words
        found = False
        for ws in dict.fromkeys((tuple(words), core_words, unqualified)):
            lunits = meaning.latin_meaning_units(ws)
            for h in dict.fromkeys((han, core)):
                hunits = meaning.han_meaning_units(h)
                if meaning.meanings_match(hunits, lunits):
                    out += self.r(mcode, f"{h} means {' '.join(ws)} ({_show(hunits)})")
                    found = True
                    break
            if found:
                break
        if not out and _translit_reaches(self, han, latin, words):
            best, what = 0.0, ""
            for h in dict.fromkeys((han, core)):
                core_ws = self.latin_core_words(words)
                singles = [w for w in core_ws if len(w) >= 4 and w.isalpha()] if len(core_ws) <= 2 else []
                for lat in dict.fromkeys((latin, lcore, *singles)):
                    t = transliteration_similarity(h, lat)
                    if t > best:
                        best, what = t, f"{h} ({pinyin_skeleton(h)}) renders {lat} ({latin_skeleton(lat)}) by sound"
            if best >= _TRANSLIT_MIN:
                out += self.r("tmg2021-5.5.1.6", f"{what}: transliteration, {best:.2f}", TRANSLIT_SCORE)
        return out

    # -- whole marks

    def marks(self, a: NormalizedMark, b: NormalizedMark) -> list[Reason]:
        if a.folded == b.folded:
            if _plain(a.original) == _plain(b.original):
                return self.r(
                    "tmg2021-5.4.1", f"{a.original}/{b.original}: the same after folding case, width, spacing"
                )
            return self.r(
                "tmg2021-5.5.1.1", f"{a.original}/{b.original}: the same characters in traditional/simplified form"
            )
        ah, bh, al, bl = a.han, b.han, a.alnum, b.alnum
        out: list[Reason] = []
        if not a.mixed and not b.mixed:
            if ah and bh:
                out += self.han(ah, bh)
            elif al and bl:
                out += self.latin(al, a.words, bl, b.words)
            elif ah and bl:
                out += self.cross(ah, bl, b.words)
            elif bh and al:
                out += self.cross(bh, al, a.words)
            return out
        out += self.contain_mixed(a.folded, b.folded)
        if a.mixed and b.mixed:
            han_hits = self.han(ah, bh) if ah and bh else []
            lat_hits = self.latin(al, a.words, bl, b.words) if al and bl else []
            cross_hits = self.cross(ah, bl, b.words, mixed=True) + self.cross(bh, al, a.words, mixed=True)
            out += self.part(
                han_hits, "tmg2021-5.5.3.1", "Chinese parts", ah if ah == bh else "", lat_hits + cross_hits
            )
            out += self.part(lat_hits, "tmg2021-5.5.3.2", "Latin parts", al if al == bl else "", han_hits + cross_hits)
            return out + cross_hits
        m, s = (a, b) if a.mixed else (b, a)
        own_pinyin = latin_spells_pinyin(m.alnum, m.han) if m.alnum.isalpha() else False
        if s.han:
            sub = self.han(m.han, s.han)
            out += self.part(sub, "tmg2021-5.5.1.15", f"Chinese part of {m.original}", m.han if m.han == s.han else "")
            cr = self.cross(s.han, m.alnum, m.words, mixed=True)
            han_match = any(h.verdict != "not_similar" for h in self.resolve(sub)[0])
            if cr and not han_match and not own_pinyin:
                out += self.r(
                    "tmg2021-5.5.1.15-exc",
                    f"{m.alnum} answers to {s.han}, but {m.original} reads as {m.han}: the marks differ as a whole",
                )
            out += cr
        else:
            sub = self.latin(m.alnum, m.words, s.alnum, s.words)
            if own_pinyin and m.alnum == s.alnum:
                out += self.r(
                    "tmg2021-5.5.1.17", f"{m.original} is {m.han} with its pinyin {m.alnum}; {s.original} is the pinyin"
                )
            out += self.part(
                sub, "tmg2021-5.5.1.15", f"Latin part of {m.original}", m.alnum if m.alnum == s.alnum else ""
            )
            out += self.cross(m.han, s.alnum, s.words, mixed=True)
        return out

    def part(
        self, hits: list[Reason], code: str, label: str, identical_part: str, others: list[Reason] = ()
    ) -> list[Reason]:
        """Part-by-part hits; an identical part that is weak (时代, 宝, K) does not make the marks similar.

        The weak part's exception is reported only when nothing else links the marks (``others``: the hits of
        the other parts); otherwise the weak part is simply left out.
        """
        if identical_part and (
            self.weak_han(identical_part) if hanzi.info(identical_part[0]) else self.weak_latin(identical_part)
        ):
            if self.resolve(list(others))[0]:
                return []
            return self.r("tmg2021-5.5.1.15-exc", f"the shared part {identical_part} is weak or too short")
        return self.wrap(hits, code, label)

    def contain_mixed(self, x: str, y: str) -> list[Reason]:
        """A mark of several scripts inside the other, as written (杜E赊 in 杜E赊额度)."""
        if x == y or not (x in y or y in x):
            return []
        short, long_ = (x, y) if len(x) < len(y) else (y, x)
        if len(short) < 3 or not any(hanzi.info(c) for c in short) or short.isascii():
            return []
        i = long_.find(short)
        pre, post = long_[:i], long_[i + len(short) :]
        segs = []
        for rest in (pre, post):
            seg = self.wc.segment_han(rest) if rest and not rest.isascii() else self.wc.segment_latin(rest)
            if seg is None:
                return self.r("tmg2021-5.5.1.16", f"{long_} wholly contains {short}")
            segs += seg
        return self.r(self.class_code(segs), f"{long_} = {short} + {'+'.join(w for w, _ in segs)}")


class _NoRule:
    params: dict = {}


_NO_RULE = _NoRule()


def _translit_reaches(judge: _Judge, han: str, latin: str, words: tuple[str, ...]) -> bool:
    """Whether ``_Judge.cross``'s transliteration score can reach ``_TRANSLIT_MIN``: decided on the profiles
    with alignments that stop once they cannot (``translit.best``, which gives the same decision as the full
    scores; tests/trademarks/test_tm_index.py), so the scores and the evidence text are worked out only for the
    few pairs that pass. The cached profiles are today's rules' cores; a judge of other rules (another date,
    another rule set) makes its own."""
    today = keys._judge()
    if judge.rs is today.rs and judge.codes == today.codes:
        prof = translit.han_profile(han), translit.latin_profile(latin, words)
    else:
        prof = translit.han_profile_by(judge, han), translit.latin_profile_by(judge, latin, words)
    return translit.best(*prof, _TRANSLIT_MIN) >= _TRANSLIT_MIN


def _plain(text: str) -> str:
    """Folded without the traditional/simplified step: tells 4.1 (identical) from 5.1.1 (龍/龙)."""
    import unicodedata

    s = unicodedata.normalize("NFKC", text)
    return "".join(c.upper() for c in s if c.isalnum())


def _show(units) -> str:
    toks = sorted({t[2:] for u in units for t in u if t.startswith("c:")}) or sorted({t[2:] for u in units for t in u})
    return ", ".join(toks[:4])


def _fallback_score(a: NormalizedMark, b: NormalizedMark) -> float:
    """A graded closeness for pairs no rule finds similar (kept below the threshold by the caller)."""
    s = jaro_winkler(a.folded, b.folded)
    if a.han and b.han:
        s = max(s, jaro_winkler(" ".join(pinyin_of(a.han)), " ".join(pinyin_of(b.han))) * 0.9)
    return s


_JUDGES: dict[tuple[int, dt.date], tuple[RuleSet, _Judge]] = {}


def _judge_for(rs: RuleSet, day: dt.date) -> _Judge:
    """One judge per rule set and day (its rules in force, word classes and memos are built once)."""
    key = (id(rs), day)
    hit = _JUDGES.get(key)
    if hit is None or hit[0] is not rs:
        if len(_JUDGES) > 16:
            _JUDGES.clear()
        hit = _JUDGES[key] = (rs, _Judge(rs, day))
    return hit[1]


def compare(
    a: str, b: str, *, on: dt.date | None = None, rules: RuleSet | None = None, graded: bool = True
) -> MarkSimilarity:
    """Compare two word marks under the similarity rules in force on ``on`` (default: today).

    ``graded=False`` leaves the score of a pair no rule finds similar at 0 instead of grading its closeness
    (`_fallback_score`): the conflict search drops those pairs, which are ~95 % of its candidates, and the
    grading was a tenth of its comparing time.

    Raises ValueError for a mark with nothing to compare (empty, punctuation or emoji only) and
    RulesError (a ValueError) when no rules are in force on ``on``.
    """
    rs = rules or load_rules()
    day = on or dt.date.today()
    judge = _judge_for(rs, day)
    na, nb = normalize(a), normalize(b)
    hits = judge.marks(na, nb)
    pos, exc = judge.resolve(hits)
    seen: set[tuple[str, str]] = set()

    def uniq(rs_: list[Reason]) -> list[Reason]:
        out = []
        for h in rs_:
            if (h.code, h.evidence) not in seen:
                seen.add((h.code, h.evidence))
                out.append(h)
        return out

    pos = uniq(sorted(pos, key=lambda h: -h.score))
    exc = uniq(exc)
    if pos:
        best = pos[0].score
        similar = best >= rs.threshold
        identical = pos[0].verdict == "identical"
        return MarkSimilarity(score=best, similar=similar, reasons=pos + exc, identical=identical)
    score = round(min(_fallback_score(na, nb), 1.0) * (rs.threshold - 0.01), 3) if graded else 0.0
    if not exc:
        exc = judge.r("tmg2021-5.3", f"{a}/{b}: no rule of similarity met")
    return MarkSimilarity(score=score, similar=False, reasons=exc)
