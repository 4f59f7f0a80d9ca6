"""The recall@10 benchmark (bench/tm_recall.py) and the goods-mapping benchmark run end to end on a small scale.

Real marks from ../shared/data/trademarks, a few labelled pairs hidden among them: the planted earlier mark is
found in the top 10 for the pairs the engine calls similar (exhaustive path; the index path is the same code
behind a candidate filter and has its own tests).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))
    import tm_goods_map
    import tm_recall

    yield tm_recall, tm_goods_map
    sys.path.remove(str(BENCH))


def test_recall_at_10_small(bench, shared_data):
    tm_recall, _ = bench
    out = tm_recall.run(300, 5, limit=25, quiet=True, indexed=False)  # the index has its own tests
    assert out["register_real"] == 300 and out["groups"] == 5
    for mode, m in out["modes"].items():
        rp = m["rule_pairs"]
        assert rp["pairs"] + m["famous_pairs"]["pairs"] == 25
        # every miss is explained: the engine does not call the pair similar, or ranks it low
        assert rp["miss_similar_not_found"] == 0, (mode, m["misses"])
        assert rp["recall@10"] >= 0.7, (mode, m["misses"])


def test_goods_map_small(bench, shared_data):
    _, tm_goods_map = bench
    items = tm_goods_map.cnipa_2017()
    assert len(items) > 11000
    r = tm_goods_map.measure("cnipa-2017", items[:200])
    assert r["items"] == 200 and abs(sum(r["share"].values()) - 1) < 1e-6
    assert r["share"]["exact"] + r["share"]["code"] > 0.8  # an older edition of the same table maps mostly exactly
    assert len(tm_goods_map.iponz()) > 1000 and tm_goods_map.tmid()
