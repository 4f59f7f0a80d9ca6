"""The format registry and the pieces every parser shares.

A format is a name, a sniffer (looks at the first bytes and the path) and a parser that
streams `Parsed` items (records or record errors) from a path in constant memory. The import
runner picks the format by sniffing, so `ipoffice import PATH` needs no format flag.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from pydantic import BaseModel, ValidationError

from ipoffice.core.model import Parsed, RecordError
from ipoffice.ingest.xmlsafe import XMLSafetyError, parse_bytes

HEAD_BYTES = 65536


@dataclass(frozen=True)
class Format:
    name: str
    sniff: Callable[[bytes, Path], bool]
    parse: Callable[[Path], Iterator[Parsed]]
    priority: int = 100  # lower is tried first
    description: str = ""
    # Optional, for parallel import: split a file into documents (cheap, in the main process)
    # and parse one document (in worker processes). Formats without them are parsed serially.
    split: Callable[[Path], Iterator[tuple[int, bytes]]] | None = None
    parse_chunk: Callable[[Path, int, bytes], Parsed] | None = None


_REGISTRY: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    _REGISTRY[fmt.name] = fmt
    return fmt


def get_format(name: str) -> Format:
    _load_builtin()
    return _REGISTRY[name]


def formats() -> list[Format]:
    _load_builtin()
    return sorted(_REGISTRY.values(), key=lambda f: (f.priority, f.name))


def _load_builtin() -> None:
    # Importing the modules registers their formats; kept lazy so the core stays light.
    import importlib
    import pkgutil

    import ipoffice.ingest as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in {"base", "xmlsafe", "fieldmap", "runner"} and not mod.name.startswith("_"):
            importlib.import_module(f"ipoffice.ingest.{mod.name}")


def open_binary(path: Path):
    """Open a file for reading bytes, transparently un-gzipping `.gz`."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    with open_binary(path) as fh:
        head = fh.read(n)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head


def detect(path: Path) -> Format | None:
    head = read_head(path)
    for fmt in formats():
        try:
            if fmt.sniff(head, path):
                return fmt
        except Exception:  # noqa: BLE001 - a sniffer that fails simply does not claim the file
            continue
    return None


def split_concatenated(path: Path, block: int = 1 << 22) -> Iterator[tuple[int, bytes]]:
    """Yield (index, bytes) for each XML document of a file that concatenates several.

    USPTO weekly files put one `<?xml ...?>` document after another; each is parsed on its
    own, so memory stays at one document (plus one read block) whatever the file size. A file
    holding a single document (with or without a declaration) yields it once. Reads in 4 MB
    blocks and splits on the declarations that start a line, which is fast in C.
    """
    index = 0
    buf = b""
    marker = b"\n<?xml"
    scan_from = 1  # where the next search for a declaration starts in `buf`
    with open_binary(path) as fh:
        bom = fh.read(3)
        buf = b"" if bom == b"\xef\xbb\xbf" else bom
        while True:
            data = fh.read(block)
            if not data:
                break
            buf += data
            start = 0
            while True:
                cut = buf.find(marker, scan_from)
                if cut == -1 or cut + len(marker) >= len(buf):
                    # not found (or found without the byte after it): resume near the end next time
                    scan_from = max(start + 1, len(buf) - len(marker)) if cut == -1 else cut
                    break
                scan_from = cut + 1
                if not buf[cut + len(marker) : cut + len(marker) + 1].isspace():
                    continue  # `<?xml-stylesheet ...?>` and the like do not start a document
                doc = buf[start : cut + 1]
                if doc.strip():
                    yield index, doc
                    index += 1
                start = cut + 1
                scan_from = start + 1
            buf = buf[start:]
            scan_from -= start
    if buf.strip():
        yield index, buf


def parse_xml_chunk(path: Path, index: int, chunk: bytes) -> etree._Element | RecordError:
    """Parse one document safely; a broken one becomes a RecordError naming file and record."""
    try:
        return parse_bytes(chunk)
    except XMLSafetyError as exc:
        return RecordError(path=str(path), record=f"#{index + 1}", message=str(exc))
    except etree.XMLSyntaxError as exc:
        return RecordError(path=str(path), record=f"#{index + 1}", message=f"malformed XML: {exc}")
    except (ValueError, UnicodeDecodeError) as exc:
        return RecordError(path=str(path), record=f"#{index + 1}", message=f"cannot decode: {exc}")


def build(
    cls: type[BaseModel],
    values: dict[str, Any],
    problems: list[tuple[str, str]],
    path: Path,
    index: int,
) -> Parsed:
    """Validate extracted values into a record, or explain why the record is rejected."""
    label = f"#{index + 1}"
    num = values.get("number")
    if num:
        label += f" ({num})"
    if problems:
        fld, msg = problems[0]
        return RecordError(path=str(path), record=label, field=fld, message=msg)
    clean_values = {k: v for k, v in values.items() if v is not None}
    try:
        return cls(**clean_values)  # type: ignore[return-value]
    except ValidationError as exc:
        err = exc.errors()[0]
        fld = ".".join(str(p) for p in err["loc"]) or None
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "required field is missing"
        return RecordError(path=str(path), record=label, field=fld, message=msg)


def localname(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""
