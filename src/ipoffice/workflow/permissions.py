"""Permission checks of the case desk (CKAN style: one check per action, same name as the action).

Who may see a case: office staff, and the applicant or agent the case belongs to (the actor's
party is the case's applicant or agency). The public sees no case at all, not even a count:
cases include unpublished applications. Who may move a case is decided per event by the
procedure (`roles` of each transition), so one `case_transition` check serves every event.
"""

from __future__ import annotations

from typing import Any

from ipoffice.core import tables as t
from ipoffice.core.roles import Actor, Role, permission


def owns_case(actor: Actor, case: t.Case) -> bool:
    """The applicant or agency of the case acts through this actor."""
    return (
        actor.role in (Role.APPLICANT, Role.AGENT)
        and actor.party_id is not None
        and actor.party_id in (case.applicant_party_id, case.agency_party_id)
    )


@permission("case_list")
def case_list(actor: Actor, _obj: Any) -> bool:
    return actor.is_office or actor.role in (Role.APPLICANT, Role.AGENT)  # rows filtered to their own


@permission("case_show")
def case_show(actor: Actor, case: t.Case | None) -> bool:
    if actor.is_office:
        return True
    return case is not None and owns_case(actor, case)


@permission("case_open")
def case_open(actor: Actor, _obj: Any) -> bool:
    return actor.is_office


@permission("case_transition")
def case_transition(actor: Actor, obj: Any) -> bool:
    """obj: (case, transition). The procedure names the roles; a party acts only on its own case."""
    case, transition = obj
    if str(actor.role) not in transition.roles:
        return False
    if actor.role in (Role.APPLICANT, Role.AGENT):
        return owns_case(actor, case)
    return actor.role != Role.PUBLIC


@permission("case_event_apply")
def case_event_apply(actor: Actor, _case: Any) -> bool:
    """The API's event endpoint is the office's desk; applicants file through the portal's forms."""
    return actor.is_office


@permission("case_sweep")
def case_sweep(actor: Actor, _obj: Any) -> bool:
    return actor.is_office


@permission("case_action_decide")
def case_action_decide(actor: Actor, _obj: Any) -> bool:
    """Confirming a legal consequence (e.g. deemed withdrawal) is staff work."""
    return actor.is_office


@permission("case_track_show")
def case_track_show(actor: Actor, case: t.Case | None) -> bool:
    return case_show(actor, case)


@permission("case_track_assign")
def case_track_assign(actor: Actor, _obj: Any) -> bool:
    return actor.is_office


@permission("case_track_report")
def case_track_report(actor: Actor, _obj: Any) -> bool:
    return actor.is_office


@permission("case_notice_show")
def case_notice_show(actor: Actor, case: t.Case | None) -> bool:
    return case_show(actor, case)
