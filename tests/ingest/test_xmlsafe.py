"""Entity attacks and broken bytes never get past the XML layer."""

from __future__ import annotations

import pytest
from lxml import etree

from ipoffice.ingest.xmlsafe import XMLSafetyError, parse_bytes

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<us-patent-grant><invention-title>&lol9;</invention-title></us-patent-grant>"""


def test_entity_bomb_refused():
    with pytest.raises(XMLSafetyError):
        parse_bytes(BILLION_LAUGHS)


def test_external_entity_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    xxe = f"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY s SYSTEM "file://{secret}">]><x>&s;</x>""".encode()
    with pytest.raises(XMLSafetyError):
        parse_bytes(xxe)


def test_external_dtd_not_loaded():
    doc = b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://example.invalid/a.dtd" [ ]><a>ok</a>'
    assert parse_bytes(doc).text == "ok"


def test_ndata_image_entities_of_old_uspto_sgml_allowed():
    doc = (
        b'<?xml version="1.0"?><!DOCTYPE PATDOC [<!ENTITY US06336130-20020108-D00000.TIF SYSTEM "x.TIF" NDATA TIF>]>'
        b"<PATDOC/>"
    )
    assert parse_bytes(doc).tag == "PATDOC"


def test_bom_stripped():
    assert parse_bytes(b"\xef\xbb\xbf<a>\xe4\xb8\xad</a>").text == "中"


def test_wrong_encoding_is_an_error():
    gbk = '<?xml version="1.0" encoding="UTF-8"?><a>显示设备</a>'.encode("gbk")
    with pytest.raises(etree.XMLSyntaxError):
        parse_bytes(gbk)


def test_truncated_is_an_error():
    with pytest.raises(etree.XMLSyntaxError):
        parse_bytes(b'<?xml version="1.0"?>\n<us-patent-grant><broken>')
