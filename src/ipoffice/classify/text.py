"""The text a classifier sees, and how it is cut into features.

Features come from the search desk's analysis (`ipoffice.search.analysis`), so that classification
and search agree on what a word is: NFKC and OpenCC folding (`fold`), English Snowball stems
(`stem`). Chinese runs are cut with jieba's own dictionary (`analysis`' base tokenizer, never the
index's user dictionary: a model must segment a query exactly as it segmented its training text,
whatever index is open in the process) and, beside the words, into character bigrams: IPC titles are
terse (``废热锅炉``) while abstracts are wordy (``余热回收锅炉``), and bigrams let the two meet where
jieba cuts them differently.

A document's text is its titles, abstracts, the first claims and the start of its description:
enough to classify, and bounded so that a 100-page description does not drown its title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ipoffice.search import analysis

__all__ = ["MAX_TEXT_CHARS", "document_text", "features", "trim_text"]

#: longest text classified (characters); longer input is trimmed with a warning
MAX_TEXT_CHARS = 20_000
_DESCRIPTION_CHARS = 4_000
_CLAIMS = 3

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_ZH_STOP = frozenset(
    "的 和 或 及 与 其 所述 一种 包括 具有 通过 用于 该 在 为 是 有 对 将 使 由 上 中 并 以 而 等 个 之 于 "
    "及其 以及 其中 进行 设置 可以 能够 一个 所 被 从 到 至 本 发明 实用新型 涉及 提供 方法 装置 系统".split()
)
_EN_STOP = frozenset(ENGLISH_STOP_WORDS) | {"wherein", "said", "thereof", "compris", "includ", "invent", "claim"}


def _jieba() -> Any:
    # jieba with its own dictionary only; loaded once per process by the search desk's analysis
    return analysis._base_jieba()  # noqa: SLF001 - shared on purpose: one copy of jieba's dictionary


def features(text: str) -> list[str]:
    """Feature strings of a text: English stems, jieba words, ``~`` + Chinese character bigrams."""
    folded, _ = analysis.fold(text)
    out: list[str] = []
    latin: list[str] = []
    seg = None
    for m in _RUNS.finditer(folded):
        run = m.group(1)
        if run is None:
            w = m.group(2)
            if not w.isdigit() and len(w) > 1 and w not in _EN_STOP:
                latin.append(w)
            continue
        if seg is None:
            seg = _jieba()
        out.extend(w for w in seg.lcut(run, HMM=False) if w not in _ZH_STOP and (len(w) > 1))
        out.extend("~" + run[i : i + 2] for i in range(len(run) - 1))
    if latin:
        out.extend(s for s in analysis.stem(latin) if s not in _EN_STOP and len(s) > 1)
    return out


def trim_text(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """The text cut to ``limit`` characters (at a space where one is near), and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text.rfind(" ", limit - 200, limit)
    return text[: cut if cut > 0 else limit], True


def _values(v: Mapping[str, Any] | None) -> Iterable[Any]:
    return (v or {}).values()


def document_text(data: Mapping[str, Any]) -> str:
    """What a stored record (its ``data``, a PatentRecord as a dict) says about its invention."""
    parts: list[str] = []
    parts.extend(str(x) for x in _values(data.get("titles")) if x)
    parts.extend(str(x) for x in _values(data.get("abstracts")) if x)
    for claims in _values(data.get("claims")):
        parts.extend(str(c) for c in (claims or [])[:_CLAIMS] if c)
    for desc in _values(data.get("descriptions")):
        if desc:
            parts.append(str(desc)[:_DESCRIPTION_CHARS])
    return trim_text("\n".join(parts))[0]
