"""Bad-faith trademark signals (SAMR Order No. 17 Art. 8; Trademark Law Arts. 4, 13, 15, 19(4), 32, 44).

Each signal reads the register once (``tm_corpus.TmCorpus``, shared by the signals of one scan through
``ctx.options``), scores each filing in [0, 1] with the thresholds of the behaviour version in force on the
filing's date (``rules/data/integrity/trademark.yaml``) and returns flags at or above that version's ``flag``
threshold, with evidence that names the marks, numbers and figures. Gaps (no applicant, no date, no goods) are
named in the evidence, never silently passed.

Codes: T1 hoarding (8(1)), T2 industry fit (8(2)), T3 earlier findings (8(3)), T4 others' marks with reputation
(8(4) / Art. 32), T5 famous names and trade names (8(5) / Art. 32), T6 well-known marks (Art. 13), T7 agency
outside its services (Art. 19(4)), T8 agent or representative squatting (Art. 15).

Cost at 1M marks: hoarding, industry, findings and agency are linear in the register after the SQL passes;
reputation and names compute each mark's candidate keys (``trademarks.keys``, about 1 ms a mark) against a
reference index of a few thousand entries, so about 20 minutes on one core - split by number range across
workers (or keep the keys in an indexed ``trademark_keys(key, trademark_id)`` table, as the conflict search
would); agent squatting compares only the filings of parties that are both agents and applicants.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from rapidfuzz.distance import OSA

from ipoffice.core.names import normalize_name
from ipoffice.integrity.flags import Flag
from ipoffice.integrity.signals import ScanContext, signal
from ipoffice.integrity.tm_corpus import BAD_FAITH, TRANSFER_EVENTS, Filing, TmCorpus
from ipoffice.integrity.tm_industry import ALWAYS, industry_of
from ipoffice.integrity.tm_reference import (
    LOOKALIKE,
    RefIndex,
    RefMark,
    companies_index,
    distinctiveness,
    marks_index,
    safe_keys,
)
from ipoffice.trademarks.normalize import fold, normalize
from ipoffice.trademarks.rules import RulesError
from ipoffice.trademarks.similarity import compare

AGENCY_SERVICE_CLASS = 45
_AGENCY_WORDS = (
    "商标代理",
    "知识产权代理",
    "知识产权服务",
    "商标事务所",
    "专利商标",
    "trade mark attorney",
    "trademark attorney",
    "patent attorney",
    "trade marks attorney",
    "intellectual property agency",
)
MAX_LISTED = 20  # numbers listed in one flag's evidence
NAME_CORE_MAX_GROUPS = 3  # a name core shared by more owner groups than this is a common word, not a relation


# ------------------------------------------------------------------------------------------ shared


def corpus(ctx: ScanContext) -> TmCorpus:
    """The register as read for this scan (built once, kept in ctx.options for the other signals)."""
    c = ctx.options.get("_tm_corpus")
    if c is None:
        b = ctx.rules.in_force("T1", None)
        max_addr = int(b.thresholds.get("max_address_parties", 5)) if b else 5
        c = TmCorpus(ctx.engine, max_address_parties=max_addr)
        ctx.options["_tm_corpus"] = c
    return c


def _th(ctx: ScanContext, code: str, day: dt.date | None) -> dict[str, float] | None:
    b = ctx.rules.in_force(code, day)
    return dict(b.thresholds) if b else None


def _wanted(ctx: ScanContext, f: Filing) -> bool:
    return ctx.since is None or f.filing_date is None or f.filing_date >= ctx.since


def _gaps(f: Filing) -> list[str]:
    g = []
    if not f.applicants:
        g.append("no applicant on the register")
    if f.filing_date is None:
        g.append("no filing date: judged by the newest rule version")
    if not f.classes:
        g.append("no goods or classes on the register")
    if not f.mark:
        g.append("no mark text (figurative mark)")
    return g


def _emit(ctx: ScanContext, code: str, f: Filing, score: float, ev: dict[str, Any], name: str) -> Flag | None:
    th = _th(ctx, code, f.filing_date)
    if th is None or score < th.get("flag", 0.5):
        return None
    ev = {"mark": f.mark, "filing_date": f.filing_date.isoformat() if f.filing_date else None, **ev}
    gaps = _gaps(f)
    if gaps:
        ev["gaps"] = gaps
    return ctx.flag(code, f.number, f.filing_date, round(min(score, 1.0), 4), ev, signal=name)


def _best(flags: list[Flag]) -> Iterator[Flag]:
    """One flag per behaviour for one filing: the highest score, the other matches named beside it."""
    by: dict[str, list[Flag]] = defaultdict(list)
    for fl in flags:
        by[fl.behaviour].append(fl)
    for fls in by.values():
        fls.sort(key=lambda x: -x.score)
        top = fls[0]
        if len(fls) > 1:
            top.evidence["other_matches"] = [
                {"score": x.score, **{k: x.evidence[k] for k in ("earlier_mark", "company") if k in x.evidence}}
                for x in fls[1:MAX_LISTED]
            ]
        yield top


def _applicant_names(c: TmCorpus, f: Filing) -> list[str]:
    return [c.parties[p].name for p in f.applicants]


def _industry(c: TmCorpus, pids: list[int]) -> tuple[frozenset[int] | None, dict[str, Any]]:
    """The classes of the applicants' industry from their names or a listed company of the same name."""
    comps = {normalize_name(r.fullname): r for r in companies_index().refs if r.fullname}
    for pid in pids:
        p = c.parties[pid]
        listed = comps.get(p.norm)
        if listed is not None and listed.classes:
            return listed.classes, {"from": "listed company", "industry": listed.industry, "party": p.name}
        ind = industry_of(p.name)
        if ind is not None:
            return ind.classes, {
                "from": "applicant name",
                "industry": list(ind.names),
                "words": list(ind.words),
                "party": p.name,
            }
    return None, {}


