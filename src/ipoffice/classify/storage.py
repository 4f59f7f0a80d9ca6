"""Model versions in the data home: ``$IPOFFICE_HOME/models/classify/<version>/``.

Each version folder holds ``model.joblib`` (the fitted `IpcModel`) and ``metadata.json`` (trained at,
counts per source, classes, scheme version, metrics). ``current`` (a small text file, not a symlink, so
it works on every file system) names the version in use; older versions are kept, so a bad training run
can be rolled back by rewriting ``current``. A version is written to a temporary folder and renamed into
place, so a reader never sees half a model.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from ipoffice.classify.model import IpcModel

__all__ = ["ModelError", "LoadedModel", "current_version", "load_current", "model_root", "save_version", "versions"]

FORMAT = 1


class ModelError(Exception):
    """No usable model: missing, unreadable or of another format. The message says how to train one."""


@dataclass
class LoadedModel:
    version: str
    path: Path
    model: IpcModel
    metadata: dict[str, Any]
    titles: dict[str, dict[str, str | None]]


def model_root(home: Path) -> Path:
    return home / "models" / "classify"


def versions(home: Path) -> list[str]:
    root = model_root(home)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []


def current_version(home: Path) -> str | None:
    try:
        v = (model_root(home) / "current").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return v or None


def save_version(
    home: Path, model: IpcModel, metadata: dict[str, Any], titles: dict[str, dict[str, str | None]]
) -> tuple[str, Path]:
    """Write a new version and make it current; returns its name and folder."""
    root = model_root(home)
    root.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    version = now.strftime("%Y%m%dT%H%M%S%fZ")
    tmp = Path(tempfile.mkdtemp(prefix=".train-", dir=root))
    try:
        joblib.dump({"format": FORMAT, "model": model, "titles": titles}, tmp / "model.joblib", compress=3)
        meta = {"version": version, "format": FORMAT, "trained_at": now.isoformat(), **metadata}
        (tmp / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, root / version)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    pointer = root / ".current.tmp"
    pointer.write_text(version + "\n", encoding="utf-8")
    os.replace(pointer, root / "current")
    return version, root / version


_HOW = "train one with `ipoffice classify train`"
_cache: dict[str, tuple[tuple[int, int], LoadedModel]] = {}


def load_current(home: Path) -> LoadedModel:
    """The current model (cached per process until ``current`` or the model file changes)."""
    version = current_version(home)
    if version is None:
        raise ModelError(f"no classification model in {model_root(home)}; {_HOW}")
    path = model_root(home) / version
    file = path / "model.joblib"
    try:
        st = file.stat()
    except OSError:
        raise ModelError(f"classification model {version} is missing its file {file}; {_HOW}") from None
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _cache.get(str(file))
    if hit and hit[0] == stamp:
        return hit[1]
    try:
        blob = joblib.load(file)
        meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001 - any unreadable model is the same problem for the user
        raise ModelError(f"classification model {version} at {path} cannot be read ({exc}); {_HOW}") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT or not isinstance(blob.get("model"), IpcModel):
        raise ModelError(f"classification model {version} at {path} is of another format; {_HOW}")
    loaded = LoadedModel(version, path, blob["model"], meta, blob.get("titles") or {})
    _cache.clear()
    _cache[str(file)] = (stamp, loaded)
    return loaded
