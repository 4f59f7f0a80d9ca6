"""USPTO XML parsers (`ingest.uspto`, `ingest.uspto_legacy`) on the real files in /work/shared."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from ipoffice.core.model import PatentRecord, RecordError
from ipoffice.ingest import uspto, uspto_legacy
from ipoffice.ingest.base import detect, split_concatenated
from ipoffice.ingest.uspto import normalize_ipc, parse_file

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "patents"
FOLDERS = (
    "uspto-grant-xml",
    "uspto-grant-biblio-xml",
    "uspto-grant-sgml-v25",
    "uspto-app-xml",
    "uspto-pap-v1x",
    "uspto-sequence-listing",
)
IPG120103 = "uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"


def data(rel: str) -> Path:
    path = DATA / rel
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@cache
def _parsed(path: Path) -> tuple:
    return tuple(parse_file(path))


def items(rel: str) -> tuple:
    return _parsed(data(rel))


def records(rel: str) -> list[PatentRecord]:
    return [r for r in items(rel) if isinstance(r, PatentRecord)]


def one(rel: str, number: str | None = None) -> PatentRecord:
    recs = records(rel)
    if number is None:
        assert len(recs) == 1
        return recs[0]
    found = [r for r in recs if r.number == number]
    assert found, f"{number} not in {rel}"
    return found[0]


def symbols(rec: PatentRecord, scheme: str, main: bool | None = None) -> list[str]:
    return [c.symbol for c in rec.classifications if c.scheme == scheme and (main is None or c.main == main)]


def names(rec: PatentRecord, role: str) -> list[str]:
    return [p.name for p in rec.parties if p.role == role]


# --- grants, us-patent-grant v4.x -----------------------------------------------------------


def test_ipg120103_weekly_slice_v42():
    got = items(IPG120103)
    assert len(got) == 25
    assert all(isinstance(r, PatentRecord) for r in got)
    recs = records(IPG120103)
    assert [r.number for r in recs[:4]] == ["D0651432", "D0651486", "D0651584", "08087209"]
    assert {r.source_format for r in recs} == {"uspto-grant-v4.2"}
    assert Counter(r.doc_type for r in recs) == {"design": 3, "invention": 22}

    r = one(IPG120103, "08087209")
    assert (r.country, r.kind, r.doc_type, r.stage) == ("US", "B2", "invention", "grant")
    assert r.titles == {"en": "Edging rail for a flooring"}
    assert r.application_number == "12693349"
    assert r.application_date == dt.date(2010, 1, 25)
    assert r.publication_date == r.grant_date == dt.date(2012, 1, 3)
    assert r.language == "en"
    assert r.abstracts["en"].startswith("An edging rail for a flooring (2) has a base member (3)")
    assert r.descriptions["en"].startswith("The invention relates to an edging rail for a flooring.")
    assert len(r.claims["en"]) == 4
    assert (
        r.claims["en"][1]
        == "2. Edging rail according to claim 1, wherein said bending point is formed by a cross-sectional taper."
    )
    assert symbols(r, "ipc", main=True) == ["E04C 2/38"]
    assert r.classifications[0].version == "20060101"
    assert symbols(r, "uspc", main=True) == ["527168"]
    assert names(r, "applicant") == ["David Sondermann"]
    assert names(r, "inventor") == ["David Sondermann"]  # app-type applicant-inventor
    assignee = [p for p in r.parties if p.role == "assignee"][0]
    assert (assignee.name, assignee.kind, assignee.country) == (
        "Kueberit Profile Systems GmbH & Co. KG",
        "organization",
        "DE",
    )
    assert [(p.role, p.kind, p.name) for p in r.parties if p.role in ("agent", "agency")] == [
        ("agent", "person", "Robert L. Epstein"),
        ("agency", "agency", "Epstein Drangel LLP"),
    ]
    assert names(r, "examiner") == ["Eileen D Lillis", "Alp Akbasli"]
    applicant = r.parties[0]
    assert (applicant.country, applicant.address, applicant.sequence) == ("DE", "Drolshagen", 1)
    assert r.priorities[0].model_dump() == {
        "country": "DE",
        "number": "20 2009 001 036 U",
        "date": dt.date(2009, 1, 27),
    }
    assert len(r.citations) == 16
    c = r.citations[0]
    assert (c.country, c.number, c.kind, c.date, c.category, c.phase) == (
        "US",
        "3732659",
        "A",
        dt.date(1973, 5, 1),
        "cited by examiner",
        "examiner",
    )
    assert r.source_format == "uspto-grant-v4.2"
    assert r.key == "US|08087209|B2"


def test_design_grant_locarno_and_partial_dates():
    r = one(IPG120103, "D0651432")
    assert (r.kind, r.doc_type) == ("S1", "design")
    assert r.titles == {"en": "Table base"}
    assert symbols(r, "locarno") == ["0606"]
    assert symbols(r, "uspc", main=True) == ["D 6495"]
    assert symbols(r, "ipc") == []
    assert r.claims["en"] == ["The ornamental design for table base, as shown and described."]
    assert r.citations[0].date == dt.date(1929, 2, 1)  # printed 19290200
    assert names(r, "agency") == ["Warner Norcross & Judd LLP"]
    assert r.parties[0].name == "Bradford L. Davis"


def test_design_weekly_file_196():
    recs = records("uspto-grant-xml/patentprocessor-ipg-slices/ipg120327.196.xml")
    assert len(recs) == 196
    assert {r.kind for r in recs} == {"S1"}
    assert {r.doc_type for r in recs} == {"design"}
    assert all(symbols(r, "locarno") for r in recs)


def test_v40_slice_edition7_ipc():
    rel = "uspto-grant-xml/patentprocessor-ipg-slices/ipg050104.small.xml"
    recs = records(rel)
    assert len(recs) == 25
    assert {r.source_format for r in recs} == {"uspto-grant-v4.0"}
    r = recs[0]
    assert (r.number, r.kind, r.publication_date) == ("06836899", "B1", dt.date(2005, 1, 4))
    assert r.titles == {"en": "Device for detachably holding an absorbent napkin across the torso"}
    assert r.classifications[0].model_dump(include={"scheme", "symbol", "main", "version"}) == {
        "scheme": "ipc",
        "symbol": "A45F 5/04",  # printed "A45F  504"
        "main": True,
        "version": "7",
    }
    assert names(r, "applicant") == names(r, "inventor") == ["Samuel G. Glasmire"]
    assert len(r.citations) == 39
    ipc = {s for rec in recs for s in symbols(rec, "ipc")}
    assert {"H01L 31/107", "C07C 249/00", "F01L 1/34", "H01H 1/02"} <= ipc


def test_v41_sir_and_v43_us_parties():
    v41 = records("uspto-grant-xml/patentprocessor-ipg-slices/ipg060103.small.xml")
    assert len(v41) == 25 and {r.source_format for r in v41} == {"uspto-grant-v4.1"}
    assert [r.kind for r in v41 if r.doc_type == "other"] == ["H1"]

    got = items("uspto-grant-xml/patentprocessor-ipg-slices/ipg130416.small.xml")
    skipped = [e for e in got if isinstance(e, RecordError)]
    assert len(got) == 27 and len(skipped) == 2  # 25 grants + 2 sequence listings
    for e in skipped:
        assert e.skipped and e.message == "skipped: root <sequence-cwu> is not a patent document"
    recs = [r for r in got if isinstance(r, PatentRecord)]
    assert {r.source_format for r in recs} == {"uspto-grant-v4.3"}
    assert all(names(r, "inventor") for r in recs)
    assert sum(len(r.citations) for r in recs) > 500


def test_v45_with_cpc():
    r = one("uspto-grant-xml/patentpublicdata-samples/US08926509.xml")
    assert (r.number, r.kind, r.source_format) == ("08926509", "B2", "uspto-grant-v4.5")
    assert r.titles == {"en": "Wireless physiological sensor patches and systems"}
    assert symbols(r, "cpc", main=True) == ["A61B 5/0205"]
    assert len(symbols(r, "cpc")) == 19
    assert symbols(r, "ipc", main=True) == ["A61B 5/00"]
    assert names(r, "assignee") == ["Hmicro, Inc."]
    assert len(names(r, "inventor")) == 5
    assert len(r.citations) == 160
    npl = [c for c in r.citations if c.text]
    assert npl and npl[0].number is None


def test_concatenated_file_with_indented_declaration():
    # the second document's `<?xml` is indented; it still parses
    recs = records("uspto-grant-xml/go-uspto-samples/test.xml")
    assert [r.number for r in recs] == ["11147202", "11147203"]


def test_v47_biblio_front_page():
    recs = records("uspto-grant-biblio-xml/ipgb20221025.xml")
    assert len(recs) == 11
    assert {r.source_format for r in recs} == {"uspto-grant-v4.7"}
    assert Counter(r.kind for r in recs) == {"B2": 5, "S1": 2, "E1": 3, "P2": 1}
    assert {r.kind: r.doc_type for r in recs} == {"B2": "invention", "S1": "design", "E1": "reissue", "P2": "plant"}
    assert all(not r.claims and not r.descriptions for r in recs)
    r = one("uspto-grant-biblio-xml/ipgb20230404.xml", "D0982278")
    assert r.titles == {"en": "Support undergarment"}
    assert symbols(r, "locarno") == ["0201"]
    assert names(r, "applicant") == ["HeartSnug LLC"]
    assert [p.kind for p in r.parties if p.role == "applicant"] == ["organization"]
    assert len(r.citations) == 46


def test_v47_full_text():
    r = one("uspto-grant-xml/uspto-odp-testdata/grant_us11646472b2_17248024.xml")
    assert (r.number, r.kind, r.publication_date) == ("11646472", "B2", dt.date(2023, 5, 9))
    assert len(symbols(r, "ipc")) == 16
    assert len(symbols(r, "cpc")) == 19
    assert len(r.citations) == 554
    assert r.claims["en"] and r.descriptions["en"]


# --- applications ---------------------------------------------------------------------------


def test_application_v40():
    r = one("uspto-app-xml/patentpublicdata-samples/US20050004437A1.xml")
    assert (r.number, r.kind, r.stage, r.doc_type) == ("20050004437", "A1", "application", "invention")
    assert r.source_format == "uspto-application-v4.0"
    assert r.titles == {"en": "Simulation device for playful evaluation and display of blood sugar levels"}
    assert (r.application_number, r.application_date) == ("10830857", dt.date(2004, 4, 23))
    assert r.publication_date == dt.date(2005, 1, 6) and r.grant_date is None
    assert symbols(r, "ipc", main=True) == ["A61B 5/00"]
    assert names(r, "inventor") == ["Heiner Kaufmann", "Thomas Vering"]
    assert r.priorities[0].model_dump() == {"country": "CH", "number": "1974/01", "date": dt.date(2001, 10, 26)}
    assert len(r.claims["en"]) == 10
    assert r.citations == []


def test_application_v45_and_no_doctype():
    r = one("uspto-app-xml/go-uspto-samples/v4-5-A1.xml")
    assert (r.number, r.source_format) == ("20220159901", "uspto-application-v4.5")
    assert symbols(r, "cpc", main=True) == ["A01C 7/04"]
    recs = [one(f"uspto-app-xml/patentstandardization-samples/us_example{i}.xml") for i in range(1, 5)]
    assert [r.number for r in recs] == ["20210049351", "20210048686", "20210045410", "20210048778"]
    assert all(r.source_format == "uspto-application-v4.4" and symbols(r, "cpc") for r in recs)


# --- pre-2005 formats -----------------------------------------------------------------------


def test_pap_v16():
    r = one("uspto-pap-v1x/pa040101.two.xml")
    assert (r.number, r.kind, r.country, r.stage) == ("20040000002", "A1", "US", "application")
    assert r.source_format == "uspto-pap-v1.6"
    assert r.titles == {"en": "Garment for preventing muscle strain"}
    assert (r.application_number, r.application_date) == ("10189364", dt.date(2002, 6, 27))
    assert r.publication_date == dt.date(2004, 1, 1)
    assert symbols(r, "ipc") == ["A41B 1/00"]  # printed A41B001/00
    assert symbols(r, "uspc") == ["002/069000"]
    assert names(r, "inventor") == ["Scott Hollander"]
    assert names(r, "assignee") == ["Hill-Rom Services, Inc."]
    assert len(r.claims["en"]) == 1 and r.claims["en"][0].startswith("1. A garment for releasably securing")

    weekly = records("uspto-pap-v1x/ahirschberg-pap20021003/2002-10-03applications.xml")
    assert len(weekly) == 9
    assert weekly[0].number == "20020139753" and weekly[-1].number == "20020144305"
    assert all(symbols(w, "ipc") and w.claims for w in weekly)


def test_pap_v15_with_xhtml_doctype():
    r = one("uspto-pap-v1x/US20010000044A1.xml")
    assert (r.number, r.source_format) == ("20010000044", "uspto-pap-v1.5")
    assert r.titles["en"].startswith("Systems and Methods For Transacting Business Over A Global")
    assert symbols(r, "ipc") == ["G06F 17/60"]
    assert names(r, "inventor") == ["Wayne W Lin"]
    assert len(r.claims["en"]) == 21


def test_patdoc_v25():
    r = one("uspto-grant-sgml-v25/US06336130.xml")
    assert (r.number, r.kind, r.doc_type, r.stage) == ("06336130", "B1", "invention", "grant")
    assert r.source_format == "uspto-grant-v2.5"
    assert r.titles == {"en": "Arrangement for improving availability of services in a communication system"}
    assert (r.application_number, r.application_date) == ("09413215", dt.date(1999, 10, 5))
    assert r.publication_date == r.grant_date == dt.date(2002, 1, 1)
    assert symbols(r, "ipc", main=True) == ["G06F 15/16"]  # printed "G06F 1516"
    assert symbols(r, "ipc", main=False) == ["G06F 13/00"]
    assert symbols(r, "uspc", main=True) == ["709202"]
    assert names(r, "inventor") == ["Thanh Van Do"]
    assert names(r, "assignee") == ["Telefonaktiebolaget LM Ericsson (publ)"]
    assert names(r, "agency") == ["Nixon & Vanderhye P.C."]
    assert names(r, "examiner") == ["Kenneth R. Coulter"]
    assert r.priorities[0].model_dump() == {"country": "NO", "number": "971605", "date": dt.date(1997, 4, 8)}
    assert len(r.citations) == 9
    assert r.citations[0].model_dump(include={"country", "number", "kind", "category"}) == {
        "country": "US",
        "number": "5825759",
        "kind": "A",
        "category": "cited by examiner",
    }
    npl = [c for c in r.citations if c.text]
    assert len(npl) == 3
    assert "Enabling ‘Intelligence on Demand’" in npl[0].text  # &lsquo; entity resolved
    assert len(r.claims["en"]) == 22
    assert r.descriptions["en"].split("\n")[1] == "FIELD OF THE INVENTION"  # one line per PARA / heading
    assert r.abstracts["en"].startswith("A communications systems, e.g., a telecommunications system, includes")


def test_patdoc_design_and_iso_entities():
    d = one("uspto-grant-sgml-v25/USD435854S1.xml")
    assert (d.number, d.kind, d.doc_type) == ("D0435854", "S", "design")
    assert symbols(d, "locarno") == ["1402"] and symbols(d, "ipc") == []
    assert len(names(d, "inventor")) == 8

    r = one("uspto-grant-sgml-v25/docling-tests/pg06442728.xml")
    assert r.titles == {"en": "Methods and apparatus for turbo code"}
    assert "I(j,k)=I(j,(αjk+βj)modP)" in r.descriptions["en"]  # &equals; &agr; &bgr;
    assert "&" not in r.descriptions["en"].replace("&amp;", "")


def test_patdoc_in_grant_folder():
    recs = [one(f"uspto-grant-xml/go-uspto-samples/v2-5-{k}.xml") for k in ("B1", "B2", "S1")]
    assert [r.kind for r in recs] == ["B1", "B2", "S1"]
    assert [r.doc_type for r in recs] == ["invention", "invention", "design"]
    assert {r.source_format for r in recs} == {"uspto-grant-v2.5"}


def test_sequence_listing_file_is_skipped():
    path = data("uspto-sequence-listing/patent_one_unparsed_dna.xml")
    assert detect(path).name == "uspto-grant-xml"
    got = items("uspto-sequence-listing/patent_one_unparsed_dna.xml")
    assert len(got) == 1
    err = got[0]
    assert isinstance(err, RecordError) and err.skipped
    assert err.message == "skipped: root <sequence-cwu> is not a patent document"


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rel", "fmt"),
    [
        (IPG120103, "uspto-grant-xml"),
        ("uspto-grant-biblio-xml/ipgb20221025.xml", "uspto-grant-xml"),
        ("uspto-app-xml/patentprocessor/ipa130117.one.xml", "uspto-application-xml"),
        ("uspto-app-xml/patentstandardization-samples/us_example1.xml", "uspto-application-xml"),
        ("uspto-app-xml/go-uspto-samples/v1-5-A1_2.xml", "uspto-pap-xml"),
        ("uspto-pap-v1x/US20010000044A1.xml", "uspto-pap-xml"),
        ("uspto-grant-sgml-v25/US06337117.xml", "uspto-grant-patdoc-xml"),
        ("uspto-grant-xml/go-uspto-samples/v2-5-S1.xml", "uspto-grant-patdoc-xml"),
    ],
)
def test_detect(rel, fmt):
    assert detect(data(rel)).name == fmt


def test_formats_registered():
    assert uspto.GRANT_FORMAT.parse is uspto_legacy.PATDOC_FORMAT.parse is parse_file
    assert sorted(m.name for m in uspto.GRANT_MAPS.values())[0] == "uspto-grant-v4.0"
    assert uspto_legacy.PAP_MAPS[(1, 5)].name == "uspto-pap-v1.5"


# --- bad records ----------------------------------------------------------------------------


def _docs(n: int) -> list[bytes]:
    out = []
    for _, chunk in split_concatenated(data(IPG120103)):
        out.append(chunk)
        if len(out) == n:
            break
    return out


def test_truncated_document_names_file_and_record(tmp_path):
    docs = _docs(4)
    cut = docs[1][: len(docs[1]) // 2]
    cut = cut[: cut.rfind(b"\n") + 1]  # the next document must still start on its own line
    path = tmp_path / "ipg-broken.xml"
    path.write_bytes(docs[0] + cut + docs[2] + docs[3][:-5000])
    got = list(parse_file(path))
    assert len(got) == 4
    assert [r.number for r in got if isinstance(r, PatentRecord)] == ["D0651432", "D0651584"]
    for err, label in ((got[1], "#2"), (got[3], "#4")):
        assert isinstance(err, RecordError) and not err.skipped
        assert err.path == str(path)
        assert err.record == label
        assert "malformed XML" in err.message
        assert str(path) in str(err)


def test_missing_doc_number_names_field(tmp_path):
    doc = _docs(4)[3]
    assert b"<doc-number>08087209</doc-number>" in doc
    path = tmp_path / "no-number.xml"
    path.write_bytes(_docs(1)[0] + doc.replace(b"<doc-number>08087209</doc-number>", b""))
    got = list(parse_file(path))
    assert isinstance(got[0], PatentRecord)
    err = got[1]
    assert isinstance(err, RecordError) and not err.skipped
    assert (err.record, err.field, err.message) == ("#2", "number", "required field is missing")


def test_bad_date_names_field(tmp_path):
    doc = _docs(4)[3].replace(b"<date>20120103</date>", b"<date>2012-13-45</date>", 1)
    path = tmp_path / "bad-date.xml"
    path.write_bytes(doc)
    (err,) = list(parse_file(path))
    assert isinstance(err, RecordError)
    assert (err.record, err.field) == ("#1 (08087209)", "publication_date")
    assert "not a date" in err.message


def test_entity_declaration_is_rejected_not_expanded(tmp_path):
    evil = (
        b'<?xml version="1.0"?>\n<!DOCTYPE us-patent-grant [<!ENTITY lol "lollollol">]>\n'
        b"<us-patent-grant>&lol;</us-patent-grant>\n"
    )
    path = tmp_path / "evil.xml"
    path.write_bytes(evil + _docs(1)[0])
    got = list(parse_file(path))
    assert isinstance(got[0], RecordError) and "entities" in got[0].message
    assert isinstance(got[1], PatentRecord) and got[1].number == "D0651432"


def test_normalize_ipc():
    cases = {
        "A01B001/00": "A01B 1/00",
        "G06F  17/30": "G06F 17/30",
        "G06F 1516": "G06F 15/16",
        "B32B  302": "B32B 3/02",
        "H01L 31107": "H01L 31/107",
        "C07C24900": "C07C 249/00",
        "E03C 104": "E03C 1/04",
        "G06F 17/30": "G06F 17/30",
        "0606": "0606",
        "": None,
    }
    assert {k: normalize_ipc(k) for k in cases} == cases


# --- every USPTO file ------------------------------------------------------------------------

EXPECTED = {
    "uspto-grant-xml": (496, 5),  # (records, skipped sequence listings)
    "uspto-grant-biblio-xml": (14, 0),
    "uspto-grant-sgml-v25": (4, 0),
    "uspto-app-xml": (25, 0),
    "uspto-pap-v1x": (16, 0),
    "uspto-sequence-listing": (0, 7),
}


def test_every_uspto_file_loads():
    if not DATA.exists():
        pytest.skip("shared data not available")
    counts: dict[str, tuple[int, int]] = {}
    failures: list[str] = []
    formats: Counter[str] = Counter()
    for folder in FOLDERS:
        n_rec = n_skip = 0
        for path in sorted((DATA / folder).rglob("*")):
            if not path.is_file() or path.suffix.lower() != ".xml":
                continue
            fmt = detect(path)
            if fmt is None or not fmt.name.startswith("uspto-"):
                failures.append(f"{path}: not detected ({fmt and fmt.name})")
                continue
            for item in _parsed(path):
                if isinstance(item, PatentRecord):
                    n_rec += 1
                    formats[item.source_format] += 1
                elif item.skipped:
                    n_skip += 1
                else:
                    failures.append(str(item))
        counts[folder] = (n_rec, n_skip)
    print("\n".join(failures))
    print(counts, dict(formats))
    assert failures == []
    assert counts == EXPECTED
    assert set(formats) == {
        *(f"uspto-grant-v4.{i}" for i in (0, 1, 2, 3, 4, 5, 7)),
        *(f"uspto-application-v4.{i}" for i in range(6)),
        "uspto-grant-v2.5",
        "uspto-pap-v1.5",
        "uspto-pap-v1.6",
    }