# ------------------------------------------------------------------------------------------ T1


@signal("tm_hoarding", kind="trademark")
def tm_hoarding(ctx: ScanContext) -> Iterator[Flag]:
    """T1: many marks by one applicant and its related parties, across classes far from a business of its kind,
    or traded. Score = w_volume * min(1, n / (volume_factor * base)) + w_spread * min(1, off / spread) +
    w_traded * min(1, traded / traded_min), where base = max(min_marks, the volume_pct percentile of marks per
    applicant group on the register), spread = max(class_spread, that percentile of classes per group), and
    off = the classes outside the applicant's industry (from its name; else the classes holding at least
    core_share of its own marks). No flag below min_marks marks."""
    c = corpus(ctx)
    for gid, pids in c.members.items():
        filings = c.group_filings(gid)
        if not any(_wanted(ctx, f) for f in filings):
            continue
        n = len(filings)
        by_class: dict[int, int] = defaultdict(int)
        for f in filings:
            for k in f.classes:
                by_class[k] += 1
        ind_classes, ind_ev = _industry(c, pids)
        th0 = _th(ctx, "T1", max((f.filing_date for f in filings if f.filing_date), default=None))
        if th0 is None or n < th0.get("min_marks", 20):
            continue
        if ind_classes is None:
            core = {k for k, v in by_class.items() if v >= th0.get("core_share", 0.2) * n}
            ind_classes = frozenset(core | set(ALWAYS))
            ind_ev = {"from": "its own filings", "core_classes": sorted(core)}
        off = sorted(k for k in by_class if k not in ind_classes)
        traded = []
        for f in filings:
            moves = [e for e in c.events.get(f.id, []) if e.type in TRANSFER_EVENTS]
            for e in moves:
                traded.append(
                    {
                        "number": f.number,
                        "event": e.type,
                        "date": e.date.isoformat() if e.date else None,
                        **({"details": e.details} if e.details else {}),
                    }
                )
            if f.assignees and not moves:
                traded.append(
                    {
                        "number": f.number,
                        "event": "assignee on the register",
                        "to": [c.parties[a].name for a in f.assignees],
                    }
                )
        n_traded = len({x["number"] for x in traded})
        base_marks = max(th0.get("min_marks", 20), c.percentile("marks", th0.get("volume_pct", 95)))
        spread = max(th0.get("class_spread", 10), c.percentile("classes", th0.get("volume_pct", 95)))
        for f in filings:
            if not _wanted(ctx, f):
                continue
            th = _th(ctx, "T1", f.filing_date)
            if th is None:
                continue
            v = min(1.0, n / (th.get("volume_factor", 2) * base_marks))
            s = min(1.0, len(off) / spread)
            tr = min(1.0, n_traded / max(1.0, th.get("traded_min", 5)))
            score = th.get("w_volume", 0.5) * v + th.get("w_spread", 0.5) * s + th.get("w_traded", 0.3) * tr
            others = sorted(x.number for x in filings if x.id != f.id)
            ev = {
                "applicant": _applicant_names(c, f),
                "related_parties": [lk for p in pids for lk in c.links.get(p, [])][:MAX_LISTED],
                "marks_filed": n,
                "classes_covered": len(by_class),
                "classes": sorted(by_class),
                "industry": ind_ev,
                "classes_outside_industry": off,
                "marks_traded": n_traded,
                "traded": traded[:MAX_LISTED],
                "base_rate": {
                    "applicant_groups": int(len(c.group_marks)),
                    f"p{int(th.get('volume_pct', 95))}_marks_per_applicant": round(
                        c.percentile("marks", th.get("volume_pct", 95)), 1
                    ),
                    f"p{int(th.get('volume_pct', 95))}_classes_per_applicant": round(
                        c.percentile("classes", th.get("volume_pct", 95)), 1
                    ),
                    "volume_baseline": base_marks,
                    "spread_baseline": spread,
                },
                "figures": {"volume": round(v, 3), "spread": round(s, 3), "traded": round(tr, 3)},
                "other_numbers": others[:MAX_LISTED],
            }
            fl = _emit(ctx, "T1", f, score, ev, "tm_hoarding")
            if fl:
                yield fl


# ------------------------------------------------------------------------------------------ T2


