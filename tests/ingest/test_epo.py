"""EPO publication-server `ep-patent-document` (v1.0-1.5.1) and WIPO ST.36 examples, on real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ipoffice.core.model import PatentRecord, RecordError
from ipoffice.ingest import epo
from ipoffice.ingest.base import read_head

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "patents"
EPS = DATA / "epo" / "ep-publication-server"
ST36 = DATA / "epo" / "wipo-st36-examples"

pytestmark = pytest.mark.skipif(not EPS.is_dir(), reason="shared patent data not available")


def one(path: Path) -> PatentRecord:
    items = list(epo.parse_ep(path))
    assert len(items) == 1, items
    rec = items[0]
    assert isinstance(rec, PatentRecord), rec
    return rec


def parties(rec: PatentRecord, role: str) -> list:
    return [p for p in rec.parties if p.role == role]


def test_every_file_parses_without_errors():
    counts = {}
    for folder in (EPS / "application", EPS / "grant", ST36):
        records = 0
        for path in sorted(folder.glob("*.xml")):
            head = read_head(path)
            fmts = [f for f in (epo.FORMAT, epo.TOC_FORMAT) if f.sniff(head, path)]
            assert len(fmts) == 1, path
            for item in fmts[0].parse(path):
                if isinstance(item, RecordError):
                    assert item.skipped, str(item)
                else:
                    records += 1
        counts[folder.name] = records
    assert counts == {"application": 19, "grant": 14, "wipo-st36-examples": 2}


def test_one_map_per_dtd_version():
    names = {one(p).source_format for p in sorted(EPS.glob("*/*.xml"))}
    assert names == {
        "epo-ep-patent-document-v1.0",
        "epo-ep-patent-document-v1.01",
        "epo-ep-patent-document-v1.1",
        "epo-ep-patent-document-v1.2",
        "epo-ep-patent-document-v1.3",
        "epo-ep-patent-document-v1.4",
        "epo-ep-patent-document-v1.5",
        "epo-ep-patent-document-v1.5.1",
    }


def test_grant_with_claims_in_three_languages():
    rec = one(EPS / "grant" / "v1-5-1-B1.xml")
    assert (rec.number, rec.country, rec.kind, rec.stage) == ("3383757", "EP", "B1", "grant")
    assert rec.source_format == "epo-ep-patent-document-v1.5.1"
    assert rec.publication_date == dt.date(2021, 7, 7)
    assert rec.grant_date == dt.date(2021, 7, 7)
    assert rec.application_number == "16849316.1"
    assert rec.application_date == dt.date(2016, 8, 29)
    assert rec.language == "en"
    assert rec.titles == {
        "de": "SCHRAUBVERSCHLUSSSYSTEME MIT MAGNETISCHEM MERKMAL",
        "en": "SCREW-TYPE CLOSURE SYSTEMS WITH MAGNETIC FEATURE",
        "fr": "SYSTÈMES DE FERMETURE DE TYPE À VIS COMPRENANT DES ÉLÉMENTS MAGNÉTIQUES",
    }
    assert set(rec.claims) == {"de", "en", "fr"}
    assert [len(rec.claims[lang]) for lang in ("de", "en", "fr")] == [8, 8, 8]
    assert rec.claims["en"][0].startswith("A container-closure system comprising: a container (1)")
    assert rec.claims["de"][0].startswith("Behälter-Verschlusssystem, umfassend")
    assert rec.descriptions["en"].startswith("Field of the Invention\nThe present invention pertains to screw-type")
    assert rec.abstracts == {}

    ipc = [c for c in rec.classifications if c.scheme == "ipc"]
    assert [c.symbol for c in ipc] == ["B65D 51/18", "B65D 43/02", "B65D 51/32", "A45D 34/00", "A45D 40/00"]
    assert ipc[0].main and not ipc[1].main and ipc[0].version == "2006.01"

    (applicant,) = parties(rec, "applicant")
    assert (applicant.name, applicant.kind, applicant.country) == ("ELC Management LLC", "organization", "US")
    assert applicant.identifiers == {"epo_iid": "101324505"}
    assert [(p.name, p.kind) for p in parties(rec, "inventor")] == [
        ("JACOB, Christophe", "person"),
        ("BOUIX, Herve", "person"),
    ]
    (agency,) = parties(rec, "agency")
    assert (agency.name, agency.kind, agency.country) == ("Dehns", "agency", "GB")

    assert [(p.country, p.number, p.date) for p in rec.priorities] == [("US", "201514865040", dt.date(2015, 9, 25))]
    search = [c for c in rec.citations if c.phase == "search"]
    assert (search[0].country, search[0].kind, search[0].number) == ("WO", "A1", "2014/114885")
    assert ("CN", "U", "202128028") in {(c.country, c.kind, c.number) for c in search}
    in_description = [c for c in rec.citations if c.phase == "applicant"]
    assert {(c.country, c.number, c.kind) for c in in_description} == {
        ("US", "2007204872", "A1"),
        ("FR", "2973005", "A1"),
    }


def test_b2_german_grant():
    rec = one(EPS / "grant" / "v1-5-B2.xml")
    assert (rec.number, rec.kind, rec.language) == ("2743087", "B2", "de")
    assert set(rec.claims) == {"de", "en", "fr"}
    assert [p.name for p in parties(rec, "applicant")] == ["Krones AG"]


def test_early_application_with_edition_ipc():
    rec = one(EPS / "application" / "v1-0-A1.xml")
    assert (rec.number, rec.kind, rec.stage) == ("1325900", "A1", "application")
    assert rec.publication_date == dt.date(2003, 7, 9)
    assert rec.grant_date is None
    assert rec.titles["en"] == "PROCESS FOR PRODUCING FLUOROALKANOL"
    assert rec.abstracts["en"].startswith("A process for producing a fluoroalkanol")
    assert len(rec.claims["en"]) == 7
    main = [c for c in rec.classifications if c.main]
    assert [(c.symbol, c.version) for c in main] == [("C07C 29/44", "7")]
    assert [p.name for p in parties(rec, "applicant")] == ["ASAHI GLASS COMPANY LTD."]
    (agency,) = parties(rec, "agency")
    assert agency.name == "Müller-Boré & Partner Patentanwälte"
    assert [(p.country, p.number) for p in rec.priorities] == [("JP", "2000273711")]


def test_1978_document_keeps_number_as_printed():
    rec = one(EPS / "application" / "v1-1-A1.xml")
    assert rec.number == "0000002"
    assert rec.publication_date == dt.date(1978, 12, 20)
    assert rec.language == "de"
    assert rec.titles["de"].startswith("Tetrahydrofuran-Derivate, Verfahren zu ihrer Herstellung")
    assert [c.symbol for c in rec.classifications] == ["C07D 307/12", "C07D 407/12", "C07D 307/42"]


def test_cpc_from_v1_5_1():
    rec = one(EPS / "application" / "v1-5-1-A1-2.xml")
    assert rec.number == "3889521"
    assert [c.symbol for c in rec.classifications if c.scheme == "ipc"] == ["F25B 45/00"]
    cpc = [c.symbol for c in rec.classifications if c.scheme == "cpc"]
    assert cpc[:2] == ["F25B 13/00", "F25B 49/02"] and "Y02B 30/70" in cpc
    assert len(rec.claims["en"]) == 17


def test_markup_slips_are_repaired():
    # a bare "&" in an address and a literal "<" in a heading: published like that.
    rec = one(EPS / "application" / "v1-2-A1.xml")
    (agent,) = parties(rec, "agent")
    assert agent.name == "Esteban Perez-Serrano, Maria Isabel"
    assert "UDAPI & ASOCIADOS" in agent.address
    rec = one(EPS / "application" / "v1-5-1-A1-2.xml")
    assert "\n<First Embodiment\n" in rec.descriptions["en"]


def test_bibliographic_only_document():
    rec = one(EPS / "application" / "v1-4-A1-1.xml")
    assert rec.number == "0560858"
    assert rec.claims == {} and rec.descriptions == {}
    assert [c.symbol for c in rec.classifications][:2] == ["B05B 7/00", "B05B 1/00"]
    assert rec.classifications[0].main


def test_wipo_st36_examples_and_toc():
    a = one(ST36 / "st36aexample-EP1667425A1-DOC00001.xml")
    assert (a.number, a.kind, a.titles["en"]) == ("1667425", "A1", "Image forming method and image forming apparatus")
    b = one(ST36 / "st36bexample-EP1599469B1-DOC00001.xml")
    assert (b.number, b.kind, b.stage) == ("1599469", "B1", "grant")
    assert {lang: len(c) for lang, c in b.claims.items()} == {"en": 40, "de": 40, "fr": 40}
    assert [p.name for p in parties(b, "applicant")] == ["Arena Pharmaceuticals, Inc.", "Merck & Co., Inc."]
    toc = ST36 / "st36aexample-toc.xml"
    assert not epo.FORMAT.sniff(read_head(toc), toc)
    (item,) = list(epo.TOC_FORMAT.parse(toc))
    assert isinstance(item, RecordError) and item.skipped


def test_truncated_document_gives_record_error(tmp_path):
    src = (EPS / "grant" / "v1-5-1-B1.xml").read_bytes()
    broken = tmp_path / "EP3383757-truncated.xml"
    broken.write_bytes(src[: len(src) // 2])
    items = list(epo.parse_ep(broken))
    assert len(items) == 1
    err = items[0]
    assert isinstance(err, RecordError) and not err.skipped
    assert err.path == str(broken)
    assert "EP3383757-truncated.xml" in str(err)


def test_bad_date_names_the_field(tmp_path):
    src = (EPS / "grant" / "v1-5-1-B1.xml").read_bytes()
    bad = tmp_path / "bad-date.xml"
    bad.write_bytes(src.replace(b"<B220><date>20160829</date>", b"<B220><date>2016-13-45</date>", 1))
    (err,) = list(epo.parse_ep(bad))
    assert isinstance(err, RecordError)
    assert err.field == "application_date"
    assert "3383757" in err.record


@pytest.mark.parametrize(
    ("text", "symbol"),
    [
        ("B65D  51/18        20060101AFI20191003BHEP        ", "B65D 51/18"),
        ("7C 07C  29/44   A", "C07C 29/44"),
        ("2C 07D 307/12 A", "C07D 307/12"),
        ("B05B 7/ 00 A I", "B05B 7/00"),
        ("A24B   15/18    (2006.01)", "A24B 15/18"),
        ("E21B  47/  0228            A I", "E21B 47/0228"),
        ("G06F 017/30", "G06F 17/30"),
        ("H04N000140", "H04N 1/40"),
        ("B60W  30/1888      20130101 LI20210830BH", "B60W 30/1888"),
    ],
)
def test_ipc_normalisation(text, symbol):
    assert epo.norm_ipc(text) == symbol


def test_entity_declarations_are_refused(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE ep-patent-document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>\n'
        b'<ep-patent-document country="EP" doc-number="1" kind="A1"><SDOBI><B100><B110>&b;</B110></B100></SDOBI>'
        b"</ep-patent-document>\n"
    )
    (err,) = list(epo.parse_ep(bomb))
    assert isinstance(err, RecordError) and not err.skipped
    assert "entities" in err.message
