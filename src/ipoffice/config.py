"""Where ipoffice keeps its data: one data home, as datasette keeps one directory.

`$IPOFFICE_HOME` (default `./ipoffice-data`) holds the SQLite file and the index and model
folders. `$IPOFFICE_DATABASE_URL` points the store at PostgreSQL instead of the SQLite file.
"""

from __future__ import annotations

import os
from pathlib import Path

DB_FILE = "ipoffice.sqlite"


def data_home() -> Path:
    return Path(os.environ.get("IPOFFICE_HOME", "./ipoffice-data")).expanduser().resolve()


def database_url(home: Path | None = None) -> str:
    url = os.environ.get("IPOFFICE_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{(home or data_home()) / DB_FILE}"
