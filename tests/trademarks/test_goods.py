"""Similar goods: the 类似群 of China's similar-goods table and its cross-group notes; free-text mapping."""

from __future__ import annotations

import datetime as dt

import pytest

from ipoffice.trademarks.goods import GOODS_RULE, goods_similar, map_goods
from ipoffice.trademarks.rules import RulesError


def test_same_item_is_identical():
    ok, reasons = goods_similar(["啤酒"], ["320002"])
    assert ok and reasons[0].verdict == "identical" and reasons[0].code == GOODS_RULE


def test_same_similar_group_is_similar():
    ok, reasons = goods_similar(["智能手机"], ["手机"])
    assert ok
    assert "the same similar group 0907" in reasons[0].evidence


def test_different_groups_are_not_similar():
    ok, reasons = goods_similar(["广告"], ["啤酒"])
    assert not ok
    assert reasons[0].verdict == "not_similar" and "3501" in reasons[0].evidence


def test_cross_group_note_is_honoured():
    # 0101 note 3: 碱土金属与0601镁类似
    ok, reasons = goods_similar(["碱土金属"], ["镁"])
    assert ok and "0601" in reasons[0].evidence and "note" in reasons[0].evidence
    ok, _ = goods_similar(["镁"], ["碱土金属"])
    assert ok


def test_parts_of_a_group_that_are_apart_are_not_similar():
    # 0101: 本类似群各部分之间商品不类似 -- 氨 (part 一) vs 碱土金属 (part 二)
    ok, _ = goods_similar(["氨"], ["碱土金属"])
    assert not ok
    ok, _ = goods_similar(["氨"], ["氩"])  # both in part 一
    assert ok


def test_note_links_into_a_part():
    ok, reasons = goods_similar(["氨"], ["工业用氨水(挥发性碱)"])
    assert ok and "0102" in reasons[0].evidence


def test_free_text_mapping_exact_fuzzy_and_unmapped():
    m = map_goods(["啤酒", "beer", "精酿啤酒", "090372", "矿泉水", "完全不存在的东西xyz"])
    by_text = {i.text: i for i in m.items}
    assert by_text["啤酒"].match == "exact" and by_text["beer"].code == "320002"
    assert by_text["精酿啤酒"].match in ("fuzzy", "contains") and by_text["精酿啤酒"].code == "320002"
    assert by_text["090372"].match == "code"
    assert by_text["矿泉水"].groups == ("3202",)
    assert m.unmapped == ["完全不存在的东西xyz"]


def test_unmapped_goods_are_reported_as_reasons():
    ok, reasons = goods_similar(["啤酒", "完全不存在的东西xyz"], ["麦芽啤酒"])
    assert ok
    assert any("not mapped" in r.evidence for r in reasons)


def test_goods_rule_dates():
    with pytest.raises(RulesError):
        goods_similar(["啤酒"], ["啤酒"], on=dt.date(2020, 1, 1))
