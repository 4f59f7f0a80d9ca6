"""Corpus-wide patent signals (P1, P5, P6, P7, A4) on real USPTO/CNIPA filings with injected, labelled cases.

The injected set is bench/integrity_eval.py's generator at half scale over the USPTO weekly grant slices and the
CNIPA XML of ../shared/data, re-dated into 2021-2025 so the rules of Announcement No. 411 and Order No. 77 apply.
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["patents/uspto-grant-xml/patentprocessor-ipg-slices", "patents/cn"]


def _bench():
    sys.path.insert(0, str(ROOT / "bench"))
    import integrity_eval

    return integrity_eval


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, shared_data):
    """(store, labels, corpus results on DuckDB, scan context) for the injected set."""
    from ipoffice.core.store import open_store
    from ipoffice.integrity import corpus_signals as cs
    from ipoffice.integrity.rules import default_rules
    from ipoffice.integrity.signals import ScanContext

    ie = _bench()
    store = open_store(tmp_path_factory.mktemp("corpus") / "home")
    labels = ie.build(store, seed=11, scale=0.5, sources=SOURCES)
    # the corpus behaviours only: P3/P4 (judged while extracting) have their own tests
    ctx = ScanContext(
        engine=store.engine, rules=default_rules(), home=store.home, engine_name="duckdb", options={"perdoc": False}
    )
    res = cs.corpus_results(ctx)
    yield store, labels, res, ctx
    store.engine.dispose()


def _kept(ctx, res, signal=None):
    from ipoffice.integrity import corpus_signals as cs

    names = [signal] if signal else list(res.flags)
    return [f for n in names for f in res.flags[n] if cs._kept(ctx, f)]


@pytest.mark.parametrize("code", ["P1", "P5", "P6", "P7"])
def test_injected_behaviour_found_with_precision_and_recall(corpus, code):
    _store, labels, res, ctx = corpus
    truth = {n for n, bs in labels.docs.items() if code in bs}
    got = {f.number for f in _kept(ctx, res) if f.behaviour == code}
    assert truth, f"the generator injected no {code}"
    assert got == truth, f"{code}: missed {sorted(truth - got)[:5]}, extra {sorted(got - truth)[:5]}"


def test_mill_agencies_flagged_under_article_4(corpus):
    from ipoffice.core.names import normalize_name

    _store, labels, res, ctx = corpus
    got = {f.number: f for f in _kept(ctx, res, "agency_rate")}
    assert set(got) == {normalize_name(a) for a in labels.agencies}
    f = next(iter(got.values()))
    assert f.kind == "agency" and f.behaviour == "A4"
    assert f.evidence["figures"]["rate"] > 3 * f.evidence["figures"]["base_rate"]
    assert f.evidence["figures"]["binomial_p"] < 1e-4 and f.evidence["related"]


def test_untouched_real_filings_and_hard_negatives_not_flagged(corpus):
    _store, labels, res, ctx = corpus
    flagged = {f.number for f in _kept(ctx, res) if f.kind == "patent"}
    assert len(labels.untouched) > 300
    assert not flagged & labels.untouched
    assert not flagged & labels.hard_negatives


def test_near_duplicate_evidence_names_documents_jaccard_and_diff(corpus):
    _store, _labels, res, ctx = corpus
    f = next(f for f in _kept(ctx, res, "near_duplicate") if f.evidence["diff"]["count_only_in_this"])
    ev = f.evidence
    assert ev["documents"][0]["number"] in ev["related"] and ev["documents"][0]["jaccard"] >= 0.8
    assert f.score == ev["figures"]["jaccard"] >= 0.8
    assert ev["diff"]["compared_with"] == ev["related"][0]
    assert ev["diff"]["only_in_this"] and ev["diff"]["only_in_other"]
    assert f.legal_basis.endswith("Art. 3(1)")


def test_recombination_evidence_lists_where_each_feature_comes_from(corpus):
    _store, labels, res, ctx = corpus
    flags = _kept(ctx, res, "recombination")
    assert flags and all("P1" in labels.docs[f.number] for f in flags)
    ev = flags[0].evidence
    assert ev["figures"]["coverage"] == 1.0 and ev["figures"]["found"] >= 3
    assert all(x["found_in"] for x in ev["features"])
    assert len({n for x in ev["features"] for n in x["found_in"]}) >= 2
    assert ev["figures"]["largest_from_one_filing"] < ev["figures"]["found"]


def test_burst_party_graph_and_transfer_evidence(corpus):
    _store, _labels, res, ctx = corpus
    b = _kept(ctx, res, "filing_burst")[0].evidence["figures"]
    assert b["filings_in_week"] >= 10 and b["poisson_p"] < 1e-6
    assert b["filings_per_inventor"] >= 2.5 or b["ipc_sections"] >= 3
    g = _kept(ctx, res, "party_graph")[0].evidence
    assert g["figures"]["applicants"] >= 3 and g["related"]
    assert any(t["attribute"].startswith(("addr:", "inv:")) for t in g["ties"])
    kinds = {x["kind"] for f in _kept(ctx, res, "transfer_chain") for x in f.evidence["findings"]}
    assert kinds == {"transfer chain", "many-to-one transfers", "all inventors replaced"}


def _mini_store(tmp_path, shared_data, dates):
    """Real filings (one weekly slice) plus exact copies by the same applicant filed on the given dates."""
    from ipoffice.core.model import PatentRecord
    from ipoffice.core.store import PartyResolver, open_store, upsert_patents

    ie = _bench()
    stage = open_store(tmp_path / "stage")
    ie.import_real(stage, ["patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg090106.small.xml"])
    recs = [r for r in ie.real_records(stage) if ie._full_text(r)]
    stage.engine.dispose()
    store = open_store(tmp_path / "home")
    out = []
    for i, (day, src) in enumerate(zip(dates, recs, strict=False)):
        for k in range(2):
            r = copy.deepcopy(src)
            r["number"] = f"{src['number']}-{k}"
            r["application_number"] = None
            r["family_id"] = None
            r["priorities"] = []
            r["application_date"] = day.isoformat() if (day and not (i == 0 and k == 1)) else None
            r["publication_date"] = (day + dt.timedelta(days=100)).isoformat() if day else None
            out.append(r)
    with store.session() as s:
        upsert_patents(s, [(PatentRecord.model_validate(r), "test") for r in out], PartyResolver())
        s.commit()
    return store, out


def test_rules_of_the_filing_date_and_gaps_named(tmp_path, shared_data):
    from ipoffice.integrity import corpus_signals as cs
    from ipoffice.integrity.rules import default_rules
    from ipoffice.integrity.signals import ScanContext

    dates = [dt.date(2023, 6, 1), dt.date(2024, 3, 1), dt.date(2019, 5, 1)]
    store, recs = _mini_store(tmp_path, shared_data, dates)
    ctx = ScanContext(engine=store.engine, rules=default_rules(), engine_name="python", options={"perdoc": False})
    flags = {f.number: f for f in cs.corpus_results(ctx).flags["near_duplicate"]}
    a, b, c = (recs[i]["number"] for i in (0, 2, 4))
    assert "Announcement No. 411" in flags[a].legal_basis and flags[a].legal_basis.endswith("Art. 3(1)")
    assert "Order No. 77" in flags[b].legal_basis and flags[b].score == 1.0
    assert c not in flags  # filed 2019: no rule in force
    # the copy without an application date is judged by its publication date, and says so
    gap = flags[recs[1]["number"]]
    assert gap.filing_date == dates[0] + dt.timedelta(days=100)
    assert any("no application date" in g for g in gap.evidence["gaps"])
    # --since: earlier filings still serve as evidence but are not flagged
    ctx2 = ScanContext(engine=store.engine, rules=default_rules(), since=dt.date(2024, 1, 1), options={"perdoc": False})
    assert {f.number for f in cs.corpus_results(ctx2).flags["near_duplicate"]} == {b, recs[3]["number"]}
    store.engine.dispose()


def test_filings_without_text_applicant_or_date_are_extracted_with_gaps(tmp_path):
    import duckdb

    from ipoffice.integrity.engines.extract import extract_records

    recs = {
        1: {"number": "X1", "doc_type": "invention"},
        2: {
            "number": "X2",
            "publication_date": "2024-02-02",
            "parties": [{"name": "A Co", "role": "applicant"}],
            "abstracts": {"en": "a short abstract of a device " * 5},
        },
        3: {"number": "X3", "doc_type": "design", "application_date": "2024-02-02", "claims": {"en": ["1. x"]}},
    }
    ex = extract_records(recs.items(), lambda ids: {i: recs[i] for i in ids})
    try:
        rows = dict(duckdb.sql(f"SELECT number, gaps FROM read_parquet('{ex.path('docs')}')").fetchall())
    finally:
        ex.close()
    assert "no filing date" in rows["X1"] and "no applicant named" in rows["X1"] and "no text" in rows["X1"]
    assert "judged by the publication date" in rows["X2"] and "compared on the abstract" in rows["X2"]
    assert "design" in rows["X3"]


def test_rules_file_pins_behaviours_and_thresholds():
    from ipoffice.integrity.rules import default_rules

    r = default_rules()
    for code, item in (("P1", "1"), ("P5", "5"), ("P6", "6"), ("P7", "7")):
        b = r.in_force(code, dt.date(2024, 1, 20))
        assert (b.instrument, b.article, b.item) == ("order77", "3", item)
        assert r.in_force(code, dt.date(2024, 1, 19)).instrument == "ann411"
        assert r.in_force(code, dt.date(2021, 3, 10)) is None
    a4 = r.in_force("A4", dt.date(2025, 1, 1))
    assert (a4.kind, a4.article, a4.item) == ("agency", "4", None)
    assert r.threshold("P1", dt.date(2025, 1, 1), "jaccard", 0) == 0.8
    assert r.threshold("P5", dt.date(2022, 1, 1), "min_burst", 0) == 10
