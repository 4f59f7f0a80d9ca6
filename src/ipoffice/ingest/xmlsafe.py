"""XML parsing that is safe against entity attacks.

External entities and DTDs are never loaded, the network is never touched, and internal
entity expansion is switched off, so a "billion laughs" document or an XXE payload parses
to inert text (or fails) instead of exhausting memory or leaking files. Every parser in
`ingest` goes through here.
"""

from __future__ import annotations

from lxml import etree


class XMLSafetyError(ValueError):
    """The document tries to define entities, which office data never needs."""


def safe_parser(recover: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )


_PARSER = safe_parser()


def check_no_entity_declarations(data: bytes) -> None:
    """Reject internal DTD subsets that declare entities (entity bombs, XXE).

    Office DTD references (`<!DOCTYPE x SYSTEM "..dtd" [ ]>`) are fine; an `<!ENTITY`
    declaration is not: only image ENTITY declarations of old USPTO SGML use it, and those
    are NDATA references we can drop safely.
    """
    head = data[:65536]
    idx = head.find(b"<!ENTITY")
    while idx != -1:
        end = head.find(b">", idx)
        decl = head[idx : end if end != -1 else len(head)]
        if b"NDATA" not in decl:
            raise XMLSafetyError("document declares XML entities (possible entity-expansion or XXE attack)")
        idx = head.find(b"<!ENTITY", idx + 8)


def parse_bytes(data: bytes) -> etree._Element:
    """Parse one XML document from bytes, safely; strips a UTF-8 BOM."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    check_no_entity_declarations(data)
    return etree.fromstring(data, parser=_PARSER)


def iterparse_safe(source, tag=None, events=("end",)):
    """`lxml.etree.iterparse` with the same safety settings, for streaming big files."""
    return etree.iterparse(
        source,
        events=events,
        tag=tag,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
