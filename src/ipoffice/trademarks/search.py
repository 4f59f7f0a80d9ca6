"""Trademark conflict search (Trademark Law Arts. 30–31): earlier identical or similar marks on
identical or similar goods, ranked, each with the reasons in examination terms.

Goods narrow the register first (Nice classes, 类似群 groups, or free-text goods mapped to the
similar-goods table); each candidate mark is then judged by `similarity.compare`, whose reasons name
the guideline rule they meet. Dead marks (expired, invalidated, cancelled, refused, withdrawn) do not
block and are listed apart when asked.

Scale: when the data home has a key index (``trademarks.index``, built by ``ipoffice tm index build``
and kept up to date lazily), only the marks sharing a candidate key (``keys.probe_keys``) on the goods asked
are judged; without one, every mark on those goods is (the exhaustive path, also the reference the index
is tested against). Groups linked to the asked ones by the notes of the similar-goods table are searched
too and say so in their goods reason. ``judge`` makes every hit, for both paths and for the batch engines.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, check, permission
from ipoffice.trademarks import translit
from ipoffice.trademarks.index import (
    GoodsFilter,
    RegisterMark,
    TrademarkIndex,
    need_hashes,
    open_fresh,
    split_probe,
)
from ipoffice.trademarks.keys import _judge
from ipoffice.trademarks.rules import load_rules
from ipoffice.trademarks.similarity import _TRANSLIT_MIN, TRANSLIT_SCORE, compare

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

        mapping = map_goods(q.goods, classes=q.classes or None)
        for it in mapping.items:
            q.groups.update(it.groups)
        for u in mapping.unmapped:
            warnings.append(f"goods {u!r} map to no item of the similar-goods table; searched the classes given")
    if not (q.classes or q.groups):
        raise SearchInputError("nothing to search: give --classes, --groups or goods that map to the table")
    return warnings


def linked_groups(groups: set[str]) -> dict[str, str]:
    """Groups the similar-goods table's notes link to ``groups`` (group -> the note), beyond ``groups`` themselves.

    A note may link only some items or one part of a group; the link is read at group level here, so a mark in
    a linked group is a candidate whose reason says which note to check (``goods.goods_similar`` decides items).
    """
    out: dict[str, str] = {}
    if not groups:
        return out
    by_group = _links_by_group()
    # the table's order (link, then direction) decides which note a group linked twice is given
    for _order, y, note in sorted(e for g in groups for e in by_group.get(g, ())):
        if y not in groups and y not in out:
            out[y] = note
    return out


@lru_cache(maxsize=1)
def _links_by_group() -> dict[str, list[tuple[tuple[int, int], str, str]]]:
    """The table's notes by linking group: group -> ((link number, direction), linked group, note)."""
    from ipoffice.trademarks.goods import _table

    out: dict[str, list[tuple[tuple[int, int], str, str]]] = defaultdict(list)
    for i, (a, b, note) in enumerate(_table().links):
        for d, (x, y) in enumerate(((a, b), (b, a))):
            out[x.group].append(((i, d), y.group, note))
    return dict(out)


def _goods_reason(q: ConflictQuery, classes: set[int] | tuple[int, ...], groups, linked: dict[str, str]):  # noqa: ANN001
    shared_groups = sorted(set(groups) & q.groups)
    if shared_groups:
        return 1.0, {
            "code": GOODS_RULE,
            "text": "同一类似群的商品或服务为类似商品或服务",
            "evidence": f"same similar group {', '.join(shared_groups)}",
        }
    shared_classes = sorted(set(classes) & q.classes)
    if shared_classes:
        return 0.9, {
            "code": "goods-same-class",
            "text": "同一类别（类似群待核）",
            "evidence": f"same Nice class {', '.join(map(str, shared_classes))}; "
            "similar groups not compared (give --groups or goods)",
        }
    via = sorted(set(groups) & set(linked))
    if via:
        return 0.9, {
            "code": GOODS_RULE,
            "text": "类似群注释所列跨群类似商品（商品项待核）",
            "evidence": f"group {via[0]} is linked to the goods asked by the note {linked[via[0]]}",
        }
    return 0.9, None


