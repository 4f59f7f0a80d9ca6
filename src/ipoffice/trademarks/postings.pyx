# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Reading the conflict-search index's postings in C: ``index._Segment.key_ranges`` and ``index._seg_rows``.

Why: a gazette mark looks up some 600 keys in a map of 68M postings at 1M marks, and its ~400 transliteration
keys bring some 245,000 postings. In numpy, the two binary searches of each key through the whole map (cache
misses all the way) and gathering, marking and reading back the rows in a row-wide mask were a seventh of the
mark's judging (session 17). Here a key's search starts in its bucket (the top bits of its hash:
``_Segment.key_buckets``) and the postings are read once, each row kept the first time it is met on the goods.

``ipoffice accel build`` compiles this file; without a build ``index`` runs its numpy code, which stays the
reference (tests/trademarks/test_postings.py compares them). The GIL is held throughout, so the scratch mask
of a segment is never used by two threads at once, and it is left all zero on return.
"""

import numpy as np

from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t


def key_ranges(const uint64_t[::1] khash, const int64_t[::1] starts, int shift, const uint64_t[::1] probe):
    """(lo, hi) of each key of ``probe``: ``np.searchsorted(khash, probe, "left")`` and ``"right"``, searched
    within the key's bucket ``starts[key >> shift]:starts[(key >> shift) + 1]``."""
    cdef Py_ssize_t n = probe.shape[0], i
    cdef int64_t l, h, m, end
    cdef uint64_t key, b
    lo_a = np.empty(n, dtype=np.int64)
    hi_a = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] lo = lo_a
    cdef int64_t[::1] hi = hi_a
    for i in range(n):
        key = probe[i]
        b = key >> shift
        l = starts[b]
        end = starts[b + 1]
        h = end
        while l < h:
            m = (l + h) >> 1
            if khash[m] < key:
                l = m + 1
            else:
                h = m
        lo[i] = l
        h = end
        while l < h:
            m = (l + h) >> 1
            if khash[m] <= key:
                l = m + 1
            else:
                h = m
        hi[i] = l
    return lo_a, hi_a


def goods_rows(const int32_t[::1] kpos, const int64_t[::1] lo, const int64_t[::1] hi, const uint8_t[::1] on_goods,
               uint8_t[::1] scratch):
    """The sorted distinct rows of ``kpos[lo[i]:hi[i]]`` (every i) whose bit is set in ``on_goods`` (``np.packbits``
    of a row mask: 1 bit a row, the first row in the high bit), as int64.

    ``scratch`` (as packed, all zero) marks the rows already taken; it is all zero again on return. Both being
    bits, the two masks of 1M marks fit in a core's cache (bytes did not: 4 % of a gazette mark's judging)."""
    cdef Py_ssize_t k, count = 0
    cdef int64_t j
    cdef int32_t r
    cdef uint8_t bit
    cdef Py_ssize_t total = 0
    for k in range(lo.shape[0]):
        total += hi[k] - lo[k]
    out_a = np.empty(total, dtype=np.int64)
    cdef int64_t[::1] out = out_a
    for k in range(lo.shape[0]):
        for j in range(lo[k], hi[k]):
            r = kpos[j]
            bit = 0x80 >> (r & 7)
            if (on_goods[r >> 3] & bit) and not (scratch[r >> 3] & bit):
                scratch[r >> 3] |= bit
                out[count] = r
                count += 1
    for k in range(count):
        scratch[out[k] >> 3] = 0
    return np.sort(out_a[:count])


cdef inline str _text(const uint8_t[::1] data, Py_ssize_t a, Py_ssize_t b):
    return PyUnicode_DecodeUTF8(<const char*>&data[0] + a, b - a, NULL)


cdef inline Py_ssize_t _find(const uint8_t[::1] data, Py_ssize_t a, Py_ssize_t b, uint8_t sep) noexcept:
    """The first position of ``sep`` in ``data[a:b]``, or ``b``."""
    while a < b and data[a] != sep:
        a += 1
    return a


cdef class Profiles:
    """A segment's stored transliteration profiles (``translit.bin`` and its offsets), held as typed views: made
    once per segment, so a row's test does not check and take the arrays' buffers again."""

    cdef const uint8_t[::1] data
    cdef const int64_t[::1] off

    def __init__(self, const uint8_t[::1] data, const int64_t[::1] off):
        self.data = data
        self.off = off

    def passes(self, test, Py_ssize_t row):
        """``sound_passes`` of a row of this segment."""
        return _passes(test, self.data, self.off, row)


def sound_passes(test, const uint8_t[::1] data, const int64_t[::1] off, Py_ssize_t row):
    """``test.stored(profile text of row)`` (``translit.SoundTest``), read from the stored bytes (``translit.encode``:
    parts split by 0x1f, entries by 0x1e, fields by 0x1d, variants by 0x1c) without making the text or its pieces;
    only the skeletons the test looks up become strings."""
    return _passes(test, data, off, row)


cdef bint _passes(test, const uint8_t[::1] data, const int64_t[::1] off, Py_ssize_t row) except -1:
    cdef Py_ssize_t a = off[row], end = off[row + 1], part, e, e_end, f, v, v_end
    part = _find(data, a, end, 0x1f)
    if part > a and test.q_latin:
        e = a
        while e <= part:
            e_end = _find(data, e, part, 0x1e)
            f = _find(data, e, e_end, 0x1d)
            # a Chinese skeleton, and its pinyin for the spelling test
            if f > e and _entry_passes(test, test._han, test.han_entry, _text(data, e, f), data, f + 1, e_end, True):
                return True
            e = e_end + 1
    if part + 1 < end and test.q_han:
        e = part + 1
        while e <= end:
            e_end = _find(data, e, end, 0x1e)
            f = _find(data, e, e_end, 0x1d)
            v = f + 1
            while v <= e_end:
                v_end = _find(data, v, e_end, 0x1c)
                # a Latin skeleton variant, and the Latin text for the spelling test
                if v_end > v and _entry_passes(
                    test, test._latin, test.latin_entry, _text(data, v, v_end), data, e, f, False
                ):
                    return True
                v = v_end + 1
            e = e_end + 1
    return False


cdef bint _entry_passes(test, dict memo, fill, str key, const uint8_t[::1] data, Py_ssize_t s, Py_ssize_t t,
                        bint han) except -1:
    """One skeleton's answer (``SoundTest.han_entry`` / ``latin_entry``, kept in ``memo``): aligned, or spelled
    close to one of the query's texts (``data[s:t]`` is the candidate's own: pinyin for a Chinese skeleton, the
    Latin text for a Latin one)."""
    got = memo.get(key)
    if got is None:
        got = fill(key)
    if got[0]:
        return True
    if got[1]:
        mine = _text(data, s, t) if s < t else ""
        for other in got[1]:
            if test._spelled(mine, other) if han else test._spelled(other, mine):
                return True
    return False
