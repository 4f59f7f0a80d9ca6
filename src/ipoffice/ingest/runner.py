"""Import files into the store: detect the format, stream records, commit in batches.

A bad record is reported (file, record, field) and skipped; everything else loads. Each
batch is committed on its own, so a crash loses nothing already committed and a re-run
completes the job: unchanged records are recognised by their content hash and skipped.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipoffice.core import tables as t
from ipoffice.core.model import PatentRecord, RecordError, TrademarkRecord
from ipoffice.core.store import PartyResolver, PatentRows, Store, prepare_patent, upsert_patents, upsert_trademarks
from ipoffice.ingest.base import Format, detect, get_format

MAX_ERRORS_KEPT = 1000
PARALLEL_MIN_BYTES = 8 << 20  # below this, starting worker processes costs more than it saves
DOCS_PER_TASK = 16


def _parse_batch(args: tuple[str, str, list[tuple[int, bytes]]]) -> list[Any]:
    """Worker: parse a batch of documents of one file (runs in a separate process).

    Records come back with their serialized JSON and content hash (`store.prepare`), so the
    writer process only writes.
    """
    fmt_name, path, chunks = args
    fmt = get_format(fmt_name)
    assert fmt.parse_chunk is not None
    p = Path(path)
    out: list[Any] = []
    for index, chunk in chunks:
        try:
            item = fmt.parse_chunk(p, index, chunk)
            if isinstance(item, PatentRecord):
                out.append(prepare_patent(item, path))
            else:
                out.append(item)
        except Exception as exc:  # noqa: BLE001 - a bad record never stops the file
            out.append(RecordError(path=path, record=f"#{index + 1}", message=f"cannot parse record: {exc!r}"))
    return out


def _batches(fmt: Format, file: Path) -> Iterator[tuple[str, str, list[tuple[int, bytes]]]]:
    assert fmt.split is not None
    batch: list[tuple[int, bytes]] = []
    for item in fmt.split(file):
        batch.append(item)
        if len(batch) >= DOCS_PER_TASK:
            yield fmt.name, str(file), batch
            batch = []
    if batch:
        yield fmt.name, str(file), batch


def parsed_items(fmt: Format, file: Path, workers: int) -> Iterator[Any]:
    """The records of a file in order: split in this process, parsed by `workers` processes.

    Yields RecordErrors, records, or (record, prepared) pairs from workers.

    The store is written by this process alone (SQLite has one writer), so parsing, the
    expensive part, runs beside the writes on the other core(s).
    """
    if workers <= 1 or fmt.split is None or fmt.parse_chunk is None:
        yield from fmt.parse(file)
        return
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ctx.Pool(workers) as pool:
        for result in pool.imap(_parse_batch, _batches(fmt, file), chunksize=1):
            yield from result


def default_workers(file: Path) -> int:
    try:
        big = file.stat().st_size >= PARALLEL_MIN_BYTES
    except OSError:
        big = False
    return min(os.cpu_count() or 1, 4) if big else 1


@dataclass
class ImportReport:
    files: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    formats: Counter = field(default_factory=Counter)
    skip_reasons: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    files_failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def processed(self) -> int:
        return self.loaded + self.updated + self.unchanged

    def exit_code(self) -> int:
        if self.rejected == 0 and not self.files_failed:
            return 0
        return 1 if self.processed else 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "loaded": self.loaded,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "rejected": self.rejected,
            "formats": dict(self.formats),
            "skip_reasons": dict(self.skip_reasons),
            "files_failed": self.files_failed,
            "seconds": round(self.seconds, 3),
            "results": self.errors,
        }


def iter_files(path: Path) -> Iterator[Path]:
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in {".md", ".txt.md"}:
                yield p
    else:
        yield path


Progress = Callable[[str, int], None]


def import_path(
    store: Store,
    path: Path,
    progress: Progress | None = None,
    batch_size: int = 500,
    workers: int | None = None,
) -> ImportReport:
    """Import a file or a folder. `workers` parser processes (default: one per core for big files)."""
    report = ImportReport()
    started = time.perf_counter()
    parties = PartyResolver()
    files = list(iter_files(path))
    if not files:
        report.files_failed.append(f"{path}: no such file or directory, or it is empty")
    for file in files:
        report.files += 1
        n = workers if workers is not None else default_workers(file)
        _import_file(store, file, report, parties, progress, batch_size, single=len(files) == 1, workers=n)
    report.seconds = time.perf_counter() - started
    return report


def _record_error(report: ImportReport, err: RecordError) -> None:
    if err.skipped:
        report.skipped += 1
        report.skip_reasons[err.message] += 1
        return
    report.rejected += 1
    if len(report.errors) < MAX_ERRORS_KEPT:
        report.errors.append(str(err))


def _import_file(
    store: Store,
    file: Path,
    report: ImportReport,
    parties: PartyResolver,
    progress: Progress | None,
    batch_size: int,
    single: bool,
    workers: int = 1,
) -> None:
    try:
        fmt = detect(file)
    except OSError as exc:
        report.files_failed.append(f"{file}: cannot read: {exc}")
        return
    if fmt is None:
        msg = f"{file}: no known format (see `ipoffice formats`)"
        if single:
            report.files_failed.append(msg)
        else:
            report.skipped += 1
            report.skip_reasons["file of no known format"] += 1
        return
    with store.session() as session:
        run = t.ImportRun(path=str(file), format=fmt.name)
        session.add(run)
        session.commit()
        run_id = run.id
    batch_p: list[Any] = []
    batch_t: list[tuple[TrademarkRecord, str]] = []
    file_errors: list[str] = []
    before = report.rejected

    def flush() -> None:
        if not batch_p and not batch_t:
            return
        with store.session() as session:
            for res in (
                upsert_patents(session, batch_p, parties) if batch_p else None,
                upsert_trademarks(session, batch_t, parties) if batch_t else None,
            ):
                if res is None:
                    continue
                report.loaded += res.loaded
                report.updated += res.updated
                report.unchanged += res.unchanged
            session.commit()
        if progress:
            progress(str(file), len(batch_p) + len(batch_t))
        batch_p.clear()
        batch_t.clear()

    src = str(file)
    try:
        for item in parsed_items(fmt, file, workers):
            if isinstance(item, RecordError):
                _record_error(report, item)
                if not item.skipped and len(file_errors) < 50:
                    file_errors.append(str(item))
                continue
            if isinstance(item, PatentRows):
                report.formats[item.doc["source_format"]] += 1
                batch_p.append(item)
            elif isinstance(item, PatentRecord):
                report.formats[item.source_format] += 1
                batch_p.append((item, src))
            else:
                report.formats[item.source_format] += 1
                batch_t.append((item, src))
            if len(batch_p) + len(batch_t) >= batch_size:
                flush()
        flush()
        status = "done"
    except Exception as exc:  # noqa: BLE001 - a file that cannot be read to the end is reported, others go on
        parties.forget()  # ids of a rolled-back batch may be stale
        report.rejected += 1
        msg = f"{file}: import stopped: {exc.__class__.__name__}: {exc}"
        report.errors.append(msg)
        file_errors.append(msg)
        status = "failed"
    with store.session() as session:
        run = session.get(t.ImportRun, run_id)
        if run is not None:
            run.finished_at = t.utcnow()
            run.status = status
            run.counts = {"rejected": report.rejected - before}
            run.errors = file_errors
            session.commit()
