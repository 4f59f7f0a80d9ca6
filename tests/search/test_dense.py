"""The dense index of prior-art search on real documents: trained here (bilingual LSA), stored in the
data home, documents folded in by update, deletions, the date and role filters, cross-language
neighbours, and a clear message when it is missing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import delete, select, update

from ipoffice.core import tables as t
from ipoffice.core.store import open_store
from ipoffice.ingest.runner import import_path
from ipoffice.search import crosslang
from ipoffice.search.dense import (
    CEDICT_FILE,
    META_FILE,
    MODEL_FILE,
    STATE_FILE,
    DenseIndex,
    DenseIndexError,
    build_dense,
    dense_path,
    ensure_dense_index,
    graph_file,
    update_dense,
)

SLICE = "patents/uspto-grant-xml/patentprocessor-ipg-slices/ipg120103.small.xml"
CN_NEW = "patents/cn/cnipa-xml-new-business-ns"
CN_OLD = "patents/cn/cnipa-xml-old-cn-patent-document"
RADIO_EN = "A medical radiotherapy apparatus with a gantry, a robotic arm carrying a couch, and drive mechanisms."


@pytest.fixture(scope="module")
def store(tmp_path_factory, shared_data):
    s = open_store(tmp_path_factory.mktemp("dense") / "home")
    import_path(s, shared_data / SLICE)
    import_path(s, shared_data / CN_NEW)
    yield s
    s.engine.dispose()


def _id(store, number: str) -> int:
    with store.session() as s:
        return s.scalar(select(t.PatentDocument.id).where(t.PatentDocument.number == number))


def test_missing_index_says_how_to_build(store):
    with pytest.raises(DenseIndexError, match="ipoffice index build"):
        DenseIndex(store.home)
    with pytest.raises(DenseIndexError, match="ipoffice index build"):
        update_dense(store)


def test_build_search_update(store, shared_data):
    rep = build_dense(store)
    assert rep.trained and rep.docs == 29 and rep.dims == 128 and rep.trained_docs == 29
    path = dense_path(store.home)
    for f in (STATE_FILE, MODEL_FILE, META_FILE, CEDICT_FILE, graph_file(1), graph_file(2), graph_file(0)):
        assert (path / f).exists(), f
    idx = DenseIndex(store.home)
    assert len(idx) == 29 and idx.staleness(29) is None and "index update" in idx.staleness(30)
    v = idx.model.encode_text(RADIO_EN)
    assert v.shape == (128,) and abs(float(np.linalg.norm(v)) - 1) < 1e-4
    # an English description finds the Chinese document (cross-language LSA)
    hits = idx.search(v, 3, public=False)
    assert _id(store, "115212463") in [d for d, _s in hits], hits
    assert all(-1.0 <= s <= 1.0 for _d, s in hits)
    # the critical date: nothing published on or after it
    hits = idx.search(v, 29, before=dt.date(2021, 12, 10), public=False)
    with store.session() as s:
        days = s.scalars(select(t.PatentDocument.publication_date).where(t.PatentDocument.id.in_([d for d, _ in hits])))
        assert all(d < dt.date(2021, 12, 10) for d in days)
    assert _id(store, "115212463") not in [d for d, _s in hits]  # published 2022-10-21
    # exclusions
    me = _id(store, "115212463")
    assert me not in [d for d, _s in idx.search(v, 5, public=False, exclude={me})]
    # one graph per language: a language's search is that graph's, the search over all merges them
    both = idx.search(v, 29, public=False)
    zh, en = idx.search(v, 29, public=False, language="zh"), idx.search(v, 29, public=False, language="en")
    assert zh and en and sorted(both, key=lambda h: -h[1]) == both
    assert {d for d, _s in both} == {d for d, _s in zh + en}  # these 29 are all Chinese or English
    assert dict(both) == pytest.approx(dict(zh + en))
    assert idx.search(v, 5, public=False, language="fr") == []
    assert np.allclose(idx.vectors_of([me, 10**9, me]), idx.vectors_of([me])[[0, 0]], atol=1e-6)

    # a rebuild keeps the model (documents folded in), unless asked to retrain
    rep = build_dense(store)
    assert not rep.trained and rep.docs == 29
    # update: new documents are folded in, only they are encoded
    import_path(store, shared_data / CN_OLD)
    rep = update_dense(store)
    assert rep.encoded == 5 and rep.docs == 34 and rep.deleted == 0
    assert update_dense(store).encoded == 0  # nothing changed since
    # the public never gets an unpublished document
    gone = _id(store, "103492414")
    with store.session() as s:
        s.execute(  # as a re-import marking it unpublished would (the flag is part of the record)
            update(t.PatentDocument)
            .where(t.PatentDocument.id == gone)
            .values(published_flag=False, content_hash="changed", updated_at=t.utcnow())
        )
        s.commit()
    rep = update_dense(store)
    assert rep.encoded == 1
    idx = DenseIndex(store.home)
    text_vec = idx.model.encode_text("抗HEPCIDIN抗体及其用途")
    assert gone in [d for d, _s in idx.search(text_vec, 34, public=False)]
    assert gone not in [d for d, _s in idx.search(text_vec, 34, public=True)]
    # deletions
    with store.session() as s:
        s.execute(delete(t.PatentDocument).where(t.PatentDocument.id == gone))
        s.commit()
    rep = ensure_dense_index(store)
    assert rep.deleted == 1 and rep.docs == 33
    assert gone not in [d for d, _s in DenseIndex(store.home).search(text_vec, 34, public=False)]


def test_bilingual_tokens_share_a_space():
    zh = set(crosslang.bilingual_tokens("一种地板的底座"))
    en = set(crosslang.bilingual_tokens("a base for a floor"))
    assert {"floor", "base"} <= zh & en
    assert "底座" in crosslang.en_to_zh("base") or "基础" in crosslang.en_to_zh("base")
    tr = crosslang.translate_terms(["电极", "electrod"])
    assert "electrod" in tr["电极"] and "电极" in tr["electrod"]
