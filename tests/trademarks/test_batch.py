"""The gazette batch gives the online search's answers, on DuckDB and on Spark (local[2]).

Register: real marks (see test_tm_index.real_sample); gazette: real marks of the register and marks one
character or letter away from them, with the contract columns, filed after most of the register.
"""

from __future__ import annotations

import json
import random

import pytest
from test_tm_index import CSV_HEAD, real_sample, variant, with_goods
from typer.testing import CliRunner

from ipoffice.core.roles import SYSTEM
from ipoffice.trademarks import index as tmi
from ipoffice.trademarks.batch import gazette_query, run_gazette
from ipoffice.trademarks.search import conflict_search


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from ipoffice.core.schemes import load_schemes
    from ipoffice.core.store import open_store

    base = tmp_path_factory.mktemp("tmbatch")
    rows = with_goods(real_sample(500, 200, seed=21), seed=4)
    root = base / "index"
    tmi.build_from_rows(root, rows, workers=1)
    store = open_store(base / "home")  # the online search validates groups against the loaded table
    with store.session() as s:
        load_schemes(s, only={"cn-group"})
        s.commit()
    rnd = random.Random(8)
    gazette = []
    for k, r in enumerate(rnd.sample(rows, 30)):
        gazette.append(
            {
                "number": f"G{k:03d}",
                "mark": variant(r.mark, rnd) if k % 2 else r.mark,
                "nice_classes": ";".join(map(str, r.classes)) if k % 3 else "",
                "groups": ";".join(r.groups) if k % 3 != 1 else "",
                "goods": "",
                "applicant": "申请人",
                "filing_date": "2024-06-01" if k % 5 else "",
                "status": "preliminarily-approved",
            }
        )
    gazette.append({"number": "BAD", "mark": "！？", "nice_classes": "3", "filing_date": "2024-06-01"})
    yield store, tmi.TrademarkIndex.open(root), gazette
    store.engine.dispose()


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from ipoffice.trademarks.batch import local_spark

    s = local_spark(cores=2)
    yield s
    s.stop()


def _online(store, idx, gazette, include_dead=False):
    out = []
    with store.session() as s:
        for rec in gazette[:-1]:
            q = gazette_query(rec, include_dead=include_dead)
            out.append(conflict_search(s, SYSTEM, q, index=idx))
    return out


def _strip(res):
    return [{k: r.get(k) for k in ("number", "results", "dead", "error")} for r in res]


def test_duckdb_and_spark_give_the_online_results(setup, spark):
    store, idx, gazette = setup
    online = _online(store, idx, gazette, include_dead=True)
    duck = run_gazette(idx, gazette, "duckdb", include_dead=True, workers=2)
    sprk = run_gazette(idx, gazette, "spark", include_dead=True, spark=spark)
    assert len(duck) == len(sprk) == len(gazette)
    for o, d, s in zip(online, duck, sprk, strict=False):
        assert d["results"] == o["results"] and d["dead"] == o["dead"], d["mark"]
        assert s["results"] == o["results"] and s["dead"] == o["dead"], s["mark"]
    assert sum(len(o["results"]) for o in online) >= 30  # real hits were compared, not empty lists
    assert "error" in duck[-1] and "mark" in duck[-1]["error"] and duck[-1]["results"] == []
    assert _strip(duck) == _strip(sprk)


def test_cli_batch_on_an_imported_register(home, tmp_path):
    from ipoffice.service.cli import app

    rows = with_goods(real_sample(60, 30, seed=2))
    reg = tmp_path / "register.csv"
    lines = [
        f'{r.number},"{r.mark}",{";".join(map(str, r.classes))},{";".join(r.groups)},,甲公司,{r.filing_date},{r.status}'
        for r in rows
        if r.status == "registered"
    ]
    reg.write_text(CSV_HEAD + "\n".join(lines) + "\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert runner.invoke(app, ["import", str(reg)]).exit_code == 0
    first = next(r for r in rows if r.status == "registered")
    gz = tmp_path / "gazette.jsonl"
    recs = [
        {"number": "G1", "mark": first.mark, "nice_classes": [first.classes[0]], "filing_date": "2030-01-01"},
        {"number": "G2", "mark": "", "nice_classes": [3]},
    ]
    gz.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["tm", "batch", "--gazette", str(gz), "--json"])
    assert res.exit_code == 1, res.stdout  # done, one record rejected
    out = json.loads(res.stdout)
    assert out["rejected"] == 1 and out["results"][0]["results"][0]["number"] == first.number
    assert "mark" in out["results"][1]["error"]
    assert runner.invoke(app, ["tm", "batch", "--gazette", str(tmp_path / "none.csv")]).exit_code == 2
    assert runner.invoke(app, ["tm", "batch", "--gazette", str(gz), "--engine", "flink"]).exit_code == 2
