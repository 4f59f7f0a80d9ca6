"""The case API: worklist and visibility per role, the case page, applying events (201/403/409/422)."""

from __future__ import annotations

import datetime as dt
import inspect

import pytest
from fastapi.testclient import TestClient

from ipoffice.core import tables as t
from ipoffice.core.roles import PERMISSIONS, Actor, Role
from ipoffice.service.api import create_app
from ipoffice.service.api_cases import router
from ipoffice.service.auth import create_token
from ipoffice.workflow import cases as C

D = dt.date
EX = Actor("examiner-1", Role.EXAMINER)


@pytest.fixture
def world(store, monkeypatch):
    monkeypatch.setattr(C, "_calculator", lambda: None)
    with store.session() as s:
        mine = t.Party(party_key="organization|甲|cn", norm_name="甲", name="甲科技有限公司")
        theirs = t.Party(party_key="organization|乙|cn", norm_name="乙", name="乙科技有限公司")
        s.add_all([mine, theirs])
        s.flush()
        examiner = t.Examiner(code="examiner-1", name="王审查", division="电学发明审查部")
        s.add(examiner)
        s.flush()
        a = C.open_case(s, EX, "invention", D(2023, 3, 1), applicant_party_id=mine.id, title="甲的发明")
        b = C.open_case(s, EX, "invention", D(2023, 4, 3), applicant_party_id=theirs.id, title="乙的发明")
        a.examiner_id = examiner.id
        # a time limit due soon on case b, for the "what is due" list
        s.add(
            t.CaseDeadline(
                case_id=b.id,
                kind="office-action",
                party="applicant",
                trigger_event="office-action",
                trigger_date=dt.date.today() - dt.timedelta(days=100),
                deadline=dt.date.today() + dt.timedelta(days=10),
                legal_basis="专利法(2020) 第三十七条",
                consequence="deemed-withdrawn",
            )
        )
        tokens = {
            "examiner": create_token(s, "examiner-1", Role.EXAMINER),
            "admin": create_token(s, "admin", Role.ADMINISTRATOR),
            "mine": create_token(s, "甲@portal", Role.APPLICANT, mine.id),
            "agent-theirs": create_token(s, "agent@乙", Role.AGENT, theirs.id),
            "applicant-nobody": create_token(s, "nobody", Role.APPLICANT, None),
        }
        s.commit()
        nos = (a.case_no, b.case_no)
    app = create_app(store)
    app.include_router(router)
    client = TestClient(app)
    return client, tokens, nos


def _h(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def test_every_case_route_names_a_registered_action_and_checks_it():
    import ipoffice.workflow.permissions  # noqa: F401 - registers the checks

    for route in router.routes:
        name = getattr(route.endpoint, "__ipoffice_action__", None)
        assert name in PERMISSIONS, route.path
        assert f'check("{name}"' in inspect.getsource(route.endpoint), route.path


def test_worklist_and_case_page_visibility_by_role(world):
    client, tok, (a, b) = world
    r = client.get("/api/cases", headers=_h(tok["examiner"]))
    assert r.status_code == 200 and r.json()["total"] == 2
    r = client.get("/api/cases", params={"mine": True}, headers=_h(tok["examiner"]))
    assert [c["case_no"] for c in r.json()["results"]] == [a]
    r = client.get("/api/cases", params={"due_within": 30}, headers=_h(tok["examiner"]))
    [due] = r.json()["results"]
    assert due["case_no"] == b and due["next_deadline"]["days_left"] == 10
    r = client.get("/api/cases", headers=_h(tok["mine"]))
    assert [c["case_no"] for c in r.json()["results"]] == [a]
    r = client.get("/api/cases", headers=_h(tok["agent-theirs"]))
    assert [c["case_no"] for c in r.json()["results"]] == [b]
    assert client.get("/api/cases", headers=_h(tok["applicant-nobody"])).json()["total"] == 0
    r = client.get("/api/cases")  # the public: nothing, not even a count
    assert r.status_code == 403 and "total" not in r.json()

    # the case page: same visibility, and a case one may not see does not exist
    r = client.get(f"/api/cases/{a}", headers=_h(tok["examiner"]))
    body = r.json()
    assert r.status_code == 200 and body["case_no"] == a and body["applicant"]["name"] == "甲科技有限公司"
    assert body["events"][0]["event"] == "file" and body["state"] == "filed"
    assert {n["event"] for n in body["next_events"]} >= {"start-formalities", "request-examination"}
    assert client.get(f"/api/cases/{a}", headers=_h(tok["mine"])).status_code == 200
    assert client.get(f"/api/cases/{a}", headers=_h(tok["agent-theirs"])).status_code == 404
    assert client.get(f"/api/cases/{a}").status_code == 404
    assert client.get("/api/cases/NO-SUCH", headers=_h(tok["examiner"])).status_code == 404


def test_applying_events(world):
    client, tok, (a, _b) = world
    url = f"/api/cases/{a}/events"
    r = client.post(url, json={"event": "start-formalities", "date": "2023-03-10"}, headers=_h(tok["examiner"]))
    assert r.status_code == 201, r.text
    assert r.json()["case"]["state"] == "formalities" and r.json()["case"]["row_version"] == 2
    assert r.json()["event"]["legal_basis"] == "专利法(2020) 第三十四条；专利法实施细则(2010) 第四十四条第一款"
    r = client.post(url, json={"event": "grant-notice", "date": "2023-03-11"}, headers=_h(tok["examiner"]))
    assert r.status_code == 409
    err = r.json()
    assert err["case"] == a and err["state"] == "formalities" and err["event"] == "grant-notice"
    assert "pass-formalities" in err["allowed"] and "not allowed in state 'formalities'" in err["error"]
    r = client.post(
        url,
        json={"event": "formalities-notice", "date": "2023-03-12", "note": "说明书附图缺页"},
        headers=_h(tok["examiner"]),
    )
    assert r.status_code == 201 and "说明书附图缺页" in r.json()["event"]["details"]["notice"]["text"]
    r = client.post(
        url, json={"event": "respond", "date": "2023-03-20", "expected_version": 2}, headers=_h(tok["admin"])
    )
    assert r.status_code == 409 and "changed since it was read" in r.json()["error"]
    r = client.post(url, json={"event": "respond", "date": "2023-03-01"}, headers=_h(tok["admin"]))
    assert r.status_code == 422 and "before the last event" in r.json()["error"]
    # applicants file through the portal's forms, not this office endpoint; the public not at all
    assert client.post(url, json={"event": "respond", "date": "2023-03-20"}, headers=_h(tok["mine"])).status_code == 403
    assert client.post(url, json={"event": "respond", "date": "2023-03-20"}).status_code == 403
    r = client.post(
        url, json={"event": "respond", "date": "2023-03-20", "expected_version": 3}, headers=_h(tok["admin"])
    )
    assert r.status_code == 201 and r.json()["case"]["state"] == "formalities"
    page = client.get(f"/api/cases/{a}", headers=_h(tok["examiner"])).json()
    assert [e["event"] for e in page["events"]] == ["file", "start-formalities", "formalities-notice", "respond"]
