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
    """The sorted distinct rows of ``kpos[lo[i]:hi[i]]`` (every i) whose ``on_goods`` is set, as int64.

    ``scratch`` (one byte a row, all zero) marks the rows already taken; it is all zero again on return."""
    cdef Py_ssize_t k, count = 0
    cdef int64_t j
    cdef int32_t r
    cdef Py_ssize_t total = 0
    for k in range(lo.shape[0]):
        total += hi[k] - lo[k]
    out_a = np.empty(total, dtype=np.int64)
    cdef int64_t[::1] out = out_a
    for k in range(lo.shape[0]):
        for j in range(lo[k], hi[k]):
            r = kpos[j]
            if on_goods[r] and not scratch[r]:
                scratch[r] = 1
                out[count] = r
                count += 1
    for k in range(count):
        scratch[out[k]] = 0
    return np.sort(out_a[:count])
