"""Docs that are tested (datasette's habit): the data specification's example imports as written."""

from __future__ import annotations

import re
from pathlib import Path

from ipoffice.core.model import PatentRecord, TrademarkRecord
from ipoffice.ingest.runner import import_path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_data_spec_example_imports(store, tmp_path):
    text = (DOCS / "data-spec.md").read_text(encoding="utf-8")
    block = re.search(r"```jsonl\n(.*?)```", text, re.S).group(1)
    f = tmp_path / "example.jsonl"
    f.write_text(block, encoding="utf-8")
    rep = import_path(store, f)
    assert (rep.loaded, rep.rejected) == (2, 0), rep.errors


def test_data_spec_lists_every_field():
    text = (DOCS / "data-spec.md").read_text(encoding="utf-8")
    for model in (PatentRecord, TrademarkRecord):
        for name in model.model_fields:
            assert f"`{name}`" in text, f"{model.__name__}.{name} is not documented in docs/data-spec.md"


def test_search_doc_examples_parse():
    """Every example query in docs/search.md parses (the syntax table is what users copy)."""
    from ipoffice.search.query import parse

    text = (DOCS / "search.md").read_text(encoding="utf-8")
    block = re.search(r"```text\n(.*?)```", text, re.S).group(1)
    examples = []
    for line in block.splitlines():
        if line.startswith("    ") and line[4:5] != " ":
            examples.append(line[4:34].strip())  # the query column of the table
    assert len(examples) >= 12
    for q in examples:
        if q.endswith(":") or q in ("pa: in: ag:", "ti: ab: cl: desc: ft:"):
            continue
        parse(q)