@signal("tm_industry_fit", kind="trademark")
def tm_industry_fit(ctx: ScanContext) -> Iterator[Flag]:
    """T2: a filing whose classes all lie outside the applicant's stated industry (its name or its listing),
    weighed by how much of the applicant's filing is like it: score = 0.5 * share of this filing's classes
    outside + 0.5 * min(1, off-industry filings of the group / min_off_filings) * min(1, their share of the
    group's filings / group_off_share) - a business that files some merchandise classes beside its trade is
    not one that files mostly outside it. Applicants whose industry
    cannot be read are not judged here (their own filings would only describe themselves)."""
    c = corpus(ctx)
    for gid, pids in c.members.items():
        filings = c.group_filings(gid)
        ind_classes, ind_ev = _industry(c, pids)
        if ind_classes is None:
            continue
        off_filings = [f for f in filings if f.classes and not (f.classes & ind_classes)]
        for f in off_filings:
            if not _wanted(ctx, f):
                continue
            th = _th(ctx, "T2", f.filing_date)
            if th is None:
                continue
            share = len(f.classes - ind_classes) / len(f.classes)
            group_share = len(off_filings) / len(filings)
            score = 0.5 * share + 0.5 * min(1.0, len(off_filings) / th.get("min_off_filings", 10)) * min(
                1.0, group_share / th.get("group_off_share", 0.5)
            )
            ev = {
                "applicant": _applicant_names(c, f),
                "industry": ind_ev,
                "industry_classes": sorted(ind_classes),
                "filing_classes": sorted(f.classes),
                "off_industry_filings": len(off_filings),
                "applicant_filings": len(filings),
                "other_off_industry": sorted(x.number for x in off_filings if x.id != f.id)[:MAX_LISTED],
            }
            fl = _emit(ctx, "T2", f, score, ev, "tm_industry_fit")
            if fl:
                yield fl


# ------------------------------------------------------------------------------------------ T3


@signal("tm_earlier_findings", kind="trademark")
def tm_earlier_findings(ctx: ScanContext) -> Iterator[Flag]:
    """T3: the applicant (or a related party) was found before this filing to have filed in bad faith or to have
    infringed: an earlier mark of theirs refused, invalidated or cancelled with a bad-faith ground in the event
    (恶意 / not intended for use / Art. 4, 13, 15, 32, 44 / infringement), or a finding recorded on the party.
    Score = first_finding + each_more per further finding; a bare invalidated/cancelled status without a
    ground counts status_only each."""
    c = corpus(ctx)
    for gid, pids in c.members.items():
        filings = c.group_filings(gid)
        findings = []  # (date or None, filing, what, strong): one per mark, its strongest event
        for g in filings:
            best = None
            for e in c.events.get(g.id, []):
                if e.type in TRANSFER_EVENTS:
                    continue
                strong = bool(BAD_FAITH.search(e.text()))
                if (strong or e.type in ("invalidated", "cancelled")) and (best is None or (strong and not best[3])):
                    what = {
                        "number": g.number,
                        "mark": g.mark,
                        "event": e.type,
                        "date": e.date.isoformat() if e.date else None,
                        "details": e.details,
                    }
                    best = (e.date or g.filing_date, g, what, strong)
            if best is not None:
                findings.append(best)
        for pid in pids:
            for e in c.party_events.get(pid, []):
                strong = bool(BAD_FAITH.search(e.text()))
                if strong:
                    findings.append(
                        (
                            e.date,
                            None,
                            {
                                "party": c.parties[pid].name,
                                "event": e.type,
                                "date": e.date.isoformat() if e.date else None,
                                "details": e.details,
                            },
                            True,
                        )
                    )
        if not findings:
            continue
        for f in filings:
            if not _wanted(ctx, f):
                continue
            th = _th(ctx, "T3", f.filing_date)
            if th is None:
                continue
            earlier = [
                (d, ev, strong)
                for d, g, ev, strong in findings
                if (g is None or g.id != f.id) and (f.filing_date is None or d is None or d < f.filing_date)
            ]
            n_strong = sum(1 for _d, _e, s in earlier if s)
            n_weak = len(earlier) - n_strong
            if n_strong:
                score = th.get("first_finding", 0.8) + th.get("each_more", 0.1) * (n_strong - 1)
            else:
                score = th.get("status_only", 0.35) * n_weak
            ev = {
                "applicant": _applicant_names(c, f),
                "earlier_findings": [e for _d, e, _s in earlier][:MAX_LISTED],
                "bad_faith_findings": n_strong,
                "other_adverse_statuses": n_weak,
            }
            fl = _emit(ctx, "T3", f, score, ev, "tm_earlier_findings")
            if fl:
                yield fl


# ------------------------------------------------------------------------------------------ T4 / T6


def _compare(a: str, b: str, day: dt.date | None) -> Any:
    """``similarity.compare`` under the guideline in force on the filing date, or - for filings older than the
    earliest guideline version in ``tm_similarity.yaml`` - under the earliest one (raises ValueError for a mark
    with nothing to compare)."""
    try:
        return compare(a, b, on=day)
    except RulesError:
        return compare(a, b, on=max(day or dt.date.min, _first_guideline_day()))


