"""The examiner's side of the integrity desk: the review queue, decisions (audited), explanations and reports.

`explain` spells a flag out: the rule in force on the filing date (instrument, article, item, titles, dates),
the evidence with the documents it names looked up, and the review history. `report` counts flags and
confirmed flags per applicant, agency or region beside the base rate (what the credit-supervision desk reads).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ipoffice.core import audit
from ipoffice.core import tables as t
from ipoffice.core.numbers import normalize_number
from ipoffice.core.roles import Actor, check
from ipoffice.integrity import permissions as _permissions  # noqa: F401 - registers the integrity checks
from ipoffice.integrity.rules import IntegrityRules, default_rules
from ipoffice.integrity.scan import flag_json, row_to_flag

STATUSES = ("open", "confirmed", "dismissed")
DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed"}
REPORT_BY = ("applicant", "agency", "region")
APPLICANT_ROLES = ("applicant", "assignee", "owner")
AGENCY_ROLES = ("agency", "agent", "representative")


class IntegrityInputError(ValueError):
    """Bad input to a desk function (unknown flag, decision, status...); the message names it."""


def queue(
    session: Session,
    actor: Actor,
    behaviour: str | None = None,
    status: str | None = "open",
    kind: str | None = None,
    number: str | None = None,
    limit: int = 200,
    offset: int = 0,
    rules: IntegrityRules | None = None,
) -> dict[str, Any]:
    """Flags to review, highest score first."""
    check("integrity_list", actor)
    rules = rules or default_rules()
    if status and status not in STATUSES:
        raise IntegrityInputError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    q = select(t.IntegrityFlag)
    if behaviour:
        q = q.where(t.IntegrityFlag.behaviour == behaviour)
    if status:
        q = q.where(t.IntegrityFlag.status == status)
    if kind:
        q = q.where(t.IntegrityFlag.kind == kind)
    if number:
        q = q.where(t.IntegrityFlag.number == number)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(
        q.order_by(t.IntegrityFlag.score.desc(), t.IntegrityFlag.id).limit(limit).offset(offset)
    ).all()
    return {
        "total": total,
        "filters": {"behaviour": behaviour, "status": status, "kind": kind},
        "results": [flag_json(rules, row_to_flag(r), r) for r in rows],
    }


def get_flag(session: Session, flag_id: int) -> t.IntegrityFlag:
    row = session.get(t.IntegrityFlag, flag_id)
    if row is None:
        raise IntegrityInputError(f"no integrity flag {flag_id}")
    return row


def review(session: Session, actor: Actor, flag_id: int, decision: str, note: str) -> dict[str, Any]:
    """An examiner confirms or dismisses a flag, with a note; audited; the flag's status follows the decision."""
    check("integrity_review", actor)
    if decision not in DECISIONS:
        raise IntegrityInputError(f"unknown decision {decision!r}; confirm or dismiss")
    if not note or not note.strip():
        raise IntegrityInputError("a note is required: say why the flag is confirmed or dismissed")
    row = get_flag(session, flag_id)
    before = row.status
    row.status = DECISIONS[decision]
    row.updated_at = t.utcnow()
    rev = t.IntegrityReview(flag_id=row.id, decision=decision, note=note.strip(), actor=actor.name)
    session.add(rev)
    audit.record(
        session,
        actor,
        "integrity_review",
        "integrity_flag",
        str(row.id),
        number=row.number,
        behaviour=row.behaviour,
        decision=decision,
        status_before=before,
        status_after=row.status,
        note=note.strip(),
    )
    session.flush()
    return {"id": row.id, "number": row.number, "behaviour": row.behaviour, "status": row.status, "note": rev.note}


def _reviews(session: Session, flag_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(t.IntegrityReview).where(t.IntegrityReview.flag_id == flag_id).order_by(t.IntegrityReview.id)
    )
    return [{"decision": r.decision, "note": r.note, "actor": r.actor, "at": r.at.isoformat()} for r in rows]


def _record_exists(session: Session, number: str) -> bool:
    norm = normalize_number(number)
    pat = session.scalar(
        select(func.count())
        .select_from(t.PatentDocument)
        .where(
            or_(
                t.PatentDocument.number == number,
                t.PatentDocument.number_norm == norm,
                t.PatentDocument.application_number == number,
            )
        )
    )
    tm = session.scalar(select(func.count()).select_from(t.Trademark).where(t.Trademark.number == number))
    return bool(pat or tm)


def _doc_summary(session: Session, number: str) -> dict[str, Any] | None:
    d = session.scalar(select(t.PatentDocument).where(t.PatentDocument.number == number).limit(1))
    if d is not None:
        return {
            "record": "patent",
            "number": d.number,
            "country": d.country,
            "title": d.title,
            "application_date": d.application_date.isoformat() if d.application_date else None,
            "publication_date": d.publication_date.isoformat() if d.publication_date else None,
            "applicants": [p["name"] for p in (d.data or {}).get("parties", []) if p.get("role") in APPLICANT_ROLES],
        }
    tm = session.scalar(select(t.Trademark).where(t.Trademark.number == number).limit(1))
    if tm is not None:
        return {
            "record": "trademark",
            "number": tm.number,
            "mark": tm.mark,
            "filing_date": tm.filing_date.isoformat() if tm.filing_date else None,
            "status": tm.status,
            "applicants": [p["name"] for p in (tm.data or {}).get("parties", []) if p.get("role") in APPLICANT_ROLES],
        }
    return None


