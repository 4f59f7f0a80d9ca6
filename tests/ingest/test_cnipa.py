"""CNIPA patent XML, old `<cn-patent-document>` and new `business:PatentDocumentAndRelated`, on real files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ipoffice.core.model import PatentRecord, RecordError
from ipoffice.ingest import cnipa
from ipoffice.ingest.base import read_head

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "patents"
OLD = DATA / "cn" / "cnipa-xml-old-cn-patent-document"
NEW = DATA / "cn" / "cnipa-xml-new-business-ns"

pytestmark = pytest.mark.skipif(not OLD.is_dir(), reason="shared patent data not available")


def one(path: Path) -> PatentRecord:
    items = list(cnipa.parse_cnipa(path))
    assert len(items) == 1, [str(i) for i in items]
    assert isinstance(items[0], PatentRecord), str(items[0])
    return items[0]


def names(rec: PatentRecord, role: str) -> list[str]:
    return [p.name for p in rec.parties if p.role == role]


def test_every_file_parses_without_errors():
    counts = {}
    for folder in (OLD, NEW):
        n = 0
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xml"):
            assert cnipa.FORMAT.sniff(read_head(path), path), path
            for item in cnipa.parse_cnipa(path):
                assert not isinstance(item, RecordError), str(item)
                n += 1
        counts[folder.name] = n
    assert counts == {"cnipa-xml-old-cn-patent-document": 5, "cnipa-xml-new-business-ns": 4}


def test_old_format_cn104223352a():
    rec = one(OLD / "cn_old1.xml")  # UTF-8 BOM and a stylesheet PI on line 2
    assert (rec.country, rec.number, rec.kind) == ("CN", "104223352", "A")
    assert (rec.stage, rec.doc_type, rec.language) == ("application", "invention", "zh")
    assert rec.source_format == "cnipa-cn-patent-document"
    assert rec.titles == {"zh": "一种甘草发酵所得烟用香料及其应用"}
    assert rec.publication_date == dt.date(2014, 12, 24)
    assert rec.grant_date is None
    assert (rec.application_number, rec.application_date) == ("201410408762.5", dt.date(2014, 8, 19))
    assert rec.abstracts["zh"].startswith("本发明公开了一种甘草发酵所得烟用香料及其应用。")
    assert [c.symbol for c in rec.classifications] == ["A24B 15/18", "C11B 9/00", "C12P 1/02", "C12R 1/645"]
    assert rec.classifications[0].main and rec.classifications[0].version == "2006.01"
    assert names(rec, "applicant") == ["云南中烟工业有限责任公司"]
    assert rec.parties[0].kind == "organization"
    assert rec.parties[0].address == "650231 云南省昆明市五华区红锦路367号云烟科技园C区"
    assert names(rec, "inventor") == ["段焰青", "者为", "李青青", "叶灵", "张伟", "夏建军", "党立志", "王文元"]
    (agency,) = [p for p in rec.parties if p.role == "agency"]
    assert (agency.name, agency.kind) == ("昆明协立知识产权代理事务所(普通合伙)", "agency")
    assert agency.identifiers == {"agency_code": "53108"}
    assert names(rec, "agent") == ["谢嘉", "旃习涵"]
    assert len(rec.claims["zh"]) == 3
    # line breaks inside Chinese text leave no spaces behind
    assert rec.claims["zh"][0].startswith("1.一种甘草发酵所得烟用香料，其特征在于：将甘草片或甘草粉与水按1:5～1:50")
    assert rec.descriptions["zh"].startswith("技术领域\n本发明属于卷烟香精香料技术领域")


def test_old_format_single_line_without_encoding():
    rec = one(OLD / "cn_old3.xml")
    assert (rec.number, rec.kind) == ("104245682", "A")
    assert rec.titles == {"zh": "马来酸伊索拉定的制造方法"}
    assert names(rec, "applicant") == ["日本新药株式会社"]


def test_old_format_with_priorities():
    rec = one(OLD / "200880114428_A.xml")
    assert (rec.number, rec.publication_date) == ("103492414", dt.date(2014, 1, 1))
    assert rec.titles == {"zh": "抗HEPCIDIN抗体及其用途"}
    assert [(p.country, p.number, p.date) for p in rec.priorities] == [("US", "60/984,910", dt.date(2007, 11, 2))]
    assert len(rec.claims["zh"]) == 44
    assert [p.name for p in rec.parties if p.role == "agency"] == ["北京市中咨律师事务所"]
    rec2 = one(OLD / "cn_old2.xml")
    assert len(rec2.priorities) == 6 and rec2.priorities[0].country == "KR"
    assert names(rec2, "applicant") == ["可隆科技特株式会社", "盛源立赛科株式会社"]


def test_new_format_cn113781974a_with_agency():
    rec = one(NEW / "cn_new1.xml")
    assert (rec.country, rec.number, rec.kind, rec.stage) == ("CN", "113781974", "A", "application")
    assert rec.source_format == "cnipa-business-patent-document-v2.2"
    assert rec.titles == {"zh": "显示设备"}
    assert rec.publication_date == dt.date(2021, 12, 10)
    assert (rec.application_number, rec.application_date) == ("202111286633.X", dt.date(2017, 4, 24))
    assert rec.abstracts["zh"].startswith("公开了一种显示设备。")
    assert [(c.symbol, c.main) for c in rec.classifications] == [
        ("G09G 3/36", True),
        ("G09G 3/3208", False),
        ("G09G 3/34", False),
    ]
    (applicant,) = [p for p in rec.parties if p.role == "applicant"]
    assert (applicant.name, applicant.country, applicant.address) == ("三星显示有限公司", "KR", "韩国京畿道")
    assert names(rec, "inventor") == ["金驲柱", "田武经", "李安洙"]
    (agency,) = [p for p in rec.parties if p.role == "agency"]
    assert agency.name == "北京英赛嘉华知识产权代理有限责任公司"
    assert agency.identifiers == {"agency_code": "11204"}
    assert names(rec, "agent") == ["王达佐", "刘铮"]
    assert [(p.country, p.number, p.date) for p in rec.priorities] == [("KR", "10-2016-0063019", dt.date(2016, 5, 23))]
    assert len(rec.claims["zh"]) == 17
    assert rec.claims["zh"][0].startswith("1.显示设备，包括：显示面板，所述显示面板包括：")
    assert rec.descriptions["zh"].startswith("相关申请的交叉引用\n")


def test_new_format_with_absent_dtd_doctype():
    rec = one(NEW / "CN102015000481495CN00001152124630AFULZH20221021CN00D.XML")
    assert (rec.number, rec.publication_date) == ("115212463", dt.date(2022, 10, 21))
    assert rec.titles == {"zh": "一种医用放射治疗装置"}
    assert names(rec, "agency") == ["北京银龙知识产权代理有限公司"]
    assert len(rec.claims["zh"]) == 12


def test_new_format_chemistry():
    rec = one(NEW / "cn_new3.xml")
    assert rec.titles == {"zh": "抗COVID-19的高活性化合物"}
    assert len(rec.claims["zh"]) == 111
    assert len(rec.priorities) == 8
    rec2 = one(NEW / "cn_new2.xml")
    assert rec2.titles == {"zh": "一种基于合约管理的跨链去中心化方法"}
    assert names(rec2, "applicant") == ["浙商银行股份有限公司"]


def test_missing_publication_number_is_a_record_error(tmp_path):
    src = (OLD / "cn_old1.xml").read_bytes()
    assert b"<doc-number>104223352</doc-number>" in src
    bad = tmp_path / "cn_no_number.xml"
    bad.write_bytes(src.replace(b"<doc-number>104223352</doc-number>", b"", 1))
    (err,) = list(cnipa.parse_cnipa(bad))
    assert isinstance(err, RecordError) and not err.skipped
    assert err.field == "number"
    assert err.path == str(bad)


def test_kind_rules():
    assert cnipa._doc_type("U", None, None) == "utility"
    assert cnipa._doc_type("S", None, None) == "design"
    assert cnipa._doc_type("A", "发明专利", None) == "invention"
    assert cnipa._doc_type(None, "实用新型", None) == "utility"
    assert cnipa._grant_date("C", dt.date(2020, 1, 1)) == dt.date(2020, 1, 1)
    assert cnipa._grant_date("A", dt.date(2020, 1, 1)) is None
