"""The time-limit rules file: it loads, it cites the law as written, and a bad file is refused by entry."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from ipoffice.rules.loader import DEFAULT_PATH, RulesError, load_rules, parse
from ipoffice.rules.schema import EVENTS, KINDS, cn_number

# ---- the shipped file -------------------------------------------------------------------------


def test_shipped_rules_load():
    rs = load_rules()
    assert load_rules() is rs, "parsed once"
    kinds = {r.kind for r in rs.time_limits}
    for k in (
        "exam-request",
        "priority",
        "reexamination",
        "restoration",
        "opposition",
        "renewal",
        "renewal-grace",
        "term-end",
        "publication",
        "office-action",
        "grant-registration",
        "annuity-grace",
        "priority-document",
    ):
        assert k in kinds, k
    assert {r.trigger for r in rs.time_limits} == set(EVENTS), "every event starts some time limit"
    assert all(r.kind in KINDS for r in rs.time_limits)
    office = [r for r in rs.time_limits if r.party == "office"]
    assert {r.kind for r in office} == {"publication", "examination"}


def test_2010_and_2023_implementing_rules_are_separate_dated_entries():
    rs = load_rules()
    ids = {r.id for r in [*rs.time_limits, *rs.service, *rs.counting]}
    for pair in (
        ("service/patent/mail/ir2010", "service/patent/mail/ir2023"),
        ("service/patent/electronic/eo57", "service/patent/electronic/ir2023"),
        ("restoration/notice/ir2010", "restoration/notice/ir2023"),
        ("grant-registration/ir2010", "grant-registration/ir2023"),
        ("annuity-grace/ir2010", "annuity-grace/ir2023"),
        ("counting/patent/ir2010", "counting/patent/ir2023"),
    ):
        assert set(pair) <= ids
    by_id = {e.id: e for e in [*rs.time_limits, *rs.service, *rs.counting]}
    assert by_id["grant-registration/ir2010"].legal_basis.article == 54
    assert by_id["grant-registration/ir2023"].legal_basis.article == 60
    assert by_id["annuity-grace/ir2023"].legal_basis.article == 115
    assert by_id["service/patent/electronic/ir2023"].days == 0
    assert by_id["counting/patent/ir2010"].effective_to == dt.date(2024, 1, 19)


def test_citation_format():
    assert [cn_number(n) for n in (1, 10, 12, 35, 40, 100, 105, 110, 115)] == [
        "一",
        "十",
        "十二",
        "三十五",
        "四十",
        "一百",
        "一百零五",
        "一百一十",
        "一百一十五",
    ]
    rs = load_rules()
    r = next(x for x in rs.time_limits if x.id == "exam-request/pl2020-ir2023")
    assert r.legal_basis.cite(rs.instruments) == "专利法(2020) 第三十五条第一款 / Patent Law (2020) Art. 35(1)"


# ---- every excerpt is in the cited article and paragraph of the text held -------------------------

_CN = {c: i for i, c in enumerate("零一二三四五六七八九")}
_ITEM = re.compile(r"^[（(]([一二三四五六七八九十]+)[)）]")


def _cn2int(s: str) -> int:
    n, cur = 0, 0
    for ch in s:
        if ch == "百":
            n, cur = n + (cur or 1) * 100, 0
        elif ch == "十":
            n, cur = n + (cur or 1) * 10, 0
        else:
            cur = _CN[ch]
    return n + cur


def _articles(path: Path) -> dict[int, list[list]]:
    """{article: [[paragraph text, [items]], ...]} from the law texts' Markdown."""
    arts: dict[int, list[list]] = {}
    cur = None
    body = path.read_text(encoding="utf-8").split("\n---\n", 1)[-1]
    for line in body.splitlines():
        line = line.strip()
        m = re.match(r"^第([一二三四五六七八九十百零]+)条\s*(.*)", line)
        if m:
            cur = _cn2int(m.group(1))
            arts[cur] = [[m.group(2), []]]
        elif cur and line and not line.startswith(("#", "<!--", "|")):
            if _ITEM.match(line):
                arts[cur][-1][1].append(line)
            else:
                arts[cur].append([line, []])
    return arts


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).replace("(", "（").replace(")", "）")


