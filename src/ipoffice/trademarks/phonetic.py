"""Sound (音) of marks: toneless pinyin for Chinese, Double Metaphone and prefix-weighted distance for Latin.

Chinese: the guideline compares readings with tones ignored (5.1.4: 读音相同或者近似). A character's main
reading comes from Unihan kMandarin; polyphonic characters (长 zhang/chang, 行 xing/hang) keep their other
readings so that a Latin spelling of either reading is recognised (5.1.17: 汉字及其对应拼音). "Near"
readings fold the usual 模糊音 pairs (zh/z, ch/c, sh/s, n/l, -ng/-n).

Latin: Double Metaphone (Lawrence Philips, 2000) gives the phonetic key (CATANA and KATANA both KTN);
Jaro-Winkler weights agreement at the beginning of the word, where the guideline looks first (5.1.9:
首字母发音及字形明显不同 makes marks dissimilar); the optimal-string-alignment distance counts changed,
added, dropped and swapped letters (5.1.9: 个别字母不同 includes 邻近字母变换顺序).
No third-party package is needed; jellyfish/rapidfuzz would be faster but give the same numbers.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import OSA

from ipoffice.trademarks import hanzi

__all__ = [
    "double_metaphone",
    "fuzzy_syllable",
    "jaro_winkler",
    "latin_spells_pinyin",
    "osa_distance",
    "pinyin_key",
    "pinyin_near",
    "pinyin_of",
    "prefix_similarity",
    "transliteration_similarity",
]

# --------------------------------------------------------------------------- Chinese


def pinyin_of(text: str) -> list[str]:
    """Main toneless reading of each Han character (other characters are kept as they are)."""
    return [hanzi.pinyin(c) for c in text]


def pinyin_key(text: str) -> str:
    """Space-separated toneless main readings: 海尔 -> 'hai er' (an index key for sound look-up)."""
    return " ".join(pinyin_of(text))


_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"))
_FUZZY_FINALS = (("iang", "ian"), ("uang", "uan"), ("ang", "an"), ("eng", "en"), ("ing", "in"))


@lru_cache(maxsize=4096)
def fuzzy_syllable(s: str) -> str:
    """Fold 模糊音 (zh/z, ch/c, sh/s, n/l, ang/an, eng/en, ing/in): 'zhang' -> 'zan', 'ling' -> 'nin'."""
    for a, b in _FUZZY_INITIALS:
        if s.startswith(a):
            s = b + s[len(a) :]
            break
    if s.startswith("l"):
        s = "n" + s[1:]
    for a, b in _FUZZY_FINALS:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


@lru_cache(maxsize=262_144)
def pinyin_near(a: str, b: str) -> str:
    """Sound relation of two characters: 'same' (a shared toneless reading), 'near' (模糊音) or ''. Kept per
    pair, as ``hanzi.visually_similar``."""
    if a == b:
        return "same"
    ra, rb = hanzi.readings(a), hanzi.readings(b)
    if not ra or not rb:
        return ""
    if ra[0] == rb[0]:
        return "same"
    if ra[0] in rb[:2] or rb[0] in ra[:2]:
        return "same"
    if fuzzy_syllable(ra[0]) == fuzzy_syllable(rb[0]):
        return "near"
    return ""


def latin_spells_pinyin(latin: str, han: str, *, max_chars: int = 12) -> bool:
    """Whether a Latin word is the pinyin of the Han text, any reading of each character (YAYE = 雅叶)."""
    latin = latin.lower().replace("ü", "v").replace("u:", "v")
    if not latin or not han or len(han) > max_chars:
        return False
    reach = {0}
    for ch in han:
        opts = hanzi.readings(ch)
        if not opts:
            return False
        nxt = set()
        for pos in reach:
            for r in opts:
                if latin.startswith(r, pos):
                    nxt.add(pos + len(r))
                # ü is written u after j, q, x, y
                elif "v" in r and latin.startswith(r.replace("v", "u"), pos):
                    nxt.add(pos + len(r))
        if not nxt:
            return False
        reach = nxt
    return len(latin) in reach


# --------------------------------------------------------------------------- Chinese transliteration of Latin words

# consonant classes: Chinese transliterations (音译) render a foreign word's consonants with the nearest pinyin
# initials (NIKE -> 耐克 nai ke, TESLA -> 特斯拉 te si la), so both sides are reduced to a class skeleton
_PY_INITIAL = (
    ("zh", "J"), ("ch", "J"), ("sh", "S"), ("b", "P"), ("p", "P"), ("m", "M"), ("f", "F"), ("d", "T"), ("t", "T"),
    ("n", "N"), ("l", "L"), ("g", "K"), ("k", "K"), ("h", "H"), ("j", "J"), ("q", "J"), ("x", "S"), ("r", "L"),
    ("z", "S"), ("c", "S"), ("s", "S"), ("w", "W"), ("y", ""),
)  # fmt: skip
_COMPATIBLE = frozenset(
    frozenset(p)
    for p in (("K", "J"), ("J", "S"), ("F", "W"), ("F", "H"), ("W", "H"), ("L", "N"), ("T", "S"), ("N", "M"),
              ("n", "M"), ("n", "L"))
)  # fmt: skip


@lru_cache(maxsize=131072)
def pinyin_skeleton(text: str) -> str:
    """Consonant classes of the main readings: 特斯拉 -> 'TSL', 西门子 -> 'SMNS' (nasal finals give N, er gives L)."""
    out: list[str] = []
    for syl in pinyin_of(text):
        if not syl.isalpha():
            continue
        if syl in ("er", "r"):
            out.append("L")
            continue
        rest = syl
        for ini, cls in _PY_INITIAL:
            if syl.startswith(ini):
                if cls:
                    out.append(cls)
                rest = syl[len(ini) :]
                break
        if rest.endswith("n") or rest.endswith("ng"):
            out.append("n")  # a nasal final: often added by the transliteration (范 fan for VER-), optional
    return _collapse(out)


@lru_cache(maxsize=131072)
def latin_skeleton(word: str) -> str:
    """Consonant classes of a Latin word as a Chinese transliteration hears it: TESLA -> 'TSL', FORD -> 'FT'."""
    w = "".join(c for c in word.upper() if "A" <= c <= "Z")
    if w.startswith(("KN", "WR", "PS")):
        w = w[1:]
    out: list[str] = []
    i, n = 0, len(w)
    vowels = "AEIOUY"
    while i < n:
        c = w[i]
        nxt = w[i + 1] if i + 1 < n else ""
        two = w[i : i + 2]
        if c in vowels:
            if c == "Y" and i == 0:
                pass
            i += 1
            continue
        if two in ("PH",):
            out.append("F")
            i += 2
            continue
        if two in ("TH", "SH", "SC", "SS", "TZ"):
            out.append("S" if two != "TH" else "T")
            i += 2
            continue
        if two in ("CH", "TCH"):
            out.append("J")
            i += 2
            continue
        if two == "CK":
            out.append("K")
            i += 2
            continue
        if c == "R" and (not nxt or nxt not in vowels):
            i += 1  # post-vocalic r is not rendered (FORD -> 福特)
            continue
        if c == "H" and (i > 0 and w[i - 1] in vowels):
            i += 1
            continue
        cls = {
            "B": "P", "P": "P", "D": "T", "T": "T", "K": "K", "Q": "K", "M": "M", "N": "N", "L": "L", "R": "L",
            "F": "F", "V": "W", "W": "W", "H": "H", "J": "J", "Z": "S", "S": "S",
        }.get(c)  # fmt: skip
        if c == "C":
            cls = "S" if nxt in ("E", "I", "Y") else "K"
        elif c == "G":
            cls = "J" if nxt in ("E", "I", "Y") else "K"
        elif c == "X":
            out.append("K")
            cls = "S"
        if cls:
            out.append(cls)
        i += 1
    return _collapse(out)


def _collapse(seq) -> str:
    out: list[str] = []
    for c in seq:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _gap(c: str) -> float:
    return 0.2 if c == "n" else 0.6


class _SubRow(dict):
    """Substitution costs from one skeleton class to each other (filled on first use)."""

    def __init__(self, x: str) -> None:
        super().__init__()
        self.x, self.xu = x, x.upper()

    def __missing__(self, y: str) -> float:
        if self.xu == y.upper():
            cost = 0.0
        else:
            cost = 0.35 if frozenset((self.x, y)) in _COMPATIBLE else 1.0
        self[y] = cost
        return cost


class _SubCosts(dict):
    def __missing__(self, x: str) -> _SubRow:
        row = self[x] = _SubRow(x)
        return row


_SUB = _SubCosts()


def _load_c_align():  # noqa: ANN202 - the compiled module, or None
    """``align.pyx`` compiled by ``ipoffice accel build``, its costs filled from ``_COMPATIBLE``; None without a
    build (or with ``IPOFFICE_PURE=1``), and the Python code below runs."""
    try:
        from ipoffice.trademarks import align
    except ImportError:
        return None
    align.init(_COMPATIBLE, _skeleton_distance_py)
    return align


def _skeleton_distance_py(a: str, b: str, limit: float | None = None) -> float:
    """Weighted edit distance of two skeletons (gaps 0.6, a nasal final 0.2, compatible classes 0.35).

    With ``limit``, stops as soon as every alignment already costs more (costs only grow along a row of the
    table) and returns that row's minimum, a lower bound above ``limit``: the search's pre-test only asks
    whether the distance is within a bound, and most candidates fail it within a row or two. It runs for
    hundreds of candidates a conflict search, so the costs are looked up (`_SUB`, the gaps of ``b`` once),
    with the same additions in the same order as the plain table (the same floats)."""
    gb = [_gap(y) for y in b]
    prev = [0.0]
    for g in gb:
        prev.append(prev[-1] + g)
    for x in a:
        gx = _gap(x)
        row = _SUB[x]
        left = low = prev[0] + gx
        cur = [left]
        for j, y in enumerate(b, 1):
            # min of the three moves by comparisons: the builtin min's call was a third of the table's time
            v = prev[j] + gx
            w = left + gb[j - 1]
            if w < v:
                v = w
            w = prev[j - 1] + row[y]
            if w < v:
                v = w
            cur.append(v)
            left = v
            if v < low:
                low = v
        if limit is not None and low > limit:
            return low
        prev = cur
    return prev[-1]


_C_ALIGN = _load_c_align()
#: the alignment the engine uses: in C where ``align.pyx`` is built (the same floats), else the Python table
_skeleton_distance = _C_ALIGN.skeleton_distance if _C_ALIGN is not None else _skeleton_distance_py


@lru_cache(maxsize=4096)
def first_letters_compatible(a0: str, b0: str) -> bool:
    """Whether a Chinese skeleton starting with ``a0`` may render a Latin one starting with ``b0`` (the same
    class, or compatible classes): the first test of every transliteration score."""
    return a0.upper() == b0 or frozenset((a0, b0)) in _COMPATIBLE


def transliteration_similarity(han: str, latin: str) -> float:
    """How well a Chinese text renders a Latin word by sound (耐克/NIKE 1.0, 特斯拉/TESLA 1.0), 0..1.

    Both are reduced to consonant-class skeletons and aligned; compatible classes (K/J: 基 for 'ki',
    L/N, F/W ...) cost about a third, a nasal final that the Chinese adds costs little, and a Latin
    initial H may be silent (爱马仕/HERMES). Skeletons of one consonant also need the pinyin spelling
    itself to be close (奥迪 aodi / AUDI).
    """
    a = pinyin_skeleton(han)
    best = 0.0
    variants = [latin_skeleton(latin)]
    if variants[0].startswith("H") and len(variants[0]) > 1:
        variants.append(variants[0][1:])
    for b in variants:
        if not a or not b:
            continue
        if not first_letters_compatible(a[0], b[0]):
            continue
        score = max(0.0, 1 - _skeleton_distance(a, b) / max(len(a), len(b)))
        if len(a.replace("n", "")) < 2 or len(b) < 2:
            py = "".join(pinyin_of(han))
            if jaro_winkler(py, latin.lower()) < 0.8:
                continue
        best = max(best, score)
    return best


# --------------------------------------------------------------------------- Latin: edit distances


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: substitutions, insertions, deletions, adjacent swaps.

    rapidfuzz's bit-parallel OSA (Hyyrö 2003), the same figure as the textbook dynamic programme
    (tests/trademarks/test_distances.py holds them equal on real mark pairs) at a fraction of the cost: it runs
    for every Latin candidate of every conflict search."""
    return OSA.distance(a, b)


