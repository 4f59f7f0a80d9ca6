"""The corpus passes in Spark SQL (local mode here and in CI; a cluster in production), over the same Parquet
tables as `duckdb_passes`, returning the same sorted Python values.

The SQL follows the DuckDB passes statement for statement; where the dialects differ (lambdas, list
aggregates, semi/anti joins) the Spark form is used. Connected components are computed by the same label
propagation with pointer jumping, iterated from the driver, each step checkpointed locally so the plan stays
short (no GraphFrames needed).
"""

from __future__ import annotations

import os
from typing import Any

from ipoffice.integrity.engines.duckdb_passes import MAX_ITER, copy_pairs_steps
from ipoffice.integrity.engines.extract import TABLES, Extract

_SESSION = None


def spark_session(master: str | None = None):  # noqa: ANN201 - pyspark is imported lazily
    """One SparkSession per process (local[2] unless IPOFFICE_SPARK_MASTER or `master` names a cluster)."""
    global _SESSION
    if _SESSION is not None and not _SESSION.sparkContext._jsc.sc().isStopped():
        return _SESSION
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.appName("ipoffice-integrity")
        .master(master or os.environ.get("IPOFFICE_SPARK_MASTER", "local[2]"))
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", os.environ.get("IPOFFICE_SPARK_PARTITIONS", "4"))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", os.environ.get("IPOFFICE_SPARK_MEMORY", "2g"))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.default.parallelism", os.environ.get("IPOFFICE_SPARK_PARTITIONS", "4"))
    )
    if os.environ.get("IPOFFICE_SPARK_JAVA_OPTS"):  # e.g. -XX:TieredStopAtLevel=1 for short test runs
        builder = builder.config("spark.driver.extraJavaOptions", os.environ["IPOFFICE_SPARK_JAVA_OPTS"])
    _SESSION = builder.getOrCreate()
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