def judge(q: ConflictQuery, marks: Iterable[RegisterMark], *, on: dt.date | None = None, linked=None):  # noqa: ANN001
    """Judge candidate marks against ``q.mark``: (hits, dead), unsorted. The one place hits are made, so the
    exhaustive search, the indexed search and the batch engines give the same hits."""
    today = _judge()  # today's rule set, loaded once per process
    rules, on = today.rs, on or today.day  # the day given once, not looked up by each comparison
    linked = linked if linked is not None else linked_groups(q.groups)
    hits, dead = [], []
    for tm in marks:
        if q.before and not (tm.filing_date and tm.filing_date < q.before):
            continue
        try:
            sim = compare(q.mark, tm.mark, on=on, rules=rules, graded=False)
        except ValueError:
            continue  # a register mark the engine cannot read (e.g. punctuation only)
        if not sim.similar:
            continue
        reasons = [
            {"code": r.code, "text": r.text, "evidence": r.evidence} for r in sim.reasons if r.verdict != "not_similar"
        ]
        factor, goods = _goods_reason(q, tm.classes, tm.groups, linked)
        if goods:
            reasons.append(goods)
        hit = {
            "number": tm.number,
            "mark": tm.mark,
            "score": round(sim.score * factor, 4),
            "identical": sim.identical,
            "classes": sorted(tm.classes),
            "groups": sorted(tm.groups),
            "status": tm.status,
            "filing_date": tm.filing_date.isoformat() if tm.filing_date else None,
            "reasons": reasons,
        }
        (dead if tm.status in DEAD else hits).append(hit)
    return hits, dead


def _order(h: dict) -> tuple:
    return (-h["score"], h["filing_date"] or "", h["number"])


def rank(hits: list[dict]) -> list[dict]:
    return sorted(hits, key=_order)


def _weak_bound(on: dt.date | None) -> float:
    """The highest score a mark sharing only meaning or transliteration keys can reach (5.1.6, 5.3.3)."""
    rules = _judge().rules if on is None else load_rules().in_force(on)  # today's: worked out once a day
    return max([TRANSLIT_SCORE] + [rules[c].score for c in ("tmg2021-5.5.1.6", "tmg2021-5.5.3.3") if c in rules])


def translit_best(han: str, latin: str, words: tuple[str, ...], at_least: float | None = None) -> float:
    """What ``_Judge.cross`` scores as transliteration for this Chinese/Latin pair (``translit.best`` on their
    profiles; tests/trademarks/test_tm_index.py checks it against ``phonetic.transliteration_similarity``)."""
    return translit.best(translit.han_profile(han), translit.latin_profile(latin, words), at_least)


def _translit_possible(qp: translit.Profile, tm: Any) -> bool:
    """Whether a candidate can be a transliteration of the application (profile stored in the index, or made
    from its text for a candidate that has none)."""
    stored = getattr(tm, "translit", None)
    try:
        tp = translit.decode(stored) if stored is not None else translit.profile(tm.mark)
    except ValueError:
        return False
    return translit.possible(qp, tp, _TRANSLIT_MIN)


def sound_test(mark: str) -> translit.SoundTest | None:
    """The transliteration pre-test of ``mark`` for the index's candidates (``TrademarkIndex.weak_candidates``);
    None for text ``normalize`` refuses (``judge_split`` then tests each candidate itself)."""
    try:
        return translit.SoundTest(translit.profile(mark), _TRANSLIT_MIN)
    except ValueError:
        return None


def judge_split(
    q: ConflictQuery,
    strong: Iterable[RegisterMark],
    weak: Iterable[tuple[RegisterMark, bool]],
    *,
    on: dt.date | None = None,
    linked: dict[str, str] | None = None,
) -> tuple[list[dict], list[dict]]:
    """``judge`` for the index's candidates: every strong one, and weak ones only while they can still rank.

    Weak candidates share only meaning or transliteration keys, so (the keys being complete for the other
    rules) they score at most ``_weak_bound`` times their goods factor; they come best possible rank first, and
    once ``q.top`` hits rank above the next one's best, none of the rest can enter the list. A weak candidate
    sharing no meaning key can only be a transliteration (``similarity.TRANSLIT_SCORE``, below a translation's
    score): it is skipped once the list is full above that, and judged only when the transliteration test of
    ``compare`` can pass. The hits
    are those the exhaustive search returns (tests/trademarks/test_tm_index.py compares them).
    """
    linked = linked if linked is not None else linked_groups(q.groups)
    hits, dead = judge(q, strong, on=on, linked=linked)
    keys = {False: sorted(map(_order, hits)), True: sorted(map(_order, dead))}
    bound = _weak_bound(on)
    sound_bound = min(bound, TRANSLIT_SCORE)  # sharing no meaning key, only a transliteration can link them
    try:
        qp = translit.profile(q.mark)
    except ValueError:
        qp = ((), ())
    for tm, by_meaning in weak:
        is_dead = tm.status in DEAD
        if is_dead and not q.include_dead:
            continue
        shares = getattr(tm, "shares_group", None)
        factor = 1.0 if (shares if shares is not None else set(tm.groups) & q.groups) else 0.9
        date = tm.filing_date.isoformat() if tm.filing_date else ""
        best = (-round(bound * factor, 4), date, tm.number)
        full = {d: bisect.bisect_left(keys[d], best) >= q.top for d in (False, True)}
        if full[False] and (full[True] or not q.include_dead):
            break  # candidates come in rank order: no later one can enter either list
        if full[is_dead]:
            continue
        if not by_meaning:
            best = (-round(sound_bound * factor, 4), date, tm.number)
            full = {d: bisect.bisect_left(keys[d], best) >= q.top for d in (False, True)}
            if full[False] and (full[True] or not q.include_dead) and hasattr(weak, "stop"):
                weak.stop(False)  # no later transliteration can enter: the meaning candidates go on alone
                continue
            if full[is_dead]:
                continue  # the list is full of hits above any transliteration this late in the order
            if not getattr(weak, "sound_tested", False) and not _translit_possible(qp, tm):
                continue
        h, d = judge(q, [tm], on=on, linked=linked)
        for x in h + d:
            bisect.insort(keys[x["status"] in DEAD], _order(x))
        hits += h
        dead += d
    return hits, dead