def test_excerpts_match_the_law_texts(shared_data):
    rs = load_rules()
    law = shared_data / "law"
    texts = {k: _articles(law / i.source) for k, i in rs.instruments.items() if i.source}
    assert set(texts) == {"PL2020", "IR2010", "IR2023", "TL2019", "TR2014"}
    checked, problems = 0, []
    for e in [*rs.time_limits, *rs.service, *rs.counting]:
        cites = e.citations() + (e.extension.legal_basis if getattr(e, "extension", None) else [])
        for c in cites:
            if c.instrument not in texts:
                continue
            art = texts[c.instrument].get(c.article)
            if art is None:
                problems.append(f"{e.id}: {c.instrument} has no article {c.article}")
                continue
            if c.paragraph is None:
                where = " ".join(p + " ".join(items) for p, items in art)
            elif c.paragraph > len(art):
                problems.append(f"{e.id}: {c.instrument} Art. {c.article} has no paragraph {c.paragraph}")
                continue
            else:
                para, items = art[c.paragraph - 1]
                where = items[c.item - 1] if c.item else para + "".join(items)
            if _norm(c.text) not in _norm(where):
                problems.append(f"{e.id}: {c.instrument} Art. {c.article}({c.paragraph}) does not say {c.text!r}")
            checked += 1
    assert not problems, "\n".join(problems)
    assert checked > 80


# ---- bad files are refused, naming the entry ------------------------------------------------------


def _minimal() -> dict:
    basis = {"instrument": "PL2020", "article": 35, "paragraph": 1, "text": "发明专利申请自申请日起三年内"}
    return {
        "schema_version": 1,
        "instruments": {
            "PL2020": {"zh": "专利法(2020)", "en": "Patent Law (2020)", "in_force_from": "2021-06-01"},
            "IR2023": {"zh": "专利法实施细则(2023)", "en": "IR (2023)", "in_force_from": "2024-01-20"},
        },
        "time_limits": [
            {
                "id": "exam-request/a",
                "kind": "exam-request",
                "rights": ["invention"],
                "trigger": "filing",
                "period": {"years": 3},
                "base": "priority",
                "party": "applicant",
                "consequence": "deemed-withdrawn",
                "extendable": False,
                "legal_basis": basis,
                "effective_from": "2021-06-01",
                "effective_to": "2024-01-19",
            }
        ],
    }


def _second(doc: dict, **changes) -> dict:
    e = copy.deepcopy(doc["time_limits"][0])
    e.update({"id": "exam-request/b", "effective_from": "2024-01-20", "effective_to": None})
    e.update(changes)
    doc["time_limits"].append(e)
    return doc


def _refused(tmp_path: Path, doc: dict) -> str:
    p = tmp_path / "rules.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesError) as exc:
        parse(p)
    return str(exc.value)


def test_minimal_file_loads(tmp_path):
    p = tmp_path / "rules.yaml"
    p.write_text(yaml.safe_dump(_second(_minimal()), allow_unicode=True), encoding="utf-8")
    rs = parse(p)
    assert [r.id for r in rs.time_limits] == ["exam-request/a", "exam-request/b"]


def test_refuses_overlapping_dates(tmp_path):
    msg = _refused(tmp_path, _second(_minimal(), effective_from="2023-06-01"))
    assert "'exam-request/b'" in msg and "overlapping entry 'exam-request/a'" in msg and "invention" in msg


def test_overlap_is_per_right_and_variant(tmp_path):
    p = tmp_path / "rules.yaml"
    ok = _second(_minimal(), effective_from="2023-06-01", rights=["utility"])
    ok["time_limits"][1]["kind"] = "exam-request"
    ok["time_limits"][1]["trigger"] = "filing"
    p.write_text(yaml.safe_dump(ok, allow_unicode=True), encoding="utf-8")
    parse(p)  # another right: no overlap
    ok = _second(_minimal(), effective_from="2023-06-01", variant="outer-limit")
    p.write_text(yaml.safe_dump(ok, allow_unicode=True), encoding="utf-8")
    parse(p)  # a declared second limit of the same kind: no overlap