@lru_cache(maxsize=1)
def _first_guideline_day() -> dt.date:
    from ipoffice.trademarks.rules import load_rules

    rs = load_rules()
    days = [r.effective_from for r in getattr(rs, "rules", []) if getattr(r, "effective_from", None)]
    return min(days) if days else dt.date.today()


def _is_common_word(name: str) -> bool:
    return any(k.startswith("m:c:") for k in safe_keys(name))


def _short_latin(name: str, limit: float) -> bool:
    m = normalize(name)
    return not m.han and len(m.alnum) <= limit


def _register_reputed(c: TmCorpus, th: dict[str, float]) -> tuple[RefMark, ...]:
    """Marks with reputation on the register: one owner's mark registered in >= rep_classes classes, or
    registered >= rep_min_regs times with the first registration rep_years before today's newest filing."""
    by_key: dict[tuple[str, int], list[Filing]] = defaultdict(list)
    for f in c.filings.values():
        if f.mark and f.applicants and (f.status == "registered" or f.registration_date):
            by_key[(fold(f.mark), c.group_of.get(f.applicants[0], f.applicants[0]))].append(f)
    newest = max((f.filing_date for f in c.filings.values() if f.filing_date), default=dt.date.today())
    out = []
    for (_k, gid), fs in by_key.items():
        classes = set().union(*(f.classes for f in fs))
        first = min(
            (f.registration_date or f.filing_date for f in fs if f.registration_date or f.filing_date), default=None
        )
        years = (newest - first).days / 365.25 if first else 0.0
        if len(classes) >= th.get("rep_classes", 5) or (
            len(fs) >= th.get("rep_min_regs", 2) and years >= th.get("rep_years", 10)
        ):
            owners = [c.parties[p] for p in c.members.get(gid, [])]
            out.append(
                RefMark(
                    name=fs[0].mark or "",
                    names=(fs[0].mark or "",),
                    owner=tuple(p.norm for p in owners),
                    classes=frozenset(classes),
                    tier="reputed",
                    source="register: "
                    + ", ".join(sorted(f.number for f in fs)[:10])
                    + f" ({len(fs)} registrations, {len(classes)} classes, since {first})",
                )
            )
    return tuple(out)


def _ref_json(r: RefMark, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "names": list(r.names),
        "tier": r.tier,
        "classes": sorted(r.classes),
        "source": r.source,
        **({"industry": r.industry} if r.industry else {}),
        **({"owner": r.fullname} if r.fullname else {}),
    }


def _owned(c: TmCorpus, f: Filing, r: RefMark) -> bool:
    return any(r.owned_by(c.parties[p].norm) for p in f.applicants)


def _matches(f: Filing, idx: RefIndex, th: dict[str, float]) -> Iterator[tuple[RefMark, str, Any]]:
    """(reference entry, its name compared, MarkSimilarity) for each entry the filing's mark is similar to."""
    if not f.mark:
        return
    ks = safe_keys(f.mark)
    if not ks:
        return
    best: dict[int, tuple[RefMark, str, Any]] = {}
    for r, name in idx.candidates(f.mark, ks):
        try:
            if _short_latin(name, th.get("short_latin", 3)):
                continue  # ABC, HP, QQ: letters anyone may combine; not compared (said in the docstring)
            sim = _compare(f.mark, name, f.filing_date)
        except ValueError:
            continue
        if sim.similar and sim.score >= th.get("min_similarity", 0.78):
            if id(r) not in best or sim.score > best[id(r)][2].score:
                best[id(r)] = (r, name, sim)
    yield from best.values()


# Where each factor of the famous-mark copying score comes from (cited in every flag's evidence; the weights are
# the T4/T6 thresholds of rules/data/integrity/trademark.yaml, dated with the behaviour versions).
FACTOR_SOURCES = {
    "distinctiveness": "商标审查审理指南 (2021) 下编第五章 3.2.1 在先商标的显著性; 5.1.9 (letters changed: length, "
    "meaning and position of the difference weigh)",
    "closeness": "Trademark Law Art. 13 (复制、摹仿或者翻译); 商标审查审理指南 下编第五章 4.1 (identical), 5.1.6 "
    "(translation), 5.1.9 (letters changed), 5.1.12-5.1.14 (plus descriptive words), 5.1.16 (contains a reputed mark)",
    "goods": "Trademark Law Art. 13(2) (same or similar goods, unregistered well-known mark), Art. 13(3) (different "
    "goods, registered well-known mark, misleading the public), Art. 32 (mark with some influence: similar goods)",
    "reputation": "Trademark Law Art. 13 (well-known: the shipped famous list) vs Art. 32 (some influence: Apple's "
    "list, marks with many or long registrations here; copying needs 不正当手段, so alone it weighs reputed_tier)",
    "applicant_pattern": "SAMR Order No. 17 Art. 8(1), 8(2), 8(4); 商标审查审理指南 下编第二章 5(2) (copying several "
    "others' reputed marks), 下编第五章 3.2.4 (the applicant's intent)",
}
_WORDS = re.compile(r"[^\W_]+")
_DESCRIPTIVE_RULE = re.compile(r"5\.1\.1[234]$")  # 5.1.12-5.1.14: reputed mark + descriptive / place / weak words


