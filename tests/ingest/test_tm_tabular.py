"""The contract form for trademark registers (CSV / JSONL): mapping, pairing of goods, checks."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ipoffice.core.model import GoodsItem, RecordError, TrademarkRecord
from ipoffice.ingest import base
from ipoffice.ingest.tm_tabular import parse, parse_csv, parse_jsonl

CONTRACT = (
    "number,mark,nice_classes,groups,goods,applicant,filing_date,status\n"
    "TM1,蓝月亮,3,0301,,甲公司,2015-03-01,registered\n"
    "TM2,长城,33,3301,,乙公司,2015-03-01,registered\n"
)
HEADER = "number,mark,nice_classes,groups,goods,applicant,filing_date,status"


def _csv(tmp_path: Path, text: str, name: str = "tm.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _rows(tmp_path: Path, *rows: str, extra_header: str = "") -> list:
    return list(parse_csv(_csv(tmp_path, HEADER + extra_header + "\n" + "\n".join(rows) + "\n")))


def test_contract_content(tmp_path):
    p = _csv(tmp_path, CONTRACT)
    fmt = base.detect(p)
    assert fmt is not None and fmt.name == "tm-tabular-csv"
    recs = list(fmt.parse(p))
    assert len(recs) == 2 and all(isinstance(r, TrademarkRecord) for r in recs)
    tm1, tm2 = recs
    assert (tm1.number, tm1.mark, tm1.country, tm1.status) == ("TM1", "蓝月亮", "CN", "registered")
    assert [p.name for p in tm1.parties if p.role == "applicant"] == ["甲公司"]
    assert [p.name for p in tm2.parties if p.role == "applicant"] == ["乙公司"]
    assert sorted({g.nice_class for g in tm1.goods}) == [3]
    assert sorted({g.nice_class for g in tm2.goods}) == [33]
    assert [g.group for g in tm1.goods] == ["0301"]
    assert [g.group for g in tm2.goods] == ["3301"]
    assert str(tm1.filing_date) == "2015-03-01"
    assert tm1.source_format == "tm-tabular"


def test_goods_pairing(tmp_path):
    recs = _rows(
        tmp_path,
        'A1,Alpha,9,0901,"computer software;smartphones",X Ltd,2020-01-02,pending',
        'A2,Beta,9;25,0901;2501;2507,"9:computer software;25:shoes",Y,2020-01-02,filed',
        "A3,Gamma,,0901,,Z,,published",
        'A4,Delta,3,,"soap;shampoo",Z,,已注册',
        "A5,Eps,35,,,Z,,初审公告",
    )
    assert all(isinstance(r, TrademarkRecord) for r in recs), recs
    a1, a2, a3, a4, a5 = recs
    assert a1.goods == [
        GoodsItem(nice_class=9, group="0901", text="computer software"),
        GoodsItem(nice_class=9, group="0901", text="smartphones"),
    ]
    # class 9 has one group (attached); class 25 has two (group-only items plus the text item)
    assert GoodsItem(nice_class=9, group="0901", text="computer software") in a2.goods
    assert GoodsItem(nice_class=25, group="2501") in a2.goods
    assert GoodsItem(nice_class=25, group="2507") in a2.goods
    assert GoodsItem(nice_class=25, text="shoes") in a2.goods
    assert a2.status == "pending"
    assert a3.goods == [GoodsItem(nice_class=9, group="0901")] and a3.status == "preliminarily-approved"
    assert [g.text for g in a4.goods] == ["soap", "shampoo"] and a4.status == "registered"
    assert a5.goods == [GoodsItem(nice_class=35)] and a5.status == "preliminarily-approved"
    assert a1.parties[0].kind == "organization"


@pytest.mark.parametrize(
    "row,field",
    [
        ("B1,Mark,46,,,X,2020-01-01,registered", "nice_classes"),
        ("B2,Mark,0,,,X,2020-01-01,registered", "nice_classes"),
        ("B3,Mark,nine,,,X,2020-01-01,registered", "nice_classes"),
        ("B4,Mark,9,901,,X,2020-01-01,registered", "groups"),
        ("B5,Mark,9,4601,,X,2020-01-01,registered", "groups"),
        ("B6,Mark,9,0301,,X,2020-01-01,registered", "groups"),
        ("B7,Mark,9;25,,computer software,X,2020-01-01,registered", "goods"),
        ("B8,Mark,9,,,X,2020-13-45,registered", "filing_date"),
        (",Mark,9,,,X,2020-01-01,registered", "number"),
        ("B10,   ,9,,,X,2020-01-01,registered", "mark"),
        ("B11,Mark,9,,,X,2020-01-01,flying", "status"),
        ("B12,Mark,9,,,X,2020-01-01,被抢注", "status"),
    ],
)
def test_bad_rows(tmp_path, row, field):
    recs = _rows(tmp_path, "OK1,Fine,9,0901,,X,2020-01-01,registered", row, "OK2,Fine,25,,,X,2020-01-01,expired")
    assert isinstance(recs[0], TrademarkRecord) and isinstance(recs[2], TrademarkRecord)
    err = recs[1]
    assert isinstance(err, RecordError)
    assert err.field == field
    assert err.record.startswith("#3")  # line 3 of the file (header is line 1)
    assert err.path.endswith("tm.csv")


def test_optional_columns_and_figurative(tmp_path):
    recs = _rows(
        tmp_path,
        "C1,,9,,,X,2019-05-06,过期,代理所有限公司,figurative,2019-01-02,2019-08-01,2020-02-03,2030-02-02,us",
        "C2,,9,,,X,2019-05-06,registered,,word,,,,,",
        extra_header=",agent,mark_type,priority_date,publication_date,registration_date,expiry_date,country",
    )
    c1, c2 = recs
    assert isinstance(c1, TrademarkRecord)
    assert c1.mark is None and c1.mark_type == "figurative" and c1.status == "expired" and c1.country == "US"
    assert [(p.role, p.kind) for p in c1.parties] == [("applicant", "unknown"), ("agent", "agency")]
    assert str(c1.priority_date) == "2019-01-02" and str(c1.expiry_date) == "2030-02-02"
    assert isinstance(c2, RecordError) and c2.field == "mark"


def test_chinese_status_words(tmp_path):
    words = {
        "申请中": "pending",
        "待审": "pending",
        "初审公告": "preliminarily-approved",
        "已注册": "registered",
        "注册": "registered",
        "驳回": "refused",
        "异议中": "opposed",
        "无效": "invalidated",
        "撤销": "cancelled",
        "过期": "expired",
        "失效": "expired",
        "Registered": "registered",
        "WITHDRAWN": "withdrawn",
    }
    rows = [f"S{i},M,9,,,X,,{w}" for i, w in enumerate(words)]
    recs = _rows(tmp_path, *rows)
    assert [r.status for r in recs] == list(words.values())


def test_jsonl_with_arrays(tmp_path):
    p = tmp_path / "tm.jsonl"
    lines = [
        {
            "number": "J1",
            "mark": "华为",
            "nice_classes": [9, 38],
            "groups": ["0901", "3802"],
            "goods": ["9:手机", "38:信息传送"],
            "applicant": ["华为技术有限公司"],
            "filing_date": "2010-01-05",
            "status": "registered",
        },
        {
            "number": "J2",
            "mark": "X",
            "nice_classes": "46",
            "groups": "",
            "goods": "",
            "applicant": "",
            "filing_date": "",
            "status": "",
        },
    ]
    p.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{broken\n", encoding="utf-8")
    fmt = base.detect(p)
    assert fmt is not None and fmt.name == "tm-tabular-jsonl"
    recs = list(parse_jsonl(p))
    j1, j2, j3 = recs
    assert isinstance(j1, TrademarkRecord)
    assert j1.goods == [
        GoodsItem(nice_class=9, group="0901", text="手机"),
        GoodsItem(nice_class=38, group="3802", text="信息传送"),
    ]
    assert isinstance(j2, RecordError) and j2.field == "nice_classes" and j2.record == "#2 (J2)"
    assert isinstance(j3, RecordError) and j3.record == "#3" and "malformed JSON" in j3.message
    assert list(parse(p))[0] == j1


def test_own_jsonl_is_not_claimed(tmp_path):
    p = tmp_path / "own.jsonl"
    p.write_text(json.dumps({"record": "trademark", "number": "1", "mark": "A", "nice_classes": [9]}) + "\n")
    fmt = base.detect(p)
    assert fmt is None or not fmt.name.startswith("tm-tabular")


def test_truncated_gzip_names_line_and_keeps_rest(tmp_path):
    body = HEADER + "\n" + "".join(f"T{i},Mark{i},9,0901,,X,2020-01-01,registered\n" for i in range(3000))
    data = gzip.compress(body.encode())
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(data[: len(data) * 2 // 3])
    recs = list(parse_csv(p))
    good = [r for r in recs if isinstance(r, TrademarkRecord)]
    errs = [r for r in recs if isinstance(r, RecordError)]
    assert len(good) > 500
    assert errs and "cut.csv.gz" in errs[-1].path and errs[-1].record.startswith("#")
    assert "truncated" in errs[-1].message


def test_gb18030_csv(tmp_path):
    p = tmp_path / "gbk.csv"
    p.write_bytes(CONTRACT.encode("gb18030"))
    recs = list(parse_csv(p))
    assert [r.mark for r in recs] == ["蓝月亮", "长城"]
