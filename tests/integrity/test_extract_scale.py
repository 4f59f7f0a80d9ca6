"""The shortcuts that let the extraction and the corpus passes run at a million filings give the same values as
the plain forms they replace (issue #6, session 11): the MinHash signature computed on the whole hash array, the
`dfs` shingle sample computed in numpy with cached word hashes, the cheap drift prefilter of P3, and the signature
comparison done outside DuckDB's joins. Also: the passes finish within a small DuckDB memory limit.

Input: real USPTO/CNIPA filings (tests/integrity/manipulate.load_slice) plus generated and padded variants."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import manipulate as m  # noqa: E402

D22 = dt.date(2022, 6, 1)


def _cn_records(shared_data) -> list:  # noqa: ANN001
    """The CNIPA XML samples (Chinese claims and descriptions) of ../shared/data/patents/cn."""
    from ipoffice.core.model import PatentRecord
    from ipoffice.ingest.base import detect
    from ipoffice.ingest.runner import parsed_items

    out = []
    for sub in ("cnipa-xml-new-business-ns", "cnipa-xml-old-cn-patent-document"):
        for path in sorted((shared_data / "patents" / "cn" / sub).glob("*.xml"))[:4]:
            out += [r for r in parsed_items(detect(path), path, 1) if isinstance(r, PatentRecord)]
    return out


@pytest.fixture(scope="module")
def items(shared_data):
    recs = m.load_slice(shared_data) + _cn_records(shared_data)
    inv = [r for r in recs if r.doc_type == "invention"]
    extra = [m.generated(inv[3], inv, "CN114000091A", D22), m.padded_claims(inv[4], "CN114000092A", D22)]
    return [(i + 1, r.model_dump(mode="json")) for i, r in enumerate([*recs, *extra])]


def test_signature_is_datasketch_minhash(items):
    from datasketch import MinHash

    from ipoffice.integrity.engines import extract as e

    checked = 0
    for _i, data in items[:60]:
        hashes = e.shingle_hashes(e.tokens(e.doc_text(data)))
        if len(hashes) < e.MIN_SHINGLES:
            continue
        ref = MinHash(e.NUM_PERM, hashfunc=lambda x: x, permutations=e._PERMS, scheme=e._TEMPLATE.scheme)
        ref.update_batch(hashes.tolist())
        assert np.array_equal(e.signature(hashes), ref.hashvalues.astype(np.int64))
        checked += 1
    assert checked >= 20


def test_dfs_sample_is_copying_sample(items):
    from ipoffice.integrity import copying
    from ipoffice.integrity.engines.extract import _sampled_shingles
    from ipoffice.integrity.engines.perdoc import filing_from_record

    langs = set()
    for i, data in items:
        doc = filing_from_record(i, data)
        langs.add(doc.language)
        assert _sampled_shingles(i, data, doc) == sorted(copying.sampled(copying.shingles(doc)))
    assert {"en", "zh"} <= langs


def test_cheap_drift_prefilter_keeps_every_text_prepare_would_classify(items, shared_data):
    """`_may_drift` may only say no where `prepare` (the full statistics) would not classify the text either."""
    from ipoffice.integrity.engines.perdoc import PerDocSpec, _may_drift, filing_from_record
    from ipoffice.integrity.rules import default_rules

    spec = PerDocSpec(rules=default_rules(), model=m.small_model(shared_data), model_where="test")
    classified = 0
    for i, data in items:
        doc = filing_from_record(i, data)
        if doc.language not in spec.model.lms:
            continue
        th = spec.rules.in_force("P3", D22).thresholds
        bound = (float(th.get("flag", 0.5)) - 1e-4) / 0.8 * float(th.get("drift_min_z", 2.5))
        min_windows = int(th.get("min_windows", 2))
        for bar in (bound, 0.0, -5.0):  # the rule's bound, and lower ones, so that texts do pass
            text = doc.text(4000)
            may = _may_drift(spec.model, text, bar, min_windows)
            res, x = spec.model.prepare(text, min_drift=bar, min_windows=min_windows)
            if res is None or res["windows"] < min_windows:
                assert may is None
                continue
            if x is not None:
                classified += 1
                assert may, (doc.number, bar)
    assert classified >= 10


def test_passes_finish_within_a_small_memory_limit_with_the_same_results(tmp_path, items):
    """The pair passes materialise keyed steps and compare signatures outside the joins: within 64 MB they give
    what they give with the default limit; the signatures are written in small row groups."""
    import duckdb

    from ipoffice.integrity.engines.duckdb_passes import DuckDBPasses
    from ipoffice.integrity.engines.extract import extract_records

    # near-duplicates and a copy (another applicant, published before) so the pair steps have rows
    base = [(i, d) for i, d in items if d.get("doc_type") == "invention"][:40]
    dup = []
    for k, (_i, d) in enumerate(base[:6]):
        c = dict(d, number=f"CN11499{k:04d}A", application_date="2030-01-01", publication_date="2031-01-01")
        c.update(family_id=None, application_number=None, priorities=[])  # not of the source's family
        if k % 2:
            c["parties"] = [{"name": f"Other Applicant {k}", "role": "applicant"}]
        dup.append((10_000 + k, c))
    ex = extract_records([*base, *dup], lambda ids: {}, folder=tmp_path / "ex")
    meta = duckdb.sql(f"SELECT max(row_group_num_rows) FROM parquet_metadata('{ex.path('sigs')}')").fetchall()[0][0]
    assert meta <= 8192
    got = {}
    for limit in ("64MB", "2GB"):
        p = DuckDBPasses(ex, memory_limit=limit)
        p.prepare_pairs(39, 200)
        got[limit] = (p.candidate_pairs(39, 200), p.copy_candidates(39, 200))
        p.close()
    assert got["64MB"] == got["2GB"]
    pairs, copies = got["2GB"]
    assert {(a, b) for a, b, _ in pairs} >= {(i, 10_000 + k) for k, (i, _d) in enumerate(base[:6])}
    assert {(t, s) for t, s, _ in copies} == {(10_000 + k, i) for k, (i, _d) in enumerate(base[:6]) if k % 2}
