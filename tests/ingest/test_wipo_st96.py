"""WIPO ST.96 V6.0 example instances: patent publication, design, trademark, GI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ipoffice.core.model import PatentRecord, RecordError, TrademarkRecord
from ipoffice.ingest import wipo_st96
from ipoffice.ingest.base import read_head

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "patents"
ST96 = DATA / "wipo-st96"

pytestmark = pytest.mark.skipif(not ST96.is_dir(), reason="shared patent data not available")


def items(name: str) -> list:
    return list(wipo_st96.parse_st96(ST96 / name))


def test_every_file_parses_without_errors():
    kinds = {}
    for path in sorted(ST96.glob("*.xml")):
        assert wipo_st96.FORMAT.sniff(read_head(path), path), path
        out = list(wipo_st96.parse_st96(path))
        for item in out:
            if isinstance(item, RecordError):
                assert item.skipped, str(item)
        kinds[path.name] = [type(i).__name__ for i in out]
    assert kinds == {
        "DesignApplication_Example.xml": ["PatentRecord"],
        "GIApplication_Example.xml": ["RecordError"],
        "PatentPublication_Example.xml": ["PatentRecord"],
        "TrademarkApplication_Example.xml": ["TrademarkRecord"],
    }


def test_patent_publication():
    (rec,) = items("PatentPublication_Example.xml")
    assert isinstance(rec, PatentRecord)
    assert (rec.country, rec.number, rec.kind, rec.stage, rec.doc_type) == (
        "US",
        "08936998",
        "B2",
        "grant",
        "invention",
    )
    assert rec.source_format == "wipo-st96-patent-publication-v6.0"
    assert rec.publication_date == rec.grant_date == dt.date(2015, 1, 20)
    assert (rec.application_number, rec.application_date) == ("13797521", dt.date(2013, 3, 12))
    assert rec.titles == {"en": "Manufcaturing method for room-temperature substrate bonding"}
    assert rec.abstracts["en"].startswith(
        "A device is provided with: a first substrate mainly containing silicon dioxide"
    )
    assert len(rec.claims["en"]) == 10
    assert rec.claims["en"][0].startswith("1. A device manufacture method, comprising: sputtering a first surface")
    assert rec.claims["en"][1].startswith("2. The device manufacture method according to claim 1, wherein")
    ipc_main = [c.symbol for c in rec.classifications if c.scheme == "ipc" and c.main]
    cpc_main = [c.symbol for c in rec.classifications if c.scheme == "cpc" and c.main]
    assert (ipc_main, cpc_main) == (["H01L 21/30"], ["H01L 21/2007"])
    # US classes 438/455... are the field of search, not the document's classification
    assert "uspc" not in {c.scheme for c in rec.classifications}
    roles = {(p.role, p.name) for p in rec.parties}
    assert ("assignee", "Mitsubishi Heavy Industries, Ltd.") in roles
    assert ("inventor", "Jun Utsumi") in roles
    assert ("agency", "Birch, Stewart, Kolasch & Birch, LLP") in roles
    assert ("examiner", "Jerome Jackson Jr.") in roles
    assert [(p.country, p.number, p.date) for p in rec.priorities] == [("JP", "2007-290922", dt.date(2007, 11, 8))]
    assert len(rec.citations) == 30
    assert (rec.citations[0].country, rec.citations[0].number, rec.citations[0].date) == (
        "US",
        "6054363",
        dt.date(2000, 4, 1),
    )
    assert {c.phase for c in rec.citations} == {"applicant", "examiner"}


def test_design_application():
    (rec,) = items("DesignApplication_Example.xml")
    assert isinstance(rec, PatentRecord)
    assert (rec.number, rec.doc_type, rec.stage) == ("D0123456", "design", "grant")
    assert rec.titles == {"en": "Chair"}
    assert rec.claims == {"en": ["The ornamental design for a chair, as shown and described."]}
    assert [(c.scheme, c.symbol, c.version) for c in rec.classifications] == [("locarno", "06-01", "11")]
    assert (rec.application_number, rec.application_date) == ("35503842", dt.date(2017, 8, 29))
    assert [p.name for p in rec.parties if p.role == "inventor"] == ["Emma Francis", "Jeannette Altova", "Manuel Ho"]
    assert [p.name for p in rec.parties if p.role == "applicant"] == ["HARPER Inc."]
    assert [(p.country, p.number) for p in rec.priorities] == [("WO", "DM/096824")]
    assert rec.citations[0].number == "D5584709" and rec.citations[0].date == dt.date(2008, 1, 1)


def test_trademark_application():
    (rec,) = items("TrademarkApplication_Example.xml")
    assert isinstance(rec, TrademarkRecord)
    assert (rec.country, rec.number, rec.mark, rec.mark_type) == ("US", "87035559", "LANYI", "combined")
    assert rec.status == "registered"
    assert (rec.filing_date, rec.registration_date) == (dt.date(2016, 5, 12), dt.date(2017, 3, 28))
    assert rec.publication_date == dt.date(2017, 1, 10)
    assert rec.image_ref == "87035559.png"
    assert [g.nice_class for g in rec.goods] == [9]
    assert rec.goods[0].text.startswith("Audio cables; Bags for cameras and photographic equipment")
    assert [(p.name, p.role, p.country) for p in rec.parties if p.role == "applicant"] == [
        ("Shenzhen Fengniao E-Commerce Co.,Ltd", "applicant", "CN")
    ]
    assert rec.source_format == "wipo-st96-trademark-application-v6.0"


def test_geographical_indication_is_skipped():
    (item,) = items("GIApplication_Example.xml")
    assert isinstance(item, RecordError) and item.skipped
