"""`ipoffice classify train`: fit a model on what the office knows and save it as a new version."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipoffice.classify.data import file_samples, scheme_samples, store_samples
from ipoffice.classify.model import Sample, fit_model
from ipoffice.classify.storage import save_version
from ipoffice.core.schemes import VERSIONS
from ipoffice.core.store import Store

__all__ = ["TrainReport", "train"]

#: most documents kept for the kNN (newest first): bounds model size and query time on a large store
MAX_STORE_DOCUMENTS = 200_000


@dataclass
class TrainReport:
    version: str
    path: str
    counts: dict[str, int]
    classes: dict[str, int]
    metrics: dict[str, Any]
    seconds: float
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "path": self.path,
            "counts": self.counts,
            "classes": self.classes,
            "metrics": self.metrics,
            "seconds": round(self.seconds, 2),
            "errors": self.errors,
            "results": [],
        }


def train(
    store: Store,
    from_paths: Sequence[Path] = (),
    scheme: bool = True,
    documents: bool = True,
    seed: int = 0,
    progress: Callable[[str, int], None] | None = None,
) -> TrainReport:
    """Train on the store's office-classified documents, the IPC scheme titles and any files given.

    Raises ValueError when there is nothing to learn from."""
    started = time.perf_counter()
    samples: list[Sample] = []
    counts: dict[str, int] = {}
    titles: dict[str, dict[str, str | None]] = {}
    errors: list[str] = []
    if documents:
        docs = store_samples(store, limit=MAX_STORE_DOCUMENTS, progress=progress)
        counts["store_documents"] = len(docs)
        samples.extend(docs)
    if from_paths:
        extra = file_samples(from_paths, errors)
        counts["file_documents"] = len(extra)
        samples.extend(extra)
    sch, titles = scheme_samples(store, progress=progress, samples=scheme)
    if scheme:
        counts["scheme_samples"] = len(sch)
        samples.extend(sch)
    model = fit_model(samples, seed=seed)
    classes = {
        "subclasses": len(model.subclasses),
        "main_groups": len(model.main_groups),
        "linear_subclasses": int(len(model.linear_classes)),
        "features": len(model.vectorizer.vocabulary_),
    }
    meta = {
        "counts": counts,
        "classes": classes,
        "scheme": {"name": "ipc", "version": VERSIONS["ipc"], "titles_used": scheme},
        "sources": [str(p) for p in from_paths],
        "seed": seed,
        "parameters": {"alpha": model.alpha, "temperature": model.temperature, "tau": model.tau},
        "metrics": model.metrics,
    }
    version, path = save_version(store.home, model, meta, titles)
    return TrainReport(version, str(path), counts, classes, model.metrics, time.perf_counter() - started, errors[:200])
