"""The integrity desk's workflow on a real store (SQLite and PostgreSQL): scan writes and updates flags, explain,
the examiner-only audited review, reports, and that the public never sees a flag in the CLI, API or portal."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import manipulate as m
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from ipoffice.core import tables as t
from ipoffice.core.roles import PUBLIC, Actor, PermissionDenied, Role
from ipoffice.core.store import PartyResolver, upsert_patents
from ipoffice.integrity import patent_signals as ps
from ipoffice.integrity import textstats
from ipoffice.integrity.review import IntegrityInputError, explain, queue, report, review
from ipoffice.integrity.scan import ScanInputError, scan
from ipoffice.service.api import create_app
from ipoffice.service.auth import create_token

D22, D24 = dt.date(2022, 5, 1), dt.date(2024, 3, 1)
EXAMINER = Actor("examiner-7", Role.EXAMINER)
ADMIN = Actor("chief", Role.ADMINISTRATOR)
CONTRACT = {"number", "behaviour", "score", "legal_basis", "evidence"}


@pytest.fixture(scope="module")
def recs(shared_data):
    return m.load_slice(shared_data)


@pytest.fixture(scope="module")
def model_file(shared_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / ps.MODEL_FILE
    textstats.save(m.small_model(shared_data), path)
    return path


def _with_model(home, model_file):
    dest = home / "models" / "integrity" / ps.MODEL_FILE
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(model_file, dest)


def _manipulated(recs):
    by = {r.number: r for r in recs}
    copy22 = m.copied(by["08087209"], "CN114000001A", D22)
    pad24 = m.padded_claims(by["08088102"], "CN117000006A", D24)
    pad24.parties = [*pad24.parties, m.PartyRef(name="Quick Patent Agency", role="agency", kind="agency")]
    return [copy22, pad24]


@pytest.fixture
def loaded(store, recs, model_file):
    """Twelve real grants (the two sources among them) and the two manipulated filings."""
    with store.session() as s:
        upsert_patents(s, [(r, "test") for r in [*recs[:12], *_manipulated(recs)]], PartyResolver())
        s.commit()
    _with_model(store.home, model_file)
    return store


def _mine(res):
    return {(f["number"], f["code"]): f for f in res["results"] if f["code"] in ("P2", "P3", "P4")}


def test_scan_writes_then_updates_flags_and_keeps_decisions(loaded):
    res = scan(loaded, kind="patent")
    assert all(CONTRACT <= set(f) for f in res["results"])
    mine = _mine(res)
    assert set(mine) == {("CN114000001A", "P2"), ("CN117000006A", "P4")}
    assert mine[("CN114000001A", "P2")]["behaviour"] == "ann411-2.2"
    assert mine[("CN117000006A", "P4")]["behaviour"] == "order77-3.4"
    # the contract: evidence is a list naming the related numbers and figures; the full evidence under details
    ev = mine[("CN114000001A", "P2")]["evidence"]
    assert isinstance(ev, list) and any(e["type"] == "document" for e in ev) and any(e["type"] == "figure" for e in ev)
    with loaded.session() as s:
        n = s.scalar(select(func.count()).select_from(t.IntegrityFlag))
        fid = mine[("CN117000006A", "P4")]["id"]
        review(s, EXAMINER, fid, "dismiss", "colours are the invention here")
        s.commit()
    again = scan(loaded, kind="patent")
    assert _mine(again)[("CN117000006A", "P4")]["id"] == fid
    with loaded.session() as s:
        assert s.scalar(select(func.count()).select_from(t.IntegrityFlag)) == n  # updated, not duplicated
        assert s.get(t.IntegrityFlag, fid).status == "dismissed"
        assert s.get(t.IntegrityFlag, fid).scan_id == again["scan_id"]
    since = scan(loaded, kind="patent", since=dt.date(2024, 1, 1))
    assert ("CN114000001A", "P2") not in _mine(since)
    with pytest.raises(ScanInputError, match="unknown kind"):
        scan(loaded, kind="copyright")


def test_a_failing_signal_is_a_warning(loaded, monkeypatch):
    from ipoffice.integrity import signals as sig

    def boom(ctx):
        raise RuntimeError("index missing")

    monkeypatch.setitem(sig.REGISTRY, "boom", sig.SignalDef("boom", "patent", boom, ""))
    res = scan(loaded, kind="patent")
    assert any("boom" in w and "index missing" in w for w in res["warnings"])
    assert ("CN114000001A", "P2") in _mine(res)


def test_explain_review_audit_and_reports(loaded):
    scan(loaded, kind="patent")
    with loaded.session() as s:
        ex = explain(s, ADMIN, "CN114000001A")
        f = next(x for x in ex["results"] if x["code"] == "P2")
        assert f["rule"]["instrument"] == "ann411" and f["rule"]["article"] == "2" and f["rule"]["item"] == "2"
        assert f["rule"]["effective_to"] == "2024-01-19" and f["rule"]["title_zh"]
        assert "08087209" in {d["number"] for d in f["documents"]}
        with pytest.raises(PermissionDenied):
            review(s, ADMIN, f["id"], "confirm", "administrators do not decide flags")
        with pytest.raises(IntegrityInputError, match="note is required"):
            review(s, EXAMINER, f["id"], "confirm", "  ")
        review(s, EXAMINER, f["id"], "confirm", "claims are 08087209's with words swapped")
        s.commit()
        ex = explain(s, EXAMINER, "CN114000001A")
        f = next(x for x in ex["results"] if x["code"] == "P2")
        assert f["status"] == "confirmed" and f["reviews"][0]["actor"] == "examiner-7"
        entry = s.scalar(select(t.AuditEntry).where(t.AuditEntry.action == "integrity_review"))
        assert entry.actor == "examiner-7" and entry.details["decision"] == "confirm"
        assert explain(s, ADMIN, "08087209")["results"] == []  # a record without flags
        with pytest.raises(IntegrityInputError, match="no filing"):
            explain(s, ADMIN, "NO-SUCH-NUMBER")
        assert queue(s, EXAMINER, status="confirmed")["total"] == 1
        by_app = {r["applicant"]: r for r in report(s, ADMIN, "applicant")["results"]}
        assert by_app["Copycat Trading Co"]["confirmed"] == 1 and by_app["Copycat Trading Co"]["rate"] == 1.0
        agency = {r["agency"]: r for r in report(s, ADMIN, "agency")["results"]}
        assert agency["Quick Patent Agency"]["flags"] >= 1
        regions = {r["region"] for r in report(s, ADMIN, "region")["results"]}
        assert "CN-广东" in regions
        for who in (PUBLIC, Actor("a", Role.APPLICANT, 1), Actor("g", Role.AGENT, 1)):
            for fn in (
                lambda a: queue(s, a),
                lambda a: explain(s, a, "CN114000001A"),
                lambda a: report(s, a, "region"),
            ):
                with pytest.raises(PermissionDenied):
                    fn(who)


def test_api_and_portal_only_for_the_office(loaded):
    scan(loaded, kind="patent")
    with loaded.session() as s:
        tok = {r: create_token(s, f"u-{r}", r, 1 if r == Role.APPLICANT else None) for r in Role}
        s.commit()
        fid = s.scalar(select(t.IntegrityFlag.id).where(t.IntegrityFlag.behaviour == "P2"))
    c = TestClient(create_app(loaded))
    h = {r: {"Authorization": f"Bearer {v}"} for r, v in tok.items()}
    for who in ({}, h[Role.PUBLIC], h[Role.APPLICANT], h[Role.AGENT]):
        for url in ("/integrity/flags", "/integrity/explain/CN114000001A", "/integrity/reports?by=region"):
            r = c.get(url, headers=who)
            assert r.status_code == 403 and "CN114000001A" not in r.text
        assert c.post("/integrity/scan", headers=who).status_code == 403
        r = c.post(f"/integrity/flags/{fid}/review", json={"decision": "confirm", "note": "x"}, headers=who)
        assert r.status_code == 403
        for url in ("/integrity", f"/integrity/flag/{fid}", "/integrity/report"):
            r = c.get(url, headers=who)
            assert r.status_code == 404 and "CN114000001A" not in r.text and "flag" not in r.text.lower()
        assert (
            c.post(f"/integrity/flag/{fid}/review", data={"decision": "confirm", "note": "x"}, headers=who).status_code
            == 404
        )
        assert 'href="/integrity"' not in c.get("/", headers=who).text
    r = c.get("/integrity/flags", headers=h[Role.EXAMINER])
    assert r.status_code == 200 and all(CONTRACT <= set(f) for f in r.json()["results"])
    assert c.get("/integrity/explain/NOPE", headers=h[Role.EXAMINER]).status_code == 404
    assert c.get("/integrity/reports?by=planet", headers=h[Role.ADMINISTRATOR]).status_code == 422
    bad = c.post(f"/integrity/flags/{fid}/review", json={"decision": "confirm", "note": ""}, headers=h[Role.EXAMINER])
    assert bad.status_code == 422
    assert (
        c.post(
            f"/integrity/flags/{fid}/review", json={"decision": "confirm", "note": "x"}, headers=h[Role.ADMINISTRATOR]
        ).status_code
        == 403
    )
    page = c.get("/integrity?behaviour=P2", headers=h[Role.EXAMINER])
    assert page.status_code == 200 and "CN114000001A" in page.text and "CN117000006A" not in page.text
    detail = c.get(f"/integrity/flag/{fid}", headers=h[Role.EXAMINER])
    assert "08087209" in detail.text and "strip" in detail.text and 'id="review"' in detail.text
    assert 'id="review"' not in c.get(f"/integrity/flag/{fid}", headers=h[Role.ADMINISTRATOR]).text
    r = c.post(
        f"/integrity/flag/{fid}/review",
        data={"decision": "confirm", "note": "copied"},
        headers=h[Role.EXAMINER],
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "confirmed" in c.get(f"/integrity/flag/{fid}", headers=h[Role.EXAMINER]).text
    assert "Copycat Trading Co" in c.get("/integrity/report?by=applicant", headers=h[Role.ADMINISTRATOR]).text


# ---------------------------------------------------------------- CLI


def _cli(*args):
    from ipoffice.service.cli import app

    return CliRunner().invoke(app, list(args))


def test_cli_contract_and_bad_input(home, shared_data, recs, model_file):
    assert _cli("init", "--no-schemes").exit_code == 0
    assert _cli("import", str(shared_data / m.SLICE)).exit_code == 0
    _with_model(home, model_file)
    r = _cli("integrity", "scan", "--kind", "patent", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert isinstance(d["results"], list) and all(CONTRACT <= set(f) for f in d["results"])
    assert _mine(d) == {}  # real grants of 2010-2012: no rule was in force on their filing dates
    from ipoffice.core.store import open_store

    store = open_store(home)
    with store.session() as s:
        upsert_patents(s, [(x, "test") for x in _manipulated(recs)], PartyResolver())
        create_token(s, "examiner-7", Role.EXAMINER)
        create_token(s, "chief", Role.ADMINISTRATOR)
        s.commit()
    store.engine.dispose()
    d = json.loads(_cli("integrity", "scan", "--kind", "patent", "--json").stdout)
    flags = _mine(d)
    assert set(flags) == {("CN114000001A", "P2"), ("CN117000006A", "P4")}
    assert all(CONTRACT <= set(f) for f in d["results"])
    fid = flags[("CN114000001A", "P2")]["id"]
    ex = json.loads(_cli("integrity", "explain", "CN114000001A", "--json").stdout)
    assert ex["results"][0]["rule"]["citation"].startswith("CNIPA Announcement No. 411")
    assert "Art. 2(2)" in _cli("integrity", "explain", "CN114000001A").stdout
    q = json.loads(_cli("integrity", "queue", "--behaviour", "P2", "--json").stdout)
    assert [f["id"] for f in q["results"]] == [fid]
    for args, needle in (
        (("integrity", "scan", "--kind", "copyright"), "unknown kind"),
        (("integrity", "scan", "--since", "2024-02-30"), "not a date"),
        (("integrity", "scan", "--engine", "hadoop"), "unknown engine"),
        (("integrity", "explain", "NO-SUCH"), "no filing"),
        (("integrity", "review", str(fid), "confirm", "--as", "examiner-7"), "--note is required"),
        (("integrity", "review", str(fid), "confirm", "--note", "x", "--as", "nobody"), "unknown user"),
        (("integrity", "review", str(fid), "confirm", "--note", "x", "--as", "chief"), "may not"),
        (("integrity", "review", "99999", "confirm", "--note", "x", "--as", "examiner-7"), "no integrity flag"),
        (("integrity", "report", "--by", "planet"), "unknown report grouping"),
        (("integrity", "queue", "--role", "public"), "may not"),
        (("integrity", "scan", "--role", "applicant"), "may not"),
    ):
        r = _cli(*args)
        assert r.exit_code == 2, (args, r.output)
        assert needle in r.output, (args, r.output)
    r = _cli("integrity", "review", str(fid), "confirm", "--note", "copied with swaps", "--as", "examiner-7", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["results"][0]["status"] == "confirmed"
    rep = json.loads(_cli("integrity", "report", "--by", "applicant", "--json").stdout)
    assert {"applicant", "flags", "confirmed", "base_rate"} <= set(rep["results"][0])
    pub = _cli("integrity", "explain", "CN114000001A", "--role", "public", "--json")
    assert pub.exit_code == 2 and "P2" not in pub.stdout and "score" not in pub.stdout
