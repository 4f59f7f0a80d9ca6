"""Real trademark registers: DPMA export, EUIPO TradeMarks2020, KIPRIS sample, IPONZ oppositions."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from ipoffice.core.model import GoodsItem, RecordError, TrademarkRecord
from ipoffice.ingest import base
from ipoffice.ingest.tm_registers import (
    DPMA_STATUS,
    KIPRIS_STATUS,
    iter_json_container,
    parse_dpma,
    parse_euipo,
    parse_iponz,
    parse_iponz_summaries,
    parse_kipris,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
TM = DATA / "trademarks"


def _file(rel: str) -> Path:
    p = TM / rel
    if not p.is_file():
        pytest.skip(f"{p} is not present")
    return p


def _by_number(items):
    return {r.number: r for r in items if isinstance(r, TrademarkRecord)}


def test_status_tables_use_model_statuses():
    from ipoffice.core.model import TRADEMARK_STATUSES

    assert set(DPMA_STATUS.values()) <= set(TRADEMARK_STATUSES)
    assert set(KIPRIS_STATUS.values()) <= set(TRADEMARK_STATUSES)


def test_dpma_export():
    p = _file("dpmaregister-export/trademarks.csv.gz")
    assert base.detect(p).name == "dpma-export"
    items = list(parse_dpma(p))
    assert not [i for i in items if isinstance(i, RecordError)]
    assert len(items) == 10000
    assert Counter(r.country for r in items) == {"EM": 8980, "DE": 954, "WO": 66}
    st = Counter(r.status for r in items)
    # Marke eingetragen 3,855 + "Marke eingetragen " 433 + Widerspruchsfrist läuft 164 + Löschung anhängig 10
    assert st["registered"] == 4462
    assert st["withdrawn"] == 1715 and st["preliminarily-approved"] == 365 and st["unknown"] == 66
    assert st["expired"] == 2355 + 146 and st["opposed"] == 16 + 3
    by = _by_number(items)
    assert (by["O14647"].mark, by["O14647"].country, by["O14647"].status) == ("ORVIS", "DE", "expired")
    assert (by["000000381"].mark, by["000000381"].country) == ("UNIVERSAL STUDIOS ENTERTAINMENT", "EM")
    assert by["000000381"].status == "registered" and by["000000381"].key == "EM|000000381"


def test_dpma_unknown_status_is_an_error(tmp_path):
    p = tmp_path / "dpma.csv"
    p.write_text(
        "\ufeffDatenbestand;Aktenzeichen/Registernummer;Markendarstellung;Aktenzustand\n"
        'DE;"1";EINS;Marke eingetragen \n'
        'DE;"2";ZWEI;Marke verzaubert\n'
        'XX;"3";DREI;Marke eingetragen\n'
        'IR;"4";VIER;Anmeldung zurückgewiesen\n',
        encoding="utf-8",
    )
    assert base.detect(p).name == "dpma-export"
    one, two, three, four = parse_dpma(p)
    assert isinstance(one, TrademarkRecord) and one.status == "registered"
    assert isinstance(two, RecordError) and two.field == "status" and two.record == "#3 (2)"
    assert isinstance(three, RecordError) and three.field == "country"
    assert (four.country, four.status) == ("WO", "refused")


def test_euipo_tm2020():
    p = _file("euipo-trademarks2020/Trademark2020_validation.json.gz")
    assert base.detect(p).name == "euipo-tm2020"
    items = list(parse_euipo(p))
    assert not [i for i in items if isinstance(i, RecordError)]
    assert len(items) == 20000
    assert Counter(r.mark_type for r in items) == {"combined": 17981, "figurative": 2019}
    by = _by_number(items)
    seta = by["000001123"]
    assert (seta.mark, seta.country, str(seta.filing_date)) == ("SETA", "EM", "1996-04-01")
    assert seta.image_ref == "vienna:011703,011707"
    fig = by["000001248"]
    assert fig.mark is None and fig.mark_type == "figurative" and fig.image_ref == "vienna:261101,261106,261112"
    assert by["000001751"].mark == "Uncle Ben's"
    assert all(r.status == "unknown" for r in items[:100])


def test_truncated_json_container_keeps_what_came_before(tmp_path):
    body = json.dumps(
        {f"{i:09d}": {"Codes": ["011703"], "Date": "2001-02-03", "Text": f"M{i}"} for i in range(200)}, indent=4
    )
    p = tmp_path / "cut.json.gz"
    p.write_bytes(gzip.compress(body[: len(body) // 2].encode()))
    items = list(parse_euipo(p))
    good = [i for i in items if isinstance(i, TrademarkRecord)]
    assert 90 <= len(good) <= 100
    err = items[-1]
    assert isinstance(err, RecordError) and err.path.endswith("cut.json.gz")
    assert err.record.startswith("#") and "line" in err.message
    # a gzip stream cut in the middle of the compressed data
    data = gzip.compress(body.encode())
    p2 = tmp_path / "cut2.json.gz"
    p2.write_bytes(data[: len(data) // 2])
    items2 = list(parse_euipo(p2))
    assert isinstance(items2[-1], RecordError) and "truncated" in items2[-1].message
    assert len(items2) > 20


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 16])
def test_json_container_across_chunks(tmp_path, chunk):
    p = tmp_path / "a.json"
    p.write_text('\ufeff[ {"a": 1},\n {"b": "x\\"y"} ,\n[1, 2], 3.5, "s" ]', encoding="utf-8")
    got = [i for i in iter_json_container(p, chunk=chunk)]
    assert got == [(1, None, {"a": 1}), (2, None, {"b": 'x"y'}), (3, None, [1, 2]), (3, None, 3.5), (3, None, "s")]
    q = tmp_path / "o.json"
    q.write_text('{"k1": {"v": 1},\n "k2": null}', encoding="utf-8")
    assert list(iter_json_container(q, chunk=chunk)) == [(1, "k1", {"v": 1}), (2, "k2", None)]
    bad = tmp_path / "bad.json"
    bad.write_text('[{"a": 1},\n{"a": 2} {"a": 3}]', encoding="utf-8")
    out = list(iter_json_container(bad, chunk=chunk))
    assert out[:2] == [(1, None, {"a": 1}), (2, None, {"a": 2})]
    assert isinstance(out[2], RecordError) and "line 2" in out[2].message


def test_kipris_sample():
    p = _file("kipris-sample/trademark_sample.json.gz")
    assert base.detect(p).name == "kipris-sample"
    items = list(parse_kipris(p))
    assert not [i for i in items if isinstance(i, RecordError)]
    assert len(items) == 500
    assert Counter(r.status for r in items) == {"registered": 250, "expired": 180, "refused": 69, "pending": 1}
    by = _by_number(items)
    fresca = by["4019950043843"]
    assert fresca.mark == "프레스카 FRESCA" and fresca.country == "KR"
    assert fresca.goods == [GoodsItem(nice_class=30, group=g) for g in ("G0301", "G0303", "G0302")]
    assert (str(fresca.filing_date), str(fresca.publication_date), str(fresca.registration_date)) == (
        "1995-11-17",
        "1997-01-29",
        "1997-04-17",
    )
    warhol = by["4020060063919"]
    assert warhol.mark == "Andy warhol" and warhol.mark_type == "combined"
    assert warhol.image_ref == "vienna:260111,260410,020101"
    # two classes: the similar-group codes carry no class, so only the classes are kept
    assert by["4520070002566"].goods == [GoodsItem(nice_class=41), GoodsItem(nice_class=9)]
    # pre-1998 Korean class "038" is not a Nice class: the record loads without goods
    assert by["4019630000130"].goods == [] and by["4019630000130"].status == "expired"


def test_kipris_bad_values(tmp_path):
    recs = [
        {"applicationNumber": "1", "productName": "가", "applicationDate": "19991301", "registerStatus": "등록"},
        {"applicationNumber": "2", "productName": "나", "applicationDate": "19990101", "registerStatus": "몰라"},
        {"applicationNumber": "3", "productName": "다", "registerStatus": "출원", "asignProductMainCodeList": ["46"]},
        {
            "applicationNumber": "4",
            "productNameEng": "OK",
            "registerStatus": "거절",
            "asignProductMainCodeList": ["09"],
        },
    ]
    p = tmp_path / "k.json"
    p.write_text(json.dumps(recs, indent=2, ensure_ascii=False), encoding="utf-8")
    one, two, three, four = parse_kipris(p)
    assert isinstance(one, RecordError) and one.field == "filing_date" and one.record == "#2 (1)"
    assert isinstance(two, RecordError) and two.field == "status"
    assert isinstance(three, RecordError) and three.field == "goods"
    assert four.status == "refused" and four.goods == [GoodsItem(nice_class=9)] and four.mark_type == "word"


def test_iponz_opposed_applications():
    p = _file("iponz-oppositions/iponz_opposed_applications.jsonl.gz")
    assert base.detect(p).name == "iponz-oppositions"
    items = list(parse_iponz(p))
    assert not [i for i in items if isinstance(i, RecordError)]
    assert len(items) == 230
    assert {r.status for r in items} == {"opposed"}
    assert Counter(r.mark_type for r in items) == {"combined": 107, "word": 103, "figurative": 20}
    by = _by_number(items)
    red = by["1176937"]
    assert red.mark == "Red Cat" and red.country == "NZ"
    assert sorted({g.nice_class for g in red.goods}) == [6, 7, 12, 17, 19, 20, 27, 35]
    assert GoodsItem(nice_class=6, text="ironmongery") in red.goods
    app = red.parties[0]
    assert (app.role, app.name, app.identifiers) == (
        "applicant",
        "RCI Distribution Pty Ltd",
        {"iponz_client": "3770382"},
    )
    assert by["1175970"].mark is None and by["1175970"].mark_type == "figurative"


def test_iponz_summaries():
    p = _file("iponz-oppositions/iponz_application_summaries.jsonl.gz")
    assert base.detect(p).name == "iponz-summaries"
    items = list(parse_iponz_summaries(p))
    assert not [i for i in items if isinstance(i, RecordError)]
    assert len(items) == 174
    assert sum(1 for r in items if r.filing_date) == 174
    assert sum(1 for r in items if r.priority_date) == 10
    by = _by_number(items)
    red = by["1176937"]
    assert (red.mark, str(red.filing_date), red.mark_type) == ("Red Cat", "2021-04-22", "word")
    assert [(p.role, p.name) for p in red.parties] == [
        ("applicant", "Redcat Industrial Pty Ltd"),
        ("agent", "Redchip Lawyers"),
    ]
    assert sorted({g.nice_class for g in red.goods}) == [6, 17, 27, 35]
    hawk = by["1179107"]
    assert hawk.mark == "HAWK" and hawk.mark_type == "combined"
    assert [g.nice_class for g in hawk.goods][:1] == [25] and hawk.goods[0].text == "Clothing, footwear, headgear"
    # page headers of the PDF do not leak into goods
    assert not any("iponz.govt.nz" in (g.text or "") for r in items for g in r.goods)
    assert by["1175970"].mark is None  # "Representation Only"


def test_iponz_malformed_line(tmp_path):
    good = {
        "binder": {"applicationNo": 1, "redParty": "X"},
        "applicant": {"name": "A Ltd"},
        "classifications": [{"classId": 9, "description": "software; apps."}],
        "trademark": {"name": "AA", "type": "Word"},
    }
    bad_class = dict(good, binder={"applicationNo": 2}, classifications=[{"classId": 99, "description": "x"}])
    p = tmp_path / "i.jsonl"
    p.write_text(json.dumps(good) + "\n{not json\n" + json.dumps(bad_class) + "\n", encoding="utf-8")
    a, b, c = parse_iponz(p)
    assert a.goods == [GoodsItem(nice_class=9, text="software"), GoodsItem(nice_class=9, text="apps")]
    assert isinstance(b, RecordError) and b.record == "#2" and b.path.endswith("i.jsonl")
    assert isinstance(c, RecordError) and c.field == "goods"
