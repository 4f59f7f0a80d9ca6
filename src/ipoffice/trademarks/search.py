"""Trademark conflict search (Trademark Law Arts. 30–31): earlier identical or similar marks on
identical or similar goods, ranked, each with the reasons in examination terms.

Goods narrow the register first (Nice classes, 类似群 groups, or free-text goods mapped to the
similar-goods table); each candidate mark is then judged by `similarity.compare`, whose reasons name
the guideline rule they meet. Dead marks (expired, invalidated, cancelled, refused, withdrawn) do not
block and are listed apart when asked.

Scale note: candidates are all marks in the given classes/groups, judged one by one, which serves a
register of tens of thousands of marks per class; the 1M-mark online search will put the keys of
`trademarks.keys` in an index first (issue #5, open).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, check, permission

DEAD = {"expired", "invalidated", "cancelled", "refused", "withdrawn"}
GOODS_RULE = "tmg2021-5.2"


@permission("trademark_search")
def _trademark_search(actor: Actor, _obj: Any) -> bool:
    return True  # the register is public


class SearchInputError(ValueError):
    """Nothing could be searched: the message says what is wrong with the input."""


def split_list(*texts: str | None) -> list[str]:
    """`9,42` / `9，42` (full-width comma) / repeated options -> ["9", "42"]: how every desk takes lists."""
    return [v.strip() for text in texts for v in (text or "").replace("，", ",").split(",") if v.strip()]


def parse_classes(*texts: str | None) -> set[int]:
    try:
        return {int(c) for c in split_list(*texts)}
    except ValueError:
        raise SearchInputError(f"Nice classes must be numbers, got {', '.join(t for t in texts if t)!r}") from None


@dataclass
class ConflictQuery:
    mark: str
    classes: set[int] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    goods: list[str] = field(default_factory=list)
    before: dt.date | None = None
    top: int = 20
    include_dead: bool = False


def _validate(session: Session, q: ConflictQuery) -> list[str]:
    from ipoffice.trademarks.normalize import normalize

    warnings: list[str] = []
    try:
        normalize(q.mark)
    except ValueError as exc:
        raise SearchInputError(f"mark {q.mark!r}: {exc}") from exc
    bad = sorted(c for c in q.classes if not 1 <= c <= 45)
    if bad:
        raise SearchInputError(f"unknown Nice class {bad[0]} (classes run from 1 to 45)")
    known = set(session.scalars(select(t.SchemeEntry.symbol).where(t.SchemeEntry.scheme == "cn-group")))
    for g in sorted(q.groups):
        if len(g) != 4 or not g.isdigit() or (known and g not in known):
            raise SearchInputError(f"unknown similar-group (类似群) code {g!r}")
    if q.goods:
        from ipoffice.trademarks.goods import map_goods

        mapping = map_goods(q.goods)
        for it in mapping.items:
            q.groups.update(it.groups)
        for u in mapping.unmapped:
            warnings.append(f"goods {u!r} map to no item of the similar-goods table; searched the classes given")
    if not (q.classes or q.groups):
        raise SearchInputError("nothing to search: give --classes, --groups or goods that map to the table")
    return warnings


def conflict_search(session: Session, actor: Actor, q: ConflictQuery, *, on: dt.date | None = None) -> dict[str, Any]:
    """Earlier marks that could block `q.mark` on the goods asked, best first."""
    from ipoffice.trademarks.similarity import compare

    check("trademark_search", actor)
    warnings = _validate(session, q)
    goods_q = select(t.TrademarkGoods.trademark_id, t.TrademarkGoods.nice_class, t.TrademarkGoods.group_code)
    conds = []
    if q.classes:
        conds.append(t.TrademarkGoods.nice_class.in_(sorted(q.classes)))
    if q.groups:
        conds.append(t.TrademarkGoods.group_code.in_(sorted(q.groups)))
    from sqlalchemy import or_

    ids = {r[0] for r in session.execute(goods_q.where(or_(*conds)))}
    hits, dead = [], []
    classes_of: dict[int, set[int]] = defaultdict(set)
    groups_of: dict[int, set[str]] = defaultdict(set)
    for chunk_start in range(0, len(ids), 1000):
        chunk = sorted(ids)[chunk_start : chunk_start + 1000]
        for tid, cls, grp in session.execute(goods_q.where(t.TrademarkGoods.trademark_id.in_(chunk))):
            classes_of[tid].add(cls)
            if grp:
                groups_of[tid].add(grp)
        marks = select(t.Trademark).where(t.Trademark.id.in_(chunk), t.Trademark.mark.is_not(None))
        if q.before:
            marks = marks.where(t.Trademark.filing_date < q.before)
        for tm in session.scalars(marks):
            try:
                sim = compare(q.mark, tm.mark, on=on)
            except ValueError:
                continue  # a register mark the engine cannot read (e.g. punctuation only)
            if not sim.similar:
                continue
            reasons = [
                {"code": r.code, "text": r.text, "evidence": r.evidence}
                for r in sim.reasons
                if r.verdict != "not_similar"
            ]
            shared_groups = sorted(groups_of[tm.id] & q.groups)
            shared_classes = sorted(classes_of[tm.id] & q.classes)
            if shared_groups:
                reasons.append(
                    {
                        "code": GOODS_RULE,
                        "text": "同一类似群的商品或服务为类似商品或服务",
                        "evidence": f"same similar group {', '.join(shared_groups)}",
                    }
                )
            elif shared_classes:
                reasons.append(
                    {
                        "code": "goods-same-class",
                        "text": "同一类别（类似群待核）",
                        "evidence": f"same Nice class {', '.join(map(str, shared_classes))}; "
                        "similar groups not compared (give --groups or goods)",
                    }
                )
            hit = {
                "number": tm.number,
                "mark": tm.mark,
                "score": round(sim.score * (1.0 if shared_groups else 0.9), 4),
                "identical": sim.identical,
                "classes": sorted(classes_of[tm.id]),
                "groups": sorted(groups_of[tm.id]),
                "status": tm.status,
                "filing_date": tm.filing_date.isoformat() if tm.filing_date else None,
                "reasons": reasons,
            }
            (dead if tm.status in DEAD else hits).append(hit)
    order = lambda h: (-h["score"], h["filing_date"] or "", h["number"])  # noqa: E731
    hits.sort(key=order)
    out: dict[str, Any] = {
        "mark": q.mark,
        "classes": sorted(q.classes),
        "groups": sorted(q.groups),
        "before": q.before.isoformat() if q.before else None,
        "considered": len(ids),
        "warnings": warnings,
        "results": hits[: q.top],
    }
    if q.include_dead:
        out["dead"] = sorted(dead, key=order)[: q.top]
    return out
