"""The examination guideline's similarity rules, loaded from ``rules/data/tm_similarity.yaml`` and validated.

Law as data: every rule the comparison can cite is an entry of that file with its section, its dates and
its worked examples; ``compare`` applies the rules in force on the decision date and each reason names the
rule code. A file that cannot be trusted (unknown field, unknown verdict, a date range ending before it
starts, an exception overriding a code that does not exist, a code the engine emits missing) is refused at
load with a message naming each bad entry.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "DEFAULT_PATH",
    "ENGINE_CODES",
    "Example",
    "Instrument",
    "Rule",
    "RuleSet",
    "RulesError",
    "load_rules",
    "parse_rules",
]

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "rules" / "data" / "tm_similarity.yaml"
_CODE = re.compile(r"^[a-z]+\d{4}-\d+(\.\d+)*(-exc)?$")

# every code ipoffice.trademarks.similarity can put in a reason; the file must define each one
ENGINE_CODES: frozenset[str] = frozenset(
    {
        "tmg2021-5.2",
        "tmg2021-5.3",
        "tmg2021-5.4.1",
        "tmg2021-5.5.1.1",
        "tmg2021-5.5.1.2",
        "tmg2021-5.5.1.2-exc",
        "tmg2021-5.5.1.3",
        "tmg2021-5.5.1.4",
        "tmg2021-5.5.1.4-exc",
        "tmg2021-5.5.1.5",
        "tmg2021-5.5.1.6",
        "tmg2021-5.5.1.6-exc",
        "tmg2021-5.5.1.7",
        "tmg2021-5.5.1.7-exc",
        "tmg2021-5.5.1.8",
        "tmg2021-5.5.1.9",
        "tmg2021-5.5.1.9-exc",
        "tmg2021-5.5.1.10",
        "tmg2021-5.5.1.11",
        "tmg2021-5.5.1.12",
        "tmg2021-5.5.1.13",
        "tmg2021-5.5.1.13-exc",
        "tmg2021-5.5.1.14",
        "tmg2021-5.5.1.14-exc",
        "tmg2021-5.5.1.15",
        "tmg2021-5.5.1.15-exc",
        "tmg2021-5.5.1.16",
        "tmg2021-5.5.1.17",
        "tmg2021-5.5.3.1",
        "tmg2021-5.5.3.2",
        "tmg2021-5.5.3.2-exc",
        "tmg2021-5.5.3.3",
    }
)


class RulesError(ValueError):
    """The similarity rules file is unusable; the message names each bad entry."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Instrument(_Strict):
    id: str
    title_zh: str
    title_en: str
    issued_by: str
    document: str
    published: dt.date
    effective_from: dt.date
    effective_to: dt.date | None = None
    part: str
    basis: list[str]
    source: str


class Example(_Strict):
    a: str
    b: str
    expect: Literal["identical", "similar", "not_similar"]
    note: str | None = None
    reconstructed: bool = False

    @field_validator("a", "b", mode="before")
    @classmethod
    def _text(cls, v: Any) -> str:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return str(v)
        return v