def _own_word(mark: str, short_letters: int) -> bool:
    """The filed variant is a word of its own (a dictionary word or a short string): NICO beside Nicon, AIKA
    beside AIKO - more likely an independent choice than a copy (guideline 下编第五章 5.1.9: meaning weighs)."""
    return distinctiveness(mark, short_letters).level != "invented"


def _closeness(mark: str, name: str, sim: Any, th: dict[str, float]) -> tuple[str, float, str]:
    """How close a copy is (factor c): (kind, value in [0, 1], what was seen). A translation counts when the
    filed mark is the brand's listed name in the other script (identical to that name); a meaning match that
    ``compare`` finds on its own is only ``similar``."""
    fm, fn = fold(mark), fold(name)
    if fm == fn or sim.identical:
        return "identical", th.get("close_identical", 1.0), f"the same as {name!r} after folding case and spacing"
    lm, ln = fm.translate(LOOKALIKE), fn.translate(LOOKALIKE)
    if lm == ln:
        return "look-alike characters", th.get("close_lookalike", 0.95), f"{name!r} written with look-alike digits"
    descriptive = ln in lm and any(_DESCRIPTIVE_RULE.search(x.code) for x in sim.reasons)
    if descriptive:  # 5.1.12-5.1.14 (肯德基坊, STARBUCKS GROUP): the name plus weak, descriptive or place words
        return "name plus descriptive words", th.get("close_descriptive", 0.9), f"{name!r} plus weak words"
    # 5.1.9: letters changed, added, dropped or adjacent letters swapped (one change each: OSA distance), within
    # the name's words (a letter added across a word boundary, bol.com / BOCOM, is not this case)
    d = OSA.distance(lm, ln)
    if d <= 2 and len(_WORDS.findall(mark)) == len(_WORDS.findall(name)):
        v = max(0.0, 1.0 - th.get("edit_weight", 1.0) * d / max(1, len(ln)))
        why = f"{d} of {len(ln)} characters changed"
        if _own_word(mark, int(th.get("short_letters", 4))):
            v *= th.get("own_word", 0.7)
            why += "; the variant is a word or short string of its own"
        return "letters changed", v, why
    if ln in lm:  # 5.1.16: the name inside a longer mark
        return "name inside a longer mark", th.get("close_contained", 0.7), f"contains {name!r}"
    return "similar", sim.score * th.get("close_other", 0.7), f"similar by {sim.rule or 'the guideline'}"


def _name_factor(kind: str, level: str, th: dict[str, float]) -> float:
    """Distinctiveness (factor d): an invented name is protected against every kind of copy; a dictionary word
    (METRO, 小米) or a short name (ERGO) only against identical, look-alike and name-plus-weak-word copies
    (小米专卖店, APPLE STORE: the famous name presented as the brand's outlet) - not against a letter changed
    or the name inside a longer word (guideline 下编第五章 3.2.1)."""
    if level == "invented" or kind in ("identical", "look-alike characters"):
        return 1.0
    if kind == "name plus descriptive words":  # 5.1.12-5.1.13: the famous name + a shop or goods word (小米专卖店)
        return 1.0
    return th.get("weak_name", 0.6)


def _goods(f: Filing, r: RefMark, close: float, level: str, th: dict[str, float]) -> tuple[str, float]:
    """Goods relatedness (factor g): the filing's classes against the reputed mark's own classes."""
    own = r.classes - set(ALWAYS) if len(r.classes) > 1 else r.classes
    if not f.classes:
        return "no goods on the register", th.get("goods_unknown", 0.8)
    if f.classes & own:
        return "same or similar goods", th.get("goods_same", 1.0)
    if f.classes <= set(ALWAYS) and r.classes & set(ALWAYS):
        return "retail / advertising only", th.get("goods_retail", 0.85)
    if level != "dictionary" and close >= th.get("cross_class_close", 0.85):
        return "different goods, a close copy of a distinctive mark", th.get("cross_class", 0.9)
    return "different goods", th.get("cross_class_weak", 0.5)


def _famous_th(ctx: ScanContext, f: Filing) -> tuple[dict[str, float] | None, dict[str, float] | None]:
    return _th(ctx, "T4", f.filing_date), _th(ctx, "T6", f.filing_date)


