"""Text analysis shared by the indexer, the query compiler and the highlighter.

One analyzer serves every language, so that a query in Chinese or English finds a document in
either, and so that the index and the query side always agree:

1. **Folding**: NFKC (full-width letters, digits and punctuation to half width), lower case, and
   traditional Chinese to simplified (OpenCC ``t2s``; only run when a traditional character occurs,
   since the pure-Python converter is slow). Offsets stay mapped to the original text, which the
   highlighter needs.
2. **Chinese** runs (Han characters) are segmented with jieba's algorithm and dictionary in precise mode
   with HMM new-word discovery off (it is context-sensitive, so the same word could be cut differently in
   a document and in a query), using a user dictionary of IPC-title and corpus terms
   (`build_user_dictionary`). jieba-rs (``rjieba``) runs it; Python ``jieba`` is the fallback (`Segmenter`).
   Every dictionary word inside a longer word (``电池`` in ``蓄电池``) is indexed as well, at the
   position of the word that contains it, so a search for a part of a compound still finds it.
3. **Other scripts** (Latin, digits, Cyrillic, Hangul...) are split into runs of letters and digits and
   stemmed with tantivy's English Snowball stemmer. When the stem differs from the word, the word itself
   is indexed too, marked ``=word``, at the same position: truncation (``comput*``) then matches the
   words as written, while plain terms and phrases match by stem.

Positions count words (jieba words for Chinese); values of one field (claim 1, claim 2 ...) are
separated by `POSITION_GAP` positions, so no phrase or proximity match spans two values.

`analyze` serves queries and highlighting (offsets, flags); `index_terms` is the indexer's version of
``analyze_values(..., offsets=False)``: the same terms at the same positions in fewer Python steps.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "POSITION_GAP",
    "RAW_MARK",
    "ENGINE",
    "Segmenter",
    "Token",
    "analyze",
    "analyze_values",
    "base_segmenter",
    "build_user_dictionary",
    "current_segmenter",
    "fold",
    "has_cjk",
    "index_terms",
    "make_segmenter",
    "query_tokens",
    "read_user_dictionary",
    "set_user_dictionary",
    "stem",
    "wildcard_patterns",
]

#: positions between two values of a field: wider than any proximity distance the parser accepts
POSITION_GAP = 1000
#: prefix of the as-written form of a word whose stem differs (for truncation)
RAW_MARK = "="

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_TOKEN_RE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_CJK_RE = re.compile(f"[{_CJK}]")


#: one indexed term: (text, word position, start offset, end offset in the original text, main), where
#: main is False for the extra terms (sub-words of Chinese compounds, ``=word`` raw forms)
Token = tuple[str, int, int, int, bool]


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


# --------------------------------------------------------------------------- folding


@lru_cache(maxsize=1)
def _t2s() -> tuple[frozenset[str], object, dict[str, str]]:
    """The traditional characters, the phrase converter and the character map."""
    import opencc

    conv = opencc.OpenCC("t2s")
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            simp = parts[1].split(" ")[0]
            if simp != parts[0] and len(simp) == 1:
                chars[parts[0]] = simp
    return frozenset(chars), conv, chars


@lru_cache(maxsize=1)
def _traditional_re() -> re.Pattern[str]:
    """The traditional characters of the basic plane as one character class (a bitmap to ``re``: ten
    times quicker than a set intersection, which makes a string of every character)."""
    return re.compile("[" + "".join(re.escape(c) for c in sorted(_t2s()[0]) if c <= "\uffff") + "]")


_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def _has_traditional(text: str, trad: frozenset[str]) -> bool:
    if _traditional_re().search(text) is not None:
        return True
    return _ASTRAL_RE.search(text) is not None and not trad.isdisjoint(text)


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


class _CharFold(dict):  # type: ignore[type-arg]
    """code point -> its character NFKC-folded and lower-cased, for ``str.translate`` (one C call per
    text instead of one Python call per non-ASCII character); filled as characters come."""

    def __missing__(self, key: int) -> str:
        out = self[key] = _fold_char(chr(key)) if key > 127 else chr(key)
        return out


_CHAR_FOLD = _CharFold()
#: full-width ASCII and the ideographic space: NFKC maps each to its ASCII character, so replacing them
#: first changes nothing in the result (NFKC(text) == NFKC(text with them replaced)) and leaves most
#: Chinese text already normalized, which NFKC's quick check then sees at a fraction of the full cost
_FULLWIDTH_RE = re.compile("[\uff01-\uff5e\u3000]")
_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}


def _halfwidth(m: re.Match[str]) -> str:
    return _FULLWIDTH[m.group()]


def fold(text: str, offsets: bool = True) -> tuple[str, list[int] | None]:
    """Folded text and, when its length differs from the original's, the original offset of each
    folded character (None: offsets are the same, or ``offsets=False``: not wanted).

    Full-width to half-width is one character for one, so the common case keeps offsets; when a
    compatibility character expands (``½``, ``㈱``, ``ﬁ``, ``℃``) the text is folded character by
    character and the offsets say where each folded character came from.
    """
    if text.isascii():
        return text.lower(), None
    folded = unicodedata.normalize("NFKC", _FULLWIDTH_RE.sub(_halfwidth, text)).lower()
    where: list[int] | None = None
    if len(folded) != len(text):
        folded = text.translate(_CHAR_FOLD).lower()
        if offsets and len(folded) != len(text):
            where = []
            for i, ch in enumerate(text):
                where.extend([i] * len(_CHAR_FOLD[ord(ch)]))
    trad, conv, chars = _t2s()
    if _has_traditional(folded, trad):
        converted = conv.convert(folded)  # type: ignore[attr-defined]
        if len(converted) != len(folded):  # a phrase mapping changed the length: fall back to characters
            converted = "".join(chars.get(c, c) for c in folded)
        folded = converted
    return folded, where


# --------------------------------------------------------------------------- Chinese segmentation
#
# jieba's algorithm (a DAG of dictionary words, the most probable route, no HMM) runs in jieba-rs, the
# Rust port of jieba with the same dictionary (`rjieba`): about twenty times faster than Python jieba,
# which had been nearly all of the indexing time. Python jieba stays as the fallback when rjieba cannot be
# imported (``IPOFFICE_SEGMENTER=jieba`` forces it) and as the reference of the parity tests
# (tests/search/test_segmenter_parity.py: the two cut real patent text the same way).

try:
    import rjieba as _rjieba
except ImportError:  # pragma: no cover - rjieba is a dependency; without it, Python jieba
    _rjieba = None

#: the segmenter in use: "rjieba" (jieba-rs) or "jieba" (pure Python, the fallback)
ENGINE = "jieba" if _rjieba is None or os.environ.get("IPOFFICE_SEGMENTER", "").strip() == "jieba" else "rjieba"
#: a word no Han run can contain (private use area): carries the frequency total jieba-rs must add to
#: match Python jieba's when a user dictionary redefines words (see `_load_exactly`)
_TOTAL_PAD = "\ue000"
_USERDICT_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")  # jieba's own ``re_userdict``


class Segmenter:
    """One jieba dictionary (jieba's own, plus a user dictionary's words): precise-mode cuts without
    HMM and word look-ups, from jieba-rs or Python jieba (``engine``).

    ``cut`` splits its text where jieba does (at characters other than Han, Latin letters, digits and
    ``+#&._%-``; whitespace comes back as words of its own) and cuts each piece alone, so runs of Han
    characters joined by spaces are cut in one call exactly as one by one.

    ``lcut`` and ``FREQ`` are Python jieba's names, for the modules that used its tokenizer directly
    (classification features, the bilingual dictionary's ranking); ``FREQ`` is Python jieba's table of
    its own dictionary (loaded on first use), whatever the engine."""

    def __init__(self, engine: str, impl: Any, removed: frozenset[str] = frozenset()) -> None:
        self.engine = engine
        self._impl = impl
        if engine == "rjieba":
            rcut, has = impl.cut, impl.has_word
            self.cut: Callable[[str], list[str]] = lambda run: rcut(run, False)
            self.has_word: Callable[[str], bool] = (lambda w: has(w) and w not in removed) if removed else has
        else:
            freq, lcut = impl.FREQ, impl.lcut
            self.cut = lambda text: lcut(text, HMM=False)
            self.has_word = lambda w: bool(freq.get(w))

    def lcut(self, text: str, HMM: bool = False) -> list[str]:  # noqa: N803 - jieba's own keyword
        """jieba's ``lcut``: any text (split at non-Han characters as jieba splits it)."""
        if self.engine == "rjieba":
            return self._impl.cut(text, HMM)
        return self._impl.lcut(text, HMM=HMM)

    @property
    def FREQ(self) -> dict[str, int]:  # noqa: N802 - jieba's own name
        return self._impl.FREQ if self.engine == "jieba" else _py_base().FREQ


_py_base_tok: Any = None


def _py_base() -> Any:
    """Python jieba's tokenizer with its own dictionary only, loaded once (about 1 s)."""
    global _py_base_tok
    if _py_base_tok is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        tok = jieba.Tokenizer()
        tok.initialize()
        _py_base_tok = tok
    return _py_base_tok


def _py_copy(base: Any) -> Any:
    """A Python jieba tokenizer with ``base``'s dictionary (no second load from disk)."""
    import jieba

    tok = jieba.Tokenizer()
    tok.FREQ = dict(base.FREQ)
    tok.total = base.total
    tok.initialized = True
    return tok


def read_user_dictionary(path: Path) -> list[tuple[str, int | None, str | None]]:
    """(word, frequency or None, tag or None) of each line of a jieba user dictionary, read exactly as
    jieba's ``load_userdict`` reads it (UTF-8, a BOM dropped, ``word [freq] [tag]``)."""
    out: list[tuple[str, int | None, str | None]] = []
    with open(path, "rb") as fh:
        for lineno, ln in enumerate(fh, 1):
            try:
                line = ln.strip().decode("utf-8").lstrip("\ufeff")
            except UnicodeDecodeError:
                raise ValueError(f"user dictionary {path}, line {lineno}: not UTF-8") from None
            if not line:
                continue
            m = _USERDICT_LINE.match(line)
            if m is None:  # pragma: no cover - ``.+?`` matches any non-empty line
                continue
            word, freq, tag = m.groups()
            out.append((word, int(freq) if freq is not None else None, tag.strip() if tag else None))
    return out


def _load_exactly(rj: Any, entries: list[tuple[str, int | None, str | None]]) -> frozenset[str]:
    """Give jieba-rs the user words with the frequencies and the total Python jieba's ``load_userdict``
    ends with, for dictionaries that need more than adding new words: lines without a frequency (jieba
    computes `suggest_freq` against the words loaded so far), words jieba already has or that repeat.

    Python jieba computes the frequencies; jieba-rs then gets each word once with its final frequency.
    jieba-rs takes a redefined word's old frequency off its total where Python jieba does not, so the
    difference goes onto a word no Han run contains (`_TOTAL_PAD`): the total weighs every word of a
    route, so it must match. Returns the words the dictionary removes (frequency 0: jieba-rs cannot
    delete a word, it gets a frequency no route takes, and `Segmenter.has_word` leaves them out)."""
    try:
        base = _py_base()
    except ImportError:  # pragma: no cover - no Python jieba: jieba-rs' own suggest_freq
        for word, freq, tag in entries:
            if freq != 0:
                rj.add_word(word, freq, tag)
        return frozenset()
    py = _py_copy(base)
    tags: dict[str, str | None] = {}
    for word, freq, tag in entries:
        py.add_word(word, freq, tag)
        tags[word] = tag
    total = base.total  # jieba-rs' total as the words go in
    removed: set[str] = set()
    for word, tag in tags.items():
        freq, old = py.FREQ[word], base.FREQ.get(word, 0)
        if freq == 0:
            if not old:
                continue  # a new word of frequency 0 is no word for jieba either
            removed.add(word)
            freq = 1 if len(word) == 1 else 0  # a lone character stays a route of frequency 1, as in jieba
        rj.add_word(word, freq, tag)
        total += freq - old
    if py.total > total:
        rj.add_word(_TOTAL_PAD, py.total - total, None)
    return frozenset(removed)


def make_segmenter(user_dictionary: Path | None = None, engine: str | None = None) -> Segmenter:
    """A segmenter with jieba's dictionary plus ``user_dictionary``'s words, loaded as jieba's
    ``load_userdict`` loads them (same frequencies, same total)."""
    engine = engine or ENGINE
    if user_dictionary is None:
        if engine == "jieba":
            return Segmenter("jieba", _py_base())
        return Segmenter("rjieba", _rjieba.Jieba())
    entries = read_user_dictionary(user_dictionary)
    if engine == "jieba":
        py = _py_copy(_py_base())
        for word, freq, tag in entries:  # what load_userdict does, line by line
            py.add_word(word, freq, tag)
        return Segmenter("jieba", py)
    rj = _rjieba.Jieba()
    words = [w for w, _f, _t in entries]
    if all(f for _w, f, _t in entries) and len(set(words)) == len(words) and not any(map(rj.has_word, words)):
        for word, freq, tag in entries:  # new words with their frequencies (the index's dictionaries)
            rj.add_word(word, freq, tag)
        return Segmenter("rjieba", rj)
    return Segmenter("rjieba", rj, _load_exactly(rj, entries))


_lock = threading.Lock()
_base: Segmenter | None = None  # jieba's own dictionary only, loaded once
_segmenter: Segmenter | None = None
_segmenter_key: str | None = None
_wanted: tuple[str, str] | None = None  # (path, content hash) of the user dictionary to use
_recent: dict[str | None, Segmenter] = {}  # segmenters by dictionary hash, newest last


_dict_hashes: dict[tuple[str, int, int], str] = {}


def set_user_dictionary(path: Path | None) -> None:
    """Use this user dictionary (None: jieba's own) from the next segmentation on.

    The index keeps its dictionary in its folder; the indexer and the searcher set it before they
    analyze, so a query is segmented exactly as the documents were. Dictionaries are told apart by
    content, so switching between indexes with the same dictionary costs a ``stat``."""
    global _wanted
    try:
        st = path.stat() if path is not None else None
    except OSError:
        st = None
    if path is None or st is None:
        _wanted = None
        return
    key = (str(path), st.st_mtime_ns, st.st_size)
    digest = _dict_hashes.get(key)
    if digest is None:
        digest = hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
        _dict_hashes[key] = digest
    _wanted = (str(path), digest)


def base_segmenter() -> Segmenter:
    """jieba's own dictionary only (classification and the bilingual dictionary use it, never the
    index's user dictionary)."""
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                _base = make_segmenter(None)
    return _base


_base_jieba = base_segmenter  # the name classify.text and search.crosslang know it by


def current_segmenter() -> Segmenter:
    """The segmenter of the user dictionary set by `set_user_dictionary`."""
    global _segmenter, _segmenter_key
    key = _wanted[1] if _wanted else None
    if _segmenter is not None and _segmenter_key == key:
        return _segmenter
    base = base_segmenter()
    with _lock:
        if _segmenter is None or _segmenter_key != key:
            if _wanted is None:
                seg = base
            elif key in _recent:
                seg = _recent[key]
            else:
                seg = make_segmenter(Path(_wanted[0]))
                while len(_recent) >= 2:  # two dictionaries kept: a rebuild switches between old and new
                    _recent.pop(next(iter(_recent)))
                _recent[key] = seg
            _seg_cache.clear()
            _sub_cache.clear()
            _segmenter, _segmenter_key = seg, key
        return _segmenter


_seg_cache: dict[str, list[str]] = {}
_SEG_CACHE_MAX = 300_000


def _segment(run: str) -> list[str]:
    """jieba words of a run of Han characters (precise mode, no HMM), short runs cached."""
    seg = current_segmenter()  # first: switching dictionaries empties the caches
    hit = _seg_cache.get(run)
    if hit is not None:
        return hit
    words = seg.cut(run)
    if len(run) <= 16:
        if len(_seg_cache) > _SEG_CACHE_MAX:
            _seg_cache.clear()
        _seg_cache[run] = words
    return words


_sub_cache: dict[str, list[tuple[int, str]]] = {}


def _subwords(word: str) -> list[tuple[int, str]]:
    """Dictionary words strictly inside ``word`` (offset, word), as jieba's search mode finds them."""
    has = current_segmenter().has_word  # first: switching dictionaries empties the caches
    hit = _sub_cache.get(word)
    if hit is not None:
        return hit
    n = len(word)
    out = [(i, word[i : i + size]) for size in range(2, n) for i in range(n - size + 1) if has(word[i : i + size])]
    if len(_sub_cache) > _SEG_CACHE_MAX:
        _sub_cache.clear()
    _sub_cache[word] = out
    return out


# --------------------------------------------------------------------------- stemming

_stem_cache: dict[str, str] = {}
_stem_local = threading.local()
_STEM_CACHE_MAX = 500_000


def _stemmer():  # noqa: ANN202 - tantivy.TextAnalyzer (one per thread and process)
    an = getattr(_stem_local, "analyzer", None)
    if an is None:
        from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

        an = TextAnalyzerBuilder(Tokenizer.whitespace()).filter(Filter.stemmer("english")).build()
        _stem_local.analyzer = an
    return an


def stem(words: list[str]) -> list[str]:
    """English Snowball stems of folded words (cached; unknown words go to tantivy in one call)."""
    cache = _stem_cache
    missing = list(set(words).difference(cache))
    if missing:
        if len(cache) > _STEM_CACHE_MAX:
            cache.clear()
            missing = list(set(words))
        out = _stemmer().analyze(" ".join(missing))
        if len(out) != len(missing):  # never expected; keep the mapping exact if it happens
            out = [(_stemmer().analyze(w) or [w])[0] for w in missing]
        cache.update(zip(missing, out, strict=True))
    return list(map(cache.__getitem__, words))


# --------------------------------------------------------------------------- analysis


_LATIN_RE = re.compile(f"[^\\W_{_CJK}]+")


_CJK_SPLIT = re.compile(f"([{_CJK}]+)")


def analyze(text: str, position: int = 0, extras: bool = True, offsets: bool = True) -> tuple[list[Token], int]:
    """Tokens of ``text``, positions from ``position``; returns them and the next free position.
    Each term's positions grow (the order tantivy needs); with offsets the tokens are in text order.

    ``extras``: also the sub-words of Chinese compounds and the ``=word`` raw forms (the index wants
    them; query terms do not). ``offsets=False`` leaves the offsets 0: the indexer does not need them,
    and without them long English texts are analyzed several times faster."""
    if offsets:
        return _analyze_with_offsets(text, position, extras)
    folded, _ = fold(text)
    toks: list[Token] = []
    append = toks.append
    pos = position
    for i, part in enumerate(_CJK_SPLIT.split(folded) if has_cjk(folded) else (folded,)):
        if i % 2:
            for word in _segment(part):
                append((word, pos, 0, 0, True))
                if extras and len(word) > 2:
                    for _off, sub in _subwords(word):
                        append((sub, pos, 0, 0, False))
                pos += 1
            continue
        words = _LATIN_RE.findall(part)
        if not words:
            continue
        stems = stem(words)
        toks.extend([(st, pos + k, 0, 0, True) for k, st in enumerate(stems)])
        if extras:  # after the stems: each term's own positions still grow, which is all tantivy needs
            toks.extend(
                [
                    (RAW_MARK + w, pos + k, 0, 0, False)
                    for k, (w, st) in enumerate(zip(words, stems, strict=True))
                    if st != w
                ]
            )
        pos += len(words)
    return toks, pos


def _analyze_with_offsets(text: str, position: int, extras: bool) -> tuple[list[Token], int]:
    folded, offsets = fold(text)
    latin = _LATIN_RE.findall(folded)
    if latin:
        stem(latin)  # fills the cache in one call to tantivy
    stems = _stem_cache
    toks: list[Token] = []
    append = toks.append
    pos = position
    for m in _TOKEN_RE.finditer(folded):
        cjk = m.group(1)
        if cjk is None:
            w = m.group(2)
            st = stems.get(w) or w
            append((st, pos, m.start(), m.end(), True))
            if extras and st != w:
                append((RAW_MARK + w, pos, m.start(), m.end(), False))
            pos += 1
            continue
        start = m.start()
        for word in _segment(cjk):
            end = start + len(word)
            append((word, pos, start, end, True))
            if extras and len(word) > 2:
                for off, sub in _subwords(word):
                    append((sub, pos, start + off, start + off + len(sub), False))
            start = end
            pos += 1
    if offsets is not None:
        toks = [(t[0], t[1], offsets[t[2]], offsets[t[3] - 1] + 1, t[4]) for t in toks]
    return toks, pos


def analyze_values(values: Iterable[str], extras: bool = True, offsets: bool = True) -> list[Token]:
    """Tokens of several values of one field, `POSITION_GAP` positions apart (offsets per value)."""
    out: list[Token] = []
    pos = 0
    for v in values:
        if not v:
            continue
        toks, nxt = analyze(v, pos, extras, offsets)
        if toks:
            out.extend(toks)
            pos = nxt + POSITION_GAP
    return out


def _terms_into(text: str, pos: int, words: list[str], positions: list[int]) -> int:
    folded, _ = fold(text, offsets=False)
    if not has_cjk(folded):  # English and the like: the words in one call to the stemmer
        latin = _LATIN_RE.findall(folded)
        if not latin:
            return pos
        stems = stem(latin)
        words += stems
        positions += range(pos, pos + len(latin))
        raw = [(k, w) for k, (w, st) in enumerate(zip(latin, stems, strict=True)) if st != w]
        words += [RAW_MARK + w for _k, w in raw]
        positions += [pos + k for k, _w in raw]
        return pos + len(latin)
    toks = _TOKEN_RE.findall(folded)
    # every Han run in one call to the segmenter, the runs apart by a space (jieba cuts at it, and
    # returns it as a word of its own, where the next run starts)
    cut = iter(current_segmenter().cut(" ".join([run for run, _w in toks if run])))
    subs_of = _sub_cache
    stems = _stem_cache
    for run, w in toks:
        if run:
            for word in cut:
                if word == " ":
                    break
                words.append(word)
                positions.append(pos)
                if len(word) > 2:
                    subs = subs_of.get(word)
                    if subs is None:
                        subs = _subwords(word)
                    for _off, sub in subs:
                        words.append(sub)
                        positions.append(pos)
                pos += 1
            continue
        st = stems.get(w) or stem([w])[0]
        words.append(st)
        positions.append(pos)
        if st != w:
            words.append(RAW_MARK + w)
            positions.append(pos)
        pos += 1
    return pos


def index_terms(values: Iterable[str]) -> tuple[list[str], list[int]]:
    """The terms the index stores for one field's values, and their positions: the (term, position)
    pairs of ``analyze_values(values, offsets=False)`` (in another order where extras sit: each term's
    positions still grow), in a fraction of the Python steps. This is the indexer's inner loop."""
    current_segmenter()  # first: switching dictionaries empties the caches
    words: list[str] = []
    positions: list[int] = []
    pos = 0
    for v in values:
        if not v:
            continue
        n = len(words)
        pos = _terms_into(v, pos, words, positions)
        if len(words) > n:
            pos += POSITION_GAP
    return words, positions


def main_terms(text: str) -> list[str]:
    """The main terms of ``text`` in order: the words of ``analyze(text, extras=False, offsets=False)``
    (stems; jieba words for Chinese), with every Han run of the text cut in one call to the segmenter and
    its Latin words stemmed in one call. The dense model's inner loop (``crosslang.bilingual_tokens``)."""
    current_segmenter()  # first: switching dictionaries empties the caches
    folded, _ = fold(text, offsets=False)
    if not has_cjk(folded):
        latin = _LATIN_RE.findall(folded)
        return stem(latin) if latin else []
    # the Han runs cut as `_terms_into` cuts them; that loop keeps its own copy inline (through one shared
    # generator the indexer's inner loop ran 3-10 % slower on 3,000 real abstracts)
    toks = _TOKEN_RE.findall(folded)
    cut = iter(current_segmenter().cut(" ".join([run for run, _w in toks if run])))
    stems = iter(stem([w for run, w in toks if not run]))
    out: list[str] = []
    for run, _w in toks:
        if run:
            for word in cut:
                if word == " ":
                    break
                out.append(word)
        else:
            out.append(next(stems))
    return out


def query_tokens(text: str) -> list[str]:
    """The terms a query word or phrase stands for, in order (stems; jieba words for Chinese)."""
    return [t[0] for t in analyze(text, 0, extras=False)[0]]


# --------------------------------------------------------------------------- truncation


def _char_class(ch: str) -> str:
    if ch in "*?":
        return "w"
    if _CJK_RE.match(ch):
        return "c"
    if ch.isalnum():
        return "l"
    return "o"


def wildcard_patterns(word: str) -> list[tuple[str, bool]]:
    """The patterns of a query word with ``*`` (any characters) or ``?`` (one character).

    Returns (text, is_regex) in order. The word is cut at punctuation and where Chinese meets Latin
    script; a wildcard belongs to the run it touches. Runs without a wildcard are analyzed as usual
    (terms); a run with one becomes a regex over the indexed terms: over the as-written forms for Latin
    script (``=?``: words the stemmer left unchanged are indexed only once), over jieba words for Chinese.
    """
    folded, _ = fold(word)
    runs: list[tuple[str, str]] = []  # (text, script: c or l)
    cur, script = "", ""
    for ch in folded:
        k = _char_class(ch)
        if k == "o":
            if cur:
                runs.append((cur, script or "l"))
            cur, script = "", ""
        elif k == "w":
            cur += ch
        else:
            if script and k != script and cur:
                runs.append((cur, script))
                cur = ""
            cur += ch
            script = k
    if cur:
        runs.append((cur, script or "l"))
    out: list[tuple[str, bool]] = []
    for text, sc in runs:
        if "*" not in text and "?" not in text:
            out.extend((t, False) for t in query_tokens(text))
            continue
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
        out.append((body if sc == "c" else f"{re.escape(RAW_MARK)}?{body}", True))
    return out


# --------------------------------------------------------------------------- the user dictionary

_TERM_SPLIT = re.compile(
    r"[^" + _CJK + r"]+|的|或者|或|和|以及|及其|及|与|并且|其中|其|例如|即|用于|所述|一种|包括|具有|通过|"
    r"特别是|适用于|不包括|包含|其他|其它|以外|除了|除|优先|入|之"
)
_EDGE = set("在由用以为于对将把被使是有从向至等")


def _chunks(text: str) -> Iterator[str]:
    folded, _ = fold(text)
    for part in _TERM_SPLIT.split(folded):
        part = part.strip()
        while part and part[0] in _EDGE:
            part = part[1:]
        while part and part[-1] in _EDGE:
            part = part[:-1]
        if 2 <= len(part) <= 6:
            yield part


def build_user_dictionary(
    ipc_titles: Iterable[str], corpus_texts: Iterable[str], path: Path, min_corpus_df: int = 5
) -> int:
    """Write a jieba user dictionary: terms of the IPC titles and frequent terms of the corpus.

    Titles and texts are cut at punctuation and function words (的, 或, 用于, 所述 ...); the pieces of
    2-6 characters that jieba's own dictionary lacks become words (from the IPC titles: every one;
    from the corpus: those in at least ``min_corpus_df`` texts). Returns the number of words written.
    """
    known = base_segmenter().has_word  # jieba's own words, whatever index is open
    words: dict[str, int] = {}
    for title in ipc_titles:
        for c in _chunks(title):
            if len(c) >= 3 and not known(c):
                words[c] = words.get(c, 0) + 1
    df: dict[str, int] = {}
    for text in corpus_texts:
        for c in set(_chunks(text)):
            if len(c) >= 3 and not known(c):
                df[c] = df.get(c, 0) + 1
    for c, n in df.items():
        if n >= min_corpus_df:
            words[c] = words.get(c, 0) + n
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for w in sorted(words):
            # a frequency that beats splitting into two common words, without swallowing neighbours
            fh.write(f"{w} {min(50 + words[w], 500)}\n")
    return len(words)
