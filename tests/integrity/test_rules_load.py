"""The integrity rules refuse what would make a behaviour silently never flag (issue #6, Bad input)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from ipoffice.integrity.rules import DATA, KNOWN_CODES, IntegrityRulesError, default_rules, load
from ipoffice.integrity.scan import evidence_list


def _copy(tmp_path):
    d = tmp_path / "rules"
    shutil.copytree(DATA, d)
    return d


def test_shipped_rules_cover_every_known_code_and_judge_by_filing_date():
    rules = default_rules()
    assert set(rules.codes()) == set(KNOWN_CODES)
    assert rules.in_force("P1", dt.date(2022, 5, 1)).instrument == "ann411"
    assert rules.in_force("P1", dt.date(2024, 1, 20)).instrument == "order77"
    assert rules.in_force("P1", dt.date(2020, 1, 1)) is None  # before Announcement No. 411


def test_unknown_behaviour_code_is_refused_naming_the_entry(tmp_path):
    d = _copy(tmp_path)
    (d / "extra.yaml").write_text(
        'version: "x"\nbehaviours:\n  - {code: P9, kind: patent, title: typo, instrument: order77, article: "3"}\n',
        encoding="utf-8",
    )
    with pytest.raises(IntegrityRulesError, match=r"'P9': unknown behaviour code"):
        load(d)


def test_bad_date_range_and_missing_source_are_refused(tmp_path):
    d = _copy(tmp_path)
    (d / "extra.yaml").write_text(
        'version: "x"\ninstruments:\n'
        '  bad: {name: B, effective_from: 2024-01-01, effective_to: 2023-01-01, source: " "}\n',
        encoding="utf-8",
    )
    with pytest.raises(IntegrityRulesError) as exc:
        load(d)
    assert "instrument 'bad'" in str(exc.value) and "before effective_from" in str(exc.value)


def test_evidence_list_names_related_numbers_and_figures():
    ev = {
        "documents": [{"number": "CN1", "role": "filing"}, {"number": "US2", "role": "source"}],
        "figures": {"similarity": 0.93},
        "passages": [{"source": "a", "filing": "b"}],
    }
    out = evidence_list(ev, "CN1")
    assert out[0] == {"type": "document", "number": "US2", "role": "source"}
    assert {"type": "figure", "name": "similarity", "value": 0.93} in out
    assert out[-1]["type"] == "passages"
