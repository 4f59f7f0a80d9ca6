"""The indexer's fast paths give exactly what the plain analyzer gives, on real patent text.

`index_terms` (what `build_index` and `update_index` write) against `analyze_values` (what queries,
highlighting and the brute-force checks of test_index.py use): the same (term, position) pairs, each
term's positions growing (tantivy's need). `fold`'s shortcuts (full-width replaced before NFKC,
character-wise folding through ``str.translate``, traditional characters found by one regex) against
the plain definition.
"""

from __future__ import annotations

import random
import re
import tarfile
import unicodedata
from pathlib import Path

import pytest

from ipoffice.search import analysis
from ipoffice.search.analysis import analyze_values, fold, index_terms

GP = "patents/corpus/google-patents-crawl-energy-recovery/abstracts_by_ipc_group_and_year.tar.gz"


@pytest.fixture(scope="module")
def abstracts(shared_data: Path) -> list[str]:
    """200 Chinese and 200 English abstracts of the energy-recovery crawl."""
    zh: list[str] = []
    en: list[str] = []
    with tarfile.open(shared_data / GP, "r|gz") as tf:
        for m in tf:
            fh = tf.extractfile(m) if m.isfile() else None
            for line in (fh.read().decode("utf-8") if fh else "").split("\n"):
                if " abstract-" not in line:
                    continue
                text = line.split(" abstract-", 1)[1]
                (zh if analysis.has_cjk(text) else en).append(text)
            if len(zh) >= 200 and len(en) >= 200:
                break
    return zh[:200] + en[:200]


def _fields(abstracts: list[str]) -> list[list[str]]:
    """Field values as documents have them: one abstract, claims with numbers, mixed scripts."""
    rng = random.Random(4)
    out = [[a] for a in abstracts]
    for _ in range(150):
        a, b = rng.sample(abstracts, 2)
        out.append([f"1. {a}", f"2.根据权利要求1所述的装置，其特征在于 {b[:80]} ＡＢＣ-12 80℃ Ⅱ型 heating"])
    out.append(["", "   ", "，。", "锅爐與熱交換器 Heat-Exchangers ﬁlter ½"])
    return out


@pytest.mark.parametrize("dictionary", ["jieba", "user"])
def test_index_terms_are_the_analyzers_terms(abstracts, dictionary, tmp_path):
    if dictionary == "user":
        path = tmp_path / "userdict.txt"
        analysis.build_user_dictionary([], [a for a in abstracts if analysis.has_cjk(a)], path, min_corpus_df=2)
        analysis.set_user_dictionary(path)
    try:
        for values in _fields(abstracts):
            words, positions = index_terms(values)
            expected = sorted((w, p) for w, p, _s, _e, _m in analyze_values(values, offsets=False))
            assert sorted(zip(words, positions, strict=True)) == expected, values
            last: dict[str, int] = {}
            for w, p in zip(words, positions, strict=True):
                assert p >= last.get(w, -1), (w, p)
                last[w] = p
    finally:
        analysis.set_user_dictionary(None)


def test_main_terms_are_the_analyzers_words(abstracts):
    """`main_terms` (the dense model's tokenizer) gives the words of ``analyze(extras=False)``, in order, and
    `crosslang.bilingual_tokens` (cached per word) what the word-by-word definition gives."""
    from ipoffice.search import crosslang

    for values in _fields(abstracts):
        text = "\n".join(values)
        words = [w for w, _p, _s, _e, _m in analysis.analyze(text, extras=False, offsets=False)[0]]
        assert analysis.main_terms(text) == words, text
        plain: list[str] = []
        for w in words:
            if crosslang.content_word(w):
                plain += [w, *crosslang.zh_to_en(w)] if analysis.has_cjk(w) else [w]
        assert crosslang.bilingual_tokens(text) == plain


def _plain_fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower()
    if len(folded) != len(text):
        folded = "".join(unicodedata.normalize("NFKC", c).lower() for c in text).lower()
    trad, conv, chars = analysis._t2s()
    if not trad.isdisjoint(folded):
        converted = conv.convert(folded)
        folded = converted if len(converted) == len(folded) else "".join(chars.get(c, c) for c in folded)
    return folded


def test_fold_shortcuts_change_nothing(abstracts):
    rng = random.Random(9)
    odd = "½㈱ﬁ℃ＡＢＣ１２３　，。İé̃ǅⅫ①⑴¼가ﾊﾞｶ繁體字臺灣後面發現𠀋" + "".join(
        chr(rng.randrange(0x80, 0x3000)) for _ in range(500)
    )
    texts = list(abstracts) + ["".join(rng.choice(odd) for _ in range(40)) + rng.choice(abstracts) for _ in range(150)]
    for text in texts:
        folded, where = fold(text)
        assert folded == _plain_fold(text) == fold(text, offsets=False)[0]
        if where is not None:  # each folded character points into the original text
            assert len(where) == len(folded) and where == sorted(where) and where[-1] < len(text)


def test_fold_keeps_offsets_of_expanding_characters():
    text = "温度80℃的ＡＢ"
    folded, where = fold(text)
    assert folded == "温度80°c的ab"
    assert where is not None and [text[i] for i in where] == list("温度80℃℃的ＡＢ")
    assert re.fullmatch(r"[a-z]+", fold("ＦＵＬＬ")[0])


def test_bad_input_is_harmless():
    assert index_terms([]) == ([], [])
    assert index_terms(["", "，。；"]) == ([], [])
    words, positions = index_terms(["电池", "battery"])
    assert words == ["电池", "batteri", "=battery"] and positions == [0, 1001, 1001]
