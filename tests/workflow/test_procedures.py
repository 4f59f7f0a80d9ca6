"""Procedures as data: the bundled files load, each rule is pinned to an example, every cited
article exists in the official text, and a bad file is refused naming the entry."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from ipoffice.workflow.procedures import (
    DATA_DIR,
    NoProcedure,
    ProcedureError,
    default_procedures,
    load_procedures,
    parse_citation,
    procedure_for,
)

D = dt.date


def test_bundled_procedures_load_with_dated_versions():
    procs = default_procedures()
    keys = {v.key for v in procs.versions()}
    assert {"invention/v2010", "invention/v2024", "utility/v2010", "utility/v2024"} <= keys
    assert {"design/v2010", "design/v2024", "trademark/v2019"} <= keys
    for right in ("invention", "utility", "design", "trademark"):
        assert procedure_for(right, D(2025, 6, 1)).right == right


@pytest.mark.parametrize(
    ("right", "filed", "version"),
    [
        ("invention", D(2010, 2, 1), "v2010"),
        ("invention", D(2024, 1, 19), "v2010"),  # last day of the 2010 Implementing Rules
        ("invention", D(2024, 1, 20), "v2024"),  # first day of the 2023 Implementing Rules
        ("utility", D(2021, 6, 1), "v2010"),
        ("design", D(2024, 3, 1), "v2024"),
        ("trademark", D(2019, 11, 1), "v2019"),
    ],
)
def test_version_in_force_on_the_filing_date(right, filed, version):
    assert procedure_for(right, filed).version == version


@pytest.mark.parametrize(("right", "filed"), [("invention", D(2010, 1, 31)), ("trademark", D(2019, 10, 31))])
def test_no_version_before_the_first_one(right, filed):
    with pytest.raises(NoProcedure, match=f"no {right} procedure in force on {filed}"):
        procedure_for(right, filed)


def test_2023_rules_add_delayed_examination_and_open_licence_and_renumber():
    old, new = procedure_for("invention", D(2023, 1, 1)), procedure_for("invention", D(2024, 6, 1))
    assert "request-delayed-examination" not in old.events()
    assert new.transition("request-delayed-examination", "published").legal_basis == [
        "专利法实施细则(2023) 第五十六条第二款"
    ]
    assert "declare-open-licence" not in old.events()
    assert "专利法(2020) 第五十条第一款" in new.transition("declare-open-licence", "granted").legal_basis
    # inherited steps cite the 2023 article numbers through the concordance
    assert (
        old.transition("grant-notice", "substantive-examination").legal_basis[1]
        == "专利法实施细则(2010) 第五十四条第一款"
    )
    assert (
        new.transition("grant-notice", "substantive-examination").legal_basis[1]
        == "专利法实施细则(2023) 第六十条第一款"
    )
    assert new.transition("restore", "deemed-withdrawn").legal_basis == ["专利法实施细则(2023) 第六条第二款"]
    for v in (procedure_for(r, D(2024, 6, 1)) for r in ("invention", "utility", "design")):
        assert not [c for tr in v.transitions for c in tr.legal_basis if "(2010)" in c], v.key
    # utility models and designs need an evaluation report before an open licence (Patent Law Art. 50(1))
    tr = procedure_for("utility", D(2024, 6, 1)).transition("declare-open-licence", "granted")
    assert tr.conditions[0].occurred == "request-evaluation-report"


def test_rules_pinned_to_their_articles():
    inv = procedure_for("invention", D(2021, 3, 1))
    # Art. 35(1): the request meets the exam-request limit; examination needs it
    req = inv.transition("request-examination", "filed")
    assert req.satisfies == ["exam-request"] and req.to == "$same"
    assert "专利法(2020) 第三十五条第一款" in req.legal_basis
    start = inv.transition("start-substantive-examination", "published")
    assert start.conditions[0].occurred == "request-examination"
    # Art. 38: no refusal before the applicant was heard
    refuse = inv.transition("refuse", "substantive-examination")
    assert refuse.conditions[0].occurred == "office-action" and refuse.starts == ["refusal"]
    assert refuse.legal_basis[0] == "专利法(2020) 第三十八条"
    # Art. 37: an office action starts the response limit; missing it is deemed withdrawal
    assert inv.transition("office-action", "substantive-examination").starts == ["office-action"]
    assert inv.lapse_events("office-action", "office-action-later", "deemed-withdrawn") == ["deem-withdrawn"]
    assert inv.lapse_events("exam-request", "filing", "deemed-withdrawn") == ["deem-withdrawn"]
    # Art. 41: reexamination within the refusal's time limit
    assert inv.transition("request-reexamination", "refused").satisfies_started_by == ["refusal"]
    # Art. 32: withdrawal any time before grant, not after
    assert inv.transition("withdraw", "grant-notified") is not None
    assert inv.transition("withdraw", "granted") is None
    # terminal states allow nothing
    assert inv.allowed_events("invalidated") == [] and inv.states["invalidated"].terminal
    tm = procedure_for("trademark", D(2022, 1, 1))
    assert tm.transition("publish-preliminary-approval", "examination").starts == ["tm-publication"]
    assert tm.transition("register", "opposition-period").conditions[0].after_deadline == "opposition"
    assert tm.transition("refuse", "examination").starts == ["tm-refusal"]
    assert tm.transition("renew", "registered").satisfies == ["renewal", "renewal-grace"]
    assert tm.lapse_events("renewal-grace", "tm-registration", None) == ["cancel-registration"]
    assert tm.lapse_events("opposition", "tm-publication", "opposition-closed") == ["register"]


def test_every_version_is_a_connected_state_machine():
    for v in default_procedures().versions():
        assert v.opening.to == v.initial
        for name, st in v.states.items():
            if st.terminal:
                assert v.allowed_events(name) == [], (v.key, name)
            else:
                assert v.allowed_events(name), f"{v.key}: dead end {name}"


# ---------------------------------------------------------------- citations against the law texts

_NUM = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _cn_int(s: str) -> int:
    if "十" not in s:
        return _NUM[s]
    tens, _, ones = s.partition("十")
    return (_NUM[tens] if tens else 1) * 10 + (_NUM[ones] if ones else 0)


def _paragraphs(law_text: str, article: str) -> list[str]:
    """Paragraphs (款) of an article; numbered items (项) belong to the paragraph before them."""
    lines = law_text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(article + " ")), None)
    assert start is not None, f"{article} not found"
    paras = [lines[start][len(article) + 1 :]]
    for line in lines[start + 1 :]:
        if not line.strip():
            continue
        if re.match(r"^(第[一二三四五六七八九十百零]+条 |#)", line):
            break
        if re.match(r"^[（(][一二三四五六七八九十]+[）)]", line):
            paras[-1] += line
        else:
            paras.append(line)
    return paras


def test_every_cited_article_and_paragraph_exists_in_the_official_text(shared_data: Path):
    procs = default_procedures()
    texts = {
        name: (shared_data / "law" / inst.law_file).read_text(encoding="utf-8")
        for name, inst in procs.law.instruments.items()
        if inst.law_file
    }
    checked = 0
    for v in procs.versions():
        for tr in v.transitions:
            for c in tr.legal_basis:
                parts = parse_citation(c)
                assert parts, c
                paras = _paragraphs(texts[parts["instrument"]], parts["article"])
                if parts["paragraph"]:
                    n = _cn_int(parts["paragraph"][1:-1])
                    assert n <= len(paras), f"{v.key} {tr.event}: {c}: the article has {len(paras)} paragraph(s)"
                checked += 1
    assert checked > 300


def test_concordance_maps_articles_with_the_same_subject(shared_data: Path):
    law = default_procedures().law
    conc = law.concordances["ir-2010-2023"]
    old = (shared_data / "law" / "patent-implementing-rules-2010.md").read_text(encoding="utf-8")
    new = (shared_data / "law" / "patent-implementing-rules-2023.md").read_text(encoding="utf-8")
    for a, b in conc.articles.items():
        # the same opening words (the subject), once the Patent Reexamination Board's name is
        # replaced by CNIPA's (the 2023 text merged it into the office)
        p_old = _paragraphs(old, a)[0].replace("专利复审委员会", "国务院专利行政部门")
        p_new = _paragraphs(new, b)[0]
        assert p_old[:12] == p_new[:12], (a, b, p_old[:12], p_new[:12])


# ---------------------------------------------------------------- the loader refuses bad files

MINI = """\
procedure: mini
right: utility
title: mini
role_groups:
  office: [examiner, administrator]
