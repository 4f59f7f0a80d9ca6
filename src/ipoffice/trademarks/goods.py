"""Are two lists of goods or services identical or similar? China's similar-goods table (类似商品和服务区分表).

The examiner first asks whether the goods are the same or similar (商标审查审理指南 下编第五章 2, 3: 同一种或者
类似商品或者服务的认定，以《类似商品和服务区分表》作为参考). The table (shipped by ``ipoffice.core`` in
``core/schemes_data``, edition ``ncl12-2025``; read here through ``ipoffice.core.schemes.iter_scheme_rows``)
sorts every standard item into a similar group (类似群, ``0901``):

- items of one group are similar -- unless the group's note says its parts are not similar to each other
  (本类似群各部分之间商品不类似), then only items of the same part are;
- the groups' notes link items across groups ("氨,无水氨与0102第(二)部分…类似"): such items are similar too;
- an item listed in several groups (跨类似群保护商品) belongs to each of them.

Notes that only ask for cross-searching against older editions (交叉检索 with 第九版及以前版本 …) are not
similarity and are ignored. Free-text goods are first mapped to standard items (code, exact name, then the
closest name or a standard name inside the text); what cannot be mapped is reported, not guessed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ipoffice.core import schemes
from ipoffice.trademarks.normalize import fold_han
from ipoffice.trademarks.rules import RulesError, load_rules
from ipoffice.trademarks.similarity import Reason

__all__ = ["GOODS_RULE", "GoodsItem", "GoodsMapping", "goods_similar", "map_goods"]

GOODS_RULE = "tmg2021-5.2"  # 释义: 同一种或者类似商品或者服务的认定，以区分表作为参考
_TEXT = "同一种或者类似商品或者服务的认定，以《商标注册用商品和服务国际分类》《类似商品和服务区分表》作为参考"
EDITION = schemes.VERSIONS["cn-item"]
FUZZY_CUTOFF = 0.75


def _clean(name: str) -> str:
    s = unicodedata.normalize("NFKC", name).replace("*", "").replace("※", "").strip()
    return fold_han(s)


@dataclass(frozen=True)
class GoodsItem:
    """A standard item of the similar-goods table that a goods text was mapped to."""

    text: str  # the text as given
    code: str  # item code (090372, C090001)
    name: str  # the item's standard name
    groups: tuple[str, ...]  # similar groups listing the item
    parts: tuple[tuple[str, str], ...]  # (group, part) where the group has parts
    match: str  # "code", "exact", "fuzzy" or "contains"
    confidence: float = 1.0

    def part_in(self, group: str) -> str:
        return dict(self.parts).get(group, "")


@dataclass(frozen=True)
class GoodsMapping:
    items: list[GoodsItem] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Link:
    """One side of a cross-group note: a group, optionally one part and some item names."""

    group: str
    part: str = ""
    names: frozenset[str] = frozenset()

    def covers(self, item: GoodsItem) -> bool:
        if self.group not in item.groups:
            return False
        if self.part and item.part_in(self.group) != self.part:
            return False
        return not self.names or _clean(item.name) in self.names


@dataclass(frozen=True)
class _Table:
    by_code: dict[str, GoodsItem]
    by_name: dict[str, list[str]]  # cleaned name (zh or lower-case en) -> codes
    names_zh: tuple[str, ...]
    parts_apart: frozenset[str]  # groups whose parts are not similar to each other
    links: tuple[tuple[_Link, _Link, str], ...]  # (a, b, note text)


_PART = re.compile(r"第\(([一二三四五六七八九十]+)\)部分")
_GROUP_REF = re.compile(r"(?<!\d)(\d{4})(?!\d)(第\([一二三四五六七八九十]+\)部分)?")


def _names(text: str) -> frozenset[str]:
    parts = re.split(r"[,，、]", text)
    return frozenset(_clean(p) for p in parts if _clean(p))


def _parse_note(group: str, note: str) -> list[tuple[_Link, _Link]]:
    """Links of a note such as '2.氨,无水氨与0102第(二)部分工业用挥发碱(氨水)类似,与第九版…交叉检索；'."""
    own_part = ""
    m = re.match(r"第\(([一二三四五六七八九十]+)\)部分[：:]", note)
    if m:
        own_part = m.group(1)
        note = note[m.end() :]
    note = re.sub(r"^\d+\.", "", note.strip())
    out: list[tuple[_Link, _Link]] = []
    for clause in re.split(r"[；;。]", note):
        if "类似" not in clause or "与" not in clause or "不类似" in clause:
            continue
        head = clause.split("类似")[0]
        if "版" in head:  # "与第九版及以前版本…" is about older editions
            continue
        subj, _, obj = head.partition("与")
        subj = subj.strip(" ,，")
        refs = list(_GROUP_REF.finditer(obj))
        if not refs:
            continue
        if subj in ("本部分", "") or subj.startswith("本部分"):
            src = _Link(group, own_part)
        elif subj.startswith("本类似群") or "自然段" in subj:
            src = _Link(group)
        else:
            src = _Link(group, own_part, _names(subj))
        for i, r in enumerate(refs):
            end = refs[i + 1].start() if i + 1 < len(refs) else len(obj)
            tail = obj[r.end() : end].strip(" ,，")
            pm = _PART.search(r.group(2) or "")
            dst = _Link(r.group(1), pm.group(1) if pm else "", _names(tail) if tail else frozenset())
            out.append((src, dst))
    return out


@lru_cache(maxsize=1)
def _table() -> _Table:
    by_code: dict[str, GoodsItem] = {}
    by_name: dict[str, list[str]] = {}
    for row in schemes.iter_scheme_rows("cn-item"):
        ex = row["extra"] or {}
        groups = tuple(ex.get("groups") or [row["parent"]])
        if ex.get("parts"):
            parts = tuple(sorted(ex["parts"].items()))
        elif ex.get("part"):
            parts = ((row["parent"], ex["part"]),)
        else:
            parts = ()
        name = row["title_zh"] or ""
        item = GoodsItem(text="", code=row["symbol"], name=_clean(name), groups=groups, parts=parts, match="code")
        by_code[row["symbol"]] = item
        for n in [name, *(ex.get("names") or [])]:
            by_name.setdefault(_clean(n), []).append(row["symbol"])
        if row["title_en"]:
            by_name.setdefault(_clean(row["title_en"]).lower(), []).append(row["symbol"])
    # names without their bracketed qualifier as a second way in (矿泉水 -> 矿泉水(饮料)), never over a real name
    for n, codes in list(by_name.items()):
        bare = " ".join(re.sub(r"\(.*?\)|\[.*?\]", " ", n).split())
        if bare and bare != n and bare not in by_name:
            by_name[bare] = list(codes)
    apart: set[str] = set()
    links: list[tuple[_Link, _Link, str]] = []
    for row in schemes.iter_scheme_rows("cn-group"):
        for note in (row["extra"] or {}).get("notes") or []:
            if "各部分之间商品不类似" in note:
                apart.add(row["symbol"])
            for a, b in _parse_note(row["symbol"], note):
                links.append((a, b, f"[{row['symbol']}] {note}"))
    names_zh = tuple(sorted((n for n in by_name if re.search(r"[\u4e00-\u9fff]", n)), key=len, reverse=True))
    return _Table(by_code, by_name, names_zh, frozenset(apart), tuple(links))


def _with_text(item: GoodsItem, text: str, match: str, conf: float = 1.0) -> GoodsItem:
    return GoodsItem(text, item.code, item.name, item.groups, item.parts, match, round(conf, 3))


def map_goods(goods: Iterable[str]) -> GoodsMapping:
    """Map goods texts to standard items: by code, exact name, then fuzzy; the rest is reported unmapped.

    Fuzzy: the closest standard name (difflib ratio >= 0.75), else the longest standard Chinese name of
    two or more characters inside the text (精酿啤酒 -> 啤酒). English names are matched case-insensitively.
    """
    t = _table()
    items: list[GoodsItem] = []
    unmapped: list[str] = []
    for raw in goods:
        text = str(raw).strip()
        if not text:
            continue
        code = unicodedata.normalize("NFKC", text).upper()
        if re.fullmatch(r"C?\d{6}", code) and code in t.by_code:
            items.append(_with_text(t.by_code[code], text, "code"))
            continue
        key = _clean(text)
        low = key.lower()
        codes = t.by_name.get(key) or t.by_name.get(low)
        if codes:
            items.extend(_with_text(t.by_code[c], text, "exact") for c in dict.fromkeys(codes))
            continue
        pool = [n for n in t.by_name if (n.isascii() == low.isascii())]
        close = difflib.get_close_matches(low if low.isascii() else key, pool, n=1, cutoff=FUZZY_CUTOFF)
        if close:
            ratio = difflib.SequenceMatcher(None, low if low.isascii() else key, close[0]).ratio()
            items.extend(_with_text(t.by_code[c], text, "fuzzy", ratio) for c in dict.fromkeys(t.by_name[close[0]]))
            continue
        if not key.isascii():
            inside = next((n for n in t.names_zh if len(n) >= 2 and n in key), None)
            if inside:
                conf = len(inside) / len(key)
                items.extend(_with_text(t.by_code[c], text, "contains", conf) for c in dict.fromkeys(t.by_name[inside]))
                continue
        unmapped.append(text)
    return GoodsMapping(items, unmapped)


def _reason(evidence: str, verdict: str) -> Reason:
    return Reason(GOODS_RULE, _TEXT, evidence, verdict, 1.0 if verdict != "not_similar" else 0.0)


def _pair(a: GoodsItem, b: GoodsItem, t: _Table) -> Reason | None:
    if a.code == b.code:
        return _reason(f"{a.text} / {b.text}: the same item {a.code} {a.name}", "identical")
    for g in a.groups:
        if g not in b.groups:
            continue
        pa, pb = a.part_in(g), b.part_in(g)
        if g in t.parts_apart and pa and pb and pa != pb:
            continue  # may still be linked by a note below
        return _reason(f"{a.text} ({a.code}) / {b.text} ({b.code}): the same similar group {g}", "similar")
    for x, y, note in t.links:
        if (x.covers(a) and y.covers(b)) or (x.covers(b) and y.covers(a)):
            return _reason(f"{a.text} ({a.code}) / {b.text} ({b.code}): similar by the note {note}", "similar")
    return None


def goods_similar(
    a_goods: Iterable[str], b_goods: Iterable[str], *, on: dt.date | None = None
) -> tuple[bool, list[Reason]]:
    """Whether any goods of one list are identical or similar to any of the other, with the reasons.

    ``on`` (default today) must fall in the period of the rule ``tmg2021-5.2`` (RulesError otherwise).
    Reasons name rule ``tmg2021-5.2`` and the table edition; goods that could not be mapped to a
    standard item are reported as a reason each (verdict ``not_similar``, evidence "unmapped"), so an
    examiner sees what was not compared.
    """
    day = on or dt.date.today()
    if GOODS_RULE not in load_rules().in_force(day):
        raise RulesError(f"rule {GOODS_RULE} (similar goods) is not in force on {day.isoformat()}")
    t = _table()
    ma, mb = map_goods(a_goods), map_goods(b_goods)
    reasons: list[Reason] = []
    seen: set[tuple[str, str]] = set()
    for x in ma.items:
        for y in mb.items:
            key = tuple(sorted((x.code, y.code)))
            if key in seen:
                continue
            seen.add(key)
            r = _pair(x, y, t)
            if r:
                reasons.append(r)
    reasons.sort(key=lambda r: r.verdict != "identical")
    for u in ma.unmapped + mb.unmapped:
        reasons.append(_reason(f"{u}: not mapped to an item of the similar-goods table ({EDITION})", "not_similar"))
    for it in ma.items + mb.items:
        if it.match in ("fuzzy", "contains"):
            reasons.append(
                Reason(
                    GOODS_RULE,
                    _TEXT,
                    f"{it.text} read as {it.code} {it.name} ({it.match}, {it.confidence})",
                    "note",
                    0.0,
                )
            )
    similar = any(r.verdict in ("identical", "similar") for r in reasons)
    if not similar and ma.items and mb.items:
        groups_a = sorted({g for i in ma.items for g in i.groups})
        groups_b = sorted({g for i in mb.items for g in i.groups})
        reasons.insert(
            0,
            _reason(
                f"no shared similar group and no note links them ({','.join(groups_a)} / {','.join(groups_b)})",
                "not_similar",
            ),
        )
    return similar, reasons
