"""Quality control: sample finished office actions for review, record findings, report error rates.

Why both random and risk-weighted sampling: a random sample at a fixed rate gives unbiased error
rates for the office as a whole (what the figures report), while a second, risk-weighted sample
spends review effort where errors are likelier: actions by new examiners, actions done much
faster than usual, examiners whose refusals were reversed on reexamination, fast-track cases. Each
review is marked with why it was drawn (`random` or `risk`), so the figures can be read for the
random draw alone (`sample_reason="random"`) when an unbiased rate is wanted.

The checklist comes from `rules/data/quality_checklist.yaml`: categories per right (patents:
search, novelty/inventive-step reasoning, claims, formalities, legal basis, language; trademarks:
similarity judgment, goods classification, formalities, legal basis, language), each item with the
legal basis in force on the date of the action reviewed.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoffice.core import audit
from ipoffice.core import tables as t
from ipoffice.core.ipc import parse_ipc
from ipoffice.core.roles import Actor, Role, check, permission

CHECKLIST_FILE = Path(__file__).resolve().parents[1] / "rules" / "data" / "quality_checklist.yaml"

#: events that are finished office actions or decisions (what a reviewer can check): the names of the
#: procedure definitions (rules/data/procedures: office-action, examination-notice, grant-notice,
#: refuse, publish-preliminary-approval, refuse-registration) and their older aliases
ACTION_EVENTS = frozenset(
    {
        "office-action",
        "examination-notice",
        "grant-notice",
        "refuse",
        "refusal",
        "publish-preliminary-approval",
        "refuse-registration",
        "tm-preliminary-approval",
        "tm-refusal",
    }
)
#: events (or reexamination outcomes) that mean a refusal did not stand on reexamination / review
REVERSAL_EVENTS = frozenset(
    {
        "revoke-refusal",
        "allow-on-review",
        "allow-on-nonregistration-review",
        "reexamination-revoked",
        "reexamination-reversed",
    }
)
REVERSAL_OUTCOMES = frozenset({"revoked", "reversed", "set-aside", "refusal-revoked"})

DEFAULT_RISK_WEIGHTS: dict[str, float] = {
    "new_examiner": 1.0,  # fewer than `new_examiner_actions` actions before this one
    "short_handling": 1.0,  # handled in under a quarter of the usual time for its right
    "reversals": 1.0,  # examiner's refusals reversed on reexamination in the past year (3+ = full weight)
    "fast_track": 0.5,  # prioritised, pre-examined or green-channel case
}


# ---------------------------------------------------------------- permissions


@permission("quality_sample")
def _quality_sample(actor: Actor, _obj: Any) -> bool:
    return actor.role == Role.ADMINISTRATOR


@permission("quality_review")
def _quality_review(actor: Actor, _obj: Any) -> bool:
    return actor.is_office


@permission("quality_figures")
def _quality_figures(actor: Actor, _obj: Any) -> bool:
    return actor.is_office  # figures are about unpublished work too: never public


class ReviewRefused(ValueError):
    """A review could not be recorded (bad finding, self-review, already done): nothing changed."""


# ---------------------------------------------------------------- checklist (data)


def _date(v: Any, where: str) -> dt.date | None:
    if v is None:
        return None
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(str(v))
    except ValueError:
        raise ValueError(f"{where}: bad date {v!r}") from None


@dataclass
class Checklists:
    version: str
    severities: tuple[str, ...]
    by_right: dict[str, dict[str, Any]]  # right -> checklist (raw, validated)

    def for_action(self, right: str, on: dt.date) -> dict[str, Any]:
        """The checklist for one action: categories and items of its right, with the basis in force on `on`."""
        cl = self.by_right.get(right)
        if cl is None:
            raise KeyError(f"no quality checklist for right {right!r}")
        cats: dict[str, Any] = {}
        for cat in cl["categories"]:
            if cat.get("rights") and right not in cat["rights"]:
                continue
            items = []
            for it in cat["items"]:
                if it.get("rights") and right not in it["rights"]:
                    continue
                basis = [
                    {"zh": b["cite_zh"], "en": b["cite_en"]}
                    for b in it.get("basis", [])
                    if b["from"] <= on and (b["to"] is None or on <= b["to"])
                ]
                items.append({"id": it["id"], "en": it.get("en", ""), "zh": it.get("zh", ""), "basis": basis})
            if items:
                cats[cat["id"]] = {
                    "title_en": cat.get("title_en", ""),
                    "title_zh": cat.get("title_zh", ""),
                    "items": items,
                }
        return {"checklist": cl["id"], "version": self.version, "as_of": on.isoformat(), "categories": cats}


def load_checklists(path: Path = CHECKLIST_FILE) -> Checklists:
    """Read and validate the checklist file; a bad file is refused with a message naming the entry."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"{path}: cannot read the quality checklist: {e}") from e
    if not isinstance(doc, dict) or not isinstance(doc.get("checklists"), list):
        raise ValueError(f"{path.name}: needs a 'checklists' list")
    severities = tuple(str(s) for s in doc.get("severities") or ("minor", "major", "critical"))
    by_right: dict[str, dict[str, Any]] = {}
    for ci, cl in enumerate(doc["checklists"]):
        where = f"{path.name}: checklists[{ci}]" + (f" ({cl.get('id')})" if isinstance(cl, dict) else "")
        if not isinstance(cl, dict) or not cl.get("id") or not cl.get("rights") or not cl.get("categories"):
            raise ValueError(f"{where}: needs 'id', 'rights' and 'categories'")
        seen: set[str] = set()
        for cat in cl["categories"]:
            cwhere = f"{where}: category {cat.get('id')!r}"
            if not cat.get("id") or not isinstance(cat.get("items"), list) or not cat["items"]:
                raise ValueError(f"{cwhere}: needs 'id' and a non-empty 'items' list")
            if cat["id"] in seen:
                raise ValueError(f"{cwhere}: duplicate category")
            seen.add(cat["id"])
            for it in cat["items"]:
                iwhere = f"{cwhere}: item {it.get('id')!r}"
                if not it.get("id") or not (it.get("en") or it.get("zh")):
                    raise ValueError(f"{iwhere}: needs 'id' and a question ('en' or 'zh')")
                for b in it.get("basis") or []:
                    if not b.get("cite_zh") or not b.get("cite_en"):
                        raise ValueError(f"{iwhere}: every basis needs 'cite_zh' and 'cite_en'")
                    b["from"] = _date(b.get("effective_from"), iwhere)
                    b["to"] = _date(b.get("effective_to"), iwhere)
                    if b["from"] is None:
                        raise ValueError(f"{iwhere}: basis {b['cite_en']!r} needs 'effective_from'")
                    if b["to"] is not None and b["to"] < b["from"]:
                        raise ValueError(f"{iwhere}: basis {b['cite_en']!r} ends before it starts")
        for right in cl["rights"]:
            if right in by_right:
                raise ValueError(f"{where}: right {right!r} already has checklist {by_right[right]['id']!r}")
            by_right[str(right)] = cl
    return Checklists(version=str(doc.get("version", "")), severities=severities, by_right=by_right)