def result(q: ConflictQuery, hits: list[dict], dead: list[dict], considered: int, warnings: list[str]) -> dict:
    out: dict[str, Any] = {
        "mark": q.mark,
        "classes": sorted(q.classes),
        "groups": sorted(q.groups),
        "before": q.before.isoformat() if q.before else None,
        "considered": considered,
        "warnings": warnings,
        "results": rank(hits)[: q.top],
    }
    if q.include_dead:
        out["dead"] = rank(dead)[: q.top]
    return out


def _exhaustive_marks(session: Session, q: ConflictQuery, groups: set[str]) -> tuple[list[RegisterMark], int]:
    """Every mark on the goods asked, read from the store (the path when no index was built)."""
    from sqlalchemy import or_

    goods_q = select(t.TrademarkGoods.trademark_id, t.TrademarkGoods.nice_class, t.TrademarkGoods.group_code)
    conds = []
    if q.classes:
        conds.append(t.TrademarkGoods.nice_class.in_(sorted(q.classes)))
    if groups:
        conds.append(t.TrademarkGoods.group_code.in_(sorted(groups)))
    ids = sorted({r[0] for r in session.execute(goods_q.where(or_(*conds)))})
    out: list[RegisterMark] = []
    for chunk_start in range(0, len(ids), 1000):
        chunk = ids[chunk_start : chunk_start + 1000]
        classes_of: dict[int, set[int]] = defaultdict(set)
        groups_of: dict[int, set[str]] = defaultdict(set)
        for tid, cls, grp in session.execute(goods_q.where(t.TrademarkGoods.trademark_id.in_(chunk))):
            classes_of[tid].add(cls)
            if grp:
                groups_of[tid].add(grp)
        marks = select(t.Trademark).where(t.Trademark.id.in_(chunk), t.Trademark.mark.is_not(None))
        if q.before:
            marks = marks.where(t.Trademark.filing_date < q.before)
        for tm in session.scalars(marks):
            out.append(
                RegisterMark(
                    tm.id,
                    tm.number,
                    tm.mark,
                    tm.status,
                    tm.filing_date,
                    tuple(sorted(classes_of[tm.id])),
                    tuple(sorted(groups_of[tm.id])),
                )
            )
    return out, len(ids)


def conflict_search(
    session: Session,
    actor: Actor,
    q: ConflictQuery,
    *,
    on: dt.date | None = None,
    index: TrademarkIndex | None | bool = None,
) -> dict[str, Any]:
    """Earlier marks that could block `q.mark` on the goods asked, best first.

    ``index``: None (default) uses this data home's key index when one was built (brought up to date
    first) and judges every mark on the goods otherwise; False forces that exhaustive path; a
    ``TrademarkIndex`` is searched as given (benchmarks, batch). Both paths give the same hits.
    """
    check("trademark_search", actor)
    warnings = _validate(session, q)
    linked = linked_groups(q.groups)
    goods_groups = q.groups | set(linked)
    idx = open_fresh(session) if index is None else (index or None)
    if idx is None:
        marks, considered = _exhaustive_marks(session, q, goods_groups)
        hits, dead = judge(q, marks, on=on, linked=linked)
    else:
        f = GoodsFilter(q.classes, goods_groups, q.before)
        strong, weak = idx.split_candidates(
            split_probe(q.mark),
            f,
            dead=q.include_dead,
            rank_groups=q.groups,
            need=need_hashes(q.mark),
            sound_test=sound_test(q.mark),
        )
        hits, dead = judge_split(q, strong, weak, on=on, linked=linked)
        considered = idx.count_on_goods(f)
    return result(q, hits, dead, considered, warnings)