versions:
  - version: v1
    effective_from: 2010-02-01
    effective_to: 2024-01-19
    instruments: [专利法(2020), 专利法实施细则(2010)]
    initial: filed
    states:
      filed: {label: 已受理}
      exam: {label: 审查中}
      done: {label: 结案, open: false, terminal: true}
    transitions:
      - {event: file, label: 受, from: [], to: filed, roles: [office], legal_basis: ["专利法(2020) 第二十八条"]}
      - {event: examine, label: 审, from: [filed], to: exam, roles: [office], legal_basis: ["专利法(2020) 第四十条"]}
      - {event: close, label: 结, from: [exam], to: done, roles: [office], legal_basis: ["专利法(2020) 第四十条"]}
"""


def _folder(tmp_path: Path, text: str) -> Path:
    shutil.copy(DATA_DIR / "_law.yaml", tmp_path / "_law.yaml")
    (tmp_path / "mini.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def test_mini_procedure_loads(tmp_path):
    procs = load_procedures(_folder(tmp_path, MINI))
    assert procs.for_case("utility", D(2015, 1, 1)).allowed_events("filed") == ["examine"]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "from: [filed], to: exam",
            "from: [filed], to: nowhere",
            r"mini.yaml: procedure mini version v1: transition #2 'examine': unknown state 'nowhere'",
        ),
        ("from: [exam], to: done", "from: [nowhere], to: done", r"transition #3 'close': unknown state 'nowhere'"),
        (
            "      done: {label: 结案, open: false, terminal: true}\n",
            "      done: {label: 结案, open: false, terminal: true}\n      limbo: {label: 无人到达}\n",
            r"version v1: state\(s\) 'limbo' unreachable from 'filed'",
        ),
        (
            "from: [exam], to: done",
            "from: [exam, done], to: done",
            r"transition #3 'close': leaves terminal state 'done'",
        ),
        (
            'to: done, roles: [office], legal_basis: ["专利法(2020) 第四十条"]',
            "to: done, roles: [office], legal_basis: []",
            r"transition #3 'close': missing legal basis",
        ),
        (
            'to: done, roles: [office], legal_basis: ["专利法(2020) 第四十条"]',
            "to: done, roles: [office]",
            r"transition #3 'close': missing legal basis",
        ),
        (
            '["专利法(2020) 第四十条"]}\n      - {event: close',
            '["专利法实施细则(2023) 第五十条"]}\n      - {event: close',
            r"transition #2 'examine': legal basis '专利法实施细则\(2023\) 第五十条': "
            r"专利法实施细则\(2023\) is not among",
        ),
        (
            '["专利法(2020) 第四十条"]}\n      - {event: close',
            '["专利法 40"]}\n      - {event: close',
            r"transition #2 'examine': legal basis '专利法 40' is not of the form",
        ),
        (
            '["专利法(2020) 第四十条"]}\n      - {event: close',
            '["商标法(2019) 第三十条"]}\n      - {event: close',
            r"transition #2 'examine': legal basis '商标法\(2019\) 第三十条': 商标法\(2019\) is not among",
        ),
        (
            'roles: [office], legal_basis: ["专利法(2020) 第二十八条"]',
            'roles: [clerk], legal_basis: ["专利法(2020) 第二十八条"]',
            r"transition #1 'file': unknown role 'clerk'",
        ),
        (
            "event: close, label: 结, from: [exam]",
            "event: examine, label: 结, from: [filed]",
            r"event 'examine' is ambiguous from state\(s\) \['filed'\]",
        ),
        (
            "event: close, label: 结,",
            "event: close, label: 结, frm: [x],",
            r"version v1 transition #3 'close' field frm",
        ),
    ],
)
def test_loader_refuses_a_bad_file_naming_the_entry(tmp_path, old, new, message):
    assert old in MINI, old
    with pytest.raises(ProcedureError, match=message):
        load_procedures(_folder(tmp_path, MINI.replace(old, new)))


def test_loader_refuses_overlapping_versions(tmp_path):
    text = MINI + textwrap.indent(
        textwrap.dedent(
            """\
            - version: v2
              effective_from: 2024-01-01
              extends: v1
              instruments: [专利法(2020)]
            """
        ),
        "  ",
    )
    with pytest.raises(ProcedureError, match=r"versions v1 \(2010-02-01..2024-01-19\) and v2 \(2024-01-01..\) overlap"):
        load_procedures(_folder(tmp_path, text))


def test_loader_refuses_an_instrument_not_in_force_during_the_version(tmp_path):
    text = MINI.replace(
        "effective_from: 2010-02-01\n    effective_to: 2024-01-19", "effective_from: 2025-01-01\n    effective_to: null"
    )
    text = text.replace(
        "instruments: [专利法(2020), 专利法实施细则(2010)]", "instruments: [专利法(2020), 专利法实施细则(2010)]"
    )
    text = text.replace(
        'to: done, roles: [office], legal_basis: ["专利法(2020) 第四十条"]',
        'to: done, roles: [office], legal_basis: ["专利法实施细则(2010) 第四十四条"]',
    )
    with pytest.raises(
        ProcedureError, match=r"'close': legal basis '专利法实施细则\(2010\) 第四十四条': .* is not in force"
    ):
        load_procedures(_folder(tmp_path, text))


def test_an_extending_version_needs_its_citations_mapped(tmp_path):
    text = MINI.replace(
        'legal_basis: ["专利法(2020) 第四十条"]}\n      - {event: close',
        'legal_basis: ["专利法实施细则(2010) 第九十九条"]}\n      - {event: close',
    )
    text += textwrap.indent(
        textwrap.dedent(
            """\
            - version: v2
              effective_from: 2024-01-20
              extends: v1
              concordance: ir-2010-2023
              instruments: [专利法(2020), 专利法实施细则(2023)]
            """
        ),
        "  ",
    )
    with pytest.raises(
        ProcedureError,
        match=r"version v2: inherited transition 'examine' cites '专利法实施细则\(2010\) 第九十九条', "
        r"which concordance",
    ):
        load_procedures(_folder(tmp_path, text))
