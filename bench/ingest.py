"""Ingest benchmark: store-included import vs a parse-only pass over the same file, and peak memory.

The collection is a USPTO weekly-style grant file (concatenated `<?xml` documents) built from
the real full-text grants in ../shared/data/patents/uspto-grant-xml, cycled and **renumbered**
(each copy gets a new publication number so every document is a new record). The documents are
real; only their numbers and repetition are synthetic: there are ~480 real grants on disk.

    .venv/bin/python bench/ingest.py --sizes 10000 100000 [--workers 1 2] [--out bench/out/ingest.json]

For each size it prints documents/s for parse-only (split + lxml parse of every document, safe
parser, no extraction, no store) and for `ipoffice import` into a fresh SQLite data home, their
ratio, and the peak RSS of the import (parent + worker processes) measured in a child process.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT.parent / "shared" / "data" / "patents" / "uspto-grant-xml"
_PUBNUM = re.compile(rb"(<publication-reference>\s*<document-id>\s*<country>US</country>\s*<doc-number>)([^<]+)(<)")


def real_documents() -> list[bytes]:
    """Every real us-patent-grant document (v4.x) in the shared folder, as bytes."""
    sys.path.insert(0, str(ROOT / "src"))
    from ipoffice.ingest.uspto import documents

    docs = []
    for f in sorted(SRC.rglob("*.xml")):
        for _i, chunk in documents(f):
            if b"<us-patent-grant" in chunk[:2000] and _PUBNUM.search(chunk):
                docs.append(chunk.strip() + b"\n")
    return docs


def build_file(path: Path, n: int) -> int:
    docs = real_documents()
    with open(path, "wb") as fh:
        for i in range(n):
            doc = docs[i % len(docs)]
            fh.write(_PUBNUM.sub(lambda m, i=i: m.group(1) + f"9{i:07d}".encode() + m.group(3), doc, count=1))
    return len(docs)


def parse_only(path: Path) -> tuple[int, float]:
    from lxml import etree

    from ipoffice.ingest.base import split_concatenated

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    t = time.perf_counter()
    n = 0
    for _i, chunk in split_concatenated(path):
        etree.fromstring(chunk, parser)
        n += 1
    return n, time.perf_counter() - t


def import_child(path: str, home: str, workers: int) -> None:
    """Runs in a fresh interpreter so its peak RSS is the import's alone."""
    from ipoffice.core.store import open_store
    from ipoffice.ingest.runner import import_path

    store = open_store(Path(home))
    t = time.perf_counter()
    rep = import_path(store, Path(path), workers=workers, batch_size=1000)
    dt = time.perf_counter() - t
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(
        json.dumps(
            {
                "loaded": rep.loaded,
                "rejected": rep.rejected,
                "seconds": dt,
                "peak_rss_mb": round((rss_self + rss_children) / 1024, 1),
                "peak_rss_main_mb": round(rss_self / 1024, 1),
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "ingest.json")
    ap.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()))
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    results = []
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    for n in args.sizes:
        work = Path(tempfile.mkdtemp(dir=args.tmp, prefix="ipoffice-bench-"))
        f = work / f"grants-{n}.xml"
        real = build_file(f, n)
        size_mb = f.stat().st_size / 1e6
        pn, pt = parse_only(f)
        row = {
            "documents": n,
            "real_distinct": real,
            "file_mb": round(size_mb, 1),
            "parse_only_docs_per_s": round(pn / pt, 1),
        }
        for w in args.workers:
            home = work / f"home-{w}"
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(f), str(home), str(w)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
            )
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rate = r["loaded"] / r["seconds"]
            row[f"import_w{w}"] = {
                "docs_per_s": round(rate, 1),
                "ratio_to_parse_only": round(rate / (pn / pt), 3),
                "peak_rss_mb": r["peak_rss_mb"],
                "peak_rss_main_mb": r["peak_rss_main_mb"],
                "loaded": r["loaded"],
                "rejected": r["rejected"],
                "db_mb": round((home / "ipoffice.sqlite").stat().st_size / 1e6, 1),
            }
            shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        results.append(row)
        print(json.dumps(row))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"machine": platform.platform(), "cores": os.cpu_count(), "results": results}, indent=2)
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        import_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
