"""Notices to the applicant, in Chinese, filled from the case, its event and the law it rests on.

Why templates: the wording of an office action, a grant notice, a refusal decision and a
deemed-withdrawn notice is the office's, and changes without code changes (Jinja2 files in
`workflow/templates`). What fills them comes from the records: the case (number, title,
parties, dates), the event (date, legal basis as recorded) and the time limits the event
started (their dates after deemed receipt and the holiday rule, and their own basis). The
engine stores the rendered notice in the CaseEvent's details; the portal reads it back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ipoffice.core import tables as t

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_OF = {
    "office-action": "office_action.j2",
    "grant-notice": "grant_notice.j2",
    "refusal": "refusal.j2",
    "deemed-withdrawn": "deemed_withdrawn.j2",
}
RIGHT_LABEL = {
    "invention": "发明专利申请",
    "utility": "实用新型专利申请",
    "design": "外观设计专利申请",
    "trademark": "商标注册申请",
}
#: what the applicant failed to do, by the kind (or trigger) of the missed time limit
MISSED_ACT = {
    "exam-request": "提出实质审查请求",
    "office-action": "答复审查意见通知书（陈述意见或者补正）",
    "grant-notice": "办理登记手续",
}
OFFICE = "国家知识产权局"
_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1..99 in Chinese numerals (第一次, 第十二次 审查意见通知书)."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


@dataclass
class Notice:
    kind: str
    template: str
    title: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cn_date(d: dt.date | str | None) -> str:
    if d is None:
        return "（未记载）"
    if isinstance(d, str):
        d = dt.date.fromisoformat(d)
    return f"{d.year}年{d.month}月{d.day}日"


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=False,  # plain text notices, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["cn_date"] = cn_date
    return env


def render_notice(
    session: Session,
    case: t.Case,
    ev: t.CaseEvent,
    kind: str,
    started: list[t.CaseDeadline] | None = None,
) -> Notice:
    """Render notice `kind` for event `ev` of `case`; `started`: the time limits the event started."""
    if kind not in TEMPLATE_OF:
        raise ValueError(f"unknown notice {kind!r}; one of {', '.join(TEMPLATE_OF)}")
    ctx = _context(session, case, ev, started or [])
    text = _env().get_template(TEMPLATE_OF[kind]).render(**ctx)
    title = text.strip().splitlines()[1].strip() if len(text.strip().splitlines()) > 1 else kind
    return Notice(kind=kind, template=TEMPLATE_OF[kind], title=title, text=text.strip() + "\n")


def notice_for_event(session: Session, case: t.Case, event_id: int) -> Notice | None:
    """The notice stored with an event (what the portal shows), or None."""
    ev = session.get(t.CaseEvent, event_id)
    if ev is None or ev.case_id != case.id:
        return None
    stored = (ev.details or {}).get("notice")
    return Notice(**stored) if stored else None


def _party(session: Session, party_id: int | None) -> str | None:
    if party_id is None:
        return None
    p = session.get(t.Party, party_id)
    return p.name if p else None


def _context(session: Session, case: t.Case, ev: t.CaseEvent, started: list[t.CaseDeadline]) -> dict[str, Any]:
    from ipoffice.workflow.cases import procedure_of, zh_basis  # the engine imports this module

    version = procedure_of(case)
    details = ev.details or {}
    restore = next((tr for tr in version.transitions if tr.event == "restore"), None)
    lapsed = details.get("lapsed_time_limit")
    if lapsed is None and ev.from_state == "office-action":
        lapsed = "office-action"
    if lapsed and lapsed not in MISSED_ACT:
        dl = session.get(t.CaseDeadline, details.get("deadline_id")) if details.get("deadline_id") else None
        lapsed = dl.trigger_event if dl is not None and dl.trigger_event in MISSED_ACT else lapsed
    ordinal = session.scalar(
        select(func.count(t.CaseEvent.id)).where(
            t.CaseEvent.case_id == case.id, t.CaseEvent.event == ev.event, t.CaseEvent.id <= ev.id
        )
    )
    return {
        "office": OFFICE,
        "ordinal": cn_number(ordinal or 1),
        "case_no": case.case_no,
        "right": case.right,
        "right_label": RIGHT_LABEL.get(case.right, case.right),
        "is_trademark": case.right == "trademark",
        "title": case.title,
        "applicant": _party(session, case.applicant_party_id),
        "agency": _party(session, case.agency_party_id),
        "filing_date": cn_date(case.filing_date),
        "date": cn_date(ev.date),
        "event": ev.event,
        "from_state": ev.from_state,
        "legal_basis": zh_basis(ev.legal_basis),
        "note": details.get("note"),
        "deadlines": [
            {
                "kind": d.kind,
                "deadline": cn_date(d.extended_to or d.deadline),
                "legal_basis": zh_basis(d.legal_basis),
                "consequence": d.consequence,
                "past": (d.extended_to or d.deadline) < ev.date,  # e.g. an outer limit already run out
            }
            for d in started
        ],
        "missed_act": MISSED_ACT.get(lapsed or "", "办理相应手续"),
        "restore_basis": restore.basis_text if restore else None,
        "procedure": version.key,
    }
