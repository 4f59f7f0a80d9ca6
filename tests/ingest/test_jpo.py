"""JPO gazette XML (`jp-official-gazette`), on real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ipoffice.core.model import PatentRecord, RecordError
from ipoffice.ingest import jpo
from ipoffice.ingest.base import read_head

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "patents"
JP = DATA / "jp" / "jpo-gazette-xml"

pytestmark = pytest.mark.skipif(not JP.is_dir(), reason="shared patent data not available")


def one(path: Path) -> PatentRecord:
    items = list(jpo.parse_jpo(path))
    assert len(items) == 1, [str(i) for i in items]
    assert isinstance(items[0], PatentRecord), str(items[0])
    return items[0]


def test_every_file_parses_without_errors():
    n = 0
    for path in sorted(JP.glob("*.xml")):
        assert jpo.FORMAT.sniff(read_head(path), path), path
        for item in jpo.parse_jpo(path):
            assert not isinstance(item, RecordError), str(item)
            n += 1
    assert n == 5


def test_published_application():
    rec = one(JP / "jp_example1.xml")  # no XML declaration
    assert (rec.country, rec.number, rec.kind, rec.stage) == ("JP", "2021044377", "A", "application")
    assert rec.source_format == "jpo-official-gazette-v1.0"
    assert rec.language == "ja"
    assert rec.titles == {"ja": "ウェーハの加工方法"}
    assert rec.publication_date == dt.date(2021, 3, 18)
    assert (rec.application_number, rec.application_date) == ("2019165329", dt.date(2019, 9, 11))
    assert rec.abstracts["ja"].startswith("【課題】品質を低下させることなくデバイスチップを形成する。")
    assert len(rec.claims["ja"]) == 6
    assert rec.claims["ja"][1].endswith("請求項１記載のウェーハの加工方法。")
    assert rec.descriptions["ja"].startswith("本発明は、複数のデバイスが分割予定ラインによって")

    ipc = [c for c in rec.classifications if c.scheme == "ipc"]
    assert [(c.symbol, c.main) for c in ipc] == [
        ("H01L 21/301", True),
        ("H01L 21/67", False),
        ("H01L 21/683", False),
        ("B23K 26/53", False),
    ]
    fi = [c for c in rec.classifications if c.scheme == "fi"]
    assert (fi[0].symbol, fi[0].main) == ("H01L 21/78 M", True)
    assert "B23K 26/53" in [c.symbol for c in fi]
    fterm = [c.symbol for c in rec.classifications if c.scheme == "fterm"]
    assert fterm[0] == "4E168AE01" and len(fterm) == 69

    (applicant,) = [p for p in rec.parties if p.role == "applicant"]
    assert (applicant.name, applicant.kind) == ("株式会社ディスコ", "organization")
    assert applicant.identifiers == {"jpo_id": "000134051"}
    inventors = [p.name for p in rec.parties if p.role == "inventor"]
    assert len(inventors) == 10 and inventors[0] == "原田 成規"
    agents = [p for p in rec.parties if p.role == "agent"]
    assert [a.name for a in agents][:2] == ["松本 昂", "岡本 知広"]
    assert all(a.kind == "person" for a in agents) and agents[0].identifiers == {"jpo_id": "100075384"}


def test_patent_firm_is_the_agency():
    rec = one(JP / "jp_example2.xml")
    assert rec.number == "2021044249"
    assert [(p.name, p.kind) for p in rec.parties if p.role == "agency"] == [
        ("特許業務法人スズエ国際特許事務所", "agency")
    ]
    assert [(p.country, p.number, p.date) for p in rec.priorities] == [("US", "62/359,703", dt.date(2016, 7, 7))]
    assert [(c.symbol, c.main) for c in rec.classifications if c.scheme == "fi"] == [
        ("H01M 10/54", True),
        ("B09B 3/00 304H", False),
    ]


def test_pct_national_phase_kind_t():
    rec = one(JP / "jp_example4.xml")
    assert (rec.number, rec.kind, rec.stage) == ("2021509175", "T", "application")
    assert rec.titles["ja"].startswith("着脱式体積測定装置")
    assert [(p.country, p.number) for p in rec.priorities] == [
        ("KR", "10-2018-0000830"),
        ("KR", "10-2018-0000831"),
    ]
    applicant = [p for p in rec.parties if p.role == "applicant"][0]
    assert applicant.name == "シージー バイオ カンパニー，リミテッド" and applicant.kind == "organization"


def test_other_files():
    rec = one(JP / "2021193879.xml")
    assert (rec.number, rec.publication_date) == ("2021193879", dt.date(2021, 12, 27))
    assert len(rec.claims["ja"]) == 15
    assert [p.name for p in rec.parties if p.role == "applicant"] == ["日本水産株式会社"]
    rec3 = one(JP / "jp_example3.xml")
    assert rec3.number == "2021041306" and len(rec3.claims["ja"]) == 8
