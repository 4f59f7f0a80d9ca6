"""Integrity behaviours as dated law: which behaviour a filing may be flagged for, under which
instrument and article, with which thresholds, judged by the rules in force on its filing date.

Files: `ipoffice/rules/data/integrity/*.yaml`, each of the shape::

    version: "2024.01"                     # version of this file's content
    instruments:
      order77:
        name: CNIPA Order No. 77 (2023)     # how a citation names it
        name_zh: 规范申请专利行为的规定（国家知识产权局令第77号）
        effective_from: 2024-01-20
        effective_to: null                  # inclusive last day, or null
        source: law/cnipa-order-77-2023-regulating-patent-applications.md   # under ../shared/data, or a URL
    behaviours:
      - code: P1                            # stable across versions; flags carry it
        kind: patent                        # patent | trademark | agency
        title: Several applications with obviously identical content, or simple combinations
        title_zh: 多件专利申请的发明创造内容明显相同，或者实质上由不同发明创造特征、要素简单组合形成
        instrument: order77
        article: "3"
        item: "1"                           # optional
        effective_from: 2024-01-20          # optional; defaults to the instrument's dates
        effective_to: null
        signals: [near_duplicate, recombination]   # names in the `signals` registry
        thresholds: {jaccard: 0.8}          # read by the signals; free-form numbers
        example: "..."                      # optional, what a test pins

The same code may appear once per period (e.g. P1 under Announcement No. 411 until 2024-01-19 and
under Order No. 77 from 2024-01-20); periods of one code must not overlap. Loading validates every
entry and names the file and the entry at fault.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

DATA = Path(__file__).resolve().parent.parent / "rules" / "data" / "integrity"


class IntegrityRulesError(ValueError):
    """The integrity rules are unusable; the message names the file and entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Instrument(_Strict):
    name: str
    name_zh: str = ""
    effective_from: dt.date
    effective_to: dt.date | None = None
    source: str


class Behaviour(_Strict):
    code: str
    kind: str
    title: str
    title_zh: str = ""
    instrument: str
    article: str
    item: str | None = None
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    signals: list[str] = []
    thresholds: dict[str, float] = {}
    example: str | None = None
    version: str = ""  # filled from the file's version

    @model_validator(mode="after")
    def _kind(self) -> Behaviour:
        if self.kind not in {"patent", "trademark", "agency"}:
            raise ValueError(f"kind must be patent, trademark or agency, got {self.kind!r}")
        return self

    def article_ref(self) -> str:
        return f"Art. {self.article}" + (f"({self.item})" if self.item else "")


class IntegrityRules:
    """All behaviours of all files, with their instruments; lookup by code and date."""

    def __init__(self, instruments: dict[str, Instrument], behaviours: list[Behaviour]) -> None:
        self.instruments = instruments
        self.behaviours = behaviours

    def _range(self, b: Behaviour) -> tuple[dt.date, dt.date]:
        inst = self.instruments[b.instrument]
        start = b.effective_from or inst.effective_from
        end = b.effective_to or inst.effective_to or dt.date.max
        return start, end

    def in_force(self, code: str, day: dt.date | None) -> Behaviour | None:
        """The version of behaviour `code` in force on `day` (a filing date); None if none was.

        A filing without a date is judged by the newest version (said in the flag's evidence by the caller).
        """
        versions = [b for b in self.behaviours if b.code == code]
        if day is None:
            return max(versions, key=lambda b: self._range(b)[0], default=None)
        for b in versions:
            start, end = self._range(b)
            if start <= day <= end:
                return b
        return None

    def codes(self, kind: str | None = None) -> list[str]:
        seen: dict[str, None] = {}
        for b in self.behaviours:
            if kind is None or b.kind == kind:
                seen.setdefault(b.code, None)
        return list(seen)

    def cite(self, b: Behaviour, lang: str = "en") -> str:
        inst = self.instruments[b.instrument]
        if lang == "zh" and inst.name_zh:
            item = f"第（{b.item}）项" if b.item else ""
            return f"{inst.name_zh} 第{b.article}条{item}"
        return f"{inst.name}, {b.article_ref()}"

    def threshold(self, code: str, day: dt.date | None, name: str, default: float) -> float:
        b = self.in_force(code, day)
        return float(b.thresholds.get(name, default)) if b else default


def _parse_file(path: Path, instruments: dict[str, Instrument], behaviours: list[Behaviour], problems: list[str]):
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        problems.append(f"{path.name}: cannot read: {e}")
        return
    if not isinstance(raw, dict):
        problems.append(f"{path.name}: top level must be a mapping")
        return
    unknown = set(raw) - {"version", "instruments", "behaviours"}
    if unknown:
        problems.append(f"{path.name}: unknown section(s) {sorted(unknown)}")
    version = str(raw.get("version") or "")
    if not version:
        problems.append(f"{path.name}: missing 'version'")
    for key, val in (raw.get("instruments") or {}).items():
        try:
            instruments[key] = Instrument.model_validate(val)
        except ValidationError as e:
            problems.append(f"{path.name}: instrument {key!r}: {_describe(e)}")
    for i, val in enumerate(raw.get("behaviours") or []):
        ref = val.get("code", f"#{i + 1}") if isinstance(val, dict) else f"#{i + 1}"
        try:
            behaviours.append(Behaviour.model_validate({**val, "version": version}))
        except (ValidationError, TypeError) as e:
            msg = _describe(e) if isinstance(e, ValidationError) else str(e)
            problems.append(f"{path.name}: behaviour {ref!r}: {msg}")


def _describe(err: ValidationError) -> str:
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        out.append(f"{loc}: {e['msg']}" if loc else e["msg"])
    return "; ".join(out)


def load(path: Path | None = None) -> IntegrityRules:
    """Read and validate every rules file (a folder or one file); raise naming every problem."""
    path = path or DATA
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files or not all(f.exists() for f in files):
        raise IntegrityRulesError(f"{path}: no integrity rules files")
    instruments: dict[str, Instrument] = {}
    behaviours: list[Behaviour] = []
    problems: list[str] = []
    for f in files:
        _parse_file(f, instruments, behaviours, problems)
    rules = IntegrityRules(instruments, behaviours)
    for b in behaviours:
        if b.instrument not in instruments:
            problems.append(f"behaviour {b.code!r}: unknown instrument {b.instrument!r}")
    if not problems:
        by_code: dict[str, list[Behaviour]] = {}
        for b in behaviours:
            by_code.setdefault(b.code, []).append(b)
        for code, vs in by_code.items():
            spans = sorted(rules._range(b) for b in vs)
            for (s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
                if s2 <= e1:
                    problems.append(f"behaviour {code!r}: versions overlap ({s1}..{e1} and from {s2})")
            if len({b.kind for b in vs}) > 1:
                problems.append(f"behaviour {code!r}: one code, several kinds")
    if problems:
        raise IntegrityRulesError("integrity rules: " + "; ".join(problems))
    return rules


@functools.cache
def default_rules() -> IntegrityRules:
    return load(DATA)


def as_json(rules: IntegrityRules) -> dict[str, Any]:
    return {
        "instruments": {k: v.model_dump(mode="json") for k, v in rules.instruments.items()},
        "behaviours": [b.model_dump(mode="json") for b in rules.behaviours],
    }