def jaro_winkler(a: str, b: str, *, prefix_weight: float = 0.1, max_prefix: int = 4) -> float:
    """Jaro-Winkler similarity, 0..1, more weight on a shared beginning."""
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    if not la or not lb:
        return 0.0
    window = max(0, max(la, lb) // 2 - 1)
    ma, mb = [False] * la, [False] * lb
    matches = 0
    for i, ca in enumerate(a):
        lo, hi = max(0, i - window), min(lb, i + window + 1)
        for j in range(lo, hi):
            if not mb[j] and b[j] == ca:
                ma[i] = mb[j] = True
                matches += 1
                break
    if not matches:
        return 0.0
    t = 0
    k = 0
    for i in range(la):
        if ma[i]:
            while not mb[k]:
                k += 1
            if a[i] != b[k]:
                t += 1
            k += 1
    m = float(matches)
    jaro = (m / la + m / lb + (m - t / 2) / m) / 3
    prefix = 0
    for x, y in zip(a[:max_prefix], b[:max_prefix], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_weight * (1 - jaro)


def prefix_similarity(a: str, b: str) -> float:
    """Edit similarity with the beginning counted double: 1 - weighted OSA / weighted length.

    A difference in the first letter costs twice a difference later on, as the guideline's exception
    for marks whose first letter differs clearly in sound and shape (5.1.9) suggests.
    """
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    d = osa_distance(a, b)
    first = 0 if a[0] == b[0] else 1
    return max(0.0, 1 - (d + first) / (max(len(a), len(b)) + 1))


# --------------------------------------------------------------------------- Latin: Double Metaphone

_VOWELS = frozenset("AEIOUY")


@lru_cache(maxsize=65536)
def double_metaphone(word: str) -> tuple[str, str]:
    """Primary and alternate Double Metaphone keys of a Latin word (no length limit).

    A straight port of Philips' published algorithm; '0' stands for 'th'. Non-letters are ignored.
    """
    w = "".join(c for c in word.upper() if "A" <= c <= "Z" or c in "ÇÑ")
    if not w:
        return "", ""
    s = w + "     "
    length = len(w)
    last = length - 1
    slavo = "W" in w or "K" in w or "CZ" in w or "WITZ" in w
    pri: list[str] = []
    sec: list[str] = []

    def add(main: str, alt: str | None = None) -> None:
        pri.append(main)
        sec.append(main if alt is None else alt)

    def at(pos: int, *subs: str) -> bool:
        if pos < 0:
            return False
        return any(s[pos : pos + len(x)] == x for x in subs)

    def vowel(pos: int) -> bool:
        return 0 <= pos < len(s) and s[pos] in _VOWELS

    cur = 0
    if at(0, "GN", "KN", "PN", "WR", "PS"):
        cur += 1
    if s[0] == "X":
        add("S")
        cur += 1

    while cur < length:
        ch = s[cur]
        nxt = s[cur + 1]
        if ch in _VOWELS:
            if cur == 0:
                add("A")
            cur += 1
        elif ch == "B":
            add("P")
            cur += 2 if nxt == "B" else 1
        elif ch == "Ç":
            add("S")
            cur += 1
        elif ch == "C":
            if (
                cur > 1
                and not vowel(cur - 2)
                and at(cur - 1, "ACH")
                and s[cur + 2] != "I"
                and (s[cur + 2] != "E" or at(cur - 2, "BACHER", "MACHER"))
            ):
                add("K")
                cur += 2
            elif cur == 0 and at(cur, "CAESAR"):
                add("S")
                cur += 2
            elif at(cur, "CHIA"):
                add("K")
                cur += 2
            elif at(cur, "CH"):
                if cur > 0 and at(cur, "CHAE"):
                    add("K", "X")
                elif (
                    cur == 0
                    and (at(cur + 1, "HARAC", "HARIS") or at(cur + 1, "HOR", "HYM", "HIA", "HEM"))
                    and not at(0, "CHORE")
                ):
                    add("K")
                elif (
                    at(0, "VAN ", "VON ", "SCH")
                    or at(cur - 2, "ORCHES", "ARCHIT", "ORCHID")
                    or at(cur + 2, "T", "S")
                    or (
                        (at(cur - 1, "A", "O", "U", "E") or cur == 0)
                        and at(cur + 2, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ")
                    )
                ):
                    add("K")
                elif cur > 0:
                    add("K") if at(0, "MC") else add("X", "K")
                else:
                    add("X")
                cur += 2
            elif at(cur, "CZ") and not at(cur - 2, "WICZ"):
                add("S", "X")
                cur += 2
            elif at(cur + 1, "CIA"):
                add("X")
                cur += 3
            elif at(cur, "CC") and not (cur == 1 and s[0] == "M"):
                if at(cur + 2, "I", "E", "H") and not at(cur + 2, "HU"):
                    if (cur == 1 and s[0] == "A") or at(cur - 1, "UCCEE", "UCCES"):
                        add("KS")
                    else:
                        add("X")
                    cur += 3
                else:
                    add("K")
                    cur += 2
            elif at(cur, "CK", "CG", "CQ"):
                add("K")
                cur += 2
            elif at(cur, "CI", "CE", "CY"):
                add("S", "X") if at(cur, "CIO", "CIE", "CIA") else add("S")
                cur += 2
            else:
                add("K")
                if at(cur + 1, " C", " Q", " G"):
                    cur += 3
                elif at(cur + 1, "C", "K", "Q") and not at(cur + 1, "CE", "CI"):
                    cur += 2
                else:
                    cur += 1
        elif ch == "D":
            if at(cur, "DG"):
                if at(cur + 2, "I", "E", "Y"):
                    add("J")
                    cur += 3
                else:
                    add("TK")
                    cur += 2
            elif at(cur, "DT", "DD"):
                add("T")
                cur += 2
            else:
                add("T")
                cur += 1
        elif ch == "F":
            add("F")
            cur += 2 if nxt == "F" else 1
        elif ch == "G":
            if nxt == "H":
                if cur > 0 and not vowel(cur - 1):
                    add("K")
                elif cur == 0:
                    add("J") if s[cur + 2] == "I" else add("K")
                elif (
                    (cur > 1 and at(cur - 2, "B", "H", "D"))
                    or (cur > 2 and at(cur - 3, "B", "H", "D"))
                    or (cur > 3 and at(cur - 4, "B", "H"))
                ):
                    pass
                elif cur > 2 and s[cur - 1] == "U" and at(cur - 3, "C", "G", "L", "R", "T"):
                    add("F")
                elif cur > 0 and s[cur - 1] != "I":
                    add("K")
                cur += 2
            elif nxt == "N":
                if cur == 1 and vowel(0) and not slavo:
                    add("KN", "N")
                elif not at(cur + 2, "EY") and nxt != "Y" and not slavo:
                    add("N", "KN")
                else:
                    add("KN")
                cur += 2
            elif at(cur + 1, "LI") and not slavo:
                add("KL", "L")
                cur += 2
            elif cur == 0 and (
                nxt == "Y" or at(cur + 1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER")
            ):
                add("K", "J")
                cur += 2
            elif (
                (at(cur + 1, "ER") or nxt == "Y")
                and not at(0, "DANGER", "RANGER", "MANGER")
                and not at(cur - 1, "E", "I")
                and not at(cur - 1, "RGY", "OGY")
            ):
                add("K", "J")
                cur += 2
            elif at(cur + 1, "E", "I", "Y") or at(cur - 1, "AGGI", "OGGI"):
                if at(0, "VAN ", "VON ", "SCH") or at(cur + 1, "ET"):
                    add("K")
                elif at(cur + 1, "IER "):
                    add("J")
                else:
                    add("J", "K")
                cur += 2
            else:
                add("K")
                cur += 2 if nxt == "G" else 1
        elif ch == "H":
            if (cur == 0 or vowel(cur - 1)) and vowel(cur + 1):
                add("H")
                cur += 2
            else:
                cur += 1
        elif ch == "J":
            if at(cur, "JOSE") or at(0, "SAN "):
                if (cur == 0 and s[cur + 4] == " ") or at(0, "SAN "):
                    add("H")
                else:
                    add("J", "H")
                cur += 1
                continue
            if cur == 0:
                add("J", "A")
            elif vowel(cur - 1) and not slavo and nxt in "AO":
                add("J", "H")
            elif cur == last:
                add("J", "")
            elif not at(cur + 1, "L", "T", "K", "S", "N", "M", "B", "Z") and not at(cur - 1, "S", "K", "L"):
                add("J")
            cur += 2 if nxt == "J" else 1
        elif ch == "K":
            add("K")
            cur += 2 if nxt == "K" else 1
        elif ch == "L":
            if nxt == "L":
                if (cur == length - 3 and at(cur - 1, "ILLO", "ILLA", "ALLE")) or (
                    (at(last - 1, "AS", "OS") or at(last, "A", "O")) and at(cur - 1, "ALLE")
                ):
                    add("L", "")
                    cur += 2
                    continue
                cur += 2
            else:
                cur += 1
            add("L")
        elif ch == "M":
            if (at(cur - 1, "UMB") and (cur + 1 == last or at(cur + 2, "ER"))) or nxt == "M":
                cur += 2
            else:
                cur += 1
            add("M")
        elif ch == "N":
            add("N")
            cur += 2 if nxt == "N" else 1
        elif ch == "Ñ":
            add("N")
            cur += 1
        elif ch == "P":
            if nxt == "H":
                add("F")
                cur += 2
            else:
                add("P")
                cur += 2 if at(cur + 1, "P", "B") else 1
        elif ch == "Q":
            add("K")
            cur += 2 if nxt == "Q" else 1
        elif ch == "R":
            if cur == last and not slavo and at(cur - 2, "IE") and not at(cur - 4, "ME", "MA"):
                add("", "R")
            else:
                add("R")
            cur += 2 if nxt == "R" else 1
        elif ch == "S":
            if at(cur - 1, "ISL", "YSL"):
                cur += 1
            elif cur == 0 and at(cur, "SUGAR"):
                add("X", "S")
                cur += 1
            elif at(cur, "SH"):
                add("S") if at(cur + 1, "HEIM", "HOEK", "HOLM", "HOLZ") else add("X")
                cur += 2
            elif at(cur, "SIO", "SIA"):
                add("S") if slavo else add("S", "X")
                cur += 3
            elif (cur == 0 and at(cur + 1, "M", "N", "L", "W")) or at(cur + 1, "Z"):
                add("S", "X")
                cur += 2 if at(cur + 1, "Z") else 1
            elif at(cur, "SC"):
                if s[cur + 2] == "H":
                    if at(cur + 3, "OO", "ER", "EN", "UY", "ED", "EM"):
                        add("X", "SK") if at(cur + 3, "ER", "EN") else add("SK")
                    elif cur == 0 and not vowel(3) and s[3] != "W":
                        add("X", "S")
                    else:
                        add("X")
                    cur += 3
                elif at(cur + 2, "I", "E", "Y"):
                    add("S")
                    cur += 3
                else:
                    add("SK")
                    cur += 3
            else:
                if cur == last and at(cur - 2, "AI", "OI"):
                    add("", "S")
                else:
                    add("S")
                cur += 2 if at(cur + 1, "S", "Z") else 1
        elif ch == "T":
            if at(cur, "TION"):
                add("X")
                cur += 3
            elif at(cur, "TIA", "TCH"):
                add("X")
                cur += 3
            elif at(cur, "TH", "TTH"):
                if at(cur + 2, "OM", "AM") or at(0, "VAN ", "VON ", "SCH"):
                    add("T")
                else:
                    add("0", "T")
                cur += 2
            else:
                add("T")
                cur += 2 if at(cur + 1, "T", "D") else 1
        elif ch == "V":
            add("F")
            cur += 2 if nxt == "V" else 1
        elif ch == "W":
            if at(cur, "WR"):
                add("R")
                cur += 2
                continue
            if cur == 0 and (vowel(cur + 1) or at(cur, "WH")):
                add("A", "F") if vowel(cur + 1) else add("A")
            if (cur == last and vowel(cur - 1)) or at(cur - 1, "EWSKI", "EWSKY", "OWSKI", "OWSKY") or at(0, "SCH"):
                add("", "F")
                cur += 1
            elif at(cur, "WICZ", "WITZ"):
                add("TS", "FX")
                cur += 4
            else:
                cur += 1
        elif ch == "X":
            if not (cur == last and (at(cur - 3, "IAU", "EAU") or at(cur - 2, "AU", "OU"))):
                add("KS")
            cur += 2 if at(cur + 1, "C", "X") else 1
        elif ch == "Z":
            if nxt == "H":
                add("J")
                cur += 2
                continue
            if at(cur + 1, "ZO", "ZI", "ZA") or (slavo and cur > 0 and s[cur - 1] != "T"):
                add("S", "TS")
            else:
                add("S")
            cur += 2 if nxt == "Z" else 1
        else:
            cur += 1
    return "".join(pri), "".join(sec)