@signal("tm_reputation", kind="trademark")
def tm_reputation(ctx: ScanContext) -> Iterator[Flag]:
    """T4 and T6: the mark copies another's mark with reputation - the shipped famous-mark lists and marks with
    many registrations or long registration on this register - and the applicant is not its owner. A bare
    similarity is not enough: the score weighs what the law weighs, each factor in the evidence with its source
    (``FACTOR_SOURCES``, weights in the rules file):

    - c, closeness of the copy: identical (also to the brand's listed name in the other script: a translation),
      look-alike digits, name plus descriptive words, a name inside a longer mark, or letters changed
      (1 - edit_weight * changes / length: one letter of STARBUCKS is closer than one of NICON; own_word when
      the variant is itself a word or a short string); ``trademarks.similarity.compare`` must call them similar;
    - d, distinctiveness of the reputed name (``tm_reference.distinctiveness``, ``_name_factor``): weak_name for
      a dictionary word (METRO) or a short name (ERGO) with letters changed or inside a longer mark;
    - g, goods: the filing's classes against the reputed mark's own (its list category and industry): same,
      retail only, unknown, or different - Art. 13(3) reaches different goods only for a well-known mark
      (T6) that is not a dictionary word, copied closely (c >= cross_class_close: cross_class), else
      cross_class_weak; T4 (Art. 32) needs same / retail / unknown goods;
    - p, the applicant's pattern: other reputed marks copied by the applicant group (w_copies, saturating at
      pattern_copies), filing outside the industry its name states (w_misfit), hoarding (w_hoard);

    - r, reputation: 1 for the famous (well-known candidate) list, reputed_tier for marks of some influence
      (Art. 32 wants improper means, so the copy alone weighs less);

    score = min(1, c * d * g * r + pattern_weight * p), times unknown_applicant where the register names none.
    Reference names of at most ``short_latin`` Latin letters (ABC, HP, QQ) are not compared."""
    c = corpus(ctx)
    th_reg = _th(ctx, "T4", None) or {}
    reg_idx = RefIndex(_register_reputed(c, th_reg))
    famous = marks_index()
    # 1. every filing's candidate copies (all filings: the pattern factor reads the applicant's other marks)
    found_by: dict[int, list[tuple[RefMark, str, Any, dict[str, Any], float]]] = defaultdict(list)
    for f in c.filings.values():
        if not f.mark:
            continue
        th4, th6 = _famous_th(ctx, f)
        th = th4 or th6
        if th is None:
            continue
        seen: set[int] = set()
        for idx in (famous, reg_idx):
            for r, name, sim in _matches(f, idx, th):
                if _owned(c, f, r) or id(r) in seen:
                    continue
                seen.add(id(r))
                kind, cv, cwhy = _closeness(f.mark, name, sim, th)
                dist = distinctiveness(name, int(th.get("short_letters", 4)))
                dv = _name_factor(kind, dist.level, th)
                gkind, gv = _goods(f, r, cv, dist.level, th)
                tv = 1.0 if r.tier == "famous" else th.get("reputed_tier", 0.8)
                fac = {
                    "closeness": {"kind": kind, "value": round(cv, 3), "seen": cwhy},
                    "distinctiveness": {**dist.to_dict(), "value": dv},
                    "goods": {"kind": gkind, "value": gv},
                    "reputation": {"tier": r.tier, "value": tv},
                }
                found_by[f.id].append((r, name, sim, fac, cv * dv * gv * tv))
    # 2. the applicant group's copies of distinct reputed marks
    group_copies: dict[int, dict[int, str]] = defaultdict(dict)  # group -> id(ref) -> number of one copy
    for fid, ms in found_by.items():
        f = c.filings[fid]
        if not f.applicants:
            continue
        g = c.group_of.get(f.applicants[0], f.applicants[0])
        for r, _n, _s, _fac, base in ms:
            if base >= th_reg.get("pattern_min", 0.6):
                group_copies[g].setdefault(id(r), f.number)
    industry_cache: dict[int, tuple[frozenset[int] | None, dict[str, Any]]] = {}
    # 3. score and emit
    for fid, ms in found_by.items():
        f = c.filings[fid]
        if not _wanted(ctx, f):
            continue
        th4, th6 = _famous_th(ctx, f)
        th = th4 or th6 or {}
        gid = c.group_of.get(f.applicants[0], f.applicants[0]) if f.applicants else None
        if gid is not None and gid not in industry_cache:
            industry_cache[gid] = _industry(c, c.members.get(gid, [f.applicants[0]]))
        ind_classes, ind_ev = industry_cache.get(gid, (None, {})) if gid is not None else (None, {})
        n_group = len(c.group_filings(gid)) if gid is not None else 1
        found: list[Flag] = []
        for r, name, sim, fac, base in ms:
            others = {k: v for k, v in group_copies.get(gid, {}).items() if k != id(r) and v != f.number}
            misfit = bool(ind_classes is not None and f.classes and not (f.classes & ind_classes))
            hoard = n_group >= (_th(ctx, "T1", f.filing_date) or {}).get("min_marks", 20)
            p_copies = min(1.0, len(others) / max(1.0, th.get("pattern_copies", 2)))
            p = min(
                1.0,
                th.get("w_copies", 0.7) * p_copies + th.get("w_misfit", 0.2) * misfit + th.get("w_hoard", 0.1) * hoard,
            )
            unknown = 1.0 if f.applicants else th.get("unknown_applicant", 0.6)
            score = min(1.0, base + th.get("pattern_weight", 0.2) * p) * unknown
            fac = {
                **fac,
                "applicant_pattern": {
                    "value": round(p, 3),
                    "other_reputed_marks_copied": sorted(others.values())[:MAX_LISTED],
                    "outside_own_industry": misfit,
                    **({"industry": ind_ev} if ind_ev else {}),
                    "applicant_marks": n_group,
                    "hoarding": hoard,
                },
            }
            for k, src in FACTOR_SOURCES.items():
                fac[k]["source"] = src
            overlap = sorted(f.classes & r.classes)
            ev = {
                "applicant": _applicant_names(c, f),
                "earlier_mark": _ref_json(r, name),
                "similarity": sim.score,
                "identical": sim.identical,
                "reasons": [x.to_dict() for x in sim.reasons[:4]],
                "filing_classes": sorted(f.classes),
                "shared_classes": overlap,
                "factors": fac,
                "score_formula": "min(1, closeness * distinctiveness * goods * reputation"
                + " + pattern_weight * applicant_pattern)"
                + (" * unknown_applicant" if not f.applicants else ""),
            }
            related = not fac["goods"]["kind"].startswith("different")
            if th4 is not None and related:
                fl = _emit(ctx, "T4", f, score, ev, "tm_reputation")
                if fl:
                    found.append(fl)
            if th6 is not None and r.tier == "famous":
                fl = _emit(ctx, "T6", f, score, {**ev, "across_classes": not related}, "tm_reputation")
                if fl:
                    found.append(fl)
        yield from _best(found)


