"""The bundled sample: a small real subset of public office data, loaded on first run."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ipoffice.core import tables as t
from ipoffice.core.store import Store
from ipoffice.ingest.runner import ImportReport, import_path

SAMPLE_FLAG = "sample_loaded"


def sample_dir() -> Path:
    return Path(str(resources.files("ipoffice") / "sample"))


def load_sample(store: Store, force: bool = False) -> ImportReport | None:
    with store.session() as s:
        if not force and s.get(t.Meta, SAMPLE_FLAG) is not None:
            return None
    report = import_path(store, sample_dir())
    with store.session() as s:
        s.merge(t.Meta(key=SAMPLE_FLAG, value=str(report.loaded)))
        s.commit()
    return report
