"""`update_index` finds what changed without comparing every id (issue #4, figures), on real records.

After a build or an update the state holds the last id and the time from which the next update reads;
an update reads only the rows above that id or changed since, and one count tells it whether anything
else differs (a deletion, a document lost from the index), in which case it compares every id as before.
`check_index` still compares everything.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import delete, func, insert, select, update

from ipoffice.core import tables as t
from ipoffice.ingest.runner import import_path
from ipoffice.search.index import STATE_FILE, build_index, check_index, index_path, read_state, update_index

US_SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN_NEW = "patents/cn/cnipa-xml-new-business-ns"


def _count(store) -> int:
    with store.session() as s:
        return s.scalar(select(func.count(t.PatentDocument.id)))


def test_update_reads_only_what_changed(store, shared_data):
    import_path(store, shared_data / US_SLICE)
    built = build_index(store)
    state = read_state(index_path(store.home))
    with store.session() as s:
        top = s.scalar(select(func.max(t.PatentDocument.id)))
    assert state is not None and state.max_id == top and state.scan_from is not None
    # nothing changed: nothing read beyond the window, nothing written
    quiet = update_index(store)
    assert (quiet.scan, quiet.indexed, quiet.deleted) == ("watermark", 0, 0)
    assert set(quiet.timings) == {"open", "find"}
    # new documents: found above the last id
    import_path(store, shared_data / CN_NEW)
    up = update_index(store)
    assert (up.scan, up.added, up.reindexed, up.deleted) == ("watermark", 4, 0, 0)
    assert {"find", "analyze", "write", "commit", "merge"} <= set(up.timings)
    assert up.docs == built.docs + 4 == _count(store) and check_index(store).ok


def test_rows_stamped_long_ago_are_found_by_id_and_changes_by_time(store, shared_data):
    import_path(store, shared_data / US_SLICE)
    build_index(store)
    old = dt.datetime(2020, 1, 1)
    with store.session() as s:  # every row stamped long before the index run
        s.execute(update(t.PatentDocument).values(updated_at=old))
        s.commit()
    assert update_index(store).indexed == 0
    # a bulk load that keeps old stamps: new ids all the same
    with store.session() as s:
        row = s.execute(select(t.PatentDocument.__table__).limit(1)).mappings().one()
        copy = {k: v for k, v in row.items() if k != "id"}
        copy.update(doc_key="bulk:1", number="BULK1", number_norm="BULK1", updated_at=old)
        s.execute(insert(t.PatentDocument.__table__), [copy])
        s.commit()
    up = update_index(store)
    assert (up.scan, up.added) == ("watermark", 1) and up.numbers == ["BULK1"]
    # a changed record (stamped now): re-indexed; its unchanged neighbours are not
    with store.session() as s:
        doc_id = s.scalar(select(t.PatentDocument.id).where(t.PatentDocument.number == "BULK1"))
        s.execute(
            update(t.PatentDocument)
            .where(t.PatentDocument.id == doc_id)
            .values(content_hash="y" * 64, updated_at=t.utcnow())
        )
        s.commit()
    again = update_index(store)
    assert (again.scan, again.reindexed, again.added, again.indexed) == ("watermark", 1, 0, 1)
    assert check_index(store).ok


def test_deletions_and_an_old_state_fall_back_to_the_full_comparison(store, shared_data):
    import_path(store, shared_data / US_SLICE)
    build_index(store)
    with store.session() as s:
        victim = s.scalar(select(t.PatentDocument.id).order_by(t.PatentDocument.id).limit(1))
        s.execute(delete(t.PatentDocument).where(t.PatentDocument.id == victim))
        s.commit()
    gone = update_index(store)
    assert (gone.scan, gone.deleted, gone.indexed) == ("full", 1, 0)
    assert check_index(store).ok and gone.docs == _count(store)
    # a state written by an ipoffice without the watermark fields: one full comparison, then fields
    path = index_path(store.home) / STATE_FILE
    raw = json.loads(path.read_text(encoding="utf-8"))
    for key in ("max_id", "scan_from"):
        raw.pop(key)
    path.write_text(json.dumps(raw), encoding="utf-8")
    import_path(store, shared_data / CN_NEW)
    first = update_index(store)
    assert (first.scan, first.added) == ("full", 4)
    state = read_state(index_path(store.home))
    assert state is not None and state.max_id is not None and state.scan_from is not None
    assert update_index(store).scan == "watermark" and check_index(store).ok