# ------------------------------------------------------------------------------------------ T5


@signal("tm_famous_names", kind="trademark")
def tm_famous_names(ctx: ScanContext) -> Iterator[Flag]:
    """T5: the mark is identical or similar to a listed company's short name (企业名称简称 / 字号) and the applicant
    is not that company: score = similarity, times other_goods when the company's industry classes and the
    filing's classes do not meet, common_word for a dictionary word, unknown_applicant when the register names
    no applicant. (No list of famous people's names is in ../shared/data; the signal reads companies only.)"""
    c = corpus(ctx)
    idx = companies_index()
    for f in c.filings.values():
        if not _wanted(ctx, f) or not f.mark:
            continue
        th = _th(ctx, "T5", f.filing_date)
        if th is None:
            continue
        found: list[Flag] = []
        for r, name, sim in _matches(f, idx, {**th, "short_latin": 3}):
            if _owned(c, f, r):
                continue
            overlap = sorted(f.classes & r.classes)
            score = sim.score
            score *= 1.0 if (overlap or not r.classes) else th.get("other_goods", 0.9)
            score *= th.get("common_word", 0.8) if _is_common_word(name) else 1.0
            score *= 1.0 if f.applicants else th.get("unknown_applicant", 0.6)
            ev = {
                "applicant": _applicant_names(c, f),
                "company": {
                    "short_name": r.name,
                    "fullname": r.fullname,
                    "industry": r.industry,
                    "classes": sorted(r.classes),
                    "source": r.source,
                },
                "similarity": sim.score,
                "identical": sim.identical,
                "reasons": [x.to_dict() for x in sim.reasons[:4]],
                "filing_classes": sorted(f.classes),
                "shared_classes": overlap,
            }
            fl = _emit(ctx, "T5", f, score, ev, "tm_famous_names")
            if fl:
                found.append(fl)
        yield from _best(found)


# ------------------------------------------------------------------------------------------ T7


def _agencies(c: TmCorpus, min_agent_marks: float) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for pid, fids in c.by_agent.items():
        if len(fids) >= min_agent_marks:
            out[pid] = {"agent_on": len(fids), "agent_for": sorted(c.filings[x].number for x in fids)[:MAX_LISTED]}
    for pid in c.by_applicant:
        p = c.parties[pid]
        if pid not in out and (p.kind == "agency" or any(w in p.name.lower() for w in _AGENCY_WORDS)):
            out[pid] = {"agent_on": 0, "by_name": p.name, "kind": p.kind}
    return out


@signal("tm_agency_scope", kind="trademark")
def tm_agency_scope(ctx: ScanContext) -> Iterator[Flag]:
    """T7: the applicant is itself a trademark agency - it acts as agent on the register (agent_on), or its
    name or party kind says so (name_only) - and the filing covers classes other than 45 (legal services, where
    its agency services lie). Score = agent_on or name_only."""
    c = corpus(ctx)
    th0 = _th(ctx, "T7", None) or {}
    ag = _agencies(c, th0.get("min_agent_marks", 1))
    for pid, info in ag.items():
        for fid in c.by_applicant.get(pid, []):
            f = c.filings[fid]
            if not _wanted(ctx, f) or not f.classes:
                continue
            outside = sorted(k for k in f.classes if k != AGENCY_SERVICE_CLASS)
            if not outside:
                continue
            th = _th(ctx, "T7", f.filing_date)
            if th is None:
                continue
            score = th.get("agent_on", 0.9) if info.get("agent_on") else th.get("name_only", 0.8)
            ev = {
                "applicant": c.parties[pid].name,
                "agency": info,
                "filing_classes": sorted(f.classes),
                "classes_outside_agency_services": outside,
            }
            fl = _emit(ctx, "T7", f, score, ev, "tm_agency_scope")
            if fl:
                yield fl


