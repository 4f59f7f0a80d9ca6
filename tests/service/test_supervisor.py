"""Supervisor dashboard and the workflow API: office roles only, figures from real case histories."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from ipoffice.core.roles import Actor, Role
from ipoffice.service.api import create_app
from ipoffice.service.auth import create_token
from ipoffice.workflow import cases as C

EX = Actor("examiner-1", Role.EXAMINER)
STEPS = [
    ("start-formalities", "2021-03-10"),
    ("pass-formalities", "2021-06-01"),
    ("request-examination", "2021-06-15"),
    ("publish", "2022-09-01"),
    ("start-substantive-examination", "2022-10-10"),
    ("office-action", "2022-12-01"),
]


@pytest.fixture
def client(store):
    with store.session() as s:
        for i in range(3):
            case = C.open_case(s, EX, "invention", dt.date(2021, 3, 1 + i), title=f"装置{i}", ipc_main="G06F 3/14")
            for event, day in STEPS[: 3 + i]:
                C.apply_event(s, EX, case, event, dt.date.fromisoformat(day))
        C.open_case(s, EX, "utility", dt.date(2022, 5, 9), title="实用新型", ipc_main="A01B 1/00")
        admin = create_token(s, "chief", Role.ADMINISTRATOR)
        applicant = create_token(s, "someone", Role.APPLICANT)
        s.commit()
    c = TestClient(create_app(store))
    c.admin = {"Authorization": f"Bearer {admin}"}
    c.applicant = {"Authorization": f"Bearer {applicant}"}
    return c


def test_dashboard_for_supervisors_only(client):
    r = client.get("/supervisor", headers=client.admin)
    assert r.status_code == 200
    assert 'id="open-cases">4<' in r.text and "<svg" in r.text
    assert client.get("/supervisor").status_code == 401
    assert client.get("/supervisor", headers=client.applicant).status_code == 401


def test_workflow_api(client):
    fig = client.get("/api/workflow/pendency", params={"by": "right"}, headers=client.admin).json()
    assert {r["right"] for r in fig["results"]} == {"invention", "utility"}
    assert fig["total"]["backlog"]["open"] == 4
    svg = client.get("/api/workflow/pendency", params={"chart": True}, headers=client.admin)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert client.get("/api/workflow/pendency").status_code == 403
    plan = client.post("/api/workflow/allocate", params={"dry_run": True}, headers=client.admin).json()
    assert plan["dry_run"] is True
    assert client.post("/api/workflow/allocate", headers=client.applicant).status_code == 403
    assert client.get("/api/workflow/quality", headers=client.admin).status_code == 200
    assert client.get("/api/workflow/tracks", headers=client.admin).status_code == 200


def test_portal_apply_event_and_reassign(client, store):
    from sqlalchemy import select

    from ipoffice.core import tables as t

    with store.session() as s:
        s.add_all(
            [
                t.Examiner(
                    code="E-G06",
                    name="张审查",
                    division="电学发明审查部",
                    rights=["invention"],
                    ipc_prefixes=["G06F"],
                    languages=["zh"],
                    capacity_per_week=10,
                ),
                t.Examiner(
                    code="E-A01",
                    name="李审查",
                    division="农业发明审查部",
                    rights=["invention"],
                    ipc_prefixes=["A01B"],
                    languages=["zh"],
                    capacity_per_week=10,
                ),
            ]
        )
        case = s.scalars(select(t.Case).where(t.Case.right == "invention").order_by(t.Case.id)).first()
        case_no, version = case.case_no, case.row_version
        s.commit()
    page = client.get(f"/cases/{case_no}", headers=client.admin)
    assert 'id="apply-event"' in page.text and 'id="reassign"' in page.text
    # an illegal step is refused with the reason, nothing changes
    r = client.post(
        f"/cases/{case_no}/events",
        headers=client.admin,
        follow_redirects=False,
        data={"event": "register-grant", "date": "2021-07-01", "row_version": version},
    )
    assert r.status_code == 409 and 'id="error"' in r.text
    r = client.post(
        f"/cases/{case_no}/events",
        headers=client.admin,
        follow_redirects=False,
        data={"event": "publish", "date": "2022-09-01", "row_version": version},
    )
    assert r.status_code == 303
    # a stale form (old row_version) is refused
    r = client.post(
        f"/cases/{case_no}/events",
        headers=client.admin,
        follow_redirects=False,
        data={"event": "publish", "date": "2022-09-01", "row_version": version},
    )
    assert r.status_code == 409
    # reassign: an examiner outside the case's field is refused, one in it is accepted
    r = client.post(
        f"/cases/{case_no}/reassign",
        headers=client.admin,
        follow_redirects=False,
        data={"examiner_code": "E-A01", "reason": "workload"},
    )
    assert r.status_code == 409
    r = client.post(
        f"/cases/{case_no}/reassign",
        headers=client.admin,
        follow_redirects=False,
        data={"examiner_code": "E-G06", "reason": "workload"},
    )
    assert r.status_code == 303
    with store.session() as s:
        assert s.scalars(select(t.Case).where(t.Case.case_no == case_no)).one().examiner_id is not None
    assert (
        client.post(
            f"/cases/{case_no}/reassign",
            headers=client.applicant,
            follow_redirects=False,
            data={"examiner_code": "E-G06", "reason": "x"},
        ).status_code
        == 404
    )
