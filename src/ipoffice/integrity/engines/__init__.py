"""Corpus-wide integrity passes (near-duplicates, recombination, bursts, party graph, transfers, agency rates)
on a real query engine: DuckDB on one machine, Spark for a cluster, the same passes and the same results.

`extract` turns filings (from the store, or from generated Parquet at benchmark scale) into flat Parquet tables
once; `duckdb_passes` and `spark_passes` run the same joins and aggregations over those tables and return small
Python results; `ipoffice.integrity.corpus_signals` turns the results into flags under the rules of each filing's
date. The heavy work (LSH band join, signature comparison, label propagation, weekly counts) runs in the engine;
only the small verified outputs come back to Python.
"""

from __future__ import annotations

from ipoffice.integrity.engines.extract import Extract, extract_records, extract_store

__all__ = ["Extract", "extract_records", "extract_store", "open_passes"]


def open_passes(extract: Extract, engine_name: str):  # noqa: ANN201 - one of two pass classes
    """The pass runner of `engine_name` ("duckdb", "python" (= duckdb) or "spark") over an extract."""
    if engine_name == "spark":
        from ipoffice.integrity.engines.spark_passes import SparkPasses

        return SparkPasses(extract)
    if engine_name in ("duckdb", "python"):
        from ipoffice.integrity.engines.duckdb_passes import DuckDBPasses

        return DuckDBPasses(extract)
    raise ValueError(f"unknown engine {engine_name!r}: use duckdb, spark or python")