@lru_cache(maxsize=1)
def checklists() -> Checklists:
    return load_checklists()


# ---------------------------------------------------------------- sampling


@dataclass
class SampleReport:
    since: str
    until: str | None
    eligible: int = 0
    random: int = 0
    risk: int = 0
    reviews: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["results"] = d.pop("reviews")
        return d


@dataclass
class _Action:
    event_id: int
    case_id: int
    case_no: str
    event: str
    date: dt.date
    right: str
    track: str
    examiner_id: int | None
    handling_days: float
    signals: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


def _examiner_ids(session: Session) -> dict[str, int]:
    return {code: i for code, i in session.execute(select(t.Examiner.code, t.Examiner.id))}


def _reversals(session: Session, until: dt.date) -> dict[int, int]:
    """Examiner id -> reversals on reexamination of their cases in the year before `until`."""
    out: dict[int, int] = defaultdict(int)
    q = (
        select(t.CaseEvent.event, t.CaseEvent.details, t.Case.examiner_id)
        .join(t.Case, t.Case.id == t.CaseEvent.case_id)
        .where(t.CaseEvent.date > until - dt.timedelta(days=365), t.CaseEvent.date <= until)
        .where(t.CaseEvent.event.in_(REVERSAL_EVENTS) | t.CaseEvent.event.like("reexamination%"))
    )
    for event, details, ex_id in session.execute(q):
        outcome = str((details or {}).get("outcome", "")).lower()
        if ex_id is not None and (event in REVERSAL_EVENTS or outcome in REVERSAL_OUTCOMES):
            out[ex_id] += 1
    return out


