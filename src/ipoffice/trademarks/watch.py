"""Trademark watch: which newly published marks could an earlier mark's owner oppose, and by when?

The weekly gazette lists applications that passed examination and were preliminarily approved (初步审定公告).
For three months from publication, the holder of an earlier identical or similar mark on identical or similar
goods may oppose (Trademark Law Art. 33, on the grounds of Arts. 30-31). A watch compares each gazette mark (the
LATER mark) with the watched marks (the EARLIER marks): an owner's marks from the register, a marks file, or the
whole register. The comparison is the conflict search's own (``search.judge``: `similarity.compare(later,
earlier)` for the mark; shared or note-linked 类似群, rule ``tmg2021-5.2``, for the goods), and each conflict carries
the rule ids the conflict search gives. One refinement: a shared Nice class alone counts only where one side gives
no group in it, since two different groups of one class are not similar goods.

The opposition window is not computed here: it is the `opposition` time limit of ``rules/data/time_limits.yaml``
run through the deadline calculator (``workflow.deadlines.calc``), which applies the counting rule of Trademark
Regulations Art. 12 (first day not counted, corresponding day, a last day on a holiday moves to the next working
day, by China's official calendar). ``rules/data/tm_opposition.yaml`` adds the ground (Art. 30 or 31, by the
earlier mark's status) and the opponent's standing (Art. 33), as dated law.

Whole-register mode uses the batch engine (``trademarks.batch.run_gazette``, DuckDB or Spark) when it is
importable, and otherwise runs the conflict search once per gazette mark; the report says which ran.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.core.model import RecordError, TrademarkRecord, TrademarkStatus
from ipoffice.core.names import normalize_name
from ipoffice.core.roles import Actor, Role, check, permission
from ipoffice.rules.schema import LegalBasis

__all__ = [
    "OPPOSITION_PATH",
    "MarkRow",
    "WatchInputError",
    "gazette_from_rows",
    "load_opposition_rules",
    "opposition_window",
    "read_gazette",
    "read_marks",
    "render_html",
    "render_markdown",
    "watch",
]

OPPOSITION_PATH = Path(__file__).resolve().parents[1] / "rules" / "data" / "tm_opposition.yaml"
DEAD = {"expired", "invalidated", "cancelled", "refused", "withdrawn"}
CLASS_RULE = "goods-same-class"
Progress = Callable[[int, int], None]


@permission("trademark_watch")
def _trademark_watch(actor: Actor, _obj: Any) -> bool:
    """The register is public, but a watch is a batch service for those who act on it: applicants, agents and the
    office (examiners, administrators). The anonymous public uses the conflict search instead."""
    return actor.role != Role.PUBLIC


class WatchInputError(ValueError):
    """Nothing could be watched: the message names the file, owner or field at fault."""


# ---- law as data: grounds and standing ------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Strict):
    time_limit_kind: str
    trigger: str
    right: str


class Ground(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9./_-]*$", max_length=80)
    earlier_status: list[TrademarkStatus] = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None
    legal_basis: LegalBasis
    standing: LegalBasis
    note: str = ""

    @model_validator(mode="after")
    def _range(self) -> Ground:
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"effective_to {self.effective_to} is before effective_from {self.effective_from}")
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class OppositionRules(_Strict):
    schema_version: Literal[1]
    window: Window
    grounds: list[Ground] = Field(min_length=1)


def parse_opposition_rules(path: Path) -> OppositionRules:
    """Read and validate; raise `WatchInputError` naming each bad entry (by id) or the cross-check that failed."""
    from ipoffice.rules.loader import load_rules as load_time_limits

    if not path.exists():
        raise WatchInputError(f"{path}: no such rules file")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WatchInputError(f"{path.name}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise WatchInputError(f"{path.name}: expected a mapping at the top")
    problems = []
    for i, g in enumerate(doc.get("grounds") or []):
        try:
            Ground.model_validate(g)
        except ValidationError as exc:
            gid = g.get("id", f"#{i + 1}") if isinstance(g, dict) else f"#{i + 1}"
            problems.append(
                f"ground {gid}: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            )
    if problems:
        raise WatchInputError(f"{path.name}: " + " | ".join(problems))
    try:
        rules = OppositionRules.model_validate(doc)
    except ValidationError as exc:
        raise WatchInputError(
            f"{path.name}: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        ) from None
    tl = load_time_limits()
    if not any(r.kind == rules.window.time_limit_kind and r.trigger == rules.window.trigger for r in tl.time_limits):
        raise WatchInputError(
            f"{path.name}: window: time_limits.yaml has no {rules.window.time_limit_kind!r} rule "
            f"triggered by {rules.window.trigger!r}"
        )
    seen: set[str] = set()
    for g in rules.grounds:
        if g.id in seen:
            raise WatchInputError(f"{path.name}: ground {g.id}: duplicate id")
        seen.add(g.id)
        for lb in (g.legal_basis, g.standing):
            inst = tl.instruments.get(lb.instrument)
            if inst is None:
                raise WatchInputError(f"{path.name}: ground {g.id}: unknown instrument {lb.instrument!r}")
            if g.effective_from < inst.in_force_from or (
                inst.in_force_to is not None and (g.effective_to is None or g.effective_to > inst.in_force_to)
            ):
                raise WatchInputError(
                    f"{path.name}: ground {g.id}: in force {g.effective_from}..{g.effective_to or 'open'} "
                    f"outside {lb.instrument} ({inst.in_force_from}..{inst.in_force_to or 'open'})"
                )
    return rules


@functools.cache
def load_opposition_rules() -> OppositionRules:
    return parse_opposition_rules(OPPOSITION_PATH)


def _cite(lb: LegalBasis) -> str:
    from ipoffice.rules.loader import load_rules as load_time_limits

    return lb.cite(load_time_limits().instruments)


def grounds_for(earlier_status: str, published: dt.date) -> list[dict[str, Any]]:
    """The grounds an earlier mark of this status gives against a mark published on `published`."""
    out = []
    for g in load_opposition_rules().grounds:
        if earlier_status in g.earlier_status and g.in_force(published):
            out.append(
                {
                    "id": g.id,
                    "legal_basis": _cite(g.legal_basis),
                    "text": g.legal_basis.text,
                    "standing": _cite(g.standing),
                }
            )
    return out


def counting_rule(day: dt.date) -> dict[str, Any] | None:
    """The counting rule of time_limits.yaml the calculator applies to trademark periods on `day` (cited)."""
    from ipoffice.rules.loader import load_rules as load_time_limits

    rs = load_time_limits()
    for c in rs.counting:
        if "trademark" in c.rights and c.in_force(day):
            return {"rule_id": c.id, "legal_basis": c.legal_basis.cite(rs.instruments), "text": c.legal_basis.text}
    return None


def opposition_window(published: dt.date, today: dt.date) -> dict[str, Any]:
    """The opposition window a publication opens, by the deadline calculator, with the days left as of `today`."""
    from ipoffice.workflow.deadlines import calc

    w = load_opposition_rules().window
    # the calculator refuses future trigger dates; a gazette may be dated ahead of `today`
    limits = calc(w.trigger, published, w.right, today=max(today, published))
    tl = next((x for x in limits if x.kind == w.time_limit_kind), None)
    if tl is None:  # pragma: no cover - the loader checks the rule exists
        raise WatchInputError(f"no {w.time_limit_kind} time limit for a publication on {published}")
    left = (tl.deadline - today).days
    state = "not-yet-open" if today < published else ("open" if left >= 0 else "closed")
    return {
        "opens": published.isoformat(),
        "deadline": tl.deadline.isoformat(),
        "raw_deadline": tl.raw_deadline.isoformat(),
        "days_left": left,
        "state": state,
        "rule_id": tl.rule_id,
        "legal_basis": tl.legal_basis,
        "note": tl.note,
        "calendar_note": tl.calendar_note,
    }


# ---- input: gazette rows, marks files, the register ----------------------------------------------------------


@dataclass
class MarkRow:
    """A mark with its goods, as the watch compares it (a gazette mark or a watched mark)."""

    number: str
    mark: str | None
    classes: set[int] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    goods: list[str] = field(default_factory=list)
    applicant: str = ""
    filing_date: dt.date | None = None
    publication_date: dt.date | None = None
    status: str = "unknown"
    mapped_groups: set[str] = field(default_factory=set)
    unmapped: list[str] = field(default_factory=list)

    @classmethod
    def from_record(cls, rec: TrademarkRecord) -> MarkRow:
        applicant = next((p.name for p in rec.parties if p.role == "applicant"), "")
        row = cls(
            number=rec.number,
            mark=rec.mark,
            classes={g.nice_class for g in rec.goods},
            groups={g.group for g in rec.goods if g.group},
            goods=[g.text for g in rec.goods if g.text],
            applicant=applicant,
            filing_date=rec.filing_date,
            publication_date=rec.publication_date,
            status=rec.status,
        )
        row.map_goods()
        return row

    def map_goods(self) -> None:
        """Free-text goods -> the groups of their standard items (only in the mark's classes, where it lists any)."""
        if not self.goods:
            return
        from ipoffice.trademarks.goods import map_goods

        m = map_goods(self.goods, classes=self.classes or None)
        for it in m.items:
            self.mapped_groups.update(g for g in it.groups if not self.classes or int(g[:2]) in self.classes)
        self.unmapped = list(m.unmapped)

    @property
    def all_groups(self) -> set[str]:
        return self.groups | self.mapped_groups

    def summary(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "mark": self.mark,
            "applicant": self.applicant or None,
            "classes": sorted(self.classes),
            "groups": sorted(self.all_groups),
            "status": self.status,
            "filing_date": self.filing_date.isoformat() if self.filing_date else None,
        }


def _error(e: RecordError) -> dict[str, Any]:
    return {"path": e.path, "record": e.record, "field": e.field, "message": e.message}


def _mappings(path: Path, what: str) -> Iterable[tuple[int, dict[str, Any] | RecordError]]:
    """(file line, row as a mapping) for each row of a contract CSV or JSONL file; RecordError for unreadable rows."""
    from ipoffice.ingest.base import read_head
    from ipoffice.ingest.tm_tabular import iter_csv_rows, iter_json_lines

    if not path.exists():
        raise WatchInputError(f"{what} file {str(path)!r} does not exist")
    if not path.is_file():
        raise WatchInputError(f"{what} file {str(path)!r} is not a file")
    if read_head(path).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        for line, obj in iter_json_lines(path):
            yield line, obj if isinstance(obj, RecordError) else {str(k).lower(): v for k, v in obj.items()}
        return
    header: list[str] | None = None
    for item in iter_csv_rows(path):
        if isinstance(item, RecordError):
            yield 0, item
            return
        line, row = item
        if header is None:
            header = [h.strip().lstrip("\ufeff").lower() for h in row]
            missing = [c for c in ("number", "mark", "nice_classes") if c not in header]
            if missing:
                raise WatchInputError(f"{what} file {str(path)!r}: the header lacks the columns {missing}")
            continue
        if any(c.strip() for c in row):
            yield line, {h: (row[i] if i < len(row) else None) for i, h in enumerate(header) if h}


def _read(
    items: Iterable[tuple[int, dict[str, Any] | RecordError]], source: str, gazette: bool, published: dt.date | None
) -> tuple[list[MarkRow], list[RecordError]]:
    from ipoffice.ingest.tm_tabular import record_from_mapping

    marks: list[MarkRow] = []
    errors: list[RecordError] = []
    for line, raw in items:
        if isinstance(raw, RecordError):
            errors.append(raw)
            continue
        rec = record_from_mapping(raw, Path(source), line - 1)
        if isinstance(rec, RecordError):
            errors.append(rec)
            continue
        if not isinstance(rec, TrademarkRecord):  # pragma: no cover - the contract form makes trademarks only
            continue
        row = MarkRow.from_record(rec)
        if gazette and row.publication_date is None:
            row.publication_date = published
            if published is None:
                errors.append(
                    RecordError(
                        path=source,
                        record=f"#{line} ({rec.number})",
                        field="publication_date",
                        message="no publication date: give the column or --published for the whole gazette",
                    )
                )
                continue
        if gazette and row.publication_date is not None:
            problem = _window_problem(row.publication_date)
            if problem:
                errors.append(
                    RecordError(
                        path=source, record=f"#{line} ({rec.number})", field="publication_date", message=problem
                    )
                )
                continue
        marks.append(row)
    return marks, errors


@functools.lru_cache(maxsize=4096)
def _window_problem(published: dt.date) -> str | None:
    """Why no opposition window can be computed for this publication date (None: it can)."""
    try:
        opposition_window(published, published)
    except ValueError as exc:
        return str(exc)
    return None


def read_gazette(path: Path, published: dt.date | None = None) -> tuple[list[MarkRow], list[RecordError]]:
    """Gazette marks from a contract CSV/JSONL (plus `publication_date`), and the rows refused (row, field, why)."""
    return _read(_mappings(path, "gazette"), str(path), True, published)


def read_marks(path: Path) -> tuple[list[MarkRow], list[RecordError]]:
    """Watched marks from a contract CSV/JSONL (the owner's portfolio kept outside the register)."""
    return _read(_mappings(path, "marks"), str(path), False, None)


def rows_from_json(rows: list[Any], published: dt.date | None, what: str) -> tuple[list[MarkRow], list[RecordError]]:
    """Rows given as JSON objects (the API), validated like the contract JSONL; `what` is gazette or marks."""
    items: list[tuple[int, dict[str, Any] | RecordError]] = []
    for i, raw in enumerate(rows, 1):
        if isinstance(raw, dict):
            items.append((i, {str(k).lower(): v for k, v in raw.items()}))
        else:
            items.append((i, RecordError(path=what, record=f"#{i}", message="row is not a JSON object")))
    return _read(items, what, what == "gazette", published)


def gazette_from_rows(rows: list[Any], published: dt.date | None = None) -> tuple[list[MarkRow], list[RecordError]]:
    return rows_from_json(rows, published, "gazette")


def _stored_rows(session: Session, tms: list[t.Trademark]) -> list[MarkRow]:
    ids = [tm.id for tm in tms]
    goods: dict[int, list[t.TrademarkGoods]] = defaultdict(list)
    applicants: dict[int, str] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for g in session.scalars(select(t.TrademarkGoods).where(t.TrademarkGoods.trademark_id.in_(chunk))):
            goods[g.trademark_id].append(g)
        q = (
            select(t.TrademarkParty.trademark_id, t.TrademarkParty.name_as_printed)
            .where(t.TrademarkParty.trademark_id.in_(chunk), t.TrademarkParty.role == "applicant")
            .order_by(t.TrademarkParty.id)
        )
        for tid, name in session.execute(q):
            applicants.setdefault(tid, name)
    out = []
    for tm in tms:
        gs = goods[tm.id]
        row = MarkRow(
            number=tm.number,
            mark=tm.mark,
            classes={g.nice_class for g in gs},
            groups={g.group_code for g in gs if g.group_code},
            goods=[g.text for g in gs if g.text],
            applicant=applicants.get(tm.id, ""),
            filing_date=tm.filing_date,
            publication_date=tm.publication_date,
            status=tm.status,
        )
        row.map_goods()
        out.append(row)
    return out


def owner_marks(session: Session, owner: str) -> list[MarkRow]:
    """The register's marks applied for by `owner` (matched by normalised name, as the store makes parties)."""
    norm = normalize_name(owner or "")
    if not norm:
        raise WatchInputError("owner name is empty")
    party_ids = list(session.scalars(select(t.Party.id).where(t.Party.norm_name == norm)))
    tms: list[t.Trademark] = []
    if party_ids:
        q = (
            select(t.Trademark)
            .join(t.TrademarkParty, t.TrademarkParty.trademark_id == t.Trademark.id)
            .where(t.TrademarkParty.party_id.in_(party_ids), t.TrademarkParty.role == "applicant")
            .order_by(t.Trademark.number)
        )
        tms = list(dict.fromkeys(session.scalars(q)))
    if not tms:
        hint = _owner_hint(session, norm)
        raise WatchInputError(
            f"unknown owner {owner!r}: no trademark in the register is applied for by that name "
            f"(normalised {norm!r}){hint}"
        )
    return _stored_rows(session, tms)


def _owner_hint(session: Session, norm: str) -> str:
    from rapidfuzz import fuzz, process

    q = (
        select(t.Party.norm_name, t.Party.name)
        .join(t.TrademarkParty, t.TrademarkParty.party_id == t.Party.id)
        .where(t.TrademarkParty.role == "applicant")
        .distinct()
        .limit(200_000)
    )
    names = dict(session.execute(q).all())
    best = process.extract(norm, list(names), scorer=fuzz.WRatio, limit=3, score_cutoff=80)
    return f"; did you mean {', '.join(repr(names[b[0]]) for b in best)}?" if best else ""


# ---- the comparison --------------------------------------------------------------------------------------------


def _goods_overlap(later: MarkRow, earlier: MarkRow, linked: dict[str, str]) -> dict[str, list[Any]] | None:
    """Where the goods meet: shared 类似群, groups linked by a note of the table, or a shared class where one side
    gives no group in it (the groups could not be compared). None when they do not meet: two different groups of
    one class are not similar goods, so the conflict search's class-only candidates of that kind are dropped."""
    shared = sorted(later.all_groups & earlier.all_groups)
    via = sorted(g for g in earlier.all_groups if g in linked and g not in shared)
    lg = {int(g[:2]) for g in later.all_groups}
    eg = {int(g[:2]) for g in earlier.all_groups}
    touched = {int(g[:2]) for g in shared}
    class_only = sorted(c for c in later.classes & earlier.classes if c not in touched and not (c in lg and c in eg))
    if not (shared or via or class_only):
        return None
    return {"groups": shared, "linked_groups": via, "classes": class_only}


def _earlier(earlier: MarkRow, later: MarkRow) -> bool:
    """Whether `earlier` is an earlier mark of someone else: filed before (where both dates are known)."""
    if earlier.number == later.number:
        return False
    if earlier.filing_date and later.filing_date and earlier.filing_date >= later.filing_date:
        return False
    same_owner = (
        earlier.applicant and later.applicant and normalize_name(earlier.applicant) == normalize_name(later.applicant)
    )
    return not same_owner  # an owner does not oppose its own marks


def _finish(later: MarkRow, earlier: MarkRow, hit: dict[str, Any], linked: dict[str, str]) -> dict[str, Any] | None:
    """A conflict search hit as a watch conflict (None when it is not one: dead, not earlier, goods apart)."""
    if earlier.status in DEAD or not _earlier(earlier, later):
        return None
    overlap = _goods_overlap(later, earlier, linked)
    if overlap is None:
        return None
    reasons = [{k: r.get(k) for k in ("code", "text", "evidence")} for r in hit.get("reasons", [])]
    if overlap["groups"] or overlap["linked_groups"]:
        reasons = [r for r in reasons if r["code"] != CLASS_RULE]
    return {
        "score": hit.get("score"),
        "identical": hit.get("identical", False),
        "reasons": reasons,
        "goods_overlap": overlap,
    }


def _query(g: MarkRow, before: dt.date | None = None, top: int = 20) -> Any:
    from ipoffice.trademarks.search import ConflictQuery

    return ConflictQuery(mark=g.mark or "", classes=set(g.classes), groups=set(g.all_groups), before=before, top=top)


def _pairwise(
    gazette: list[MarkRow], watched: list[MarkRow], progress: Progress | None
) -> list[tuple[MarkRow, MarkRow, dict[str, Any]]]:
    """Each gazette mark against the watched marks on its goods, judged by the conflict search's `judge`."""
    from ipoffice.trademarks.index import RegisterMark
    from ipoffice.trademarks.search import judge, linked_groups

    by_class: dict[int, set[int]] = defaultdict(set)
    by_group: dict[str, set[int]] = defaultdict(set)
    for i, w in enumerate(watched):
        for c in w.classes:
            by_class[c].add(i)
        for grp in w.all_groups:
            by_group[grp].add(i)
    out = []
    for n, g in enumerate(gazette, 1):
        if g.mark:
            linked = linked_groups(g.all_groups)
            cands = {i for c in g.classes for i in by_class.get(c, ())}
            cands |= {i for grp in g.all_groups | set(linked) for i in by_group.get(grp, ())}
            cands = {i for i in cands if _earlier(watched[i], g) and watched[i].status not in DEAD}
            marks = [
                RegisterMark(
                    i,
                    w.number,
                    w.mark or "",
                    w.status,
                    w.filing_date,
                    tuple(sorted(w.classes)),
                    tuple(sorted(w.all_groups)),
                )  # fmt: skip
                for i, w in ((i, watched[i]) for i in sorted(cands))
            ]
            hits, _dead = judge(_query(g), marks, linked=linked)
            by_number = {w.number: w for w in (watched[i] for i in cands)}
            for h in hits:
                conflict = _finish(g, by_number[h["number"]], h, linked)
                if conflict:
                    out.append((g, by_number[h["number"]], conflict))
        if progress:
            progress(n, len(gazette))
    return out


def _batch_engine() -> Callable[..., Any] | None:
    try:
        from ipoffice.trademarks.batch import run_gazette  # type: ignore[attr-defined]
    except ImportError:
        return None
    return run_gazette


def _gazette_dicts(gazette: list[MarkRow]) -> list[dict[str, Any]]:
    return [
        {
            "number": g.number,
            "mark": g.mark,
            "nice_classes": sorted(g.classes),
            "groups": sorted(g.all_groups),
            "goods": list(g.goods),
            "applicant": g.applicant,
            "filing_date": g.filing_date,
            "status": g.status,
            "publication_date": g.publication_date,
        }
        for g in gazette
    ]


def _batch_hits(result: Any, warnings: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Hits per gazette number from what `run_gazette` returns; ValueError on a shape it does not know.

    Accepted: {gazette number: [hit, ...]}, [{"number"|"gazette_number"|"query": n, "results"|"hits": [...]}] (an
    entry with "error" instead: that gazette mark could not be searched, said in `warnings`), or flat hit rows
    naming their gazette mark ("gazette_number"/"query_number") -- hits as the conflict search's."""
    if hasattr(result, "to_dict") and not isinstance(result, dict):  # a DataFrame of flat rows
        result = result.to_dict("records")
    if isinstance(result, dict) and "results" in result and isinstance(result["results"], list):
        result = result["results"]
    if isinstance(result, dict):
        return {str(k): list(v) for k, v in result.items()}
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in result:
        if not isinstance(row, dict):
            raise ValueError(f"unexpected row {type(row).__name__}")
        key = row.get("gazette_number", row.get("query", row.get("number")))
        hits = row.get("results", row.get("hits"))
        if isinstance(hits, list):
            out[str(key)].extend(hits)
            continue
        if "error" in row and key is not None:
            if warnings is not None:
                warnings.append(f"gazette mark {key}: not searched: {row['error']}")
            out.setdefault(str(key), [])
            continue
        key = row.get("gazette_number", row.get("query_number"))
        if key is None or "number" not in row:
            raise ValueError(f"a row names no gazette mark: {sorted(row)}")
        out[str(key)].append(row)
    return dict(out)


def _store_index(session: Session, store: Any) -> dict[str, Any]:
    """The conflict search's key index of *this* store's home (exhaustive where none was built), so a watch never
    reads another data home's index; {} where the conflict search takes no index."""
    import inspect

    from ipoffice.trademarks.search import conflict_search

    if "index" not in inspect.signature(conflict_search).parameters or getattr(store, "home", None) is None:
        return {}
    from ipoffice.trademarks import index as tmi

    return {"index": tmi.open_fresh(session, tmi.default_dir(store.home)) or False}


def _register(
    store: Any,
    actor: Actor,
    gazette: list[MarkRow],
    engine: str,
    top: int,
    warnings: list[str],
    progress: Progress | None,
) -> tuple[list[tuple[MarkRow, MarkRow, dict[str, Any]]], str]:
    """Whole-register mode: the batch engine where importable (and asked), else the conflict search per mark."""
    hits: dict[str, list[dict[str, Any]]] | None = None
    used = "conflict_search"
    run_gazette = _batch_engine() if engine != "online" else None
    if engine != "online" and run_gazette is None:
        warnings.append("the batch engine (trademarks.batch.run_gazette) is not installed: ran the conflict search")
    if run_gazette is not None:
        try:
            batch = engine if engine != "auto" else "duckdb"
            hits = _batch_hits(run_gazette(store, _gazette_dicts(gazette), engine=batch, top=top), warnings)
            used = f"run_gazette:{batch}"
        except Exception as exc:  # noqa: BLE001 - the online search is the fallback for any batch failure
            warnings.append(f"batch engine failed ({exc.__class__.__name__}: {exc}); ran the conflict search")
            hits = None
    from ipoffice.trademarks.search import SearchInputError, conflict_search

    with store.session() as s:
        if hits is None:
            hits = {}
            kw = _store_index(s, store)
            for n, g in enumerate(gazette, 1):
                q = _query(g, before=g.filing_date, top=top)
                try:
                    hits[g.number] = conflict_search(s, actor, q, **kw)["results"] if g.mark else []
                except SearchInputError as exc:
                    warnings.append(f"gazette mark {g.number}: not searched: {exc}")
                if progress:
                    progress(n, len(gazette))
        numbers = sorted({h["number"] for hs in hits.values() for h in hs})
        stored: dict[str, MarkRow] = {}
        for start in range(0, len(numbers), 1000):
            tms = list(s.scalars(select(t.Trademark).where(t.Trademark.number.in_(numbers[start : start + 1000]))))
            for row in _stored_rows(s, tms):
                stored.setdefault(row.number, row)
    from ipoffice.trademarks.search import linked_groups

    out = []
    for g in gazette:
        linked = linked_groups(g.all_groups)
        for h in hits.get(g.number, []):
            earlier = stored.get(h["number"])
            conflict = _finish(g, earlier, h, linked) if earlier is not None else None
            if conflict:
                out.append((g, earlier, conflict))
    return out, used


# ---- the report ------------------------------------------------------------------------------------------------


def watch(
    store: Any,
    actor: Actor,
    gazette: list[MarkRow],
    *,
    watched: list[MarkRow] | None = None,
    owner: str | None = None,
    classes: set[int] | None = None,
    today: dt.date | None = None,
    engine: str = "auto",
    top: int = 20,
    errors: list[RecordError] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The opposition-window report: per watched mark, the gazette marks it could oppose, by deadline.

    Watched marks: `watched` (a marks file), or the marks of `owner` in the register, or (neither) the whole
    register. `classes` keeps only those Nice classes. `errors`: rows already refused, carried into the report.
    """
    check("trademark_watch", actor)
    started = time.perf_counter()
    today = today or dt.date.today()
    warnings: list[str] = []
    if classes:
        bad = sorted(c for c in classes if not 1 <= c <= 45)
        if bad:
            raise WatchInputError(f"unknown Nice class {bad[0]} (classes run from 1 to 45)")
        gazette = [_only(g, classes) for g in gazette]
        gazette = [g for g in gazette if g.classes or g.all_groups]
    for g in gazette:
        if not g.mark:
            warnings.append(f"gazette mark {g.number}: no mark text (figurative): not compared")
        if g.status not in ("preliminarily-approved", "unknown"):
            warnings.append(f"gazette mark {g.number}: status {g.status!r}, not preliminarily approved")
        for u in g.unmapped:
            warnings.append(f"gazette mark {g.number}: goods {u!r} map to no item of the similar-goods table")
    mode = "marks" if watched is not None else ("owner" if owner else "register")
    not_watched: list[dict[str, Any]] = []
    if mode == "owner":
        with store.session() as s:
            watched = owner_marks(s, owner or "")
    if watched is not None:
        if classes:
            watched = [w for w in (_only(m, classes) for m in watched) if w.classes or w.all_groups]
        live = []
        for w in watched:
            if w.status in DEAD:
                not_watched.append({**w.summary(), "why": f"{w.status}: a dead mark gives no ground to oppose"})
            elif not w.mark:
                not_watched.append({**w.summary(), "why": "no mark text (figurative): not compared"})
            else:
                live.append(w)
        pairs = _pairwise(gazette, live, progress)
        used = "pairwise"
    else:
        live = []
        pairs, used = _register(store, actor, gazette, engine, top, warnings, progress)

    windows: dict[dt.date, dict[str, Any]] = {}
    entries: dict[str, dict[str, Any]] = {}
    for w in live:
        entries[w.number] = {"watched": w.summary(), "conflicts": []}
    for later, earlier, hit in pairs:
        pub = later.publication_date
        assert pub is not None  # read_gazette refuses rows without one
        if pub not in windows:
            windows[pub] = opposition_window(pub, today)
        e = entries.setdefault(earlier.number, {"watched": earlier.summary(), "conflicts": []})
        e["conflicts"].append(
            {
                "number": later.number,
                "mark": later.mark,
                "applicant": later.applicant or None,
                "classes": sorted(later.classes),
                "groups": sorted(later.all_groups),
                "filing_date": later.filing_date.isoformat() if later.filing_date else None,
                "publication_date": pub.isoformat(),
                **hit,
                "opposition": windows[pub],
                "grounds": grounds_for(earlier.status, pub),
            }
        )
    results = []
    for e in entries.values():
        e["conflicts"].sort(key=lambda c: (c["opposition"]["deadline"], -(c["score"] or 0), c["number"]))
        open_ = [c for c in e["conflicts"] if c["opposition"]["state"] != "closed"]
        e["next_deadline"] = open_[0]["opposition"]["deadline"] if open_ else None
        if e["conflicts"] or mode != "register":
            results.append(e)
    results.sort(key=lambda e: (e["next_deadline"] is None, e["next_deadline"] or "", e["watched"]["number"]))
    n_conflicts = sum(len(e["conflicts"]) for e in results)
    return {
        "mode": mode,
        "owner": owner,
        "engine": used,
        "today": today.isoformat(),
        "classes": sorted(classes or []),
        "opposition_rule": {
            "window": "3 months from the preliminary-approval publication, by the deadline calculator",
            "rules": sorted({w["rule_id"] for w in windows.values()}),
            "legal_basis": sorted({w["legal_basis"] for w in windows.values()}),
            "counting": counting_rule(min(windows) if windows else today),
        },
        "summary": {
            "gazette_marks": len(gazette),
            "rejected_rows": len(errors or []),
            "watched_marks": len(live) if mode != "register" else None,
            "watched_with_conflicts": sum(1 for e in results if e["conflicts"]),
            "conflicts": n_conflicts,
            "open_windows": sum(1 for e in results for c in e["conflicts"] if c["opposition"]["state"] != "closed"),
            "seconds": round(time.perf_counter() - started, 3),
        },
        "warnings": warnings,
        "errors": [_error(e) for e in errors or []],
        "not_watched": not_watched,
        "results": results,
    }


def _only(m: MarkRow, classes: set[int]) -> MarkRow:
    return MarkRow(
        number=m.number,
        mark=m.mark,
        classes=m.classes & classes,
        groups={g for g in m.groups if int(g[:2]) in classes},
        goods=m.goods,
        applicant=m.applicant,
        filing_date=m.filing_date,
        publication_date=m.publication_date,
        status=m.status,
        mapped_groups={g for g in m.mapped_groups if int(g[:2]) in classes},
        unmapped=m.unmapped,
    )


def _overlap_text(c: dict[str, Any]) -> str:
    o = c["goods_overlap"]
    parts = list(o["groups"])
    parts += [f"{g} (linked by a note)" for g in o.get("linked_groups", [])]
    parts += [f"class {x}" for x in o["classes"]]
    return ", ".join(parts)


def _rows(report: dict[str, Any]) -> Iterable[tuple[dict[str, Any], dict[str, Any]]]:
    for e in report["results"]:
        for c in e["conflicts"]:
            yield e["watched"], c


def render_markdown(report: dict[str, Any]) -> str:
    """The report for people: one table per watched mark, soonest deadline first."""
    s = report["summary"]
    lines = [
        "# Trademark watch: opposition windows",
        "",
        f"As of {report['today']} · mode {report['mode']}"
        + (f" (owner {report['owner']})" if report["owner"] else "")
        + f" · engine {report['engine']} · {s['gazette_marks']} gazette marks · {s['conflicts']} conflicts "
        f"({s['open_windows']} with the window open) · {s['rejected_rows']} rows rejected",
        "",
        "Window: "
        + report["opposition_rule"]["window"]
        + " ("
        + ", ".join(report["opposition_rule"]["legal_basis"])
        + ")"
        + (
            f"; counting: {report['opposition_rule']['counting']['legal_basis']}"
            if report["opposition_rule"]["counting"]
            else ""
        ),
        "",
    ]
    for e in report["results"]:
        w = e["watched"]
        lines += [f"## {w['number']} {w['mark']} ({w['status']}; classes {', '.join(map(str, w['classes']))})", ""]
        if not e["conflicts"]:
            lines += ["No conflicting gazette mark.", ""]
            continue
        lines += [
            "| gazette mark | mark | applicant | goods overlap | score | reasons | published | deadline | days left |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for c in e["conflicts"]:
            o = c["opposition"]
            overlap = _overlap_text(c)
            reasons = "; ".join(f"`{r['code']}` {r['evidence']}" for r in c["reasons"])
            cells = [c["number"], c["mark"], c["applicant"] or "", overlap, f"{c['score']:.2f}", reasons,
                     o["opens"], o["deadline"], f"{o['days_left']} ({o['state']})"]  # fmt: skip
            lines.append("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")
        lines.append("")
    if report["errors"]:
        lines += ["## Rejected rows", ""]
        lines += [f"- {x['record']}, field {x['field'] or '-'}: {x['message']}" for x in report["errors"]]
        lines.append("")
    if report["warnings"]:
        lines += ["## Warnings", ""] + [f"- {w}" for w in report["warnings"]] + [""]
    return "\n".join(lines)


def render_html(report: dict[str, Any]) -> str:
    """A self-contained HTML page of the report (escaped; no scripts)."""
    esc = html.escape
    s = report["summary"]
    rows = []
    for w, c in _rows(report):
        o = c["opposition"]
        overlap = _overlap_text(c)
        reasons = "<br>".join(f"<code>{esc(r['code'])}</code> {esc(r['evidence'] or '')}" for r in c["reasons"])
        cls = "closed" if o["state"] == "closed" else ("soon" if o["days_left"] <= 14 else "")
        rows.append(
            f"<tr class='{cls}'><td>{esc(w['number'])} <b>{esc(w['mark'] or '')}</b></td><td>{esc(c['number'])} "
            f"<b>{esc(c['mark'] or '')}</b><br>{esc(c['applicant'] or '')}</td><td>{esc(overlap)}</td>"
            f"<td>{c['score']:.2f}</td><td>{reasons}</td><td>{esc(o['opens'])}</td><td>{esc(o['deadline'])}</td>"
            f"<td>{o['days_left']} ({esc(o['state'])})</td></tr>"
        )
    errs = "".join(
        f"<li>{esc(x['record'])}, field {esc(x['field'] or '-')}: {esc(x['message'])}</li>" for x in report["errors"]
    )
    return (
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>Trademark watch</title><style>"
        "body{font-family:sans-serif}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3rem;"
        "vertical-align:top;text-align:left}.closed{color:#777}.soon{color:#b26a00}</style></head><body>"
        f"<h1>Trademark watch: opposition windows</h1><p>As of {esc(report['today'])} · mode {esc(report['mode'])} · "
        f"engine {esc(report['engine'])} · {s['gazette_marks']} gazette marks · {s['conflicts']} conflicts · "
        f"{s['rejected_rows']} rows rejected</p><p>{esc(report['opposition_rule']['window'])}: "
        f"{esc(', '.join(report['opposition_rule']['legal_basis']))}</p>"
        "<table><tr><th>watched (earlier) mark</th><th>gazette (later) mark</th><th>goods overlap</th><th>score</th>"
        "<th>reasons</th><th>published</th><th>deadline</th><th>days left</th></tr>"
        + "".join(rows)
        + "</table>"
        + (f"<h2>Rejected rows</h2><ul>{errs}</ul>" if errs else "")
        + "</body></html>"
    )


def write_report(report: dict[str, Any], out: Path) -> list[Path]:
    """Write the JSON and the readable form (.html or .md by `out`'s suffix; .json writes a .md beside it)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    json_path = out if suffix == ".json" else out.with_suffix(".json")
    readable = out if suffix in (".html", ".htm", ".md") else out.with_suffix(".md")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    text = render_html(report) if readable.suffix.lower() in (".html", ".htm") else render_markdown(report)
    readable.write_text(text, encoding="utf-8")
    return [json_path, readable]
