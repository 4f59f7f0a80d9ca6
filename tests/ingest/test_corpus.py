"""Patent text collections: Google Patents crawl, PatentsView abstracts, KPPatent-ZH, patentbench,
the CN CPC multilabel CSV."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import re
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from ipoffice.core.model import PatentRecord, RecordError
from ipoffice.ingest import base
from ipoffice.ingest.corpus import (
    detect_language,
    doc_type_stage,
    join_claims,
    parse_cpc_csv,
    parse_gp_abstracts,
    parse_gp_records,
    parse_kppatent,
    parse_patentsview,
    parse_pb_specs,
    parse_peds,
    split_number,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
PAT = DATA / "patents"
GP = PAT / "corpus" / "google-patents-crawl-energy-recovery"


def _file(p: Path) -> Path:
    if not p.is_file():
        pytest.skip(f"{p} is not present")
    return p


def _records(items) -> list[PatentRecord]:
    return [i for i in items if isinstance(i, PatentRecord)]


def _errors(items) -> list[RecordError]:
    return [i for i in items if isinstance(i, RecordError)]


@pytest.mark.parametrize(
    "printed,country,kind,doc_type,stage",
    [
        ("CN109386840A", "CN", "A", "invention", "application"),
        ("CN105822427B", "CN", "B", "invention", "grant"),
        ("CN203456789U", "CN", "U", "utility", "grant"),
        ("US20170190327A1", "US", "A1", "invention", "application"),
        ("US10000906B2", "US", "B2", "invention", "grant"),
        ("US5309725A", "US", "A", "invention", "grant"),
        ("USRE43633E", "US", "E", "reissue", "grant"),
        ("USD645062S", "US", "S", "design", "grant"),
        ("TWI726984B", "TW", "B", "invention", "grant"),
        ("IN2014CH01286A", "IN", "A", "invention", "application"),
        ("DE102008019974B4", "DE", "B4", "invention", "grant"),
        ("KR20090109604A", "KR", "A", "invention", "application"),
    ],
)
def test_numbers_and_kinds(printed, country, kind, doc_type, stage):
    c, k = split_number(printed)
    assert (c, k) == (country, kind)
    assert doc_type_stage(c, k) == (doc_type, stage)


def test_detect_language():
    assert detect_language("本发明公开了一种近水平薄矿体智能掘进机机械开采方法") == "zh"
    assert detect_language("於行走在同一方向的車輛彼此在行走中執行進行分割") == "zh"
    assert detect_language("【課題】電気車の回生ブレーキが作用する速度域を拡大する") == "ja"
    assert detect_language("본 발명은 회생 제동 시스템에 관한 것으로") == "ko"
    assert detect_language("Die Erfindung betrifft ein Verfahren zum Betreiben eines Antriebsstrangs") == "de"
    assert detect_language("La présente invention concerne un système d'alimentation électrique") == "fr"
    assert detect_language("A brake system for a vehicle having a master brake cylinder") == "en"
    assert detect_language("Изобретение относится к области индикации") == "ru"


def test_gp_abstracts_archive():
    p = _file(GP / "abstracts_by_ipc_group_and_year.tar.gz")
    assert base.detect(p).name == "gp-crawl-abstracts"
    items = list(parse_gp_abstracts(p))
    assert not _errors(items)
    recs = _records(items)
    assert len(recs) == 28491  # distinct publications; 976 appear under several groups
    assert len({r.number for r in recs}) == 28491
    assert sum(1 for r in recs if r.abstracts) == 27441
    countries = Counter(r.country for r in recs)
    assert countries["CN"] == 15133 and countries["KR"] == 3830 and countries["US"] == 3160
    assert sum(1 for r in recs if r.country == "CN" and "zh" in r.abstracts) == 15133
    multi = [r for r in recs if len(r.classifications) > 1]
    assert len(multi) == 976
    assert all(sum(c.main for c in r.classifications) == 1 for r in multi)
    groups = {c.symbol for r in recs for c in r.classifications}
    assert len(groups) == 23 and {"B60L 7/10", "F24F 3/147", "F28C 1/08"} <= groups
    by = {r.number: r for r in recs}
    cn = by["CN109386840A"]
    assert (cn.country, cn.kind, cn.stage, cn.language) == ("CN", "A", "application", "zh")
    assert cn.classifications[0].scheme == "ipc" and cn.classifications[0].main
    assert by["CN105822427B"].stage == "grant"
    us = by["US20170190327A1"]
    assert us.abstracts["en"].startswith("A brake system for a vehicle")
    assert [c.symbol for c in us.classifications] == ["B60L 7/10"]
    assert by["JP5079535B2"].abstracts == {}  # empty abstract in the crawl
    # citations from the derived pairs file lie on the citing publication
    fr = by["FR3083592A1"]
    assert any(c.number == "EP2096396A2" and c.category == "cited by examiner" for c in fr.citations)


def test_gp_records_archive():
    p = _file(GP / "res_part_EP002.tar.gz")
    assert base.detect(p).name == "gp-crawl-records"
    items = list(parse_gp_records(p))
    assert not _errors(items) and len(items) == 128

    p1 = _file(GP / "res_part_EP001.tar.gz")
    first = list(itertools.islice(parse_gp_records(p1), 2))
    rec = first[1]
    assert rec.number == "EP2078759A1" and (rec.country, rec.kind, rec.stage) == ("EP", "A1", "application")
    assert rec.titles == {"de": "Drehtrommelofen zur Schmelzgewinnung von Schwermetall"}
    assert rec.abstracts["de"].startswith("Gegenstand der Erfindung ist die Verwendung eines Drehtrommelofens")
    assert str(rec.application_date) == "2009-01-08" and str(rec.publication_date) == "2009-07-15"
    assert rec.legal_status == "Withdrawn"
    assert [(p.role, p.name) for p in rec.parties] == [("applicant", "Sug Schmelz- und Giessanlagen & Co KG GmbH")]
    assert [c.symbol for c in rec.classifications] == [
        "C22B 7/003", "C22B 13/025", "C22B 21/0092", "C22B 7/04", "F27B 7/161", "F27B 7/162", "F27B 7/2016",
        "F27D 17/008", "Y02P 10/20",
    ]  # fmt: skip
    cits = {c.number: c for c in rec.citations}
    assert len(cits) == 7
    assert cits["SU1227702A1"].category == "cited by examiner" and cits["FR2195335A5"].category is None
    assert str(cits["US5470376A"].date) == "1995-11-28"
    assert rec.source_format == "gp-crawl-records"


def test_gp_records_grant_dates_and_priorities():
    p = _file(GP / "res_part_US001.tar.gz")
    rec = next(parse_gp_records(p))
    assert rec.number == "US10000906B2" and rec.stage == "grant"
    assert str(rec.grant_date) == "2018-06-19" and str(rec.application_date) == "2015-04-28"
    assert ("assignee", "SUMITOMO HEAVY INDUSTRIES, LTD.") in [(p.role, p.name) for p in rec.parties]
    assert rec.legal_status == "Active"


def test_truncated_tar_names_member(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for i in range(40):
            body = (
                f"ID\n    EP{1000000 + i}A1\ntitle\n    Title {i} of the invention\nabstract\n    " + "x " * 3000
            ).encode()
            info = tarfile.TarInfo(f"res_part/EP009/EP{1000000 + i}A1.txt")
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    data = buf.getvalue()
    p = tmp_path / "res_part_cut.tar.gz"
    p.write_bytes(data[: len(data) // 2])
    assert base.detect(p).name == "gp-crawl-records"
    items = list(parse_gp_records(p))
    assert len(_records(items)) >= 5
    err = items[-1]
    assert isinstance(err, RecordError) and err.path.endswith("res_part_cut.tar.gz") and "truncated" in err.message


def test_patentsview_abstracts():
    base_ = PAT / "corpus" / "koehrsen-patentsview-abstracts"
    b = _file(base_ / "baseball_patent_query.jsonl.gz")
    n = _file(base_ / "neural_network_patent_query.jsonl.gz")
    assert base.detect(b).name == "patentsview-abstracts"
    bb, nn = list(parse_patentsview(b)), list(parse_patentsview(n))
    assert not _errors(bb) and not _errors(nn)
    assert (len(bb), len(nn)) == (2664, 3522)
    first = bb[0]
    assert (first.number, first.country, first.stage, str(first.grant_date)) == ("5269177", "US", "grant", "1993-12-14")
    assert first.titles["en"].startswith('Apparatus and method for determining the center of percussion ("sweet spot")')
    bar = nn[0]
    assert bar.titles["en"] == '"Barometer" neuron for a neural network'
    assert bar.abstracts["en"].startswith('A "Barometer" Neuron enhances stability')
    assert {r.doc_type for r in bb + nn if r.number.startswith("RE")} == {"reissue"}


def test_kppatent_zh():
    d = PAT / "corpus" / "kppatent-zh"
    train, test = _file(d / "data_A.train.jsonl.gz"), _file(d / "test_data_TAC.jsonl.gz")
    assert base.detect(train).name == "kppatent-zh"
    tr, te = list(parse_kppatent(train)), list(parse_kppatent(test))
    assert not _errors(tr) and not _errors(te)
    assert (len(tr), len(te)) == (3024, 696)
    r = tr[122]
    assert r.number == "KPZH-data_A.train-000123" and r.number_is_synthetic and r.country == "CN"
    assert r.abstracts["zh"] and not r.claims
    assert tr[0].abstracts["zh"].startswith("本申请涉及使用近红外光谱法评估牙齿表面上的聚合物沉积的方法")
    assert "instruction" not in tr[0].model_dump_json()  # keyphrase items are not patent text
    # the test file's PDF text names the publication in its page headers
    assert sum(1 for x in te if not x.number_is_synthetic) == 667
    mine = te[0]
    assert (mine.number, mine.kind, mine.number_is_synthetic) == ("CN113914863A", "A", False)
    assert mine.titles == {"zh": "一种近水平薄矿体智能掘进机机械开采方法"}
    assert len(mine.claims["zh"]) == 10 and mine.claims["zh"][1].startswith("2.根据权利要求1")
    header = re.compile(r"CN\d{6,}[A-Z]\d?\s*(说明书|权利要求书)\s*\d+\s*/\s*\d+\s*页")
    assert not any(header.search(c) for x in te for c in x.claims.get("zh", []))
    synthetic = [x for x in te if x.number_is_synthetic]
    assert all(x.number.startswith("KPZH-test_data_TAC-") for x in synthetic)


def test_patentbench_specs_and_peds():
    d = PAT / "corpus" / "patentbench-pypi"
    specs = _file(d / "specifications.jsonl.gz")
    assert base.detect(specs).name == "patentbench-specs"
    sp = list(parse_pb_specs(specs))
    assert len(_records(sp)) == 5
    s0 = sp[0]
    assert (s0.number, s0.application_number, s0.number_is_synthetic, s0.stage) == (
        "APPL-17100019",
        "17100019",
        True,
        "application",
    )
    assert s0.claims["en"][0].startswith("1 . A computer-implemented method")
    assert len(s0.claims["en"]) == 20 and s0.descriptions["en"].startswith("CROSS-REFERENCE")
    assert {len(r.claims["en"]) for r in sp} and all(c[0].isdigit() for r in sp for c in r.claims["en"])

    exp, sample = _file(d / "uspto_peds_expanded.jsonl.gz"), _file(d / "uspto_peds_sample.jsonl.gz")
    assert base.detect(exp).name == "uspto-peds"
    e, s = list(parse_peds(exp)), list(parse_peds(sample))
    assert (len(_records(e)), len(_records(s))) == (201, 82)
    skipped = [x for x in e + s if isinstance(x, RecordError)]
    assert len(skipped) == 137 and all(x.skipped for x in skipped)
    g = _records(e)[0]
    assert (g.number, g.application_number, str(g.application_date), g.stage) == (
        "12186454",
        "18100000",
        "2023-01-23",
        "grant",
    )
    assert g.legal_status == "Patented Case" and g.parties[0].role == "examiner"


def test_join_claims():
    got = join_claims(["What is claimed is: 1 . A thing comprising:", "a part; and", "2 . The thing of claim 1 ."])
    assert got == ["1 . A thing comprising: a part; and", "2 . The thing of claim 1 ."]


def test_cpc_multilabel_csv():
    d = PAT / "cn" / "cpc-multilabel-csv"
    for name in ("sample_train.csv", "sample_val.csv", "sample_test.csv"):
        p = _file(d / name)
        assert base.detect(p).name == "cpc-multilabel-csv"
        items = list(parse_cpc_csv(p))
        assert not _errors(items) and len(items) == 19
        assert all(r.number.startswith("CN") and r.kind == "A" and r.abstracts.get("zh") for r in items)
    train = {r.number: r for r in parse_cpc_csv(d / "sample_train.csv")}
    r = train["CN117151122A"]
    assert r.titles == {"zh": "一种基于自然语言处理的银行客服会话问答处理方法及系统"}
    assert [c.symbol for c in r.classifications][:2] == ["G06F 16/3329", "G06F 16/35"]
    assert len(r.classifications) == 6 and {c.scheme for c in r.classifications} == {"cpc"}
    sep = train["CN118395868A"]  # the "title [SEP] keywords [SEP] abstract" layout
    assert sep.titles == {"zh": "一种耦合机理模型和深度学习的洪水预报模型和方法"}
    assert sep.abstracts["zh"].startswith("本发明涉及洪水预报技术领域")


def test_bad_jsonl_lines_and_truncated_gzip(tmp_path):
    lines = [
        json.dumps(
            {
                "patent_abstract": f"An apparatus number {i}.",
                "patent_date": "2001-02-03",
                "patent_number": str(6000000 + i),
                "patent_title": f"Thing {i}",
            }
        )
        for i in range(2000)
    ]
    lines[2] = '{"patent_abstract": "x", "patent_number": "1", '  # a cut line
    lines[4] = json.dumps(
        {"patent_abstract": "x", "patent_date": "2001-02-30", "patent_number": "2", "patent_title": "t"}
    )
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    p = tmp_path / "pv.jsonl.gz"
    p.write_bytes(data[: len(data) * 3 // 4])
    assert base.detect(p).name == "patentsview-abstracts"
    items = list(parse_patentsview(p))
    errs = _errors(items)
    assert errs[0].record == "#3" and "malformed JSON" in errs[0].message and errs[0].path.endswith("pv.jsonl.gz")
    assert errs[1].record == "#5 (2)" and errs[1].field == "grant_date"
    assert "truncated" in errs[-1].message and errs[-1].record.startswith("#")
    assert len(_records(items)) > 1000


def test_kppatent_without_text_is_an_error(tmp_path):
    p = tmp_path / "kp.jsonl"
    p.write_text(
        json.dumps({"instruction": "i", "input": "摘要：一种装置。\n", "output": "装置"}, ensure_ascii=False)
        + "\n"
        + json.dumps({"instruction": "i", "input": "", "output": ""})
        + "\n",
        encoding="utf-8",
    )
    assert base.detect(p).name == "kppatent-zh"
    a, b = parse_kppatent(p)
    assert a.number == "KPZH-kp-000001" and a.abstracts == {"zh": "一种装置。"}
    assert isinstance(b, RecordError) and b.record == "#2 (KPZH-kp-000002)"