def _actions(
    session: Session, since: dt.date, until: dt.date | None, events: frozenset[str], codes: dict[str, int]
) -> tuple[list[_Action], dict[int, int]]:
    """Unsampled actions in the window, and each examiner's count of actions before the window."""
    sampled = select(t.QualityReview.case_event_id)
    q = (
        select(
            t.CaseEvent.id,
            t.CaseEvent.case_id,
            t.Case.case_no,
            t.CaseEvent.event,
            t.CaseEvent.date,
            t.CaseEvent.actor,
            t.Case.right,
            t.Case.track,
            t.Case.examiner_id,
            t.Case.filing_date,
        )
        .join(t.Case, t.Case.id == t.CaseEvent.case_id)
        .where(t.CaseEvent.event.in_(events), t.CaseEvent.date >= since, t.CaseEvent.id.not_in(sampled))
        .order_by(t.CaseEvent.date, t.CaseEvent.id)
    )
    if until is not None:
        q = q.where(t.CaseEvent.date <= until)
    rows = session.execute(q).all()
    # handling time: days since the case's previous event (or its filing) up to this action
    case_ids = sorted({r.case_id for r in rows})
    prev_dates: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for chunk in (case_ids[i : i + 900] for i in range(0, len(case_ids), 900)):
        for cid, d, eid in session.execute(
            select(t.CaseEvent.case_id, t.CaseEvent.date, t.CaseEvent.id).where(t.CaseEvent.case_id.in_(chunk))
        ):
            prev_dates[cid].append((d, eid))
    for v in prev_dates.values():
        v.sort()
    out = []
    for r in rows:
        earlier = [d for d, eid in prev_dates[r.case_id] if (d, eid) < (r.date, r.id)]
        start = earlier[-1] if earlier else r.filing_date
        ex_id = codes.get(r.actor, r.examiner_id)
        out.append(
            _Action(r.id, r.case_id, r.case_no, r.event, r.date, r.right, r.track or "normal", ex_id,
                    float((r.date - start).days))
        )  # fmt: skip
    before: dict[int, int] = defaultdict(int)
    q0 = (
        select(t.CaseEvent.actor, t.Case.examiner_id)
        .join(t.Case, t.Case.id == t.CaseEvent.case_id)
        .where(t.CaseEvent.event.in_(events), t.CaseEvent.date < since)
    )
    for actor_name, ex_id in session.execute(q0):
        ex = codes.get(actor_name, ex_id)
        if ex is not None:
            before[ex] += 1
    return out, before


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    n = len(s)
    return (s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2) if n else 0.0


def score_risk(
    actions: list[_Action],
    before: Mapping[int, int],
    reversals: Mapping[int, int],
    weights: Mapping[str, float],
    new_examiner_actions: int = 30,
) -> None:
    """Set each action's risk signals (0..1) and its weighted score."""
    by_right: dict[str, list[float]] = defaultdict(list)
    for a in actions:
        by_right[a.right].append(a.handling_days)
    usual = {r: _median(v) for r, v in by_right.items() if len(v) >= 10}
    seen: dict[int, int] = defaultdict(int)
    for a in actions:  # in date order: the examiner's experience grows through the window
        sig: dict[str, float] = {}
        if a.examiner_id is not None:
            done = before.get(a.examiner_id, 0) + seen[a.examiner_id]
            seen[a.examiner_id] += 1
            if done < new_examiner_actions:
                sig["new_examiner"] = 1.0
            n_rev = reversals.get(a.examiner_id, 0)
            if n_rev:
                sig["reversals"] = min(1.0, n_rev / 3)
        if a.right in usual and a.handling_days < 0.25 * usual[a.right]:
            sig["short_handling"] = 1.0
        if a.track not in ("normal", "", None):
            sig["fast_track"] = 1.0
        a.signals = sig
        a.score = round(sum(weights.get(k, 0.0) * v for k, v in sig.items()), 4)