class Rule(_Strict):
    code: str
    section: str
    title_zh: str
    title_en: str
    verdict: Literal["identical", "similar", "not_similar"]
    score: float = Field(ge=0.0, le=1.0)
    effective_from: dt.date
    effective_to: dt.date | None = None
    defeats: list[str] = []
    params: dict[str, Any] = {}
    examples: list[Example] = []

    @field_validator("code")
    @classmethod
    def _code(cls, v: str) -> str:
        if not _CODE.match(v):
            raise ValueError(f"rule code {v!r} is not of the form 'tmg2021-5.5.1.7' (optionally '-exc')")
        return v

    @model_validator(mode="after")
    def _dates(self) -> Rule:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"effective_to {self.effective_to} is before effective_from {self.effective_from}")
        if self.verdict == "not_similar" and self.code.endswith("-exc") and not self.defeats:
            raise ValueError("an exception (-exc) must list the rule codes it defeats")
        return self

    def in_force(self, on: dt.date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def words(self, key: str = "words") -> list[str]:
        """A word list parameter: the guideline's own ``words`` plus the project's ``more_words``."""
        out = [str(w) for w in self.params.get(key) or []]
        if key == "words":
            out += [str(w) for w in self.params.get("more_words") or []]
        return out


class RuleSet(_Strict):
    schema_: int = Field(alias="schema")
    version: str
    instrument: Instrument
    threshold: float = Field(gt=0.0, le=1.0)
    rules: list[Rule]
    path: str = ""

    def in_force(self, on: dt.date) -> dict[str, Rule]:
        """The rules in force on ``on`` by code; RulesError when none is (before the guideline took effect)."""
        found = {r.code: r for r in self.rules if r.in_force(on)}
        if not found:
            first = min(r.effective_from for r in self.rules)
            raise RulesError(
                f"no trademark similarity rules in force on {on.isoformat()} (the rules in {Path(self.path).name} "
                f"apply from {first.isoformat()})"
            )
        return found

    def get(self, code: str) -> Rule:
        for r in self.rules:
            if r.code == code:
                return r
        raise KeyError(code)


def _describe(err: ValidationError) -> str:
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        if e["type"] == "extra_forbidden":
            out.append(f"unknown field {loc!r}")
        elif e["type"] == "missing":
            out.append(f"missing field {loc!r}")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            out.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(out)


def parse_rules(path: Path) -> RuleSet:
    """Read and validate a rules file; raise RulesError listing every problem found."""
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RulesError(f"{path}: no such rules file") from exc
    except yaml.YAMLError as exc:
        raise RulesError(f"{Path(path).name}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise RulesError(f"{Path(path).name}: expected a mapping at the top")
    name = Path(path).name
    problems: list[str] = []
    rules: list[Rule] = []
    raw_rules = doc.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append(f"{name}: 'rules' must be a non-empty list")
        raw_rules = []
    for i, raw in enumerate(raw_rules):
        code = raw.get("code") if isinstance(raw, dict) else None
        label = f"{name}: rule {code!r}" if code else f"{name}: rule #{i + 1}"
        try:
            rules.append(Rule.model_validate(raw))
        except ValidationError as exc:
            problems.append(f"{label}: {_describe(exc)}")
    head = {k: v for k, v in doc.items() if k != "rules"}
    try:
        rs = RuleSet.model_validate({**head, "rules": [], "path": str(path)})
    except ValidationError as exc:
        problems.append(f"{name}: {_describe(exc)}")
        rs = None
    if rs is not None and rs.schema_ != 1:
        problems.append(f"{name}: schema must be 1, not {rs.schema_}")
    codes = [r.code for r in rules]
    for c in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"{name}: rule {c!r} defined twice")
    known = set(codes)
    for r in rules:
        for d in r.defeats:
            if d not in known:
                problems.append(f"{name}: rule {r.code!r}: defeats unknown rule {d!r}")
        if rs is not None and r.effective_from < rs.instrument.effective_from:
            problems.append(
                f"{name}: rule {r.code!r}: in force from {r.effective_from} before its instrument "
                f"({rs.instrument.effective_from})"
            )
    if not problems:
        for c in sorted(ENGINE_CODES - known):
            problems.append(f"{name}: rule {c!r} missing (the comparison engine cites it)")
    if problems:
        raise RulesError("trademark similarity rules refused:\n  " + "\n  ".join(problems))
    assert rs is not None
    return rs.model_copy(update={"rules": rules})


@functools.lru_cache(maxsize=8)
def _cached(path: str) -> RuleSet:
    return parse_rules(Path(path))


@functools.lru_cache(maxsize=1)
def _default_path() -> str:
    return str(DEFAULT_PATH.resolve())


def load_rules(path: Path | None = None) -> RuleSet:
    """The rules, parsed once per path (the default file ships with the package). The default path is resolved
    once: the search asks for the rules once a query, and resolving is a system call per part of the path."""
    return _cached(str(path.resolve()) if path is not None else _default_path())
