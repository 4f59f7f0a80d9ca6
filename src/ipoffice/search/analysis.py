"""Text analysis shared by the indexer, the query compiler and the highlighter.

One analyzer serves every language, so that a query in Chinese or English finds a document in
either, and so that the index and the query side always agree:

1. **Folding**: NFKC (full-width letters, digits and punctuation to half width), lower case, and
   traditional Chinese to simplified (OpenCC ``t2s``; only run when a traditional character occurs,
   since the pure-Python converter is slow). Offsets stay mapped to the original text, which the
   highlighter needs.
2. **Chinese** runs (Han characters) are segmented with ``jieba`` in precise mode with HMM new-word
   discovery off (it is context-sensitive, so the same word could be cut differently in a document
   and in a query), using a user dictionary of IPC-title and corpus terms (`build_user_dictionary`).
   Every dictionary word inside a longer word (``电池`` in ``蓄电池``) is indexed as well, at the
   position of the word that contains it, so a search for a part of a compound still finds it.
3. **Other scripts** (Latin, digits, Cyrillic, Hangul...) are split into runs of letters and digits and
   stemmed with tantivy's English Snowball stemmer. When the stem differs from the word, the word itself
   is indexed too, marked ``=word``, at the same position: truncation (``comput*``) then matches the
   words as written, while plain terms and phrases match by stem.

Positions count words (jieba words for Chinese); values of one field (claim 1, claim 2 ...) are
separated by `POSITION_GAP` positions, so no phrase or proximity match spans two values.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

__all__ = [
    "POSITION_GAP",
    "RAW_MARK",
    "Token",
    "analyze",
    "analyze_values",
    "build_user_dictionary",
    "fold",
    "has_cjk",
    "query_tokens",
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


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


def fold(text: str) -> tuple[str, list[int] | None]:
    """Folded text and, when its length differs from the original's, the original offset of each
    folded character (None: offsets are the same).

    Full-width to half-width is one character for one, so the common case keeps offsets; when a
    compatibility character expands (``½``, ``㈱``, ``ﬁ``) the text is folded character by character
    and the offsets say where each folded character came from.
    """
    if text.isascii():
        return text.lower(), None
    folded = unicodedata.normalize("NFKC", text).lower()
    offsets: list[int] | None = None
    if len(folded) != len(text):
        expanding: list[int] = []

        def one(m: re.Match[str]) -> str:
            f = _fold_char(m.group())
            if len(f) != 1:
                expanding.append(m.start())
            return f

        folded = _NON_ASCII.sub(one, text).lower()
        if expanding:
            offsets = []
            last = 0
            for i in expanding:
                offsets.extend(range(last, i))
                offsets.extend([i] * len(_fold_char(text[i])))
                last = i + 1
            offsets.extend(range(last, len(text)))
    trad, conv, chars = _t2s()
    if not trad.isdisjoint(folded):
        converted = conv.convert(folded)  # type: ignore[attr-defined]
        if len(converted) != len(folded):  # a phrase mapping changed the length: fall back to characters
            converted = "".join(chars.get(c, c) for c in folded)
        folded = converted
    return folded, offsets


# --------------------------------------------------------------------------- Chinese segmentation

_jieba_lock = threading.Lock()
_base: object | None = None  # jieba with its own dictionary only, loaded once
_segmenter: object | None = None
_segmenter_key: str | None = None
_wanted: tuple[str, str] | None = None  # (path, content hash) of the user dictionary to use
_recent: dict[str | None, object] = {}  # segmenters by dictionary hash, newest last


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


def _base_jieba():  # noqa: ANN202 - jieba.Tokenizer with jieba's own dictionary only
    global _base
    if _base is None:
        import jieba

        jieba.setLogLevel(logging.WARNING)
        base = jieba.Tokenizer()
        base.initialize()
        _base = base
    return _base


def _jieba():  # noqa: ANN202 - jieba.Tokenizer, imported lazily (about 1 s to load its dictionary)
    global _segmenter, _segmenter_key
    key = _wanted[1] if _wanted else None
    if _segmenter is not None and _segmenter_key == key:
        return _segmenter
    with _jieba_lock:
        if _segmenter is None or _segmenter_key != key:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            base = _base_jieba()
            if _wanted is None:
                seg = base
            elif key in _recent:
                seg = _recent[key]
            else:  # a copy of the base dictionary plus the user's words (no second load from disk)
                seg = jieba.Tokenizer()
                seg.FREQ = dict(base.FREQ)  # type: ignore[attr-defined]
                seg.total = base.total  # type: ignore[attr-defined]
                seg.initialized = True
                seg.load_userdict(_wanted[0])
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
    seg = _jieba()  # first: switching dictionaries empties the caches
    hit = _seg_cache.get(run)
    if hit is not None:
        return hit
    words = list(seg._Tokenizer__cut_DAG_NO_HMM(run))  # type: ignore[attr-defined]  # cut() minus its splitting
    if len(run) <= 16:
        if len(_seg_cache) > _SEG_CACHE_MAX:
            _seg_cache.clear()
        _seg_cache[run] = words
    return words


_sub_cache: dict[str, list[tuple[int, str]]] = {}


def _subwords(word: str) -> list[tuple[int, str]]:
    """Dictionary words strictly inside ``word`` (offset, word), as jieba's search mode finds them."""
    freq = _jieba().FREQ  # type: ignore[attr-defined]  # first: switching dictionaries empties the caches
    hit = _sub_cache.get(word)
    if hit is not None:
        return hit
    n = len(word)
    out = [(i, word[i : i + size]) for size in range(2, n) for i in range(n - size + 1) if freq.get(word[i : i + size])]
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
    with _jieba_lock:
        base = _base_jieba().FREQ  # type: ignore[attr-defined]  # jieba's own words, whatever index is open
    words: dict[str, int] = {}
    for title in ipc_titles:
        for c in _chunks(title):
            if len(c) >= 3 and not base.get(c):
                words[c] = words.get(c, 0) + 1
    df: dict[str, int] = {}
    for text in corpus_texts:
        for c in set(_chunks(text)):
            if len(c) >= 3 and not base.get(c):
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
