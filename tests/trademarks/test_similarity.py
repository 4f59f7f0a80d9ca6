"""compare(): the call, the score and the rule each reason names; character data; phonetic keys; index keys."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from ipoffice.trademarks import hanzi, meaning
from ipoffice.trademarks.keys import keys
from ipoffice.trademarks.phonetic import (
    double_metaphone,
    jaro_winkler,
    latin_spells_pinyin,
    osa_distance,
    pinyin_key,
    pinyin_near,
    prefix_similarity,
    transliteration_similarity,
)
from ipoffice.trademarks.similarity import compare

ON = dt.date(2024, 3, 1)


def codes(res) -> set[str]:
    return {r.code for r in res.reasons}


# --------------------------------------------------------------------------- the call and its reasons


@pytest.mark.parametrize(
    ("a", "b", "similar", "code"),
    [
        ("华为", "华为", True, "tmg2021-5.4.1"),
        ("HUAWEI", "hua wei", True, "tmg2021-5.4.1"),
        ("龍山", "龙山", True, "tmg2021-5.5.1.1"),
        ("星坤文具", "坤星文具", True, "tmg2021-5.5.1.2"),
        ("惠特曼", "蕙特曼", True, "tmg2021-5.5.1.4"),
        ("酷儿", "酷几", True, "tmg2021-5.5.1.5"),
        ("CROWN", "皇冠", True, "tmg2021-5.5.1.6"),
        ("熊猫老爸", "熊猫爸爸", True, "tmg2021-5.5.1.7"),
        ("福运来", "鸿运来", False, "tmg2021-5.5.1.7-exc"),
        ("TREC", "TREG", True, "tmg2021-5.5.1.9"),
        ("HORSE", "HOUSE", False, "tmg2021-5.5.1.9-exc"),
        ("HAWKWOLF", "WOLFHAWK", True, "tmg2021-5.5.1.10"),
        ("乐曼", "乐曼啤酒", True, "tmg2021-5.5.1.12"),
        ("华旗", "华旗商城", True, "tmg2021-5.5.1.13"),
        ("顾", "顾堂", False, "tmg2021-5.5.1.13-exc"),
        ("大润发", "小润发", True, "tmg2021-5.5.1.14"),
        ("22世纪", "世纪", False, "tmg2021-5.5.1.15-exc"),
        ("雅叶 YAYE", "YAYE", True, "tmg2021-5.5.1.17"),
        ("华为", "小米", False, "tmg2021-5.3"),
    ],
)
def test_call_and_deciding_rule(a, b, similar, code):
    res = compare(a, b, on=ON)
    assert res.similar is similar, res.to_dict()
    assert code in codes(res), res.to_dict()
    if similar:
        assert res.rule.startswith("tmg2021-") and res.score >= 0.7
    else:
        assert res.score < 0.7


def test_identical_is_flagged_and_scores_one():
    res = compare("Lifebloom", "LIFE BLOOM", on=ON)
    assert res.identical and res.similar and res.score == 1.0
    assert res.reasons[0].verdict == "identical"


def test_reasons_carry_evidence_and_the_guideline_heading():
    res = compare("心至必达", "心之必达", on=ON)
    r = next(r for r in res.reasons if r.code == "tmg2021-5.5.1.7")
    assert "1 of 4 characters differ" in r.evidence
    assert r.text.startswith("中文商标由三个或者三个以上汉字构成")
    d = res.to_dict()
    assert d["rule"] == res.rule and d["reasons"][0]["code"] == res.rule


def test_compare_is_symmetric_on_the_call():
    pairs = [("乐曼", "乐曼啤酒"), ("CATANA", "KATANA"), ("福运来", "鸿运来"), ("雅叶 YAYE", "YAYE"), ("耐克", "NIKE")]
    for a, b in pairs:
        assert compare(a, b, on=ON).similar == compare(b, a, on=ON).similar


def test_mixed_marks_are_compared_part_by_part():
    res = compare("牧家 MUJIA", "牧家 MOOJA", on=ON)
    assert res.similar and "tmg2021-5.5.3.1" in codes(res)
    assert any("Chinese parts" in r.evidence for r in res.reasons if r.code == "tmg2021-5.5.3.1")
    res = compare("FELICIA 法莱亚", "FELICIA", on=ON)
    assert res.similar and res.rule == "tmg2021-5.5.1.15"
    # a weak identical part links nothing, but it does not hide another part's similarity
    assert not compare("3D 时代", "U9时代", on=ON).similar
    assert compare("杜e赊", "杜e赊额度", on=ON).similar


def test_pinyin_and_transliteration_across_scripts():
    assert compare("百度", "Baidu", on=ON).rule == "tmg2021-5.5.1.17"
    res = compare("特斯拉", "Tesla", on=ON)
    # with CC-CEDICT installed the dictionary gives the meaning; without it, the transliteration links them
    assert res.similar and ("transliteration" in res.reasons[0].evidence or "means TESLA" in res.reasons[0].evidence)
    assert not compare("星跃", "Xingyue 吴越", on=ON).similar  # its Chinese part reads otherwise (5.1.15 exc.)


def test_numbers_across_scripts():
    assert compare("三五零六", "3506", on=ON).similar
    assert compare("Onetwothree", "123一二三", on=ON).similar
    assert not compare("三五零六", "3507", on=ON).similar


def test_long_marks_compare_quickly():
    a = "华为智能手机专卖店" * 22  # ~200 characters
    b = a[:-1] + "铺"
    t = time.perf_counter()
    res = compare(a[:200], b[:200], on=ON)
    assert time.perf_counter() - t < 2.0
    assert res.similar
    latin = ("ALPHA BETA GAMMA " * 12)[:200]
    assert compare(latin, latin.replace("GAMMA", "DELTA", 1), on=ON).score > 0


def test_bad_marks_raise_value_error():
    with pytest.raises(ValueError):
        compare("!!!", "华为", on=ON)
    with pytest.raises(ValueError):
        compare("华为", "😀", on=ON)


# --------------------------------------------------------------------------- character data


def test_character_data():
    assert hanzi.pinyin("海") == "hai"
    assert hanzi.readings("行")[:2] == ("xing", "hang")
    assert hanzi.pinyin("绿") == "lv"
    assert hanzi.info("海").four_corner == "38157"
    assert hanzi.confusable("末", "未")
    assert hanzi.visually_similar("惠", "蕙")[0]
    assert not hanzi.visually_similar("福", "鸿")[0]
    assert "口" in hanzi.components("味")


def test_shape_threshold_is_rarely_reached_by_unrelated_common_characters():
    import random

    common = [c for c, i in hanzi._table().items() if i.freq >= 14]
    rnd = random.Random(7)
    pairs = [rnd.sample(common, 2) for _ in range(3000)]
    share = sum(hanzi.shape_similarity(a, b) >= hanzi.SHAPE_THRESHOLD for a, b in pairs) / len(pairs)
    assert share < 0.03


def test_pinyin_helpers():
    assert pinyin_key("海尔") == "hai er"
    assert pinyin_near("容", "荣") == "same"
    assert pinyin_near("张", "脏") == "near"
    assert latin_spells_pinyin("CHANGCHENG", "长城") and latin_spells_pinyin("ZHANGCHENG", "长城")
    assert latin_spells_pinyin("LVSE", "绿色")
    assert not latin_spells_pinyin("XINGYUE", "吴越")


def test_latin_helpers():
    assert double_metaphone("CATANA") == double_metaphone("KATANA") == ("KTN", "KTN")
    assert double_metaphone("Smith") == ("SM0", "XMT")
    assert double_metaphone("Schmidt") == ("XMT", "SMT")
    assert double_metaphone("Knight")[0] == "NT"
    assert osa_distance("ABCD", "ABDC") == 1
    assert jaro_winkler("MARTHA", "MARHTA") == pytest.approx(0.961, abs=1e-3)
    assert prefix_similarity("LOVE", "ZOVE") < prefix_similarity("LOVE", "LOVA")
    assert transliteration_similarity("耐克", "NIKE") == 1.0
    assert transliteration_similarity("华为", "SONY") == 0.0


def test_meaning_helpers():
    assert meaning.han_number("三百六十五") == "365"
    assert meaning.latin_number("ONETWOTHREE") == "123"
    assert meaning.meanings_match(meaning.han_meaning_units("皇冠"), meaning.latin_meaning_units(("CROWN",)))
    assert not meaning.meanings_match(meaning.han_meaning_units("熊"), meaning.latin_meaning_units(("BRUIN",)))
    assert meaning.english_word("HORSE") and not meaning.english_word("ZOVE")


# --------------------------------------------------------------------------- index keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("雅叶", "YAYE"),
        ("耐克", "NIKE"),
        ("CATANA", "KATANA"),
        ("乐曼", "乐曼啤酒"),
        ("熊猫老爸", "熊猫爸爸"),
        ("CROWN", "皇冠"),
        ("三五零六", "3506"),
        ("斯波帝卡", "波斯卡帝"),
        ("HAWKWOLF", "WOLFHAWK"),
    ],
)
def test_similar_marks_share_a_key(a, b):
    assert keys(a) & keys(b)


def test_keys_are_prefixed_strings():
    ks = keys("雅叶 YAYE")
    assert {"f:雅叶YAYE", "py:yaye", "h2:雅叶", "l:YAYE"} <= ks
    assert all(isinstance(k, str) and ":" in k for k in ks)


@pytest.mark.parametrize(
    ("a", "b"), [("华为", "小米"), ("HORSE", "HOUSE"), ("福运来", "鸿运来"), ("大润发", "小润发"), ("CROWN", "皇冠")]
)
def test_ungraded_compare_differs_only_in_the_score_of_dissimilar_pairs(a, b):
    graded, plain = compare(a, b, on=ON), compare(a, b, on=ON, graded=False)
    assert (plain.similar, plain.identical, plain.reasons) == (graded.similar, graded.identical, graded.reasons)
    assert plain.score == (graded.score if graded.similar else 0.0)
    if not graded.similar:
        assert graded.score > 0.0  # the conflict search never shows these (it keeps similar pairs only)
