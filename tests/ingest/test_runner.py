"""Import runner: bad input is reported with file, record and field; the rest loads."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from ipoffice.core import tables as t
from ipoffice.ingest.runner import import_path


def _jsonl(path, rows):
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


GOOD = {
    "record": "patent",
    "number": "CN113781974A",
    "country": "CN",
    "kind": "A",
    "stage": "application",
    "titles": {"zh": "显示设备"},
    "publication_date": "2021-12-10",
    "parties": [{"name": "海信视像科技股份有限公司", "role": "applicant", "kind": "organization"}],
}


def test_bad_records_reported_rest_loads(store, tmp_path):
    f = _jsonl(
        tmp_path / "batch.jsonl",
        [
            GOOD,
            {**GOOD, "number": "CN2", "publication_date": "2021-13-45"},  # bad date
            {k: v for k, v in GOOD.items() if k != "number"},  # missing number
            '{"record": "patent", "number": ',  # truncated line
            {**GOOD, "number": "CN3", "titles": {"zh": "另一个"}},
        ],
    )
    rep = import_path(store, f)
    assert (rep.loaded, rep.rejected) == (2, 3)
    assert rep.exit_code() == 1
    text = "\n".join(rep.errors)
    assert "batch.jsonl, record line 2 (CN2), field publication_date" in text
    assert "batch.jsonl, record line 3, field number: required field is missing" in text
    assert "line 4" in text and "invalid JSON" in text


def test_unknown_format_is_nothing_done(store, tmp_path):
    f = tmp_path / "notes.bin"
    f.write_bytes(b"\x00\x01 not a record")
    rep = import_path(store, f)
    assert rep.exit_code() == 2
    assert "notes.bin" in rep.files_failed[0]


def test_jsonl_roundtrip_updates_changed_record(store, tmp_path):
    f = _jsonl(tmp_path / "a.jsonl", [GOOD])
    assert import_path(store, f).loaded == 1
    _jsonl(f, [{**GOOD, "titles": {"zh": "显示设备及方法"}}])
    rep = import_path(store, f)
    assert rep.updated == 1
    with store.session() as s:
        assert s.scalar(select(func.count(t.PatentDocument.id))) == 1
        ev = s.scalars(select(t.Event).where(t.Event.event_type == "record-updated")).one()
        assert "titles" in ev.details["changed"]


def test_wrong_encoding_named_rest_of_folder_loads(store, tmp_path, shared_data):
    """A CNIPA file re-encoded as GBK but still declaring UTF-8 is rejected by name; its neighbour loads."""
    src = shared_data / "patents/cn/cnipa-xml-old-cn-patent-document/cn_old1.xml"
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "good.xml").write_bytes(src.read_bytes())
    text = src.read_bytes().decode("utf-8-sig")
    (folder / "gbk.xml").write_bytes(text.encode("gbk", errors="replace"))
    rep = import_path(store, folder)
    assert rep.loaded == 1 and rep.rejected == 1
    assert "gbk.xml" in rep.errors[0]
    assert rep.exit_code() == 1