def sample(
    session: Session,
    actor: Actor,
    since: dt.date,
    rate: float = 0.05,
    risk_weight: Mapping[str, float] | None = None,
    seed: int | None = None,
    *,
    risk_rate: float | None = None,
    until: dt.date | None = None,
    events: Iterable[str] = ACTION_EVENTS,
    new_examiner_actions: int = 30,
    commit: bool = True,
) -> SampleReport:
    """Draw actions finished since `since` (not sampled before) for quality review.

    `rate` of them at random (uniform, without replacement), then `risk_rate` (default: `rate`)
    more from the rest with probability proportional to their risk score (weighted sampling
    without replacement, Efraimidis-Spirakis); actions with no risk signal are never risk-drawn.
    A fixed `seed` makes the draw reproducible. Writes one pending QualityReview per drawn action,
    with the checklist in force on the action's date; audited."""
    check("quality_sample", actor)
    if not 0 <= rate <= 1 or (risk_rate is not None and not 0 <= risk_rate <= 1):
        raise ValueError("rates must be between 0 and 1")
    weights = dict(DEFAULT_RISK_WEIGHTS if risk_weight is None else risk_weight)
    unknown = set(weights) - set(DEFAULT_RISK_WEIGHTS)
    if unknown:
        raise ValueError(f"unknown risk signal(s) {sorted(unknown)}; known: {', '.join(DEFAULT_RISK_WEIGHTS)}")
    rng = random.Random(seed)
    cls = checklists()
    codes = _examiner_ids(session)
    acts, before = _actions(session, since, until, frozenset(events), codes)
    score_risk(acts, before, _reversals(session, until or dt.date.today()), weights, new_examiner_actions)
    rep = SampleReport(since=since.isoformat(), until=until.isoformat() if until else None, eligible=len(acts))
    k_rand = round(rate * len(acts))
    chosen_random = set(rng.sample(range(len(acts)), k_rand)) if k_rand else set()
    rest = [i for i in range(len(acts)) if i not in chosen_random and acts[i].score > 0]
    k_risk = min(len(rest), round((rate if risk_rate is None else risk_rate) * len(acts)))
    keyed = sorted(rest, key=lambda i: rng.random() ** (1.0 / acts[i].score), reverse=True)
    chosen_risk = set(keyed[:k_risk])
    now = t.utcnow()
    for i in sorted(chosen_random | chosen_risk):
        a = acts[i]
        reason = "random" if i in chosen_random else "risk"
        try:
            checklist = cls.for_action(a.right, a.date)
        except KeyError:
            continue  # a right with no checklist (none today) is not reviewed
        checklist["signals"] = a.signals
        review = t.QualityReview(
            case_id=a.case_id,
            case_event_id=a.event_id,
            examiner_id=a.examiner_id,
            sample_reason=reason,
            risk_score=a.score,
            status="pending",
            checklist=checklist,
            findings=[],
            sampled_at=now,
        )
        session.add(review)
        rep.reviews.append(
            {"case_no": a.case_no, "event": a.event, "date": a.date.isoformat(), "reason": reason,
             "risk_score": a.score, "signals": a.signals, "review": review}
        )  # fmt: skip
        if reason == "random":
            rep.random += 1
        else:
            rep.risk += 1
    session.flush()
    for r in rep.reviews:
        r["review_id"] = r.pop("review").id
    audit.record(
        session, actor, "quality_sample", "quality", f"since {since.isoformat()}",
        eligible=rep.eligible, random=rep.random, risk=rep.risk, rate=rate, seed=seed,
    )  # fmt: skip
    if commit:
        session.commit()
    return rep


# ---------------------------------------------------------------- reviews


def record_review(
    session: Session,
    actor: Actor,
    review: t.QualityReview,
    findings: list[Mapping[str, Any]],
    *,
    reviewer: t.Examiner | None = None,
    commit: bool = True,
) -> t.QualityReview:
    """Record a reviewer's findings ([] = no error found) and close the review; audited.

    Each finding: `category` (one of the review's checklist), `severity` (minor, major, critical),
    optional `item` (an item id of that category) and `note`. The examiner who took the action may
    not review it. The reviewer is `reviewer`, or the examiner whose code is the actor's name."""
    check("quality_review", actor, review)
    if review.status == "done":
        raise ReviewRefused(f"review {review.id} is already done")
    cls = checklists()
    cats = (review.checklist or {}).get("categories", {})
    clean: list[dict[str, Any]] = []
    for i, f in enumerate(findings):
        cat = f.get("category")
        if cat not in cats:
            raise ReviewRefused(f"finding {i + 1}: unknown category {cat!r}; this checklist has {', '.join(cats)}")
        sev = f.get("severity", "minor")
        if sev not in cls.severities:
            raise ReviewRefused(f"finding {i + 1}: severity {sev!r} is not one of {', '.join(cls.severities)}")
        item = f.get("item")
        if item is not None and item not in {it["id"] for it in cats[cat]["items"]}:
            raise ReviewRefused(f"finding {i + 1}: category {cat!r} has no item {item!r}")
        clean.append({"category": cat, "severity": sev, "item": item, "note": str(f.get("note") or "")})
    if reviewer is None:
        reviewer = session.scalar(select(t.Examiner).where(t.Examiner.code == actor.name))
    if reviewer is not None and review.examiner_id is not None and reviewer.id == review.examiner_id:
        raise ReviewRefused("an examiner may not review their own action")
    review.findings = clean
    review.status = "done"
    review.reviewed_at = t.utcnow()
    review.reviewer_id = reviewer.id if reviewer is not None else None
    case_no = session.scalar(select(t.Case.case_no).where(t.Case.id == review.case_id)) or str(review.case_id)
    audit.record(
        session, actor, "quality_review", "case", case_no,
        review_id=review.id, findings=len(clean), categories=sorted({f["category"] for f in clean}),
    )  # fmt: skip
    session.flush()
    if commit:
        session.commit()
    return review


