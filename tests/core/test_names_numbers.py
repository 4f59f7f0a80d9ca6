import pytest

from ipoffice.core.names import normalize_name, party_key
from ipoffice.core.numbers import normalize_number


@pytest.mark.parametrize(
    "a,b",
    [
        ("华为技术有限公司", "華為技術有限公司"),  # traditional / simplified
        ("ＨＵＡＷＥＩ ＴＥＣＨＮＯＬＯＧＩＥＳ ＣＯ．， ＬＴＤ．", "Huawei Technologies Co., Ltd."),  # full width
        ("Huawei Technologies Co., Ltd.", "HUAWEI TECHNOLOGIES CO LTD"),  # case, punctuation
        ("International Business Machines Corporation", "International Business Machines Corp."),
        ("Siemens Aktiengesellschaft".replace("Aktiengesellschaft", "AG"), "SIEMENS AG"),
        ("京东方科技集团股份有限公司", "京东方科技集团股份有限公司"),
        ("The Procter & Gamble Company", "Procter & Gamble Co"),
    ],
)
def test_same_party_however_written(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_different_companies_stay_apart():
    assert normalize_name("华为技术有限公司") != normalize_name("华为终端有限公司")
    assert normalize_name("Apple Inc.") != normalize_name("Apple Computer Inc.")


def test_persons_keyed_by_country_organizations_not():
    assert party_key("John Smith", "person", "US") != party_key("John Smith", "person", "GB")
    assert party_key("Acme Ltd", "organization", "US") == party_key("ACME Limited", "organization", "GB")


@pytest.mark.parametrize(
    "raw,norm",
    [
        ("08087209", "8087209"),
        ("US8087209B2", "8087209"),
        ("US 8,087,209 B2", "8087209"),
        ("D0651432", "D651432"),
        ("USD0651432S1", "D651432"),
        ("CN104223352A", "104223352"),
        ("EP1234567A1", "1234567"),
    ],
)
def test_number_forms(raw, norm):
    assert normalize_number(raw) == norm
