"""Shared fixtures: the real data folder, and a store on SQLite and (when available) PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED


def _reset_pg(url: str) -> str:
    """A fresh schema of this test process's own, so concurrent test runs never collide;
    returns the URL that puts it first on the search path."""
    from sqlalchemy import create_engine

    schema = f"t{os.getpid()}"
    eng = create_engine(url)
    with eng.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    eng.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, tmp_path, monkeypatch):
    """A fresh, migrated store. The same suite runs on both backends."""
    from ipoffice.core.store import open_store

    monkeypatch.setenv("IPOFFICE_HOME", str(tmp_path / "home"))
    if request.param == "postgres":
        url = os.environ.get("IPOFFICE_TEST_PG_URL")
        if not url:
            pytest.skip("IPOFFICE_TEST_PG_URL not set (CI sets it)")
        s = open_store(tmp_path / "home", url=_reset_pg(url))
    else:
        s = open_store(tmp_path / "home")
    yield s
    s.engine.dispose()
    if request.param == "postgres":
        from sqlalchemy import create_engine

        eng = create_engine(os.environ["IPOFFICE_TEST_PG_URL"])
        with eng.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS t{os.getpid()} CASCADE"))
        eng.dispose()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An empty data home for CLI tests (SQLite)."""
    h = tmp_path / "home"
    monkeypatch.setenv("IPOFFICE_HOME", str(h))
    monkeypatch.delenv("IPOFFICE_DATABASE_URL", raising=False)
    return h
