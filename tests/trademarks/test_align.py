"""align.pyx (the skeleton alignment in C) gives the Python versions' floats, to the last bit."""

from __future__ import annotations

import random

import pytest

from ipoffice.trademarks import phonetic, translit

LETTERS = "BDFGHJKLMNPRSTWXZn"


def _pairs(n: int, seed: int = 16):
    rnd = random.Random(seed)
    for _ in range(n):
        a = "".join(rnd.choice(LETTERS) for _ in range(rnd.randint(1, 9)))
        b = "".join(rnd.choice(LETTERS) for _ in range(rnd.randint(1, 9)))
        yield a, b, rnd.choice([None, 0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.0])


@pytest.fixture(scope="module")
def c_align():
    if phonetic._C_ALIGN is None:
        pytest.skip("align.pyx is not built (ipoffice accel build)")
    return phonetic._C_ALIGN


def test_c_alignment_gives_the_python_floats(c_align):
    for a, b, at_least in _pairs(100_000):
        limit = None if at_least is None else (1 - at_least) * max(len(a), len(b)) + 1e-9
        assert c_align.skeleton_distance(a, b, limit) == phonetic._skeleton_distance_py(a, b, limit), (a, b, limit)
        assert c_align.aligned(a, b, at_least) == translit._aligned_py(a, b, at_least), (a, b, at_least)


def test_real_skeletons_and_long_ones(c_align):
    han = [phonetic.pinyin_skeleton(t) for t in ("特斯拉", "耐克", "西门子", "阿迪达斯", "星巴克", "可口可乐" * 40)]
    latin = [phonetic.latin_skeleton(t) for t in ("TESLA", "NIKE", "SIEMENS", "ADIDAS", "STARBUCKS", "COCACOLA" * 40)]
    assert max(map(len, han + latin)) > 64  # past the stack buffer
    for a in han:
        for b in latin:
            for at_least in (None, 0.7):
                assert c_align.aligned(a, b, at_least) == translit._aligned_py(a, b, at_least)
                assert c_align.aligned(b, a, at_least) == translit._aligned_py(b, a, at_least)


def test_non_ascii_skeletons_are_aligned_by_the_python_table(c_align):
    assert c_align.skeleton_distance("TŠL", "TSL") == phonetic._skeleton_distance_py("TŠL", "TSL")
    for at_least in (None, 0.7):
        assert c_align.aligned("TSLK", "TŠL", at_least) == translit._aligned_py("TSLK", "TŠL", at_least)
    assert phonetic._skeleton_distance is c_align.skeleton_distance and translit._aligned is c_align.aligned
