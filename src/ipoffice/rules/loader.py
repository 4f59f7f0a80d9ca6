"""Load the time-limit rules from YAML and refuse a bad file, naming the entry at fault.

The rules ship as `rules/data/time_limits.yaml`; a folder of YAML files (e.g.
`rules/data/time_limits/*.yaml`) may be given instead, and its sections are merged. Every entry
is validated on its own first, so one message names every bad entry by section and id, then
the checks that need the whole file run (ids, overlaps, citations in force).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ipoffice.rules.schema import CountingRule, Instrument, Rule, RuleSet, ServiceRule, cross_check

DATA = Path(__file__).parent / "data"
DEFAULT_PATH = DATA / "time_limits.yaml"

SECTIONS: dict[str, type[BaseModel]] = {"counting": CountingRule, "service": ServiceRule, "time_limits": Rule}


class RulesError(ValueError):
    """The rules file is unusable; the message names each bad entry."""


def _describe(err: ValidationError) -> str:
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        if e["type"] == "extra_forbidden":
            out.append(f"unknown field {loc!r}")
        elif e["type"] == "missing":
            what = "legal basis" if loc.startswith("legal_basis") else "field"
            out.append(f"missing {what} {loc!r}")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            out.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(out)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise RulesError(f"{path}: no YAML files")
        return files
    if not path.exists():
        raise RulesError(f"{path}: no such rules file")
    return [path]


def parse(path: Path) -> RuleSet:
    """Read and validate; raise `RulesError` listing every problem found."""
    problems: list[str] = []
    instruments: dict[str, Instrument] = {}
    sections: dict[str, list[Any]] = {name: [] for name in SECTIONS}
    versions: set[Any] = set()
    for file in _files(path):
        try:
            doc = yaml.safe_load(file.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            problems.append(f"{file.name}: not valid YAML: {exc}")
            continue
        if not isinstance(doc, dict):
            problems.append(f"{file.name}: expected a mapping at the top")
            continue
        versions.add(doc.get("schema_version"))
        for key in doc:
            if key not in ("schema_version", "instruments", *SECTIONS):
                problems.append(f"{file.name}: unknown section {key!r}")
        for key, raw in (doc.get("instruments") or {}).items():
            try:
                inst = Instrument.model_validate(raw)
            except ValidationError as exc:
                problems.append(f"{file.name}: instrument {key!r}: {_describe(exc)}")
                continue
            if key in instruments:
                problems.append(f"{file.name}: instrument {key!r} defined twice")
            instruments[key] = inst
        for name, model in SECTIONS.items():
            items = doc.get(name) or []
            if not isinstance(items, list):
                problems.append(f"{file.name}: section {name!r} must be a list")
                continue
            for i, raw in enumerate(items):
                ident = raw.get("id") if isinstance(raw, dict) else None
                label = f"{file.name}: {name} entry {ident!r}" if ident else f"{file.name}: {name} entry #{i + 1}"
                try:
                    sections[name].append(model.model_validate(raw))
                except ValidationError as exc:
                    problems.append(f"{label}: {_describe(exc)}")
    if versions != {1}:
        problems.append(f"{path.name}: schema_version must be 1 in every file (found {sorted(map(str, versions))})")
    if problems:
        raise RulesError("time-limit rules refused:\n  " + "\n  ".join(problems))
    rs = RuleSet.model_construct(schema_version=1, instruments=instruments, **sections)
    problems = cross_check(rs)
    if problems:
        raise RulesError("time-limit rules refused:\n  " + "\n  ".join(problems))
    return rs


@functools.lru_cache(maxsize=8)
def _load_cached(path: str) -> RuleSet:
    return parse(Path(path))


def load_rules(path: Path | None = None) -> RuleSet:
    """The rules, parsed once per path (the default file ships with the package)."""
    return _load_cached(str((path or DEFAULT_PATH).resolve()))