# ---------------------------------------------------------------- figures


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n (95% by default): sound for small n and k = 0."""
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _rate(k: int, n: int) -> dict[str, Any]:
    lo, hi = wilson(k, n)
    return {"errors": k, "reviewed": n, "rate": round(k / n, 4) if n else None, "ci95": [round(lo, 4), round(hi, 4)]}


def _field(right: str, ipc: str | None) -> str:
    if ipc:
        try:
            p = parse_ipc(ipc)
            return f"{p.section}{p.klass or ''}"
        except ValueError:
            pass
    return right


BY = ("examiner", "division", "field")


def quality_figures(
    session: Session, by: str = "examiner", *, actor: Actor | None = None, sample_reason: str | None = None
) -> dict[str, Any]:
    """Error rates per checklist category for done reviews, grouped by examiner, division or field
    (IPC class; the right for designs and trademarks), with counts and Wilson 95% intervals.

    A review counts once per category it checked; it is an error in that category if it has at least
    one finding there. `sample_reason="random"` restricts to the random draw (unbiased rates)."""
    if actor is not None:
        check("quality_figures", actor)
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    q = (
        select(t.QualityReview, t.Case.division, t.Case.right, t.Case.ipc_main, t.Examiner.code)
        .join(t.Case, t.Case.id == t.QualityReview.case_id)
        .outerjoin(t.Examiner, t.Examiner.id == t.QualityReview.examiner_id)
        .where(t.QualityReview.status == "done")
    )
    if sample_reason:
        q = q.where(t.QualityReview.sample_reason == sample_reason)
    groups: dict[str, dict[str, Any]] = {}
    total: dict[str, Any] = {"reviews": 0, "with_errors": 0, "cats": defaultdict(lambda: [0, 0])}
    for review, division, right, ipc, code in session.execute(q):
        key = {"examiner": code or "-", "division": division or "-", "field": _field(right, ipc)}[by]
        g = groups.setdefault(key, {"reviews": 0, "with_errors": 0, "cats": defaultdict(lambda: [0, 0])})
        hit = {f.get("category") for f in review.findings or []}
        for acc in (g, total):
            acc["reviews"] += 1
            acc["with_errors"] += bool(hit)
            for cat in (review.checklist or {}).get("categories", {}):
                acc["cats"][cat][1] += 1
                acc["cats"][cat][0] += cat in hit

    def _out(name: str | None, acc: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {} if name is None else {by: name}
        row["reviews"] = acc["reviews"]
        row["any_error"] = _rate(acc["with_errors"], acc["reviews"])
        row["categories"] = {c: _rate(k, n) for c, (k, n) in sorted(acc["cats"].items())}
        return row

    return {
        "by": by,
        "sample_reason": sample_reason or "all",
        "results": [_out(k, v) for k, v in sorted(groups.items())],
        "total": _out(None, total),
    }


def pending_reviews(session: Session, limit: int = 100) -> list[t.QualityReview]:
    return list(
        session.scalars(
            select(t.QualityReview).where(t.QualityReview.status == "pending").order_by(t.QualityReview.id).limit(limit)
        )
    )


def review_counts(session: Session) -> dict[str, int]:
    return {
        s: n for s, n in session.execute(select(t.QualityReview.status, func.count()).group_by(t.QualityReview.status))
    }
