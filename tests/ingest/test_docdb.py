"""EPO DOCDB exchange documents (streamed) and EPO OPS biblio responses, on real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ipoffice.core.model import PatentRecord, RecordError
from ipoffice.ingest import docdb
from ipoffice.ingest.base import read_head

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "patents"
DOCDB = DATA / "epo" / "docdb"
OPS = [DATA / "epo" / "ops-patent-client-fixtures", DATA / "epo" / "ops-patent-dev-examples"]

pytestmark = pytest.mark.skipif(not DOCDB.is_dir(), reason="shared patent data not available")


def records(path: Path) -> list[PatentRecord]:
    items = list(docdb.parse_docdb(path))
    assert all(isinstance(i, PatentRecord) for i in items), [str(i) for i in items]
    return items  # type: ignore[return-value]


def test_every_file_parses_without_errors():
    counts = {}
    for folder in [DOCDB, *OPS]:
        n = 0
        for path in sorted(folder.glob("*.xml")):
            assert docdb.FORMAT.sniff(read_head(path), path), path
            for item in docdb.parse_docdb(path):
                if isinstance(item, RecordError):
                    assert item.skipped, str(item)
                else:
                    n += 1
        counts[folder.name] = n
    assert counts == {"docdb": 14, "ops-patent-client-fixtures": 22, "ops-patent-dev-examples": 12}


def test_de_backfile_ten_documents_with_family_ids():
    recs = records(DOCDB / "DE-backfile.xml")
    assert [r.number for r in recs] == [str(n) for n in range(1258188, 1258198)]
    assert [r.family_id for r in recs] == [
        "6979546",
        "6980816",
        "22421564",
        "5458240",
        "9678134",
        "8792589",
        "8821965",
        "22421569",
        "10885784",
        "9678135",
    ]
    assert {(r.country, r.kind, r.publication_date) for r in recs} == {("DE", "B", dt.date(1968, 1, 4))}
    assert all(r.source_format == "epo-docdb-exchange-v2.5" for r in recs)
    first = recs[0]
    # examined, printed without grant (Auslegeschrift): not a grant
    assert first.stage == "application"
    assert first.titles == {"de": "Kraftstoffeinspritzpumpe fuer mehrzylindrige Brennkraftmaschinen"}
    assert [p.name for p in first.parties if p.role == "applicant"] == ["ROBERT BOSCH G.M.B.H."]
    assert [c.symbol for c in first.classifications if c.scheme == "ipc"] == ["F02M 41/12", "F02M 59/34", "F02M 59/36"]
    assert "F02M 59/34" in [c.symbol for c in first.classifications if c.scheme == "cpc" and c.main]
    assert [(c.country, c.number, c.kind, c.phase) for c in first.citations][:2] == [
        ("DE", "814968", "C", "SEA"),
        ("DE", "1156606", "B", "SEA"),
    ]
    assert [len(r.citations) for r in recs] == [4, 1, 2, 2, 10, 8, 2, 6, 4, 3]


def test_wo_document_with_undeclared_prefix_and_isr_citations():
    (rec,) = records(DOCDB / "WO-2023012807-A1_507242069.xml")
    assert (rec.country, rec.number, rec.kind, rec.family_id) == ("WO", "2023012807", "A1", "83004620")
    assert rec.publication_date == dt.date(2023, 2, 9)
    assert rec.titles == {"en": "METHOD FOR HUMANIZING ANTIBODIES", "fr": "PROCÉDÉ D'HUMANISATION D'ANTICORPS"}
    assert rec.abstracts["en"].startswith("Provided herein is a method for obtaining a humanized antibody")
    assert (rec.application_number, rec.application_date) == ("2022050854", dt.date(2022, 8, 5))
    assert [(p.country, p.number, p.date) for p in rec.priorities] == [("US", "202163230089", dt.date(2021, 8, 6))]
    # docdba spelling preferred over the truncated docdb standard name
    assert [(p.name, p.role, p.country) for p in rec.parties] == [
        ("YEDA RESEARCH AND DEVELOPMENT CO. LTD.", "applicant", "IL"),
        ("FLEISHMAN, Sarel", "inventor", "IL"),
        ("TENNENHOUSE, Ariel", "inventor", "IL"),
    ]
    isr = [c for c in rec.citations if c.phase == "ISR"]
    app = [c for c in rec.citations if c.phase == "APP"]
    assert (len(isr), len(app)) == (5, 19)
    assert isr[0].category == "XY" and isr[0].text.startswith("CHIN MARK ET AL")
    assert ("US", "2020223945", "A1", "XY") in {(c.country, c.number, c.kind, c.category) for c in isr}
    assert (app[0].country, app[0].number, app[0].kind, app[0].date) == ("US", "8343489", "B2", dt.date(2013, 1, 1))
    ipc = [c for c in rec.classifications if c.scheme == "ipc"]
    assert ipc[0].symbol == "C07K 16/28" and ipc[0].main


def test_docdb_entities_are_resolved():
    (yu,) = records(DOCDB / "YU-6701-A_381353354.xml")
    assert yu.titles["sh"] == "TRICIKLIČNI SULFONAMIDI I NJIHOVI DERIVATI KAO INHIBITORI MATRIČNIH METALOPROTEINAZA"
    assert yu.language == "sh"
    (wo,) = records(DOCDB / "WO-2022259205-A1_544370561.xml")
    assert any(c.text and "CZAJKOWSKA-KOŚNIK" in c.text for c in wo.citations)


def test_document_without_namespace_prefix():
    (rec,) = records(DOCDB / "AP-1206-A_302101161.xml")
    assert (rec.country, rec.number, rec.kind, rec.family_id) == ("AP", "1206", "A", "22179393")
    assert rec.titles["en"] == "Enteric coated pharmaceutical composition and method of manufacturing."
    legacy = [c for c in rec.classifications if c.version == "7"]
    assert [(c.symbol, c.main) for c in legacy] == [("A61K 9/16", True)]
    assert [p.name for p in rec.parties if p.role == "applicant"] == ["BRISTOL-MYERS SQUIBB COMPANY"]


def test_stream_many_documents_and_survive_a_broken_one(tmp_path):
    src = (DOCDB / "DE-backfile.xml").read_bytes()
    start = src.index(b"<exch:exchange-document ")
    end = src.index(b"</exch:exchange-document>") + len(b"</exch:exchange-document>")
    doc = src[start:end]
    head, tail = src[:start], b"</exch:exchange-documents>"
    big = tmp_path / "big.xml"
    big.write_bytes(head + doc * 300 + tail)
    items = docdb.parse_docdb(big)
    first = next(items)  # a generator: records come before the file is read to the end
    assert first.number == "1258188"
    assert sum(1 for _ in items) == 299

    broken = tmp_path / "broken.xml"
    broken.write_bytes(head + doc + doc[: len(doc) // 2] + tail)
    out = list(docdb.parse_docdb(broken))
    assert isinstance(out[0], PatentRecord)
    assert isinstance(out[-1], RecordError) and not out[-1].skipped and out[-1].path == str(broken)


def test_ops_biblio_response():
    folder = OPS[0]
    (rec,) = records(folder / "published-data_publication_docdb_CN.104968889.A_biblio.xml")
    assert (rec.country, rec.number, rec.kind, rec.family_id) == ("CN", "104968889", "A", "50474376")
    assert rec.source_format == "epo-ops-exchange-v3.2"
    assert rec.publication_date == dt.date(2015, 10, 7)
    assert rec.titles == {"en": "Attitude reference for tieback/overlap processing"}
    assert [c.symbol for c in rec.classifications if c.scheme == "ipc"] == ["E21B 47/0228", "E21B 47/024"]
    assert "E21B 47/02216" in [c.symbol for c in rec.classifications if c.scheme == "cpc"]
    assert [(c.number, c.category) for c in rec.citations][:3] == [
        ("5321893", "A"),
        ("6315062", "A"),
        ("2003236627", "X"),
    ]
    fam = records(OPS[1] / "get_family_with_biblio.response.xml")
    assert {(r.country, r.number, r.kind) for r in fam} >= {("EP", "2400812", "A1"), ("US", "9648662", "B2")}
    assert {r.family_id for r in fam} == {"43088294"}


def test_ops_responses_without_documents_are_skipped():
    (item,) = list(docdb.parse_docdb(OPS[0] / "legal_publication_docdb_CA.2300029.C_.xml"))
    assert isinstance(item, RecordError) and item.skipped


def test_entity_declarations_are_refused(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(
        b'<?xml version="1.0"?>\n<!DOCTYPE exchange-documents [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        b'<exchange-documents><exchange-document country="DE" doc-number="1" kind="B">&x;</exchange-document>'
        b"</exchange-documents>\n"
    )
    (err,) = list(docdb.parse_docdb(bomb))
    assert isinstance(err, RecordError) and not err.skipped
    assert "entities" in err.message
