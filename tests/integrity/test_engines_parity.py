"""DuckDB and Spark give the same corpus flags on the same input (Order 77 passes at scale must not depend on
the engine), the per-document signals included: P2 (copying candidates from the LSH band join across applicants),
P3 and P4 (judged in the extraction pass, read back through each engine). Input: real USPTO/CNIPA filings with
injected cases (bench/integrity_eval.py's generator), one extract shared by both engines; Spark in local[2] with
one SparkSession for the module."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    import shutil

    if shutil.which("java") is None and not Path("/usr/lib/jvm").exists():
        pytest.skip("no Java runtime for Spark")
    import os

    from ipoffice.integrity.engines.spark_passes import spark_session

    # a short run: two shuffle partitions for two cores, and the JVM's quick JIT tier
    os.environ.setdefault("IPOFFICE_SPARK_PARTITIONS", "2")
    os.environ.setdefault("IPOFFICE_SPARK_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    s = spark_session("local[2]")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def extract(tmp_path_factory, shared_data):
    from ipoffice.core.store import open_store
    from ipoffice.integrity.engines import extract_store

    sys.path.insert(0, str(ROOT / "bench"))
    import integrity_eval as ie

    store = open_store(tmp_path_factory.mktemp("parity") / "home")
    labels = ie.build(
        store,
        seed=5,
        scale=0.4,
        sources=["patents/uspto-grant-xml/patentprocessor-ipg-slices", "patents/cn"],
    )
    sys.path.insert(0, str(ROOT / "tests" / "integrity"))
    import manipulate as m

    from ipoffice.integrity.engines.perdoc import PerDocSpec
    from ipoffice.integrity.rules import default_rules

    spec = PerDocSpec(rules=default_rules(), model=m.small_model(shared_data), model_where="test")
    ex = extract_store(store.engine, perdoc=spec)
    yield store, ex, labels
    ex.close()
    store.engine.dispose()


def _flags(store, ex, engine_name):
    from ipoffice.integrity import corpus_signals as cs
    from ipoffice.integrity.rules import default_rules
    from ipoffice.integrity.signals import ScanContext

    ctx = ScanContext(engine=store.engine, rules=default_rules(), engine_name=engine_name, options={"extract": ex})
    res = cs.corpus_results(ctx)
    flags = sorted(
        (f.to_json() for fl in res.flags.values() for f in fl), key=lambda d: (d["behaviour"], d["number"], d["signal"])
    )
    stats = {k: v for k, v in res.stats.items() if k not in ("engine", "seconds")}
    return flags, stats


def test_duckdb_and_spark_give_the_same_flags(spark, extract):
    store, ex, labels = extract
    duck, duck_stats = _flags(store, ex, "duckdb")
    sprk, sprk_stats = _flags(store, ex, "spark")
    assert duck_stats == sprk_stats
    assert {f["behaviour"] for f in duck} >= {"P1", "P2", "P4", "P5", "P6", "P7", "A4"}
    assert len(duck) == len(sprk)
    for a, b in zip(duck, sprk, strict=True):
        assert a == b, f"{a['behaviour']} {a['number']} differs between DuckDB and Spark"
