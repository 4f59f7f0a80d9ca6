"""Folding and script segmentation of word marks (商标审查审理指南 下编第五章 4.1: what counts as the same text)."""

from __future__ import annotations

import pytest

from ipoffice.trademarks.normalize import fold, fold_han, normalize


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("LifeBloom", "lifebloom"),  # case (4.1.2)
        ("ＡＢＣ１２３", "ABC123"),  # full width
        ("OLD WEST", "OLDWEST"),  # spacing (4.1.3, 4.1.4)
        ("喜 茶", "喜茶"),
        ("波斯·卡帝", "波斯卡帝"),  # punctuation
        ("龍山", "龙山"),  # traditional -> simplified (OpenCC t2s)
        ("奔跑吧菓子", "奔跑吧果子"),  # rare variant form (Unihan, data/variants.tsv.gz)
        ("NOUVELLÉ", "NOUVELLE"),  # Latin diacritics
        ("Marc O'Polo", "MARC OPOLO"),  # apostrophe inside a word
        ("😀Apple🍎", "APPLE"),  # emoji stripped
    ],
)
def test_fold_equal(a, b):
    assert fold(a) == fold(b)


def test_fold_han_keeps_simplified():
    assert fold_han("东方雪狼") == "东方雪狼"
    assert fold_han("東方雪狼") == "东方雪狼"


@pytest.mark.parametrize("bad", ["", "   ", "!!!", "·—…", "😀😀", "🍎 🍏", "\u200b"])
def test_nothing_to_compare_is_refused(bad):
    with pytest.raises(ValueError, match="no letters, digits or Chinese characters"):
        normalize(bad)


def test_not_text_is_refused():
    with pytest.raises(TypeError):
        normalize(123)  # type: ignore[arg-type]


def test_segments_of_a_mixed_mark():
    m = normalize("雅叶 YAYE")
    assert [(s.script, s.text) for s in m.segments] == [("han", "雅叶"), ("latin", "YAYE")]
    assert m.han == "雅叶" and m.latin == "YAYE" and m.mixed
    assert m.folded == "雅叶YAYE"


def test_latin_words_and_digit_tokens():
    m = normalize("3M N95")
    assert m.words == ("3M", "N95")
    assert m.alnum == "3MN95"
    assert [s.script for s in m.segments] == ["digit", "latin", "digit"]
    assert normalize("SYMPHONY SERVICES 360金融").words == ("SYMPHONY", "SERVICES", "360")
    assert normalize("Life Solutions").words == ("LIFE", "SOLUTIONS")


def test_other_scripts_are_kept():
    m = normalize("Привет")
    assert m.folded == "ПРИВЕТ" and not m.mixed


def test_two_hundred_character_marks_work():
    han = "华为" * 100
    latin = "ABCDEFGHIJ " * 18 + "KLMNOPQRST"
    assert len(normalize(han).han) == 200
    assert normalize(latin).latin.startswith("ABCDEFGHIJ")
    assert len(normalize(han + latin).segments) == 2


def test_too_long_is_refused():
    with pytest.raises(ValueError, match="too long"):
        normalize("A" * 501)


def test_fold_han_fast_path_equals_opencc(shared_data):
    """Marks skipping OpenCC (no character of theirs in a t2s key) fold exactly as OpenCC would fold them."""
    import gzip

    from opencc import OpenCC

    from ipoffice.trademarks.normalize import _t2s, _t2s_chars, _variants

    assert _t2s_chars(), "the t2s dictionaries were not read: every mark would go through OpenCC"
    path = shared_data / "trademarks/cn/brand-lexicon-company-shortforms/Company-Shorter-Form_28W.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        marks = [line.strip().lstrip("\ufeff") for _, line in zip(range(20000), fh, strict=False)]
    s2t = OpenCC("s2t")
    texts = marks[:18500] + [s2t.convert(m) for m in marks[18500:]] + ["Apple 苹果", "乾坤 LEGEND", "龍騰"]
    v = _variants()
    for text in texts:
        assert fold_han(text) == "".join(v.get(c, c) for c in _t2s().convert(text)), text
