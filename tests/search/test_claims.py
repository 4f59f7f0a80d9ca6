"""Claim 1 cut into features, on real English and Chinese claims (USPTO grant XML, CNIPA XML); the
passages of a document and the claim-element map with its X/Y/A category."""

from __future__ import annotations

import pytest

from ipoffice.core.store import open_store
from ipoffice.ingest.runner import import_path
from ipoffice.search.claims import (
    DISCLOSED_AT,
    category,
    feature_units,
    independent_claim,
    map_claim,
    passages,
    split_claim,
)

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN_NEW = "patents/cn/cnipa-xml-new-business-ns"
CN_OLD = "patents/cn/cnipa-xml-old-cn-patent-document"


@pytest.fixture(scope="module")
def records(tmp_path_factory, shared_data) -> dict[str, dict]:
    from sqlalchemy import select

    from ipoffice.core import tables as t

    store = open_store(tmp_path_factory.mktemp("claims") / "home")
    for p in (SLICE, CN_NEW, CN_OLD):
        import_path(store, shared_data / p)
    with store.session() as s:
        out = {d.number: d.data for d in s.scalars(select(t.PatentDocument))}
    store.engine.dispose()
    return out


def _claim1(records, number):
    claims = next(iter(records[number]["claims"].values()))
    return independent_claim(claims)


def _check_offsets(text, feats):
    for f in feats:
        assert text[f.start : f.end] == f.text, f
    assert [f.index for f in feats] == list(range(len(feats)))


def test_english_claims(records):
    c = _claim1(records, "08087209")
    feats = split_claim(c)
    _check_offsets(c, feats)
    assert feats[0].kind == "preamble" and feats[0].text.startswith("Edging rail for a flooring")
    assert feats[0].text.endswith("comprising")
    body = [f.text for f in feats[1:]]
    assert len(body) >= 5 and all(f.kind == "feature" for f in feats[1:])
    assert any(b.startswith("means for adjusting the distance") for b in body)
    assert any("drive channel fixed on said base member" in b for b in body)
    assert body[-1].startswith("wherein said driving channel")
    assert not any(b.endswith(("; and", " and")) for b in body)

    c = _claim1(records, "08089078")  # "comprising:" then "; " elements and a long "wherein" tail
    feats = split_claim(c)
    _check_offsets(c, feats)
    assert feats[0].text == "A light emitting device comprising"
    assert feats[1].text == "a first semiconductor region having a first conductivity type"
    assert any(f.text.startswith("wherein the first semiconductor region is an n type") for f in feats)


def test_chinese_claims(records):
    c = _claim1(records, "115212463")
    feats = split_claim(c)
    _check_offsets(c, feats)
    assert feats[0].kind == "preamble" and feats[0].text.startswith("一种医用放射治疗装置")
    texts = [f.text for f in feats]
    assert "设置有床板(4)的机械臂(3)" in texts and "连接于所述机架(2)上的第一驱动机构" in texts
    assert any(t.startswith("其中所述机械臂(3)包括第一滑轨(311)") for t in texts)

    c = _claim1(records, "104223590")  # 其特征在于： then a comma-separated run cut at ，所述 / ，该 ...
    feats = split_claim(c)
    _check_offsets(c, feats)
    assert feats[0].text == "一种脚型量具，其特征在于"
    texts = [f.text for f in feats[1:]]
    assert texts[0] == "该脚型量具呈鞋状，包括鞋底和帮面"
    assert "所述帮面覆于鞋底上并且该帮面与鞋底固定连接" in texts
    assert texts[-1] == "还包括多个用于搁置在后帮的内侧面的垫子"

    c = _claim1(records, "113781974")  # "显示设备，包括：" without 一种
    feats = split_claim(c)
    assert feats[0].text == "显示设备，包括" and feats[1].text.startswith("显示面板")


def test_independent_claim():
    claims = [
        "1. A method of claim 2, wherein x.",
        "2. A battery comprising an anode and a cathode.",
        "3. The battery according to claim 2, wherein the anode is lithium.",
    ]
    assert independent_claim(claims).startswith("2. A battery")
    assert independent_claim(["2.根据权利要求1所述的装置，其特征在于…", "1.一种装置，包括底座。"]).startswith(
        "1.一种装置"
    )
    assert independent_claim([]) is None


def test_passages_and_map(records):
    data = records["104223590"]
    ps = passages(data)
    assert {p.field for p in ps} >= {"title", "abstract", "claims", "description"}
    assert all(len(p.text) <= 601 for p in ps)
    us = passages(records["08087209"])
    assert not any(p.text.startswith("1 edging rail 2 flooring") for p in us)  # the list of reference numerals

    feats = split_claim(_claim1(records, "104223590"))
    units = [feature_units(f.text, lambda w: 1.0) for f in feats]
    cmap, used = map_claim(feats, units, ps)
    assert len(cmap) == len(feats) and all(c["disclosed"] for c in cmap) and category(cmap) == "X"
    for c in cmap:
        assert c["similarity"] >= DISCLOSED_AT and c["passage"]["spans"]
        s, e = c["passage"]["spans"][0]
        assert 0 <= s < e <= len(c["passage"]["text"])
    assert used and all({"field", "text", "spans", "similarity", "features"} <= set(p) for p in used)
    # against an unrelated document: nothing disclosed beyond chance, category A
    cmap, _ = map_claim(feats, units, passages(records["113781974"]))
    assert category(cmap) == "A" and sum(c["disclosed"] for c in cmap) <= 1


def test_cross_language_map(records):
    """An English feature found in a Chinese passage through CC-CEDICT (the words count as found)."""
    feats = split_claim("A medical radiotherapy apparatus comprising a mechanical arm; and a drive mechanism.")
    units = [feature_units(f.text, lambda w: 1.0) for f in feats]
    cmap, _ = map_claim(feats, units, passages(records["115212463"]))
    assert cmap[0]["disclosed"] and "放射治疗" in cmap[0]["passage"]["text"]
    assert sum(c["disclosed"] for c in cmap) >= 2


def test_category():
    def cm(*flags):
        return [{"disclosed": f} for f in flags]

    assert category(cm(True, True, True)) == "X"
    assert category(cm(True, True, False)) == "Y"
    assert category(cm(True, False, False)) == "A"
    assert category([]) == "A"
