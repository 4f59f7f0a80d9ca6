"""Bad-faith trademark signals on a register of real marks (IPONZ application summaries: real applicants, agents,
addresses, classes, dates) plus injected cases: a hoarder, copies of famous marks, a company's short name, an
agency filing outside class 45, an agent squatting its client's mark, an applicant with an earlier finding, and a
plain ordinary filing that must raise nothing. Rules are judged by filing date (2018: 2013 Law, never Order 17)."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools

import pytest
from sqlalchemy import insert, select

from ipoffice.core import tables as t
from ipoffice.integrity.rules import default_rules
from ipoffice.integrity.signals import REGISTRY, ScanContext

SAMR = "SAMR Order No. 17 (2019)"
LAW13 = "Trademark Law of the PRC (2013 amendment)"
LAW19 = "Trademark Law of the PRC (2019 amendment)"
HEADER = "number,mark,nice_classes,groups,goods,applicant,filing_date,status,agent\n"
CLASSES = [
    1,
    2,
    3,
    5,
    6,
    7,
    8,
    11,
    12,
    14,
    16,
    18,
    19,
    20,
    21,
    24,
    25,
    27,
    28,
    29,
    30,
    31,
    32,
    33,
    34,
    36,
    37,
    39,
    40,
    41,
    43,
    44,
]


def _lexicon_words(shared, start: int, n: int) -> list[str]:
    """Real Chinese brand words (company short forms) to fill the injected filings with."""
    p = shared / "trademarks" / "cn" / "brand-lexicon-company-shortforms" / "Company-Shorter-Form_28W.txt.gz"
    with gzip.open(p, "rt", encoding="utf-8-sig") as f:
        words = [w.strip() for w in itertools.islice(f, start, start + n * 3) if len(w.strip()) >= 3]
    return words[:n]


def _injected(shared) -> str:
    rows = []
    words = _lexicon_words(shared, 150000, 130)
    for i in range(60):  # a person hoarding 60 marks across 30 classes (2021)
        rows.append(f"H21-{i:02d},{words[i]},{CLASSES[i % 30]},,,张某某,2021-03-{1 + i % 28:02d},filed,")
    for i in range(60):  # the same in 2018: judged under the 2013 Law, not under Order 17
        rows.append(f"H18-{i:02d},{words[60 + i]},{CLASSES[i % 30]},,,李某某,2018-03-{1 + i % 28:02d},filed,")
    rows += [
        "F1,STARBUCK5,30;43,,,宁波甬江咖啡有限公司,2021-05-10,filed,",  # light edit of a famous mark, same goods
        "F2,星巴克,12,,,宁波某某汽车配件有限公司,2021-05-11,filed,",  # translation of a famous mark, other goods
        "F3,格力,25,,,泉州某某服装有限公司,2021-06-01,filed,",  # a listed company's short name
        "F4,Starbucks,30,,,Starbucks Corporation,2021-07-01,filed,",  # the owner's own filing: nothing
        # an agency: agent on client marks, then files for itself outside class 45 (and once inside)
        "C1,蓝海湾,29,,,浙江蓝海湾食品有限公司,2016-04-01,registered,上海华信知识产权代理有限公司",
        f"C2,{words[125]},30,,,杭州某某茶业有限公司,2017-05-01,registered,上海华信知识产权代理有限公司",
        "A1,蓝海湾,29,,,上海华信知识产权代理有限公司,2021-08-01,filed,",  # squatting its client's mark
        "A2,华信知产,45,,,上海华信知识产权代理有限公司,2021-08-02,filed,",  # its own agency services: fine
        # an applicant whose earlier mark was invalidated for bad faith
        "B1,云上溪,25,,,温州某某鞋业有限公司,2019-01-10,invalidated,",
        "B2,溪上云,25,,,温州某某鞋业有限公司,2021-09-01,filed,",
        "N1,绿叶坊,30,,,杭州绿叶食品有限公司,2021-10-01,filed,",  # plain ordinary filing
        # famous-mark copying factors: a squatter copying several famous marks (pattern) and a lone filer
        "P1,星巴克,30,,,义乌某某贸易有限公司,2021-04-01,filed,",
        "P2,SIEMENS PLUS,9,,,义乌某某贸易有限公司,2021-04-02,filed,",
        "P3,Corsairfly,9,,,义乌某某贸易有限公司,2021-04-03,filed,",  # contains Corsair: flagged for the pattern
        "P4,Corsairfly,9,,,Corsair Travel Software Ltd,2021-04-04,filed,",  # the same mark alone: not a copy
        "P5,NICO,9,,,Nico Software Ltd,2021-04-05,filed,",  # a short word one letter from Nicon: not a copy
        "P6,PORSHE,21,,,Wenzhou Housewares Ltd,2021-04-06,filed,",  # a close copy, unrelated goods: Art. 13(3)
        "P7,METR0,35,,,Zhang Retail Ltd,2021-04-07,filed,",  # a dictionary word with a look-alike digit
        "P8,METRA,35,,,Li Retail Ltd,2021-04-08,filed,",  # a dictionary word with a letter changed: not a copy
        # a namesake filed STARBUCKS before the owner's own F4: F4 is not a representative's squatting (T8)
        "P9,STARBUCKS,39,,,Starbucks Travel Ltd,2019-02-01,filed,",
    ]
    return HEADER + "\n".join(rows) + "\n"


@pytest.fixture(scope="module")
def flags(tmp_path_factory, shared_data):
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path

    home = tmp_path_factory.mktemp("tmsig")
    store = open_store(home)
    real = shared_data / "trademarks" / "iponz-oppositions" / "iponz_application_summaries.jsonl.gz"
    assert import_path(store, real).loaded == 174
    csv = home / "injected.csv"
    csv.write_text(_injected(shared_data), encoding="utf-8")
    rep = import_path(store, csv)
    assert rep.loaded == 120 + 20, rep
    with store.session() as s:
        b1 = s.execute(select(t.Trademark.id).where(t.Trademark.number == "B1")).scalar_one()
        s.execute(
            insert(t.Event.__table__),
            [
                {
                    "entity": "trademark",
                    "entity_id": b1,
                    "number": "B1",
                    "event_type": "invalidated",
                    "date": dt.date(2020, 6, 30),
                    "details": {"ground": "Trademark Law Art. 4: bad-faith application not intended for use"},
                    "recorded_at": dt.datetime(2020, 6, 30),
                }
            ],
        )
        s.commit()
    import ipoffice.integrity.trademark_signals  # noqa: F401 - registers the signals

    ctx = ScanContext(engine=store.engine, rules=default_rules(), home=home, kind="trademark")
    out = []
    for _name, sdef in sorted(REGISTRY.items()):
        if sdef.kind == "trademark":
            out.extend(sdef.fn(ctx))
    yield out, store
    store.engine.dispose()


def _by(flags, number=None, code=None):
    return [f for f in flags[0] if (number is None or f.number == number) and (code is None or f.behaviour == code)]


def test_every_trademark_code_has_a_signal_and_rules_load():
    import ipoffice.integrity.trademark_signals  # noqa: F401

    rules = default_rules()
    codes = rules.codes("trademark")
    assert codes == ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8"]
    for b in rules.behaviours:
        if b.kind == "trademark":
            assert b.signals and all(s in REGISTRY for s in b.signals), b.code
            assert "flag" in b.thresholds and b.example


def test_hoarder_flagged_under_order17_with_base_rates(flags):
    fs = _by(flags, code="T1")
    hoarded = {f.number for f in fs if f.number.startswith("H21-")}
    assert len(hoarded) == 60
    f = next(f for f in fs if f.number == "H21-00")
    assert f.legal_basis.startswith(SAMR) and f.legal_basis.endswith("Art. 8(1)")
    ev = f.evidence
    assert ev["marks_filed"] == 60 and ev["classes_covered"] == 30 and len(ev["classes_outside_industry"]) >= 29
    assert ev["applicant"] == ["张某某"] and "p95_marks_per_applicant" in ev["base_rate"]
    assert ev["base_rate"]["applicant_groups"] > 80  # computed over the register's applicants
    assert "H21-01" in ev["other_numbers"]


def test_2018_filing_is_not_judged_under_order17(flags):
    fs = _by(flags, code="T1")
    f = next(f for f in fs if f.number == "H18-00")
    assert f.legal_basis == f"{LAW13}, Art. 44(1)" and SAMR not in f.legal_basis
    assert not _by(flags, "H18-00", "T2") and not _by(flags, "H18-00", "T3")  # no such factor before Order 17


def test_famous_mark_copy_same_goods_and_translation_across_classes(flags):
    t4 = _by(flags, "F1", "T4")
    assert len(t4) == 1 and t4[0].legal_basis.endswith("Art. 8(4)")
    ev = t4[0].evidence
    assert ev["earlier_mark"]["names"] == ["星巴克", "Starbucks"] and 30 in ev["shared_classes"]
    assert ev["reasons"] and ev["reasons"][0]["code"].startswith("tmg2021-")
    t6 = _by(flags, "F2", "T6")
    assert len(t6) == 1 and t6[0].legal_basis == f"{LAW19}, Art. 13"
    assert t6[0].evidence["across_classes"] is True and not _by(flags, "F2", "T4")
    assert not _by(flags, "F4")  # the owner's own filing (neither a copy nor T8 against the namesake P9)


def test_company_short_name(flags):
    t5 = _by(flags, "F3", "T5")
    assert len(t5) == 1 and t5[0].legal_basis.endswith("Art. 8(5)")
    assert t5[0].evidence["company"]["fullname"] == "珠海格力电器股份有限公司"


def test_agency_outside_class_45_and_agent_squatting(flags):
    t7 = _by(flags, "A1", "T7")
    assert len(t7) == 1 and t7[0].legal_basis == f"{LAW19}, Art. 19(4)"
    assert t7[0].evidence["agency"]["agent_on"] == 2 and t7[0].evidence["classes_outside_agency_services"] == [29]
    assert not _by(flags, "A2")  # class 45: its own agency services
    t8 = _by(flags, "A1", "T8")
    assert len(t8) == 1 and t8[0].legal_basis == f"{LAW19}, Art. 15(1)"
    ev = t8[0].evidence
    assert ev["earlier_mark"]["number"] == "C1" and ev["relation"] == "agent on this mark"
    assert ev["principal"] == ["浙江蓝海湾食品有限公司"] and ev["identical"]


def test_earlier_bad_faith_finding(flags):
    t3 = _by(flags, "B2", "T3")
    assert len(t3) == 1 and t3[0].legal_basis.endswith("Art. 8(3)")
    (found,) = t3[0].evidence["earlier_findings"]  # one per earlier mark: its strongest event
    assert found["number"] == "B1" and "Art. 4" in found["details"]["ground"]
    assert not _by(flags, "B1", "T3")  # the finding is not earlier than itself


def test_plain_filing_and_real_register_stay_quiet(flags):
    assert not _by(flags, "N1")
    real = [f for f in flags[0] if not f.number[0].isalpha()]
    # 174 real New Zealand filings (opposed ones, so not all innocent): at most a few flags, each explained
    assert len({f.number for f in real}) <= 3, [(f.number, f.behaviour, f.evidence.get("mark")) for f in real]
    one_nz = [f for f in real if f.behaviour == "T1"]
    assert not one_nz  # One New Zealand Group: 50+ marks, all within a telecom's classes


def test_flag_json_contract(flags):
    d = _by(flags, "F1", "T4")[0].to_json()
    assert {"number", "behaviour", "score", "legal_basis", "evidence"} <= set(d)
    assert d["kind"] == "trademark" and 0.78 <= d["score"] <= 1.0


def _t46(flags, number):
    return _by(flags, number, "T4") + _by(flags, number, "T6")


def test_famous_copy_every_factor_in_the_evidence(flags):
    (fl,) = _by(flags, "F1", "T4")
    fac = fl.evidence["factors"]
    assert set(fac) == {"closeness", "distinctiveness", "goods", "reputation", "applicant_pattern"}
    assert fac["closeness"]["kind"] == "look-alike characters"  # STARBUCK5
    assert fac["distinctiveness"]["level"] == "invented" and fac["goods"]["kind"] == "same or similar goods"
    assert all(v["source"] for v in fac.values()) and "Art. 13" in fac["goods"]["source"]
    assert "closeness * distinctiveness * goods" in fl.evidence["score_formula"]


def test_applicant_pattern_tips_a_weaker_copy(flags):
    fl = _t46(flags, "P3")
    assert fl, "Corsairfly by a filer who also copied 星巴克 and SIEMENS"
    pat = fl[0].evidence["factors"]["applicant_pattern"]
    assert set(pat["other_reputed_marks_copied"]) == {"P1", "P2"} and pat["value"] > 0
    assert fl[0].evidence["factors"]["closeness"]["kind"] == "name inside a longer mark"
    assert not _t46(flags, "P4")  # the same mark by a filer with no such pattern


def test_short_word_one_letter_from_a_famous_name_is_not_a_copy(flags):
    assert not _t46(flags, "P5")  # NICO / Nicon (brand7's spelling of Nikon)


def test_close_copy_in_unrelated_goods_is_t6_only(flags):
    (fl,) = _by(flags, "P6", "T6")
    assert fl.evidence["across_classes"] is True and not _by(flags, "P6", "T4")
    assert fl.evidence["factors"]["goods"]["kind"].startswith("different goods, a close copy")


def test_dictionary_word_protected_only_against_identical_or_lookalike(flags):
    assert _t46(flags, "P7")  # METR0: look-alike digit
    assert not _t46(flags, "P8")  # METRA: a letter changed in a dictionary word
