"""The similarity rules as dated data: the file loads, a bad file is refused naming the entry, and every worked
example of the guideline (下编第五章) is pinned -- none of them may come out wrong."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from ipoffice.trademarks.rules import DEFAULT_PATH, ENGINE_CODES, RulesError, load_rules, parse_rules
from ipoffice.trademarks.similarity import compare

RULES = load_rules()
EXAMPLES = [(r.code, ex) for r in RULES.rules for ex in r.examples]


def test_file_loads_with_instrument_and_dates():
    assert RULES.instrument.id == "tmg2021"
    assert RULES.instrument.effective_from == dt.date(2022, 1, 1)
    assert "商标法(2019) 第三十条" in RULES.instrument.basis
    assert {r.code for r in RULES.rules} >= ENGINE_CODES
    assert len(EXAMPLES) >= 100


def test_every_rule_but_the_goods_rule_has_an_example():
    missing = [r.code for r in RULES.rules if not r.examples and r.code != "tmg2021-5.2"]
    assert not missing


@pytest.mark.parametrize(("code", "ex"), EXAMPLES, ids=[f"{c}:{e.a}|{e.b}" for c, e in EXAMPLES])
def test_worked_example(code, ex):
    res = compare(ex.a, ex.b, on=dt.date(2023, 6, 1))
    if ex.expect == "not_similar":
        assert not res.similar, res.to_dict()
    else:
        assert res.similar, res.to_dict()
        if ex.expect == "identical":
            assert res.identical
    # the reasons name rules of the file, and a similar call names its deciding rule
    assert all(r.code in {x.code for x in RULES.rules} for r in res.reasons)
    assert res.reasons


def test_example_reasons_name_their_own_rule_for_most_examples():
    hits = 0
    for code, ex in EXAMPLES:
        res = compare(ex.a, ex.b, on=dt.date(2023, 6, 1))
        hits += code in {r.code for r in res.reasons}
    assert hits / len(EXAMPLES) >= 0.8


def test_no_rules_before_the_guideline_took_effect():
    with pytest.raises(RulesError, match="no trademark similarity rules in force on 2021-12-31"):
        compare("华为", "华为", on=dt.date(2021, 12, 31))


def _write(tmp_path: Path, doc: dict) -> Path:
    p = tmp_path / "tm.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return p


def _doc() -> dict:
    return yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))


def test_bad_field_is_refused_naming_the_rule(tmp_path):
    doc = _doc()
    doc["rules"][3]["colour"] = "red"
    code = doc["rules"][3]["code"]
    with pytest.raises(RulesError, match=rf"rule '{code}': unknown field 'colour'"):
        parse_rules(_write(tmp_path, doc))


def test_bad_dates_are_refused(tmp_path):
    doc = _doc()
    doc["rules"][5]["effective_to"] = "2020-01-01"
    with pytest.raises(RulesError, match="effective_to 2020-01-01 is before effective_from"):
        parse_rules(_write(tmp_path, doc))


def test_unknown_defeated_code_and_missing_engine_code_are_refused(tmp_path):
    doc = _doc()
    exc = next(r for r in doc["rules"] if r["code"] == "tmg2021-5.5.1.7-exc")
    exc["defeats"] = ["tmg2021-9.9"]
    with pytest.raises(RulesError, match="defeats unknown rule 'tmg2021-9.9'"):
        parse_rules(_write(tmp_path, doc))
    doc = _doc()
    doc["rules"] = [r for r in doc["rules"] if r["code"] != "tmg2021-5.5.1.10"]
    with pytest.raises(RulesError, match="rule 'tmg2021-5.5.1.10' missing"):
        parse_rules(_write(tmp_path, doc))


def test_bad_code_verdict_and_score_are_refused(tmp_path):
    doc = _doc()
    doc["rules"][2]["code"] = "guideline 5.1.1"
    doc["rules"][4]["verdict"] = "maybe"
    doc["rules"][6]["score"] = 1.5
    with pytest.raises(RulesError) as err:
        parse_rules(_write(tmp_path, doc))
    msg = str(err.value)
    assert "is not of the form" in msg and "verdict" in msg and "score" in msg


def test_a_rule_out_of_force_is_not_applied(tmp_path):
    doc = _doc()
    for r in doc["rules"]:
        if r["code"] == "tmg2021-5.5.1.7":
            r["effective_to"] = "2023-12-31"
    rs = parse_rules(_write(tmp_path, doc))
    before = compare("熊猫老爸", "熊猫爸爸", on=dt.date(2023, 6, 1), rules=rs)
    after = compare("心至必达", "心之必达", on=dt.date(2024, 6, 1), rules=rs)
    assert "tmg2021-5.5.1.7" in {r.code for r in before.reasons}
    assert "tmg2021-5.5.1.7" not in {r.code for r in after.reasons}


def test_not_yaml_is_refused(tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text("rules: [unclosed", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        parse_rules(p)
