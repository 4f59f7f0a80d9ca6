"""ipoffice's own JSONL form: one JSON object per line, `"record": "patent" | "trademark"`,
the other keys exactly the fields of `PatentRecord` / `TrademarkRecord` (see docs/data-spec.md).

It is what `ipoffice export` writes, so a data home can be moved or merged losslessly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ipoffice.core.model import Parsed, PatentRecord, RecordError, TrademarkRecord
from ipoffice.ingest.base import Format, build, open_binary, register

KINDS = {"patent": PatentRecord, "trademark": TrademarkRecord}


def _sniff(head: bytes, path: Path) -> bool:
    first = head.lstrip().split(b"\n", 1)[0]
    return first.startswith(b"{") and b'"record"' in first


def parse(path: Path) -> Iterator[Parsed]:
    with open_binary(path) as fh:
        for index, raw in enumerate(fh):
            line = raw.strip()
            if not line:
                continue
            label = f"line {index + 1}"
            try:
                obj = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield RecordError(path=str(path), record=label, message=f"not UTF-8: {exc}")
                continue
            except json.JSONDecodeError as exc:
                yield RecordError(path=str(path), record=label, message=f"invalid JSON: {exc}")
                continue
            if not isinstance(obj, dict):
                yield RecordError(path=str(path), record=label, message="line is not a JSON object")
                continue
            kind = obj.pop("record", None)
            cls = KINDS.get(kind)  # type: ignore[arg-type]
            if cls is None:
                yield RecordError(
                    path=str(path),
                    record=label,
                    field="record",
                    message=f"unknown record kind {kind!r} (want patent or trademark)",
                )
                continue
            obj.setdefault("source_format", "ipoffice-jsonl")
            item = build(cls, obj, [], path, index)
            if isinstance(item, RecordError):
                item.record = item.record.replace(f"#{index + 1}", label, 1)
            yield item


def dump(record: PatentRecord | TrademarkRecord) -> str:
    kind = "patent" if isinstance(record, PatentRecord) else "trademark"
    return json.dumps({"record": kind, **record.model_dump(mode="json", exclude_defaults=True)}, ensure_ascii=False)


register(
    Format(
        name="ipoffice-jsonl",
        sniff=_sniff,
        parse=parse,
        priority=10,
        description="ipoffice JSONL (one record per line)",
    )
)
