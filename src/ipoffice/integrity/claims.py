"""Claim-structure signals for Order 77 Art. 3(4): degraded, stacked or unnecessarily narrowed claims.

A claim set padded to look substantial shows in its structure: dependent claims that add nothing but a
colour, a material name or a number; long stacks of such alternatives; claims that repeat each other; and
"degraded" alternatives that remove or worsen a feature. Each finding names the claim, its parent and the
words it adds, so an examiner can check them against the claims text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from ipoffice.integrity.textstats import FUNCTION_EN, FUNCTION_ZH, tokens

COLOURS = frozenset(
    "red green blue yellow black white grey gray orange purple violet pink brown silver golden gold transparent "
    "colour color coloured colored 红 绿 蓝 黄 黑 白 灰 橙 紫 粉 棕 银 金 色 透明".split()
)
MATERIALS = frozenset(
    "steel iron aluminium aluminum copper brass bronze plastic plastics rubber wood wooden glass ceramic ceramics "
    "stainless titanium nickel zinc polyethylene polypropylene pvc nylon polyester cotton leather paper metal "
    "metallic alloy silicone resin concrete stone 钢 铁 铝 铜 塑 料 橡 胶 木 玻 璃 陶 瓷 不 锈 钛 镍 锌 尼 龙 棉 皮 纸 "
    "金 属 合 硅 树 脂 混 凝 土 石".split()
)
SHAPES = frozenset(
    "rectangular square circular round oval elliptical triangular cylindrical spherical hexagonal polygonal "
    "conical cubic flat curved shape shaped 方 圆 椭 三 角 柱 球 六 边 形 锥 扁 弧".split()
)
# non-technical additions: how the product is finished, labelled, packed or sold
DRESS = frozenset(
    "paint painted coated decorated printed pattern patterned logo label labelled labeled sticker packaged "
    "packaging package packed box boxed bag bagged carton sold sale pairs pair set "
    "涂 漆 喷 印 花 纹 标 签 贴 包 装 盒 袋 售 成 对 套".split()
)
GENERIC = frozenset(
    "made formed is are has have having wherein whereby which the said a an of from in with and or one "
    "colour color material materials shape shaped size length width height thickness diameter weight number "
    "mm cm m kg g degrees degree percent about approximately least most selected group consisting "
    "thick long wide high tall heavy provided it its in into on "
    "claim claims according any preceding further comprises comprising characterized 所 述 由 制 成 其 特 征 在 于 "
    "为 的 是 根 据 权 利 要 求 项 任 一 采 用 材 质 颜 色 形 状 尺 寸 长 度 宽 厚 直 径 重 量 毫 米 厘 克".split()
)
DEGRADING = re.compile(
    r"\bwithout\b|\bomitt?ed\b|\bmanually\b|\bdispensed with\b|\blower efficiency\b"
    r"|不设置|省略|取消|去除所述|手动|人工",
    re.I,
)
DEP_EN = re.compile(r"\bclaims?\s+(\d+)", re.I)
DEP_ZH = re.compile(r"权利要求\s*(\d+)")
_NUM = re.compile(r"^\d+(?:\.\d+)?$")
_LEAD = re.compile(r"^\s*\d+\s*[.．、)]\s*")
_WHEREIN = re.compile(r"\bwherein\b|\bcharacteri[sz]ed in that\b|\bfurther comprising\b|其特征在于|所述", re.I)


@dataclass
class ClaimFinding:
    counts: dict[str, Any]
    trivial: list[dict[str, Any]] = field(default_factory=list)
    repeats: list[dict[str, Any]] = field(default_factory=list)
    stacked: list[dict[str, Any]] = field(default_factory=list)
    degraded: list[dict[str, Any]] = field(default_factory=list)
    components: dict[str, float] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """Noisy-or of the components: each is independent evidence of a padded claim set."""
        rest = 1.0
        for v in self.components.values():
            rest *= 1.0 - v
        return round(1.0 - rest, 4)


def parent_of(claim: str) -> int | None:
    head = claim[:200]
    m = DEP_ZH.search(head) or DEP_EN.search(head)
    return int(m.group(1)) if m else None


def added_part(claim: str) -> str:
    """What a dependent claim adds: the text after its reference to the parent (and after 'wherein')."""
    m = DEP_ZH.search(claim[:200]) or DEP_EN.search(claim[:200])
    rest = claim[m.end() :] if m else claim
    w = _WHEREIN.search(rest)
    return (rest[w.end() :] if w else rest).strip(" ,，:：;。.")


def trivial_reason(added: str) -> str | None:
    """Why an added limitation is trivial (colour / material / number only), or None if it is not."""
    toks = tokens(added)
    content = [t for t in toks if t not in FUNCTION_EN and t not in FUNCTION_ZH and t not in GENERIC]
    if not toks or len(content) > 12:
        return None
    kinds = set()
    rest = []
    for t in content:
        if t in COLOURS:
            kinds.add("colour")
        elif t in MATERIALS:
            kinds.add("material")
        elif t in SHAPES:
            kinds.add("shape")
        elif t in DRESS:
            kinds.add("finish or packaging")
        elif _NUM.match(t):
            kinds.add("number")
        else:
            rest.append(t)
    if not kinds or len(rest) > max(1, len(content) // 3):
        return None
    return ", ".join(sorted(kinds))


def alternatives(claim: str) -> int:
    """The longest run of listed alternatives in one claim (A, B, C or D / A、B或C)."""
    best = 0
    for part in re.split(r"[;；:：]|\bwherein\b|其特征在于", claim):
        n_or = len(re.findall(r"\bor\b|或|或者", part))
        if n_or:
            best = max(best, part.count(",") + part.count("，") + part.count("、") + n_or + 1)
    return best


def _body(claim: str) -> str:
    return DEP_EN.sub("claim", DEP_ZH.sub("权利要求", _LEAD.sub("", claim))).lower()


def _trivial_diff(a: list[str], b: list[str], min_ratio: float) -> list[str] | None:
    """The words two claims differ in when that is nothing or only colours, materials and numbers; else None."""
    sm = SequenceMatcher(None, a, b, autojunk=False)
    if sm.real_quick_ratio() < min_ratio or sm.quick_ratio() < min_ratio:
        return None
    changed = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            changed += a[i1:i2] + b[j1:j2]
    if not changed:
        return changed
    if all(t in COLOURS or t in MATERIALS or t in SHAPES or _NUM.match(t) for t in changed) and not all(
        _NUM.match(t) for t in changed
    ):
        return changed  # claims differing only in numbers are ordinary (ranges, sequence numbers)
    return None


def analyse(claims: list[str], th: dict[str, float]) -> ClaimFinding:
    trivial_share = th.get("trivial_share", 0.6)
    min_trivial = int(th.get("min_trivial", 3))
    alt_max = int(th.get("alternatives", 8))
    repeat_ratio = th.get("repeat_ratio", 0.75)
    repeat_share = th.get("repeat_share", 0.5)
    degraded_cap = th.get("degraded_cap", 0.3)
    stack_count = int(th.get("stack_count", 16))
    parents = [parent_of(c) for c in claims]
    dependents = [i for i, p in enumerate(parents) if p is not None]
    f = ClaimFinding(
        counts={
            "claims": len(claims),
            "independent": len(claims) - len(dependents),
            "dependent": len(dependents),
        }
    )
    for i in dependents:
        add = added_part(claims[i])
        why = trivial_reason(add)
        if why:
            f.trivial.append({"claim": i + 1, "depends_on": parents[i], "adds": add[:200], "trivial": why})
        n_alt = alternatives(claims[i])
        if n_alt >= alt_max and trivial_reason(re.sub(r"\bor\b|或者|或|[,，、]", " ", add)):
            f.stacked.append({"claim": i + 1, "alternatives": n_alt, "adds": add[:300]})
    for i, c in enumerate(claims):
        if DEGRADING.search(c):
            m = DEGRADING.search(c)
            f.degraded.append({"claim": i + 1, "phrase": m.group(0), "text": c[max(0, m.start() - 60) : m.end() + 60]})
    bodies = [tokens(_body(c)) for c in claims]
    for i in range(len(claims)):
        for j in range(i + 1, min(len(claims), i + 40)):
            if parents[i] != parents[j] or len(bodies[i]) < 5:
                continue
            diff = _trivial_diff(bodies[i], bodies[j], repeat_ratio)
            if diff is not None:
                f.repeats.append({"claims": [i + 1, j + 1], "differ_only_in": diff})
    n_dep = len(dependents)
    f.counts.update(trivial=len(f.trivial), repeated_pairs=len(f.repeats), stacked=len(f.stacked))
    f.counts["degraded"] = len(f.degraded)
    share = len(f.trivial) / n_dep if n_dep else 0.0
    f.counts["trivial_share"] = round(share, 3)
    n_triv = len(f.trivial)
    if n_triv >= min_trivial and (share >= trivial_share or n_triv >= stack_count):
        # a count (a padded stack) and a share of the dependent claims: both, so a long real claim set with a few
        # numeric ranges is not caught, nor a short one with two colour claims; a stack of `stack_count` trivial
        # claims is padding however many real claims surround it
        by_share = 0.6 + 0.4 * (share - trivial_share) / (1 - trivial_share) if share >= trivial_share else 0.0
        by_count = 0.6 + 0.02 * (n_triv - stack_count) if n_triv >= stack_count else 0.0
        f.components["trivial_dependents"] = min(1.0, max(by_share, by_count))
    involved = {c for r in f.repeats for c in r["claims"]}
    f.counts["claims_in_repeats"] = len(involved)
    if len(involved) >= 3 and claims:  # a few claims narrowing one number is ordinary practice; a padded set is not
        f.components["repeated_claims"] = min(1.0, 0.6 * (len(involved) / len(claims)) / repeat_share)
    if f.stacked:
        f.components["stacked_alternatives"] = min(1.0, 0.6 + 0.1 * (len(f.stacked) - 1))
    if f.degraded:
        # "without", "manually" are common in real claims: supporting evidence only, never a flag on its own
        f.components["degraded_alternatives"] = min(degraded_cap, 0.1 * len(f.degraded))
    return f


def as_evidence(f: ClaimFinding) -> dict[str, Any]:
    return {
        "counts": f.counts,
        "components": {k: round(v, 3) for k, v in f.components.items()},
        "trivial_dependent_claims": f.trivial[:30],
        "repeated_claims": f.repeats[:30],
        "stacked_alternatives": f.stacked[:10],
        "degraded_alternatives": f.degraded[:10],
    }