class SparkPasses:
    name = "spark"

    def __init__(self, ex: Extract, master: str | None = None) -> None:
        self.ex = ex
        self.spark = spark_session(master)
        for t in TABLES:
            self.spark.read.parquet(str(ex.path(t))).createOrReplaceTempView(t)

    def close(self) -> None:
        for t in TABLES:
            self.spark.catalog.dropTempView(t)

    def _rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.spark.sql(sql).collect()]

    def _view(self, name: str, sql: str, checkpoint: bool = False) -> None:
        df = self.spark.sql(sql)
        if checkpoint:
            df = df.localCheckpoint()
        df.createOrReplaceTempView(name)

    # ------------------------------------------------------------ P1 near-duplicates, P2 copying candidates
    _pairs_at: tuple[int, int] | None = None

    def prepare_pairs(self, min_matches: int, max_bucket: int) -> None:
        """The scored LSH pairs at the lowest floor, checkpointed once for the P1 and P2 passes."""
        if self._pairs_at is not None and self._pairs_at[0] <= min_matches and self._pairs_at[1] == max_bucket:
            return
        self._view(
            "scored_pairs",
            f"""
            WITH buckets AS (
                SELECT band, h FROM bands GROUP BY band, h HAVING count(*) BETWEEN 2 AND {int(max_bucket)}
            ), members AS (
                SELECT b.doc_id, b.band, b.h FROM bands b JOIN buckets k ON b.band = k.band AND b.h = k.h
            ), cand AS (
                SELECT DISTINCT x.doc_id AS a, y.doc_id AS b
                FROM members x JOIN members y ON x.band = y.band AND x.h = y.h AND x.doc_id < y.doc_id
            ), fam AS (
                SELECT DISTINCT c.a, c.b FROM cand c
                JOIN related x ON x.doc_id = c.a JOIN related y ON y.doc_id = c.b AND y.key = x.key
            ), keep AS (
                SELECT c.a, c.b FROM cand c LEFT ANTI JOIN fam f ON f.a = c.a AND f.b = c.b
            ), scored AS (
                SELECT c.a, c.b,
                       aggregate(zip_with(sa.sig, sb.sig, (x, y) -> IF(x = y, 1, 0)), 0, (acc, v) -> acc + v) AS m
                FROM keep c JOIN sigs sa ON sa.doc_id = c.a JOIN sigs sb ON sb.doc_id = c.b
            )
            SELECT a, b, CAST(m AS INT) AS m FROM scored WHERE m >= {int(min_matches)}
            """,
            checkpoint=True,
        )
        self._pairs_at = (int(min_matches), int(max_bucket))

    def candidate_pairs(self, min_matches: int, max_bucket: int) -> list[tuple[int, int, int]]:
        self.prepare_pairs(min_matches, max_bucket)
        rows = self._rows(f"SELECT a, b, m FROM scored_pairs WHERE m >= {int(min_matches)} ORDER BY a, b")
        return [(int(a), int(b), int(m)) for a, b, m in rows]

    def copy_candidates(self, min_matches: int, max_bucket: int) -> list[tuple[int, int, int]]:
        self.prepare_pairs(min_matches, max_bucket)
        for name, sql in copy_pairs_steps(min_matches, semi="LEFT SEMI JOIN"):
            self._view(name, sql)
        rows = self._rows(
            """
            SELECT d.target, d.source, d.m FROM copy_dir d
            LEFT ANTI JOIN copy_same_owner o ON o.target = d.target AND o.source = d.source
            LEFT ANTI JOIN copy_same_inventor i ON i.target = d.target AND i.source = d.source
            ORDER BY d.target, d.source
            """
        )
        return [(int(t), int(s), int(m)) for t, s, m in rows]

    def boilerplate(self, ids: list[int], min_docs: int) -> list[int]:
        if not ids:
            return []
        self.spark.createDataFrame([(int(i),) for i in ids], "doc_id bigint").createOrReplaceTempView("want_docs")
        rows = self._rows(
            f"""
            WITH hs AS (SELECT DISTINCT d.h FROM dfs d LEFT SEMI JOIN want_docs w ON w.doc_id = d.doc_id)
            SELECT d.h FROM dfs d LEFT SEMI JOIN hs ON hs.h = d.h GROUP BY d.h
            HAVING count(DISTINCT d.doc_id) >= {int(min_docs)} ORDER BY 1
            """
        )
        return [int(r[0]) for r in rows]

    # ------------------------------------------------------------ P3, P4 per-document judgements
    def perdoc_flags(self) -> list[tuple]:
        rows = self._rows(
            "SELECT doc_id, number, filing_date, code, signal, score, evidence FROM perdoc ORDER BY doc_id, code"
        )
        return [(int(d), n, day, c, sg, float(sc), ev) for d, n, day, c, sg, sc, ev in rows]

    # ------------------------------------------------------------ P1 recombination
    def recombination(self, min_features: int, max_feature_docs: int) -> list[tuple[int, int, int, int, list[int]]]:
        rows = self._rows(
            f"""
            WITH df AS (SELECT f.doc_id, f.f, o.owner FROM features f JOIN owners o ON o.doc_id = f.doc_id),
            common AS (SELECT owner, f FROM df GROUP BY owner, f
                       HAVING count(DISTINCT doc_id) > {int(max_feature_docs)}),
            dfx AS (SELECT d.* FROM df d LEFT ANTI JOIN common c ON c.owner = d.owner AND c.f = d.f),
            hits AS (
                SELECT DISTINCT x.doc_id, x.f, y.doc_id AS src
                FROM dfx x JOIN dfx y ON x.owner = y.owner AND x.f = y.f AND x.doc_id <> y.doc_id
            ),
            per_src AS (SELECT doc_id, src, count(DISTINCT f) AS c FROM hits GROUP BY doc_id, src),
            agg AS (SELECT doc_id, count(DISTINCT f) AS found FROM hits GROUP BY doc_id),
            one AS (SELECT doc_id, max(c) AS one, collect_set(src) AS srcs FROM per_src GROUP BY doc_id)
            SELECT d.doc_id, d.n_features, a.found, o.one, o.srcs
            FROM agg a JOIN one o ON o.doc_id = a.doc_id JOIN docs d ON d.doc_id = a.doc_id
            WHERE d.n_features >= {int(min_features)} AND size(o.srcs) >= 2
            ORDER BY d.doc_id
            """
        )
        return [(int(a), int(n), int(f), int(one), sorted(int(s) for s in srcs)) for a, n, f, one, srcs in rows]

    # ------------------------------------------------------------ P6 party graph
    def components(self, max_hub: int) -> dict[str, str]:
        self._view(
            "oa",
            "SELECT DISTINCT concat('o:', o.owner) AS u, l.attr AS v FROM owners o JOIN links l ON l.doc_id = o.doc_id",
        )
        self._view(
            "oa_ok",
            f"""SELECT oa.* FROM oa LEFT SEMI JOIN (
                    SELECT v FROM oa GROUP BY v HAVING count(*) BETWEEN 2 AND {int(max_hub)}
                ) k ON k.v = oa.v""",
            checkpoint=True,
        )
        self._view("edges", "SELECT u, v FROM oa_ok UNION SELECT v AS u, u AS v FROM oa_ok", checkpoint=True)
        self._view("labels", "SELECT DISTINCT u AS node, u AS lbl FROM edges", checkpoint=True)
        for _ in range(MAX_ITER):
            self._view(
                "jumped",
                """WITH step AS (
                       SELECT l.node, least(l.lbl, coalesce(m.lbl, l.lbl)) AS lbl FROM labels l
                       LEFT JOIN (SELECT e.u AS node, min(n.lbl) AS lbl FROM edges e JOIN labels n ON n.node = e.v
                                  GROUP BY e.u) m ON m.node = l.node)
                   SELECT s.node, least(s.lbl, coalesce(p.lbl, s.lbl)) AS lbl
                   FROM step s LEFT JOIN step p ON p.node = s.lbl""",
                checkpoint=True,
            )
            changed = self._rows("SELECT count(*) FROM jumped j JOIN labels l ON l.node = j.node WHERE j.lbl <> l.lbl")[
                0
            ][0]
            self.spark.table("jumped").createOrReplaceTempView("labels")
            if changed == 0:
                break
        rows = self._rows(
            """
            WITH own AS (SELECT substr(node, 3) AS owner, lbl FROM labels WHERE node LIKE 'o:%'),
            comp AS (SELECT lbl, min(owner) AS cid, count(*) AS n FROM own GROUP BY lbl HAVING count(*) >= 2)
            SELECT own.owner, comp.cid FROM own JOIN comp ON comp.lbl = own.lbl ORDER BY 1
            """
        )
        return dict(rows)

    def component_ties(self, owners: list[str], max_hub: int) -> list[tuple[str, str]]:
        if not owners:
            return []
        self.spark.createDataFrame([(o,) for o in owners], "owner string").createOrReplaceTempView("want_owners")
        return self._rows(
            f"""
            WITH oa AS (SELECT DISTINCT o.owner, l.attr FROM owners o JOIN links l ON l.doc_id = o.doc_id),
            ok AS (SELECT attr FROM oa GROUP BY attr HAVING count(*) BETWEEN 2 AND {int(max_hub)})
            SELECT oa.owner, oa.attr FROM oa LEFT SEMI JOIN ok ON ok.attr = oa.attr
            LEFT SEMI JOIN want_owners w ON w.owner = oa.owner ORDER BY 1, 2
            """
        )

    # ------------------------------------------------------------ P5 volume and bursts
    def weekly(
        self, min_burst: int
    ) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int, int, int, list[int]]]]:
        self._view(
            "dw",
            """SELECT DISTINCT o.owner, d.week, d.doc_id FROM owners o JOIN docs d ON d.doc_id = o.doc_id
               WHERE d.week IS NOT NULL""",
            checkpoint=True,
        )
        self._view("wk", "SELECT owner, week, count(*) AS n FROM dw GROUP BY owner, week", checkpoint=True)
        self._view("hot", f"SELECT owner, week FROM wk WHERE n >= {int(min_burst)}")
        weeks = self._rows(
            """SELECT owner, week, CAST(n AS INT) FROM wk
               LEFT SEMI JOIN (SELECT DISTINCT owner FROM hot) h ON h.owner = wk.owner ORDER BY 1, 2"""
        )
        bursts = self._rows(
            """
            WITH b AS (SELECT dw.* FROM dw LEFT SEMI JOIN hot h ON h.owner = dw.owner AND h.week = dw.week)
            SELECT b.owner, b.week, CAST(count(DISTINCT b.doc_id) AS INT),
                   CAST(count(DISTINCT l.attr) AS INT), CAST(count(DISTINCT s.section) AS INT), collect_set(b.doc_id)
            FROM b LEFT JOIN (SELECT * FROM links WHERE attr LIKE 'inv:%') l ON l.doc_id = b.doc_id
                   LEFT JOIN sections s ON s.doc_id = b.doc_id
            GROUP BY b.owner, b.week ORDER BY 1, 2
            """
        )
        return (
            [(o, int(w), int(n)) for o, w, n in weeks],
            [(o, int(w), int(n), int(i), int(s), sorted(int(x) for x in d)) for o, w, n, i, s, d in bursts],
        )

    # ------------------------------------------------------------ P7 transfers and inventor changes
    def transfers(
        self, window_days: int, min_sources: int
    ) -> tuple[list[tuple[int, int, int, list[str]]], list[tuple[str, int, list[int]]], list[tuple]]:
        chains = self._rows(
            f"""
            SELECT doc_id, CAST(count(*) AS INT), CAST(min(days) AS INT),
                   concat(array(min_by(from_owner, seq)), transform(array_sort(collect_list(struct(seq, to_owner))),
                          x -> x.to_owner))
            FROM transfers WHERE days BETWEEN 0 AND {int(window_days)} GROUP BY doc_id ORDER BY doc_id
            """
        )
        many = self._rows(
            f"""
            SELECT to_owner, CAST(count(DISTINCT from_owner) AS INT), collect_set(doc_id)
            FROM transfers WHERE days BETWEEN 0 AND {int(window_days)} AND to_owner <> '' AND from_owner <> to_owner
            GROUP BY to_owner HAVING count(DISTINCT from_owner) >= {int(min_sources)} ORDER BY 1
            """
        )
        changes = self._rows(
            """SELECT doc_id, days, removed, added, kept FROM invchanges
               ORDER BY doc_id, days NULLS FIRST, removed, added"""
        )
        return (
            [(int(d), int(n), int(f), list(c)) for d, n, f, c in chains],
            [(r, int(n), sorted(int(x) for x in d)) for r, n, d in many],
            [tuple(None if v is None else int(v) for v in c) for c in changes],
        )

    # ------------------------------------------------------------ A4 agencies
    def agency_counts(self, flagged: list[int]) -> list[tuple[str, int, int]]:
        self.spark.createDataFrame([(int(i),) for i in flagged], "doc_id bigint").createOrReplaceTempView("flagged")
        rows = self._rows(
            """
            WITH f AS (SELECT DISTINCT doc_id FROM flagged)
            SELECT a.agency, CAST(count(DISTINCT a.doc_id) AS INT),
                   CAST(count(DISTINCT CASE WHEN f.doc_id IS NOT NULL THEN a.doc_id END) AS INT)
            FROM agencies a LEFT JOIN f ON f.doc_id = a.doc_id GROUP BY a.agency ORDER BY 1
            """
        )
        return [(a, int(n), int(k)) for a, n, k in rows]

    def docs_meta(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        import duckdb

        from ipoffice.integrity.engines.duckdb_passes import docs_meta

        con = duckdb.connect()
        for t in ("docs", "owners", "agencies"):
            con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{self.ex.path(t)}')")
        try:
            return docs_meta(con, ids)
        finally:
            con.close()
