"""The store suite: runs on SQLite and on PostgreSQL (IPOFFICE_TEST_PG_URL) alike, on real records."""

from __future__ import annotations

import datetime as dt
from itertools import islice

import pytest
from sqlalchemy import func, select

from ipoffice.core import tables as t
from ipoffice.core.model import PartyRef, PatentRecord, TrademarkRecord
from ipoffice.core.queries import find_patents, stats
from ipoffice.core.roles import PUBLIC, SYSTEM, Actor, Role
from ipoffice.core.store import PartyResolver, upsert_patents, upsert_trademarks
from ipoffice.ingest.base import detect
from ipoffice.ingest.runner import import_path

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"


def real_patents(shared_data, rel=SLICE, n=None):
    path = shared_data / rel
    fmt = detect(path)
    assert fmt is not None, f"no format claims {path}"
    recs = [r for r in fmt.parse(path) if isinstance(r, PatentRecord)]
    return recs[:n] if n else recs


def test_schema_is_migrated(store):
    with store.session() as s:
        assert s.scalar(select(func.count(t.PatentDocument.id))) == 0
        version = s.execute(select(func.count()).select_from(t.Base.metadata.tables["meta"])).scalar()
        assert version == 0


def test_upsert_is_idempotent_and_records_changes(store, shared_data):
    recs = real_patents(shared_data)
    assert len(recs) >= 20
    with store.session() as s:
        res = upsert_patents(s, [(r, "slice") for r in recs], PartyResolver())
        s.commit()
    assert res.loaded == len({r.key for r in recs})
    with store.session() as s:
        again = upsert_patents(s, [(r, "slice") for r in recs], PartyResolver())
        s.commit()
    assert (again.loaded, again.updated, again.unchanged) == (0, 0, res.loaded)
    changed = recs[0].model_copy(update={"legal_status": "lapsed"})
    with store.session() as s:
        upd = upsert_patents(s, [(changed, "correction")], PartyResolver())
        s.commit()
        assert upd.updated == 1
        n = s.scalar(select(func.count(t.PatentDocument.id)))
        assert n == res.loaded
        ev = s.scalars(select(t.Event).where(t.Event.event_type == "record-updated")).one()
        assert ev.number == recs[0].number
        assert ev.details["changed"] == ["legal_status"]
        doc = s.scalars(select(t.PatentDocument).where(t.PatentDocument.doc_key == recs[0].key)).one()
        assert doc.legal_status == "lapsed"
        # children were replaced, not duplicated
        ncls = s.scalar(
            select(func.count(t.PatentClassification.id)).where(t.PatentClassification.document_id == doc.id)
        )
        assert ncls == len(recs[0].classifications)


def test_lifecycle_events_from_dates(store, shared_data):
    rec = real_patents(shared_data, n=1)[0]
    with store.session() as s:
        upsert_patents(s, [(rec, "x")], PartyResolver())
        s.commit()
        types = {e.event_type: e.date for e in s.scalars(select(t.Event))}
    assert types["filed"] == rec.application_date
    assert types["granted"] == rec.grant_date


def test_one_party_however_written(store):
    base = dict(country="CN", kind="A", stage="application", publication_date=dt.date(2020, 1, 1))
    a = PatentRecord(
        number="CN1", parties=[PartyRef(name="华为技术有限公司", role="applicant", kind="organization")], **base
    )
    b = PatentRecord(
        number="CN2", parties=[PartyRef(name="華為技術有限公司", role="applicant", kind="organization")], **base
    )
    c = PatentRecord(
        number="CN3",
        parties=[
            PartyRef(name="ＨＵＡＷＥＩ  Technologies Co., Ltd.", role="applicant", kind="organization"),
            PartyRef(name="Huawei Technologies Co Ltd", role="applicant", kind="organization"),
        ],
        **base,
    )
    with store.session() as s:
        upsert_patents(s, [(a, "x"), (b, "x")], PartyResolver())
        upsert_patents(s, [(c, "x")], PartyResolver())
        s.commit()
        assert s.scalar(select(func.count(t.Party.id))) == 2
        assert s.scalar(select(func.count(t.PatentParty.id))) == 4


def test_duplicate_numbers_in_one_batch_are_one_document(store, shared_data):
    rec = real_patents(shared_data, n=1)[0]
    with store.session() as s:
        res = upsert_patents(s, [(rec, "x"), (rec, "x")], PartyResolver())
        s.commit()
        assert res.loaded == 1
        assert s.scalar(select(func.count(t.PatentDocument.id))) == 1


