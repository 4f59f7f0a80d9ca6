"""The edit distances the similarity rules use come from rapidfuzz; they must equal the textbook dynamic
programmes they replaced, on real marks (the famous-mark list and the brand lexicon of ../shared/data) and on
marks one or two edits apart, where the rules' thresholds lie."""

from __future__ import annotations

import gzip
import random

import pytest

from ipoffice.trademarks.hanzi import _levenshtein as hanzi_levenshtein
from ipoffice.trademarks.phonetic import _COMPATIBLE, _gap, osa_distance
from ipoffice.trademarks.similarity import _levenshtein


def _reference_osa(a: str, b: str) -> int:
    """Optimal string alignment (restricted Damerau-Levenshtein), Boytsov 2011's formulation."""
    la, lb = len(a), len(b)
    d = [[0] * (lb + 1) for _ in range(la + 1)]
    for i in range(la + 1):
        d[i][0] = i
    for j in range(lb + 1):
        d[0][j] = j
    for i in range(1, la + 1):
        for j in range(1, lb + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[la][lb]


def _reference_levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _edit(s: str, rnd: random.Random, alphabet: str) -> str:
    i = rnd.randrange(len(s) + 1)
    op = rnd.randrange(4)
    if op == 0 and i < len(s):  # substitute
        return s[:i] + rnd.choice(alphabet) + s[i + 1 :]
    if op == 1:  # insert
        return s[:i] + rnd.choice(alphabet) + s[i:]
    if op == 2 and i < len(s):  # delete
        return s[:i] + s[i + 1 :]
    if i + 1 < len(s):  # swap neighbours
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    return s


def _skeleton_distance_plain(a: str, b: str, limit: float | None = None) -> float:
    """The plain weighted table `phonetic._skeleton_distance` computes with looked-up costs."""
    prev = [0.0]
    for y in b:
        prev.append(prev[-1] + _gap(y))
    for x in a:
        gx = _gap(x)
        xu = x.upper()
        cur = [prev[0] + gx]
        for j, y in enumerate(b, 1):
            if xu == y.upper():
                sub = 0.0
            else:
                sub = 0.35 if frozenset((x, y)) in _COMPATIBLE else 1.0
            cur.append(min(prev[j] + gx, cur[j - 1] + _gap(y), prev[j - 1] + sub))
        if limit is not None and min(cur) > limit:
            return min(cur)
        prev = cur
    return prev[-1]


@pytest.fixture(scope="module")
def real_marks(shared_data) -> list[str]:
    marks: list[str] = []
    with gzip.open(
        shared_data / "trademarks/cn/brand-lexicon-company-shortforms/Company-Shorter-Form_28W.txt.gz", "rt"
    ) as fh:
        for k, line in enumerate(fh):
            if k % 400 == 0 and line.strip():
                marks.append(line.strip().lstrip("\ufeff"))
    names = (shared_data / "trademarks/famous-marks/brand_names_list.csv").read_text(encoding="utf-8").splitlines()
    marks += [n.split(",")[0].strip().strip('"').upper() for n in names[1:800:2] if n.strip()]
    assert len(marks) > 500
    return marks


def test_rapidfuzz_distances_equal_the_reference(real_marks):
    rnd = random.Random(7)
    latin = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pairs = []
    for m in real_marks:
        alphabet = latin if m.isascii() else m + "中华龙凤天地"
        near = _edit(_edit(m, rnd, alphabet), rnd, alphabet) if rnd.random() < 0.5 else _edit(m, rnd, alphabet)
        pairs.append((m, near))
        pairs.append((m, rnd.choice(real_marks)))
    pairs += [("", "ABC"), ("ABC", ""), ("", ""), ("ABCD", "ABDC"), ("CA", "ABC")]
    for a, b in pairs:
        assert osa_distance(a, b) == _reference_osa(a, b), (a, b)
        want = _reference_levenshtein(a, b)
        assert _levenshtein(a, b) == want == hanzi_levenshtein(a, b), (a, b)


def test_skeleton_distance_equals_the_plain_table(real_marks):
    from ipoffice.trademarks.phonetic import _skeleton_distance, _skeleton_distance_py, latin_skeleton, pinyin_skeleton
    from ipoffice.trademarks.translit import _aligned, _aligned_py

    skeletons = [s for m in real_marks for s in ((latin_skeleton(m),) if m.isascii() else (pinyin_skeleton(m),)) if s]
    rnd = random.Random(11)
    for _ in range(3000):
        a, b = rnd.choice(skeletons), rnd.choice(skeletons)
        limit = rnd.choice([None, 0.4, 1.0, 2.5])
        want = _skeleton_distance_plain(a, b, limit)
        assert _skeleton_distance(a, b, limit) == _skeleton_distance_py(a, b, limit) == want, (a, b, limit)
        # the length bound of `translit._aligned` only answers "below at_least" where the table does too
        m = max(len(a), len(b))
        exact = 1 - _skeleton_distance_plain(a, b) / m
        assert (_aligned_py(a, b, 0.8) >= 0.8) == (exact >= 0.8), (a, b)
        assert _aligned(a, b, 0.8) == _aligned_py(a, b, 0.8), (a, b)  # C where align.pyx is built
