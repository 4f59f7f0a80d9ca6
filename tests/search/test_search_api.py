"""GET /search and /api/search: the CLI's JSON, role filtering by token, errors with positions."""

from __future__ import annotations

import datetime as dt
import inspect

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from ipoffice.core import tables as t
from ipoffice.core.roles import PERMISSIONS, Role
from ipoffice.ingest.runner import import_path
from ipoffice.search.index import build_index, update_index
from ipoffice.service.api import create_app
from ipoffice.service.api_search import router
from ipoffice.service.auth import create_token

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN_OLD = "patents/cn/cnipa-xml-old-cn-patent-document"


def _client(store) -> TestClient:
    app = create_app(store)
    app.include_router(router)
    return TestClient(app)


def _indexed(store, shared_data):
    import_path(store, shared_data / SLICE)
    import_path(store, shared_data / CN_OLD)
    build_index(store)


def test_search_json_on_both_paths(store, shared_data):
    _indexed(store, shared_data)
    client = _client(store)
    for path in ("/search", "/api/search"):
        r = client.get(path, params={"q": "ti:edging", "top": 5})
        assert r.status_code == 200, r.text
        body = r.json()
        first = body["results"][0]
        assert first["number"] == "08087209" and first["title"] == "Edging rail for a flooring"
        assert {"score", "country", "kind", "publication_date", "highlights"} <= set(first)
        assert body["total"] == len(body["results"]) >= 1 and body["role"] == "public"
    r = client.get("/api/search", params={"q": "ti:香料 OR ab:(甘草 W/3 发酵)"})
    assert r.status_code == 200 and [x["number"] for x in r.json()["results"]] == ["104223352"]
    # a malformed query is a 400 that says what and where
    r = client.get("/search", params={"q": "ti:(edging"})
    assert r.status_code == 400
    assert r.json()["position"] == 3 and "unbalanced parenthesis at position 3" in r.json()["error"]
    r = client.get("/search", params={"q": "xx:a"})
    assert r.status_code == 400 and "unknown field prefix 'xx:' at 0" in r.json()["error"]
    assert client.get("/search", params={"q": "   "}).status_code == 400
    assert client.get("/search", params={"q": "a", "top": 0}).status_code == 422
    r = client.get("/search", params={"q": "edging " * 1800})  # 12.6 KB (URLs hold no more): trimmed, no crash
    assert r.status_code == 200 and r.json()["warnings"]


def test_missing_index_is_503(store):
    r = _client(store).get("/search", params={"q": "edging"})
    assert r.status_code == 503 and "ipoffice index build" in r.json()["error"]


def test_public_never_sees_an_unpublished_application(store, shared_data):
    _indexed(store, shared_data)
    later = dt.date.today() + dt.timedelta(days=60)
    with store.session() as s:
        doc = s.scalars(select(t.PatentDocument).where(t.PatentDocument.number == "104223352")).one()
        s.execute(
            update(t.PatentDocument)
            .where(t.PatentDocument.id == doc.id)
            .values(publication_date=later, content_hash="0" * 64, updated_at=t.utcnow())
        )
        examiner = create_token(s, "examiner@office", Role.EXAMINER, None)
        s.commit()
    update_index(store)
    client = _client(store)
    q = {"q": "香料 OR 甘草 OR 发酵"}
    public = client.get("/search", params=q).json()
    assert public["total"] == 0 and public["results"] == []  # not even a count
    office = client.get("/search", params=q, headers={"Authorization": f"Bearer {examiner}"}).json()
    assert office["role"] == "examiner" and [x["number"] for x in office["results"]] == ["104223352"]


def test_published_flag_rules_visibility(store, shared_data):
    """As `core.roles.is_published`: a crawled publication without a date is public; an explicit
    unpublished never is, whatever its date."""
    _indexed(store, shared_data)
    with store.session() as s:
        doc = s.scalars(select(t.PatentDocument).where(t.PatentDocument.number == "104223352")).one()
        s.execute(
            update(t.PatentDocument)
            .where(t.PatentDocument.id == doc.id)
            .values(published_flag=False, content_hash="1" * 64, updated_at=t.utcnow())
        )
        s.commit()
    update_index(store)
    client = _client(store)
    q = {"q": "香料 OR 甘草 OR 发酵"}
    assert client.get("/search", params=q).json()["total"] == 0
    with store.session() as s:
        s.execute(
            update(t.PatentDocument)
            .where(t.PatentDocument.number == "104223352")
            .values(published_flag=True, publication_date=None, content_hash="2" * 64, updated_at=t.utcnow())
        )
        s.commit()
    update_index(store)
    assert [x["number"] for x in client.get("/search", params=q).json()["results"]] == ["104223352"]


def test_routes_name_the_search_action():
    assert "search" in PERMISSIONS
    for route in router.routes:
        assert route.endpoint.__ipoffice_action__ == "search"
        assert 'check("search", actor)' in inspect.getsource(route.endpoint)