def test_find_by_number_forms(store, shared_data):
    recs = real_patents(shared_data)
    with store.session() as s:
        upsert_patents(s, [(r, "x") for r in recs], PartyResolver())
        s.commit()
        assert [d.number for d in find_patents(s, "08087209", SYSTEM)] == ["08087209"]
        assert [d.number for d in find_patents(s, "US8087209B2", SYSTEM)] == ["08087209"]
        assert find_patents(s, "NO-SUCH", SYSTEM) == []


def test_public_never_sees_unpublished(store, shared_data):
    rec = real_patents(shared_data, n=1)[0]
    secret = rec.model_copy(
        update={
            "number": "99999999",
            "kind": "A1",
            "stage": "application",
            "publication_date": None,
            "grant_date": None,
        }
    )
    with store.session() as s:
        upsert_patents(s, [(rec, "x"), (secret, "x")], PartyResolver())
        s.commit()
        assert find_patents(s, "99999999", PUBLIC) == []
        assert find_patents(s, "99999999", Actor("e", Role.EXAMINER))
        assert stats(s, PUBLIC)["patents"] == 1
        assert stats(s, SYSTEM)["patents"] == 2
        # the applicant of the unpublished filing sees it, another applicant does not
        owner = s.scalars(select(t.PatentParty.party_id)).first()
        assert find_patents(s, "99999999", Actor("a", Role.APPLICANT, party_id=owner))
        assert not find_patents(s, "99999999", Actor("b", Role.APPLICANT, party_id=-1))


def test_trademark_upsert(store):
    tm = TrademarkRecord(
        number="TM1",
        mark="蓝月亮",
        goods=[{"nice_class": 3, "group": "0301"}],
        parties=[PartyRef(name="甲公司", role="applicant")],
        status="registered",
        filing_date=dt.date(2015, 3, 1),
    )
    with store.session() as s:
        assert upsert_trademarks(s, [(tm, "x")], PartyResolver()).loaded == 1
        assert upsert_trademarks(s, [(tm, "x")], PartyResolver()).unchanged == 1
        res = upsert_trademarks(s, [(tm.model_copy(update={"status": "expired"}), "x")], PartyResolver())
        s.commit()
        assert res.updated == 1
        assert s.scalar(select(func.count(t.TrademarkGoods.id))) == 1
        assert {e.event_type for e in s.scalars(select(t.Event))} >= {"filed", "registered", "record-updated"}


def test_crash_mid_import_loses_nothing_and_rerun_completes(store, shared_data, monkeypatch):
    path = shared_data / SLICE
    fmt = detect(path)
    real_parse = fmt.parse

    def crashing(p):
        for i, item in enumerate(real_parse(p)):
            if i == 12:
                raise OSError("disk went away")
            yield item

    import ipoffice.ingest.runner as runner

    monkeypatch.setattr(runner, "detect", lambda p: type(fmt)(fmt.name, fmt.sniff, crashing, fmt.priority))
    rep = import_path(store, path, batch_size=5)
    assert rep.loaded == 10 and rep.rejected == 1  # two batches of five were committed before the crash
    monkeypatch.setattr(runner, "detect", detect)
    rep2 = import_path(store, path, batch_size=5)
    assert rep2.unchanged == 10
    assert rep2.loaded == len({r.key for r in islice(real_parse(path), None) if isinstance(r, PatentRecord)}) - 10
    with store.session() as s:
        runs = list(s.scalars(select(t.ImportRun).order_by(t.ImportRun.id)))
        assert [r.status for r in runs] == ["failed", "done"]


@pytest.mark.parametrize("rel", [SLICE])
def test_import_report_counts(store, shared_data, rel):
    rep = import_path(store, shared_data / rel)
    assert rep.rejected == 0
    assert rep.loaded >= 20
    rep2 = import_path(store, shared_data / rel)
    assert rep2.loaded == 0 and rep2.unchanged == rep.loaded


def test_published_without_date_is_public(store):
    """A crawled publication whose date is lost is still published; an explicit False never is."""
    crawled = PatentRecord(number="CN101952153A", country="CN", kind="A", stage="application", published=True)
    withheld = PatentRecord(
        number="CN1", country="CN", kind="A", stage="application", published=False, publication_date=dt.date(2020, 1, 1)
    )
    with store.session() as s:
        upsert_patents(s, [(crawled, "x"), (withheld, "x")], PartyResolver())
        s.commit()
        assert [d.number for d in find_patents(s, "CN101952153A", PUBLIC)] == ["CN101952153A"]
        assert find_patents(s, "CN1", PUBLIC) == []
        assert stats(s, PUBLIC)["patents"] == 1
