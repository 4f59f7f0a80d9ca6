"""English goods mapping: Nice terms inside IPONZ specifications, the class hint, and Chinese mapping unchanged.

The English lines are real goods/services items of New Zealand applications (../shared/data/trademarks/
iponz-oppositions, a specification split on ';'), quoted as filed with the class they were filed in.
"""

from __future__ import annotations

import gzip
import json
import re

import pytest

from ipoffice.trademarks.goods import goods_similar, map_goods


def _codes(text: str, classes: list[int] | None = None) -> list[str]:
    return [i.code for i in map_goods([text], classes=classes).items]


@pytest.mark.parametrize(
    ("text", "cls", "codes", "match"),
    [
        ("Clothing, footwear, headgear", 25, ["250045", "250003", "250186"], "exact"),  # a list read as its items
        ("clothing, footwear and headgear", 25, ["250045", "250003", "250186"], "exact"),
        ("wristbands, jumpers, socks, hats, t-shirts", 25, ["250095", "250034", "250036", "250046", "250155"], "exact"),
        ("Sunglasses", 9, ["090648"], "exact"),  # case and plural folded
        ("pins (jewellery)", 14, ["140150"], "exact"),  # brackets
        ("semi-conductors", 9, ["090539"], "exact"),  # semiconductors
        ("mousepads", 9, ["090662"], "fuzzy"),  # mouse pads
        ("employment agencies", 35, ["350012"], "exact"),  # "employment agency services"
        ("Coffee beverages with milk", 30, ["300084"], "exact"),
        ("material for electricity mains (wires, cables)", 9, ["090553"], "exact"),  # a standard name with a comma
        # a standard name heading the text: "computer software, recorded" read as computer software
        ("downloadable computer software for remote telecommunication", 9, ["090591"], "contains"),
        ("headwear, namely, caps", 25, ["250186"], "contains"),  # "namely" restricts what it follows
        ("waist belts [clothing]", 25, ["250031"], "contains"),
    ],
)
def test_real_iponz_lines_map_to_their_items(text, cls, codes, match):
    m = map_goods([text], classes=[cls])
    assert [i.code for i in m.items] == codes and m.unmapped == []
    assert all(i.match == match for i in m.items) or len(codes) > 1
    assert all(0.0 <= i.confidence <= 1.0 for i in m.items)


def test_filler_of_specifications_is_folded_away():
    assert _codes("smartphones; all included in class 9") == ["090719"]
    assert _codes("Cosmetics, all included in Class 3") == ["030065"]
    assert _codes("mouse pads and parts and fittings therefor", [9]) == ["090662"]
    assert map_goods(["all included in class 9"]).unmapped == ["all included in class 9"]


def test_wrong_fuzzy_readings_of_the_old_matcher_are_reported_unmapped():
    # difflib >= 0.75 read these as 350008 广告材料分发, 300104 馅饼, 120176 摩托车挎斗, 180076 海滨浴场用手提袋
    for text in ("dissemination of educational material", "ties", "SIM cards", "beach hats"):
        m = map_goods([text])
        assert m.items == [] and m.unmapped == [text]


def test_a_list_maps_the_items_it_can_and_reports_the_rest():
    m = map_goods(["hats, caps, visors, headbands, bandanas, sweatbands"], classes=[25])
    assert [i.code for i in m.items] == ["250046", "250142", "250148"]
    assert [i.text for i in m.items] == ["hats", "headbands", "bandanas"]
    assert m.unmapped == ["caps", "visors", "sweatbands"]
    # words sharing one head are not a list of items: salt is not a pepper mill, mobile is not a telecom service
    assert _codes("salt and pepper shakers") == []
    assert _codes("mobile, cellular and fixed telecommunications services") == []


def test_class_hint_keeps_matches_in_the_classes_filed():
    assert _codes("glasses") == ["210085"]  # drinking glasses, class 21
    assert _codes("glasses", [9]) == []  # filed in class 9: spectacles, not a class-21 glass -> reported
    assert _codes("cosmetics", [3]) == ["030065"] and _codes("cosmetics", [35]) == []
    # a name in two classes ("jerseys [clothing]" 25, "jersey [fabric]" 24) is read in the class filed
    assert _codes("jerseys") == ["240062", "250089"] and _codes("jerseys", [25]) == ["250089"]
    # one common word names the head only within the classes filed
    assert _codes("camping bags") == [] and _codes("camping bags", [18]) == ["180124"]
    assert _codes("SIM cards", [9]) == []
    # classes as strings (a form field) are read too
    assert _codes("glasses", ["9"]) == []


def test_chinese_mapping_is_unchanged_and_takes_the_hint():
    m = map_goods(["啤酒", "beer", "精酿啤酒", "090372", "矿泉水", "卫生纸分配器", "太阳能电池组成的金属屋顶板"])
    got = {i.text: (i.code, i.match) for i in m.items}
    assert got["啤酒"] == ("320002", "exact") and got["beer"] == ("320002", "exact")
    assert got["精酿啤酒"] == ("320002", "contains") and got["090372"] == ("090372", "code")
    assert got["矿泉水"][0] == "320015"
    assert got["卫生纸分配器"] == ("060498", "fuzzy")
    assert got["太阳能电池组成的金属屋顶板"] == ("090557", "contains")
    # 葡萄酒发酵用化学品 is a class-1 chemical: without a hint "wine" is inside it; filed in class 1 it is not wine
    assert _codes("葡萄酒发酵用化学品") == ["330013"]
    assert _codes("葡萄酒发酵用化学品", [1]) != ["330013"]
    assert _codes("啤酒", [35]) == [] and _codes("090372", [35]) == ["090372"]  # a code is always taken


def test_goods_similar_passes_the_classes():
    ok, _ = goods_similar(["glasses"], ["玻璃杯(容器)"])
    assert ok
    ok, reasons = goods_similar(["glasses"], ["玻璃杯(容器)"], a_classes=[9])
    assert not ok and any("glasses: not mapped" in r.evidence for r in reasons)


def test_real_specifications_map_inside_their_classes(shared_data):
    path = shared_data / "trademarks/iponz-oppositions/iponz_opposed_applications.jsonl.gz"
    if not path.exists():
        pytest.skip("no IPONZ data")
    rows: list[tuple[str, int]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            for c in json.loads(line).get("classifications") or []:
                rows += [(x.strip(" ."), int(c["classId"])) for x in re.split(";", c.get("description") or "")]
            if len(rows) > 600:
                break
    mapped = inside = 0
    for text, cls in rows:
        if not text:
            continue
        for it in map_goods([text], classes=[cls]).items:
            assert it.match in ("code", "exact", "fuzzy", "contains") and 0.0 <= it.confidence <= 1.0
            mapped += 1
            inside += int(it.code.lstrip("C")[:2]) == cls
    assert mapped > 100 and inside == mapped
