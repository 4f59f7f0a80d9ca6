"""The corpus passes in DuckDB, over the Parquet tables of an `Extract` (one machine, memory bounded).

Each method is one pass and returns plain, sorted Python values; `spark_passes.SparkPasses` implements the same
methods with the same results (tests/integrity/test_engines_parity.py holds them to it). Thresholds arrive as
arguments: the caller passes the loosest value of any rule version, and judges each filing by its own date.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from ipoffice.integrity.engines.extract import NUM_PERM, TABLES, Extract

MAX_ITER = 64


def copy_pairs_steps(min_matches: int, semi: str = "SEMI JOIN") -> list[tuple[str, str]]:
    """The directed copying candidates both engines select from, as named steps (SQL both DuckDB and Spark read;
    `semi`: the dialect's semi join, "SEMI JOIN" or Spark's "LEFT SEMI JOIN"): `copy_dir`, the scored pairs
    turned source -> target where the source was published before the target's filing; `copy_same_owner` and
    `copy_same_inventor`, those of them sharing an owner or an inventor, ready to be anti-joined away.

    Each step is keyed on (target, source) and joins one side at a time, so no step can join owners or
    inventors with each other across the corpus (an applicant of 20,000 filings would pair them all): DuckDB
    materialises every step as a temp table (each can spill to disk within the memory limit), Spark as a view.
    """
    n = int(min_matches)
    return [
        (
            "copy_dir",
            f"""
            WITH pd AS (
                SELECT p.a, p.b, p.m, da.filing_date AS fa, da.pub_date AS pa, db.filing_date AS fb, db.pub_date AS pb
                FROM scored_pairs p JOIN docs da ON da.doc_id = p.a JOIN docs db ON db.doc_id = p.b
                WHERE p.m >= {n}
            )
            SELECT b AS target, a AS source, m FROM pd WHERE pa < fb
            UNION ALL
            SELECT a AS target, b AS source, m FROM pd WHERE pb < fa
            """,
        ),
        (
            "copy_target_owner",
            "SELECT d.target, d.source, x.owner FROM copy_dir d JOIN owners x ON x.doc_id = d.target",
        ),
        (
            "copy_same_owner",
            f"""SELECT DISTINCT t.target, t.source FROM copy_target_owner t
                {semi} owners y ON y.doc_id = t.source AND y.owner = t.owner""",
        ),
        (
            "copy_target_inventor",
            """SELECT d.target, d.source, x.attr FROM copy_dir d
               JOIN links x ON x.doc_id = d.target WHERE x.attr LIKE 'inv:%'""",
        ),
        (
            "copy_same_inventor",
            f"""SELECT DISTINCT t.target, t.source FROM copy_target_inventor t
                {semi} links y ON y.doc_id = t.source AND y.attr = t.attr""",
        ),
    ]


def copy_pairs_sql(min_matches: int, semi: str = "SEMI JOIN") -> str:
    """The steps of `copy_pairs_steps` as one WITH clause (names `copy_dir`, `copy_same_owner`, ...)."""
    return "WITH " + ",\n".join(f"{name} AS ({sql})" for name, sql in copy_pairs_steps(min_matches, semi)) + "\n"


class DuckDBPasses:
    name = "duckdb"

    def __init__(self, ex: Extract, memory_limit: str | None = None, threads: int | None = None) -> None:
        self.ex = ex
        self.con = duckdb.connect()
        self.con.execute(f"SET memory_limit='{memory_limit or os.environ.get('IPOFFICE_DUCKDB_MEMORY', '2GB')}'")
        self._spill = f"{tempfile.gettempdir()}/ipoffice-duckdb-spill"
        os.makedirs(self._spill, exist_ok=True)
        self.con.execute(f"SET temp_directory='{self._spill}'")
        self.con.execute("SET preserve_insertion_order=false")
        # two threads unless told: each thread's hash tables and sort runs take their share of the memory limit
        self.con.execute(f"SET threads={int(threads or os.environ.get('IPOFFICE_DUCKDB_THREADS', 2))}")
        for t in TABLES:
            self.con.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{ex.path(t)}')")

    def close(self) -> None:
        self.con.close()

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    # ------------------------------------------------------------ P1 near-duplicates, P2 copying candidates
    _pairs_at: tuple[int, int] | None = None  # (min_matches, max_bucket) of the scored_pairs table

    def prepare_pairs(self, min_matches: int, max_bucket: int) -> None:
        """LSH: pairs sharing a band bucket (buckets over `max_bucket` documents are boilerplate and skipped),
        not of one family, whose signatures agree in >= `min_matches` of NUM_PERM positions, into the temp table
        `scored_pairs` (a < b). One band join serves the near-duplicate (P1, P6) and the copying (P2) passes:
        pass the lowest floor of the two.

        Each step is a temp table (DuckDB spills a materialised step to disk within the memory limit, where a
        chain of CTEs holds every intermediate at once), joined on keys only. The signatures are compared last,
        outside the joins (`_score_pairs`): joining 128-value lists onto millions of pairs is what ran DuckDB out
        of memory at a million filings (a list column cannot go through a hash join within the limit)."""
        if self._pairs_at is not None and self._pairs_at[0] <= min_matches and self._pairs_at[1] == max_bucket:
            return
        for name, sql in (
            (
                "lsh_members",
                f"""SELECT b.doc_id, b.band, b.h FROM bands b SEMI JOIN (
                        SELECT band, h FROM bands GROUP BY band, h HAVING count(*) BETWEEN 2 AND {int(max_bucket)}
                    ) k ON k.band = b.band AND k.h = b.h""",
            ),
            (
                "lsh_cand",
                """SELECT DISTINCT x.doc_id AS a, y.doc_id AS b
                   FROM lsh_members x JOIN lsh_members y ON x.band = y.band AND x.h = y.h AND x.doc_id < y.doc_id""",
            ),
            ("lsh_cand_key", "SELECT c.a, c.b, x.key FROM lsh_cand c JOIN related x ON x.doc_id = c.a"),
            (
                "lsh_fam",
                "SELECT DISTINCT c.a, c.b FROM lsh_cand_key c SEMI JOIN related y ON y.doc_id = c.b AND y.key = c.key",
            ),
            ("lsh_keep", "SELECT a, b FROM lsh_cand ANTI JOIN lsh_fam USING (a, b)"),
        ):
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        for name in ("lsh_members", "lsh_cand", "lsh_cand_key", "lsh_fam"):
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
        self._score_pairs(int(min_matches))
        self.con.execute("DROP TABLE IF EXISTS lsh_keep")
        self._pairs_at = (int(min_matches), int(max_bucket))

    _PAIR_BATCH = 100_000  # candidate pairs scored at once: 2 x 100,000 x 128 x 4 bytes of gathered signatures

    def _score_pairs(self, min_matches: int) -> None:
        """`scored_pairs` (a, b, m) from `lsh_keep` (a, b): m, the positions where the two signatures agree.

        The signatures go once into a (documents x NUM_PERM) uint32 matrix, memory-mapped from a temporary file
        (512 MB a million filings, paged by the OS rather than held), rows in doc_id order; the candidate pairs
        stream out of DuckDB in batches and are compared with numpy. The same count as Spark's
        `zip_with`/`aggregate` over the two lists (tests/integrity/test_engines_parity.py)."""
        c = self.con
        ids = c.execute("SELECT doc_id FROM sigs ORDER BY doc_id").fetchnumpy()["doc_id"].astype(np.int64)
        c.execute("CREATE OR REPLACE TEMP TABLE scored_pairs (a BIGINT, b BIGINT, m INTEGER)")
        if not len(ids):
            return
        with tempfile.TemporaryDirectory(prefix="ipoffice-sigs-", dir=self._spill) as tmp:
            mat = np.memmap(Path(tmp) / "sigs.u32", dtype=np.uint32, mode="w+", shape=(len(ids), NUM_PERM))
            cur = c.execute(f"SELECT doc_id, unnest(sig) AS v, unnest(range({NUM_PERM})) AS pos FROM sigs")
            while True:
                df = cur.fetch_df_chunk(64)
                if df is None or not len(df):
                    break
                rows = np.searchsorted(ids, df["doc_id"].to_numpy(np.int64))
                mat[rows, df["pos"].to_numpy(np.int64)] = df["v"].to_numpy(np.int64).astype(np.uint32)
            kept: list[pd.DataFrame] = []
            cur = c.execute("SELECT a, b FROM lsh_keep")
            while True:
                df = cur.fetch_df_chunk(self._PAIR_BATCH // 2048 + 1)
                if df is None or not len(df):
                    break
                a, b = df["a"].to_numpy(np.int64), df["b"].to_numpy(np.int64)
                m = (mat[np.searchsorted(ids, a)] == mat[np.searchsorted(ids, b)]).sum(axis=1, dtype=np.int32)
                keep = m >= min_matches
                if keep.any():  # the pairs that score are few (near-duplicates, copies): kept until the end
                    kept.append(pd.DataFrame({"a": a[keep], "b": b[keep], "m": m[keep]}))
            del mat
        if kept:
            c.register("got_pairs", pd.concat(kept, ignore_index=True))
            c.execute("INSERT INTO scored_pairs SELECT a, b, m FROM got_pairs")
            c.unregister("got_pairs")

    def candidate_pairs(self, min_matches: int, max_bucket: int) -> list[tuple[int, int, int]]:
        """Near-duplicate candidates (a < b, matching signature positions) with >= `min_matches` positions."""
        self.prepare_pairs(min_matches, max_bucket)
        return self._rows(f"SELECT a, b, m FROM scored_pairs WHERE m >= {int(min_matches)} ORDER BY a, b")

    def copy_candidates(self, min_matches: int, max_bucket: int) -> list[tuple[int, int, int]]:
        """Copying candidates (P2): (target, source, matching positions) of pairs whose source was published
        before the target's filing date, with no owner and no inventor in common (another applicant's prior
        art; families are already out)."""
        self.prepare_pairs(min_matches, max_bucket)
        steps = copy_pairs_steps(min_matches)
        for name, sql in steps:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        try:
            return self._rows(
                """
                SELECT target, source, m FROM copy_dir
                ANTI JOIN copy_same_owner USING (target, source) ANTI JOIN copy_same_inventor USING (target, source)
                ORDER BY target, source
                """
            )
        finally:
            for name, _ in steps:
                self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def boilerplate(self, ids: list[int], min_docs: int) -> list[int]:
        """Sampled shingles of the given documents carried by >= `min_docs` documents of the whole corpus."""
        if not ids:
            return []
        return [
            r[0]
            for r in self._rows(
                f"""
                WITH want AS (SELECT DISTINCT unnest(?::BIGINT[]) AS doc_id),
                hs AS (SELECT DISTINCT h FROM dfs SEMI JOIN want USING (doc_id))
                SELECT h FROM dfs SEMI JOIN hs USING (h) GROUP BY h
                HAVING count(DISTINCT doc_id) >= {int(min_docs)} ORDER BY 1
                """,
                [list(ids)],
            )
        ]

    # ------------------------------------------------------------ P3, P4 per-document judgements
    def perdoc_flags(self) -> list[tuple]:
        """(doc_id, number, filing_date, code, signal, score, evidence JSON) judged in the extraction pass."""
        return self._rows(
            "SELECT doc_id, number, filing_date, code, signal, score, evidence FROM perdoc ORDER BY doc_id, code"
        )

    # ------------------------------------------------------------ P1 recombination
    def recombination(self, min_features: int, max_feature_docs: int) -> list[tuple[int, int, int, int, list[int]]]:
        """Filings whose claim-1 features are found in their owner's other filings, spread over >= 2 of them.

        Returns (doc_id, n_features, n_found, largest share held by one other filing, source doc ids)."""
        return [
            (a, n, f, one, sorted(srcs))
            for a, n, f, one, srcs in self._rows(
                f"""
                WITH df AS (SELECT f.doc_id, f.f, o.owner FROM features f JOIN owners o USING (doc_id)),
                common AS (SELECT owner, f FROM df GROUP BY owner, f
                           HAVING count(DISTINCT doc_id) > {int(max_feature_docs)}),
                dfx AS (SELECT * FROM df ANTI JOIN common USING (owner, f)),
                hits AS (
                    SELECT DISTINCT x.doc_id, x.f, y.doc_id AS src
                    FROM dfx x JOIN dfx y ON x.owner = y.owner AND x.f = y.f AND x.doc_id <> y.doc_id
                ),
                per_src AS (SELECT doc_id, src, count(DISTINCT f) AS c FROM hits GROUP BY doc_id, src),
                agg AS (SELECT doc_id, count(DISTINCT f) AS found FROM hits GROUP BY doc_id),
                one AS (SELECT doc_id, max(c) AS one, list(DISTINCT src) AS srcs FROM per_src GROUP BY doc_id)
                SELECT d.doc_id, d.n_features, a.found, o.one, o.srcs
                FROM agg a JOIN one o USING (doc_id) JOIN docs d USING (doc_id)
                WHERE d.n_features >= {int(min_features)} AND len(o.srcs) >= 2
                ORDER BY d.doc_id
                """
            )
        ]

    # ------------------------------------------------------------ P6 party graph
    def components(self, max_hub: int) -> dict[str, str]:
        """Connected components of owners tied by shared attributes (label propagation with pointer jumping).

        Attributes shared by more than `max_hub` owners (a common name, a big agency's address) are not ties.
        Returns owner -> component id (the smallest owner of the component), for components of >= 2 owners."""
        c = self.con
        c.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE oa AS
                SELECT DISTINCT 'o:' || o.owner AS u, l.attr AS v FROM owners o JOIN links l USING (doc_id);
            CREATE OR REPLACE TEMP TABLE oa_ok AS
                SELECT * FROM oa SEMI JOIN (
                    SELECT v FROM oa GROUP BY v HAVING count(*) BETWEEN 2 AND {int(max_hub)}
                ) USING (v);
            CREATE OR REPLACE TEMP TABLE edges AS
                SELECT u, v FROM oa_ok UNION SELECT v AS u, u AS v FROM oa_ok;
            CREATE OR REPLACE TEMP TABLE labels AS
                SELECT DISTINCT u AS node, u AS lbl FROM edges;
            """
        )
        for _ in range(MAX_ITER):
            c.execute(
                """
                CREATE OR REPLACE TEMP TABLE step AS
                    SELECT l.node, least(l.lbl, coalesce(m.lbl, l.lbl)) AS lbl FROM labels l
                    LEFT JOIN (SELECT e.u AS node, min(n.lbl) AS lbl FROM edges e JOIN labels n ON n.node = e.v
                               GROUP BY e.u) m USING (node);
                CREATE OR REPLACE TEMP TABLE jumped AS
                    SELECT s.node, least(s.lbl, coalesce(p.lbl, s.lbl)) AS lbl
                    FROM step s LEFT JOIN step p ON p.node = s.lbl;
                """
            )
            changed = c.execute(
                "SELECT count(*) FROM jumped j JOIN labels l USING (node) WHERE j.lbl <> l.lbl"
            ).fetchone()[0]
            c.execute("CREATE OR REPLACE TEMP TABLE labels AS SELECT * FROM jumped")
            if changed == 0:
                break
        rows = self._rows(
            """
            WITH own AS (SELECT substr(node, 3) AS owner, lbl FROM labels WHERE node LIKE 'o:%'),
            comp AS (SELECT lbl, min(owner) AS cid, count(*) AS n FROM own GROUP BY lbl HAVING count(*) >= 2)
            SELECT own.owner, comp.cid FROM own JOIN comp USING (lbl) ORDER BY 1
            """
        )
        return dict(rows)

    def component_ties(self, owners: list[str], max_hub: int) -> list[tuple[str, str]]:
        """(owner, attribute) ties of the given owners, for evidence: what links them."""
        if not owners:
            return []
        return self._rows(
            f"""
            WITH oa AS (SELECT DISTINCT o.owner, l.attr FROM owners o JOIN links l USING (doc_id)),
            ok AS (SELECT attr FROM oa GROUP BY attr HAVING count(*) BETWEEN 2 AND {int(max_hub)})
            SELECT owner, attr FROM oa SEMI JOIN ok USING (attr) WHERE owner IN (SELECT unnest(?)) ORDER BY 1, 2
            """,
            [owners],
        )

    # ------------------------------------------------------------ P5 volume and bursts
    def weekly(
        self, min_burst: int
    ) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int, int, int, list[int]]]]:
        """For owners with a week of >= `min_burst` filings: all their weekly counts (owner, week, n), and per
        such week (owner, week, n, distinct inventors, distinct IPC sections, doc ids)."""
        c = self.con
        c.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE dw AS
                SELECT DISTINCT o.owner, d.week, d.doc_id FROM owners o JOIN docs d USING (doc_id)
                WHERE d.week IS NOT NULL;
            CREATE OR REPLACE TEMP TABLE wk AS SELECT owner, week, count(*) AS n FROM dw GROUP BY owner, week;
            CREATE OR REPLACE TEMP TABLE hot AS SELECT owner, week FROM wk WHERE n >= {int(min_burst)};
            """
        )
        weeks = self._rows(
            """SELECT owner, week, n::INTEGER FROM wk
               SEMI JOIN (SELECT DISTINCT owner FROM hot) USING (owner) ORDER BY 1, 2"""
        )
        bursts = self._rows(
            """
            WITH b AS (SELECT dw.* FROM dw SEMI JOIN hot USING (owner, week))
            SELECT b.owner, b.week, count(DISTINCT b.doc_id)::INTEGER,
                   count(DISTINCT l.attr)::INTEGER, count(DISTINCT s.section)::INTEGER, list(DISTINCT b.doc_id)
            FROM b LEFT JOIN (SELECT * FROM links WHERE attr LIKE 'inv:%') l ON l.doc_id = b.doc_id
                   LEFT JOIN sections s ON s.doc_id = b.doc_id
            GROUP BY b.owner, b.week ORDER BY 1, 2
            """
        )
        return weeks, [(o, w, n, i, s, sorted(d)) for o, w, n, i, s, d in bursts]

    # ------------------------------------------------------------ P7 transfers and inventor changes
    def transfers(
        self, window_days: int, min_sources: int
    ) -> tuple[list[tuple[int, int, int, list[str]]], list[tuple[str, int, list[int]]], list[tuple]]:
        """(doc, transfers within the window, days to the first, the chain of owners) for each transferred filing;
        (receiver, distinct transferors, doc ids) for receivers of >= `min_sources` transferors in the window;
        inventor changes (doc, days, removed, added, kept)."""
        chains = self._rows(
            f"""
            SELECT doc_id, count(*)::INTEGER, min(days)::INTEGER,
                   list_concat([first(from_owner ORDER BY seq)], list(to_owner ORDER BY seq))
            FROM transfers WHERE days BETWEEN 0 AND {int(window_days)} GROUP BY doc_id ORDER BY doc_id
            """
        )
        many = self._rows(
            f"""
            SELECT to_owner, count(DISTINCT from_owner)::INTEGER, list(DISTINCT doc_id)
            FROM transfers WHERE days BETWEEN 0 AND {int(window_days)} AND to_owner <> '' AND from_owner <> to_owner
            GROUP BY to_owner HAVING count(DISTINCT from_owner) >= {int(min_sources)} ORDER BY 1
            """
        )
        changes = self._rows(
            """SELECT doc_id, days, removed, added, kept FROM invchanges
               ORDER BY doc_id, days NULLS FIRST, removed, added"""
        )
        return chains, [(r, n, sorted(d)) for r, n, d in many], changes

    # ------------------------------------------------------------ A4 agencies
    def agency_counts(self, flagged: list[int]) -> list[tuple[str, int, int]]:
        """(agency, filings, flagged filings) for every agency."""
        return self._rows(
            """
            WITH f AS (SELECT DISTINCT unnest(?::BIGINT[]) AS doc_id)
            SELECT a.agency, count(DISTINCT a.doc_id)::INTEGER,
                   count(DISTINCT CASE WHEN f.doc_id IS NOT NULL THEN a.doc_id END)::INTEGER
            FROM agencies a LEFT JOIN f USING (doc_id) GROUP BY a.agency ORDER BY 1
            """,
            [flagged],
        )

    # ------------------------------------------------------------ lookups for evidence (small)
    def docs_meta(self, ids: list[int]) -> dict[int, dict[str, Any]]:
        return docs_meta(self.con, ids)


def docs_meta(con: duckdb.DuckDBPyConnection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """number, filing date, owners, agency and gaps of the given documents (DuckDB over the Parquet tables)."""
    import orjson

    if not ids:
        return {}
    rows = con.execute(
        """
        WITH want AS (SELECT DISTINCT unnest(?::BIGINT[]) AS doc_id)
        SELECT d.doc_id, d.number, d.filing_date, d.owner, d.gaps, d.pub_date,
               (SELECT list(o.owner ORDER BY o.owner) FROM owners o WHERE o.doc_id = d.doc_id),
               (SELECT first(a.agency) FROM agencies a WHERE a.doc_id = d.doc_id)
        FROM docs d SEMI JOIN want USING (doc_id)
        """,
        [list(ids)],
    ).fetchall()
    return {
        r[0]: {
            "number": r[1],
            "filing_date": r[2],
            "owner": r[3],
            "gaps": orjson.loads(r[4] or "[]"),
            "publication_date": r[5],
            "owners": r[6] or [],
            "agency": r[7],
        }
        for r in rows
    }


__all__ = ["DuckDBPasses", "NUM_PERM", "copy_pairs_sql", "copy_pairs_steps", "docs_meta"]