def _numbers_in(evidence: Any, own: str) -> list[str]:
    """Every document number the evidence names (under keys `number`/`numbers`/`documents`), own excluded."""
    found: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "number" and isinstance(v, str):
                    found.append(v)
                elif k == "numbers" and isinstance(v, list):
                    found.extend(str(n) for n in v)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(evidence)
    return [n for n in dict.fromkeys(found) if n != own]


def explain(session: Session, actor: Actor, number: str, rules: IntegrityRules | None = None) -> dict[str, Any]:
    """Every flag on a filing with its rule, evidence (documents looked up) and review history."""
    check("integrity_show", actor)
    rules = rules or default_rules()
    rows = session.scalars(
        select(t.IntegrityFlag).where(t.IntegrityFlag.number == number).order_by(t.IntegrityFlag.behaviour)
    ).all()
    if not rows and not _record_exists(session, number):
        raise IntegrityInputError(f"no filing and no flag with number {number!r}")
    results = []
    for r in rows:
        f = row_to_flag(r)
        b = rules.in_force(r.behaviour, r.filing_date)
        related = _numbers_in(r.evidence, r.number)
        results.append(
            {
                **flag_json(rules, f, r),
                "rule": rules.rule_json(b) if b else None,
                "rule_ref": rules.ref(b) if b else None,
                "documents": [s for n in related[:50] if (s := _doc_summary(session, n))],
                "reviews": _reviews(session, r.id),
                "created_at": r.created_at.isoformat(),
                "updated_at": r.updated_at.isoformat(),
                "scan_id": r.scan_id,
            }
        )
    return {"number": number, "filing": _doc_summary(session, number), "results": results}


# ---------------------------------------------------------------- reports

CN_PROVINCES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 "
    "云南 陕西 甘肃 青海 台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门"
).split()
_US_STATE = re.compile(r",\s*([A-Z]{2})\b")


def region_of(party: dict[str, Any]) -> str:
    """A party's region: the Chinese province named in its address, else its country (US state where printed)."""
    addr = party.get("address") or ""
    for p in CN_PROVINCES:
        if p in addr:
            return f"CN-{p}"
    country = (party.get("country") or "").upper()
    if country == "US":
        m = _US_STATE.search(addr)
        if m:
            return f"US-{m.group(1)}"
    return country or "unknown"


def _parties(data: dict[str, Any], by: str) -> list[str]:
    parties = data.get("parties") or []
    if by == "applicant":
        return sorted({p["name"] for p in parties if p.get("role") in APPLICANT_ROLES and p.get("name")})
    if by == "agency":
        return sorted({p["name"] for p in parties if p.get("role") in AGENCY_ROLES and p.get("name")})
    regions = {region_of(p) for p in parties if p.get("role") in APPLICANT_ROLES}
    return sorted(regions)


def report(
    session: Session, actor: Actor, by: str, kind: str = "patent", min_filings: int = 1, limit: int = 500
) -> dict[str, Any]:
    """Per applicant / agency / region: filings, filings flagged, flags, confirmed and dismissed, beside the base
    rate (the share of all filings flagged), so a party far above it stands out."""
    check("integrity_report", actor)
    if by not in REPORT_BY:
        raise IntegrityInputError(f"unknown report grouping {by!r}; one of {', '.join(REPORT_BY)}")
    flags_by_number: dict[str, list[t.IntegrityFlag]] = defaultdict(list)
    for r in session.scalars(select(t.IntegrityFlag).where(t.IntegrityFlag.kind.in_((kind, "agency")))):
        flags_by_number[r.number].append(r)
    table = t.PatentDocument if kind == "patent" else t.Trademark
    filings: dict[str, int] = defaultdict(int)
    flagged: dict[str, int] = defaultdict(int)
    nflags: dict[str, int] = defaultdict(int)
    confirmed: dict[str, int] = defaultdict(int)
    dismissed: dict[str, int] = defaultdict(int)
    behaviours: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    total = total_flagged = 0
    for number, data in session.execute(select(table.number, table.data).execution_options(yield_per=1000)):
        total += 1
        fl = flags_by_number.get(number, [])
        live = [f for f in fl if f.status != "dismissed"]
        total_flagged += bool(live)
        for key in _parties(data or {}, by) or ["(none named)"]:
            filings[key] += 1
            flagged[key] += bool(live)
            for f in fl:
                nflags[key] += 1
                confirmed[key] += f.status == "confirmed"
                dismissed[key] += f.status == "dismissed"
                behaviours[key][f.behaviour] += 1
    base = total_flagged / total if total else 0.0
    rows = []
    for key, n in filings.items():
        if n < min_filings:
            continue
        rate = flagged[key] / n
        rows.append(
            {
                by: key,
                "filings": n,
                "flagged_filings": flagged[key],
                "flags": nflags[key],
                "confirmed": confirmed[key],
                "dismissed": dismissed[key],
                "rate": round(rate, 4),
                "base_rate": round(base, 4),
                "ratio_to_base": round(rate / base, 2) if base else None,
                "behaviours": dict(sorted(behaviours[key].items())),
            }
        )
    rows.sort(key=lambda r: (-r["flags"], -r["filings"], str(r[by])))
    return {
        "by": by,
        "kind": kind,
        "filings": total,
        "flagged_filings": total_flagged,
        "base_rate": round(base, 4),
        "as_of": dt.date.today().isoformat(),
        "results": rows[:limit],
    }
