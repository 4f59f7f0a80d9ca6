# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The skeleton alignment in C: ``phonetic._skeleton_distance`` and ``translit._aligned``, the same floats.

Why: the transliteration pre-test aligns a query's consonant skeletons with those of thousands of candidates a
search, and in Python the table's cells were ~15 % of a gazette mark's judging (py-spy, session 16). ``ipoffice
accel build`` compiles this file; without a build ``phonetic`` and ``translit`` run their Python versions, which
stay the reference: the same additions in the same order, so the same IEEE doubles (tests/trademarks/
test_align.py compares them on random and real skeletons). Skeletons are ASCII class letters; for any
other character the table is left to the Python version given to ``init``.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc

cdef double SUB[128][128]
cdef object PY_DISTANCE = None


def init(compatible, py_distance):
    """Fill the substitution costs from ``phonetic._COMPATIBLE`` (pairs of class letters): 0 for the same
    letter in either case, 0.35 for a compatible pair, 1 otherwise (``phonetic._SubRow``); ``py_distance``
    (``phonetic._skeleton_distance_py``) aligns skeletons that are not ASCII."""
    global PY_DISTANCE
    cdef int x, y
    for x in range(128):
        for y in range(128):
            if chr(x).upper() == chr(y).upper():
                SUB[x][y] = 0.0
            elif frozenset((chr(x), chr(y))) in compatible:
                SUB[x][y] = 0.35
            else:
                SUB[x][y] = 1.0
    PY_DISTANCE = py_distance


cdef inline double gap(Py_UCS4 c) noexcept:
    return 0.2 if c == u"n" else 0.6


cdef bint ascii(str s) noexcept:
    cdef Py_UCS4 c
    for c in s:
        if c >= 128:
            return False
    return True


cdef double distance(str a, str b, bint has_limit, double limit, double* work) noexcept:
    """``phonetic._skeleton_distance``; ``work`` holds 3 * (len(b) + 1) doubles."""
    cdef Py_ssize_t lb = len(b), j
    cdef double* gb = work
    cdef double* prev = work + (lb + 1)
    cdef double* cur = work + 2 * (lb + 1)
    cdef double* tmp
    cdef double gx, left, low, v, w
    cdef Py_UCS4 x
    prev[0] = 0.0
    for j in range(lb):
        gb[j] = gap(b[j])
        prev[j + 1] = prev[j] + gb[j]
    for x in a:
        gx = gap(x)
        left = prev[0] + gx
        low = left
        cur[0] = left
        for j in range(1, lb + 1):
            v = prev[j] + gx
            w = left + gb[j - 1]
            if w < v:
                v = w
            w = prev[j - 1] + SUB[x][<Py_UCS4>b[j - 1]]
            if w < v:
                v = w
            cur[j] = v
            left = v
            if v < low:
                low = v
        if has_limit and low > limit:
            return low
        tmp = prev
        prev = cur
        cur = tmp
    return prev[lb]


cdef double run(str a, str b, bint has_limit, double limit) except? -1:
    cdef Py_ssize_t lb = len(b)
    cdef double buf[3 * 64]
    cdef double* work = buf
    cdef double d
    if 3 * (lb + 1) > 3 * 64:
        work = <double*> PyMem_Malloc(3 * (lb + 1) * sizeof(double))
        if work == NULL:
            raise MemoryError()
    try:
        d = distance(a, b, has_limit, limit, work)
    finally:
        if work != buf:
            PyMem_Free(work)
    return d


def skeleton_distance(str a, str b, limit=None):
    """``phonetic._skeleton_distance_py(a, b, limit)``."""
    if not ascii(a) or not ascii(b):
        return PY_DISTANCE(a, b, limit)
    return run(a, b, limit is not None, 0.0 if limit is None else <double> limit)


def aligned(str a, str b, at_least):
    """``translit._aligned_py(a, b, at_least)``."""
    cdef Py_ssize_t la = len(a), lb = len(b), m = la if la > lb else lb, k, cn, i
    cdef double limit = 0.0, floor
    cdef bint has_limit = at_least is not None
    cdef str longer
    cdef Py_UCS4 c
    if has_limit:
        limit = (1 - <double> at_least) * m + 1e-9
        if la != lb:
            longer, k = (a, la - lb) if la > lb else (b, lb - la)
            cn = 0
            for c in longer:
                if c == u"n":
                    cn += 1
            floor = 0.0
            for i in range(k):
                floor += 0.2 if i < cn else 0.6
            if floor > limit:
                return 1 - floor / m
    if not ascii(a) or not ascii(b):
        return 1 - PY_DISTANCE(a, b, limit if has_limit else None) / m
    return 1 - run(a, b, has_limit, limit) / m