# ------------------------------------------------------------------------------------------ T8


_GENERIC_NAME_WORDS = {
    "china",
    "new",
    "zealand",
    "group",
    "international",
    "global",
    "holdings",
    "the",
    "world",
    "trading",
    "asia",
    "pacific",
    "australia",
    "united",
    "general",
    "national",
    "american",
}


def _name_core(norm: str) -> str:
    """A name's distinctive first part: the first Latin word (>= 4 letters, not generic) or 字号 (2 characters
    after a leading place name), for relating a representative to its principal."""
    import re

    if re.search(r"[\u4e00-\u9fff]", norm):
        s = re.sub(r"^.{2,3}?(省|市|自治区)", "", norm)
        s = re.sub(r"^.{1,3}?(市|区|县)", "", s)
        return s[:2] if len(s) >= 2 else ""
    for w in norm.split():
        if len(w) >= 4 and w not in _GENERIC_NAME_WORDS:
            return w
    return ""


def _owns_listed_mark(c: TmCorpus, f: Filing) -> bool:
    """The filing is the applicant's own famous brand (ZARA by the listed owner of ZARA): not a principal's mark
    that a representative took, whatever a namesake party filed before."""
    try:
        fm = fold(f.mark or "")
    except ValueError:
        return False
    return any(fold(n) == fm and _owned(c, f, r) for r, n in marks_index().candidates(f.mark or ""))


@signal("tm_agent_squatting", kind="trademark")
def tm_agent_squatting(ctx: ScanContext) -> Iterator[Flag]:
    """T8: the applicant was the agent (on the register) of another's identical or similar earlier mark, or its
    name relates to that mark's owner (a representative, distributor or affiliate named after it), and files
    the mark in its own name. Score = similarity x agent_same_mark (agent on that very mark) / agent_other_mark
    (agent for that owner on other marks) / name_relation (names share their distinctive core)."""
    c = corpus(ctx)
    # principals of each agent: owner group -> the filings the party handled as agent
    principal_marks: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
    for aid, fids in c.by_agent.items():
        for fid in fids:
            for p in c.filings[fid].applicants:
                principal_marks[aid][c.group_of.get(p, p)].add(fid)
    by_core: dict[str, set[int]] = defaultdict(set)  # name core -> owner groups
    for pid, g in c.group_of.items():
        core = _name_core(c.parties[pid].norm)
        if core:
            by_core[core].add(g)
    for pid, fids in c.by_applicant.items():
        own_group = c.group_of.get(pid, pid)
        relations: dict[int, str] = {}
        for g in principal_marks.get(pid, {}):
            if g != own_group:
                relations[g] = "agent"
        core = _name_core(c.parties[pid].norm)
        related = by_core.get(core, set()) if core else set()
        for g in related if len(related) <= NAME_CORE_MAX_GROUPS else ():  # a core many share relates nobody
            if g != own_group and g not in relations:
                relations[g] = "name"
        if not relations:
            continue
        for fid in fids:
            f = c.filings[fid]
            if not _wanted(ctx, f) or not f.mark or _owns_listed_mark(c, f):
                continue
            th = _th(ctx, "T8", f.filing_date)
            if th is None:
                continue
            best: tuple[float, dict[str, Any]] | None = None
            for g, how in relations.items():
                for e in c.group_filings(g):
                    if not e.mark or e.id == f.id:
                        continue
                    if f.filing_date and e.filing_date and e.filing_date >= f.filing_date:
                        continue
                    try:
                        sim = _compare(f.mark, e.mark, f.filing_date)
                    except ValueError:
                        continue
                    if not sim.similar or sim.score < th.get("min_similarity", 0.78):
                        continue
                    if how == "agent":
                        same = e.id in principal_marks[pid][g]
                        factor = th.get("agent_same_mark", 1.0) if same else th.get("agent_other_mark", 0.95)
                        relation = "agent on this mark" if same else "agent for this owner on other marks"
                    else:
                        factor, relation = th.get("name_relation", 0.85), "applicant's name relates to the owner's"
                    score = sim.score * factor
                    if best is None or score > best[0]:
                        best = (
                            score,
                            {
                                "applicant": c.parties[pid].name,
                                "principal": [c.parties[p].name for p in c.members.get(g, [])],
                                "relation": relation,
                                "agent_on": sorted(c.filings[x].number for x in principal_marks[pid].get(g, set()))[
                                    :MAX_LISTED
                                ],
                                "earlier_mark": {
                                    "number": e.number,
                                    "mark": e.mark,
                                    "filing_date": e.filing_date.isoformat() if e.filing_date else None,
                                    "classes": sorted(e.classes),
                                    "status": e.status,
                                },
                                "similarity": sim.score,
                                "identical": sim.identical,
                                "reasons": [x.to_dict() for x in sim.reasons[:4]],
                            },
                        )
            if best is not None:
                fl = _emit(ctx, "T8", f, best[0], best[1], "tm_agent_squatting")
                if fl:
                    yield fl
