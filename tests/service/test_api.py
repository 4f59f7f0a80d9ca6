"""API: read endpoints, OpenAPI, roles (the public never sees an unpublished application)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from ipoffice.core.model import PartyRef, PatentRecord
from ipoffice.core.roles import Role
from ipoffice.core.store import PartyResolver, upsert_patents
from ipoffice.ingest.runner import import_path
from ipoffice.service.api import create_app
from ipoffice.service.auth import create_token

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
SECRET = PatentRecord(
    number="202610000001",
    country="CN",
    kind="A",
    stage="application",
    application_date=dt.date(2026, 1, 5),
    titles={"zh": "未公开的发明"},
    parties=[PartyRef(name="某某科技有限公司", role="applicant", kind="organization")],
)


@pytest.fixture
def client(store, shared_data):
    import_path(store, shared_data / SLICE)
    with store.session() as s:
        upsert_patents(s, [(SECRET, "test")], PartyResolver())
        examiner = create_token(s, "examiner@office", Role.EXAMINER)
        s.commit()
    c = TestClient(create_app(store))
    c.examiner = {"Authorization": f"Bearer {examiner}"}
    return c


def test_openapi_served(client):
    spec = client.get("/openapi.json").json()
    assert "/api/patents/{number}" in spec["paths"]


def test_patent_by_number(client):
    r = client.get("/api/patents/US8087209B2")
    assert r.status_code == 200
    assert r.json()["number"] == "08087209"
    assert client.get("/api/patents/NOPE").status_code == 404


def test_public_never_sees_unpublished(client):
    assert client.get("/api/patents/202610000001").status_code == 404
    public = client.get("/api/patents", params={"country": "CN"}).json()
    assert public["total"] == 0 and public["results"] == []
    assert client.get("/api/stats").json()["patents_by_country"].get("CN") is None
    assert client.get("/api/patents/202610000001", headers=client.examiner).status_code == 200
    assert client.get("/api/stats", headers=client.examiner).json()["patents_by_country"]["CN"] == 1
    parties = client.get("/api/parties", params={"name": "某某科技"}).json()["results"]
    assert parties  # the party exists, but its unpublished filing is not listed to the public
    detail = client.get(f"/api/parties/{parties[0]['id']}").json()
    assert detail["patents"] == []


def test_bad_token_is_public(client):
    assert client.get("/api/patents/202610000001", headers={"Authorization": "Bearer nope"}).status_code == 404


def test_lists_and_parties(client):
    page = client.get("/api/patents", params={"limit": 5}).json()
    assert page["total"] >= 20 and len(page["results"]) == 5
    assert client.get("/api/patents", params={"limit": 0}).status_code == 422
    r = client.get("/api/parties", params={"limit": 3}).json()["results"]
    assert r and {"id", "name", "normalized"} <= set(r[0])


def test_portal_home(client):
    r = client.get("/")
    assert r.status_code == 200 and "ipoffice" in r.text
    assert "未公开的发明" not in r.text
