"""postings.pyx (the index's postings read in C) gives what the numpy code gives."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ipoffice.trademarks import index as tmi
from ipoffice.trademarks.index import GoodsFilter


@pytest.fixture(scope="module")
def c_postings():
    if tmi._C_POSTINGS is None:
        pytest.skip("postings.pyx is not built (ipoffice accel build)")
    return tmi._C_POSTINGS


def test_key_ranges_are_searchsorted(c_postings):
    rng = np.random.default_rng(17)
    for n in (0, 1, 5, 1_000, 200_000):
        distinct = rng.integers(0, 2**64 - 1, max(1, n // 4), dtype=np.uint64, endpoint=True)
        # runs of one key: a few long ones (a common character's postings) among short ones
        reps = np.where(
            rng.random(len(distinct)) < 0.01, rng.integers(100, 5_000, len(distinct)), 1 + rng.poisson(3, len(distinct))
        )
        khash = np.sort(np.repeat(distinct, reps))[:n]
        shift, starts = tmi.key_buckets(khash)
        probe = np.concatenate(
            (
                khash[rng.integers(0, max(1, n), 300)] if n else np.zeros(0, np.uint64),
                rng.integers(0, 2**64 - 1, 300, dtype=np.uint64, endpoint=True),
                np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64),
            )
        )
        probe = np.unique(probe)
        lo, hi = c_postings.key_ranges(khash, starts, shift, probe)
        assert np.array_equal(lo, np.searchsorted(khash, probe, side="left")), n
        assert np.array_equal(hi, np.searchsorted(khash, probe, side="right")), n


def test_goods_rows_are_the_distinct_rows_on_the_goods(c_postings):
    rng = np.random.default_rng(18)
    rows = 50_003  # not a whole number of bytes
    kpos = rng.integers(0, rows, 400_000).astype(np.int32)
    scratch = np.zeros((rows + 7) // 8, dtype=np.uint8)
    for share in (0.0, 0.05, 0.5, 1.0):
        on = rng.random(rows) < share
        lo = np.sort(rng.integers(0, len(kpos), 200))
        hi = np.minimum(lo + rng.integers(0, 3_000, 200), len(kpos))
        got = c_postings.goods_rows(kpos, lo, hi, np.packbits(on), scratch)
        every = np.concatenate([kpos[a:b] for a, b in zip(lo, hi, strict=True)])
        assert np.array_equal(got, np.unique(every[on[every]]).astype(np.int64)), share
        assert got.dtype == np.int64 and not scratch.any()  # left clean for the next query


def test_index_reads_the_same_rows_in_c_and_numpy(c_postings, monkeypatch):
    from test_tm_index import real_sample, with_goods  # beside this file (pytest puts its folder on the path)

    rows = with_goods(real_sample(300, 150))
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        tmi.build_from_rows(Path(tmp) / "index", rows, workers=1)
        filters = [
            GoodsFilter({9}, set()),
            GoodsFilter({3, 25}, {"0301", "2501"}, dt.date(2010, 1, 1)),
            GoodsFilter(set(), {"3001", "3501"}),
        ]
        probes = [tmi.split_probe(r.mark) for r in rows[:80]]
        got = []
        for fast in (True, False):
            if not fast:
                monkeypatch.setattr(tmi, "_C_POSTINGS", None)
            idx = tmi.TrademarkIndex.open(Path(tmp) / "index")
            assert idx.segments[0].fast_postings == fast
            got.append([idx._gids(p, f) for probe in probes for p in probe for f in filters])
        assert sum(len(x) for x in got[0]) > 1000
        assert all(np.array_equal(a, b) for a, b in zip(*got, strict=True))


def test_sound_passes_is_the_stored_test(c_postings):
    """The pre-test read from the stored bytes decides as ``SoundTest.stored`` on the text, for Chinese, Latin and
    mixed queries against real marks' profiles, odd stored forms included (no parts, empty entries)."""
    from test_tm_index import real_sample

    from ipoffice.trademarks import translit
    from ipoffice.trademarks.similarity import _TRANSLIT_MIN

    marks = real_sample(400, 200)
    texts = [translit.encode_mark(m) for m in marks]
    P, E, F, V = translit._PART, translit._ENTRY, translit._FIELD, translit._VARIANT
    texts += ["", P, "TSL", f"TSL{F}tesila{E}{P}", f"{P}tesla{F}TSL{V}{E}{F}", f"{E}{P}{E}x{F}{V}TS", "ü" + F + P]
    enc = [t.encode("utf-8") for t in texts]
    off = np.zeros(len(enc) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in enc], out=off[1:])
    data = np.frombuffer(b"".join(enc), dtype=np.uint8)
    profiles = c_postings.Profiles(data, off)
    passed = 0
    for q in marks[::9] + ["特斯拉", "TESLA", "耐克NIKE", "BMW", "宝马"]:
        test = translit.SoundTest(translit.profile(q), _TRANSLIT_MIN)
        for i, t in enumerate(texts):
            want = translit.SoundTest(translit.profile(q), _TRANSLIT_MIN).stored(t)
            assert c_postings.sound_passes(test, data, off, i) == want, (q, t)
            assert profiles.passes(test, i) == want, (q, t)
            passed += want
    assert passed > 20  # real passes were compared, not only failures


def test_rank_order_is_lexsort():
    """The packed-key sort of the weak lists gives ``lexsort``'s order (ties in list order) and its blocks."""
    rng = np.random.default_rng(19)
    for n in (0, 1, 7, 13_000):
        shares = rng.random(n) < 0.3
        fdate = np.where(rng.random(n) < 0.05, 0, rng.integers(730_000, 730_400, n)).astype(np.int32)
        order, block = tmi._rank_order(shares, fdate)
        want = np.lexsort((np.where(fdate == 0, np.iinfo(np.int64).min, fdate), ~shares))
        assert np.array_equal(order, want), n
        pairs = list(zip(shares[want].tolist(), fdate[want].tolist(), strict=True))
        assert all((pairs[i] == pairs[i - 1]) == (block[i] == block[i - 1]) for i in range(1, n))
        slow, slow_block = tmi._rank_order(shares, fdate.astype(np.int64) + (1 << 22))  # past the packed key
        assert np.array_equal(slow, want)
        assert all((pairs[i] == pairs[i - 1]) == (slow_block[i] == slow_block[i - 1]) for i in range(1, n))