def test_refuses_bad_date_range(tmp_path):
    doc = _minimal()
    doc["time_limits"][0]["effective_to"] = "2021-05-01"
    msg = _refused(tmp_path, doc)
    assert "'exam-request/a'" in msg and "bad date range" in msg


def test_refuses_missing_legal_basis(tmp_path):
    doc = _minimal()
    del doc["time_limits"][0]["legal_basis"]
    msg = _refused(tmp_path, doc)
    assert "'exam-request/a'" in msg and "missing legal basis" in msg


def test_refuses_unknown_event(tmp_path):
    msg = _refused(tmp_path, _second(_minimal(), trigger="examination-started"))
    assert "'exam-request/b'" in msg and "unknown event 'examination-started'" in msg


def test_refuses_unknown_field_right_kind_and_consequence(tmp_path):
    assert "unknown field 'perod'" in _refused(tmp_path, _second(_minimal(), perod={"years": 3}))
    assert "'exam-request/b'" in _refused(tmp_path, _second(_minimal(), rights=["plant-variety"]))
    assert "unknown kind 'exam'" in _refused(tmp_path, _second(_minimal(), kind="exam"))
    assert "unknown consequence" in _refused(tmp_path, _second(_minimal(), consequence="lost"))


def test_refuses_incoherent_entries(tmp_path):
    msg = _refused(tmp_path, _second(_minimal(), trigger="refusal", rights=["trademark"]))
    assert "'exam-request/b'" in msg and "event 'refusal' does not occur for trademark" in msg
    assert "`after`" in _refused(tmp_path, _second(_minimal(), base="previous"))
    assert "needs a notification" in _refused(tmp_path, _second(_minimal(), base="receipt"))
    assert "extension" in _refused(tmp_path, _second(_minimal(), extendable=True))
    assert "no consequence" in _refused(tmp_path, _second(_minimal(), consequence=None))


def test_refuses_duplicate_id_unknown_instrument_and_law_not_in_force(tmp_path):
    assert "id already used" in _refused(tmp_path, _second(_minimal(), id="exam-request/a"))
    lb = {"instrument": "PL1984", "article": 35, "text": "发明专利申请自申请日起三年内"}
    assert "unknown instrument 'PL1984'" in _refused(tmp_path, _second(_minimal(), legal_basis=lb))
    msg = _refused(tmp_path, _second(_minimal(), effective_from="2020-01-01", effective_to="2021-05-31"))
    assert "'exam-request/b'" in msg and "cites PL2020" in msg


def test_refuses_a_following_period_that_follows_nothing(tmp_path):
    msg = _refused(tmp_path, _second(_minimal(), kind="restoration", base="previous", after="reexamination"))
    assert "'exam-request/b'" in msg and "names no reexamination rule" in msg


def test_reports_every_bad_entry_at_once(tmp_path):
    doc = _second(_minimal(), trigger="nope")
    doc["time_limits"][0]["effective_to"] = "2020-01-01"
    msg = _refused(tmp_path, doc)
    assert "'exam-request/a'" in msg and "'exam-request/b'" in msg


def test_refuses_unknown_section_and_bad_yaml(tmp_path):
    doc = _minimal()
    doc["deadlines"] = []
    assert "unknown section 'deadlines'" in _refused(tmp_path, doc)
    p = tmp_path / "bad.yaml"
    p.write_text("time_limits: [\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid YAML"):
        parse(p)


def test_a_folder_of_files_is_merged(tmp_path):
    folder = tmp_path / "time_limits"
    folder.mkdir()
    doc = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    patents = {**doc, "time_limits": [r for r in doc["time_limits"] if "trademark" not in r["rights"]]}
    marks = {
        "schema_version": 1,
        "time_limits": [r for r in doc["time_limits"] if "trademark" in r["rights"]],
    }
    (folder / "patents.yaml").write_text(yaml.safe_dump(patents, allow_unicode=True), encoding="utf-8")
    (folder / "trademarks.yaml").write_text(yaml.safe_dump(marks, allow_unicode=True), encoding="utf-8")
    rs = parse(folder)
    assert len(rs.time_limits) == len(load_rules().time_limits)
