"""The document splitter of concatenated (weekly) XML files."""

from __future__ import annotations

from ipoffice.ingest.base import split_concatenated

DOC = b'<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" href="x.xsl"?>\n<a>%d</a>\n'


def test_splits_on_declarations_only(tmp_path):
    f = tmp_path / "w.xml"
    f.write_bytes(b"".join(DOC % i for i in range(50)))
    docs = list(split_concatenated(f))
    assert len(docs) == 50
    assert all(d.count(b"<?xml-stylesheet") == 1 for _i, d in docs)


def test_small_blocks_give_the_same_documents(tmp_path):
    f = tmp_path / "w.xml"
    f.write_bytes(b"\xef\xbb\xbf" + b"".join(DOC % i for i in range(30)))
    whole = [d for _i, d in split_concatenated(f)]
    for block in (1, 7, 64, 100):
        assert [d for _i, d in split_concatenated(f, block=block)] == whole
    assert whole[0].startswith(b"<?xml") and len(whole) == 30


def test_single_document_without_declaration(tmp_path):
    f = tmp_path / "one.xml"
    f.write_bytes(b"<jp-official-gazette/>\n")
    assert [d for _i, d in split_concatenated(f)] == [b"<jp-official-gazette/>\n"]
